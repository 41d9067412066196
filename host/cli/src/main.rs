//! The `weft` command line: run connector components from the shell, and
//! the operator's server.

mod args;
mod call;
mod check;
mod connect;
mod connection_file;
mod inspect;
mod keys;
mod logging;
mod mcp;
mod new_project;
mod poll_state;
mod progress;
mod run;
mod serve;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = args::Cli::parse();
    // The logger is set up once, after the configuration is read, so that
    // `[server] log_format` and `WEFT_LOG_FORMAT` take effect.
    let format = cli.global().host_config().map(|c| c.server.log_format).unwrap_or(weft::LogFormat::Pretty);
    logging::init(format, cli.is_server());
    match args::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
