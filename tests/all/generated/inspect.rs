//! `weft inspect` on each generated component lists its actions and
//! triggers with their schemas, and says where each came from.

use super::actions::README_SPEC_OPERATIONS;
use super::triggers::README_TRIGGERS;
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_inspect_lists_every_generated_action_and_trigger_with_schemas() {
    let mut operations = BTreeSet::new();
    let mut triggers = 0;
    let mut instant_triggers = 0;
    let social = ("ghl-social-planner", weft_tests::ghl_component());
    for (name, path) in weft_tests::generated_components().into_iter().chain([social]) {
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
            if let Some(instant) = entry.get("instant") {
                // An instant trigger comes from GHL's webhook events, not from an operation.
                let types = instant["eventTypes"].as_array().map_or(0, Vec::len);
                assert!(types > 0, "{name}/{key}: an instant trigger with no event types");
                instant_triggers += 1;
                continue;
            }
            let source = &entry["source"];
            assert!(
                source["spec"].as_str().is_some_and(|s| s.ends_with(".json"))
                    && source["path"].as_str().is_some_and(|p| p.starts_with('/')),
                "{name}/{key}: no source: {source}"
            );
        }
        for action in listed {
            let source = &action["source"];
            let (spec, id) = (source["spec"].as_str(), source["operationId"].as_str());
            operations.insert(format!("{}#{}", spec.unwrap_or_default(), id.unwrap_or_default()));
        }
        if name == "ghl-social-planner" {
            // The README: "It has 7 triggers and 34 actions", five triggers written by hand.
            assert_eq!((manifest["triggers"].as_array().map(Vec::len), listed.len()), (Some(7), 34), "{name}");
            triggers += 7 - 5;
        } else {
            let polled =
                manifest["triggers"].as_array().map_or(0, |t| t.iter().filter(|t| t.get("instant").is_none()).count());
            triggers += polled;
        }
    }
    assert_eq!(operations.len(), README_SPEC_OPERATIONS, "spec operations the listed actions come from");
    assert_eq!(triggers, README_TRIGGERS, "generated polling triggers listed");
    // The README: "15 instant triggers" in four generated connectors.
    assert_eq!(instant_triggers, 15, "instant triggers listed");
}
