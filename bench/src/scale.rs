//! Scale: many subscriptions on 1-minute intervals against the simulator,
//! each on a location of its own, for a while; what one machine sustains.

use crate::machine::{cpu_seconds, rss_kib};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use weft::connections::NewTokenConnection;
use weft::store::{Destination, Start, SubscriptionStore};
use weft::subscriptions::{self, NewSubscription};
use weft::{Host, HostConfig, Runtime, Secret};

/// Time given to the scheduler before measuring.
const WARM_UP: Duration = Duration::from_secs(60);

pub(crate) struct ScaleRun {
    pub subscriptions: usize,
    pub seconds: f64,
    pub polls_per_sec: f64,
    pub target_per_sec: f64,
    pub lag_p50_ms: u32,
    pub lag_p99_ms: u32,
    pub cpu_percent: f64,
    pub rss_mib: f64,
    pub db_mib: f64,
    pub idle_bytes_per_subscription: f64,
    pub setup_seconds: f64,
}

fn polls_done(runtime: &Runtime) -> f64 {
    runtime
        .metrics()
        .render(&[])
        .lines()
        .filter(|l| l.starts_with("weft_polls_total{"))
        .filter_map(|l| l.split_whitespace().last()?.parse::<f64>().ok())
        .sum()
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|e| e.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

pub(crate) async fn run(count: usize, duration: Duration) -> ScaleRun {
    let setup = Instant::now();
    let sim = ghl_sim::start("127.0.0.1:0".parse().expect("address")).await.expect("simulator");
    for i in 0..count {
        sim.sim.register_token(&format!("tok-{i}"), &format!("loc-{i}"), ["socialplanner/tag.readonly"]);
    }
    crate::machine::unthrottled_sim(&sim.sim);
    let dir = tempfile::tempdir().expect("data dir");
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    config.concurrency = 64;
    config.scheduler.max_concurrent_polls = 64;
    config.concurrency_per_connector = Some(64);
    crate::machine::unthrottled(&mut config);
    config.data_dir = Some(dir.path().to_path_buf());
    let host = Host::open(config).await.expect("host");
    let manifest = host.load(weft_tests::ghl_component()).await.expect("component").manifest.clone();
    let rss_before = rss_kib();
    let (runtime, store, connections) = (host.runtime().clone(), host.store().clone(), host.connections().clone());
    for i in 0..count {
        let name = format!("c{i}");
        connections
            .create_token(NewTokenConnection {
                workspace: "bench",
                name: &name,
                manifest: &manifest,
                base_url: Some(&sim.base_url()),
                facts: json!({ "locationId": format!("loc-{i}") }),
                token: Secret::new(format!("tok-{i}")),
            })
            .await
            .expect("connection");
        let new = NewSubscription {
            workspace: "bench".into(),
            name: format!("s{i}"),
            connector: manifest.id.clone(),
            trigger: "new-tag".into(),
            connection: name,
            input: json!({}),
            interval_secs: Some(60),
            reconcile: None,
            start: Start::Now,
            destination: Destination::Pull,
            webhook_secret: None,
            mapping: None,
            destination_schema: None,
        };
        let interval = subscriptions::validate(&new, host.registry()).expect("valid");
        let (mut sub, _) = subscriptions::build(new, interval, host.vault());
        // Spread the first polls over the first minute, as subscriptions created over time would be.
        sub.next_poll_at = jiff::Timestamp::now().as_millisecond() + rand::random_range(0..60_000);
        store.insert_subscription(&sub).await.expect("subscription");
    }
    let idle_bytes = (rss_kib().saturating_sub(rss_before) * 1024) as f64 / count as f64;
    let setup_seconds = setup.elapsed().as_secs_f64();

    let scheduler = host.scheduler().clone();
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(scheduler.clone().run(stopped));
    // The first minute catches up with the subscriptions that came due while
    // the others were still being created; measure the steady state after it.
    tokio::time::sleep(WARM_UP).await;
    let _ = scheduler.take_lags();
    let polls0 = polls_done(&runtime);
    let cpu0 = cpu_seconds();
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    let polls = polls_done(&runtime) - polls0;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    let rss = rss_kib();
    let _ = stop.send(true);
    let _ = running.await;
    let mut lags = scheduler.take_lags();
    lags.sort_unstable();
    let pct = |p: f64| lags.get(((lags.len().saturating_sub(1)) as f64 * p) as usize).copied().unwrap_or(0);
    let run = ScaleRun {
        subscriptions: count,
        seconds,
        polls_per_sec: polls / seconds,
        target_per_sec: count as f64 / 60.0,
        lag_p50_ms: pct(0.5),
        lag_p99_ms: pct(0.99),
        cpu_percent: cpu / seconds * 100.0,
        rss_mib: rss as f64 / 1024.0,
        db_mib: dir_size(dir.path()) as f64 / 1024.0 / 1024.0,
        idle_bytes_per_subscription: idle_bytes,
        setup_seconds,
    };
    println!(
        "scale {} (set up in {:.0} s): {:.0} polls/s (schedule needs {:.0}/s), lag p50 {} ms p99 {} ms, CPU {:.0}%, RSS {:.0} MiB, DB {:.1} MiB, idle {:.0} B/subscription",
        run.subscriptions,
        run.setup_seconds,
        run.polls_per_sec,
        run.target_per_sec,
        run.lag_p50_ms,
        run.lag_p99_ms,
        run.cpu_percent,
        run.rss_mib,
        run.db_mib,
        run.idle_bytes_per_subscription
    );
    run
}
