//! The connector developer's kit end to end: `weft new` in Rust and in
//! Python, each project built as its README says and passed by `weft check`
//! against the simulator; then the Rust one broken on purpose (a bad sample,
//! a renamed trigger, a narrower input, a removed output field), each named.

use crate::check::{add_tag_command, failed, finding};
use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Builds the Rust project in `dir` as its README says, in the components'
/// target directory (its dependencies are compiled there already).
fn cargo_build(dir: &Path, wasm: &str) -> PathBuf {
    let target = weft_tests::component_target_dir();
    let status = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(dir)
        .args(["build", "--quiet", "--target", "wasm32-wasip2", "--profile", "component", "--target-dir"])
        .arg(&target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("run cargo");
    assert!(status.success(), "the new project does not build");
    target.join("wasm32-wasip2/component").join(wasm)
}

async fn check(world: &World, component: &Path, extra: &[&str]) -> (bool, Value) {
    let after_seed = format!("new-tag={}", add_tag_command(&world.sim.base_url(), "Fresh"));
    let mut args =
        vec!["check", path(component), "--connection", path(&world.connection_file), "--after-seed", &after_seed];
    args.extend(extra);
    args.push("--json");
    let out = weft(&args, TOKEN).await;
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (out.status.success(), report)
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).expect("read");
    assert!(text.contains(from), "{} has no `{from}`", file.display());
    std::fs::write(file, text.replace(from, to)).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_rust_project_builds_passes_check_and_its_breaking_changes_are_named() {
    let world = World::new().await;
    world.create_tags(&["Evergreen"]);
    let dir = world.path("kit-demo");
    let made = weft(&["new", "kit-demo", "--lang", "rust", "--dir", path(&dir)], TOKEN).await;
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stdout(&made).contains("weft check"), "says what to run next: {}", stdout(&made));
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("a README of its own");
    assert!(readme.contains("cargo build --target wasm32-wasip2 --profile component") && readme.contains("weft check"));

    let v1 = cargo_build(&dir, "kit_demo.wasm");
    let (passed, report) = check(&world, &v1, &[]).await;
    assert!(passed, "{:?}", failed(&report));
    for (check, subject) in [
        ("trigger-polls", "trigger new-tag"),
        ("action-runs", "action find-tags"),
        ("dropdown", "dropdown find-tags.tagIds"),
        ("egress", "connector"),
        ("credential", "connector"),
        ("logs", "connector"),
    ] {
        assert_eq!(finding(&report, check, subject)["outcome"], "passed", "{check} {subject}");
    }
    let old = world.path("kit-demo-v1.wasm");
    std::fs::copy(&v1, &old).expect("keep v1");

    // Version 2 renames the trigger, requires the search text and drops the tag names from the output.
    let manifest = dir.join("manifest.json");
    edit(&manifest, "\"key\": \"new-tag\"", "\"key\": \"new-tags\"");
    edit(&dir.join("src/lib.rs"), "request.trigger != \"new-tag\"", "request.trigger != \"new-tags\"");
    edit(
        &manifest,
        "\"additionalProperties\": false,\n        \"properties\": {\n          \"searchText\"",
        "\"additionalProperties\": false,\n        \"required\": [\"searchText\"],\n        \"properties\": {\n          \"searchText\"",
    );
    edit(
        &manifest,
        "\"required\": [\"_id\", \"tag\"],\n              \"properties\": {\"_id\": {\"type\": \"string\"}, \"tag\": {\"type\": \"string\"}}",
        "\"required\": [\"_id\"],\n              \"properties\": {\"_id\": {\"type\": \"string\"}}",
    );
    let v2 = cargo_build(&dir, "kit_demo.wasm");
    let out = weft(&["check", path(&v2), "--against", path(&old), "--json"], TOKEN).await;
    assert!(!out.status.success(), "breaking changes fail the check");
    let report: Value = serde_json::from_str(&stdout(&out)).expect("report");
    let removed = finding(&report, "breaking-change", "trigger new-tag");
    assert_eq!(removed["outcome"], "failed");
    assert!(removed["detail"].as_str().unwrap_or("").contains("renamed to `new-tags`"), "{removed}");
    let narrowed = finding(&report, "breaking-change", "action find-tags")["detail"].as_str().unwrap_or("").to_string();
    assert!(narrowed.contains("`searchText` is now required"), "{narrowed}");
    assert!(narrowed.contains("output field `tags[].tag` is gone"), "{narrowed}");

    // A sample that breaks its own output schema is named before anything runs.
    edit(
        &manifest,
        "\"sample\": {\"_id\": \"6653c1e2a4b5c6d7e8f90123\", \"tag\": \"Summer launch\"}",
        "\"sample\": {\"_id\": 42}",
    );
    let broken = cargo_build(&dir, "kit_demo.wasm");
    let out = weft(&["check", path(&broken), "--json"], TOKEN).await;
    assert!(!out.status.success());
    let report: Value = serde_json::from_str(&stdout(&out)).expect("report");
    let manifest = finding(&report, "manifest", "component")["detail"].as_str().unwrap_or("").to_string();
    assert!(manifest.contains("sample") && manifest.contains("new-tags"), "{manifest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_python_project_builds_and_passes_check() {
    let world = World::new().await;
    world.create_tags(&["Evergreen"]);
    let dir = world.path("kit-py");
    let made = weft(&["new", "kit-py", "--lang", "python", "--dir", path(&dir)], TOKEN).await;
    assert!(made.status.success(), "{}", stderr(&made));
    let built = std::process::Command::new(dir.join("build.sh")).current_dir(&dir).arg("connector.wasm").status();
    assert!(built.is_ok_and(|s| s.success()), "./build.sh connector.wasm fails");
    let (passed, report) = check(&world, &dir.join("connector.wasm"), &[]).await;
    assert!(passed, "{:?}", failed(&report));
    assert_eq!(finding(&report, "trigger-polls", "trigger new-tag")["outcome"], "passed");
    assert_eq!(finding(&report, "dropdown", "dropdown find-tags.tagIds")["detail"], "2 choice(s)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_refuses_a_bad_name_and_a_full_directory() {
    let world = World::new().await;
    let out = weft(&["new", "Bad_Name"], TOKEN).await;
    assert!(!out.status.success() && stderr(&out).contains("`Bad_Name` cannot be a connector id"), "{}", stderr(&out));
    std::fs::write(world.path("note.txt"), "mine").expect("write");
    let out = weft(&["new", "taken", "--dir", path(world.dir.path())], TOKEN).await;
    assert!(!out.status.success() && stderr(&out).contains("is not empty"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_from_an_openapi_document_builds_and_passes_the_manifest_checks() {
    let world = World::new().await;
    let dir = world.path("notes-kit");
    let spec = weft_tests::workspace_root().join("tests/fixtures/tiny-notes/openapi.json");
    let made = weft(&["new", "notes-kit", "--from-openapi", path(&spec), "--dir", path(&dir)], TOKEN).await;
    assert!(made.status.success(), "{}", stderr(&made));
    let overlay = std::fs::read_to_string(dir.join("overlay.toml")).expect("an overlay to edit");
    assert!(overlay.contains("id = \"notes-kit\"") && overlay.contains("weft gen openapi"), "{overlay}");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest")).expect("JSON");
    assert_eq!(manifest["id"], "notes-kit");
    let component = cargo_build(&dir, "notes_kit.wasm");
    let out = weft(&["check", path(&component), "--json"], TOKEN).await;
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert!(out.status.success(), "{:?}", failed(&report));
    assert_eq!(finding(&report, "behaviour", "connector")["outcome"], "not-run", "no upstream was given");
}
