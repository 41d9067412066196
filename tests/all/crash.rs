//! The crash test: `weft run` is killed with SIGKILL at random moments while
//! the simulator keeps creating tags, and restarted. It shows from what each
//! kill left behind that kills landed mid-delivery or mid-poll, and that
//! every tag still reaches the webhook, under one key, after dedupe by
//! `Idempotency-Key` exactly once.

use crate::sink::{self, Sink};
use crate::support::*;
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use weft::store::{DeliveryStatus, SubscriptionStore};

const KILLS: usize = 32;
const SECRET: &str = "whsec_crash_test_secret";
const CONFIG: &str = "[egress]\nallow_loopback = true\n[scheduler]\ndev_interval_ms = 40\n\
                      [delivery]\nfirst_backoff_ms = 50\nmax_backoff_ms = 400\n";

/// What a kill interrupted, read from what it left behind.
#[derive(Debug, Default, Clone, Copy)]
struct Interrupted {
    /// The sink received a delivery the outbox still has pending: sent, never recorded.
    delivery: bool,
    /// The last request reached the simulator after the last committed poll: polled, never committed.
    poll: bool,
}

async fn interrupted(data: &Path, sink: &Sink, world: &World) -> Interrupted {
    if !data.join("weft.db").exists() {
        return Interrupted::default();
    }
    let store = open_store(data).await;
    let mut found = Interrupted::default();
    if let Some(sub) = store.subscription("default", "tags").await.expect("read the subscription") {
        let pending = store.deliveries(&sub.id, Some(DeliveryStatus::Pending), 1000).await.expect("deliveries");
        let received: HashSet<String> = sink.attempts().into_iter().map(|r| r.idempotency_key).collect();
        found.delivery = pending.iter().any(|d| received.contains(&format!("{}/{}", sub.id, d.event.event_id)));
        let committed = sub.last_success_at.and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let committed = committed.map_or(i64::MIN, |t| t.as_millisecond());
        found.poll = world.sim.sim.requests().last().is_some_and(|r| r.at_ms > committed);
    }
    store.pool().close().await;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_and_duplicates_nothing() {
    let world = Arc::new(World::new().await);
    let dir = tempfile::tempdir().expect("dir");
    let (sink, hook) = sink::start().await;
    sink.expect_secret(SECRET);
    // A slow receiver, so some kills land between a delivery and its record.
    sink.delay_ms.store(15, Ordering::SeqCst);
    let entry = new_tag_entry("tags", "all", &hook, &format!("webhook_secret = \"{SECRET}\""));
    let args = weft_run_args(&world, dir.path(), CONFIG, &entry);
    let data = dir.path().join("data");
    let log = dir.path().join("weft.log");

    // The location keeps getting new tags while weft crashes and restarts.
    let creating = Arc::new(AtomicBool::new(true));
    let creator = {
        let (world, creating) = (world.clone(), creating.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while creating.load(Ordering::SeqCst) {
                world.sim.sim.create_tag(LOCATION, &format!("tag {n:04}"));
                n += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };

    let (mut mid_delivery, mut mid_poll) = (0, 0);
    for _ in 0..KILLS {
        let mut child = spawn_weft(&args, &log);
        let wait = rand::rng().random_range(100..900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        if child.try_wait().expect("status").is_some() {
            panic!("weft run exited by itself; see {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reaped");
        let found = interrupted(&data, &sink, &world).await;
        mid_delivery += usize::from(found.delivery);
        mid_poll += usize::from(found.poll);
    }
    creating.store(false, Ordering::SeqCst);
    creator.await.expect("creator");
    let created: HashMap<String, String> = world.sim.sim.tags(LOCATION).into_iter().map(|t| (t.tag, t.id)).collect();

    // One last run, left alone until everything arrived.
    let mut child = spawn_weft(&args, &log);
    let all_arrived = eventually(Duration::from_secs(120), || sink.tag_names().len() >= created.len()).await;
    child.start_kill().expect("stop");
    child.wait().await.expect("reaped");

    let received = sink.all();
    let delivered = sink.tag_names();
    let missing: Vec<&String> = created.keys().filter(|t| !delivered.contains(*t)).collect();
    assert!(
        all_arrived && missing.is_empty(),
        "{} of {} tags never arrived: {missing:?}",
        missing.len(),
        created.len()
    );
    assert_eq!(sink.bad_signatures(), 0, "every delivery was signed with the subscription's secret");
    let store = open_store(&data).await;
    let sub = store.subscription("default", "tags").await.expect("read").expect("the subscription");
    let mut tag_of_key: HashMap<String, String> = HashMap::new();
    for r in &received {
        let tag = r.body["data"]["tag"].as_str().unwrap_or_default().to_string();
        let key = format!("{}/{}", sub.id, created[&tag]);
        assert_eq!(r.idempotency_key, key, "`{tag}` arrived under another key than <subscription id>/<event id>");
        tag_of_key.insert(key, tag);
    }
    assert_eq!(tag_of_key.len(), created.len(), "after dedupe each tag exactly once");
    eprintln!(
        "crash test: {KILLS} kills ({mid_delivery} mid-delivery, {mid_poll} mid-poll), {} tags, {} deliveries \
         received ({} repeats removed by the idempotency key)",
        created.len(),
        received.len(),
        received.len() - tag_of_key.len()
    );
    assert!(mid_delivery + mid_poll > 0, "no kill landed while a poll or a delivery was in flight");
}
