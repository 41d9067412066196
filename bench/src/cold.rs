//! Cold start: the first call after the process starts, compiling the
//! component, or loading it from the `.cwasm` cache.

use crate::stats::ms;
use serde_json::json;
use std::time::{Duration, Instant};
use weft::{HostConfig, Runtime};

pub(crate) struct ColdStart {
    pub compile: Duration,
    pub cached: Duration,
}

/// In a fresh process: runtime, load, first call; prints the elapsed ms.
pub(crate) async fn child(cache_dir: Option<std::path::PathBuf>) {
    let started = Instant::now();
    let config = HostConfig { cache_dir, ..Default::default() };
    let responder = std::sync::Arc::new(|_r: http::Request<bytes::Bytes>| {
        http::Response::builder().status(200).body(crate::overhead::tags_answer()).unwrap_or_default()
    });
    let runtime = Runtime::with_responder(config, true, responder).expect("runtime");
    let connector = runtime.load(weft_tests::ghl_component()).await.expect("component");
    runtime.execute(&connector, &crate::overhead::connection(), "find-tags", &json!({})).await.expect("call");
    println!("{}", started.elapsed().as_micros());
}

fn spawn(args: &[&str]) -> Duration {
    let exe = std::env::current_exe().expect("bench binary");
    let out = std::process::Command::new(exe).args(args).output().expect("run the cold-start child");
    let micros: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0);
    Duration::from_micros(micros)
}

pub(crate) fn run() -> ColdStart {
    let dir = tempfile::tempdir().expect("temp dir");
    let cache = dir.path().join("cache");
    let cache = cache.to_str().expect("utf-8");
    let compile = (0..3).map(|_| spawn(&["cold-start-child", "--no-cache"])).min().unwrap_or_default();
    spawn(&["cold-start-child", "--cache-dir", cache]);
    let cached = (0..3).map(|_| spawn(&["cold-start-child", "--cache-dir", cache])).min().unwrap_or_default();
    let c = ColdStart { compile, cached };
    println!("cold start to first call: compiling {}; from the .cwasm cache {}", ms(c.compile), ms(c.cached));
    c
}
