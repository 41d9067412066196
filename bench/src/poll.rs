//! One `new-tag` poll against the simulator on loopback: through the
//! component and the host, and the same connector logic compiled natively.
//! The simulator runs in a process of its own, so this process's CPU time
//! per poll is the host's (or the native client's) alone, the upstream's
//! excluded: a figure to compare with other runtimes.

use crate::stats::{Samples, ms};
use ghl_social_planner::SocialPlanner;
use serde_json::json;
use std::time::{Duration, Instant};
use weft::{Connection, HostConfig, PollMeta as HostMeta, Runtime, Secret};
use weft_sdk::native::NativeTransport;
use weft_sdk::{CallContext, Connector, PollMeta, PollRequest};

pub(crate) struct PollFigures {
    pub wasm: (Duration, Duration),
    pub native: (Duration, Duration),
    /// CPU time of this process per poll (user + system), the simulator's excluded.
    pub wasm_cpu: Duration,
    pub native_cpu: Duration,
    pub polls: usize,
    pub tags: usize,
}

const LOCATION: &str = "loc-bench";
const TOKEN: &str = "tok-bench";

/// This process's CPU time since `cpu0`, per one of `n` polls.
fn cpu_per(n: usize, cpu0: f64) -> Duration {
    Duration::from_secs_f64((crate::machine::cpu_seconds() - cpu0).max(0.0) / n.max(1) as f64)
}

pub(crate) async fn run(polls: usize, tags: usize) -> PollFigures {
    let (_sim, base) = crate::processes::start_sim(&["--tags", &tags.to_string()]);
    let unthrottled = json!({"burst": 1_000_000_000u64, "windowMs": 10_000, "daily": 2_000_000_000u64});
    reqwest::Client::new()
        .post(format!("{base}/_sim/rate-limit"))
        .json(&unthrottled)
        .send()
        .await
        .expect("sim rate limit");

    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    config.cache_dir = None;
    crate::machine::unthrottled(&mut config);
    let runtime = Runtime::new(config).expect("runtime");
    let connector = runtime.load(weft_tests::ghl_component()).await.expect("component");
    let conn = Connection::with_bearer_token(base.clone(), json!({ "locationId": LOCATION }), &Secret::new(TOKEN));
    let meta = || HostMeta { seed: false, since: None };
    // On a task of the runtime, as `weft serve` runs each poll.
    let (wasm, wasm_cpu) = tokio::spawn(async move {
        let mut wasm = Vec::with_capacity(polls);
        let mut cpu0 = 0.0;
        for i in 0..polls + 20 {
            if i == 20 {
                cpu0 = crate::machine::cpu_seconds();
            }
            let started = Instant::now();
            let out = runtime.poll(&connector, &conn, "new-tag", &json!({}), None, meta()).await.expect("poll");
            assert_eq!(out.events.len(), tags);
            if i >= 20 {
                wasm.push(started.elapsed());
            }
        }
        (wasm, cpu_per(polls, cpu0))
    })
    .await
    .expect("component polls");

    let native = tokio::task::spawn_blocking(move || {
        // The native side of the seam: a blocking client with keep-alive, like the host's.
        let transport = NativeTransport::with_bearer_token(TOKEN);
        let ctx = CallContext::new(&base, json!({ "locationId": LOCATION }));
        let request = PollRequest {
            trigger: "new-tag".into(),
            input: "{}".into(),
            cursor: None,
            meta: PollMeta { seed: false, limit: 500, since: None },
        };
        let mut samples = Vec::with_capacity(polls);
        let mut cpu0 = 0.0;
        for i in 0..polls + 20 {
            if i == 20 {
                cpu0 = crate::machine::cpu_seconds();
            }
            let started = Instant::now();
            let out = SocialPlanner::poll(&transport, &ctx, &request).expect("native poll");
            assert_eq!(out.events.len(), tags);
            if i >= 20 {
                samples.push(started.elapsed());
            }
        }
        (samples, cpu_per(polls, cpu0))
    })
    .await
    .expect("native polls");
    let (native, native_cpu) = native;
    let (w, n) = (Samples::new(wasm), Samples::new(native));
    let f = PollFigures { wasm: (w.p50(), w.p99()), native: (n.p50(), n.p99()), wasm_cpu, native_cpu, polls, tags };
    println!(
        "new-tag poll ({} tags, {} polls): component p50 {} p99 {} (CPU {} per poll); native p50 {} p99 {} (CPU {}); ratio {:.2}",
        f.tags,
        f.polls,
        ms(f.wasm.0),
        ms(f.wasm.1),
        ms(f.wasm_cpu),
        ms(f.native.0),
        ms(f.native.1),
        ms(f.native_cpu),
        f.wasm.0.as_secs_f64() / f.native.0.as_secs_f64().max(1e-9)
    );
    f
}
