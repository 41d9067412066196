//! `weft run`: the scheduler and the deliverer in the foreground, for the
//! subscriptions listed in a file.

use crate::args::Global;
use crate::connection_file::ConnectionFile;
use clap::Args;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use weft::store::{Destination, SqlStore, Start, SubscriptionStore};
use weft::subscriptions::{self, ConnectionResolver, NewSubscription, StoredConnections};
use weft::{Connection, ConnectorManifest, Host};

#[derive(Args)]
pub(crate) struct RunArgs {
    /// The subscriptions (TOML, `[[subscription]]` tables).
    #[arg(long)]
    subscriptions: PathBuf,
    /// The connection for entries that name none: a connection file or a stored connection.
    #[arg(long)]
    connection: Option<String>,
    /// Poll what is due and deliver what is pending once, then exit.
    #[arg(long)]
    once: bool,
    /// Let connectors and webhooks reach servers on 127.0.0.1. For development only.
    #[arg(long, env = "WEFT_ALLOW_LOOPBACK", value_parser = clap::builder::FalseyValueParser::new())]
    allow_loopback: bool,
}

/// One `[[subscription]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    component: PathBuf,
    trigger: String,
    connection: Option<String>,
    #[serde(default)]
    input: Option<toml::Value>,
    interval_seconds: Option<u32>,
    /// For an instant trigger that can: poll its listing every interval to catch lost webhooks (default true).
    reconcile: Option<bool>,
    #[serde(default)]
    start: Option<String>,
    destination: String,
    webhook_secret: Option<String>,
    /// A jq program shaping each event's data, e.g. `"{name: .tag, id: ._id}"`.
    mapping: Option<String>,
    /// A JSON Schema (as a TOML table) the mapped data must match.
    destination_schema: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    subscription: Vec<Entry>,
}

fn read_entries(path: &Path) -> Result<Vec<Entry>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file: File = toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))?;
    if file.subscription.is_empty() {
        return Err(format!("{} lists no [[subscription]]", path.display()));
    }
    Ok(file.subscription)
}

/// Stored connections by name, and connection files by path (the shell's
/// way to name a connection).
struct FilesOrStored(StoredConnections);

#[weft::async_trait]
impl ConnectionResolver for FilesOrStored {
    async fn resolve(
        &self,
        workspace: &str,
        connection: &str,
        manifest: &ConnectorManifest,
    ) -> Result<Connection, String> {
        if Path::new(connection).is_file() {
            let file = ConnectionFile::load(Path::new(connection))?;
            return file.resolve(manifest.allowed_hosts.first().map(String::as_str));
        }
        self.0.resolve(workspace, connection, manifest).await
    }
}

pub(crate) async fn run(g: &Global, args: &RunArgs) -> Result<(), String> {
    let entries = read_entries(&args.subscriptions)?;
    let mut config = g.host_config()?;
    config.egress.allow_loopback |= args.allow_loopback;
    let host = Host::builder(config)
        .connection_resolver(|connections| Arc::new(FilesOrStored(StoredConnections(connections))))
        .open()
        .await
        .map_err(|e| e.to_string())?;
    let base = args.subscriptions.parent().unwrap_or(Path::new("."));
    let mut loaded: HashMap<PathBuf, String> = HashMap::new();
    for entry in &entries {
        let path = base.join(&entry.component);
        if !loaded.contains_key(&path) {
            let connector = host.load(&path).await.map_err(|e| e.to_string())?;
            loaded.insert(path.clone(), connector.manifest.id.clone());
        }
    }
    for entry in &entries {
        let connector = loaded.get(&base.join(&entry.component)).cloned().unwrap_or_default();
        upsert(g, &host, entry, connector, args.connection.as_deref(), base).await?;
    }
    if args.once {
        for (name, report) in host.scheduler().poll_due_now().await {
            eprintln!(
                "{name}: {} new event(s){}",
                report.new_events,
                report.error.map(|e| format!(", error: {e}")).unwrap_or_default()
            );
        }
        host.deliverer().deliver_due_now().await;
        return Ok(());
    }
    let mut workers = host.start_workers();
    workers.push(tokio::spawn(show_status(host.store().clone(), g.workspace.clone(), workers.stopping())));
    wait_for_signal().await;
    eprintln!("stopping: finishing the polls and deliveries in flight");
    workers.stop().await;
    Ok(())
}

/// Creates the subscription, or updates what may change of an existing one
/// (its cursor and dedupe set stay).
async fn upsert(
    g: &Global,
    host: &Host,
    entry: &Entry,
    connector: String,
    default_connection: Option<&str>,
    base: &Path,
) -> Result<(), String> {
    let (store, registry, vault) = (host.store(), host.registry(), host.vault());
    let connection = entry.connection.clone().or_else(|| default_connection.map(str::to_string)).ok_or_else(|| {
        format!("subscription `{}` names no connection; add `connection` or pass --connection", entry.name)
    })?;
    // A relative connection file is relative to the subscriptions file.
    let connection = match base.join(&connection) {
        p if p.is_file() => p.display().to_string(),
        _ => connection,
    };
    let input: Value = match &entry.input {
        Some(v) => serde_json::to_value(v).map_err(|e| e.to_string())?,
        None => Value::Object(Default::default()),
    };
    let new = NewSubscription {
        workspace: g.workspace.clone(),
        name: entry.name.clone(),
        connector,
        trigger: entry.trigger.clone(),
        connection,
        input,
        interval_secs: entry.interval_seconds,
        reconcile: entry.reconcile,
        start: Start::parse(entry.start.as_deref().unwrap_or("now")).map_err(|e| format!("`{}`: {e}", entry.name))?,
        destination: Destination::parse(&entry.destination).map_err(|e| format!("`{}`: {e}", entry.name))?,
        webhook_secret: entry.webhook_secret.clone(),
        mapping: entry.mapping.clone(),
        destination_schema: match &entry.destination_schema {
            Some(v) => Some(serde_json::to_value(v).map_err(|e| e.to_string())?),
            None => None,
        },
    };
    let checked = subscriptions::validate(&new, registry).map_err(|e| format!("subscription `{}`: {e}", entry.name))?;
    subscriptions::check_destination(&new.destination, &host.destinations())
        .await
        .map_err(|e| format!("subscription `{}`: {e}", entry.name))?;
    let mut new = new;
    subscriptions::check_mapping(&mut new, registry, host.mapper())
        .await
        .map_err(|e| format!("subscription `{}`: {e}", entry.name))?;
    let (built, shown_secret) = subscriptions::build(new, checked, vault);
    match store.subscription(&g.workspace, &entry.name).await.map_err(|e| e.to_string())? {
        Some(existing) if existing.connector != built.connector || existing.trigger != built.trigger => Err(format!(
            "subscription `{}` exists for {} / {}; give the new one another name",
            entry.name, existing.connector, existing.trigger
        )),
        Some(existing) => {
            let mut updated = built;
            updated.id = existing.id;
            updated.webhook_secret = match (&entry.webhook_secret, &existing.webhook_secret) {
                (Some(secret), _) => Some(vault.seal(secret.as_bytes(), &updated.id)),
                (None, kept) => kept.clone(),
            };
            store.update_subscription_spec(&updated).await.map_err(|e| e.to_string())
        }
        None => {
            store.insert_subscription(&built).await.map_err(|e| e.to_string())?;
            if let Some(secret) = shown_secret {
                eprintln!("subscription `{}`: webhook signing secret {secret} (shown once)", entry.name);
            }
            Ok(())
        }
    }
}

/// A live line per subscription on a terminal; nothing otherwise (the logs say it).
async fn show_status(store: Arc<SqlStore>, workspace: String, mut stopped: watch::Receiver<bool>) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    while !*stopped.borrow() {
        if let Ok(subs) = store.subscriptions(&workspace).await {
            let mut text = String::from("\x1b[2J\x1b[H");
            for s in subs {
                let detail = match (&s.state_reason, &s.last_error) {
                    (Some(reason), _) => reason.clone(),
                    (None, Some(e)) => format!("last error: {e}"),
                    (None, None) => format!("last ok {}", s.last_success_at.as_deref().unwrap_or("never")),
                };
                text.push_str(&format!("{:<24} {:<8} {detail}\n", s.name, s.state.as_str()));
            }
            eprint!("{text}");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.changed() => {}
        }
    }
}

pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
