//! Rate limits and throttling: `Retry-After` (longer and shorter than the
//! default back-off) and 429s without it put a subscription's next poll off
//! by exactly that long; `X-RateLimit-Remaining: 0` and 429s hold the
//! account's budget back; the daily budget stops requests past it; one budget
//! is shared by actions and polls on a location. Requests are counted and
//! timed at the simulator.

use crate::sink;
use crate::subscriptions::{TICK_MS, host_at};
use crate::support::*;
use serde_json::json;
use std::time::Duration;
use weft::store::{Destination, Start, SubscriptionState};
use weft::{CallError, ConnectorFailure, ConnectorSettings, HostConfig, Runtime};

/// A seeded subscription whose next poll gets a 429 (with `Retry-After:
/// retry_after` seconds when given): checks that the failed poll set the next
/// one exactly `expected_ms` later, and that the next request reached the
/// simulator no sooner, then that the new tag arrives.
async fn a_429_puts_the_next_poll_off(retry_after: Option<u64>, expected_ms: i64) {
    let world = World::new().await;
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |_| {}).await;
    host.connect_token(&world, "pit", TOKEN).await;
    let (sink, url) = sink::start().await;
    host.subscribe("tags", "new-tag", Destination::Webhook { url }, Start::Now).await;
    host.step().await;
    world.create_tags(&["after the throttle"]);
    let fault = match retry_after {
        Some(secs) => ghl_sim::Fault::too_many_requests(secs),
        None => ghl_sim::Fault::status(429),
    };
    world.sim.sim.push_faults([fault], Some("/tags")).expect("fault");
    tokio::time::sleep(Duration::from_millis(2 * TICK_MS)).await;
    let before = jiff::Timestamp::now().as_millisecond();
    let reports = host.scheduler.poll_due_now().await;
    let after = jiff::Timestamp::now().as_millisecond();
    let error = reports.first().and_then(|(_, r)| r.error.clone()).expect("the poll was throttled");
    assert!(error.contains("rate limited"), "{error}");
    let sub = host.state("tags").await;
    assert_eq!((sub.state, sub.consecutive_failures), (SubscriptionState::Active, 0), "throttling does not count");
    let wait = (sub.next_poll_at - after)..=(sub.next_poll_at - before);
    assert!(wait.contains(&expected_ms), "the next poll is due {wait:?} ms after the failed one, not {expected_ms}");

    for _ in 0..1000 {
        host.step().await;
        if !sink.all().is_empty() {
            break;
        }
    }
    assert_eq!(sink.tag_names(), ["after the throttle".to_string()].into());
    let requests = world.sim.sim.requests();
    let throttled = requests.iter().position(|r| r.status == 429).expect("the 429");
    let next = requests.get(throttled + 1).expect("a request after the 429");
    let waited = next.at_ms - requests[throttled].at_ms;
    assert!(waited >= expected_ms, "the next request came {waited} ms after the 429, before {expected_ms} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_longer_than_the_default_backoff_is_waited_out() {
    a_429_puts_the_next_poll_off(Some(5), 5_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_shorter_than_the_default_backoff_is_not_overwaited() {
    a_429_puts_the_next_poll_off(Some(1), 1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_without_retry_after_puts_the_next_poll_off_by_the_default_backoff() {
    a_429_puts_the_next_poll_off(None, 2_000).await;
}

/// A host config whose budget for the social planner is `requests` per
/// `per_seconds`, and `daily` a day when given.
fn budget(config: &mut HostConfig, requests: u32, per_seconds: u32, daily: Option<u32>) {
    let rate_limit = weft_manifest::RateLimit { requests, per_seconds, daily, per: "locationId".into() };
    let settings = ConnectorSettings { rate_limit: Some(rate_limit), ..Default::default() };
    config.connectors.insert("ghl-social-planner".into(), settings);
}

fn runtime_with(tweak: impl FnOnce(&mut HostConfig)) -> Runtime {
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    tweak(&mut config);
    Runtime::new(config).expect("runtime")
}

/// How long after the previous one each request reached the simulator, in ms.
fn gaps(world: &World) -> Vec<i64> {
    world.sim.sim.requests().windows(2).map(|w| w[1].at_ms - w[0].at_ms).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_without_retry_after_holds_the_account_for_the_default_backoff() {
    let world = World::new().await;
    let runtime = runtime_with(|_| {});
    let ghl = ghl(&runtime).await;
    let conn = world.connection(TOKEN);
    world.sim.sim.push_faults([ghl_sim::Fault::status(429)], Some("/tags")).expect("fault");
    let throttled = runtime.execute(&ghl, &conn, "find-tags", &json!({})).await.expect_err("a 429");
    assert!(matches!(throttled, CallError::Connector(ConnectorFailure::RateLimited { .. })), "{throttled}");
    runtime.execute(&ghl, &conn, "find-tags", &json!({})).await.expect("then it succeeds");
    let gaps = gaps(&world);
    assert!(gaps.len() == 1 && gaps[0] >= 1_000, "the next request waited the 1 s back-off: {gaps:?} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_remaining_zero_holds_the_budget_until_the_api_s_window_turns_over() {
    let world = World::new().await;
    // The API allows one request per 1.5 s; weft's budget alone would allow 100.
    world.sim.sim.set_rate_limit(ghl_sim::RateLimit { burst: 1, window_ms: 1_500, daily: 200_000 }).expect("limit");
    // Holding a quarter of weft's 8 s window is longer than the API's.
    let runtime = runtime_with(|c| budget(c, 100, 8, None));
    let ghl = ghl(&runtime).await;
    let conn = world.connection(TOKEN);
    for _ in 0..2 {
        runtime.execute(&ghl, &conn, "find-tags", &json!({})).await.expect("no 429");
    }
    assert_eq!(world.sim.sim.stats().rate_limited, 0, "weft waited instead of being throttled");
    let gaps = gaps(&world);
    assert!(gaps.len() == 1 && gaps[0] >= 1_500, "{gaps:?} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_budget_stops_requests_past_it() {
    let world = World::new().await;
    let runtime = runtime_with(|c| {
        budget(c, 100, 10, Some(3));
        c.limits.call_timeout_ms = 5_000;
    });
    let ghl = ghl(&runtime).await;
    let conn = world.connection(TOKEN);
    for _ in 0..3 {
        runtime.execute(&ghl, &conn, "find-tags", &json!({})).await.expect("within the daily budget");
    }
    let past = runtime.execute(&ghl, &conn, "find-tags", &json!({})).await.expect_err("past the daily budget");
    let ran_out = matches!(past, CallError::LimitExceeded { limit: weft::limits::Limit::CallTimeout, .. });
    assert!(ran_out, "it waited for tomorrow until its time ran out: {past}");
    assert_eq!(world.sim.sim.requests().len(), 3, "the fourth request was never sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_and_polls_on_one_location_share_one_budget() {
    let world = World::new().await;
    world.sim.sim.set_rate_limit(ghl_sim::RateLimit { burst: 5, window_ms: 2_000, daily: 200_000 }).expect("limit");
    let data = tempfile::tempdir().expect("dir");
    let host = host_at(data.path(), component(), |c| budget(c, 5, 2, None)).await;
    host.connect_token(&world, "pit", TOKEN).await;
    host.subscribe("tags", "new-tag", Destination::Pull, Start::Now).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(host.scheduler.clone().run(stopped));
    let ghl = host.registry.get("ghl-social-planner").expect("loaded");
    let conn = world.connection(TOKEN);
    let started = tokio::time::Instant::now();
    let mut actions = 0;
    while started.elapsed() < Duration::from_secs(5) {
        let input = json!({"searchText": "from an action"});
        host.runtime.execute(&ghl, &conn, "find-tags", &input).await.expect("the action is never throttled");
        actions += 1;
    }
    let _ = stop.send(true);
    running.await.expect("scheduler");

    let requests = world.sim.sim.requests();
    let from_actions = requests.iter().filter(|r| r.query.as_deref().unwrap_or("").contains("searchText")).count();
    assert_eq!(from_actions, actions);
    assert!(
        actions >= 2 && requests.len() - actions >= 2,
        "both polled and ran actions: {actions} of {}",
        requests.len()
    );
    assert_eq!(world.sim.sim.stats().rate_limited, 0, "weft caused no 429");
    let mut arrivals: Vec<i64> = requests.iter().map(|r| r.at_ms).collect();
    arrivals.sort();
    for (i, at) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..].iter().take_while(|t| **t < at + 2_000).count();
        assert!(in_window <= 5, "{in_window} requests in the 2 s from {at}: {arrivals:?}");
    }
}
