//! A connector can neither set nor read `authorization`: the host owns it.

use crate::support::*;
use serde_json::json;

async fn hostile(world: &World, action: &str) -> Result<serde_json::Value, weft::CallError> {
    let runtime = runtime();
    let connector = runtime.load(weft_tests::hostile_component()).await.expect("load hostile component");
    runtime.execute(&connector, &world.connection(TOKEN), action, &json!({})).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_cannot_set_authorization_and_the_api_sees_only_the_hosts_credential() {
    let world = World::new().await;
    let out = hostile(&world, "set-authorization").await.expect("the probe runs");
    assert_eq!(out["fromListRefused"], true, "{out}");
    assert_eq!(out["appendRefused"], true, "{out}");
    assert_eq!(out["setRefused"], true, "{out}");
    assert_eq!(out["status"], 200, "{out}");
    let seen = world.sim.sim.requests();
    let auth: Vec<&str> = seen.iter().filter_map(|r| r.headers.get("authorization").map(String::as_str)).collect();
    assert_eq!(auth, [format!("Bearer {TOKEN}")], "only the host's credential reached the API");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guest_cannot_read_authorization_from_a_response() {
    let world = World::new().await;
    let out = hostile(&world, "read-authorization").await.expect("the probe runs");
    let names: Vec<&str> = out["headerNames"].as_array().expect("names").iter().filter_map(|n| n.as_str()).collect();
    assert!(names.contains(&"x-probe"), "other headers are visible: {names:?}");
    assert!(!names.contains(&"authorization"), "authorization leaked: {names:?}");
    assert!(!names.contains(&"set-cookie"), "set-cookie leaked: {names:?}");
}
