//! One connector in two languages: the social planner's `find-tags` in Rust
//! (`connector/`) and in Python (`connectors/social-planner-py`, componentize-py),
//! through the same runtime, limits and in-process upstream: size, compile,
//! first call, per call.

use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};
use weft::{HostConfig, Runtime};

pub(crate) struct LanguageRow {
    pub name: &'static str,
    pub bytes: u64,
    pub compile: Duration,
    pub first_call: Duration,
    pub per_call: (Duration, Duration),
}

async fn measure(name: &'static str, component: &Path, calls: usize) -> LanguageRow {
    let bytes = std::fs::metadata(component).map(|m| m.len()).unwrap_or(0);
    let mut config = HostConfig { cache_dir: None, ..Default::default() };
    crate::machine::unthrottled(&mut config);
    let runtime = Runtime::with_responder(config, true, crate::overhead::responder()).expect("runtime");
    let started = Instant::now();
    let connector = runtime.load(component).await.expect("component");
    let compile = started.elapsed();
    let (conn, input) = (crate::overhead::connection(), json!({ "limit": 1 }));
    let started = Instant::now();
    runtime.execute(&connector, &conn, "find-tags", &input).await.expect("first call");
    let first_call = started.elapsed();
    let s = crate::overhead::find_tags_calls(&runtime, &connector, calls).await;
    let row = LanguageRow { name, bytes, compile, first_call, per_call: (s.p50(), s.p99()) };
    println!(
        "{name}: {:.1} MB, compile {:.0} ms, first call {:.1} ms, per call p50 {:.2} ms / p99 {:.2} ms",
        row.bytes as f64 / 1e6,
        row.compile.as_secs_f64() * 1e3,
        row.first_call.as_secs_f64() * 1e3,
        row.per_call.0.as_secs_f64() * 1e3,
        row.per_call.1.as_secs_f64() * 1e3
    );
    row
}

pub(crate) async fn run(calls: usize) -> Vec<LanguageRow> {
    vec![
        measure("Rust (`connector/`)", weft_tests::ghl_component(), calls).await,
        measure("Python (`connectors/social-planner-py`)", weft_tests::python_component(), calls).await,
    ]
}
