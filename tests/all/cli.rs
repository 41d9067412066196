//! The `weft` binary as a connector developer uses it from the shell.

use crate::support::*;

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_shows_the_triggers_and_actions_with_schemas() {
    let out = weft(&["inspect", path(component())], TOKEN).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let manifest: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("inspect prints JSON");
    let keys = |kind: &str| -> Vec<String> {
        manifest[kind].as_array().expect("list").iter().map(|t| t["key"].as_str().unwrap_or("").to_string()).collect()
    };
    // The hand-written triggers and actions first, then the operations generated from the spec.
    let (triggers, actions) = (keys("triggers"), keys("actions"));
    assert_eq!(triggers[..5], ["new-tag", "tag-details", "post-statistics", "new-post", "post-published"]);
    assert_eq!(
        actions[..6],
        ["find-tags", "get-tag-details", "get-statistics", "create-post", "best-posting-times", "list-accounts"]
    );
    assert!(triggers.iter().any(|k| k == "new-category"), "{triggers:?}");
    assert!(actions.iter().any(|k| k == "create-post-advanced"), "{actions:?}");
    for kind in ["triggers", "actions"] {
        for entry in manifest[kind].as_array().expect("list") {
            assert_eq!(entry["inputSchema"]["type"], "object", "{}", entry["key"]);
            assert_eq!(entry["outputSchema"]["type"], "object", "{}", entry["key"]);
            assert!(entry["sample"].is_object(), "{}", entry["key"]);
            assert!(!entry["help"].as_str().unwrap_or("").is_empty(), "{}", entry["key"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_prints_exactly_the_tags_added_since_the_previous_poll() {
    let world = World::new().await;
    world.create_tags(&["before weft"]);
    let state = world.path("new-tag.state.json");
    let conn = world.connection_file.clone();
    let args = [
        "poll",
        path(component()),
        "new-tag",
        "--connection",
        path(&conn),
        "--state",
        path(&state),
        "--allow-loopback",
    ];

    let seed = weft(&args, TOKEN).await;
    assert!(seed.status.success(), "{}", stderr(&seed));
    assert!(stdout(&seed).is_empty(), "the first run records and prints nothing: {}", stdout(&seed));
    assert!(stderr(&seed).contains("seeded"), "{}", stderr(&seed));

    let added = world.create_tags(&["launch", "promo"]);
    let next = weft(&args, TOKEN).await;
    assert!(next.status.success(), "{}", stderr(&next));
    let printed: Vec<String> = lines(&next).iter().map(|e| e["id"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(printed, [added[0].id.clone(), added[1].id.clone()]);
    assert_eq!(lines(&next)[0]["data"]["tag"], "launch");

    let quiet = weft(&args, TOKEN).await;
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert!(stdout(&quiet).is_empty(), "nothing new: {}", stdout(&quiet));

    let one_more = world.create_tags(&["third"]);
    let last = weft(&args, TOKEN).await;
    let printed: Vec<String> = lines(&last).iter().map(|e| e["id"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(printed, [one_more[0].id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_since_all_prints_what_exists() {
    let world = World::new().await;
    world.create_tags(&["a", "b", "c"]);
    let state = world.path("all.state.json");
    let conn = world.connection_file.clone();
    let out = weft(
        &[
            "poll",
            path(component()),
            "new-tag",
            "--connection",
            path(&conn),
            "--state",
            path(&state),
            "--since",
            "all",
            "--allow-loopback",
        ],
        TOKEN,
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = lines(&out).iter().map(|e| e["data"]["tag"].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_prints_the_output_and_errors_are_one_clear_line() {
    let world = World::new().await;
    world.create_tags(&["from the shell"]);
    let conn = world.connection_file.clone();
    let ok = weft(
        &[
            "invoke",
            path(component()),
            "find-tags",
            "--input",
            r#"{"limit": 5}"#,
            "--connection",
            path(&conn),
            "--allow-loopback",
        ],
        TOKEN,
    )
    .await;
    assert!(ok.status.success(), "{}", stderr(&ok));
    let out: serde_json::Value = serde_json::from_str(&stdout(&ok)).expect("JSON output");
    assert_eq!(out["tags"][0]["tag"], "from the shell");

    let bad = weft(
        &[
            "invoke",
            path(component()),
            "find-tags",
            "--input",
            r#"{"limit": "ten"}"#,
            "--connection",
            path(&conn),
            "--allow-loopback",
        ],
        TOKEN,
    )
    .await;
    assert!(!bad.status.success());
    let err = stderr(&bad);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("`/limit`") && err.contains("integer"), "names the field and the rule: {err}");

    let unauthorized = weft(
        &["invoke", path(component()), "find-tags", "--connection", path(&conn), "--allow-loopback"],
        "not-a-real-token",
    )
    .await;
    assert!(!unauthorized.status.success());
    assert!(stderr(&unauthorized).contains("reconnect"), "{}", stderr(&unauthorized));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_refused_unless_the_developer_allows_it() {
    let world = World::new().await;
    let conn = world.connection_file.clone();
    let out = weft(&["invoke", path(component()), "find-tags", "--connection", path(&conn)], TOKEN).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("allow-loopback"), "says how to allow it: {}", stderr(&out));
    assert!(world.sim.sim.requests().is_empty(), "nothing reached the simulator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_start_loads_the_precompiled_component_from_the_cache() {
    let cache = tempfile::tempdir().expect("temp dir");
    let dir = cache.path().join("cache");
    let args = ["inspect", path(component()), "--cache-dir", path(&dir)];
    let env = [("RUST_LOG", "weft=info")];
    let first = weft_with(&args, TOKEN, &env).await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("compiled component (cache miss)"), "{}", stderr(&first));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&first)).expect("JSON");
    assert_eq!(shown["granted"]["instances"]["precompiledFromCache"], false);
    assert_eq!(shown["granted"]["instances"]["allocator"], "pooling");

    let second = weft_with(&args, TOKEN, &env).await;
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(stderr(&second).contains("loaded precompiled component from the cache"), "{}", stderr(&second));
    assert!(!stderr(&second).contains("cache miss"), "{}", stderr(&second));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&second)).expect("JSON");
    assert_eq!(shown["granted"]["instances"]["precompiledFromCache"], true);
    let entries: Vec<_> = std::fs::read_dir(&dir).expect("cache dir").filter_map(Result::ok).collect();
    assert_eq!(entries.len(), 1, "one .cwasm for one component");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_shows_what_the_connector_is_granted() {
    let config = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(config.path(), "[connectors.ghl-social-planner.limits]\nmemory_mib = 32\nevents_per_poll = 7\n")
        .expect("write config");
    let out = weft(&["inspect", path(component()), "--config", path(config.path())], TOKEN).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let granted = &shown["granted"];
    assert_eq!(granted["hosts"][0], "https://services.leadconnectorhq.com");
    assert_eq!(granted["loopback"], false);
    assert_eq!(granted["limits"]["memory_mib"], 32);
    assert_eq!(granted["limits"]["events_per_poll"], 7);
    assert_eq!(granted["secrets"], serde_json::json!([]));

    std::fs::write(config.path(), "[limits]\nmemory_mb = 32\n").expect("write config");
    let bad = weft(&["inspect", path(component()), "--config", path(config.path())], TOKEN).await;
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("memory_mb"), "names the unknown key: {}", stderr(&bad));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspaces_keys_and_names_from_the_shell_follow_the_api_s_rules() {
    let world = World::new().await;
    let data = world.path("data");
    let data = data.to_str().expect("utf-8");
    let run = |args: Vec<&str>| {
        let mut all = vec!["--data-dir", data];
        all.extend(args);
        let owned: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        async move {
            let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
            weft(&refs, TOKEN).await
        }
    };
    let bad = run(vec!["workspaces", "create", "Acme Corp"]).await;
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("not a valid workspace name"), "{}", stderr(&bad));
    assert!(run(vec!["workspaces", "create", "acme"]).await.status.success());

    let created = run(vec!["api-keys", "create", "--for", "acme", "--label", "ci", "--expires-in-days", "30"]).await;
    assert!(created.status.success(), "{}", stderr(&created));
    let key = stdout(&created).trim().to_string();
    assert!(key.starts_with("weft_"), "{key}");
    let listed = run(vec!["api-keys", "list", "--for", "acme"]).await;
    let keys: serde_json::Value = serde_json::from_str(&stdout(&listed)).expect("JSON");
    let id = keys[0]["id"].as_str().expect("an id").to_string();
    assert!(keys[0]["expiresAt"].is_string() && !stdout(&listed).contains(&key), "{keys}");
    let revoked = run(vec!["api-keys", "revoke", "--for", "acme", &id]).await;
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let again = run(vec!["api-keys", "revoke", "--for", "acme", &id]).await;
    assert!(!again.status.success() && stderr(&again).contains("no active API key"), "{}", stderr(&again));
    let keys: serde_json::Value =
        serde_json::from_str(&stdout(&run(vec!["api-keys", "list", "--for", "acme"]).await)).expect("JSON");
    assert!(keys[0]["revokedAt"].is_string(), "{keys}");
    let nobody = run(vec!["api-keys", "list", "--for", "nobody"]).await;
    assert!(!nobody.status.success() && stderr(&nobody).contains("no workspace named `nobody`"));

    let component = component().display().to_string();
    let bad_name =
        run(vec!["connect", &component, "--name", "my pit", "--token-env", "GHL_TOKEN", "--location-id", LOCATION])
            .await;
    assert!(!bad_name.status.success());
    assert!(stderr(&bad_name).contains("not a valid connection name"), "{}", stderr(&bad_name));
}
