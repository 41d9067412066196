//! Scale-out: 1, 2 or 4 `weft serve` worker processes on one PostgreSQL
//! database (a throw-away cluster on a Unix socket), the simulator in a
//! process of its own, subscriptions on 1-minute intervals. Polls are
//! counted and schedule lag read from the workers' `/metrics`, CPU from
//! `/proc`, so the figures are the processes', not this one's.

use crate::machine::process_cpu_seconds;
use crate::processes::{Process, sibling};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use weft::connections::NewTokenConnection;
use weft::store::{Destination, Start, SubscriptionStore};
use weft::subscriptions::{self, NewSubscription};
use weft::{Host, HostConfig, Secret};

/// One run's figures.
pub(crate) struct PgScaleRun {
    pub subscriptions: usize,
    pub workers: usize,
    pub seconds: f64,
    pub polls_per_sec: f64,
    pub target_per_sec: f64,
    /// Upper bounds of the lag buckets holding the 50th and 99th percentile, in seconds.
    pub lag_p50_s: String,
    pub lag_p99_s: String,
    /// The workers' CPU together, in % of one core.
    pub workers_cpu_percent: f64,
    /// PostgreSQL's server processes together, in % of one core.
    pub postgres_cpu_percent: f64,
}

/// A throw-away cluster, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

impl Cluster {
    fn start() -> Cluster {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|e| e.filter_map(Result::ok).map(|e| e.path().join("bin")).collect())
            .unwrap_or_default();
        versions.retain(|d| d.join("initdb").is_file());
        versions.sort();
        let bin = versions.pop().expect("PostgreSQL's server binaries: apt-get install -y postgresql");
        let as_postgres = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let dir = tempfile::tempdir().expect("cluster dir");
        let cluster = Cluster { dir, bin, as_postgres };
        std::fs::create_dir_all(cluster.socket()).expect("socket dir");
        if as_postgres {
            let _ = Command::new("chown").arg("-R").arg("postgres:").arg(cluster.dir.path()).status();
        }
        let data = cluster.dir.path().join("data");
        cluster.run("initdb", &["-D", &data.display().to_string(), "-U", "weft", "--auth=trust", "--no-sync"]);
        let options = format!(
            "-c listen_addresses='' -k {} -c fsync=off -c synchronous_commit=off -c max_connections=300",
            cluster.socket().display()
        );
        let log = cluster.dir.path().join("log").display().to_string();
        cluster.run("pg_ctl", &["-D", &data.display().to_string(), "-o", &options, "-l", &log, "-w", "start"]);
        cluster.run("createdb", &["-h", &cluster.socket().display().to_string(), "-U", "weft", "bench"]);
        cluster
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("socket")
    }

    fn url(&self) -> String {
        format!("postgres://weft@localhost/bench?host={}", self.socket().display())
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        let out = command.args(args).output().unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// CPU seconds of every server process of this cluster (found by its data directory in their command lines).
    fn cpu_seconds(&self) -> f64 {
        let mark = self.dir.path().display().to_string();
        let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
        let postmaster = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|pid| pid.chars().all(|c| c.is_ascii_digit()))
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(&mark))
            });
        let Some(postmaster) = postmaster else { return 0.0 };
        // The postmaster and its children (each connection's backend).
        let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|pid| {
                pid == &postmaster
                    || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                        .ok()
                        .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.split_whitespace().nth(1).map(str::to_string)))
                        .flatten()
                        .is_some_and(|ppid| ppid == postmaster)
            })
            .map(|pid| process_cpu_seconds(&pid))
            .sum()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.path().join("data").display().to_string();
        self.run("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
    }
}

fn start_worker(config: &Path, log: &Path) -> (Process, String) {
    let file = std::fs::File::create(log).expect("log");
    let child = Process(
        Command::new(sibling("weft"))
            .args(["serve", "--config", &config.display().to_string()])
            .env("RUST_LOG", "weft=warn")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start weft serve"),
    );
    for _ in 0..600 {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(rest) = text.lines().find_map(|l| l.split("weft serving on ").nth(1)) {
            let url = rest.split_whitespace().next().unwrap_or_default().to_string();
            return (child, url);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("weft serve did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
}

/// Polls done and the cumulative lag buckets, from one worker's `/metrics`.
#[derive(Default, Clone)]
struct Scrape {
    polls: f64,
    buckets: Vec<(String, f64)>,
}

async fn scrape(http: &reqwest::Client, url: &str) -> Scrape {
    let text = match http.get(format!("{url}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let mut s = Scrape::default();
    for line in text.lines() {
        let value = || line.split_whitespace().last().and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        if line.starts_with("weft_polls_total{") {
            s.polls += value();
        } else if let Some(rest) = line.strip_prefix("weft_schedule_lag_seconds_bucket{le=\"") {
            let bound = rest.split('"').next().unwrap_or_default().to_string();
            s.buckets.push((bound, value()));
        }
    }
    s
}

/// The smallest bucket bound holding fraction `p` of the polls counted between two scrapes.
fn percentile(before: &[Scrape], after: &[Scrape], p: f64) -> String {
    let count = |scrapes: &[Scrape], bound: &str| -> f64 {
        scrapes.iter().flat_map(|s| s.buckets.iter()).filter(|(b, _)| b == bound).map(|(_, v)| v).sum()
    };
    let total = count(after, "+Inf") - count(before, "+Inf");
    let mut bounds: Vec<(f64, String)> = after
        .iter()
        .flat_map(|s| s.buckets.iter().map(|(b, _)| b.clone()))
        .map(|b| (if b == "+Inf" { f64::INFINITY } else { b.parse().unwrap_or(f64::INFINITY) }, b))
        .collect();
    bounds.sort_by(|a, b| a.0.total_cmp(&b.0));
    bounds.dedup_by(|a, b| a.1 == b.1);
    for (_, bound) in bounds {
        if total > 0.0 && count(after, &bound) - count(before, &bound) >= p * total {
            return if bound == "+Inf" { "> 60 s".into() } else { format!("≤ {bound} s") };
        }
    }
    "n/a".into()
}

pub(crate) async fn run(count: usize, workers: usize, warm_up: Duration, duration: Duration) -> PgScaleRun {
    let cluster = Cluster::start();
    let (_sim, sim_url) = crate::processes::start_sim(&[]);
    let http = reqwest::Client::new();
    let unthrottled = json!({"burst": 1_000_000_000u64, "windowMs": 10_000, "daily": 2_000_000_000u64});
    http.post(format!("{sim_url}/_sim/rate-limit")).json(&unthrottled).send().await.expect("sim rate limit");

    let dir = tempfile::tempdir().expect("dir");
    let connectors = dir.path().join("connectors");
    std::fs::create_dir_all(&connectors).expect("connectors");
    std::fs::copy(weft_tests::ghl_component(), connectors.join("ghl_social_planner.wasm")).expect("component");
    let mut config = HostConfig { data_dir: Some(dir.path().join("data")), ..Default::default() };
    config.store.url = Some(Secret::new(cluster.url()));
    config.egress.allow_loopback = true;
    let host = Host::open(config).await.expect("host on PostgreSQL");
    let manifest = host.load(weft_tests::ghl_component()).await.expect("component").manifest.clone();
    host.connections()
        .create_token(NewTokenConnection {
            workspace: "bench",
            name: "pit",
            manifest: &manifest,
            base_url: Some(&sim_url),
            facts: json!({ "locationId": "loc-bench" }),
            token: Secret::new("tok-bench"),
        })
        .await
        .expect("connection");
    for i in 0..count {
        let new = NewSubscription {
            workspace: "bench".into(),
            name: format!("s{i}"),
            connector: manifest.id.clone(),
            trigger: "new-tag".into(),
            connection: "pit".into(),
            input: json!({}),
            interval_secs: Some(60),
            reconcile: None,
            start: Start::Now,
            destination: Destination::Pull,
            webhook_secret: None,
            mapping: None,
            destination_schema: None,
        };
        let checked = subscriptions::validate(&new, host.registry()).expect("valid");
        let (mut sub, _) = subscriptions::build(new, checked, host.vault());
        sub.next_poll_at = jiff::Timestamp::now().as_millisecond() + rand::random_range(0..60_000);
        host.store().insert_subscription(&sub).await.expect("subscription");
    }
    drop(host);

    let config = dir.path().join("weft.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{data}\"\ncache_dir = \"{cache}\"\nconcurrency = 64\nconcurrency_per_connector = 64\n\
             [server]\nlisten = \"127.0.0.1:0\"\nconnectors_dir = \"{conn}\"\nadmin_key = \"bench-admin\"\n\
             [store]\nurl = \"{url}\"\n[egress]\nallow_loopback = true\n[scheduler]\nmax_concurrent_polls = 64\n\
             [connectors.ghl-social-planner.rate_limit]\nrequests = 1000000000\nperSeconds = 10\nper = \"locationId\"\n",
            data = dir.path().join("data").display(),
            cache = dir.path().join("cache").display(),
            conn = connectors.display(),
            url = cluster.url(),
        ),
    )
    .expect("config");
    let mut running = Vec::new();
    for n in 0..workers {
        running.push(start_worker(&config, &dir.path().join(format!("worker-{n}.log"))));
    }
    tokio::time::sleep(warm_up).await;
    let urls: Vec<String> = running.iter().map(|(_, url)| url.clone()).collect();
    let pids: Vec<String> = running.iter().map(|(p, _)| p.0.id().to_string()).collect();
    let scrape_all = async || {
        let mut all = Vec::new();
        for url in &urls {
            all.push(scrape(&http, url).await);
        }
        all
    };
    let cpu = || pids.iter().map(|p| process_cpu_seconds(p)).sum::<f64>();
    let (before, cpu0, pg0) = (scrape_all().await, cpu(), cluster.cpu_seconds());
    let started = Instant::now();
    tokio::time::sleep(duration).await;
    let (after, cpu1, pg1) = (scrape_all().await, cpu(), cluster.cpu_seconds());
    let seconds = started.elapsed().as_secs_f64();
    let polls: f64 = after.iter().map(|s| s.polls).sum::<f64>() - before.iter().map(|s| s.polls).sum::<f64>();
    let run = PgScaleRun {
        subscriptions: count,
        workers,
        seconds,
        polls_per_sec: polls / seconds,
        target_per_sec: count as f64 / 60.0,
        lag_p50_s: percentile(&before, &after, 0.5),
        lag_p99_s: percentile(&before, &after, 0.99),
        workers_cpu_percent: (cpu1 - cpu0) / seconds * 100.0,
        postgres_cpu_percent: (pg1 - pg0) / seconds * 100.0,
    };
    println!(
        "postgres scale {} × {} workers ({:.0} s): {:.0} polls/s (schedule needs {:.0}/s), lag p50 {} p99 {}, workers' CPU {:.0}%, PostgreSQL's CPU {:.0}%",
        run.subscriptions,
        run.workers,
        run.seconds,
        run.polls_per_sec,
        run.target_per_sec,
        run.lag_p50_s,
        run.lag_p99_s,
        run.workers_cpu_percent,
        run.postgres_cpu_percent
    );
    drop(running);
    run
}
