//! The `ghl-sim` binary: first stdout line is the base URL; SIGTERM exits cleanly.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ghl-sim");

#[tokio::test]
async fn prints_its_url_serves_the_token_and_stops_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--token", "demo", "--location", "loc"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn ghl-sim");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("a first line within 30 s")
        .expect("read stdout")
        .expect("a first line");
    assert!(first.starts_with("http://127.0.0.1:"), "{first}");

    let response = reqwest::Client::new()
        .get(format!("{first}/social-media-posting/loc/tags"))
        .header("Version", "2021-07-28")
        .bearer_auth("demo")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);

    let pid = child.id().expect("pid").to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().await;
    assert!(kill.expect("run kill").success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits within 30 s of SIGTERM")
        .expect("wait");
    assert!(status.success(), "{status}");
    assert_eq!(lines.next_line().await.expect("read"), None, "nothing else on stdout");
}

#[tokio::test]
async fn refuses_non_loopback_addresses() {
    let output = Command::new(BIN).args(["--listen", "0.0.0.0:0"]).output().await.expect("run ghl-sim");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");
}
