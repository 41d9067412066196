//! `weft inspect` on each generated component lists its actions and
//! triggers with their schemas, and says where each came from.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_inspect_lists_every_generated_action_and_trigger_with_schemas() {
    let mut actions = 0;
    let mut triggers = 0;
    for (name, path) in weft_tests::generated_components() {
        let out = weft(&["inspect", &path.display().to_string()], TOKEN).await;
        assert!(out.status.success(), "weft inspect {name}: {}", stderr(&out));
        let manifest: Value = serde_json::from_str(&stdout(&out)).expect("inspect prints JSON");
        assert_eq!(manifest["id"], name);
        let listed = manifest["actions"].as_array().expect("actions");
        assert!(!listed.is_empty(), "{name} has no actions");
        for entry in listed.iter().chain(manifest["triggers"].as_array().expect("triggers")) {
            let key = entry["key"].as_str().unwrap_or_default();
            assert!(entry["inputSchema"]["type"] == "object", "{name}/{key}: no input schema");
            assert!(entry["outputSchema"].is_object(), "{name}/{key}: no output schema");
            let source = &entry["source"];
            assert!(
                source["spec"].as_str().is_some_and(|s| s.ends_with(".json"))
                    && source["path"].as_str().is_some_and(|p| p.starts_with('/')),
                "{name}/{key}: no source: {source}"
            );
        }
        actions += listed.len();
        triggers += manifest["triggers"].as_array().map_or(0, Vec::len);
    }
    assert!(actions >= 519 && triggers >= 100, "{actions} actions and {triggers} triggers listed");
}
