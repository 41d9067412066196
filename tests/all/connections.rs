//! Connections: OAuth with single-use refresh tokens, private integration
//! tokens, secrets sealed at rest, and key rotation, against the simulator's
//! token endpoint.

use crate::support::*;
use serde_json::json;
use std::sync::Arc;
use weft::connections::{Connections, NewTokenConnection, OAuthApp};
use weft::store::ConnectionStatus;
use weft::{CallError, ConnectorSettings, HostConfig, LoadedConnector, Runtime, Secret};

const CLIENT_ID: &str = "weft-e2e-client";
const CLIENT_SECRET: &str = "weft-e2e-client-secret";
const GHL: &str = "ghl-social-planner";

pub(crate) struct OAuthWorld {
    pub world: World,
    pub runtime: Arc<Runtime>,
    pub connections: Arc<Connections>,
    pub ghl: Arc<LoadedConnector>,
    _data: tempfile::TempDir,
}

fn config(world: &World) -> HostConfig {
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    config.concurrency = 64;
    let app = OAuthApp {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        authorize_url: Some(format!("{}/oauth/chooselocation", world.sim.base_url())),
        token_url: None,
    };
    config.connectors.insert(GHL.into(), ConnectorSettings { oauth: Some(app), ..Default::default() });
    config
}

impl OAuthWorld {
    pub(crate) async fn new() -> OAuthWorld {
        let world = World::new().await;
        world.sim.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
        let data = tempfile::tempdir().expect("data dir");
        let mut config = config(&world);
        config.data_dir = Some(data.path().to_path_buf());
        let host = weft::Host::open(config).await.expect("host");
        let (runtime, connections) = (host.runtime().clone(), host.connections().clone());
        let ghl = host.load(component()).await.expect("ghl");
        OAuthWorld { world, runtime, connections, ghl, _data: data }
    }

    /// Goes through the authorization as a user would, with these scopes granted.
    pub(crate) async fn connect(&self, name: &str, scopes: &[&str]) {
        let url = self
            .connections
            .begin_oauth("default", name, &self.ghl.manifest, Some(&self.world.sim.base_url()), "http://127.0.0.1:9/cb")
            .await
            .expect("begin");
        let state = url::Url::parse(&url)
            .expect("authorize URL")
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("a state in the URL");
        let code = self.world.sim.sim.issue_code(CLIENT_ID, LOCATION, scopes.iter().copied());
        let manifest = self.ghl.manifest.clone();
        let lookup = move |id: &str| (id == manifest.id).then(|| manifest.clone());
        let info = self.connections.complete_oauth(&lookup, &state, &code).await.expect("complete");
        assert_eq!(info.facts["locationId"], LOCATION);
    }

    pub(crate) async fn call(&self, name: &str) -> Result<serde_json::Value, CallError> {
        let conn = self.connections.for_call("default", name, &self.ghl.manifest).await.expect("connection");
        self.runtime.execute(&self.ghl, &conn, "find-tags", &json!({"limit": 1})).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_calls_on_an_expired_token_refresh_once_and_all_succeed() {
    let ow = Arc::new(OAuthWorld::new().await);
    ow.connect("main", &SCOPES).await;
    ow.call("main").await.expect("works before expiry");
    ow.world.sim.sim.expire_all_access_tokens();

    let calls: Vec<_> = (0..50)
        .map(|_| {
            let ow = ow.clone();
            tokio::spawn(async move { ow.call("main").await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("every call succeeds");
    }
    let stats = ow.world.sim.sim.oauth_stats();
    assert_eq!(stats.refresh_calls, 1, "one refresh for fifty calls: {stats:?}");
    assert_eq!(stats.reused_refresh_tokens, 0);

    // A second expiry: the rotated refresh token is used, never the spent one.
    ow.world.sim.sim.expire_all_access_tokens();
    ow.call("main").await.expect("works after a second refresh");
    let stats = ow.world.sim.sim.oauth_stats();
    assert_eq!((stats.refresh_calls, stats.refresh_successes, stats.reused_refresh_tokens), (2, 2, 0), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_asks_the_user_to_reconnect_and_stops_refreshing() {
    let ow = OAuthWorld::new().await;
    ow.connect("main", &SCOPES).await;
    let tokens = ow.world.sim.sim.tokens_for(LOCATION).expect("tokens issued");
    assert!(ow.world.sim.sim.revoke_refresh_token(&tokens.refresh_token));
    ow.world.sim.sim.expire_all_access_tokens();

    let err = ow.call("main").await.expect_err("the grant is gone");
    assert_eq!(err.code(), weft::ErrorCode::ReconnectRequired, "{err}");
    assert!(err.to_string().contains("connect the account again"), "{err}");
    let info = ow.connections.get("default", "main").await.expect("info");
    assert_eq!(info.status, ConnectionStatus::ReconnectRequired);
    assert!(info.status_message.as_deref().unwrap_or("").contains("connect the account again"));

    let refreshes = ow.world.sim.sim.oauth_stats().refresh_calls;
    let again = ow.call("main").await.expect_err("still needs reconnecting");
    assert_eq!(again.code(), weft::ErrorCode::ReconnectRequired);
    assert_eq!(ow.world.sim.sim.oauth_stats().refresh_calls, refreshes, "no refresh is retried after invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_scope_is_reported_and_never_refreshed() {
    let ow = OAuthWorld::new().await;
    ow.connect("narrow", &["socialplanner/account.readonly"]).await;
    let err = ow.call("narrow").await.expect_err("no tag scope");
    assert_eq!(err.code(), weft::ErrorCode::MissingScope, "{err}");
    assert!(err.to_string().contains("socialplanner/tag.readonly"), "names the scope: {err}");
    assert_eq!(ow.world.sim.sim.oauth_stats().refresh_calls, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_location_keeps_the_tokens_and_works_again_later() {
    let ow = OAuthWorld::new().await;
    ow.connect("main", &SCOPES).await;
    ow.world.sim.sim.set_location_active(LOCATION, false);
    ow.world.sim.sim.expire_all_access_tokens();
    let err = ow.call("main").await.expect_err("inactive");
    assert_eq!(err.code(), weft::ErrorCode::Transient, "{err}");
    assert!(err.to_string().contains("Location is not active"), "{err}");
    assert_eq!(ow.connections.get("default", "main").await.expect("info").status, ConnectionStatus::Active);

    ow.world.sim.sim.set_location_active(LOCATION, true);
    ow.call("main").await.expect("the same refresh token works once the location is active");
    assert_eq!(ow.world.sim.sim.oauth_stats().reused_refresh_tokens, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_integration_token_is_a_connection_too() {
    let ow = OAuthWorld::new().await;
    ow.connections
        .create_token(NewTokenConnection {
            workspace: "default",
            name: "pit",
            manifest: &ow.ghl.manifest,
            base_url: Some(&ow.world.sim.base_url()),
            facts: json!({ "locationId": LOCATION }),
            token: Secret::new(TOKEN),
        })
        .await
        .expect("store token");
    ow.call("pit").await.expect("works");
    let listed = ow.connections.list("default").await.expect("list");
    let text = serde_json::to_string(&listed).expect("json");
    assert!(!text.contains(TOKEN), "a listing never shows secrets: {text}");
}

/// Everything a user does from the shell, with the logs captured; then no
/// token may appear in the database files or the logs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_connects_rotates_keys_and_never_writes_a_token_in_plaintext() {
    let world = World::new().await;
    world.sim.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
    let data = tempfile::tempdir().expect("data dir");
    let config_file = data.path().join("weft.toml");
    std::fs::write(
        &config_file,
        format!(
            "[connectors.{GHL}.oauth]\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\nauthorize_url = \"{}/oauth/chooselocation\"\n",
            world.sim.base_url()
        ),
    )
    .expect("config");
    world.sim.sim.register_consent(ghl_sim::Consent::location(LOCATION));
    let data_dir = data.path().join("data");
    let comp = component().to_str().expect("utf-8").to_string();
    let base = world.sim.base_url();
    let common = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend([
            "--data-dir".into(),
            data_dir.display().to_string(),
            "--config".into(),
            config_file.display().to_string(),
        ]);
        args
    };
    let env = [("RUST_LOG", "debug"), ("WEFT_ALLOW_LOOPBACK", "1")];
    let mut logs = String::new();

    // A private integration token.
    let pit = weft_with(
        &common(&[
            "connect",
            &comp,
            "--name",
            "pit",
            "--token-env",
            "GHL_TOKEN",
            "--base-url",
            &base,
            "--location-id",
            LOCATION,
        ])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
        TOKEN,
        &env,
    )
    .await;
    logs.push_str(&stderr(&pit));
    assert!(pit.status.success(), "{}", stderr(&pit));

    // OAuth: the browser is played by an HTTP client that does not follow redirects.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(common(&["connect", &comp, "--name", "oauth", "--oauth", "--base-url", &base]))
        .envs(env)
        .stdout(std::process::Stdio::piped())
        // A file, not a pipe: nobody reads stderr until the end, and debug
        // logs would fill a pipe and stall the child.
        .stderr(std::fs::File::create(data.path().join("connect.log")).expect("log file"))
        .spawn()
        .expect("spawn weft connect --oauth");
    let mut child_out = tokio::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut url = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut child_out, &mut url).await.expect("the authorize URL");
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent = browser.get(url.trim()).send().await.expect("authorize page");
    assert_eq!(consent.status(), 302, "the simulator consents and redirects");
    let callback = consent.headers()["location"].to_str().expect("location").to_string();
    let back = browser.get(&callback).send().await.expect("callback");
    assert!(back.status().is_success());
    let done = child.wait_with_output().await.expect("weft connect finishes");
    let mut rest = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child_out, &mut rest).await.expect("rest of stdout");
    let connect_log = std::fs::read_to_string(data.path().join("connect.log")).expect("connect log");
    logs.push_str(&connect_log);
    assert!(done.status.success(), "{connect_log}");
    assert!(rest.contains(LOCATION), "the connection's facts are printed: {rest}");

    let invoke = |name: &'static str| {
        let args = common(&["invoke", &comp, "find-tags", "--connection", name]);
        async move { weft_with(&args.iter().map(String::as_str).collect::<Vec<_>>(), "unused", &env).await }
    };
    for name in ["pit", "oauth"] {
        let out = invoke(name).await;
        logs.push_str(&stderr(&out));
        assert!(out.status.success(), "{name}: {}", stderr(&out));
    }

    // Rotation re-seals everything; both connections keep working.
    let key_before = std::fs::read_to_string(data_dir.join("master.key")).expect("key file");
    let rotate =
        weft_with(&common(&["keys", "rotate"]).iter().map(String::as_str).collect::<Vec<_>>(), "x", &env).await;
    logs.push_str(&stderr(&rotate));
    assert!(rotate.status.success(), "{}", stderr(&rotate));
    assert!(stdout(&rotate).contains("re-sealed 2 secret(s)"), "{}", stdout(&rotate));
    assert_ne!(std::fs::read_to_string(data_dir.join("master.key")).expect("key file"), key_before);
    world.sim.sim.expire_all_access_tokens();
    for name in ["pit", "oauth"] {
        let out = invoke(name).await;
        logs.push_str(&stderr(&out));
        assert!(out.status.success(), "{name} after rotation: {}", stderr(&out));
    }

    let list =
        weft_with(&common(&["connections", "list"]).iter().map(String::as_str).collect::<Vec<_>>(), "x", &env).await;
    logs.push_str(&stdout(&list));
    logs.push_str(&stderr(&list));

    let issued = world.sim.sim.tokens_for(LOCATION).expect("OAuth tokens");
    let mut database = Vec::new();
    for entry in std::fs::read_dir(&data_dir).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("weft.db")) {
            database.extend(std::fs::read(&path).expect("db file"));
        }
    }
    assert!(database.len() > 4096, "the database was written");
    for secret in [TOKEN, issued.access_token.as_str(), issued.refresh_token.as_str(), CLIENT_SECRET] {
        let in_db = database.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!in_db, "a secret appears in plaintext in the database");
        assert!(!logs.contains(secret), "a secret appears in the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_test_says_what_is_wrong() {
    let world = World::new().await;
    world.sim.sim.register_token("narrow", LOCATION, ["socialplanner/account.readonly"]);
    let data = tempfile::tempdir().expect("data dir");
    let dir = data.path().display().to_string();
    let comp = component().to_str().expect("utf-8").to_string();
    let base = world.sim.base_url();
    let env = [("WEFT_ALLOW_LOOPBACK", "1"), ("WEFT_DATA_DIR", dir.as_str())];
    for (name, token) in [("good", TOKEN), ("bad", "not-a-token"), ("narrow", "narrow")] {
        let args = [
            "connect",
            &comp,
            "--name",
            name,
            "--token-env",
            "GHL_TOKEN",
            "--base-url",
            &base,
            "--location-id",
            LOCATION,
        ];
        let out = weft_with(&args, token, &env).await;
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let test = |name: &'static str| {
        let comp = comp.clone();
        async move { weft_with(&["connections", "test", &comp, name], "x", &env).await }
    };
    let good = test("good").await;
    assert!(good.status.success(), "{}", stderr(&good));
    assert!(stdout(&good).contains("ok: `good` works"));
    let bad = test("bad").await;
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("[unauthorized]"), "{}", stderr(&bad));
    let narrow = test("narrow").await;
    assert!(
        stderr(&narrow).contains("[missing-scope]") && stderr(&narrow).contains("socialplanner/tag.readonly"),
        "{}",
        stderr(&narrow)
    );
}
