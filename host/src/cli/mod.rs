//! Commands and their arguments.

mod call;
mod inspect;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "weft", version, about = "Run no-code connectors as sandboxed WebAssembly components")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a connector's manifest: triggers, actions, schemas, samples.
    Inspect {
        /// The connector component (.wasm).
        component: PathBuf,
    },
    /// Run an action once and print its output JSON.
    Invoke {
        component: PathBuf,
        /// The action's key (see `weft inspect`).
        action: String,
        #[command(flatten)]
        call: CallArgs,
    },
    /// Poll a trigger once; print each new event as a JSON line.
    Poll {
        component: PathBuf,
        /// The trigger's key (see `weft inspect`).
        trigger: String,
        #[command(flatten)]
        call: CallArgs,
        /// Where the trigger's cursor and the ids already printed are kept.
        #[arg(long)]
        state: PathBuf,
        /// On the first run: `now` records what exists and prints nothing;
        /// `all` prints everything that exists; or an RFC 3339 time.
        #[arg(long, default_value = "now")]
        since: String,
    },
    /// List the choices of a dynamic dropdown field.
    Options {
        component: PathBuf,
        /// The trigger or action key.
        key: String,
        /// The input field.
        field: String,
        #[command(flatten)]
        call: CallArgs,
    },
}

#[derive(Args)]
pub struct CallArgs {
    /// Input JSON, or @FILE to read it from a file.
    #[arg(long, default_value = "{}")]
    input: String,
    /// The connection file (TOML: base_url, location_id, token_env).
    #[arg(long)]
    connection: PathBuf,
    /// Let the connector reach servers on 127.0.0.1 (the simulator). For development only.
    #[arg(long)]
    allow_loopback: bool,
}

pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Inspect { component } => inspect::run(&component).await,
        Command::Invoke { component, action, call } => call::invoke(&component, &action, &call).await,
        Command::Poll { component, trigger, call, state, since } => {
            call::poll(&component, &trigger, &call, &state, &since).await
        }
        Command::Options { component, key, field, call } => call::options(&component, &key, &field, &call).await,
    }
}
