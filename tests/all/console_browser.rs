//! The builder's console in Debian's Chromium (driven by Playwright from
//! `console/e2e/console.e2e.mjs`) against `weft serve`, the simulator and a
//! webhook receiver: sign in, connect with OAuth in a popup, test a trigger,
//! a broken mapping refused beside its field, a subscription with a mapping
//! and a destination schema, a mapped event delivered, a dead letter
//! replayed after the fix, sign out, and an admin revoking a key. What the
//! browser did is then checked where it lands: at the receiver.
//!
//! Needs `chromium` and the console's npm packages; `scripts/test.sh`
//! installs both. With `WEFT_SCREENSHOTS=dir` the run also takes the
//! README's pictures.

use crate::promises_host::{ADMIN_KEY, CLIENT_ID, CLIENT_SECRET, serve_config, workspace};
use crate::serve::Server;
use crate::sink;
use crate::support::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncReadExt;

fn chromium() -> PathBuf {
    let path = std::env::var_os("WEFT_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "no Chromium at {}: `apt-get install -y chromium` (scripts/test.sh does), or set WEFT_CHROMIUM",
        path.display()
    );
    path
}

fn console_dir() -> PathBuf {
    let dir = weft_tests::workspace_root().join("console");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "the console's npm packages are not installed: run scripts/console.sh (scripts/test.sh does)"
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_connects_maps_subscribes_and_replays_in_a_real_browser() {
    let (chromium, console) = (chromium(), console_dir());
    let world = World::new().await;
    world.sim.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
    world.sim.sim.register_consent(ghl_sim::Consent::location(LOCATION));
    let sim = world.sim.base_url();
    let dir = tempfile::tempdir().expect("dir");
    // The token endpoint is pinned to the simulator: nothing the browser does reaches GHL.
    let extra = format!("token_url = \"{sim}/oauth/token\"\n");
    let server = Server::start(&serve_config(dir.path(), &sim, false, &extra), dir.path().join("serve.log")).await;
    let page = reqwest::get(format!("{}/console/", server.url)).await.expect("console").text().await.expect("html");
    assert!(
        !page.contains("not built into this binary"),
        "the console is not built into weft: run scripts/console.sh, then build again"
    );
    let key = workspace(&server, "acme").await;
    let (sink, hook) = sink::start().await;

    let mut child = tokio::process::Command::new("node")
        .arg(console.join("e2e/console.e2e.mjs"))
        .current_dir(&console)
        .env("WEFT_URL", &server.url)
        .env("WEFT_KEY", &key)
        .env("WEFT_ADMIN_KEY", ADMIN_KEY)
        .env("SIM_URL", &sim)
        .env("SIM_LOCATION", LOCATION)
        .env("HOOK_URL", &hook)
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOTS", std::env::var_os("WEFT_SCREENSHOTS").unwrap_or_default())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start node (Node.js 20 is needed)");
    let (mut out, mut err) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let run = async {
        let (a, b, status) =
            tokio::join!(out.read_to_string(&mut stdout), err.read_to_string(&mut stderr), child.wait());
        a.and(b).expect("read the script's output");
        status.expect("the script's status")
    };
    let status = tokio::time::timeout(Duration::from_secs(240), run).await.expect("the browser run ends in 4 minutes");
    assert!(status.success(), "the browser run failed:\n{stdout}\n{stderr}");

    let steps: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let step = |name: &str| steps.iter().find(|s| s["step"] == name).cloned();
    for name in
        ["signed-in", "connected", "trigger-tested", "mapping-error-shown", "subscribed", "dead-lettered", "replayed"]
    {
        assert!(step(name).is_some(), "the run never reached `{name}`:\n{stdout}");
    }
    assert!(step("page-error").is_none(), "the page threw:\n{stdout}");
    let secret = step("subscribed").and_then(|s| s["secret"].as_str().map(str::to_string)).expect("the secret");
    let tags = step("tags-added").expect("tags added");

    // What the receiver got: the two tags, shaped by the mapping in force when each was sent.
    let received = sink.all();
    assert_eq!(received.len(), 2, "{received:?}");
    let long = "A tag name far longer than twenty characters";
    assert_eq!(received[0].body["data"], json!({"name": "Short tag", "id": tags["shortId"]}));
    assert_eq!(received[1].body["data"], json!({"name": &long[..20], "id": tags["longId"]}));
    let now = jiff::Timestamp::now().as_second();
    for r in &received {
        let header = r.signature.as_deref().expect("signed");
        sink::verify(secret.as_bytes(), header, &r.raw, now).expect("the signature verifies with the shown secret");
    }
    assert!(server.terminate().await.success());
}
