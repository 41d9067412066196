//! Paging guard rails: a poll turn stops at the cap on rounds, at a repeated
//! cursor and at the time budget, and what it left is polled on later turns.

use crate::subscriptions::{Host, TICK_MS, host_at};
use crate::support::*;
use std::time::Duration;
use weft::HostConfig;
use weft::store::{Destination, Start, Subscription};
use weft::subscriptions::{self, PollReport};

const TAGS: usize = 10;

/// Ten tags, read two per poll (`events_per_poll = 2`) by a `start = all`
/// subscription, on a host tweaked by `tweak`.
async fn ten_tags_two_per_poll(
    world: &World,
    data: &std::path::Path,
    tweak: impl FnOnce(&mut HostConfig),
) -> (Host, Subscription, Vec<String>) {
    let host = host_at(data, component(), |c| {
        c.limits.events_per_poll = 2;
        tweak(c);
    })
    .await;
    host.connect_token(world, "pit", TOKEN).await;
    let names: Vec<String> = (0..TAGS).map(|i| format!("tag {i}")).collect();
    let ids = world.create_tags(&names.iter().map(String::as_str).collect::<Vec<_>>()).into_iter().map(|t| t.id);
    let (sub, _) = host.subscribe("tags", "new-tag", Destination::Pull, Start::All).await;
    (host, sub, ids.collect())
}

async fn one_turn(host: &Host) -> PollReport {
    let reports = host.scheduler.poll_due_now().await;
    assert_eq!(reports.len(), 1, "{reports:?}");
    reports.into_iter().next().map(|(_, r)| r).unwrap_or_default()
}

/// Turns until every tag is an event; each exactly once, oldest first.
async fn the_rest_arrives(host: &Host, sub: &Subscription, ids: &[String]) {
    for _ in 0..200 {
        if subscriptions::events(&*host.store, sub, 0, 100).await.expect("events").len() >= ids.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(TICK_MS + 15)).await;
        host.scheduler.poll_due_now().await;
    }
    let events = subscriptions::events(&*host.store, sub, 0, 100).await.expect("events");
    assert_eq!(events.into_iter().map(|e| e.event_id).collect::<Vec<_>>(), ids, "nothing lost, nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_stops_at_max_rounds_and_the_next_turn_goes_on() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let (host, sub, ids) = ten_tags_two_per_poll(&world, data.path(), |c| c.scheduler.max_rounds = 3).await;
    let report = one_turn(&host).await;
    assert_eq!((report.rounds, report.new_events, report.error), (3, 6, None), "three rounds of two");
    the_rest_arrives(&host, &sub, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_turn_stops_when_its_time_budget_is_spent() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let (host, sub, ids) = ten_tags_two_per_poll(&world, data.path(), |c| c.scheduler.round_budget_ms = 250).await;
    // The first round alone takes longer than the budget.
    world.sim.sim.push_faults([ghl_sim::Fault::delay(Duration::from_millis(600))], Some("/tags")).expect("fault");
    let report = one_turn(&host).await;
    assert_eq!((report.rounds, report.new_events, report.error), (1, 2, None), "one round, then out of time");
    the_rest_arrives(&host, &sub, &ids).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_that_says_more_with_the_same_cursor_is_stopped_at_the_repeat() {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    // The hostile component's `endless-more` says it has more, forever, with the same cursor.
    let host = host_at(data.path(), weft_tests::hostile_component(), |_| {}).await;
    host.connect_token_to("weft-hostile", &world, "pit", TOKEN).await;
    let (sub, _) = host.subscribe_to("weft-hostile", "endless", "endless-more", Destination::Pull, Start::All).await;
    let report = one_turn(&host).await;
    assert_eq!(report.error, None);
    assert_eq!((report.rounds, report.new_events), (2, 2), "the second round returned the cursor it was given");
    let state = host.state("endless").await;
    assert_eq!(state.cursor.as_deref(), Some("\"same\""), "its rounds were committed");
    let events = subscriptions::events(&*host.store, &sub, 0, 100).await.expect("events");
    assert_eq!(events.len(), 2);
}
