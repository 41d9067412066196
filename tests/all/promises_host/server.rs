//! `weft serve` over HTTP: every problem code the README lists, OAuth
//! through the server, workspaces kept apart, API keys stored hashed.

use super::*;
use ghl_sim::{Consent, Fault};

/// A simulator with the OAuth app and consent, and a server on it.
async fn served(hostile: bool) -> (World, tempfile::TempDir, Server) {
    let world = World::new().await;
    world.sim.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
    world.sim.sim.register_consent(Consent::location(LOCATION));
    let dir = tempfile::tempdir().expect("dir");
    let config = serve_config(dir.path(), &world.sim.base_url(), hostile, "");
    let server = Server::start(&config, dir.path().join("serve.log")).await;
    (world, dir, server)
}

/// The webhook codes (`invalid-signature`, `stale-webhook`) are checked in `tests/all/instant.rs`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_code_answers_with_its_status_as_problem_json() {
    let (world, _dir, server) = served(true).await;
    let sim_url = world.sim.base_url();
    let sim = &world.sim.sim;
    let key = workspace(&server, "acme").await;
    let k = Some(key.as_str());
    sim.register_token("pit-narrow", LOCATION, ["socialplanner/account.readonly"]);
    for (location, token) in [("loc-throttled", "pit-throttled"), ("loc-failing", "pit-failing")] {
        sim.register_token(token, location, SCOPES);
    }
    let ghl = "ghl-social-planner";
    token_connection(&server, &key, "pit", ghl, &sim_url, TOKEN).await;
    token_connection(&server, &key, "narrow", ghl, &sim_url, "pit-narrow").await;
    token_connection(&server, &key, "stranger", ghl, &sim_url, "not-a-token-the-api-knows").await;
    token_connection_at(&server, &key, "throttled", ghl, &sim_url, "pit-throttled", "loc-throttled").await;
    token_connection_at(&server, &key, "failing", ghl, &sim_url, "pit-failing", "loc-failing").await;
    token_connection(&server, &key, "hostile", "weft-hostile", &sim_url, TOKEN).await;
    connect_oauth(&server, &key, "revoked", &sim_url).await;
    let tokens = sim.tokens_for(LOCATION).expect("OAuth tokens");
    assert!(sim.revoke_refresh_token(&tokens.refresh_token));
    sim.expire_access_token(&tokens.access_token);
    sim.push_faults([Fault::status(429)], Some("loc-throttled")).expect("fault");
    sim.push_faults([Fault::status(503)], Some("loc-failing")).expect("fault");

    let find_tags = |connection: &str, input: Value| json!({"connection": connection, "input": input});
    let conn = json!({"name": "pit", "connector": ghl, "token": TOKEN, "baseUrl": sim_url, "locationId": LOCATION});
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 << 20));
    let cases: Vec<(&str, StatusCode, (StatusCode, String, Value))> = vec![
        (
            "invalid-input",
            StatusCode::UNPROCESSABLE_ENTITY,
            run(&server, &key, ghl, "find-tags", find_tags("pit", json!({"limit": 500}))).await,
        ),
        (
            "malformed-json",
            StatusCode::BAD_REQUEST,
            raw(&server, Method::POST, "/v1/connections", k, Some("{\"name\": ".into())).await,
        ),
        (
            "missing-scope",
            StatusCode::FORBIDDEN,
            run(&server, &key, ghl, "find-tags", find_tags("narrow", json!({}))).await,
        ),
        (
            "reconnect-required",
            StatusCode::CONFLICT,
            run(&server, &key, ghl, "find-tags", find_tags("revoked", json!({}))).await,
        ),
        (
            "unauthorized",
            StatusCode::CONFLICT,
            run(&server, &key, ghl, "find-tags", find_tags("stranger", json!({}))).await,
        ),
        (
            "rate-limited",
            StatusCode::TOO_MANY_REQUESTS,
            run(&server, &key, ghl, "find-tags", find_tags("throttled", json!({}))).await,
        ),
        (
            "transient",
            StatusCode::SERVICE_UNAVAILABLE,
            run(&server, &key, ghl, "find-tags", find_tags("failing", json!({}))).await,
        ),
        (
            "egress-denied",
            StatusCode::FORBIDDEN,
            run(&server, &key, "weft-hostile", "undeclared-host", find_tags("hostile", json!({}))).await,
        ),
        (
            "limit-exceeded",
            StatusCode::BAD_GATEWAY,
            run(&server, &key, "weft-hostile", "huge-output", find_tags("hostile", json!({}))).await,
        ),
        ("not-found", StatusCode::NOT_FOUND, server.call(Method::GET, "/v1/subscriptions/none", k, None).await),
        ("conflict", StatusCode::CONFLICT, server.call(Method::POST, "/v1/connections", k, Some(conn)).await),
        ("missing-api-key", StatusCode::UNAUTHORIZED, server.call(Method::GET, "/v1/connections", None, None).await),
        (
            "invalid-api-key",
            StatusCode::UNAUTHORIZED,
            server.call(Method::GET, "/v1/connections", Some("weft_not_a_key"), None).await,
        ),
        (
            "method-not-allowed",
            StatusCode::METHOD_NOT_ALLOWED,
            raw(&server, Method::PUT, "/v1/connections", k, None).await,
        ),
        (
            "payload-too-large",
            StatusCode::PAYLOAD_TOO_LARGE,
            raw(&server, Method::POST, "/v1/connections", k, Some(big)).await,
        ),
        ("csrf-failed", StatusCode::FORBIDDEN, console_write_without_csrf(&server, &key).await),
    ];
    let wrong: Vec<String> =
        cases.iter().filter_map(|(code, status, answer)| problem(answer, *status, code).err()).collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let detail =
        |code: &str| cases.iter().find(|c| c.0 == code).map(|c| c.2.2["detail"].to_string()).unwrap_or_default();
    assert!(detail("missing-scope").contains("socialplanner/tag.readonly"), "names the scope");
    assert!(detail("limit-exceeded").contains("output-bytes"), "names the limit");
    assert!(detail("reconnect-required").contains("connect the account again"), "says what to do");
    assert_eq!(cases[0].2.2["field"], "/limit", "names the field");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_through_the_server_connects_an_account_that_works() {
    let (world, _dir, server) = served(false).await;
    world.create_tags(&["through oauth"]);
    let key = workspace(&server, "acme").await;
    let info = connect_oauth(&server, &key, "main", &world.sim.base_url()).await;
    assert_eq!((info["kind"].clone(), info["status"].clone()), (json!("oauth2"), json!("active")), "{info}");
    assert_eq!(info["facts"]["locationId"], LOCATION, "{info}");
    let issued = world.sim.sim.tokens_for(LOCATION).expect("the simulator issued tokens");
    assert!(!info.to_string().contains(&issued.access_token), "no token is shown");
    let (status, _, out) = run(&server, &key, "ghl-social-planner", "find-tags", json!({"connection": "main"})).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["output"]["tags"][0]["tag"], "through oauth");
    let used = world.sim.sim.requests().into_iter().rev().find(|r| r.path.ends_with("/tags")).expect("a request");
    assert_eq!(used.headers.get("authorization"), Some(&format!("Bearer {}", issued.access_token)));
    // Another workspace neither sees nor uses it.
    let other = workspace(&server, "other").await;
    let (status, _, _) = run(&server, &other, "ghl-social-planner", "find-tags", json!({"connection": "main"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_workspace_s_subscription_answers_404_everywhere() {
    let (world, _dir, server) = served(false).await;
    let owner = workspace(&server, "acme").await;
    let other = workspace(&server, "other").await;
    token_connection(&server, &owner, "pit", "ghl-social-planner", &world.sim.base_url(), TOKEN).await;
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": "pull"});
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", Some(&owner), Some(sub)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let requests = [
        (Method::GET, "/v1/subscriptions/tags", None),
        (Method::POST, "/v1/subscriptions/tags/pause", None),
        (Method::POST, "/v1/subscriptions/tags/resume", None),
        (Method::GET, "/v1/subscriptions/tags/events?after=0", None),
        (Method::GET, "/v1/subscriptions/tags/deliveries", None),
        (Method::POST, "/v1/subscriptions/tags/deliveries/replay", Some(json!({}))),
        (Method::DELETE, "/v1/subscriptions/tags", None),
    ];
    for (method, path, body) in requests {
        let answer = server.call(method.clone(), path, Some(&other), body).await;
        problem(&answer, StatusCode::NOT_FOUND, "not-found").unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    }
    let (_, _, listed) = server.call(Method::GET, "/v1/subscriptions", Some(&other), None).await;
    assert_eq!(listed, json!([]), "another workspace lists nothing");
    let (status, _, mine) = server.call(Method::GET, "/v1/subscriptions/tags", Some(&owner), None).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["state"], "active", "the other workspace's pause and delete changed nothing: {mine}");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_stored_hashed() {
    let (_world, dir, server) = served(false).await;
    let keys = [workspace(&server, "acme").await, workspace(&server, "other").await];
    let (status, _, listed) = server.call(Method::GET, "/v1/workspaces/acme/api-keys", Some(ADMIN_KEY), None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(server.terminate().await.success(), "stopped, so every write is in the files");
    let database = database_bytes(&dir.path().join("data"));
    assert!(database.len() > 4096, "the database was written");
    for key in &keys {
        assert!(key.len() >= 32, "a long random key: {key}");
        assert!(!contains(&database, key), "an API key is in the database in clear");
        // Nor any long piece of it: only a hash (and at most a short id) is kept.
        let secret_half = &key[key.len() - 24..];
        assert!(!contains(&database, secret_half), "part of an API key is in the database");
    }
    assert!(!contains(&database, ADMIN_KEY), "the admin key is not stored");
    let config = serve_config(dir.path(), "http://127.0.0.1:9", false, "");
    let again = Server::start(&config, dir.path().join("serve.log")).await;
    for key in &keys {
        let (status, _, _) = again.call(Method::GET, "/v1/connections", Some(key), None).await;
        assert_eq!(status, StatusCode::OK, "the key still works after a restart: checked against its hash");
    }
    assert!(again.terminate().await.success());
}

/// A console session's write that does not carry the session's CSRF token.
async fn console_write_without_csrf(server: &Server, key: &str) -> (StatusCode, String, Value) {
    let http = reqwest::Client::new();
    let signed_in = http
        .post(format!("{}/v1/console/session", server.url))
        .json(&json!({"key": key}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed_in.status(), StatusCode::CREATED);
    let cookie = signed_in
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let request = http.post(format!("{}/v1/subscriptions/none/pause", server.url));
    crate::serve::answer(request.header(reqwest::header::COOKIE, cookie)).await
}
