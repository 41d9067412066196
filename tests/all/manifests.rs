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

/// An operation, in words, and the scopes it needs.
type Needs = (String, Vec<String>);

/// The table of generated operations beside a manifest: the dropdowns and
/// the scopes of the list calls that fill them.
fn dropdown_scopes(table: &Path) -> Vec<Needs> {
    let text = std::fs::read_to_string(table).expect("table.json");
    let table = weft_openapi_runtime::Table::parse(&text).expect("a table");
    table
        .dropdowns
        .iter()
        .filter_map(|d| table.operation(&d.operation))
        .map(|op| (format!("dropdown operation {}", op.key), op.scopes.clone()))
        .collect()
}

/// Every scope an exposed operation needs (each action, trigger and dropdown
/// list call) is one the OAuth connection asks for: otherwise a builder who
/// connected with OAuth meets a missing scope that reconnecting cannot fix.
#[test]
fn every_operation_s_scopes_are_requested_by_oauth() {
    let root = weft_tests::workspace_root();
    let mut connectors: Vec<(String, weft_manifest::ConnectorManifest, Vec<Needs>)> = vec![(
        "ghl-social-planner".into(),
        ghl_social_planner::manifest(),
        dropdown_scopes(&root.join("connector/generated/table.json")),
    )];
    for entry in std::fs::read_dir(root.join("connectors")).expect("connectors/").filter_map(Result::ok) {
        let (manifest, table) = (entry.path().join("manifest.json"), entry.path().join("table.json"));
        if !table.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).expect("manifest.json");
        let parsed: weft_manifest::ConnectorManifest = serde_json::from_str(&text).expect("a manifest");
        connectors.push((parsed.id.clone(), parsed, dropdown_scopes(&table)));
    }
    assert!(connectors.len() >= 17, "the social planner and the 16 generated GHL connectors");
    let mut missing = Vec::new();
    for (id, manifest, dropdowns) in &connectors {
        let requested: Vec<&String> = manifest
            .auth
            .iter()
            .filter_map(|a| match a {
                weft_manifest::AuthMethod::Oauth2 { scopes, .. } => Some(scopes),
                _ => None,
            })
            .flatten()
            .collect();
        assert!(!requested.is_empty(), "{id} offers OAuth with scopes");
        let operations = manifest
            .actions
            .iter()
            .map(|a| (format!("action {}", a.key), a.scopes.clone()))
            .chain(manifest.triggers.iter().map(|t| (format!("trigger {}", t.key), t.scopes.clone())))
            .chain(dropdowns.iter().cloned());
        for (what, scopes) in operations {
            for scope in scopes.iter().filter(|s| !requested.contains(s)) {
                missing.push(format!("{id} {what} needs `{scope}`"));
            }
        }
    }
    assert!(missing.is_empty(), "scopes OAuth does not ask for:\n{}", missing.join("\n"));
}
