//! `weft run`, the binary: SIGINT and SIGTERM stop it cleanly (exit 0, the
//! poll or delivery in flight finished and recorded, nothing lost);
//! `--once` polls what is due, delivers, and exits; `file:` and `stdout`
//! destinations get each event once as a JSON line.

use crate::sink;
use crate::support::*;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::Ordering;
use std::time::Duration;
use weft::store::{DeliveryStatus, Subscription, SubscriptionStore};

const CONFIG: &str = "[egress]\nallow_loopback = true\n[scheduler]\ndev_interval_ms = 40\n";
const DEADLINE: Duration = Duration::from_secs(60);

/// `weft run … --once`, within a generous deadline.
async fn once(args: &[String]) -> Output {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    args.push("--once");
    let out = tokio::time::timeout(Duration::from_secs(120), weft(&args, TOKEN)).await.expect("--once exits");
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

async fn subscription(data: &Path) -> Subscription {
    let store = open_store(data).await;
    let sub = store.subscription("default", "tags").await.expect("read").expect("the subscription");
    store.pool().close().await;
    sub
}

/// Stops a running `weft run` with `signal` and checks it exits 0, saying so.
async fn stop_with(mut child: tokio::process::Child, signal: &str, log: &Path) {
    send_signal(&child, signal);
    let status = tokio::time::timeout(DEADLINE, child.wait()).await.expect("weft run stops").expect("status");
    let log = std::fs::read_to_string(log).unwrap_or_default();
    assert!(status.success(), "SIGTERM/SIGINT exits 0, not {status}: {log}");
    assert!(log.contains("stopping: finishing the polls and deliveries in flight"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_poll_in_flight_commit_and_nothing_is_lost() {
    let world = World::new().await;
    world.create_tags(&["one", "two"]);
    let dir = tempfile::tempdir().expect("dir");
    let (sink, hook) = sink::start().await;
    let args = weft_run_args(&world, dir.path(), CONFIG, &new_tag_entry("tags", "all", &hook, ""));
    let log = dir.path().join("weft.log");
    // The first poll's request is held for 3 s at the simulator; the fault is taken when it arrives.
    world.sim.sim.push_faults([ghl_sim::Fault::delay(Duration::from_secs(3))], Some("/tags")).expect("fault");
    let child = spawn_weft(&args, &log);
    assert!(eventually(DEADLINE, || world.sim.sim.pending_faults() == 0).await, "the poll reached the simulator");
    stop_with(child, "TERM", &log).await;

    let data = dir.path().join("data");
    let sub = subscription(&data).await;
    let store = open_store(&data).await;
    let events = store.events_after(&sub.id, 0, 10).await.expect("events");
    store.pool().close().await;
    let names: Vec<&str> = events.iter().filter_map(|e| e.data["tag"].as_str()).collect();
    assert_eq!(names, ["one", "two"], "the poll in flight was committed before exiting");
    // What it had no time to deliver is delivered by the next run, once.
    once(&args).await;
    assert_eq!(sink.tag_names(), ["one", "two"].map(String::from).into());
    assert_eq!(sink.all().len(), 2, "each once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_lets_the_delivery_in_flight_finish_and_records_it() {
    let world = World::new().await;
    world.create_tags(&["slow"]);
    let dir = tempfile::tempdir().expect("dir");
    let (sink, hook) = sink::start().await;
    // The receiver takes 3 s to answer, after it recorded the delivery.
    sink.delay_ms.store(3_000, Ordering::SeqCst);
    let args = weft_run_args(&world, dir.path(), CONFIG, &new_tag_entry("tags", "all", &hook, ""));
    let log = dir.path().join("weft.log");
    let child = spawn_weft(&args, &log);
    assert!(eventually(DEADLINE, || sink.all().len() == 1).await, "the delivery reached the receiver");
    stop_with(child, "INT", &log).await;

    let data = dir.path().join("data");
    let sub = subscription(&data).await;
    let store = open_store(&data).await;
    let deliveries = store.deliveries(&sub.id, None, 10).await.expect("deliveries");
    store.pool().close().await;
    let statuses: Vec<DeliveryStatus> = deliveries.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [DeliveryStatus::Delivered], "the delivery in flight finished and was recorded");
    sink.delay_ms.store(0, Ordering::SeqCst);
    once(&args).await;
    assert_eq!(sink.attempts().len(), 1, "so the next run does not deliver it again");
}

/// The JSON lines of a text.
fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("`{l}` is not JSON: {e}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_polls_delivers_to_a_file_and_exits_and_each_event_is_one_line() {
    let world = World::new().await;
    let tags = world.create_tags(&["a", "b"]);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("events.jsonl");
    let entry = new_tag_entry("tags", "all", &format!("file:{}", file.display()), "");
    let args = weft_run_args(&world, dir.path(), CONFIG, &entry);
    let out = once(&args).await;
    assert!(stderr(&out).contains("tags: 2 new event(s)"), "{}", stderr(&out));
    let sub = subscription(&dir.path().join("data")).await;
    let read = || json_lines(&std::fs::read_to_string(&file).unwrap_or_default());
    let lines = read();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, tag) in lines.iter().zip(&tags) {
        assert_eq!(line["id"], format!("{}/{}", sub.id, tag.id));
        assert_eq!((&line["eventId"], &line["data"]["tag"]), (&tag.id.as_str().into(), &tag.tag.as_str().into()));
    }

    let c = world.create_tags(&["c"]).remove(0);
    once(&args).await;
    once(&args).await;
    let lines = read();
    assert_eq!(lines.len(), 3, "only the new tag was appended, once: {lines:?}");
    assert_eq!(lines[2]["eventId"], c.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_prints_each_event_to_stdout_once_from_an_rfc_3339_start() {
    let world = World::new().await;
    let before = world.create_tags(&["before"]);
    let since = (before[0].created_at + jiff::SignedDuration::from_millis(1)).to_string();
    world.create_tags(&["x", "y"]);
    let dir = tempfile::tempdir().expect("dir");
    let args = weft_run_args(&world, dir.path(), CONFIG, &new_tag_entry("tags", &since, "stdout", ""));
    let out = once(&args).await;
    let names: Vec<String> =
        json_lines(&stdout(&out)).iter().map(|l| l["data"]["tag"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(names, ["x", "y"], "stdout is the events, one JSON line each: {}", stdout(&out));
    let again = once(&args).await;
    assert_eq!(stdout(&again), "", "nothing twice");
}
