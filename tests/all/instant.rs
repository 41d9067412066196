//! Instant triggers and connector versioning: components built against
//! `weft:connector@0.1.0` (the hostile one, on purpose) and `0.2.0` (every
//! other) load and run side by side in one server, each showing its WIT
//! version; a 0.1.0 component has no instant triggers and says so.

use crate::promises_host::{arg, run, serve_config, token_connection, workspace};
use crate::serve::Server;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_of_both_wit_versions_run_side_by_side_in_one_server() {
    let world = World::new().await;
    let sim = world.sim.base_url();
    world.create_tags(&["side by side"]);
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&serve_config(dir.path(), &sim, true, ""), dir.path().join("serve.log")).await;
    let key = workspace(&server, "acme").await;
    let (status, _, list) = server.call(Method::GET, "/v1/connectors", Some(&key), None).await;
    assert_eq!(status, StatusCode::OK);
    let version =
        |id: &str| list.as_array().and_then(|l| l.iter().find(|c| c["id"] == id)).map(|c| c["witVersion"].clone());
    assert_eq!(version("ghl-social-planner"), Some(json!("0.2.0")), "{list}");
    assert_eq!(version("weft-hostile"), Some(json!("0.1.0")), "{list}");
    let planner = list.as_array().and_then(|l| l.iter().find(|c| c["id"] == "ghl-social-planner")).cloned();
    let polled = planner.map(|p| p["triggers"].clone()).unwrap_or(Value::Null);
    assert!(polled.as_array().is_some_and(|t| t.iter().all(|t| t["delivery"] == "polled")), "{polled}");

    token_connection(&server, &key, "pit", "ghl-social-planner", &sim, TOKEN).await;
    token_connection(&server, &key, "hostile", "weft-hostile", &sim, TOKEN).await;
    let body = |connection: &str, input: Value| json!({"connection": connection, "input": input});
    let (status, _, found) = run(&server, &key, "ghl-social-planner", "find-tags", body("pit", json!({}))).await;
    assert_eq!((status, found["output"]["tags"][0]["tag"].clone()), (StatusCode::OK, json!("side by side")), "{found}");
    for _ in 0..3 {
        let (status, _, counted) = run(&server, &key, "weft-hostile", "counter", body("hostile", json!({}))).await;
        assert_eq!((status, counted["output"]["calls"].clone()), (StatusCode::OK, json!(1)), "{counted}");
    }
    assert!(server.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_inspect_shows_the_wit_version_beside_the_connector_s_own() {
    for (component, wit) in
        [(component().to_path_buf(), "0.2.0"), (weft_tests::hostile_component().to_path_buf(), "0.1.0")]
    {
        let out = weft(&["inspect", &arg(&component)], TOKEN).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let shown: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
        assert_eq!(shown["witVersion"], wit, "{}", component.display());
        assert!(shown["version"].as_str().is_some_and(|v| !v.is_empty()), "the connector's own version is shown too");
    }
}
