//! The checked-in GHL connectors, simulator descriptions and coverage data
//! are what the official specs and our overlay produce (`BLESS=1` rewrites
//! them), and the coverage meets the targets.

use std::path::PathBuf;
use weft_gen::ghl;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_checked_in_ghl_connectors_match_the_specs() {
    let root = root();
    let specs = ghl::default_specs_dir(&root);
    assert!(
        specs.is_dir(),
        "the official GHL specs are missing: expected {} (they are vendored in specs/ghl/; is the checkout complete?)",
        specs.display()
    );
    let bless = std::env::var_os("BLESS").is_some();
    let drifted = ghl::check_or_bless(&root, &specs, bless).unwrap_or_else(|e| panic!("{e}"));
    let list: Vec<String> = drifted.iter().map(|p| format!("  {}", p.display())).collect();
    assert!(
        drifted.is_empty(),
        "these generated files differ from what the specs and overlay produce; if that is intended, run \
         `BLESS=1 cargo test -p weft-gen --test ghl` (or `cargo run -p weft-gen -- ghl`) and commit them:\n{}",
        list.join("\n")
    );
}

#[test]
fn coverage_meets_the_targets_and_every_gap_has_a_reason() {
    let report = ghl::report(&root()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.expected_total, 124, "the catalog lists the 124 operations of the integration page");
    assert_eq!(report.spec_total, 576, "the 41 v2 specs describe 576 operations");
    assert!(report.expected_available >= 110, "{report}");
    assert!(report.spec_available * 10 >= report.spec_total * 9, "{report}");
    for line in report.expected_missing.iter().chain(&report.spec_missing) {
        let reason = line.rsplit_once(": ").map(|(_, r)| r.trim()).unwrap_or_default();
        assert!(!reason.is_empty(), "no reason given: {line}");
    }
}
