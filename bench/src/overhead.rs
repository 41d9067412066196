//! The sandbox's own cost: instantiate + call + drop of the real connector,
//! its HTTP answered inside the process so no socket is measured.

use crate::stats::{Samples, us};
use bytes::Bytes;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft::{Connection, HostConfig, Runtime, Secret};

pub(crate) struct Overhead {
    pub pooling: (Duration, Duration),
    pub on_demand: (Duration, Duration),
    pub instantiate_pooling: Duration,
    pub instantiate_on_demand: Duration,
    pub calls: usize,
}

/// A GHL tags answer with one tag, as the API sends it.
pub(crate) fn tags_answer() -> Bytes {
    Bytes::from(
        json!({"success": true, "statusCode": 200, "message": "Fetched Tags by Location ID", "results": {"count": 1,
            "tags": [{"_id": "65fbdcfecc884f07e645ea8b", "tag": "Summer launch", "locationId": "loc-1", "createdBy": "u",
            "deleted": false, "createdAt": "2026-06-02T09:30:00.000Z", "updatedAt": "2026-06-02T09:30:00.000Z"}]}})
        .to_string(),
    )
}

pub(crate) fn responder() -> weft::egress::Responder {
    let answer = tags_answer();
    Arc::new(move |_request| {
        http::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .body(answer.clone())
            .unwrap_or_default()
    })
}

/// A connection to GHL's real origin; the responder answers, nothing is dialled.
pub(crate) fn connection() -> Connection {
    Connection::with_bearer_token(
        ghl_social_planner::GHL_API,
        json!({ "locationId": "loc-1" }),
        &Secret::new("bench-token"),
    )
}

fn mean_instantiate(runtime: &Runtime) -> Duration {
    let text = runtime.metrics().render(&[]);
    let value = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().last()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let (sum, count) = (value("weft_instantiate_seconds_sum"), value("weft_instantiate_seconds_count"));
    if count > 0.0 { Duration::from_secs_f64(sum / count) } else { Duration::ZERO }
}

async fn measure(pooling: bool, calls: usize) -> ((Duration, Duration), Duration) {
    let mut config = HostConfig::default();
    crate::machine::unthrottled(&mut config);
    let runtime = Runtime::with_responder(config, pooling, responder()).expect("runtime");
    let connector = runtime.load(weft_tests::ghl_component()).await.expect("component");
    let conn = connection();
    let input = json!({ "limit": 1 });
    for _ in 0..200 {
        runtime.execute(&connector, &conn, "find-tags", &input).await.expect("warm-up call");
    }
    let s = find_tags_calls(&runtime, &connector, calls).await;
    ((s.p50(), s.p99()), mean_instantiate(&runtime))
}

/// `calls` `find-tags` calls one after another, each timed.
pub(crate) async fn find_tags_calls(runtime: &Runtime, connector: &weft::LoadedConnector, calls: usize) -> Samples {
    let (conn, input) = (connection(), json!({ "limit": 1 }));
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        runtime.execute(connector, &conn, "find-tags", &input).await.expect("call");
        samples.push(started.elapsed());
    }
    Samples::new(samples)
}

pub(crate) async fn run(calls: usize) -> Overhead {
    // On a task of the runtime, as `weft serve` runs each call.
    let (pooling, instantiate_pooling) = tokio::spawn(measure(true, calls)).await.expect("pooling calls");
    let (on_demand, instantiate_on_demand) = tokio::spawn(measure(false, calls)).await.expect("on-demand calls");
    let o = Overhead { pooling, on_demand, instantiate_pooling, instantiate_on_demand, calls };
    println!(
        "per call (find-tags, {} calls): pooling p50 {} p99 {}; on-demand p50 {} p99 {}; instantiate (mean) {} vs {}",
        o.calls,
        us(o.pooling.0),
        us(o.pooling.1),
        us(o.on_demand.0),
        us(o.on_demand.1),
        us(o.instantiate_pooling),
        us(o.instantiate_on_demand)
    );
    o
}
