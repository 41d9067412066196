//! Instant triggers: from the simulator sending a signed `ContactTagUpdate`
//! to a webhook receiver getting weft's delivery of it, through `weft serve`
//! on loopback (signature check, durable receipt, routing through the
//! contacts component's `transform`, outbox, delivery).

use crate::stats::Samples;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use weft::connections::NewTokenConnection;
use weft::store::{Destination, Start, SubscriptionStore};
use weft::subscriptions::{self, NewSubscription};
use weft::{Host, HostConfig, Secret};

pub(crate) struct HookLatency {
    pub webhooks: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn receive(State(arrivals): State<Arrivals>, body: axum::body::Bytes) -> axum::http::StatusCode {
    let at = Instant::now();
    if let Some(id) =
        serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["data"]["id"].as_str().map(str::to_string))
    {
        arrivals.lock().unwrap_or_else(|p| p.into_inner()).insert(id, at);
    }
    axum::http::StatusCode::NO_CONTENT
}

pub(crate) async fn run(count: usize) -> HookLatency {
    let sim = ghl_sim::start("127.0.0.1:0".parse().expect("address")).await.expect("simulator");
    sim.sim.register_token("tok", "loc-bench", ["contacts.readonly"]);
    crate::machine::unthrottled_sim(&sim.sim);
    let arrivals: Arrivals = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("sink");
    let sink = format!("http://{}/hook", listener.local_addr().expect("address"));
    let app = axum::Router::new().route("/hook", post(receive)).with_state(arrivals.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = tempfile::tempdir().expect("data dir");
    let (ed25519, rsa) = ghl_sim::webhook_public_keys().expect("keys");
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    crate::machine::unthrottled(&mut config);
    config.data_dir = Some(dir.path().to_path_buf());
    config.server.listen = "127.0.0.1:0".into();
    config.delivery.first_backoff_ms = 50;
    let app_settings = weft::hooks::HookApp {
        ed25519_keys: vec![ed25519],
        rsa_keys: vec![rsa],
        requests_per_second: 1_000_000,
        ..Default::default()
    };
    config.hooks.insert("sim".into(), app_settings);
    let host = Arc::new(Host::open(config).await.expect("host"));
    let contacts = weft_tests::generated_components()
        .into_iter()
        .find(|(name, _)| *name == "ghl-contacts")
        .map(|(_, path)| path)
        .expect("the contacts component");
    let manifest = host.load(contacts).await.expect("component").manifest.clone();
    host.connections()
        .create_token(NewTokenConnection {
            workspace: "bench",
            name: "crm",
            manifest: &manifest,
            base_url: Some(&sim.base_url()),
            facts: json!({ "locationId": "loc-bench" }),
            token: Secret::new("tok".to_string()),
        })
        .await
        .expect("connection");
    let new = NewSubscription {
        workspace: "bench".into(),
        name: "tags".into(),
        connector: manifest.id.clone(),
        trigger: "contact-tag-updated".into(),
        connection: "crm".into(),
        input: json!({}),
        interval_secs: None,
        reconcile: None,
        start: Start::Now,
        destination: Destination::Webhook { url: sink },
        webhook_secret: None,
        mapping: None,
        destination_schema: None,
    };
    let interval = subscriptions::validate(&new, host.registry()).expect("valid");
    let (sub, _) = subscriptions::build(new, interval, host.vault());
    host.store().insert_subscription(&sub).await.expect("subscription");
    let running = weft::server::start(host.clone()).await.expect("weft serve");
    sim.sim.set_webhook_url(&format!("http://{}/v1/hooks/ghl/sim", running.addr));

    let event = |n: usize| ghl_sim::WebhookEvent {
        event_type: "ContactTagUpdate".into(),
        location_id: "loc-bench".into(),
        data: json!({"id": format!("c-{n}"), "name": "Ada", "tags": ["vip"]}).as_object().cloned().unwrap_or_default(),
    };
    let warm_up = 20;
    let mut sent_at = HashMap::new();
    for n in 0..warm_up + count {
        let started = Instant::now();
        let sent = sim.sim.send_webhook(&event(n), &ghl_sim::Delivery::default()).await.expect("sent");
        assert_eq!(sent.statuses, [200], "weft refused a webhook");
        if n >= warm_up {
            sent_at.insert(format!("c-{n}"), started);
        }
        // One change every 2 ms: a busy location, not a flood.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = {
            let arrived = arrivals.lock().unwrap_or_else(|p| p.into_inner());
            sent_at.keys().all(|k| arrived.contains_key(k))
        };
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrived = arrivals.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let latencies: Vec<Duration> =
        sent_at.iter().filter_map(|(k, t0)| arrived.get(k).map(|at| at.saturating_duration_since(*t0))).collect();
    running.shutdown().await;
    assert_eq!(latencies.len(), count, "not every webhook was delivered");
    let max = latencies.iter().max().copied().unwrap_or_default();
    let samples = Samples::new(latencies);
    HookLatency { webhooks: count, p50: samples.p50(), p99: samples.p99(), max }
}
