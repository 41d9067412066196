//! Several weft processes on one PostgreSQL database share the work: the
//! polls and the outbox under leases (one process killed with SIGKILL again
//! and again loses nothing and delivers nothing twice), one OAuth refresh for
//! all of them, and one request budget per location, checked at the
//! simulator. Every process here is a real `weft serve`.

use crate::postgres::Postgres;
use crate::promises_host::{CLIENT_ID, CLIENT_SECRET, connect_oauth, run, serve_config, token_connection, workspace};
use crate::serve::Server;
use crate::support::*;
use ghl_sim::Consent;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A config for processes sharing `url`, with `scheduler` as its `[scheduler]` table.
fn shared_config(dir: &Path, sim: &str, url: &str, scheduler: &str, extra: &str) -> PathBuf {
    let config = serve_config(dir, sim, false, &format!("[store]\nurl = \"{url}\"\n{extra}"));
    let text = std::fs::read_to_string(&config).expect("config");
    let text = text.replace("[scheduler]\ndev_interval_ms = 60\n", &format!("[scheduler]\n{scheduler}\n"));
    std::fs::write(&config, text).expect("config");
    config
}

async fn ready(server: &Server) -> Value {
    let (status, _, body) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_calls_across_three_processes_on_an_expired_token_refresh_once() {
    let world = World::new().await;
    world.sim.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
    world.sim.sim.register_consent(Consent::location(LOCATION));
    world.create_tags(&["shared"]);
    let pg = Postgres::start();
    let url = pg.database("refresh").await;
    let dir = tempfile::tempdir().expect("dir");
    let config = shared_config(dir.path(), &world.sim.base_url(), &url, "dev_interval_ms = 60", "");
    let mut servers = Vec::new();
    for n in 0..3 {
        servers.push(Server::start(&config, dir.path().join(format!("serve-{n}.log"))).await);
    }
    let key = workspace(&servers[0], "acme").await;
    connect_oauth(&servers[0], &key, "main", &world.sim.base_url()).await;
    let first = run(&servers[1], &key, "ghl-social-planner", "find-tags", json!({"connection": "main"})).await;
    assert_eq!(first.0, StatusCode::OK, "another process uses the connection: {}", first.2);
    world.sim.sim.expire_all_access_tokens();

    let mut calls = tokio::task::JoinSet::new();
    for n in 0..50 {
        let (url, key) = (servers[n % 3].url.clone(), key.clone());
        calls.spawn(async move {
            let request = reqwest::Client::new()
                .post(format!("{url}/v1/connectors/ghl-social-planner/actions/find-tags/run"))
                .bearer_auth(key)
                .json(&json!({"connection": "main"}));
            crate::serve::answer(request).await
        });
    }
    while let Some(answer) = calls.join_next().await {
        let (status, _, body) = answer.expect("task");
        assert_eq!(status, StatusCode::OK, "every call succeeds: {body}");
        assert_eq!(body["output"]["tags"][0]["tag"], "shared", "{body}");
    }
    let stats = world.sim.sim.oauth_stats();
    assert_eq!(stats.refresh_calls, 1, "one refresh for fifty calls in three processes: {stats:?}");
    assert_eq!(stats.reused_refresh_tokens, 0, "the rotated refresh token was never sent twice: {stats:?}");

    // Again: the token the first refresh rotated in is the one used, by whichever process.
    world.sim.sim.expire_all_access_tokens();
    for server in &servers {
        let (status, _, body) =
            run(server, &key, "ghl-social-planner", "find-tags", json!({"connection": "main"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let stats = world.sim.sim.oauth_stats();
    assert_eq!((stats.refresh_calls, stats.reused_refresh_tokens), (2, 0), "{stats:?}");
    for server in servers {
        assert!(server.terminate().await.success());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_processes_together_stay_under_a_locations_rate_limit() {
    let world = World::new().await;
    world.create_tags(&["limited"]);
    // The simulator throttles past 20 requests a second per location; weft is told the same.
    world.sim.sim.set_rate_limit(ghl_sim::RateLimit { burst: 20, window_ms: 1_000, daily: 200_000 }).expect("limit");
    let pg = Postgres::start();
    let url = pg.database("budget").await;
    let dir = tempfile::tempdir().expect("dir");
    let limit = "[connectors.ghl-social-planner.rate_limit]\nrequests = 20\nperSeconds = 1\nper = \"locationId\"\n";
    let config = shared_config(dir.path(), &world.sim.base_url(), &url, "dev_interval_ms = 60", limit);
    let mut servers = Vec::new();
    for n in 0..3 {
        servers.push(Server::start(&config, dir.path().join(format!("serve-{n}.log"))).await);
    }
    let key = workspace(&servers[0], "acme").await;
    token_connection(&servers[0], &key, "pit", "ghl-social-planner", &world.sim.base_url(), TOKEN).await;

    // 90 calls at once, 30 per process: alone, each process would send its 30 in the first second.
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..90 {
        let (url, key) = (servers[n % 3].url.clone(), key.clone());
        calls.spawn(async move {
            let request = reqwest::Client::new()
                .post(format!("{url}/v1/connectors/ghl-social-planner/actions/find-tags/run"))
                .bearer_auth(key)
                .json(&json!({"connection": "pit"}));
            crate::serve::answer(request).await
        });
    }
    while let Some(answer) = calls.join_next().await {
        let (status, _, body) = answer.expect("task");
        assert_eq!(status, StatusCode::OK, "every call succeeds: {body}");
    }
    let stats = world.sim.sim.stats();
    assert_eq!(stats.rate_limited, 0, "no request over the location's limit reached the simulator: {stats:?}");
    assert!(stats.served >= 90, "{stats:?}");
    // 90 requests at 20 a second (and a quarter second of slack per window) take over three seconds.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "the processes waited for each other: {:?}",
        started.elapsed()
    );
    for server in servers {
        assert!(server.terminate().await.success());
    }
}

/// What the database says of the subscriptions.
struct Census {
    db: sqlx::PgPool,
}

impl Census {
    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db).await.expect(sql)
    }

    /// Leases on polls that process `pid` holds: claimed and not yet committed.
    async fn leases_of(&self, pid: u32) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM subscriptions WHERE lease_owner LIKE $1")
            .bind(format!("pid{pid}-%"))
            .fetch_one(&self.db)
            .await
            .expect("leases")
    }
}

/// The last lines of a log, for a failure's message.
fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

const SUBSCRIPTIONS: usize = 1_000;
const LEASE_SECS: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_one_killed_again_and_again_lose_nothing_and_deliver_nothing_twice() {
    let world = World::new().await;
    world
        .sim
        .sim
        .set_rate_limit(ghl_sim::RateLimit { burst: 1_000_000, window_ms: 10_000, daily: u32::MAX })
        .expect("limit");
    let pg = Postgres::start();
    let url = pg.database("crash").await;
    let census = Census { db: sqlx::PgPool::connect(&url).await.expect("census connection") };
    let dir = tempfile::tempdir().expect("dir");
    let limit = "[connectors.ghl-social-planner.rate_limit]\nrequests = 1000000\nperSeconds = 10\nper = \"locationId\"\n\
                 [delivery]\nfirst_backoff_ms = 200\nmax_backoff_ms = 1000\n";
    let scheduler = format!("dev_interval_ms = 5000\nlease_secs = {LEASE_SECS}\nmax_concurrent_polls = 32");
    let config = shared_config(dir.path(), &world.sim.base_url(), &url, &scheduler, limit);
    let log = |name: &str| dir.path().join(format!("{name}.log"));

    // The API alone in one process; the subscriptions made through it.
    let api = Server::start_with(&config, log("api"), &[], &["--no-workers"]).await;
    let state = ready(&api).await;
    assert_eq!((state["database"].clone(), state["workers"].clone()), (json!("postgres"), json!(false)), "{state}");
    let key = workspace(&api, "acme").await;
    token_connection(&api, &key, "pit", "ghl-social-planner", &world.sim.base_url(), TOKEN).await;
    let (sink, hook) = crate::sink::start().await;
    let mut creating = tokio::task::JoinSet::new();
    for batch in 0..10 {
        let (url, key, hook) = (api.url.clone(), key.clone(), hook.clone());
        creating.spawn(async move {
            let http = reqwest::Client::new();
            for n in (batch * SUBSCRIPTIONS / 10)..((batch + 1) * SUBSCRIPTIONS / 10) {
                let sub = json!({"name": format!("s{n:04}"), "connector": "ghl-social-planner", "trigger": "new-tag",
                                 "connection": "pit", "destination": hook});
                let request = http.post(format!("{url}/v1/subscriptions")).bearer_auth(&key).json(&sub);
                let (status, _, body) = crate::serve::answer(request).await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
            }
        });
    }
    while let Some(done) = creating.join_next().await {
        done.expect("creating subscriptions");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        census.count("SELECT COUNT(*) FROM subscriptions WHERE seeded = 1").await,
        0,
        "the API process polls nothing"
    );

    let mut workers: Vec<Option<Server>> = Vec::new();
    for n in 0..3 {
        workers.push(Some(Server::start(&config, log(&format!("worker-{n}"))).await));
    }
    let seeded = async || census.count("SELECT COUNT(*) FROM subscriptions WHERE seeded = 1").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while seeded().await < SUBSCRIPTIONS as i64 {
        assert!(
            Instant::now() < deadline,
            "only {} of {SUBSCRIPTIONS} seeded; a worker's log ends:\n{}",
            seeded().await,
            tail(&log("worker-0"))
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let worker = workers[0].as_ref().expect("worker");
    let metrics = reqwest::get(format!("{}/metrics", worker.url)).await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("weft_database_up 1"), "{metrics}");
    assert!(metrics.contains("weft_leases_held"), "{metrics}");

    // A minute of chaos: a new tag every 5 s; every few seconds one worker is killed
    // with SIGKILL, and started again 1 s later, 4 s after the last is back. What it held must be claimed
    // by the others within one lease period.
    let chaos = Instant::now();
    let mut tags = Vec::new();
    let mut next_tag = Instant::now();
    let mut next_kill = Instant::now() + Duration::from_secs(3);
    let mut kills = 0;
    let mut worst_takeover = Duration::ZERO;
    let mut orphaned_total = 0;
    while chaos.elapsed() < Duration::from_secs(61) {
        if Instant::now() >= next_tag {
            let name = format!("tag-{}", tags.len());
            world.create_tags(&[&name]);
            tags.push(name);
            next_tag += Duration::from_secs(5);
        }
        if Instant::now() >= next_kill {
            let victim = kills % 3;
            let server = workers[victim].take().expect("running");
            let pid = server.pid();
            server.kill().await;
            let killed = Instant::now();
            kills += 1;
            let held = census.leases_of(pid).await;
            orphaned_total += held;
            // The leases the dead process held pass to the others (a claim
            // names its new owner), once they run out.
            loop {
                let left = census.leases_of(pid).await;
                if left == 0 {
                    break;
                }
                assert!(
                    killed.elapsed() < Duration::from_secs(LEASE_SECS + 4),
                    "{left} of {held} leases of the killed process not taken over after {:?}",
                    killed.elapsed()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            worst_takeover = worst_takeover.max(killed.elapsed());
            tokio::time::sleep(Duration::from_secs(1).saturating_sub(killed.elapsed())).await;
            workers[victim] = Some(Server::start(&config, log(&format!("worker-{victim}-{kills}"))).await);
            next_kill = Instant::now() + Duration::from_secs(4);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(kills >= 5, "{kills} kills");

    // Every tag reaches every subscription, once after idempotency.
    let expected = SUBSCRIPTIONS * tags.len();
    let distinct =
        |sink: &crate::sink::Sink| sink.all().iter().map(|r| r.idempotency_key.clone()).collect::<HashSet<_>>();
    let deadline = Instant::now() + Duration::from_secs(120);
    while distinct(&sink).len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = sink.all();
    let mut pairs: HashMap<(String, String), HashSet<String>> = HashMap::new();
    for r in &received {
        let pair = (
            r.body["subscription"]["name"].as_str().unwrap_or("").to_string(),
            r.body["data"]["tag"].as_str().unwrap_or("").to_string(),
        );
        pairs.entry(pair).or_default().insert(r.idempotency_key.clone());
    }
    let lost: Vec<String> = (0..SUBSCRIPTIONS)
        .flat_map(|n| tags.iter().map(move |t| (format!("s{n:04}"), t.clone())))
        .filter(|pair| !pairs.contains_key(pair))
        .take(10)
        .map(|(s, t)| format!("{s}/{t}"))
        .collect();
    assert!(lost.is_empty(), "lost (first 10): {lost:?}; {} of {expected} arrived", distinct(&sink).len());
    assert_eq!(pairs.len(), expected, "nothing but the tags made during the run");
    assert!(pairs.values().all(|keys| keys.len() == 1), "each event under one idempotency key");
    assert_eq!(distinct(&sink).len(), expected);
    assert_eq!(
        census.count("SELECT COUNT(*) FROM events").await,
        expected as i64,
        "each event stored once, whatever the kills"
    );
    println!(
        "{kills} kills over {:?}: {orphaned_total} leases orphaned, all taken over, the slowest after {worst_takeover:?}; \
         {expected} events, {} deliveries received ({} repeats after a kill)",
        chaos.elapsed(),
        received.len(),
        received.len() - expected
    );
    let state = ready(workers[0].as_ref().expect("worker")).await;
    assert_eq!(state["workers"], json!(true), "{state}");
    assert!(state["leasesHeld"].is_u64() && state["pendingDeliveries"].is_u64(), "{state}");
    for worker in workers.into_iter().flatten() {
        assert!(worker.terminate().await.success());
    }
    assert!(api.terminate().await.success());
}
