//! `weft serve` driven over HTTP only: workspaces and keys, connections,
//! subscriptions delivering to a webhook, actions, dropdowns, pausing,
//! problems for bad requests, the OpenAPI document, and a graceful stop.

use crate::sink;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const ADMIN: &str = "admin-key-for-the-e2e-test";

pub(crate) struct Server {
    pub child: tokio::process::Child,
    pub url: String,
    http: reqwest::Client,
}

/// Sends a request; returns the status, the content type and the JSON body (Null when none).
pub(crate) async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, String, Value) {
    let response = request.send().await.expect("request");
    let status = response.status();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = response.text().await.unwrap_or_default();
    (status, kind, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) fn write_config(dir: &Path) -> PathBuf {
    let connectors = dir.join("connectors");
    std::fs::create_dir_all(&connectors).expect("connectors dir");
    std::fs::copy(component(), connectors.join("ghl_social_planner.wasm")).expect("copy component");
    let config = dir.join("weft.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{data}\"\ncache_dir = \"{cache}\"\n[server]\nlisten = \"127.0.0.1:0\"\nconnectors_dir = \"{conn}\"\nadmin_key = \"{ADMIN}\"\ndrain_ms = 300\n\
             [egress]\nallow_loopback = true\n[scheduler]\ndev_interval_ms = 60\n[delivery]\nfirst_backoff_ms = 50\n{store}",
            store = crate::postgres::test_database(dir).map(|url| format!("[store]\nurl = \"{url}\"\n")).unwrap_or_default(),
            data = dir.join("data").display(),
            cache = weft_tests::workspace_root().join("target").join("test-component-cache").display(),
            conn = connectors.display(),
        ),
    )
    .expect("config");
    config
}

impl Server {
    pub(crate) async fn start(config: &Path, log: PathBuf) -> Server {
        Server::start_with_env(config, log, &[]).await
    }

    /// Starts `weft serve` with these environment variables set.
    pub(crate) async fn start_with_env(config: &Path, log: PathBuf, env: &[(&str, &str)]) -> Server {
        Server::start_with(config, log, env, &[]).await
    }

    /// Starts `weft serve` with these environment variables and these arguments after its own.
    pub(crate) async fn start_with(config: &Path, log: PathBuf, env: &[(&str, &str)], args: &[&str]) -> Server {
        // Only what this start writes counts: the log may hold earlier runs.
        let offset = std::fs::metadata(&log).map(|m| m.len() as usize).unwrap_or(0);
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(["serve", "--config", config.to_str().expect("utf-8")])
            .args(args)
            .env("RUST_LOG", "weft=info")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .kill_on_drop(true)
            .spawn()
            .expect("start weft serve");
        let mut url = None;
        for _ in 0..300 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let text = text.get(offset..).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.contains("weft serving on ")) {
                url =
                    line.split("weft serving on ").nth(1).and_then(|r| r.split_whitespace().next()).map(str::to_string);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = url.unwrap_or_else(|| {
            panic!("weft serve did not start: {}", std::fs::read_to_string(&log).unwrap_or_default())
        });
        Server { child, url, http: reqwest::Client::new() }
    }

    /// Sends a request; returns the status, the content type and the JSON body (Null when none).
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, String, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request).await
    }

    /// Creates a workspace and returns a key for it.
    pub(crate) async fn workspace(&self, name: &str) -> String {
        let (status, _, _) = self.call(Method::POST, "/v1/workspaces", Some(ADMIN), Some(json!({"name": name}))).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _, key) = self
            .call(Method::POST, &format!("/v1/workspaces/{name}/api-keys"), Some(ADMIN), Some(json!({"label": "e2e"})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        key["key"].as_str().expect("the key").to_string()
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Kills the process with SIGKILL, as a crash would: nothing is finished or handed back.
    pub(crate) async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        let _ = self.child.wait().await;
    }

    pub(crate) async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running");
        let _ = std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("stops within 30 s")
            .expect("status")
    }
}

fn assert_problem(status: StatusCode, kind: &str, body: &Value, want_status: StatusCode, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(kind, "application/problem+json", "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], want_status.as_u16());
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_life_cycle_over_http() {
    let world = World::new().await;
    let account = world.sim.sim.add_account(
        LOCATION,
        ghl_sim::NewAccount { name: "Acme page".into(), platform: "facebook".into(), ..Default::default() },
    );
    world.create_tags(&["existing"]);
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&write_config(dir.path()), dir.path().join("serve.log")).await;
    let (sink, hook) = sink::start().await;

    for path in ["/healthz", "/readyz"] {
        assert_eq!(server.call(Method::GET, path, None, None).await.0, StatusCode::OK, "{path}");
    }
    let key = server.workspace("acme").await;
    let other = server.workspace("other").await;
    let k = Some(key.as_str());

    let (status, _, list) = server.call(Method::GET, "/v1/connectors", k, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], "ghl-social-planner");
    let (_, _, trigger) = server.call(Method::GET, "/v1/connectors/ghl-social-planner/triggers/new-tag", k, None).await;
    assert_eq!(trigger["inputSchema"]["type"], "object");

    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    let (status, _, created) = server.call(Method::POST, "/v1/connections", k, Some(conn)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(!created.to_string().contains(TOKEN), "the token is never shown");
    let (status, _, tested) = server.call(Method::POST, "/v1/connections/pit/test", k, None).await;
    assert_eq!((status, tested["ok"].clone()), (StatusCode::OK, json!(true)), "{tested}");

    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": hook});
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", k, Some(sub)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["webhookSecret"].as_str().expect("a signing secret").to_string();
    assert!(
        wait_until(async || server.call(Method::GET, "/v1/subscriptions/tags", k, None).await.2["seeded"] == true)
            .await
    );

    world.create_tags(&["from the api"]);
    assert!(wait_until(async || !sink.all().is_empty()).await, "the event reached the webhook");
    let got = &sink.all()[0];
    assert_eq!(got.body["data"]["tag"], "from the api");
    let header = got.signature.as_deref().expect("signed");
    let t: i64 = header.split(',').next().and_then(|p| p.strip_prefix("t=")).and_then(|t| t.parse().ok()).expect("t");
    assert_eq!(header, weft::subscriptions::sign(secret.as_bytes(), t, &got.raw));

    let (_, _, page) = server.call(Method::GET, "/v1/subscriptions/tags/events?after=0", k, None).await;
    assert_eq!(page["events"].as_array().map(Vec::len), Some(1), "{page}");
    let (_, _, deliveries) =
        server.call(Method::GET, "/v1/subscriptions/tags/deliveries?status=delivered", k, None).await;
    assert_eq!(deliveries.as_array().map(Vec::len), Some(1), "{deliveries}");

    let run = json!({"connection": "pit", "input": {"searchText": "api"}});
    let (status, _, out) =
        server.call(Method::POST, "/v1/connectors/ghl-social-planner/actions/find-tags/run", k, Some(run)).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["output"]["tags"][0]["tag"], "from the api");
    let ask = json!({"key": "get-statistics", "field": "profileIds", "connection": "pit"});
    let (_, _, choices) = server.call(Method::POST, "/v1/connectors/ghl-social-planner/options", k, Some(ask)).await;
    assert_eq!(choices[0]["value"], account.profile_id, "{choices}");

    let (_, _, paused) = server.call(Method::POST, "/v1/subscriptions/tags/pause", k, None).await;
    assert_eq!(paused["state"], "paused");
    world.create_tags(&["while paused"]);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sink.all().len(), 1, "nothing is delivered while paused");
    let (_, _, resumed) = server.call(Method::POST, "/v1/subscriptions/tags/resume", k, None).await;
    assert_eq!(resumed["state"], "active");
    assert!(wait_until(async || sink.all().len() == 2).await, "delivered after resuming");

    let (status, _, _) = server.call(Method::DELETE, "/v1/subscriptions/tags", k, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, kind, body) = server.call(Method::GET, "/v1/subscriptions/tags", k, None).await;
    assert_problem(status, &kind, &body, StatusCode::NOT_FOUND, "not-found");

    let (_, _, metrics_text) = (
        StatusCode::OK,
        (),
        reqwest::get(format!("{}/metrics", server.url)).await.expect("metrics").text().await.expect("text"),
    );
    assert!(
        metrics_text.contains("weft_polls_total") && metrics_text.contains("weft_deliveries_total"),
        "{metrics_text}"
    );
    let _ = other;
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_problems_and_change_nothing() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&write_config(dir.path()), dir.path().join("serve.log")).await;
    let key = server.workspace("acme").await;
    let other = server.workspace("other").await;
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    assert_eq!(server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await.0, StatusCode::CREATED);

    let (s, k, b) = server.call(Method::GET, "/v1/connections", None, None).await;
    assert_problem(s, &k, &b, StatusCode::UNAUTHORIZED, "missing-api-key");
    let (s, k, b) = server.call(Method::GET, "/v1/connections", Some("weft_not_a_key"), None).await;
    assert_problem(s, &k, &b, StatusCode::UNAUTHORIZED, "invalid-api-key");
    let (s, k, b) = server.call(Method::GET, "/v1/connections/pit", Some(&other), None).await;
    assert_problem(s, &k, &b, StatusCode::NOT_FOUND, "not-found");
    let (s, _, listed) = server.call(Method::GET, "/v1/connections", Some(&other), None).await;
    assert_eq!((s, listed), (StatusCode::OK, json!([])), "another workspace sees nothing");
    let (s, k, b) = server.call(Method::DELETE, "/v1/connections/pit", Some(&other), None).await;
    assert_problem(s, &k, &b, StatusCode::NOT_FOUND, "not-found");

    let raw = reqwest::Client::new()
        .post(format!("{}/v1/subscriptions", server.url))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{\"name\": \"tags\", ")
        .send()
        .await
        .expect("request");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    let kind = raw.headers()["content-type"].to_str().expect("type").to_string();
    let body: Value = raw.json().await.expect("json");
    assert_problem(StatusCode::BAD_REQUEST, &kind, &body, StatusCode::BAD_REQUEST, "malformed-json");

    let bad_input = json!({"name": "x", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit",
        "destination": "pull", "input": {"nameContains": 3}});
    let (s, k, b) = server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(bad_input)).await;
    assert_problem(s, &k, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    assert!(b["detail"].as_str().unwrap_or("").contains("/nameContains"), "{b}");
    let run = json!({"connection": "pit", "input": {"limit": 500}});
    let (s, k, b) = server
        .call(Method::POST, "/v1/connectors/ghl-social-planner/actions/find-tags/run", Some(&key), Some(run))
        .await;
    assert_problem(s, &k, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    assert_eq!(b["field"], "/limit");

    let (_, _, subs) = server.call(Method::GET, "/v1/subscriptions", Some(&key), None).await;
    assert_eq!(subs, json!([]), "nothing was created");
    let (_, _, conns) = server.call(Method::GET, "/v1/connections", Some(&key), None).await;
    assert_eq!(conns.as_array().map(Vec::len), Some(1), "the connection is untouched");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_valid_and_covers_every_route() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&write_config(dir.path()), dir.path().join("serve.log")).await;
    let (status, _, doc) = server.call(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
    let parsed: Result<oas3::OpenApiV3Spec, _> = oas3::from_json(doc.to_string());
    assert!(parsed.is_ok(), "the document parses as OpenAPI 3.1: {:?}", parsed.err());
    let paths: Vec<&str> = doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
    for path in [
        "/v1/workspaces",
        "/v1/workspaces/{workspace}/api-keys",
        "/v1/connectors",
        "/v1/connectors/{id}",
        "/v1/connectors/{id}/triggers/{key}",
        "/v1/connectors/{id}/actions/{key}",
        "/v1/connectors/{id}/actions/{key}/run",
        "/v1/connectors/{id}/options",
        "/v1/connections",
        "/v1/connections/oauth",
        "/v1/oauth/callback",
        "/v1/connections/{name}",
        "/v1/connections/{name}/test",
        "/v1/subscriptions",
        "/v1/subscriptions/{name}",
        "/v1/subscriptions/{name}/pause",
        "/v1/subscriptions/{name}/resume",
        "/v1/subscriptions/{name}/events",
        "/v1/subscriptions/{name}/deliveries",
        "/v1/subscriptions/{name}/deliveries/replay",
        "/v1/mcp/exposure",
    ] {
        assert!(paths.contains(&path), "{path} is missing from the document");
    }
    // Every $ref points at a schema the document has.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(doc["components"]["schemas"].get(name).is_some(), "dangling $ref to {name}");
    }
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_goes_unready_first_and_finishes_the_poll_and_delivery_in_flight() {
    let world = World::new().await;
    world.create_tags(&["first"]);
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(dir.path());
    // A drain long enough to see readiness down while the API still answers.
    let text = std::fs::read_to_string(&config).expect("config").replace("drain_ms = 300", "drain_ms = 2000");
    std::fs::write(&config, text).expect("config");
    let log = dir.path().join("serve.log");
    let (sink, hook) = sink::start().await;
    // The receiver takes its time: the first delivery is in flight when the signal lands.
    sink.delay_ms.store(2_000, std::sync::atomic::Ordering::SeqCst);
    let server = Server::start(&config, log.clone()).await;
    let key = server.workspace("acme").await;
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    assert_eq!(server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await.0, StatusCode::CREATED);
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit",
        "destination": hook, "start": "all"});
    assert_eq!(server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub)).await.0, StatusCode::CREATED);
    assert!(wait_until(async || sink.all().len() == 1).await, "the first delivery reached the receiver");

    // And the API answers slowly: the next poll is in flight too.
    world.create_tags(&["second"]);
    world.sim.sim.push_faults([ghl_sim::Fault::delay(Duration::from_millis(2_000))], None).expect("fault");
    assert!(wait_until(async || world.sim.sim.pending_faults() == 0).await, "a poll is waiting on the API");

    let pid = server.child.id().expect("running").to_string();
    let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
    let unready = async || server.call(Method::GET, "/readyz", None, None).await.0 == StatusCode::SERVICE_UNAVAILABLE;
    assert!(wait_until(unready).await, "readiness goes down first, while the API still answers");
    let mut server = server;
    let status =
        tokio::time::timeout(Duration::from_secs(30), server.child.wait()).await.expect("stops").expect("status");
    assert!(status.success(), "a graceful stop exits 0: {status}");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let order = ["not ready; draining", "finishing the polls in flight"];
    let at: Vec<Option<usize>> = order.iter().map(|line| text.find(line)).collect();
    assert!(at.iter().all(Option::is_some) && at[0] < at[1], "unready, then the stop:\n{text}");

    // Both finished: the delivery in flight is not made again, and the
    // poll in flight committed "second", which goes out after the restart.
    sink.delay_ms.store(0, std::sync::atomic::Ordering::SeqCst);
    let server = Server::start(&config, log).await;
    assert!(wait_until(async || sink.tag_names().len() == 2).await, "{:?}", sink.tag_names());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let keys: Vec<String> = sink.all().into_iter().map(|r| r.idempotency_key).collect();
    let distinct: std::collections::HashSet<&String> = keys.iter().collect();
    assert_eq!(keys.len(), 2, "nothing was delivered twice: {keys:?}");
    assert_eq!(distinct.len(), 2);
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_component_is_skipped_and_a_new_version_is_picked_up_without_losing_state() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(dir.path());
    let connectors = dir.path().join("connectors");
    std::fs::write(connectors.join("broken.wasm"), b"not a component").expect("broken file");

    let check = weft_with(&["serve", "--config", config.to_str().expect("utf-8"), "--check"], TOKEN, &[]).await;
    assert!(check.status.success(), "{}", stderr(&check));
    let report = stdout(&check);
    assert!(report.contains("connector ok: ghl-social-planner"), "{report}");
    assert!(report.contains("connector skipped:") && report.contains("broken.wasm"), "{report}");

    let log = dir.path().join("serve.log");
    let server = Server::start(&config, log.clone()).await;
    let (sink, hook) = sink::start().await;
    let key = server.workspace("acme").await;
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    assert_eq!(server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await.0, StatusCode::CREATED);
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": hook});
    assert_eq!(server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub)).await.0, StatusCode::CREATED);
    assert!(
        wait_until(
            async || server.call(Method::GET, "/v1/subscriptions/tags", Some(&key), None).await.2["seeded"] == true
        )
        .await
    );
    world.create_tags(&["before the upgrade"]);
    assert!(wait_until(async || sink.all().len() == 1).await);

    let upgraded = crate::subscriptions::new_build_of(component(), dir.path());
    std::fs::copy(&upgraded, connectors.join("ghl_social_planner.wasm")).expect("replace the component");
    assert!(
        wait_until(async || std::fs::read_to_string(&log).unwrap_or_default().contains("loaded a new version")).await,
        "the new file is picked up"
    );
    world.create_tags(&["after the upgrade"]);
    assert!(wait_until(async || sink.all().len() == 2).await, "{:?}", sink.all());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.tag_names(), ["before the upgrade", "after the upgrade"].map(String::from).into());
    assert_eq!(sink.all().len(), 2, "nothing re-seeded or redelivered");
    assert!(server.terminate().await.success());
}

/// Starts a server with `log_format` in its config (or none) and `env`, makes
/// a call that fails and one that works, stops it, and returns what it logged.
async fn log_of_a_run(log_format: Option<&str>, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(dir.path());
    if let Some(format) = log_format {
        let text = std::fs::read_to_string(&config).expect("config");
        let text = text.replace("[server]\n", &format!("[server]\nlog_format = \"{format}\"\n"));
        std::fs::write(&config, text).expect("config");
    }
    let log = dir.path().join("serve.log");
    let server = Server::start_with_env(&config, log.clone(), env).await;
    let (status, _, _) = server.call(Method::GET, "/v1/connectors", Some("not-a-key"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = server.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(server.terminate().await.success());
    std::fs::read_to_string(&log).expect("log")
}

fn assert_json_lines(log: &str) {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 3, "a start, a request and a stop are logged:\n{log}");
    for line in &lines {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON object ({e}): {line}"));
        assert!(value.get("level").is_some() && value.get("timestamp").is_some(), "{line}");
        assert!(value.get("message").and_then(Value::as_str).is_some(), "{line}");
    }
    assert!(lines.iter().any(|l| l.contains("weft serving on http://")), "the address is logged:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_from_the_config_or_the_environment() {
    assert_json_lines(&log_of_a_run(Some("json"), &[]).await);
    assert_json_lines(&log_of_a_run(None, &[("WEFT_LOG_FORMAT", "json")]).await);
    let plain = log_of_a_run(None, &[]).await;
    assert!(plain.contains("weft serving on http://"), "{plain}");
    assert!(!plain.contains('\u{1b}'), "no colour codes when stderr is not a terminal:\n{plain}");
    assert!(serde_json::from_str::<Value>(plain.lines().next().unwrap_or_default()).is_err(), "plain by default");
}

/// A request with a raw `Authorization` header value and body text.
async fn raw(
    server: &Server,
    method: Method,
    path: &str,
    auth: Option<&str>,
    body: Option<String>,
) -> (StatusCode, String, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", server.url));
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    answer(request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_caller_controls_is_bounded_and_refused_in_words() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&write_config(dir.path()), dir.path().join("serve.log")).await;
    let key = server.workspace("acme").await;

    // The scheme of `Authorization` is case-insensitive.
    let (s, _, _) = raw(&server, Method::GET, "/v1/connections", Some(&format!("bearer {key}")), None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = raw(&server, Method::GET, "/v1/connections", Some(&format!("BEARER {key}")), None).await;
    assert_eq!(s, StatusCode::OK);

    // A body over the limit is a 413 problem; a method a route does not take, a 405 problem.
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 << 20));
    let (s, k, b) = raw(&server, Method::POST, "/v1/connections", Some(&format!("Bearer {key}")), Some(big)).await;
    assert_problem(s, &k, &b, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    let (s, k, b) = raw(&server, Method::PUT, "/v1/connections", Some(&format!("Bearer {key}")), None).await;
    assert_problem(s, &k, &b, StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");

    // Names follow one rule.
    let conn = |name: &str| json!({"name": name, "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    let (s, k, b) = server.call(Method::POST, "/v1/connections", Some(&key), Some(conn("a b/c"))).await;
    assert_problem(s, &k, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    assert!(b["detail"].as_str().unwrap_or("").contains("not a valid connection name"), "{b}");
    assert_eq!(
        server.call(Method::POST, "/v1/connections", Some(&key), Some(conn("pit"))).await.0,
        StatusCode::CREATED
    );
    let sub = |name: &str, destination: &str| json!({"name": name, "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": destination});
    let (s, k, b) = server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub("../x", "pull"))).await;
    assert_problem(s, &k, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    assert!(b["detail"].as_str().unwrap_or("").contains("not a valid subscription name"), "{b}");

    // A webhook on an address deliveries may not reach is refused when it is created.
    for (destination, says) in [
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.0.0.8/hook", "private"),
        ("https://[fd00::1]/hook", "unique local"),
    ] {
        let (s, k, b) =
            server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub("tags", destination))).await;
        assert_problem(s, &k, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
        assert_eq!(b["field"], "/destination", "{b}");
        assert!(b["detail"].as_str().unwrap_or("").contains(says), "{destination}: {b}");
    }
    let (_, _, subs) = server.call(Method::GET, "/v1/subscriptions", Some(&key), None).await;
    assert_eq!(subs, json!([]), "nothing was created");

    // Every admin route answers 404 for a workspace that does not exist.
    for (method, path) in [
        (Method::GET, "/v1/workspaces/nobody/api-keys"),
        (Method::POST, "/v1/workspaces/nobody/api-keys"),
        (Method::DELETE, "/v1/workspaces/nobody/api-keys/0123456789abcdef"),
    ] {
        let body = (method == Method::POST).then(|| json!({}));
        let (s, k, b) = server.call(method.clone(), path, Some(ADMIN), body).await;
        assert_problem(s, &k, &b, StatusCode::NOT_FOUND, "not-found");
    }

    // API keys are listed, expire, and stop working at once when revoked.
    let (s, k, b) = server
        .call(
            Method::POST,
            "/v1/workspaces/acme/api-keys",
            Some(ADMIN),
            Some(json!({"expiresAt": "2020-01-01T00:00:00Z"})),
        )
        .await;
    assert_problem(s, &k, &b, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input");
    assert_eq!(b["field"], "/expiresAt");
    let soon = jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_secs(2)).expect("time").to_string();
    let (s, _, short) = server
        .call(
            Method::POST,
            "/v1/workspaces/acme/api-keys",
            Some(ADMIN),
            Some(json!({"label": "short", "expiresAt": soon})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{short}");
    let short_key = short["key"].as_str().expect("key").to_string();
    assert_eq!(server.call(Method::GET, "/v1/connections", Some(&short_key), None).await.0, StatusCode::OK);
    let (_, _, listed) = server.call(Method::GET, "/v1/workspaces/acme/api-keys", Some(ADMIN), None).await;
    let ids: Vec<&str> = listed.as_array().expect("keys").iter().filter_map(|k| k["id"].as_str()).collect();
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(!listed.to_string().contains(&key) && !listed.to_string().contains(&short_key), "no secret is listed");
    let first = ids.iter().find(|id| **id != short["id"]).expect("the first key").to_string();
    let (s, _, _) =
        server.call(Method::DELETE, &format!("/v1/workspaces/acme/api-keys/{first}"), Some(ADMIN), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, k, b) = server.call(Method::GET, "/v1/connections", Some(&key), None).await;
    assert_problem(s, &k, &b, StatusCode::UNAUTHORIZED, "invalid-api-key");
    let (s, k, b) =
        server.call(Method::DELETE, &format!("/v1/workspaces/acme/api-keys/{first}"), Some(ADMIN), None).await;
    assert_problem(s, &k, &b, StatusCode::NOT_FOUND, "not-found");
    let (_, _, listed) = server.call(Method::GET, "/v1/workspaces/acme/api-keys", Some(ADMIN), None).await;
    assert!(
        listed.as_array().expect("keys").iter().any(|k| k["id"] == first.as_str() && k["revokedAt"].is_string()),
        "{listed}"
    );
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (s, k, b) = server.call(Method::GET, "/v1/connections", Some(&short_key), None).await;
    assert_problem(s, &k, &b, StatusCode::UNAUTHORIZED, "invalid-api-key");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_hostile_calls_at_once_leave_the_server_answering_well_behaved_ones() {
    let world = World::new().await;
    world.create_tags(&["good"]);
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(dir.path());
    std::fs::copy(weft_tests::hostile_component(), dir.path().join("connectors/weft_hostile.wasm")).expect("copy");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, format!("{text}[limits]\ncpu_ms = 1000\ncall_timeout_ms = 5000\nrequests_per_call = 50\n"))
        .expect("config");
    let server = std::sync::Arc::new(Server::start(&config, dir.path().join("serve.log")).await);
    let key = server.workspace("acme").await;
    for connector in ["ghl-social-planner", "weft-hostile"] {
        let conn = json!({"name": connector, "connector": connector, "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
        assert_eq!(server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await.0, StatusCode::CREATED);
    }
    let good = |server: std::sync::Arc<Server>, key: String| async move {
        let started = std::time::Instant::now();
        let (status, _, body) = server
            .call(
                Method::POST,
                "/v1/connectors/ghl-social-planner/actions/find-tags/run",
                Some(&key),
                Some(json!({"connection": "ghl-social-planner", "input": {"limit": 1}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        started.elapsed()
    };
    let mut quiet = Vec::new();
    for _ in 0..5 {
        quiet.push(good(server.clone(), key.clone()).await);
    }
    let attacks =
        ["infinite-loop", "memory-bomb", "fields-flood", "huge-request-body", "deep-recursion", "huge-output"];
    let mut hostile = tokio::task::JoinSet::new();
    for i in 0..32 {
        let (server, key, action) = (server.clone(), key.clone(), attacks[i % attacks.len()]);
        hostile.spawn(async move {
            let path = format!("/v1/connectors/weft-hostile/actions/{action}/run");
            let body = json!({"connection": "weft-hostile", "input": {}});
            server.call(Method::POST, &path, Some(&key), Some(body)).await
        });
    }
    let mut busy = Vec::new();
    for _ in 0..10 {
        busy.push(good(server.clone(), key.clone()).await);
    }
    while let Some(done) = hostile.join_next().await {
        let (status, kind, body) = done.expect("attack task");
        assert_eq!(kind, "application/problem+json", "{body}");
        assert!(status.is_client_error() || status.is_server_error(), "{status}: {body}");
    }
    let slowest = busy.iter().max().copied().unwrap_or_default();
    let usual = quiet.iter().max().copied().unwrap_or_default();
    eprintln!("well-behaved find-tags: quiet max {usual:?}, beside 32 attacks max {slowest:?} ({busy:?})");
    // Generous: on two shared cores the attacks take their CPU share, but a
    // well-behaved call never waits for a hostile one to end.
    assert!(slowest < Duration::from_secs(3), "a well-behaved call took {slowest:?} beside the attacks");
    let (status, _, _) = server.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK, "still up");
    let server = std::sync::Arc::try_unwrap(server).ok().expect("one owner");
    assert!(server.terminate().await.success());
}

/// schemathesis, from PyPI, as `scripts/test.sh` installs it (pinned).
fn schemathesis() -> PathBuf {
    installed_tool("WEFT_SCHEMATHESIS", ".cache/weft/schemathesis/bin/st", "schemathesis")
}

/// The API answers as its OpenAPI document says: schemathesis generates
/// requests from the document (valid and invalid ones, and sequences of
/// them), and every answer's status and body must be documented, every
/// request the document allows accepted, and every one it forbids refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_as_its_openapi_document_says_under_schemathesis() {
    let st = schemathesis();
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&write_config(dir.path()), dir.path().join("serve.log")).await;
    let key = server.workspace("acme").await;
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    assert_eq!(server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await.0, StatusCode::CREATED);
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": "pull"});
    assert_eq!(server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub)).await.0, StatusCode::CREATED);
    let config = weft_tests::workspace_root().join("tests/schemathesis/schemathesis.toml");
    let output = tokio::process::Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .args(["--no-color", "run", &format!("{}/v1/openapi.json", server.url)])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args(["--checks", "all", "--max-examples", "25", "--seed", "1", "--generation-deterministic"])
        .env("ADMIN_KEY", ADMIN)
        .current_dir(dir.path())
        .output()
        .await
        .expect("run schemathesis");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("Tested:") && !text.contains("Tested: 0"), "schemathesis tested operations:\n{text}");
    assert!(server.terminate().await.success());
}

/// `t=<t>,v1=<hex>`: whether the signature is the HMAC-SHA256 of `"<t>.<body>"`
/// with `secret`, computed here as a receiver would, not with weft's code.
fn signature_verifies(header: &str, secret: &str, body: &[u8]) -> bool {
    use hmac::{Hmac, Mac};
    let mut parts = header.split(',');
    let (Some(t), Some(v1)) =
        (parts.next().and_then(|p| p.strip_prefix("t=")), parts.next().and_then(|p| p.strip_prefix("v1=")))
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::decode(v1).is_ok_and(|sent| mac.verify_slice(&sent).is_ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_re_seals_webhook_secrets_and_signed_deliveries_still_verify() {
    let world = World::new().await;
    world.create_tags(&["before"]);
    let dir = tempfile::tempdir().expect("dir");
    let config = write_config(dir.path());
    let data = dir.path().join("data");
    let server = Server::start(&config, dir.path().join("serve.log")).await;
    let (sink, hook) = sink::start().await;
    let key = server.workspace("acme").await;
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    assert_eq!(server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await.0, StatusCode::CREATED);
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": hook});
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["webhookSecret"].as_str().expect("a signing secret").to_string();
    let seeded =
        async || server.call(Method::GET, "/v1/subscriptions/tags", Some(&key), None).await.2["seeded"] == true;
    assert!(wait_until(seeded).await, "seeded");

    // While the server runs, a rotation is refused: it would race the server's sealing.
    let data_arg = data.to_str().expect("utf-8");
    let refused = weft(&["--data-dir", data_arg, "keys", "rotate"], TOKEN).await;
    assert!(!refused.status.success() && stderr(&refused).contains("stop it first"), "{}", stderr(&refused));
    assert!(server.terminate().await.success());

    let key_before = std::fs::read_to_string(data.join("master.key")).expect("key file");
    let rotated = weft(&["--data-dir", data_arg, "keys", "rotate"], TOKEN).await;
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    assert!(
        stdout(&rotated).contains("re-sealed 2 secret(s)"),
        "the connection and the webhook secret: {}",
        stdout(&rotated)
    );
    assert_ne!(std::fs::read_to_string(data.join("master.key")).expect("key file"), key_before);

    let server = Server::start(&config, dir.path().join("serve.log")).await;
    world.create_tags(&["after the rotation"]);
    assert!(wait_until(async || !sink.all().is_empty()).await, "delivered after the restart");
    let got = sink.all();
    let header = got[0].signature.as_deref().expect("signed");
    assert!(
        signature_verifies(header, &secret, &got[0].raw),
        "the signature verifies with the secret shown at creation"
    );
    let (_, _, state) = server.call(Method::GET, "/v1/subscriptions/tags", Some(&key), None).await;
    assert!(state.get("deliveryError").is_none(), "{state}");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destination_that_keeps_refusing_shows_on_its_subscription_until_it_recovers() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&write_config(dir.path()), dir.path().join("serve.log")).await;
    let (sink, hook) = sink::start().await;
    sink.refuse.store(u32::MAX, std::sync::atomic::Ordering::SeqCst);
    let key = server.workspace("acme").await;
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    assert_eq!(server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await.0, StatusCode::CREATED);
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": hook, "start": "all"});
    assert_eq!(server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub)).await.0, StatusCode::CREATED);
    world.create_tags(&["refused"]);
    let failing = async || {
        server.call(Method::GET, "/v1/subscriptions/tags", Some(&key), None).await.2["deliveryError"].is_string()
    };
    assert!(wait_until(failing).await, "the failing delivery shows on the subscription");
    let (_, _, state) = server.call(Method::GET, "/v1/subscriptions/tags", Some(&key), None).await;
    assert!(state["deliveryError"].as_str().unwrap_or("").contains("503"), "{state}");
    assert!(state["deliveryFailingSince"].is_string(), "{state}");
    sink.refuse.store(0, std::sync::atomic::Ordering::SeqCst);
    let recovered = async || {
        server.call(Method::GET, "/v1/subscriptions/tags", Some(&key), None).await.2.get("deliveryError").is_none()
    };
    assert!(wait_until(recovered).await, "cleared once a delivery succeeds");
    assert_eq!(sink.tag_names(), ["refused".to_string()].into());
    assert!(server.terminate().await.success());
}
