//! The README's promises about subscriptions and delivery ("What is
//! guaranteed"), each through the real component, the real host and the
//! simulator: dead letters and their replay, the bounded dedupe set, a start
//! point at an RFC 3339 time; the paging guard rails (`paging`), rate limits
//! and throttling (`rate_limits`), and the `weft run` binary (`weft_run`).

mod paging;
mod rate_limits;
mod weft_run;

use crate::sink;
use crate::subscriptions::host_at;
use crate::support::*;
use std::sync::atomic::Ordering;
use weft::store::{DeliveryStatus, Destination, Start, SubscriptionStore};
use weft::subscriptions;

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_kept_and_a_replay_delivers_them_once_with_the_same_key() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |c| {
        c.delivery.retry_window_secs = 1;
        c.delivery.max_backoff_ms = 100;
    })
    .await;
    host.connect_token(&world, "pit", TOKEN).await;
    let (sink, url) = sink::start().await;
    let (sub, secret) = host.subscribe("tags", "new-tag", Destination::Webhook { url }, Start::Now).await;
    sink.expect_secret(&secret.expect("a generated secret"));
    host.step().await;
    sink.refuse.store(u32::MAX, Ordering::SeqCst);
    let doomed = world.create_tags(&["doomed"]).remove(0);
    let key = format!("{}/{}", sub.id, doomed.id);

    // Steps until the retry window (1 s) is over and the letter is dead; a
    // count of steps would depend on how fast each one is.
    let mut dead = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        host.step().await;
        dead = host.store.deliveries(&sub.id, Some(DeliveryStatus::Dead), 10).await.expect("deliveries");
        if !dead.is_empty() {
            break;
        }
    }
    assert_eq!(dead.len(), 1, "the delivery was dead-lettered once the retry window was over");
    let letter = &dead[0];
    assert_eq!(letter.event.event_id, doomed.id);
    assert!(letter.attempts >= 2, "retried before giving up: {letter:?}");
    assert!(letter.last_error.as_deref().unwrap_or_default().contains("503"), "{letter:?}");
    let tries = sink.attempts().len();
    assert_eq!(tries as u32, letter.attempts, "each attempt reached the receiver");
    for _ in 0..5 {
        host.step().await;
    }
    assert_eq!(sink.attempts().len(), tries, "a dead letter is not retried");
    assert!(sink.all().is_empty());

    // The receiver works again: a later event goes through, the dead letter stays until replayed.
    sink.refuse.store(0, Ordering::SeqCst);
    world.create_tags(&["later"]);
    assert!(step_until(&host, 200, || sink.all().len() == 1).await, "the later event is delivered");
    assert_eq!(sink.all()[0].body["data"]["tag"], "later", "a dead letter does not hold back later events");

    assert_eq!(host.store.replay(&sub.id, None, now_ms()).await.expect("replay"), 1);
    assert!(step_until(&host, 200, || sink.all().len() == 2).await, "the replayed letter is delivered");
    let replayed = &sink.all()[1];
    assert_eq!(replayed.body["data"]["tag"], "doomed");
    assert_eq!(replayed.idempotency_key, key, "the replay carries the event's key");
    assert!(replayed.verified);
    let doomed_keys: Vec<String> =
        sink.attempts().into_iter().filter(|a| a.body["data"]["tag"] == "doomed").map(|a| a.idempotency_key).collect();
    assert!(doomed_keys.len() > tries && doomed_keys.iter().all(|k| *k == key), "one key throughout: {doomed_keys:?}");
    assert!(host.store.deliveries(&sub.id, Some(DeliveryStatus::Dead), 10).await.expect("deliveries").is_empty());
    assert_eq!(host.store.replay(&sub.id, None, now_ms()).await.expect("replay"), 0, "nothing left to replay");
    for _ in 0..3 {
        host.step().await;
    }
    assert_eq!(sink.all().len(), 2, "each delivered once");
}

/// The ids in a subscription's dedupe set, oldest first.
async fn seen_set(host: &crate::subscriptions::Host, subscription: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT event_id FROM seen_events WHERE subscription = ? ORDER BY rowid")
        .bind(subscription)
        .fetch_all(host.store.pool())
        .await
        .expect("read the seen set")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dedupe_set_forgets_the_oldest_ids_past_its_cap_and_drops_repeats_inside_it() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |c| c.scheduler.seen_cap = 3).await;
    host.connect_token(&world, "pit", TOKEN).await;
    let (sub, _) = host.subscribe("tags", "new-tag", Destination::Pull, Start::All).await;
    let tags = world.create_tags(&["a", "b", "c", "d", "e"]);
    let ids: Vec<String> = tags.iter().map(|t| t.id.clone()).collect();
    host.step().await;
    let events = subscriptions::events(&*host.store, &sub, 0, 100).await.expect("events");
    assert_eq!(events.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(seen_set(&host, &sub.id).await, ids[2..], "the newest three ids are kept, the oldest forgotten");

    // Rewind the trigger's cursor, as a connector that lost its place would:
    // it hands back every tag again, and only the host's dedupe set stands in the way.
    sqlx::query("UPDATE subscriptions SET cursor = NULL WHERE id = ?")
        .bind(&sub.id)
        .execute(host.store.pool())
        .await
        .expect("rewind the cursor");
    let reports = host.step().await;
    assert_eq!(reports.first().map(|(_, r)| r.new_events), Some(2), "{reports:?}");
    let last = events.last().expect("events").seq;
    let again = subscriptions::events(&*host.store, &sub, last, 100).await.expect("events");
    let again: Vec<String> = again.into_iter().map(|e| e.event_id).collect();
    assert_eq!(again, ids[..2], "the forgotten ids come back; the three inside the cap are dropped as repeats");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_time_delivers_what_came_at_or_after_it_and_nothing_before() {
    let world = World::new().await;
    let before = world.create_tags(&["before 1", "before 2"]);
    // One millisecond after the last old tag; the simulator stamps every later tag at it or after.
    let since = (before[1].created_at + jiff::SignedDuration::from_millis(1)).to_string();
    world.create_tags(&["after 1", "after 2"]);
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |_| {}).await;
    host.connect_token(&world, "pit", TOKEN).await;
    let (sink, url) = sink::start().await;
    let start = Start::parse(&since).expect("an RFC 3339 time");
    assert_eq!(start, Start::Since(since.clone()));
    host.subscribe("tags", "new-tag", Destination::Webhook { url }, start).await;

    assert!(step_until(&host, 200, || sink.all().len() >= 2).await, "the tags after {since} arrive");
    host.step().await;
    let names = |sink: &sink::Sink| -> Vec<String> {
        sink.all().iter().map(|r| r.body["data"]["tag"].as_str().unwrap_or_default().to_string()).collect()
    };
    assert_eq!(names(&sink), ["after 1", "after 2"], "nothing from before {since}");
    world.create_tags(&["after 3"]);
    assert!(step_until(&host, 200, || sink.all().len() >= 3).await);
    host.step().await;
    assert_eq!(names(&sink), ["after 1", "after 2", "after 3"], "then each new tag once");
}
