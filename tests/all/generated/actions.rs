//! Every generated action, through its component, the host and the
//! simulator; each output must validate against the action's output schema.

use super::*;
use std::collections::BTreeSet;
use std::time::Instant;

/// What the README says of the GHL connectors: "562 of the 576 operations of
/// GHL's official v2 specs, all 124 the integration page lists".
pub(crate) const README_SPEC_OPERATIONS: usize = 562;
pub(crate) const README_EXPECTED_OPERATIONS: usize = 124;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_generated_action_runs_against_the_simulator() {
    let g = Generated::new().await;
    let connectors = g.load_all().await;
    assert!(connectors.len() >= 16, "expected every GHL group, found {}", connectors.len());
    let root = weft_tests::workspace_root();
    let coverage = weft_gen::ghl::coverage(&root).expect("the coverage data");
    let started = Instant::now();
    let mut official = OfficialSpecs::default();
    let mut ran = 0;
    // The spec operations (`spec#operationId`) an action really ran for.
    let mut operations = BTreeSet::new();
    let mut failures = Vec::new();
    for connector in &connectors {
        let api = api(connector);
        for action in &connector.manifest.actions {
            let id = format!("{}/{}", connector.manifest.id, action.key);
            let Some(op) = described(api, &action.key) else {
                // A hand-written action standing for a spec operation runs here too.
                if coverage.iter().any(|c| c.action.as_deref() == Some(id.as_str())) {
                    let input = Value::Object(input_for(&action.input_schema, false));
                    match g.runtime.execute(connector, &g.location(), &action.key, &input).await {
                        Ok(output) => match (check_schema(&action.output_schema, &output), &action.source) {
                            (Ok(()), Some(source)) => {
                                operations.insert(format!("{}#{}", source.spec, source.operation_id));
                            }
                            (Ok(()), None) => failures.push(format!("{id}: no source")),
                            (Err(e), _) => failures.push(format!("{id}: output: {e}")),
                        },
                        Err(e) => failures.push(format!("{id} with {input}: {e}")),
                    }
                }
                continue;
            };
            let (connection, company) = g.connection_for(&action.token_kinds);
            let mut input = input_for(&action.input_schema, company);
            seed_target(&g, op, &action.input_schema, &mut input, Generated::scope(company));
            match g.runtime.execute(connector, &connection, &action.key, &Value::Object(input.clone())).await {
                Ok(output) => match check_schema(&action.output_schema, &output) {
                    Ok(()) => {
                        ran += 1;
                        operations.insert(format!("{}#{}", op.spec, op.operation_id));
                        // The answer is also what the official spec says it is,
                        // not only what our own generated schema says.
                        if let Err(e) = official.check(op, g.world.sim.sim.requests().last(), &output) {
                            failures.push(format!("{id}: against the official spec: {e}"));
                        }
                    }
                    Err(e) => failures.push(format!("{id}: output: {e}")),
                },
                Err(e) => failures.push(format!("{id} with {}: {e}", Value::Object(input))),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} actions failed:\n{}",
        failures.len(),
        ran + failures.len(),
        failures.join("\n")
    );
    eprintln!("{ran} generated actions ran in {:?}, for {} spec operations", started.elapsed(), operations.len());
    let available: BTreeSet<String> =
        coverage.iter().filter(|c| c.action.is_some()).map(|c| format!("{}#{}", c.spec, c.operation_id)).collect();
    let missing: Vec<&String> = available.difference(&operations).collect();
    assert!(missing.is_empty(), "operations the coverage says are available that no action ran: {missing:?}");
    assert_eq!(operations.len(), README_SPEC_OPERATIONS, "the README's figure of spec operations");
    let catalog = weft_gen::ghl::catalog(&root).expect("the catalog");
    let not_run: Vec<&str> = catalog
        .iter()
        .filter(|e| !e.operation.as_ref().is_some_and(|op| operations.contains(op)))
        .map(|e| e.name.as_str())
        .collect();
    assert!(not_run.is_empty(), "operations the integration page lists that no action ran: {not_run:?}");
    assert_eq!(catalog.len(), README_EXPECTED_OPERATIONS, "the README's figure of the integration page's operations");
}

/// The official GHL specs, with the overlay's documented patches and the
/// known string-typed-as-object defect relaxed, as the generator reads them.
#[derive(Default)]
struct OfficialSpecs {
    specs: std::collections::HashMap<String, (std::path::PathBuf, Value)>,
}

impl OfficialSpecs {
    /// Whether `answer`, which the simulator sent for `op` with the status
    /// it recorded, validates against the official spec's schema for that status.
    fn check(
        &mut self,
        op: &DescribedOperation,
        recorded: Option<&ghl_sim::RecordedRequest>,
        answer: &Value,
    ) -> Result<(), String> {
        let status = recorded.map(|r| r.status).ok_or("the simulator recorded no request")?;
        let (path, spec) = self.specs.entry(op.spec.clone()).or_insert_with(|| {
            let root = weft_tests::workspace_root();
            let path = weft_gen::ghl::default_specs_dir(&root).join(&op.spec);
            let mut spec = weft_gen::ghl::patched_spec(&root, &op.spec).unwrap_or_else(|e| panic!("{e}"));
            ghl_sim::openapi::relax_strings_typed_as_object(&mut spec);
            (path, spec)
        });
        let method = format!("{:?}", op.method).to_ascii_lowercase();
        let schema =
            ghl_sim::openapi::response_schema(spec, &*path, &method, &op.path, status).map_err(|e| e.to_string())?;
        match schema {
            Some(schema) => check_schema(&schema, answer),
            None => Ok(()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_scope_and_the_wrong_token_kind_are_refused_by_name() {
    let g = Generated::new().await;
    let connectors = g.load_all().await;
    let contacts = connectors.iter().find(|c| c.manifest.id == "ghl-contacts").expect("the contacts connector");
    g.world.sim.sim.register_token("pit-no-contacts", LOCATION, ["calendars.readonly"]);
    let narrow = Connection::with_bearer_token(
        g.world.sim.base_url(),
        json!({ "locationId": LOCATION }),
        &Secret::new("pit-no-contacts"),
    );
    let err =
        g.runtime.execute(contacts, &narrow, "get-contact", &json!({"contactId": "c1"})).await.expect_err("no scope");
    assert_eq!(err.code(), weft::ErrorCode::MissingScope, "{err}");
    assert!(err.to_string().contains("contacts.readonly"), "{err}");

    let agency = connectors.iter().find(|c| c.manifest.id == "ghl-agency").expect("the agency connector");
    let get_company = agency.manifest.action("get-company").expect("get-company");
    let op = described(api(agency), "get-company").expect("described get-company");
    seed_target(&g, op, &get_company.input_schema, &mut Map::new(), COMPANY).expect("the agency is stored");
    let err = g
        .runtime
        .execute(agency, &g.location(), "get-company", &json!({"companyId": COMPANY}))
        .await
        .expect_err("kind");
    assert!(err.to_string().contains("needs a company token"), "{err}");
    let company = g.runtime.execute(agency, &g.company(), "get-company", &json!({"companyId": COMPANY})).await;
    assert!(company.is_ok(), "{company:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_spec_forbids_gets_ghls_422_and_an_invalid_input_error() {
    let g = Generated::new().await;
    let connectors = g.load_all().await;
    let find = |id: &str| connectors.iter().find(|c| c.manifest.id == id).unwrap_or_else(|| panic!("{id}"));
    // Straight at the simulator: `limit` of `GET /contacts/` must be a number.
    let response = reqwest::Client::new()
        .get(format!("{}/contacts/?locationId={LOCATION}&limit=lots", g.world.sim.base_url()))
        .header("Version", "2021-07-28")
        .bearer_auth(ALL_SCOPES_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["statusCode"], 422);
    assert!(
        body["message"].as_array().is_some_and(|m| m.iter().any(|m| m.as_str().is_some_and(|m| m.contains("limit")))),
        "{body}"
    );
    // A missing required body field.
    let response = reqwest::Client::new()
        .post(format!("{}/businesses/", g.world.sim.base_url()))
        .header("Version", "2021-07-28")
        .bearer_auth(ALL_SCOPES_TOKEN)
        .json(&json!({"locationId": LOCATION}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 422);

    // The same two requests through their connectors: an invalid-input error
    // naming the field, and nothing sent to the API.
    let sent = g.world.sim.sim.requests().len();
    for (connector, action, input, field) in [
        ("ghl-contacts", "get-contacts", json!({"limit": "lots"}), "/limit"),
        ("ghl-businesses", "create-business", json!({"locationId": LOCATION}), "/name"),
    ] {
        let err = g.runtime.execute(find(connector), &g.location(), action, &input).await.expect_err("refused");
        assert_eq!(err.code(), weft::ErrorCode::InvalidInput, "{action}: {err}");
        match &err {
            weft::CallError::InvalidInput(problems) => {
                assert!(problems.iter().any(|p| p.field == field), "{action}: names `{field}`: {err}");
            }
            other => panic!("{action}: expected the input schema's refusal, got {other:?}"),
        }
        assert!(err.to_string().contains(field), "{action}: the message names `{field}`: {err}");
    }
    assert_eq!(g.world.sim.sim.requests().len(), sent, "no refused request reached the API");
}
