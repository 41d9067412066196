//! Stored connections from the shell: `--company-id` and `--token-kind`
//! become the connection's facts, an agency-only operation works with a
//! company token and is refused by name with a location one, and
//! `connections remove` removes.

use super::arg;
use crate::generated::{ALL_SCOPES_TOKEN, COMPANY, COMPANY_TOKEN, Generated, api, described, seed_target};
use crate::support::*;
use serde_json::{Map, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_kind_and_company_id_become_facts_and_connections_remove_removes() {
    let g = Generated::new().await;
    let connectors = g.load_all().await;
    let agency = connectors.iter().find(|c| c.manifest.id == "ghl-agency").expect("the agency connector");
    let get_company = agency.manifest.action("get-company").expect("get-company");
    let op = described(api(agency), "get-company").expect("described get-company");
    seed_target(&g, op, &get_company.input_schema, &mut Map::new(), COMPANY).expect("the agency is stored");
    let component = weft_tests::generated_components()
        .into_iter()
        .find(|(name, _)| *name == "ghl-agency")
        .map(|(_, path)| arg(path))
        .expect("the agency component");

    let data = tempfile::tempdir().expect("data dir");
    let data_dir = arg(data.path());
    let env = [("WEFT_DATA_DIR", data_dir.as_str()), ("WEFT_ALLOW_LOOPBACK", "1")];
    let base = g.world.sim.base_url();
    let connect = async |name: &str, token: &str, extra: &[&str]| -> Value {
        let mut args = vec!["connect", &component, "--name", name, "--token-env", "GHL_TOKEN", "--base-url", &base];
        args.extend_from_slice(extra);
        let out = weft_with(&args, token, &env).await;
        assert!(out.status.success(), "connect {name}: {}", stderr(&out));
        serde_json::from_str(&stdout(&out)).expect("the connection, as JSON")
    };
    // An agency token, though a location is named too: the kind says so.
    let company = connect(
        "agency",
        COMPANY_TOKEN,
        &["--location-id", LOCATION, "--company-id", COMPANY, "--token-kind", "company"],
    )
    .await;
    assert_eq!(
        (company["facts"]["tokenKind"].as_str(), company["facts"]["companyId"].as_str()),
        (Some("company"), Some(COMPANY)),
        "{company}"
    );
    // No location: a company token by default.
    let implied = connect("implied", COMPANY_TOKEN, &["--company-id", COMPANY]).await;
    assert_eq!(implied["facts"]["tokenKind"], "company", "{implied}");
    let location = connect("sub", ALL_SCOPES_TOKEN, &["--location-id", LOCATION, "--company-id", COMPANY]).await;
    assert_eq!(
        (location["facts"]["tokenKind"].as_str(), location["facts"]["companyId"].as_str()),
        (Some("location"), Some(COMPANY)),
        "{location}"
    );

    let listed = weft_with(&["connections", "list"], "unused", &env).await;
    let listed: Value = serde_json::from_str(&stdout(&listed)).expect("JSON");
    let names = |list: &Value| -> Vec<String> {
        let mut names: Vec<String> =
            list.as_array().into_iter().flatten().filter_map(|c| c["name"].as_str().map(str::to_string)).collect();
        names.sort();
        names
    };
    assert_eq!(names(&listed), ["agency", "implied", "sub"], "{listed}");
    assert!(!listed.to_string().contains(COMPANY_TOKEN), "never a secret");

    let input = format!("{{\"companyId\": \"{COMPANY}\"}}");
    let invoke = async |name: &str| {
        let args = ["invoke", &component, "get-company", "--connection", name, "--input", &input];
        weft_with(&args, "unused", &env).await
    };
    let works = invoke("agency").await;
    assert!(works.status.success(), "an agency-only operation with a company token: {}", stderr(&works));
    assert!(stdout(&works).contains(COMPANY), "{}", stdout(&works));
    let before = g.world.sim.sim.requests().len();
    let refused = invoke("sub").await;
    assert!(!refused.status.success(), "{}", stdout(&refused));
    assert!(stderr(&refused).contains("needs a company token"), "refused by name: {}", stderr(&refused));
    assert_eq!(g.world.sim.sim.requests().len(), before, "refused before any request was sent");

    let removed = weft_with(&["connections", "remove", "agency"], "unused", &env).await;
    assert!(removed.status.success(), "{}", stderr(&removed));
    assert!(stderr(&removed).contains("removed connection `agency`"), "{}", stderr(&removed));
    let listed = weft_with(&["connections", "list"], "unused", &env).await;
    let listed: Value = serde_json::from_str(&stdout(&listed)).expect("JSON");
    assert_eq!(names(&listed), ["implied", "sub"], "{listed}");
    let gone = invoke("agency").await;
    assert!(
        !gone.status.success() && stderr(&gone).contains("agency"),
        "a removed connection cannot be used: {}",
        stderr(&gone)
    );
    let again = weft_with(&["connections", "remove", "agency"], "unused", &env).await;
    assert!(!again.status.success(), "removing it twice says it is not there: {}", stderr(&again));
}
