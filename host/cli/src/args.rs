//! The commands and their arguments.

use crate::{call, check, connect, inspect, keys, mcp, new_project, run, serve};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "weft", version, about = "Run no-code connectors as sandboxed WebAssembly components")]
pub(crate) struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes.
#[derive(Args)]
pub(crate) struct Global {
    /// The host configuration (TOML: limits, egress, cache_dir, per-connector settings).
    #[arg(long, global = true, env = "WEFT_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Where compiled components are cached [default: ~/.cache/weft/components].
    #[arg(long, global = true, env = "WEFT_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,
    /// Compile components every time instead of using the cache.
    #[arg(long, global = true)]
    pub(crate) no_cache: bool,
    /// Where the database and the master key live [default: ~/.local/share/weft].
    #[arg(long, global = true, env = "WEFT_DATA_DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// The database: `postgres://…` for several weft processes sharing the
    /// work, or `sqlite://PATH` [default: weft.db in the data directory].
    #[arg(long, global = true, env = "WEFT_DATABASE_URL", hide_env_values = true)]
    pub(crate) database: Option<String>,
    /// The workspace connections belong to.
    #[arg(long, global = true, default_value = "default", env = "WEFT_WORKSPACE")]
    pub(crate) workspace: String,
}

impl Global {
    /// The host configuration these options describe.
    pub(crate) fn host_config(&self) -> Result<weft::HostConfig, String> {
        let mut config = match &self.config {
            Some(path) => weft::HostConfig::load(path)?,
            None => {
                let mut config = weft::HostConfig::default();
                config.apply_env(|name| std::env::var(name).ok())?;
                config
            }
        };
        if self.no_cache {
            config.cache_dir = None;
        } else if let Some(dir) = &self.cache_dir {
            config.cache_dir = Some(dir.clone());
        } else if config.cache_dir.is_none() {
            config.cache_dir = xdg_dir("XDG_CACHE_HOME", ".cache").map(|d| d.join("components"));
        }
        if let Some(url) = self.database.as_deref().filter(|u| !u.trim().is_empty()) {
            config.store.url = Some(weft::Secret::new(url));
        }
        if let Some(dir) = &self.data_dir {
            config.data_dir = Some(dir.clone());
        } else if config.data_dir.is_none() {
            config.data_dir = xdg_dir("XDG_DATA_HOME", ".local/share");
        }
        Ok(config)
    }
}

impl Global {
    /// The host these options describe: runtime, store, vault and the rest,
    /// opened once (see `weft::Host`).
    pub(crate) async fn open_host(&self, allow_loopback: bool) -> Result<weft::Host, String> {
        let mut config = self.host_config()?;
        config.egress.allow_loopback |= allow_loopback;
        weft::Host::open(config).await.map_err(|e| e.to_string())
    }
}

/// `$VAR/weft`, or `~/<fallback>/weft`.
fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    let base = std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(fallback)))?;
    Some(base.join("weft"))
}

#[derive(Subcommand)]
enum Command {
    /// Start a connector project (Rust or Python, or from an OpenAPI document) that builds and passes `weft check`.
    New(new_project::NewArgs),
    /// Check a connector before publishing: manifest and forms, then triggers, actions,
    /// dropdowns and error mapping against a simulator or recorded fixtures; --against an older build.
    Check(check::CheckArgs),
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
    /// Connect an account: OAuth in the browser, or a token from an environment variable.
    Connect(connect::ConnectArgs),
    /// List, test or remove stored connections.
    #[command(subcommand)]
    Connections(connect::ConnectionsCommand),
    /// Manage the master key that seals credentials at rest.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Serve the HTTP API, the scheduler and the deliverer (the operator's server).
    Serve(serve::ServeArgs),
    /// Manage workspaces (each has its own connections, subscriptions and API keys).
    #[command(subcommand)]
    Workspaces(serve::WorkspacesCommand),
    /// Manage a workspace's API keys.
    #[command(subcommand, name = "api-keys")]
    ApiKeys(serve::ApiKeysCommand),
    /// Run the scheduler and the deliverer for the subscriptions in a file.
    Run(run::RunArgs),
    /// Generate a connector from an API description.
    #[command(subcommand)]
    Gen(GenCommand),
    /// Offer a connector's actions as tools to an MCP client (a desktop app, an editor) on stdio.
    Mcp(mcp::McpArgs),
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

#[derive(Subcommand)]
enum GenCommand {
    /// Turn OpenAPI 3.0/3.1 documents into a connector crate that builds to a component
    /// (`cargo build --target wasm32-wasip2`); prints what it could not generate, and why.
    Openapi(weft_gen::cli::OpenapiArgs),
}

#[derive(Args)]
pub(crate) struct CallArgs {
    /// Input JSON, or @FILE to read it from a file.
    #[arg(long, default_value = "{}")]
    pub(crate) input: String,
    /// A connection file (TOML: base_url, location_id, token_env), or the
    /// name of a stored connection (see `weft connect`).
    #[arg(long)]
    pub(crate) connection: String,
    /// Let the connector reach servers on 127.0.0.1 (the simulator). For development only.
    #[arg(long, env = "WEFT_ALLOW_LOOPBACK", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) allow_loopback: bool,
}

impl Cli {
    /// Whether the command is the long-running server, which logs at `info` by default.
    pub(crate) fn is_server(&self) -> bool {
        matches!(self.command, Command::Serve(_) | Command::Run(_))
    }

    /// Options every command takes.
    pub(crate) fn global(&self) -> &Global {
        &self.global
    }
}

/// Runs the command.
pub(crate) async fn run(cli: Cli) -> Result<(), String> {
    let g = &cli.global;
    match cli.command {
        Command::Inspect { component } => inspect::run(g, &component).await,
        Command::Check(args) => check::run(g, &args).await,
        Command::New(args) => new_project::run(&args),
        Command::Invoke { component, action, call } => call::invoke(g, &component, &action, &call).await,
        Command::Poll { component, trigger, call, state, since } => {
            call::poll(g, &component, &trigger, &call, &state, &since).await
        }
        Command::Options { component, key, field, call } => call::options(g, &component, &key, &field, &call).await,
        Command::Connect(args) => connect::connect(g, &args).await,
        Command::Mcp(args) => mcp::run(g, &args).await,
        Command::Connections(command) => connect::connections(g, command).await,
        Command::Keys(command) => keys::run(g, command).await,
        Command::Run(args) => run::run(g, &args).await,
        Command::Serve(args) => serve::serve(g, &args).await,
        Command::Workspaces(command) => serve::workspaces(g, command).await,
        Command::ApiKeys(command) => serve::api_keys(g, command).await,
        Command::Gen(GenCommand::Openapi(args)) => {
            print!("{}", weft_gen::cli::run_openapi(&args).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}
