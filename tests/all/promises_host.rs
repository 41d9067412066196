//! The README's promises about the sandbox, credentials, configuration, the
//! server and the CLI, each checked the way a user would see it: through the
//! real component, the real host (or the `weft` binary) and the simulator.
//!
//! - `contract`: outputs and events are checked against their schemas, every
//!   call gets a fresh instance, and the limits end calls naming themselves.
//! - `credentials`: forbidden headers, the credential only for its own
//!   origin, plain http only for the hosts the operator lists, refresh ahead
//!   of expiry.
//! - `config`: the `.cwasm` cache directory's check, `WEFT_MASTER_KEY` and
//!   every `WEFT_*` override, through the binary.
//! - `server`: every problem code over HTTP, OAuth through the server,
//!   workspaces kept apart, API keys stored hashed.
//! - `cli`: `connections remove`, `--token-kind` and `--company-id`.

mod cli;
mod config;
mod contract;
mod credentials;
mod server;

use crate::serve::Server;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The admin key of the servers these tests start.
pub(crate) const ADMIN_KEY: &str = "admin-key-of-the-promises-tests";
/// The OAuth app the simulator and the servers share.
pub(crate) const CLIENT_ID: &str = "promises-client";
pub(crate) const CLIENT_SECRET: &str = "promises-client-secret";

/// A path as a command-line argument.
pub(crate) fn arg(p: &Path) -> String {
    p.display().to_string()
}

/// A `weft serve` configuration in `dir`: the GHL component (and the hostile
/// one when asked), loopback allowed, this module's admin key, an OAuth app
/// for the social planner at `sim`, and `extra` tables appended.
pub(crate) fn serve_config(dir: &Path, sim: &str, hostile: bool, extra: &str) -> PathBuf {
    let connectors = dir.join("connectors");
    std::fs::create_dir_all(&connectors).expect("connectors dir");
    std::fs::copy(component(), connectors.join("ghl_social_planner.wasm")).expect("copy component");
    if hostile {
        std::fs::copy(weft_tests::hostile_component(), connectors.join("weft_hostile.wasm")).expect("copy hostile");
    }
    let config = dir.join("weft.toml");
    let text = format!(
        "data_dir = \"{data}\"\ncache_dir = \"{cache}\"\n\
         [server]\nlisten = \"127.0.0.1:0\"\nconnectors_dir = \"{conn}\"\nadmin_key = \"{ADMIN_KEY}\"\n\
         [egress]\nallow_loopback = true\n[scheduler]\ndev_interval_ms = 60\n\
         [connectors.ghl-social-planner.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\n\
         authorize_url = \"{sim}/oauth/chooselocation\"\n{extra}",
        data = arg(&dir.join("data")),
        cache = arg(&weft_tests::workspace_root().join("target").join("test-component-cache")),
        conn = arg(&connectors),
    );
    std::fs::write(&config, text).expect("config");
    config
}

/// Creates a workspace with the admin key and returns a new API key for it.
pub(crate) async fn workspace(server: &Server, name: &str) -> String {
    let (status, _, body) =
        server.call(Method::POST, "/v1/workspaces", Some(ADMIN_KEY), Some(json!({"name": name}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let path = format!("/v1/workspaces/{name}/api-keys");
    let (status, _, key) = server.call(Method::POST, &path, Some(ADMIN_KEY), Some(json!({"label": "promises"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    key["key"].as_str().expect("the key").to_string()
}

/// A token connection to the simulator, created over the API.
pub(crate) async fn token_connection(server: &Server, key: &str, name: &str, connector: &str, sim: &str, token: &str) {
    token_connection_at(server, key, name, connector, sim, token, LOCATION).await;
}

/// Like `token_connection`, for another location.
pub(crate) async fn token_connection_at(
    server: &Server,
    key: &str,
    name: &str,
    connector: &str,
    sim: &str,
    token: &str,
    location: &str,
) {
    let body = json!({"name": name, "connector": connector, "token": token, "baseUrl": sim, "locationId": location});
    let (status, _, created) = server.call(Method::POST, "/v1/connections", Some(key), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

/// Connects an OAuth account through the server, as a user's browser would:
/// the authorize URL, the simulator's consent, the server's callback.
pub(crate) async fn connect_oauth(server: &Server, key: &str, name: &str, sim: &str) -> Value {
    let start = json!({"name": name, "connector": "ghl-social-planner", "baseUrl": sim});
    let (status, _, started) = server.call(Method::POST, "/v1/connections/oauth", Some(key), Some(start)).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let authorize = started["authorizeUrl"].as_str().expect("an authorize URL");
    assert!(authorize.starts_with(&format!("{sim}/oauth/chooselocation?")), "{authorize}");
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent = browser.get(authorize).send().await.expect("authorize page");
    assert_eq!(consent.status(), StatusCode::FOUND, "the simulator consents and redirects");
    let callback = consent.headers()["location"].to_str().expect("location").to_string();
    assert!(callback.starts_with(&format!("{}/v1/oauth/callback?", server.url)), "{callback}");
    let back = browser.get(&callback).send().await.expect("callback");
    assert_eq!(back.status(), StatusCode::OK, "{}", back.text().await.unwrap_or_default());
    let (status, _, info) = server.call(Method::GET, &format!("/v1/connections/{name}"), Some(key), None).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    info
}

/// Runs an action over the API.
pub(crate) async fn run(
    server: &Server,
    key: &str,
    connector: &str,
    action: &str,
    body: Value,
) -> (StatusCode, String, Value) {
    let path = format!("/v1/connectors/{connector}/actions/{action}/run");
    server.call(Method::POST, &path, Some(key), Some(body)).await
}

/// A request with raw text and headers, for what `Server::call` cannot send.
pub(crate) async fn raw(
    server: &Server,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<String>,
) -> (StatusCode, String, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", server.url));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    crate::serve::answer(request).await
}

/// The answer is an RFC 9457 problem with this status and code, and a detail.
pub(crate) fn problem(answer: &(StatusCode, String, Value), status: StatusCode, code: &str) -> Result<(), String> {
    let (got, kind, body) = answer;
    let detail = body["detail"].as_str().is_some_and(|d| !d.is_empty());
    let ok = *got == status
        && kind == "application/problem+json"
        && body["code"] == code
        && body["status"] == status.as_u16()
        && detail;
    ok.then_some(()).ok_or_else(|| format!("{code}: wanted {status} problem+json, got {got} {kind:?} {body}"))
}

/// Every file of the SQLite database (with its WAL and shared memory), read.
pub(crate) fn database_bytes(data_dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(data_dir).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("weft.db")) {
            bytes.extend(std::fs::read(&path).expect("database file"));
        }
    }
    bytes
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}
