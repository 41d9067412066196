//! `weft mcp --stdio`: one connector's actions as MCP tools for a local
//! client (a desktop app, an editor), over stdin and stdout.

use crate::args::Global;
use crate::connection_file::ConnectionFile;
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft::mcp::{Exposure, ToolHost, Tools};
use weft::server::Problem;
use weft::{Connection, LoadedConnector, Runtime};

#[derive(Args)]
pub(crate) struct McpArgs {
    /// The connector component (.wasm).
    component: PathBuf,
    /// A connection file (TOML: base_url, location_id, token_env), or the
    /// name of a stored connection (see `weft connect`). Tools are named
    /// after it: a file's name without `.toml`, or the stored name.
    #[arg(long)]
    connection: String,
    /// Speak MCP on stdin and stdout (the only transport here; `weft serve`
    /// offers Streamable HTTP at /v1/mcp).
    #[arg(long, required = true)]
    stdio: bool,
    /// Also offer this action, which is not a read (e.g. `create-post`); repeat for more.
    #[arg(long = "allow", value_name = "ACTION")]
    allow: Vec<String>,
    /// Offer only the actions named by --allow, not every read besides.
    #[arg(long)]
    only_allowed: bool,
    /// Let the connector reach servers on 127.0.0.1 (the simulator). For development only.
    #[arg(long, env = "WEFT_ALLOW_LOOPBACK", value_parser = clap::builder::FalseyValueParser::new())]
    allow_loopback: bool,
}

/// The one connection the command was given.
struct LocalTools {
    runtime: Arc<Runtime>,
    name: String,
    connector: Arc<LoadedConnector>,
    connection: Connection,
    exposure: Exposure,
    /// Kept open (with its data directory's lock) while a stored connection is in use.
    _host: Option<weft::Host>,
}

#[weft::async_trait]
impl ToolHost for LocalTools {
    fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    async fn connections(&self, _workspace: &str) -> Result<Vec<(String, Arc<LoadedConnector>)>, Problem> {
        Ok(vec![(self.name.clone(), self.connector.clone())])
    }

    async fn exposure(&self, _workspace: &str) -> Result<Exposure, Problem> {
        Ok(self.exposure.clone())
    }

    async fn connection(&self, _: &str, _: &str, _: &LoadedConnector) -> Result<Connection, Problem> {
        Ok(self.connection.clone())
    }
}

pub(crate) async fn run(g: &Global, args: &McpArgs) -> Result<(), String> {
    let path = Path::new(&args.connection);
    let (runtime, host, name) = if path.is_file() {
        let mut config = g.host_config()?;
        config.egress.allow_loopback |= args.allow_loopback;
        let runtime = Arc::new(Runtime::new(config).map_err(|e| format!("{e:#}"))?);
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "connection".into());
        (runtime, None, stem)
    } else {
        let host = g.open_host(args.allow_loopback).await?;
        (host.runtime().clone(), Some(host), args.connection.clone())
    };
    let connector = Arc::new(runtime.load(&args.component).await.map_err(|e| e.to_string())?);
    let connection = match &host {
        None => ConnectionFile::load(path)?.resolve(connector.manifest.allowed_hosts.first().map(String::as_str))?,
        Some(host) => host
            .connections()
            .for_call(&g.workspace, &args.connection, &connector.manifest)
            .await
            .map_err(|e| format!("--connection {}: not a file, and {e}", args.connection))?,
    };
    let keys: Vec<&str> = connector.manifest.actions.iter().map(|a| a.key.as_str()).collect();
    if let Some(unknown) = args.allow.iter().find(|a| !keys.contains(&a.as_str())) {
        return Err(format!(
            "--allow {unknown}: {} has no such action; it has: {}",
            connector.manifest.id,
            keys.join(", ")
        ));
    }
    let exposure = Exposure { connections: None, allow: args.allow.clone(), only_allowed: args.only_allowed };
    let local = LocalTools { runtime, name, connector, connection, exposure, _host: host };
    let tools = Tools::new(Arc::new(local));
    let shown = tools.list(&g.workspace).await.map_err(|p| p.detail().to_string())?;
    eprintln!(
        "weft mcp: {} tools on stdio: {}",
        shown.len(),
        shown.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    weft::mcp::serve_stdio(tools, &g.workspace).await.map_err(|e| format!("MCP over stdio: {e:#}"))
}
