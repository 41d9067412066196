//! `weft mcp --stdio`: one connector's actions as MCP tools for a local
//! client (a desktop app, an editor), over stdin and stdout.

use crate::args::Global;
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
    let opened = crate::call::open(g, &args.component, &args.connection, args.allow_loopback).await?;
    let (runtime, connection, host) = (opened.runtime, opened.connection, opened.host);
    let connector = Arc::new(opened.connector);
    // Tools are named after the connection: a file's name without `.toml`, or the stored name.
    let name = match &host {
        Some(_) => args.connection.clone(),
        None => Path::new(&args.connection)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "connection".into()),
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
