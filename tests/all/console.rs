//! The builder's console over HTTP, as its page uses the API: signing in
//! for a session cookie (CSRF-guarded, ended by signing out or by revoking
//! the key), field mappings previewed, refused and changed, a dead letter
//! from a mapping fixed and replayed, a trigger tested on real data, and an
//! OAuth connection reconnected in place. `console_browser` drives the same
//! flow in a real Chromium.

use crate::promises_host::{
    ADMIN_KEY, CLIENT_ID, CLIENT_SECRET, connect_oauth, problem, serve_config, token_connection, workspace,
};
use crate::serve::Server;
use crate::sink;
use crate::support::*;
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

/// A browser's view of a session: the cookies the server set.
struct Session {
    cookie: String,
    csrf: String,
}

/// Signs in with `key`; returns the answer and the cookies it set.
async fn sign_in(server: &Server, key: &str) -> (StatusCode, Vec<String>, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/console/session", server.url))
        .json(&json!({"key": key}))
        .send()
        .await
        .expect("sign in");
    let status = response.status();
    let cookies =
        response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect();
    (status, cookies, response.json().await.unwrap_or(Value::Null))
}

fn session_from(cookies: &[String]) -> Session {
    let value = |name: &str| {
        cookies
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
            .to_string()
    };
    let csrf = value("weft_csrf");
    Session { cookie: format!("weft_session={}; weft_csrf={csrf}", value("weft_session")), csrf }
}

/// A request as the console page sends it: the cookies, and the CSRF header when `csrf` is given.
async fn as_page(
    server: &Server,
    session: &Session,
    method: Method,
    path: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, String, Value) {
    let mut request =
        reqwest::Client::new().request(method, format!("{}{path}", server.url)).header(COOKIE, &session.cookie);
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    crate::serve::answer(request).await
}

fn ok(answer: Result<(), String>) {
    if let Err(e) = answer {
        panic!("{e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_cookie_is_httponly_csrf_guarded_and_ends_on_sign_out_or_revocation() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let server =
        Server::start(&serve_config(dir.path(), &world.sim.base_url(), false, ""), dir.path().join("log")).await;
    let key = workspace(&server, "acme").await;

    let (status, cookies, body) = sign_in(&server, "weft_not_a_key").await;
    assert_eq!(
        (status, body["code"].clone(), body["field"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid-api-key"), json!("/key"))
    );
    assert!(cookies.is_empty(), "no cookie for a bad key: {cookies:?}");

    let (status, cookies, body) = sign_in(&server, &key).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["kind"].clone(), body["workspace"].clone()), (json!("workspace"), json!("acme")));
    let session_cookie = cookies
        .iter()
        .find(|c| c.starts_with("weft_session="))
        .unwrap_or_else(|| panic!("a session cookie: {cookies:?}"));
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session_cookie.contains(attribute), "{attribute} missing: {session_cookie}");
    }
    assert!(!session_cookie.contains(&key), "the cookie is not the key");
    let page = session_from(&cookies);

    // Reads need only the cookie; writes need the CSRF token as well.
    let (status, _, listed) = as_page(&server, &page, Method::GET, "/v1/connections", None, None).await;
    assert_eq!((status, listed), (StatusCode::OK, json!([])));
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    let refused = as_page(&server, &page, Method::POST, "/v1/connections", None, Some(conn.clone())).await;
    ok(problem(&refused, StatusCode::FORBIDDEN, "csrf-failed"));
    let forged = as_page(&server, &page, Method::POST, "/v1/connections", Some("forged"), Some(conn.clone())).await;
    ok(problem(&forged, StatusCode::FORBIDDEN, "csrf-failed"));
    let (_, _, listed) = server.call(Method::GET, "/v1/connections", Some(&key), None).await;
    assert_eq!(listed, json!([]), "a refused write changed nothing");
    let (status, _, created) =
        as_page(&server, &page, Method::POST, "/v1/connections", Some(&page.csrf), Some(conn)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _, me) = as_page(&server, &page, Method::GET, "/v1/console/session", None, None).await;
    assert_eq!((status, me["workspace"].clone()), (StatusCode::OK, json!("acme")));

    // A workspace's session is not the admin's.
    let refused = as_page(&server, &page, Method::GET, "/v1/workspaces", None, None).await;
    assert_eq!(refused.0, StatusCode::UNAUTHORIZED, "{}", refused.2);

    // Signing out ends the session on the server, not only in the browser.
    let (status, _, _) = as_page(&server, &page, Method::DELETE, "/v1/console/session", Some(&page.csrf), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = as_page(&server, &page, Method::GET, "/v1/connections", None, None).await;
    ok(problem(&after, StatusCode::UNAUTHORIZED, "invalid-api-key"));

    // Revoking the key ends every session made with it.
    let (_, cookies, _) = sign_in(&server, &key).await;
    let second = session_from(&cookies);
    assert_eq!(as_page(&server, &second, Method::GET, "/v1/connections", None, None).await.0, StatusCode::OK);
    let (_, _, keys) = server.call(Method::GET, "/v1/workspaces/acme/api-keys", Some(ADMIN_KEY), None).await;
    let id = keys[0]["id"].as_str().expect("the key's id").to_string();
    let (status, _, _) =
        server.call(Method::DELETE, &format!("/v1/workspaces/acme/api-keys/{id}"), Some(ADMIN_KEY), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = as_page(&server, &second, Method::GET, "/v1/connections", None, None).await;
    ok(problem(&after, StatusCode::UNAUTHORIZED, "invalid-api-key"));

    // The admin signs in the same way and reaches the admin pages' API.
    let (status, cookies, body) = sign_in(&server, ADMIN_KEY).await;
    assert_eq!((status, body["kind"].clone()), (StatusCode::CREATED, json!("admin")), "{body}");
    let admin = session_from(&cookies);
    let (status, _, names) = as_page(&server, &admin, Method::GET, "/v1/workspaces", None, None).await;
    assert_eq!((status, names), (StatusCode::OK, json!([{"name": "acme"}])));
    let (status, _, _) =
        as_page(&server, &admin, Method::POST, "/v1/workspaces", Some(&admin.csrf), Some(json!({"name": "beta"})))
            .await;
    assert_eq!(status, StatusCode::CREATED);

    // The console's page itself is served with a strict content policy.
    let page = reqwest::get(format!("{}/console/", server.url)).await.expect("console page");
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(policy.contains("default-src 'self'"), "{policy}");
    assert!(page.text().await.expect("html").contains("<html"), "the page is HTML");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mappings_are_previewed_and_refused_in_words_before_a_subscription_uses_them() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let extra = "[mapping]\ntimeout_ms = 500\ncpu_ms = 100\noutput_bytes = 4096\nmemory_mib = 32\n";
    let server =
        Server::start(&serve_config(dir.path(), &world.sim.base_url(), false, extra), dir.path().join("log")).await;
    let key = workspace(&server, "acme").await;
    let k = Some(key.as_str());
    let preview = |mapping: &str, data: Option<Value>| {
        let mut body = json!({"connector": "ghl-social-planner", "trigger": "new-tag", "mapping": mapping});
        if let Some(data) = data {
            body["data"] = data;
        }
        server.call(Method::POST, "/v1/mapping/preview", k, Some(body))
    };

    // On the trigger's sample, and on data given (a real event).
    let (status, _, out) = preview("{name: .tag, id: ._id}", None).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["output"], json!({"name": "Summer launch", "id": "65fbdcfecc884f07e645ea8b"}));
    let (_, _, out) = preview("{name: (.tag | ascii_upcase)}", Some(json!({"tag": "vip", "_id": "t1"}))).await;
    assert_eq!(out["output"], json!({"name": "VIP"}));

    // A syntax error names where it is.
    let answer = preview("{name: .tag,\n  id: ._id +}", None).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    assert_eq!(answer.2["field"], "/mapping", "{}", answer.2);
    let detail = answer.2["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("line 2"), "the line is named: {detail}");
    // Something that is not one object, and a program that fails, say so.
    let answer = preview(".tag", None).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    assert!(answer.2["detail"].as_str().unwrap_or_default().contains("one JSON object"), "{}", answer.2);
    let answer = preview("{n: (.tag | tonumber)}", None).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    // A runaway program and an oversized output are stopped by the limits.
    let answer = preview("{n: ([range(0; infinite)] | length)}", None).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "limit-exceeded"));
    let answer = preview("{n: ([range(0; 10000)] | map(tostring) | join(\",\"))}", None).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "limit-exceeded"));
    // The server still answers after both.
    assert_eq!(preview("{id: ._id}", None).await.0, StatusCode::OK);

    token_connection(&server, &key, "pit", "ghl-social-planner", &world.sim.base_url(), TOKEN).await;
    let sub = |name: &str, extra: Value| {
        let mut body = json!({"name": name, "connector": "ghl-social-planner", "trigger": "new-tag",
            "connection": "pit", "destination": "pull"});
        body.as_object_mut().expect("object").extend(extra.as_object().cloned().unwrap_or_default());
        server.call(Method::POST, "/v1/subscriptions", k, Some(body))
    };
    let answer = sub("bad", json!({"mapping": "{name: .tag"})).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    assert_eq!(answer.2["field"], "/mapping");
    let answer = sub("bad", json!({"mapping": "[.tag]"})).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    assert!(answer.2["detail"].as_str().unwrap_or_default().contains("sample"), "{}", answer.2);
    let answer = sub("bad", json!({"destinationSchema": {"type": "objekt"}})).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    assert_eq!(answer.2["field"], "/destinationSchema");
    let answer =
        sub("bad", json!({"mapping": "{name: .tag}", "destinationSchema": {"type": "object", "required": ["id"]}}))
            .await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    let (_, _, subs) = server.call(Method::GET, "/v1/subscriptions", k, None).await;
    assert_eq!(subs, json!([]), "nothing was created");

    let (status, _, created) = sub("tags", json!({"mapping": "{name: .tag}"})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["subscription"]["mapping"], "{name: .tag}");
    // A change is checked as a creation is, and leaves the subscription as it was when refused.
    let answer = server.call(Method::PATCH, "/v1/subscriptions/tags", k, Some(json!({"mapping": "{"}))).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));
    let (_, _, now) = server.call(Method::GET, "/v1/subscriptions/tags", k, None).await;
    assert_eq!(now["mapping"], "{name: .tag}");
    let change =
        json!({"mapping": "{name: .tag, id: ._id}", "destinationSchema": {"type": "object", "required": ["id"]}});
    let (status, _, changed) = server.call(Method::PATCH, "/v1/subscriptions/tags", k, Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["mapping"].clone(), changed["destinationSchema"]["required"].clone()),
        (json!("{name: .tag, id: ._id}"), json!(["id"]))
    );
    let (_, _, changed) = server
        .call(Method::PATCH, "/v1/subscriptions/tags", k, Some(json!({"mapping": null, "destinationSchema": null})))
        .await;
    assert_eq!((changed.get("mapping"), changed.get("destinationSchema")), (None, None), "{changed}");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_mapping_cannot_shape_is_dead_lettered_and_delivered_after_the_fix() {
    let world = World::new().await;
    world.create_tags(&["existing"]);
    let dir = tempfile::tempdir().expect("dir");
    let extra = "[delivery]\nfirst_backoff_ms = 50\n";
    let server =
        Server::start(&serve_config(dir.path(), &world.sim.base_url(), false, extra), dir.path().join("log")).await;
    let key = workspace(&server, "acme").await;
    let k = Some(key.as_str());
    token_connection(&server, &key, "pit", "ghl-social-planner", &world.sim.base_url(), TOKEN).await;
    let (sink, hook) = sink::start().await;

    // The destination takes names of at most 20 characters; the sample's fits.
    let schema = json!({"type": "object", "required": ["name", "id"],
        "properties": {"name": {"type": "string", "maxLength": 20}, "id": {"type": "string"}}});
    let body = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit",
        "destination": hook, "mapping": "{name: .tag, id: ._id}", "destinationSchema": schema});
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", k, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    sink.expect_secret(created["webhookSecret"].as_str().expect("a secret"));
    let seeded = async || server.call(Method::GET, "/v1/subscriptions/tags", k, None).await.2["seeded"] == true;
    assert!(wait_until(seeded).await, "seeded");

    let long = "a tag name far longer than twenty characters";
    let tags = world.create_tags(&["short one", long]);
    assert!(eventually(Duration::from_secs(20), || sink.all().len() == 1).await, "the short one arrives");
    let first = &sink.all()[0];
    assert!(first.verified, "signed");
    assert_eq!(first.body["data"], json!({"name": "short one", "id": tags[0].id}), "mapped data is delivered");

    let dead = async || {
        let (_, _, dead) = server.call(Method::GET, "/v1/subscriptions/tags/deliveries?status=dead", k, None).await;
        dead.as_array().is_some_and(|d| d.len() == 1)
    };
    assert!(wait_until(dead).await, "the long one is dead-lettered");
    let (_, _, dead) = server.call(Method::GET, "/v1/subscriptions/tags/deliveries?status=dead", k, None).await;
    let reason = dead[0]["lastError"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains("schema") && reason.contains("/name"), "the reason names the field: {dead}");
    let (_, _, sub) = server.call(Method::GET, "/v1/subscriptions/tags", k, None).await;
    assert!(sub["deliveryError"].as_str().is_some_and(|e| e.contains("schema")), "the subscription shows it: {sub}");

    // Fix the mapping, replay: the event is delivered, shaped by the new mapping.
    let fix = json!({"mapping": "{name: .tag[0:20], id: ._id}"});
    let (status, _, _) = server.call(Method::PATCH, "/v1/subscriptions/tags", k, Some(fix)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, replayed) =
        server.call(Method::POST, "/v1/subscriptions/tags/deliveries/replay", k, Some(json!({}))).await;
    assert_eq!(replayed["replayed"], 1, "{replayed}");
    assert!(eventually(Duration::from_secs(20), || sink.all().len() == 2).await, "delivered after the fix");
    assert_eq!(sink.all()[1].body["data"], json!({"name": &long[..20], "id": tags[1].id}));
    let (_, _, dead) = server.call(Method::GET, "/v1/subscriptions/tags/deliveries?status=dead", k, None).await;
    assert_eq!(dead, json!([]), "no dead letters left");
    // The events API keeps what the trigger emitted, unmapped.
    let (_, _, page) = server.call(Method::GET, "/v1/subscriptions/tags/events?after=0", k, None).await;
    assert_eq!(page["events"][1]["data"]["tag"], long, "{page}");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn testing_a_trigger_shows_real_events_and_an_oauth_connection_reconnects_in_place() {
    let world = World::new().await;
    world.create_tags(&["older", "newer"]);
    world.sim.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
    world.sim.sim.register_consent(ghl_sim::Consent::location(LOCATION));
    let dir = tempfile::tempdir().expect("dir");
    // The token endpoint is pinned to the simulator, so a reconnect that lost
    // the connection's host shows in its facts without a request to GHL.
    let sim = world.sim.base_url();
    let extra = format!("token_url = \"{sim}/oauth/token\"\n");
    let server = Server::start(&serve_config(dir.path(), &sim, false, &extra), dir.path().join("log")).await;
    let key = workspace(&server, "acme").await;
    let k = Some(key.as_str());
    let first = connect_oauth(&server, &key, "ghl", &world.sim.base_url()).await;

    let test = json!({"connection": "ghl", "input": {}});
    let (status, _, found) =
        server.call(Method::POST, "/v1/connectors/ghl-social-planner/triggers/new-tag/test", k, Some(test)).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let names: Vec<&str> =
        found["events"].as_array().expect("events").iter().filter_map(|e| e["data"]["tag"].as_str()).collect();
    assert_eq!(names.len(), 2, "{found}");
    assert!(names.contains(&"older") && names.contains(&"newer"), "{found}");
    let bad = json!({"connection": "ghl", "input": {"nameContains": 5}});
    let answer =
        server.call(Method::POST, "/v1/connectors/ghl-social-planner/triggers/new-tag/test", k, Some(bad)).await;
    ok(problem(&answer, StatusCode::UNPROCESSABLE_ENTITY, "invalid-input"));

    // Reconnecting under the same name replaces the tokens and keeps the connection.
    let second = connect_oauth(&server, &key, "ghl", &world.sim.base_url()).await;
    assert_eq!(first["id"], second["id"], "the same connection: {first} {second}");
    let (_, _, listed) = server.call(Method::GET, "/v1/connections", k, None).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    // Reconnecting from the console names no host: it goes back to the one the connection has.
    let again = json!({"name": "ghl", "connector": "ghl-social-planner"});
    let (status, _, started) = server.call(Method::POST, "/v1/connections/oauth", k, Some(again)).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let consent = browser.get(started["authorizeUrl"].as_str().expect("url")).send().await.expect("consent");
    let callback = consent.headers()["location"].to_str().expect("location").to_string();
    assert_eq!(browser.get(&callback).send().await.expect("callback").status(), StatusCode::OK);
    let (_, _, third) = server.call(Method::GET, "/v1/connections/ghl", k, None).await;
    assert_eq!((third["id"].clone(), third["baseUrl"].clone()), (first["id"].clone(), json!(sim)), "{third}");
    let (_, _, tested) = server.call(Method::POST, "/v1/connections/ghl/test", k, None).await;
    assert_eq!(tested["ok"], true, "{tested}");
    assert!(server.terminate().await.success());
}
