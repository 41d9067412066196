//! `weft connect` and `weft connections`.

use crate::args::Global;
use axum::extract::Query;
use axum::routing::get;
use clap::{Args, Subcommand};
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use weft::Secret;
use weft::connections::{Connections, NewTokenConnection};

/// How long `weft connect --oauth` waits for the browser to come back.
const OAUTH_WAIT: Duration = Duration::from_secs(600);

#[derive(Args)]
pub(crate) struct ConnectArgs {
    /// The connector component (.wasm).
    component: PathBuf,
    /// A name for the connection, used with `--connection NAME`.
    #[arg(long)]
    name: String,
    /// Connect through OAuth in the browser (prints the URL to open).
    #[arg(long, conflicts_with = "token_env")]
    oauth: bool,
    /// The environment variable holding a static token (e.g. a GHL private integration token).
    #[arg(long)]
    token_env: Option<String>,
    /// The API's base URL, when not the connector's default.
    #[arg(long)]
    base_url: Option<String>,
    /// The GHL location (sub-account) id, for a token connection.
    #[arg(long)]
    location_id: Option<String>,
    /// The GHL company (agency) id, for a token connection.
    #[arg(long)]
    company_id: Option<String>,
    /// The kind of token: `location` (a sub-account's) or `company` (an agency's, for agency-level
    /// operations) [default: location when --location-id is given, else company].
    #[arg(long, value_parser = ["location", "company"])]
    token_kind: Option<String>,
    /// The loopback port the OAuth callback listens on (0: any free port).
    #[arg(long, default_value_t = 0)]
    callback_port: u16,
    /// Let the host reach servers on 127.0.0.1 (a simulator). For development only.
    #[arg(long, env = "WEFT_ALLOW_LOOPBACK", value_parser = clap::builder::FalseyValueParser::new())]
    allow_loopback: bool,
}

#[derive(Subcommand)]
pub(crate) enum ConnectionsCommand {
    /// List stored connections (never their secrets).
    List,
    /// Make one cheap call with a connection and say whether it works.
    Test {
        /// The connector component (.wasm) the connection is for.
        component: PathBuf,
        /// The connection's name.
        name: String,
        #[arg(long, env = "WEFT_ALLOW_LOOPBACK", value_parser = clap::builder::FalseyValueParser::new())]
        allow_loopback: bool,
    },
    /// Remove a stored connection.
    Remove { name: String },
}

pub(crate) async fn connect(g: &Global, args: &ConnectArgs) -> Result<(), String> {
    let host = g.open_host(args.allow_loopback).await?;
    let connector = crate::progress::load(host.runtime(), &args.component).await?;
    let connections = host.connections();
    let info = if args.oauth {
        oauth_flow(g, args, connections, &connector.manifest).await?
    } else {
        let var = args
            .token_env
            .as_deref()
            .ok_or("give --oauth, or --token-env VAR naming the variable that holds the token")?;
        let token = std::env::var(var).map_err(|_| format!("the environment variable `{var}` is not set"))?;
        let kind = args.token_kind.as_deref();
        let kind = kind.unwrap_or_else(|| weft::connections::token_kind(None, args.location_id.is_some()));
        let facts = json!({ "locationId": args.location_id, "companyId": args.company_id, "tokenKind": kind });
        connections
            .create_token(NewTokenConnection {
                workspace: &g.workspace,
                name: &args.name,
                manifest: &connector.manifest,
                base_url: args.base_url.as_deref(),
                facts,
                token: Secret::new(token),
            })
            .await
            .map_err(|e| e.to_string())?
    };
    println!("{}", serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?);
    Ok(())
}

/// Prints the authorize URL, waits on a loopback callback for the code, and
/// completes the authorization.
async fn oauth_flow(
    g: &Global,
    args: &ConnectArgs,
    connections: &Arc<Connections>,
    manifest: &weft::ConnectorManifest,
) -> Result<weft::connections::ConnectionInfo, String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.callback_port))
        .await
        .map_err(|e| format!("cannot listen for the OAuth callback on 127.0.0.1:{}: {e}", args.callback_port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let url = connections
        .begin_oauth(&g.workspace, &args.name, manifest, args.base_url.as_deref(), &redirect_uri)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!("Open this URL in a browser to connect (waiting up to 10 minutes; redirect URI {redirect_uri}):");
    println!("{url}");
    let (tx, mut rx) = mpsc::channel::<HashMap<String, String>>(1);
    let app = axum::Router::new().route(
        "/callback",
        get(move |Query(query): Query<HashMap<String, String>>| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(query).await;
                "weft: you can close this tab and return to the terminal."
            }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let query = tokio::time::timeout(OAUTH_WAIT, rx.recv()).await;
    server.abort();
    let query = query
        .map_err(|_| "no answer from the browser within 10 minutes; run `weft connect` again".to_string())?
        .ok_or("the callback server stopped")?;
    if let Some(error) = query.get("error") {
        return Err(format!("the authorization was refused: {error}"));
    }
    let state = query.get("state").ok_or("the callback has no state; start connecting again")?;
    let code = query.get("code").ok_or("the callback has no code; start connecting again")?;
    let lookup = |id: &str| (id == manifest.id).then(|| manifest.clone());
    connections.complete_oauth(&lookup, state, code).await.map_err(|e| e.to_string())
}

pub(crate) async fn connections(g: &Global, command: ConnectionsCommand) -> Result<(), String> {
    match command {
        ConnectionsCommand::List => {
            let list = g.open_host(false).await?.connections().list(&g.workspace).await.map_err(|e| e.to_string())?;
            println!("{}", serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?);
            Ok(())
        }
        ConnectionsCommand::Remove { name } => {
            let host = g.open_host(false).await?;
            host.connections().remove(&g.workspace, &name).await.map_err(|e| e.to_string())?;
            eprintln!("removed connection `{name}`");
            Ok(())
        }
        ConnectionsCommand::Test { component, name, allow_loopback } => {
            test(g, &component, &name, allow_loopback).await
        }
    }
}

async fn test(g: &Global, component: &Path, name: &str, allow_loopback: bool) -> Result<(), String> {
    let host = g.open_host(allow_loopback).await?;
    let runtime = host.runtime();
    let connector = crate::progress::load(runtime, component).await?;
    let connections = host.connections();
    let test = connector
        .manifest
        .connection_test
        .clone()
        .ok_or_else(|| format!("{} declares no connection test", connector.manifest.id))?;
    let connection = connections.for_call(&g.workspace, name, &connector.manifest).await.map_err(|e| e.to_string())?;
    match runtime.execute(&connector, &connection, &test.action, &test.input).await {
        Ok(_) => {
            println!("ok: `{name}` works ({} answered)", test.action);
            Ok(())
        }
        Err(e) => Err(format!("`{name}` does not work [{}]: {e}", e.code())),
    }
}
