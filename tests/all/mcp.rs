//! The MCP server, driven by the official Python MCP SDK (pinned in
//! tests/mcp/requirements.txt, installed by scripts/test.sh): over
//! Streamable HTTP from `weft serve` (tools, and subscriptions' events as
//! resources), and over stdio from `weft mcp`.

use crate::serve::{Server, write_config};
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;

fn python() -> PathBuf {
    installed_tool("WEFT_MCP_PYTHON", ".cache/weft/mcp-client/bin/python", "the MCP client")
}

/// Runs the SDK's client with `steps` and these arguments; its JSON answer.
async fn client(steps: Value, args: &[&str], env: &[(&str, &str)]) -> Value {
    let script = weft_tests::workspace_root().join("tests/mcp/client.py");
    let output = tokio::process::Command::new(python())
        .arg(script)
        .args(["--steps", &steps.to_string()])
        .args(args)
        .env("WEFT_CACHE_DIR", weft_tests::workspace_root().join("target").join("test-component-cache"))
        .envs(env.iter().copied())
        .output()
        .await
        .expect("run the MCP client");
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("the client printed no JSON ({e}): {text}\n{}", String::from_utf8_lossy(&output.stderr))
    })
}

fn list() -> Value {
    json!({"op": "list"})
}

fn call(name: &str, arguments: Value) -> Value {
    json!({"op": "call", "name": name, "arguments": arguments})
}

fn names(tools: &Value) -> Vec<String> {
    tools.as_array().expect("tools").iter().map(|t| t["name"].as_str().expect("name").to_string()).collect()
}

fn tool<'a>(tools: &'a Value, name: &str) -> &'a Value {
    tools.as_array().expect("tools").iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no {name}"))
}

/// What every listing must hold to the spec: names within 64 of
/// `[A-Za-z0-9_-]`, unique, object schemas.
fn assert_well_formed(tools: &Value) {
    let names = names(tools);
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "unique names: {names:?}");
    for t in tools.as_array().expect("tools") {
        let name = t["name"].as_str().expect("name");
        assert!(name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'), "{name}");
        assert_eq!(t["inputSchema"]["type"], "object", "{name}");
        assert_eq!(t["outputSchema"]["type"], "object", "{name}");
        assert!(t["description"].as_str().is_some_and(|d| !d.is_empty()), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_over_http_finds_tags_learns_from_its_errors_and_sees_only_its_workspace() {
    let world = World::new().await;
    world.sim.sim.register_token("pit-narrow-token", LOCATION, ["socialplanner/account.readonly"]);
    world.sim.sim.add_account(
        LOCATION,
        ghl_sim::NewAccount { name: "Acme Page".into(), platform: "facebook".into(), ..Default::default() },
    );
    world.create_tags(&["spring sale", "summer"]);
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start(&write_config(dir.path()), dir.path().join("serve.log")).await;
    let key = server.workspace("acme").await;
    let other = server.workspace("other").await;
    let k = Some(key.as_str());
    for (name, token) in [("pit", TOKEN), ("pit-narrow", "pit-narrow-token")] {
        let conn = json!({"name": name, "connector": "ghl-social-planner", "token": token,
            "baseUrl": world.sim.base_url(), "locationId": LOCATION});
        let (status, _, body) = server.call(Method::POST, "/v1/connections", k, Some(conn)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let url = format!("{}/v1/mcp", server.url);
    // A subscription whose events an agent can read.
    let (_sink, hook) = crate::sink::start().await;
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": hook});
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", k, Some(sub)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let seeded = async || server.call(Method::GET, "/v1/subscriptions/tags", k, None).await.2["seeded"] == true;
    assert!(wait_until(seeded).await, "the subscription seeds");
    world.create_tags(&["autumn"]);
    let found = async || {
        server.call(Method::GET, "/v1/subscriptions/tags/events?after=0", k, None).await.2["events"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    };
    assert!(wait_until(found).await, "the new tag is an event");

    let steps = json!([
        list(),
        call("pit__find-tags", json!({})),
        call("pit__find-tags", json!({"limit": 500})),
        call("pit-narrow__find-tags", json!({})),
        call("choices", json!({"tool": "pit__get-statistics", "field": "profileIds"})),
        call("pit__create-post", json!({"accountIds": ["a"], "summary": "hi"})),
        json!({"op": "resources"}),
        json!({"op": "read", "uri": "weft://subscriptions/tags/events"}),
    ]);
    let out = client(steps, &["--url", &url, "--key", &key], &[]).await;
    assert_eq!(out["server"]["name"], "weft", "{out}");
    let r = &out["results"];
    let tools = &r[0];
    assert_well_formed(tools);
    let find = tool(tools, "pit__find-tags");
    let (_, _, manifest) =
        server.call(Method::GET, "/v1/connectors/ghl-social-planner/actions/find-tags", k, None).await;
    assert_eq!(find["inputSchema"], manifest["inputSchema"], "the manifest's own input schema");
    assert_eq!(find["outputSchema"], manifest["outputSchema"], "the manifest's own output schema");
    assert_eq!(find["title"], "Find tags");
    assert!(find["description"].as_str().expect("description").contains("socialplanner/tag.readonly"), "{find}");
    assert_eq!(find["annotations"]["readOnlyHint"], true, "{find}");
    assert_eq!(find["annotations"]["destructiveHint"], false, "{find}");
    let stats = tool(tools, "pit__get-statistics");
    let profile = stats["inputSchema"]["properties"]["profileIds"]["description"].as_str().expect("described");
    assert!(profile.contains("`choices`"), "a dropdown field says where its choices come from: {profile}");
    let listed = names(tools);
    assert!(listed.contains(&"pit-narrow__find-tags".to_string()), "{listed:?}");
    for absent in ["pit__create-post", "pit__delete-post", "pit__edit-post"] {
        assert!(!listed.contains(&absent.to_string()), "{absent} changes the account: not shown by default");
    }

    assert_eq!(r[1]["isError"], false, "{}", r[1]);
    let mut got: Vec<&str> =
        r[1]["structuredContent"]["tags"].as_array().expect("tags").iter().filter_map(|t| t["tag"].as_str()).collect();
    got.sort();
    assert_eq!(got, ["autumn", "spring sale", "summer"], "{}", r[1]);

    assert_eq!(r[2]["isError"], true, "{}", r[2]);
    assert_eq!(r[2]["structuredContent"]["code"], "invalid-input", "{}", r[2]);
    assert_eq!(r[2]["structuredContent"]["field"], "/limit", "the error names the field: {}", r[2]);
    assert!(r[2]["text"].as_str().expect("text").contains("/limit"), "{}", r[2]);

    assert_eq!(r[3]["isError"], true, "{}", r[3]);
    assert_eq!(r[3]["structuredContent"]["code"], "missing-scope", "{}", r[3]);
    assert!(r[3]["text"].as_str().expect("text").contains("socialplanner/tag.readonly"), "names the scope: {}", r[3]);

    assert_eq!(r[4]["isError"], false, "{}", r[4]);
    let labels: Vec<&str> = r[4]["structuredContent"]["choices"]
        .as_array()
        .expect("choices")
        .iter()
        .filter_map(|c| c["label"].as_str())
        .collect();
    assert!(labels.iter().any(|l| l.contains("Acme Page")), "{labels:?}");

    assert!(r[5]["error"].as_str().is_some_and(|e| e.contains("pit__create-post")), "not a tool yet: {}", r[5]);
    assert!(
        !world.sim.sim.requests().iter().any(|q| q.method == "POST" && q.path.ends_with("/posts")),
        "no post was made"
    );

    let resources = r[6].as_array().expect("resources");
    assert_eq!(resources.len(), 1, "{resources:?}");
    assert_eq!(resources[0]["uri"], "weft://subscriptions/tags/events");
    assert_eq!(r[7]["mimeType"], "application/json", "{}", r[7]);
    let events = r[7]["json"]["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "only what arrived after the seed: {events:?}");
    assert_eq!(events[0]["data"]["tag"], "autumn");

    // Allowing a write and a delete by name makes them tools, annotated as what they are.
    let allow = json!({"allow": ["pit/create-post", "pit/delete-post"]});
    let (status, _, view) = server.call(Method::PUT, "/v1/mcp/exposure", k, Some(allow)).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let typo = json!({"allow": ["pit/create-pots"]});
    let (status, _, problem) = server.call(Method::PUT, "/v1/mcp/exposure", k, Some(typo)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(problem["field"], "/allow", "{problem}");
    assert!(problem["detail"].as_str().expect("detail").contains("pit/create-pots"), "{problem}");
    let out = client(json!([list()]), &["--url", &url, "--key", &key], &[]).await;
    let tools = &out["results"][0];
    assert_well_formed(tools);
    let create = tool(tools, "pit__create-post");
    assert_eq!(create["annotations"]["readOnlyHint"], false, "{create}");
    assert_eq!(create["annotations"]["destructiveHint"], false, "{create}");
    assert_eq!(tool(tools, "pit__delete-post")["annotations"]["destructiveHint"], true);
    assert!(!names(tools).contains(&"pit-narrow__create-post".to_string()), "allowed for `pit` only");

    // Another workspace sees none of these tools or events and cannot reach them.
    let steps = json!([list(), call("pit__find-tags", json!({})), {"op": "resources"},
        {"op": "read", "uri": "weft://subscriptions/tags/events"}]);
    let out = client(steps, &["--url", &url, "--key", &other], &[]).await;
    assert_eq!(out["results"][0], json!([]), "{out}");
    assert!(out["results"][1]["error"].is_string(), "{out}");
    assert_eq!(out["results"][2], json!([]), "{out}");
    assert!(out["results"][3]["error"].is_string(), "{out}");

    // No key, or a wrong one: refused before any tool is reached.
    for args in [vec!["--url", url.as_str()], vec!["--url", url.as_str(), "--key", "wrong"]] {
        let out = client(json!([list()]), &args, &[]).await;
        assert!(out["refused"].as_str().is_some_and(|e| e.contains("401")), "{out}");
    }
    let response = reqwest::Client::new()
        .post(&url)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"weft\"");

    let metrics = reqwest::get(format!("{}/metrics", server.url)).await.expect("metrics").text().await.expect("text");
    for line in [
        "weft_mcp_tool_calls_total{connector=\"ghl-social-planner\",outcome=\"ok\"} 2",
        "weft_mcp_tool_calls_total{connector=\"ghl-social-planner\",outcome=\"invalid-input\"} 1",
        "weft_mcp_tool_calls_total{connector=\"ghl-social-planner\",outcome=\"missing-scope\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

/// The tools the README's MCP section lists, from the block after "weft mcp: N tools on stdio:".
fn readme_tools() -> Vec<String> {
    let readme = std::fs::read_to_string(weft_tests::workspace_root().join("README.md")).expect("README");
    let block = readme.split("tools on stdio:").nth(1).expect("the README lists the tools");
    let block = block.split("```").next().unwrap_or_default();
    let mut tools: Vec<String> =
        block.split([',', '\n', ' ']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    tools.sort();
    tools
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_mcp_over_stdio_offers_the_same_tools_from_a_connection_file() {
    let world = World::new().await;
    world.create_tags(&["spring sale"]);
    // Named as in the README, whose list of tools this run checks.
    let acme = world.path("acme.toml");
    std::fs::copy(&world.connection_file, &acme).expect("copy the connection file");
    let file = acme.to_str().expect("utf-8").to_string();
    let binary = env!("CARGO_BIN_EXE_weft");
    let component = component().to_str().expect("utf-8");
    let command = ["--", binary, "mcp", component, "--connection", &file, "--stdio", "--allow-loopback"];
    let env = [("GHL_TOKEN", TOKEN)];

    let steps = json!([
        list(),
        call("acme__find-tags", json!({"searchText": "spring"})),
        call("acme__find-tags", json!({"limit": 500})),
    ]);
    let out = client(steps, &command, &env).await;
    assert_eq!(out["server"]["name"], "weft", "{out}");
    let r = &out["results"];
    assert_well_formed(&r[0]);
    assert_eq!(names(&r[0]), readme_tools(), "the README shows the tools `weft mcp` offers");
    assert_eq!(tool(&r[0], "acme__find-tags")["annotations"]["readOnlyHint"], true);
    assert!(!names(&r[0]).contains(&"acme__create-post".to_string()));
    assert_eq!(r[1]["isError"], false, "{}", r[1]);
    assert_eq!(r[1]["structuredContent"]["tags"][0]["tag"], "spring sale", "{}", r[1]);
    assert_eq!(r[2]["structuredContent"]["field"], "/limit", "{}", r[2]);
    assert!(!out.to_string().contains(TOKEN), "the token never reaches the client");

    let mut allowing = command.to_vec();
    allowing.extend(["--allow", "create-post"]);
    let out = client(json!([list()]), &allowing, &env).await;
    let create = tool(&out["results"][0], "acme__create-post");
    assert_eq!(create["annotations"]["readOnlyHint"], false, "{create}");

    let typo = weft(&["mcp", component, "--connection", &file, "--stdio", "--allow", "creat-post"], TOKEN).await;
    assert!(!typo.status.success());
    let err = stderr(&typo);
    assert!(err.contains("creat-post") && err.contains("create-post"), "names the typo and what there is: {err}");
}
