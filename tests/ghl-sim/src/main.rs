//! `ghl-sim`: serve the GHL simulator until killed.
//!
//! Prints the base URL as the first stdout line (so scripts can read the port of
//! `--listen 127.0.0.1:0`); logs go to stderr. SIGTERM or SIGINT shut it down gracefully.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

/// A GoHighLevel Social Planner API simulator for tests and demos on loopback.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on; must be a loopback address (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Register this bearer token at start, with every social planner scope.
    #[arg(long, requires = "location")]
    token: Option<String>,
    /// The location (sub-account) id the `--token` is for.
    #[arg(long, requires = "token")]
    location: Option<String>,
    /// Tags the `--location` starts with (`tag 0`, `tag 1`, …), for benchmarks.
    #[arg(long, default_value_t = 0, requires = "location")]
    tags: usize,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ghl-sim: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if !args.listen.ip().is_loopback() {
        return Err(format!("refusing to listen on {}: use a loopback address", args.listen).into());
    }
    let sim = ghl_sim::Sim::new();
    if let (Some(token), Some(location)) = (&args.token, &args.location) {
        sim.register_token(token, location, ghl_sim::SOCIAL_PLANNER_SCOPES.iter().copied());
        for i in 0..args.tags {
            sim.create_tag(location, &format!("tag {i}"));
        }
    }
    let running = ghl_sim::start_with(args.listen, sim).await?;
    // Handlers go in before the URL is printed: a script may send SIGTERM as soon as it reads it.
    let signal = shutdown_signal()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", running.base_url())?;
    stdout.flush()?;
    drop(stdout);
    signal.await;
    tracing::info!("shutting down");
    running.shutdown().await?;
    Ok(())
}

/// Installs the SIGTERM/SIGINT handlers now and returns a future that waits for either.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
