//! Subscriptions: durable polling, dedupe, the outbox, signed webhooks,
//! pausing on failures retrying cannot fix, rate limits and throttling.

use crate::sink;
use crate::support::*;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use weft::connections::{Connections, NewTokenConnection};
use weft::store::{Destination, SqlStore, Start, Subscription, SubscriptionState, SubscriptionStore};
use weft::subscriptions::{self, Deliverer, NewSubscription, Registry, Scheduler};
use weft::vault::Vault;
use weft::{HostConfig, Runtime, Secret};

/// The dev poll interval these tests run with.
pub(crate) const TICK_MS: u64 = 40;

pub(crate) struct Host {
    pub runtime: Arc<Runtime>,
    pub store: Arc<SqlStore>,
    pub vault: Arc<Vault>,
    pub registry: Arc<Registry>,
    pub scheduler: Arc<Scheduler>,
    pub deliverer: Arc<Deliverer>,
    pub connections: Arc<Connections>,
}

pub(crate) async fn host_at(data: &Path, component: &Path, tweak: impl FnOnce(&mut HostConfig)) -> Host {
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    config.scheduler.dev_interval_ms = Some(TICK_MS);
    config.delivery.first_backoff_ms = 20;
    tweak(&mut config);
    config.data_dir = Some(data.to_path_buf());
    if let Some(url) = crate::postgres::test_database(data) {
        config.store.url = Some(Secret::new(url));
    }
    let host = weft::Host::open(config).await.expect("host");
    host.load(component).await.expect("load component");
    Host {
        runtime: host.runtime().clone(),
        store: host.store().clone(),
        vault: host.vault().clone(),
        registry: host.registry().clone(),
        scheduler: host.scheduler().clone(),
        deliverer: host.deliverer().clone(),
        connections: host.connections().clone(),
    }
}

impl Host {
    pub(crate) async fn connect_token(&self, world: &World, name: &str, token: &str) {
        self.connect_token_to("ghl-social-planner", world, name, token).await;
    }

    /// Stores a token connection `name` for `connector`, pointed at the simulator.
    pub(crate) async fn connect_token_to(&self, connector: &str, world: &World, name: &str, token: &str) {
        let manifest = self.registry.get(connector).expect("loaded").manifest.clone();
        self.connections
            .create_token(NewTokenConnection {
                workspace: "default",
                name,
                manifest: &manifest,
                base_url: Some(&world.sim.base_url()),
                facts: json!({ "locationId": LOCATION }),
                token: Secret::new(token),
            })
            .await
            .expect("store connection");
    }

    pub(crate) async fn subscribe(
        &self,
        name: &str,
        trigger: &str,
        destination: Destination,
        start: Start,
    ) -> (Subscription, Option<String>) {
        self.subscribe_to("ghl-social-planner", name, trigger, destination, start).await
    }

    /// Subscribes to `trigger` of `connector` over the connection `pit`.
    pub(crate) async fn subscribe_to(
        &self,
        connector: &str,
        name: &str,
        trigger: &str,
        destination: Destination,
        start: Start,
    ) -> (Subscription, Option<String>) {
        let new = NewSubscription {
            workspace: "default".into(),
            name: name.into(),
            connector: connector.into(),
            trigger: trigger.into(),
            connection: "pit".into(),
            input: json!({}),
            interval_secs: None,
            reconcile: None,
            start,
            destination,
            webhook_secret: None,
            mapping: None,
            destination_schema: None,
        };
        let interval = subscriptions::validate(&new, &self.registry).expect("valid subscription");
        let (sub, secret) = subscriptions::build(new, interval, &self.vault);
        self.store.insert_subscription(&sub).await.expect("insert");
        (sub, secret)
    }

    /// Waits out the dev interval, polls what is due and delivers what is pending.
    pub(crate) async fn step(&self) -> Vec<(String, weft::subscriptions::PollReport)> {
        tokio::time::sleep(Duration::from_millis(TICK_MS + 15)).await;
        let reports = self.scheduler.poll_due_now().await;
        self.deliverer.deliver_due_now().await;
        reports
    }

    pub(crate) async fn state(&self, name: &str) -> Subscription {
        self.store.subscription("default", name).await.expect("read").expect("exists")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tags_reach_a_webhook_once_signed_with_a_stable_idempotency_key() {
    let world = World::new().await;
    world.create_tags(&["before"]);
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |_| {}).await;
    host.connect_token(&world, "pit", TOKEN).await;
    let (sink, url) = sink::start().await;
    let (sub, secret) = host.subscribe("tags", "new-tag", Destination::Webhook { url }, Start::Now).await;
    let secret = secret.expect("a generated signing secret");

    sink.expect_secret(&secret);

    host.step().await;
    assert!(sink.all().is_empty(), "seeding delivers nothing");
    let tags = world.create_tags(&["launch", "promo"]);
    host.step().await;
    host.step().await;
    assert_eq!(sink.bad_signatures(), 0, "every signature verifies with the receiver's own HMAC");
    let got = sink.all();
    assert_eq!(got.len(), 2, "{got:?}");
    for (r, tag) in got.iter().zip(&tags) {
        assert_eq!(r.body["data"]["tag"], tag.tag.as_str(), "in order");
        assert_eq!(r.idempotency_key, format!("{}/{}", sub.id, tag.id), "the key is <subscription id>/<event id>");
        assert_eq!(r.body["id"], r.idempotency_key.as_str());
        assert!(r.verified && r.signature.is_some(), "signed: {r:?}");
    }
    let state = host.state("tags").await;
    assert_eq!(state.state, SubscriptionState::Active);
    assert!(state.last_success_at.is_some());
    let events = subscriptions::events(&*host.store, &state, 0, 10).await.expect("events");
    assert_eq!(events.len(), 2, "events stay readable by cursor");
    let later = subscriptions::events(&*host.store, &state, events[0].seq, 10).await.expect("events");
    assert_eq!(later.len(), 1);
}

#[test]
fn the_signature_matches_a_vector_computed_outside_weft() {
    let header =
        weft::subscriptions::sign(sink::VECTOR_SECRET.as_bytes(), sink::VECTOR_TIME, sink::VECTOR_BODY.as_bytes());
    assert_eq!(header, sink::VECTOR_HEADER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_receiver_gets_retries_and_then_everything_in_order() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |_| {}).await;
    host.connect_token(&world, "pit", TOKEN).await;
    let (sink, url) = sink::start().await;
    let (sub, _) = host.subscribe("tags", "new-tag", Destination::Webhook { url }, Start::Now).await;
    host.step().await;
    sink.refuse.store(3, std::sync::atomic::Ordering::SeqCst);
    let tags = world.create_tags(&["one", "two"]);
    for _ in 0..200 {
        host.step().await;
        if sink.all().len() >= 2 {
            break;
        }
    }
    let names: Vec<String> =
        sink.all().iter().filter_map(|r| r.body["data"]["tag"].as_str().map(String::from)).collect();
    assert_eq!(names, ["one", "two"], "delivered after the refusals, in order");
    let deliveries = subscriptions::deliveries(&*host.store, &sub, None).await.expect("deliveries");
    assert!(deliveries.iter().any(|d| d.attempts > 1), "the first one needed several attempts");
    // Every attempt, refused or not, carries the event's one key.
    let keys: Vec<String> = sink.attempts().iter().map(|r| r.idempotency_key.clone()).collect();
    let first = format!("{}/{}", sub.id, tags[0].id);
    assert_eq!(keys[..4], [first.clone(), first.clone(), first.clone(), first], "refused three times, then accepted");
    assert_eq!(keys[4..], [format!("{}/{}", sub.id, tags[1].id)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_with_a_revoked_connection_pauses_with_a_readable_reason() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |_| {}).await;
    host.connect_token(&world, "pit", "revoked-token").await;
    host.subscribe("tags", "new-tag", Destination::Pull, Start::Now).await;
    for _ in 0..3 {
        host.step().await;
    }
    let sub = host.state("tags").await;
    assert_eq!(sub.state, SubscriptionState::Error);
    let reason = sub.state_reason.expect("a reason");
    assert!(reason.contains("3 failures") && reason.contains("reconnect"), "{reason}");
    let before = world.sim.sim.requests().len();
    host.step().await;
    assert_eq!(world.sim.sim.requests().len(), before, "a paused subscription is not polled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_subscriptions_are_refused_with_what_to_fix() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |_| {}).await;
    host.connect_token(&world, "pit", TOKEN).await;
    let mut new = NewSubscription {
        workspace: "default".into(),
        name: "x".into(),
        connector: "ghl-social-planner".into(),
        trigger: "new-tag".into(),
        connection: "pit".into(),
        input: json!({"nameContains": 5}),
        interval_secs: None,
        reconcile: None,
        start: Start::Now,
        destination: Destination::Pull,
        webhook_secret: None,
        mapping: None,
        destination_schema: None,
    };
    let err = subscriptions::validate(&new, &host.registry).expect_err("bad input").to_string();
    assert!(err.contains("/nameContains"), "{err}");
    new.input = json!({});
    new.interval_secs = Some(10);
    let err = subscriptions::validate(&new, &host.registry).expect_err("too often").to_string();
    assert!(err.contains("60") && err.contains("900"), "{err}");
    new.interval_secs = None;
    new.trigger = "new-thing".into();
    let err = subscriptions::validate(&new, &host.registry).expect_err("unknown trigger").to_string();
    assert!(err.contains("new-tag"), "lists the triggers there are: {err}");
    new.trigger = "post-statistics".into();
    new.input = json!({"profileIds": ["p"]});
    new.start = Start::Since("2026-01-01T00:00:00Z".into());
    let err = subscriptions::validate(&new, &host.registry).expect_err("no since").to_string();
    assert!(err.contains("cannot start from"), "{err}");
}

/// A copy of the component with a custom section appended: another build
/// of the same connector, with another digest.
pub(crate) fn new_build_of(component: &Path, dir: &Path) -> std::path::PathBuf {
    let mut bytes = std::fs::read(component).expect("component");
    let name = b"weft-test-build";
    let payload = b"v2";
    bytes.push(0); // custom section
    bytes.push((1 + name.len() + payload.len()) as u8);
    bytes.push(name.len() as u8);
    bytes.extend_from_slice(name);
    bytes.extend_from_slice(payload);
    let path = dir.join("ghl_social_planner-v2.wasm");
    std::fs::write(&path, bytes).expect("write");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart_and_a_new_build_of_the_connector() {
    let world = World::new().await;
    world.create_tags(&["old"]);
    let data = tempfile::tempdir().expect("dir");
    let (sink, url) = sink::start().await;
    {
        let host = host_at(data.path(), component(), |_| {}).await;
        host.connect_token(&world, "pit", TOKEN).await;
        host.subscribe("tags", "new-tag", Destination::Webhook { url }, Start::Now).await;
        host.step().await;
        world.create_tags(&["first"]);
        host.step().await;
        host.step().await;
    }
    assert_eq!(sink.tag_names(), ["first".to_string()].into());
    world.create_tags(&["second"]);
    let upgraded = new_build_of(component(), data.path());
    let host = host_at(data.path(), &upgraded, |_| {}).await;
    let digest = host.registry.get("ghl-social-planner").expect("loaded").digest.clone();
    assert_ne!(digest, host.runtime.load(component()).await.expect("old").digest, "a different build");
    host.step().await;
    host.step().await;
    assert_eq!(sink.tag_names(), ["first", "second"].map(String::from).into());
    assert_eq!(sink.all().len(), 2, "nothing redelivered, nothing re-seeded: {:?}", sink.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_subscriptions_on_one_location_never_exceed_its_known_rate_limit() {
    let world = World::new().await;
    world.sim.sim.set_rate_limit(ghl_sim::RateLimit { burst: 20, window_ms: 2_000, daily: 200_000 }).expect("limit");
    world.create_tags(&["t"]);
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |c| {
        c.connectors.insert(
            "ghl-social-planner".into(),
            weft::ConnectorSettings {
                rate_limit: Some(weft_manifest::RateLimit {
                    requests: 20,
                    per_seconds: 2,
                    daily: None,
                    per: "locationId".into(),
                }),
                ..Default::default()
            },
        );
    })
    .await;
    host.connect_token(&world, "pit", TOKEN).await;
    for i in 0..12 {
        host.subscribe(&format!("s{i}"), "new-tag", Destination::Pull, Start::Now).await;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(host.scheduler.clone().run(stopped));
    tokio::time::sleep(Duration::from_millis(5_500)).await;
    let _ = stop.send(true);
    running.await.expect("scheduler");
    let stats = world.sim.sim.stats();
    assert_eq!(stats.rate_limited, 0, "weft caused no 429: {stats:?}");
    assert!(stats.served >= 50, "the budget was used, not idle: {stats:?}");
    assert!(host.runtime.rate_limit_waits() > 0, "requests waited for the budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_throttling_lose_nothing_and_never_pause() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |_| {}).await;
    host.connect_token(&world, "pit", TOKEN).await;
    let (sink, url) = sink::start().await;
    host.subscribe("tags", "new-tag", Destination::Webhook { url }, Start::Now).await;
    host.step().await;
    world.create_tags(&["through the storm"]);
    let faults = [ghl_sim::Fault::status(500).times(3), ghl_sim::Fault::status(429), ghl_sim::Fault::status(503)];
    world.sim.sim.push_faults(faults, None).expect("faults");
    for _ in 0..1000 {
        host.step().await;
        if !sink.all().is_empty() {
            break;
        }
    }
    let sub = host.state("tags").await;
    assert_eq!(sub.state, SubscriptionState::Active, "throttling never pauses: {:?}", sub.state_reason);
    assert_eq!(sub.consecutive_failures, 0, "none of them counted toward pausing");
    assert_eq!(sink.tag_names(), ["through the storm".to_string()].into());
    assert_eq!(world.sim.sim.pending_faults(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_the_address_guard_refuses_records_the_guard_s_reason() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    // A name that resolves to a private address; deliveries never dial it.
    let host = host_at(data.path(), component(), |c| {
        c.static_hosts.insert("hooks.internal.test".into(), vec!["10.0.0.9".parse().expect("ip")]);
    })
    .await;
    host.connect_token(&world, "pit", TOKEN).await;
    let url = "https://hooks.internal.test/weft".to_string();
    let (sub, _) = host.subscribe("tags", "new-tag", Destination::Webhook { url }, Start::All).await;
    world.create_tags(&["launch"]);
    host.step().await;
    let deliveries = host.store.deliveries(&sub.id, None, 10).await.expect("deliveries");
    let error = deliveries.first().and_then(|d| d.last_error.clone()).expect("a failed attempt");
    assert!(
        error.contains("address guard") && error.contains("10.0.0.9") && error.contains("private"),
        "the reason is the guard's, not a connect error: {error}"
    );
}
