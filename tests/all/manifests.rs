//! The checked-in manifests are what the code produces. `BLESS=1` rewrites them.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

fn pretty(v: &Value) -> String {
    weft_manifest::canonical_json(v)
}

/// Compares `path` with `expected`, or rewrites it under `BLESS=1`.
fn check_or_bless(path: &Path, expected: &str) {
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, expected).expect("write blessed file");
        return;
    }
    let found = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        found == expected,
        "{} differs from what the code produces; if the change is intended, run `BLESS=1 cargo test -p weft-cli --test all manifests` and commit the file",
        path.display()
    );
}

#[test]
fn checked_in_manifests_match_the_code() {
    let dir = weft_tests::workspace_root().join("manifests");
    let manifest = serde_json::to_value(ghl_social_planner::manifest()).expect("manifest as JSON");
    check_or_bless(&dir.join("ghl-social-planner.json"), &pretty(&manifest));
    check_or_bless(&dir.join("connector-manifest.schema.json"), &pretty(&weft_manifest::manifest_json_schema()));
}

#[test]
fn the_manifest_is_valid_against_the_manifest_schema() {
    let schema = weft_manifest::manifest_json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the manifest schema compiles");
    let manifest = serde_json::to_value(ghl_social_planner::manifest()).expect("manifest as JSON");
    let errors: Vec<String> = validator.iter_errors(&manifest).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let broken = serde_json::json!({"id": "x", "version": "1", "name": "x", "description": "x", "auth": [], "allowedHosts": [], "triggers": [], "actions": [], "colour": "red"});
    assert!(!validator.is_valid(&broken), "unknown keys are refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_component_declares_the_manifest_the_code_builds() {
    let runtime = runtime();
    let loaded = ghl(&runtime).await;
    assert_eq!(loaded.manifest, ghl_social_planner::manifest());
}
