//! `weft serve`, `weft workspaces` and `weft api-keys`.

use crate::args::Global;
use clap::{Args, Subcommand};
use std::sync::Arc;
use weft::Registry;
use weft::Runtime;
use weft::server::load_dir;
use weft::store::{AccessStore, ApiKeyInfo, SqlStore, new_api_key, parse_expiry};

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Check the configuration and the connectors, report, and exit.
    #[arg(long)]
    check: bool,
    /// Serve the API alone: no polling, delivering or webhook routing here.
    /// For API processes beside `weft run` workers on one PostgreSQL database.
    #[arg(long)]
    no_workers: bool,
}

/// Runs the server until SIGTERM or SIGINT, then stops gracefully.
pub(crate) async fn serve(g: &Global, args: &ServeArgs) -> Result<(), String> {
    let mut config = g.host_config()?;
    if args.no_workers {
        config.server.workers = false;
    }
    if args.check {
        return check(&config).await;
    }
    let format = config.server.log_format;
    let host = Arc::new(weft::Host::open(config).await.map_err(|e| e.to_string())?);
    let running = weft::server::start(host).await.map_err(|e| format!("{e:#}"))?;
    let url = format!("http://{}", running.addr);
    let line = format!("weft serving on {url} (API under /v1, OpenAPI at /v1/openapi.json)");
    match format {
        // Every line on stderr is a JSON object when JSON was asked for.
        weft::LogFormat::Json => tracing::info!(%url, "{line}"),
        weft::LogFormat::Pretty => eprintln!("{line}"),
    }
    crate::run::wait_for_signal().await;
    tracing::info!("shutting down: finishing calls, polls and deliveries in flight");
    running.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

async fn check(config: &weft::HostConfig) -> Result<(), String> {
    let runtime = Runtime::new(config.clone()).map_err(|e| format!("{e:#}"))?;
    println!("config: ok (listen {}, data dir {:?})", config.server.listen, config.data_dir);
    let Some(dir) = &config.server.connectors_dir else {
        return Err("no connectors_dir is configured ([server] connectors_dir or WEFT_CONNECTORS_DIR)".into());
    };
    let report = load_dir(&runtime, &Registry::default(), dir).await;
    for (path, id, version) in &report.loaded {
        println!("connector ok: {id} {version} ({})", path.display());
    }
    for (path, why) in &report.failed {
        println!("connector skipped: {}: {why}", path.display());
    }
    if report.loaded.is_empty() {
        return Err("no connector could be loaded".into());
    }
    Ok(())
}

async fn open_store(g: &Global) -> Result<Arc<SqlStore>, String> {
    Ok(g.open_host(false).await?.store().clone())
}

#[derive(Subcommand)]
pub(crate) enum WorkspacesCommand {
    /// Create a workspace.
    Create { name: String },
    /// List workspaces.
    List,
}

pub(crate) async fn workspaces(g: &Global, command: WorkspacesCommand) -> Result<(), String> {
    let store = open_store(g).await?;
    match command {
        WorkspacesCommand::Create { name } => {
            weft::names::NameKind::Workspace.check(&name).map_err(|e| e.to_string())?;
            store.create_workspace(&name).await.map_err(|e| e.to_string())?;
            println!("created workspace `{name}`");
        }
        WorkspacesCommand::List => {
            for name in store.workspaces().await.map_err(|e| e.to_string())? {
                println!("{name}");
            }
        }
    }
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum ApiKeysCommand {
    /// Create an API key for a workspace; the key is printed once.
    Create {
        #[arg(long = "for")]
        workspace: String,
        #[arg(long, default_value = "")]
        label: String,
        /// When the key stops working (RFC 3339) [default: never].
        #[arg(long, conflicts_with = "expires_in_days")]
        expires_at: Option<String>,
        /// Days until the key stops working.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List a workspace's API keys (not the keys themselves), revoked and expired ones included.
    List {
        #[arg(long = "for")]
        workspace: String,
    },
    /// Revoke an API key: it stops working at once.
    Revoke {
        #[arg(long = "for")]
        workspace: String,
        /// The key's id (see `weft api-keys list`).
        id: String,
    },
}

pub(crate) async fn api_keys(g: &Global, command: ApiKeysCommand) -> Result<(), String> {
    let store = open_store(g).await?;
    match command {
        ApiKeysCommand::Create { workspace, label, expires_at, expires_in_days } => {
            existing(&store, &workspace).await?;
            let expires_at = match (expires_at, expires_in_days) {
                (Some(text), _) => Some(parse_expiry(&text).map_err(|e| format!("--expires-at: {e}"))?),
                (None, Some(days)) => Some(
                    jiff::Timestamp::now()
                        .checked_add(jiff::SignedDuration::from_hours(24 * i64::from(days.max(1))))
                        .map_err(|e| format!("--expires-in-days: {e}"))?,
                ),
                (None, None) => None,
            };
            let (key, hash) = new_api_key();
            let info = ApiKeyInfo::new(&workspace, &label, expires_at);
            store.insert_api_key(&info, &hash).await.map_err(|e| e.to_string())?;
            println!("{key}");
            eprintln!("API key {} for workspace `{}` (shown once)", info.id, info.workspace);
        }
        ApiKeysCommand::List { workspace } => {
            existing(&store, &workspace).await?;
            let keys = store.api_keys(&workspace).await.map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string_pretty(&keys).map_err(|e| e.to_string())?);
        }
        ApiKeysCommand::Revoke { workspace, id } => {
            existing(&store, &workspace).await?;
            if !store.revoke_api_key(&workspace, &id).await.map_err(|e| e.to_string())? {
                return Err(format!(
                    "workspace `{workspace}` has no active API key `{id}`; `weft api-keys list` shows them"
                ));
            }
            eprintln!("revoked API key {id} of workspace `{workspace}`");
        }
    }
    Ok(())
}

async fn existing(store: &SqlStore, workspace: &str) -> Result<(), String> {
    if store.workspace_exists(workspace).await.map_err(|e| e.to_string())? {
        Ok(())
    } else {
        Err(format!("no workspace named `{workspace}`; create it with `weft workspaces create`"))
    }
}
