//! Instant triggers and connector versioning: components built against
//! `weft:connector@0.1.0` (the hostile one, on purpose) and `0.2.0` (every
//! other) load and run side by side in one server, each showing its WIT
//! version; a 0.1.0 component has no instant triggers and says so.

use crate::promises_host::{arg, run, serve_config, token_connection, workspace};
use crate::serve::Server;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_of_both_wit_versions_run_side_by_side_in_one_server() {
    let world = World::new().await;
    let sim = world.sim.base_url();
    world.create_tags(&["side by side"]);
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&serve_config(dir.path(), &sim, true, ""), dir.path().join("serve.log")).await;
    let key = workspace(&server, "acme").await;
    let (status, _, list) = server.call(Method::GET, "/v1/connectors", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);
    let version =
        |id: &str| list.as_array().and_then(|l| l.iter().find(|c| c["id"] == id)).map(|c| c["witVersion"].clone());
    assert_eq!(version("ghl-social-planner"), Some(json!("0.2.0")), "{list}");
    assert_eq!(version("weft-hostile"), Some(json!("0.1.0")), "{list}");
    let planner = list.as_array().and_then(|l| l.iter().find(|c| c["id"] == "ghl-social-planner")).cloned();
    let polled = planner.map(|p| p["triggers"].clone()).unwrap_or(Value::Null);
    assert!(polled.as_array().is_some_and(|t| t.iter().all(|t| t["delivery"] == "polled")), "{polled}");

    token_connection(&server, &key, "pit", "ghl-social-planner", &sim, TOKEN).await;
    token_connection(&server, &key, "hostile", "weft-hostile", &sim, TOKEN).await;
    let body = |connection: &str, input: Value| json!({"connection": connection, "input": input});
    let (status, _, found) = run(&server, &key, "ghl-social-planner", "find-tags", body("pit", json!({}))).await;
    assert_eq!((status, found["output"]["tags"][0]["tag"].clone()), (StatusCode::OK, json!("side by side")), "{found}");
    for _ in 0..3 {
        let (status, _, counted) = run(&server, &key, "weft-hostile", "counter", body("hostile", json!({}))).await;
        assert_eq!((status, counted["output"]["calls"].clone()), (StatusCode::OK, json!(1)), "{counted}");
    }
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_inspect_shows_the_wit_version_beside_the_connector_s_own() {
    for (component, wit) in
        [(component().to_path_buf(), "0.2.0"), (weft_tests::hostile_component().to_path_buf(), "0.1.0")]
    {
        let out = weft(&["inspect", &arg(&component)], TOKEN).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let shown: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        assert_eq!(shown["witVersion"], wit, "{}", component.display());
        assert!(shown["version"].as_str().is_some_and(|v| !v.is_empty()), "the connector's own version is shown too");
    }
}

/// A server with the contacts connector, receiving the simulator's webhooks
/// as app `sim`, signed with the simulator's keys.
async fn hooked(world: &World, dir: &std::path::Path, extra: &str) -> Server {
    let (ed25519, rsa) = ghl_sim::webhook_public_keys().expect("the simulator's keys");
    let hooks = format!(
        "[hooks.sim]\ned25519_keys = [\"{ed25519}\"]\nrsa_keys = ['''\n{rsa}''']\nmax_body_bytes = 65536\n{extra}"
    );
    let config = serve_config(dir, &world.sim.base_url(), false, "");
    let mut text = std::fs::read_to_string(&config).expect("config");
    // Before the OAuth table the config ends with: a table of our own.
    text = text.replacen(
        "[connectors.ghl-social-planner.oauth]",
        &format!("{hooks}\n[connectors.ghl-social-planner.oauth]"),
        1,
    );
    std::fs::write(&config, text).expect("config");
    let contacts = weft_tests::generated_components()
        .into_iter()
        .find(|(name, _)| *name == "ghl-contacts")
        .map(|(_, path)| path.to_path_buf())
        .expect("the contacts component");
    std::fs::copy(&contacts, dir.join("connectors/ghl_contacts.wasm")).expect("copy");
    let server = Server::start(&config, dir.join("serve.log")).await;
    world.sim.sim.set_webhook_url(&format!("{}/v1/hooks/ghl/sim", server.url));
    server
}

/// [`hooked`], a workspace key, a contacts connection `crm` with `token`, and
/// a `contact-tag-updated` subscription with `fields` (name, input, mapping…)
/// delivering to a new sink.
async fn subscribed(
    world: &World,
    dir: &std::path::Path,
    extra: &str,
    token: &str,
    fields: Value,
) -> (Server, String, crate::sink::Sink, Value) {
    let server = hooked(world, dir, extra).await;
    let key = workspace(&server, "acme").await;
    token_connection(&server, &key, "crm", "ghl-contacts", &world.sim.base_url(), token).await;
    let (sink, hook) = crate::sink::start().await;
    let mut sub = json!({"name": "tags", "connector": "ghl-contacts", "trigger": "contact-tag-updated",
        "connection": "crm", "destination": hook});
    sub.as_object_mut().expect("object").extend(fields.as_object().cloned().unwrap_or_default());
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (server, key, sink, created)
}

fn tagged(location: &str, contact: &str, tags: &[&str]) -> ghl_sim::WebhookEvent {
    let data = json!({"id": contact, "name": "Ada Lovelace", "email": "ada@example.com", "tags": tags});
    ghl_sim::WebhookEvent {
        event_type: "ContactTagUpdate".into(),
        location_id: location.into(),
        data: data.as_object().cloned().unwrap_or_default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tagged_contact_reaches_the_sink_once_and_nothing_unverified_is_delivered() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let server = hooked(&world, dir.path(), "").await;
    let key = workspace(&server, "acme").await;
    let k = Some(key.as_str());
    token_connection(&server, &key, "crm", "ghl-contacts", &world.sim.base_url(), TOKEN).await;
    let (sink, hook) = crate::sink::start().await;
    let (_, _, trigger) = server.call(Method::GET, "/v1/connectors", k, None).await;
    let contacts = trigger.as_array().and_then(|l| l.iter().find(|c| c["id"] == "ghl-contacts")).cloned();
    let instant = contacts.map(|c| c["triggers"].clone()).unwrap_or(Value::Null);
    assert!(
        instant
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["key"] == "contact-tag-updated" && t["delivery"] == "instant")),
        "{instant}"
    );
    // Nothing to poll: testing an instant trigger says so in words.
    let test = json!({"connection": "crm", "input": {}});
    let answer =
        server.call(Method::POST, "/v1/connectors/ghl-contacts/triggers/contact-tag-updated/test", k, Some(test)).await;
    assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.2);
    assert!(answer.2["detail"].as_str().is_some_and(|d| d.contains("instant trigger")), "{}", answer.2);
    let sub = json!({"name": "vips", "connector": "ghl-contacts", "trigger": "contact-tag-updated", "connection": "crm",
        "input": {"tag": "VIP"}, "destination": hook});
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", k, Some(sub)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    sink.expect_secret(created["webhookSecret"].as_str().expect("secret"));
    let id = created["subscription"]["id"].as_str().expect("id").to_string();

    let sim = &world.sim.sim;
    let send = |event: ghl_sim::WebhookEvent, delivery: ghl_sim::Delivery| async move {
        sim.send_webhook(&event, &delivery).await.expect("sent")
    };
    let plain = ghl_sim::Delivery::default();
    // Refused, each with 401, and never delivered though each says `vip`.
    for signing in [ghl_sim::Signing::Forged, ghl_sim::Signing::UnknownKey, ghl_sim::Signing::None] {
        let sent = send(tagged(LOCATION, "c-forged", &["vip"]), ghl_sim::Delivery { signing, ..plain.clone() }).await;
        assert_eq!(sent.statuses, [401], "{signing:?}");
    }
    let stale = ghl_sim::Delivery { timestamp_offset_secs: -600, ..plain.clone() };
    assert_eq!(send(tagged(LOCATION, "c-stale", &["vip"]), stale).await.statuses, [401]);

    // Delivered once though GHL sent it twice; filtered out by the input; another location's is not ours.
    let twice = ghl_sim::Delivery { copies: 2, ..plain.clone() };
    let first = send(tagged(LOCATION, "c-1", &["lead", "vip"]), twice).await;
    assert_eq!(first.statuses, [200, 200]);
    assert_eq!(send(tagged(LOCATION, "c-2", &["lead"]), plain.clone()).await.statuses, [200]);
    assert_eq!(send(tagged("another-location", "c-3", &["vip"]), plain.clone()).await.statuses, [200]);
    // The older RSA signature alone is accepted too.
    let rsa = ghl_sim::Delivery { signing: ghl_sim::Signing::Rsa, ..plain.clone() };
    let second = send(tagged(LOCATION, "c-4", &["VIP"]), rsa).await;
    assert_eq!(second.statuses, [200]);

    assert!(eventually(std::time::Duration::from_secs(20), || sink.all().len() >= 2).await, "{:?}", sink.all());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = sink.all();
    let contacts: Vec<&Value> = got.iter().map(|r| &r.body["data"]["id"]).collect();
    assert_eq!(contacts, [&json!("c-1"), &json!("c-4")], "each verified, matching event once, in order");
    assert_eq!(got[0].idempotency_key, format!("{id}/{}", first.webhook_id));
    assert!(got.iter().all(|r| r.verified), "signed by weft for the sink");
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_webhooks_get_problems_and_nothing_is_stored() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    // A second app whose share is one request a second, for the flood.
    let server = hooked(&world, dir.path(), "\n[hooks.tight]\nrequests_per_second = 1\n").await;
    let http = reqwest::Client::new();
    let post = |path: &str, kind: &str, body: String| {
        http.post(format!("{}{path}", server.url)).header("content-type", kind).body(body).send()
    };
    let problem = async |response: reqwest::Response| {
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        (status, body["code"].as_str().unwrap_or_default().to_string())
    };
    let hook = "/v1/hooks/ghl/sim";
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000));
    assert_eq!(
        problem(post(hook, "application/json", big).await.expect("sent")).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large".into())
    );
    assert_eq!(
        problem(post(hook, "text/plain", "{}".into()).await.expect("sent")).await,
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "malformed-json".into())
    );
    assert_eq!(
        problem(post(hook, "application/json", "{}".into()).await.expect("sent")).await,
        (StatusCode::UNAUTHORIZED, "invalid-signature".into())
    );
    assert_eq!(
        problem(post("/v1/hooks/ghl/nobody", "application/json", "{}".into()).await.expect("sent")).await,
        (StatusCode::NOT_FOUND, "not-found".into())
    );
    // Signed, but sent ten minutes ago: stale; and signed but with no webhookId.
    let signed = |body: String| {
        let mut request =
            http.post(format!("{}{hook}", server.url)).header("content-type", "application/json").body(body.clone());
        for (name, value) in ghl_sim::webhook_signatures(body.as_bytes(), ghl_sim::Signing::Both).expect("signed") {
            request = request.header(name, value);
        }
        request.send()
    };
    let old = (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(600)).to_string();
    let stale = json!({"type": "ContactTagUpdate", "locationId": LOCATION, "webhookId": "w-old", "timestamp": old});
    assert_eq!(
        problem(signed(stale.to_string()).await.expect("sent")).await,
        (StatusCode::UNAUTHORIZED, "stale-webhook".into())
    );
    let anonymous = json!({"type": "ContactTagUpdate", "timestamp": jiff::Timestamp::now().to_string()});
    assert_eq!(
        problem(signed(anonymous.to_string()).await.expect("sent")).await,
        (StatusCode::BAD_REQUEST, "malformed-json".into())
    );
    // A flood from one address is cut off; the API still answers. Ten at once at one a second: unless
    // they took ten seconds to arrive, some were over the share.
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let request = http
            .post(format!("{}/v1/hooks/ghl/tight", server.url))
            .header("content-type", "application/json")
            .body("{}");
        flood.spawn(request.send());
    }
    let mut limited = 0;
    while let Some(answer) = flood.join_next().await {
        let (status, code) = problem(answer.expect("task").expect("sent")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(code, "rate-limited");
            limited += 1;
        }
    }
    assert!(limited > 0, "ten requests at once from one address were never limited");
    assert_eq!(server.call(Method::GET, "/healthz", None, None).await.0, StatusCode::OK);
    assert!(server.terminate().await.success());
    let store = open_store(&dir.path().join("data")).await;
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM hook_receipts").fetch_one(store.pool()).await.expect("count");
    assert_eq!(stored, 0, "nothing refused was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_webhooks_survives_sigkill_every_acknowledged_one_delivered_once() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let (server, _, sink, created) =
        subscribed(&world, dir.path(), "requests_per_second = 100000\n", TOKEN, json!({})).await;
    let id = created["subscription"]["id"].as_str().expect("id").to_string();

    const BURST: usize = 1000;
    let mut acknowledged = std::collections::HashSet::new();
    let mut server = Some(server);
    for n in 0..BURST {
        if n == BURST / 2 {
            // SIGKILL in the middle of the burst, then a restart on a new port.
            let mut killed = server.take().expect("running");
            killed.child.start_kill().expect("SIGKILL");
            killed.child.wait().await.expect("reaped");
            let config = dir.path().join("weft.toml");
            let restarted = Server::start(&config, dir.path().join("serve.log")).await;
            world.sim.sim.set_webhook_url(&format!("{}/v1/hooks/ghl/sim", restarted.url));
            server = Some(restarted);
        }
        let event = tagged(LOCATION, &format!("c-{n}"), &["burst"]);
        // A webhook the dying server did not answer was not acknowledged: GHL would send it again.
        if let Ok(sent) = world.sim.sim.send_webhook(&event, &ghl_sim::Delivery::default()).await
            && sent.statuses == [200]
        {
            acknowledged.insert(format!("{id}/{}", sent.webhook_id));
        }
    }
    assert!(acknowledged.len() >= BURST - 5, "only {} of {BURST} acknowledged", acknowledged.len());
    let all_arrived = eventually(std::time::Duration::from_secs(120), || {
        let keys: std::collections::HashSet<String> = sink.all().into_iter().map(|r| r.idempotency_key).collect();
        acknowledged.is_subset(&keys)
    })
    .await;
    let received = sink.all();
    let keys: std::collections::HashSet<String> = received.iter().map(|r| r.idempotency_key.clone()).collect();
    let missing = acknowledged.difference(&keys).count();
    assert!(all_arrived, "{missing} acknowledged webhooks never arrived");
    // Delivered at least once; after dedupe by key, each exactly once (and nothing unacknowledged invented).
    assert!(keys.iter().all(|k| k.starts_with(&format!("{id}/"))), "only this subscription's events");
    assert!(received.len() >= acknowledged.len());
    assert!(server.take().expect("running").terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uninstalled_app_pauses_the_location_s_subscriptions_saying_why() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let (server, key, sink, _) = subscribed(&world, dir.path(), "", TOKEN, json!({})).await;
    let k = Some(key.as_str());

    // GHL's documented shape: `type` is "UNINSTALL" for a location-level uninstall.
    let uninstall = ghl_sim::WebhookEvent {
        event_type: "UNINSTALL".into(),
        location_id: LOCATION.into(),
        data: json!({"appId": "app-1", "companyId": "company-1"}).as_object().cloned().unwrap_or_default(),
    };
    let sent = world.sim.sim.send_webhook(&uninstall, &ghl_sim::Delivery::default()).await.expect("sent");
    assert_eq!(sent.statuses, [200]);
    let paused = async || server.call(Method::GET, "/v1/subscriptions/tags", k, None).await.2["state"] == "paused";
    let mut state_changed = false;
    for _ in 0..100 {
        if paused().await {
            state_changed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(state_changed, "the subscription was not paused");
    let (_, _, subscription) = server.call(Method::GET, "/v1/subscriptions/tags", k, None).await;
    assert!(subscription["stateReason"].as_str().is_some_and(|r| r.contains("uninstalled")), "{subscription}");
    let (_, _, connection) = server.call(Method::GET, "/v1/connections/crm", k, None).await;
    assert_eq!(connection["status"], "reconnect-required", "{connection}");

    // Nothing is delivered for it while it is paused.
    let event = tagged(LOCATION, "c-after", &["vip"]);
    assert_eq!(world.sim.sim.send_webhook(&event, &ghl_sim::Delivery::default()).await.expect("sent").statuses, [200]);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(sink.all().is_empty(), "{:?}", sink.all());
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagging_a_contact_through_the_api_fires_the_instant_trigger_of_another_subscription() {
    // The whole loop: an action tags a contact at the simulator, which sends
    // GHL's ContactTagUpdate webhook; weft verifies it and delivers it.
    let world = World::new().await;
    world.sim.sim.register_token("pit-contacts", LOCATION, ["contacts.readonly", "contacts.write"]);
    let dir = tempfile::tempdir().expect("dir");
    let fields = json!({"input": {"tag": "vip"}, "mapping": "{contact: .id, tags: .tags}"});
    let (server, key, sink, _) = subscribed(&world, dir.path(), "", "pit-contacts", fields).await;

    let body = |tags: Value| json!({"connection": "crm", "input": {"contactId": "contact-7", "tags": tags}});
    let (status, _, out) = run(&server, &key, "ghl-contacts", "add-tags", body(json!(["newsletter"]))).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let (status, _, out) = run(&server, &key, "ghl-contacts", "add-tags", body(json!(["vip"]))).await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert!(eventually(std::time::Duration::from_secs(20), || !sink.all().is_empty()).await, "nothing arrived");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = sink.all();
    assert_eq!(got.len(), 1, "only the vip tagging passes the filter: {got:?}");
    assert_eq!(got[0].body["data"], json!({"contact": "contact-7", "tags": ["vip"]}));
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_out_of_order_and_repeated_are_each_delivered_once() {
    let world = World::new().await;
    let dir = tempfile::tempdir().expect("dir");
    let (server, _, sink, _) = subscribed(&world, dir.path(), "", TOKEN, json!({})).await;

    // The first change arrives last (GHL delayed it), and twice; the second once.
    let sim = world.sim.sim.clone();
    let late = tokio::spawn(async move {
        let delivery = ghl_sim::Delivery { delay_ms: 400, copies: 2, ..Default::default() };
        sim.send_webhook(&tagged(LOCATION, "c-first", &["a"]), &delivery).await.expect("sent")
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let early = world.sim.sim.send_webhook(&tagged(LOCATION, "c-second", &["b"]), &Default::default()).await;
    assert_eq!(early.expect("sent").statuses, [200]);
    assert_eq!(late.await.expect("task").statuses, [200, 200]);
    assert!(eventually(std::time::Duration::from_secs(20), || sink.all().len() >= 2).await, "{:?}", sink.all());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let order: Vec<Value> = sink.all().iter().map(|r| r.body["data"]["id"].clone()).collect();
    assert_eq!(order, [json!("c-second"), json!("c-first")], "each once, in the order weft received them");
    let keys: std::collections::HashSet<String> = sink.all().into_iter().map(|r| r.idempotency_key).collect();
    assert_eq!(keys.len(), 2);
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_webhook_is_caught_by_the_reconciling_poll_and_none_is_delivered_twice() {
    // Contacts are made through the API; the simulator sends GHL's
    // ContactCreate for each, but loses one. The reconciling poll of the
    // contacts listing finds it; the others, which came by webhook, are not
    // delivered again.
    let world = World::new().await;
    world.sim.sim.register_token("pit-contacts", LOCATION, ["contacts.readonly", "contacts.write"]);
    let dir = tempfile::tempdir().expect("dir");
    let server = hooked(&world, dir.path(), "").await;
    let key = workspace(&server, "acme").await;
    let k = Some(key.as_str());
    token_connection(&server, &key, "crm", "ghl-contacts", &world.sim.base_url(), "pit-contacts").await;
    let (reconciled, reconciled_url) = crate::sink::start().await;
    let (webhooks_only, webhooks_only_url) = crate::sink::start().await;
    let subscribe = |name: &str, url: &str, reconcile: Option<bool>| {
        let mut body = json!({"name": name, "connector": "ghl-contacts", "trigger": "contact-created",
            "connection": "crm", "destination": url, "mapping": "{id, firstName, type, locationId}"});
        if let Some(r) = reconcile {
            body["reconcile"] = json!(r);
        }
        body
    };
    let (status, _, created) =
        server.call(Method::POST, "/v1/subscriptions", k, Some(subscribe("contacts", &reconciled_url, None))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        (created["subscription"]["reconcile"].clone(), created["subscription"]["intervalSecs"].clone()),
        (json!(true), json!(3600)),
        "reconciling hourly by default: {created}"
    );
    let body = subscribe("contacts-webhooks-only", &webhooks_only_url, Some(false));
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", k, Some(body)).await;
    assert_eq!(
        (status, created["subscription"]["reconcile"].clone()),
        (StatusCode::CREATED, json!(false)),
        "{created}"
    );
    let mut wrong = subscribe("tags", &reconciled_url, Some(true));
    wrong["trigger"] = json!("contact-tag-updated");
    let (status, _, problem) = server.call(Method::POST, "/v1/subscriptions", k, Some(wrong)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("cannot reconcile")), "{problem}");

    // What exists before is recorded by the first poll, not delivered.
    let seeded = || async {
        let (_, _, sub) = server.call(Method::GET, "/v1/subscriptions/contacts", k, None).await;
        sub["seeded"] == json!(true)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !seeded().await {
        assert!(std::time::Instant::now() < deadline, "the reconciling subscription never seeded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let create =
        |name: &str| json!({"connection": "crm", "input": {"firstName": name, "email": format!("{name}@example.com")}});
    let (status, _, ada) = run(&server, &key, "ghl-contacts", "create-contact", create("Ada")).await;
    assert_eq!(status, StatusCode::OK, "{ada}");
    assert!(eventually(std::time::Duration::from_secs(20), || webhooks_only.all().len() == 1).await, "Ada's webhook");
    world.sim.sim.lose_next_webhooks(1);
    let (status, _, grace) = run(&server, &key, "ghl-contacts", "create-contact", create("Grace")).await;
    assert_eq!(status, StatusCode::OK, "{grace}");
    let (status, _, alan) = run(&server, &key, "ghl-contacts", "create-contact", create("Alan")).await;
    assert_eq!(status, StatusCode::OK, "{alan}");

    if !eventually(std::time::Duration::from_secs(20), || reconciled.all().len() >= 3).await {
        let (_, _, sub) = server.call(Method::GET, "/v1/subscriptions/contacts", k, None).await;
        let got: Vec<Value> = reconciled.all().iter().map(|r| r.body["data"].clone()).collect();
        panic!("the lost contact never came: {sub} {got:?}");
    }
    // Several more reconciling polls (every 60 ms in tests) find nothing new.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let names = |sink: &crate::sink::Sink| {
        let mut names: Vec<String> =
            sink.all().iter().filter_map(|r| r.body["data"]["firstName"].as_str().map(str::to_string)).collect();
        names.sort();
        names
    };
    assert_eq!(names(&reconciled), ["Ada", "Alan", "Grace"], "each contact once: {:?}", reconciled.all());
    assert_eq!(names(&webhooks_only), ["Ada", "Alan"], "without reconciling, Grace's lost webhook is lost");
    for got in reconciled.all() {
        assert_eq!(
            (got.body["data"]["type"].as_str(), got.body["data"]["locationId"].as_str()),
            (Some("ContactCreate"), Some(LOCATION)),
            "one shape, webhook or poll: {}",
            got.body
        );
    }
    let ids: std::collections::HashSet<Value> = reconciled.all().iter().map(|r| r.body["data"]["id"].clone()).collect();
    let made: std::collections::HashSet<Value> =
        [&ada, &grace, &alan].iter().map(|c| c["output"]["contact"]["id"].clone()).collect();
    assert_eq!(ids, made, "the events are the contacts the API made");
    let status = server.terminate().await;
    assert!(status.success(), "{}", std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default());
}
