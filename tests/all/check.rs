//! `weft check`, as a connector author runs it before publishing: it passes a
//! connector that behaves, against the simulator and then offline from what it
//! recorded, and it fails one that does not, naming each problem.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The JSON report of a `weft check … --json`.
fn report(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("--json prints the report ({e}): {}", stderr(out)))
}

/// The one finding of `check` about `subject`.
pub(crate) fn finding<'a>(report: &'a Value, check: &str, subject: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == check && f["subject"] == subject)
        .unwrap_or_else(|| panic!("no `{check}` finding about `{subject}` in {report:#}"))
}

pub(crate) fn failed(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["outcome"] == "failed")
        .map(|f| {
            format!("{} {}: {}", f["check"].as_str().unwrap_or(""), f["subject"].as_str().unwrap_or(""), f["detail"])
        })
        .collect()
}

/// A shell command that adds a tag in the simulator, for `--after-seed`.
pub(crate) fn add_tag_command(base_url: &str, name: &str) -> String {
    format!(
        "curl -fsS -o /dev/null -X POST -H 'content-type: application/json' {base_url}/_sim/locations/{LOCATION}/tags -d '{{\"tag\":\"{name}\"}}'"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_social_planner_passes_against_the_simulator_and_offline_from_the_recording() {
    let world = World::new().await;
    world.create_tags(&["Evergreen"]);
    let kept = tempfile::tempdir().expect("temp dir");
    let fixtures = kept.path().join("fixtures.json");
    let after_seed = format!("new-tag={}", add_tag_command(&world.sim.base_url(), "Fresh"));
    let args = [
        "check",
        path(component()),
        "--connection",
        path(&world.connection_file),
        "--after-seed",
        &after_seed,
        "--record",
        path(&fixtures),
        "--json",
    ];
    let live = weft(&args, TOKEN).await;
    let found = report(&live);
    assert!(live.status.success(), "{:?}\n{}", failed(&found), stderr(&live));
    assert_eq!(found["passed"], true);
    let polls = finding(&found, "trigger-polls", "trigger new-tag");
    assert_eq!(polls["outcome"], "passed", "{polls}");
    assert!(polls["detail"].as_str().unwrap_or("").contains("emitted 1 new"), "{polls}");
    assert_eq!(finding(&found, "action-runs", "action find-tags")["outcome"], "passed");
    assert_eq!(finding(&found, "dropdown", "dropdown create-post.tagIds")["detail"], "2 choice(s)");
    for fault in ["401", "401 naming a missing scope", "403", "429 with Retry-After", "503"] {
        let f = found["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| {
                f["check"] == "error-mapping"
                    && f["subject"].as_str().is_some_and(|s| s.ends_with(&format!("on a {fault}")))
            })
            .unwrap_or_else(|| panic!("no error mapping for {fault}: {found:#}"));
        assert_eq!(f["outcome"], "passed", "{f}");
    }
    for check in ["egress", "credential", "logs"] {
        assert_eq!(finding(&found, check, "connector")["outcome"], "passed", "{check}");
    }
    // An action that needs the account's own ids is not run, and says how to run it.
    let needs = finding(&found, "action-runs", "action get-tag-details");
    assert_eq!(needs["outcome"], "not-run");
    assert!(needs["detail"].as_str().unwrap_or("").contains("--input get-tag-details="), "{needs}");
    // The recording keeps no token.
    let recorded = std::fs::read_to_string(&fixtures).expect("fixtures written");
    assert!(!recorded.contains(TOKEN), "the fixtures carry the token");
    assert!(recorded.contains("Evergreen") && recorded.contains("Fresh"), "{recorded}");

    // Offline: the same checks from the fixtures, the simulator gone.
    drop(world);
    let offline = weft(&["check", path(component()), "--fixtures", path(&fixtures), "--json"], TOKEN).await;
    let replayed = report(&offline);
    assert!(offline.status.success(), "{:?}", failed(&replayed));
    let polls = finding(&replayed, "trigger-polls", "trigger new-tag");
    assert!(polls["detail"].as_str().unwrap_or("").contains("emitted 1 new"), "{polls}");
    assert_eq!(finding(&replayed, "action-runs", "action find-tags")["outcome"], "passed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hostile_component_fails_naming_each_problem() {
    let world = World::new().await;
    let hostile = weft_tests::hostile_component();
    let mut args = vec!["check", path(hostile), "--connection", path(&world.connection_file), "--json"];
    for key in ["undeclared-host", "set-authorization", "log-echo", "bad-output"] {
        args.extend(["--only", key]);
    }
    let out = weft(&args, TOKEN).await;
    assert!(!out.status.success(), "a hostile connector must not pass");
    let found = report(&out);
    assert_eq!(found["passed"], false);
    let detail = |check: &str, subject: &str| {
        let f = finding(&found, check, subject);
        assert_eq!(f["outcome"], "failed", "{f}");
        f["detail"].as_str().unwrap_or("").to_string()
    };
    assert!(detail("action-runs", "action undeclared-host").contains("undeclared.invalid"));
    assert!(detail("egress", "connector").contains("undeclared.invalid"));
    assert!(detail("credential", "connector").contains("`authorization`"));
    assert!(detail("logs", "connector").contains("log-echo"));
    assert!(detail("action-runs", "action bad-output").contains("[bad-output]"));
    // What ran and answers the same whatever the API says does not map errors.
    let mapping: Vec<&Value> =
        found["findings"].as_array().expect("findings").iter().filter(|f| f["check"] == "error-mapping").collect();
    assert!(!mapping.is_empty() && mapping.iter().all(|f| f["outcome"] == "failed"), "{mapping:?}");
    assert!(mapping[0]["detail"].as_str().unwrap_or("").contains("must become `unauthorized`"), "{:?}", mapping[0]);
    // The human report says the same, one line each, and ends with the count.
    args.retain(|a| *a != "--json");
    let human = weft(&args, TOKEN).await;
    let text = stdout(&human);
    assert!(text.contains("FAIL egress") && text.contains("FAIL logs"), "{text}");
    assert!(text.lines().last().is_some_and(|l| l.contains("failed")), "{text}");
    assert!(stderr(&human).contains("check(s) failed"), "{}", stderr(&human));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typo_in_only_and_a_live_account_are_refused() {
    let world = World::new().await;
    let out = weft(&["check", path(component()), "--only", "find-tag"], TOKEN).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("`find-tag`") && stderr(&out).contains("find-tags"), "{}", stderr(&out));
    let live = world.path("live.toml");
    std::fs::write(
        &live,
        "base_url = \"https://services.leadconnectorhq.com\"\nlocation_id = \"x\"\ntoken_env = \"GHL_TOKEN\"\n",
    )
    .expect("write");
    let out = weft(&["check", path(component()), "--connection", path(&live)], TOKEN).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("never a live account"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_connector_passes_like_the_rust_one() {
    let world = World::new().await;
    world.create_tags(&["Evergreen"]);
    let after_seed = format!("new-tag={}", add_tag_command(&world.sim.base_url(), "Fresh"));
    let python = weft_tests::python_component();
    let args =
        ["check", path(python), "--connection", path(&world.connection_file), "--after-seed", &after_seed, "--json"];
    let out = weft(&args, TOKEN).await;
    let found = report(&out);
    assert!(out.status.success(), "{:?}", failed(&found));
    let polls = finding(&found, "trigger-polls", "trigger new-tag");
    assert!(polls["detail"].as_str().unwrap_or("").contains("emitted 1 new"), "{polls}");
    let mapped = found["findings"].as_array().expect("findings").iter().filter(|f| f["check"] == "error-mapping");
    assert_eq!(mapped.filter(|f| f["outcome"] == "passed").count(), 5, "{found:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_importing_what_the_host_does_not_give_is_refused_naming_the_import() {
    let dir = tempfile::tempdir().expect("temp dir");
    let component = dir.path().join("wants-more.wat");
    std::fs::write(&component, "(component (import \"acme:disk/files@1.0.0\" (instance (export \"read\" (func)))))")
        .expect("write");
    let out = weft(&["check", path(&component), "--json"], TOKEN).await;
    assert!(!out.status.success());
    let found = report(&out);
    let load = finding(&found, "manifest", "component");
    assert!(load["detail"].as_str().unwrap_or("").contains("acme:disk/files@1.0.0"), "{load}");
}
