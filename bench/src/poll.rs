//! One `new-tag` poll against the simulator on loopback: through the
//! component and the host, and the same connector logic compiled natively.

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
    pub polls: usize,
    pub tags: usize,
}

const LOCATION: &str = "bench-loc";
const TOKEN: &str = "bench-token";

pub(crate) async fn run(polls: usize, tags: usize) -> PollFigures {
    let sim = ghl_sim::start("127.0.0.1:0".parse().expect("address")).await.expect("simulator");
    sim.sim.register_token(TOKEN, LOCATION, ghl_sim::SOCIAL_PLANNER_SCOPES.iter().copied());
    for i in 0..tags {
        sim.sim.create_tag(LOCATION, &format!("tag {i}"));
    }
    crate::machine::unthrottled_sim(&sim.sim);
    let base = sim.base_url();

    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    config.cache_dir = None;
    crate::machine::unthrottled(&mut config);
    let runtime = Runtime::new(config).expect("runtime");
    let connector = runtime.load(weft_tests::ghl_component()).await.expect("component");
    let conn = Connection::with_bearer_token(base.clone(), json!({ "locationId": LOCATION }), &Secret::new(TOKEN));
    let meta = || HostMeta { seed: false, since: None };
    let mut wasm = Vec::with_capacity(polls);
    for i in 0..polls + 20 {
        let started = Instant::now();
        let out = runtime.poll(&connector, &conn, "new-tag", &json!({}), None, meta()).await.expect("poll");
        assert_eq!(out.events.len(), tags);
        if i >= 20 {
            wasm.push(started.elapsed());
        }
    }

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
        for i in 0..polls + 20 {
            let started = Instant::now();
            let out = SocialPlanner::poll(&transport, &ctx, &request).expect("native poll");
            assert_eq!(out.events.len(), tags);
            if i >= 20 {
                samples.push(started.elapsed());
            }
        }
        samples
    })
    .await
    .expect("native polls");
    let (w, n) = (Samples::new(wasm), Samples::new(native));
    let f = PollFigures { wasm: (w.p50(), w.p99()), native: (n.p50(), n.p99()), polls, tags };
    println!(
        "new-tag poll ({} tags, {} polls): component p50 {} p99 {}; native p50 {} p99 {}; ratio {:.2}",
        f.tags,
        f.polls,
        ms(f.wasm.0),
        ms(f.wasm.1),
        ms(f.native.0),
        ms(f.native.1),
        f.wasm.0.as_secs_f64() / f.native.0.as_secs_f64().max(1e-9)
    );
    f
}
