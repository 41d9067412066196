//! `weft invoke`, `weft poll` and `weft options`.

use crate::args::{CallArgs, Global};
use crate::connection_file::ConnectionFile;
use crate::poll_state::PollState;
use serde_json::Value;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use weft::{Connection, LoadedConnector, PollMeta, Runtime};

/// Polls run back to back at most this often when the connector has more.
const MAX_ROUNDS: usize = 100;

struct Prepared {
    runtime: Arc<Runtime>,
    connector: LoadedConnector,
    connection: Connection,
    input: Value,
}

/// A component loaded with the connection its calls use.
pub(crate) struct Opened {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) connector: LoadedConnector,
    pub(crate) connection: Connection,
    /// The host a stored connection came from (`None` for a connection file);
    /// it holds the data directory's lock.
    pub(crate) host: Option<weft::Host>,
}

/// Loads `component` with `connection`: a connection file, which needs no
/// data directory (the runtime alone), or the name of a stored connection.
pub(crate) async fn open(
    g: &Global,
    component: &Path,
    connection: &str,
    allow_loopback: bool,
) -> Result<Opened, String> {
    if Path::new(connection).is_file() {
        let mut config = g.host_config()?;
        config.egress.allow_loopback |= allow_loopback;
        let runtime = Arc::new(Runtime::new(config).map_err(|e| format!("{e:#}"))?);
        let connector = crate::progress::load(&runtime, component).await?;
        let file = ConnectionFile::load(Path::new(connection))?;
        let connection = file.resolve(connector.manifest.allowed_hosts.first().map(String::as_str))?;
        return Ok(Opened { runtime, connector, connection, host: None });
    }
    let host = g.open_host(allow_loopback).await?;
    let runtime = host.runtime().clone();
    let connector = crate::progress::load(&runtime, component).await?;
    let connection = host
        .connections()
        .for_call(&g.workspace, connection, &connector.manifest)
        .await
        .map_err(|e| format!("--connection {connection}: not a file, and {e}"))?;
    Ok(Opened { runtime, connector, connection, host: Some(host) })
}

fn read_input(arg: &str) -> Result<Value, String> {
    let text = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("cannot read --input file {path}: {e}"))?,
        None => arg.to_string(),
    };
    serde_json::from_str(&text).map_err(|e| format!("--input is not valid JSON: {e}"))
}

async fn prepare(g: &Global, component: &Path, args: &CallArgs) -> Result<Prepared, String> {
    let input = read_input(&args.input)?;
    let Opened { runtime, connector, connection, .. } =
        open(g, component, &args.connection, args.allow_loopback).await?;
    Ok(Prepared { runtime, connector, connection, input })
}

pub(crate) async fn invoke(g: &Global, component: &Path, action: &str, args: &CallArgs) -> Result<(), String> {
    let p = prepare(g, component, args).await?;
    let output = p.runtime.execute(&p.connector, &p.connection, action, &p.input).await.map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&output).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

pub(crate) async fn options(
    g: &Global,
    component: &Path,
    key: &str,
    field: &str,
    args: &CallArgs,
) -> Result<(), String> {
    let p = prepare(g, component, args).await?;
    let choices =
        p.runtime.choices(&p.connector, &p.connection, key, field, &p.input).await.map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&choices).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

pub(crate) async fn poll(
    g: &Global,
    component: &Path,
    trigger: &str,
    args: &CallArgs,
    state_path: &Path,
    since: &str,
) -> Result<(), String> {
    let p = prepare(g, component, args).await?;
    let existing = PollState::load(state_path)?;
    if let Some(s) = existing.as_ref().filter(|s| s.connector != p.connector.manifest.id || s.trigger != trigger) {
        return Err(format!(
            "state file {} belongs to {} / {}; use another --state file for {} / {trigger}",
            state_path.display(),
            s.connector,
            s.trigger,
            p.connector.manifest.id
        ));
    }
    let first_run = existing.is_none();
    let mut state = existing.unwrap_or_else(|| PollState::new(&p.connector.manifest.id, trigger));
    let mut index: HashSet<String> = state.seen.iter().cloned().collect();
    let (seed, since) = match (first_run, since) {
        (false, _) | (true, "all") => (false, None),
        (true, "now") => (true, None),
        (true, time) => {
            time.parse::<jiff::Timestamp>()
                .map_err(|e| format!("--since must be now, all or an RFC 3339 time like 2026-01-31T00:00:00Z: {e}"))?;
            (false, Some(time.to_string()))
        }
    };
    let mut stdout = std::io::stdout().lock();
    let mut printed = 0usize;
    for _ in 0..MAX_ROUNDS {
        let meta = PollMeta { seed, since: since.clone() };
        let outcome = p
            .runtime
            .poll(&p.connector, &p.connection, trigger, &p.input, state.cursor.clone(), meta)
            .await
            .map_err(|e| e.to_string())?;
        let mut lines = Vec::new();
        for event in &outcome.events {
            if state.remember(&event.id, &mut index) && !seed {
                lines.push(serde_json::to_string(event).map_err(|e| e.to_string())?);
            }
        }
        let repeated = outcome.cursor == state.cursor;
        state.cursor = outcome.cursor;
        // Printed before the state is saved: a crash in between prints an
        // event twice rather than never.
        for line in &lines {
            writeln!(stdout, "{line}").map_err(|e| e.to_string())?;
        }
        stdout.flush().map_err(|e| e.to_string())?;
        printed += lines.len();
        state.save(state_path)?;
        if seed {
            eprintln!(
                "seeded {}: recorded what exists now ({} recent ids); the next poll prints only what is new",
                state_path.display(),
                outcome.events.len()
            );
            break;
        }
        if !outcome.has_more {
            break;
        }
        if repeated {
            tracing::warn!("the trigger said it has more but returned the same cursor; stopped polling");
            break;
        }
    }
    tracing::info!(printed, "poll finished");
    Ok(())
}
