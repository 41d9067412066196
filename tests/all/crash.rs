//! The crash test: `weft run` is killed with SIGKILL at random moments while
//! the simulator keeps creating tags, and restarted. Every tag must reach the
//! webhook, and after dedupe by `Idempotency-Key` each exactly once.

use crate::sink;
use crate::support::*;
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const KILLS: usize = 32;

fn setup(world: &World, dir: &std::path::Path, hook: &str) -> Vec<String> {
    let config = dir.join("weft.toml");
    std::fs::write(
        &config,
        "[egress]\nallow_loopback = true\n[scheduler]\ndev_interval_ms = 40\n[delivery]\nfirst_backoff_ms = 50\nmax_backoff_ms = 400\n",
    )
    .expect("config");
    std::fs::write(dir.join("connection.toml"), std::fs::read_to_string(&world.connection_file).expect("conn"))
        .expect("connection");
    let subs = dir.join("subscriptions.toml");
    std::fs::write(
        &subs,
        format!(
            "[[subscription]]\nname = \"tags\"\ncomponent = \"{}\"\ntrigger = \"new-tag\"\nconnection = \"connection.toml\"\nstart = \"all\"\ndestination = \"{hook}\"\n",
            component().display()
        ),
    )
    .expect("subscriptions");
    [
        "run".to_string(),
        "--subscriptions".into(),
        subs.display().to_string(),
        "--config".into(),
        config.display().to_string(),
        "--data-dir".into(),
        dir.join("data").display().to_string(),
    ]
    .to_vec()
}

fn start_weft(args: &[String], log: &std::path::Path) -> tokio::process::Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log");
    tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .env("GHL_TOKEN", TOKEN)
        .env("RUST_LOG", "weft=info")
        .env("WEFT_CACHE_DIR", weft_tests::workspace_root().join("target").join("test-component-cache"))
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start weft run")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_nothing_and_duplicates_nothing() {
    let world = Arc::new(World::new().await);
    let dir = tempfile::tempdir().expect("dir");
    let (sink, hook) = sink::start().await;
    // A slow receiver, so some kills land between a delivery and its record.
    sink.delay_ms.store(15, Ordering::SeqCst);
    let args = setup(&world, dir.path(), &hook);
    let log = dir.path().join("weft.log");

    // The location keeps getting new tags while weft crashes and restarts.
    let creating = Arc::new(AtomicBool::new(true));
    let creator = {
        let (world, creating) = (world.clone(), creating.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while creating.load(Ordering::SeqCst) {
                world.sim.sim.create_tag(LOCATION, &format!("tag {n:04}"));
                n += 1;
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
    };

    let mut kills = 0;
    while kills < KILLS {
        let mut child = start_weft(&args, &log);
        let wait = rand::rng().random_range(100..900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        if child.try_wait().expect("status").is_some() {
            panic!("weft run exited by itself; see {}", std::fs::read_to_string(&log).unwrap_or_default());
        }
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reaped");
        kills += 1;
    }
    creating.store(false, Ordering::SeqCst);
    creator.await.expect("creator");
    let created: HashSet<String> = world.sim.sim.tags(LOCATION).into_iter().map(|t| t.tag).collect();

    // One last run, left alone until everything arrived.
    let mut child = start_weft(&args, &log);
    for _ in 0..600 {
        if sink.tag_names().len() >= created.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.start_kill().expect("stop");
    child.wait().await.expect("reaped");

    let received = sink.all();
    let delivered = sink.tag_names();
    let missing: Vec<&String> = created.difference(&delivered).collect();
    assert!(missing.is_empty(), "{} of {} tags never arrived: {missing:?}", missing.len(), created.len());
    let mut tag_of_key: HashMap<String, String> = HashMap::new();
    let mut key_of_tag: HashMap<String, String> = HashMap::new();
    for r in &received {
        let tag = r.body["data"]["tag"].as_str().unwrap_or_default().to_string();
        let previous = tag_of_key.insert(r.idempotency_key.clone(), tag.clone());
        assert!(previous.is_none_or(|p| p == tag), "one key, two tags");
        let previous = key_of_tag.insert(tag.clone(), r.idempotency_key.clone());
        assert!(previous.is_none_or(|p| p == r.idempotency_key), "tag `{tag}` arrived under two keys");
    }
    assert_eq!(tag_of_key.len(), created.len(), "after dedupe each tag exactly once");
    eprintln!(
        "crash test: {kills} kills, {} tags, {} deliveries received ({} repeats removed by the idempotency key)",
        created.len(),
        received.len(),
        received.len() - tag_of_key.len()
    );
}
