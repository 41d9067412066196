//! Every `/oauth/token` answer validates against apps/oauth.json's declared response schema.

use std::path::PathBuf;

use ghl_sim::openapi::{load_spec, response_schema};
use serde_json::{Value, json};

use crate::oauth::{CLIENT_ID, CLIENT_SECRET, OAUTH_LOCATION, exchange, oauth_harness, refresh, token};

const SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../specs/ghl/apps/oauth.json");
const TOKEN: &str = "/oauth/token";

fn spec_path() -> PathBuf {
    let path = PathBuf::from(SPEC);
    assert!(path.is_file(), "the official GHL spec is missing: expected {}", path.display());
    path
}

fn validator(spec: &Value, status: u16) -> jsonschema::Validator {
    let schema = response_schema(spec, spec_path(), "post", TOKEN, status)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the spec declares no {status} body for POST {TOKEN}"));
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{status}: bad schema: {e}\n{schema:#}"))
}

fn problems(spec: &Value, status: u16, body: &Value) -> Vec<String> {
    let validator = validator(spec, status);
    validator.iter_errors(body).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

#[tokio::test]
async fn token_answers_match_the_official_spec() {
    let spec = load_spec(spec_path()).unwrap_or_else(|e| panic!("{e}"));
    let h = oauth_harness().await;
    let code = h.running.sim.issue_code(CLIENT_ID, OAUTH_LOCATION, ["socialplanner/tag.readonly"]);
    let mut answers = Vec::new();
    let first = exchange(&h, &code).await;
    let refresh_token = first.1["refresh_token"].as_str().expect("refresh_token").to_owned();
    answers.push(first);
    answers.push(exchange(&h, &code).await);
    answers.push(refresh(&h, &refresh_token).await);
    answers.push(refresh(&h, &refresh_token).await);
    h.running.sim.set_location_active(OAUTH_LOCATION, false);
    let latest = h.running.sim.tokens_for(OAUTH_LOCATION).expect("tokens").refresh_token;
    answers.push(refresh(&h, &latest).await);
    let wrong =
        [("client_id", CLIENT_ID), ("client_secret", "no"), ("grant_type", "refresh_token"), ("refresh_token", "x")];
    answers.push(token(&h, &wrong).await);
    answers.push(token(&h, &[("client_secret", CLIENT_SECRET)]).await);

    let mut statuses = Vec::new();
    for (status, body) in &answers {
        let found = problems(&spec, *status, body);
        assert!(found.is_empty(), "{status}: {found:#?}\n{body:#}");
        statuses.push(*status);
    }
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(statuses, [200, 400, 401, 422]);
}

#[test]
fn the_check_is_not_vacuous() {
    let spec = load_spec(spec_path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!problems(&spec, 200, &json!({"access_token": "a"})).is_empty(), "userId is required");
    let string_expiry = json!({"userId": "u", "expires_in": "86399"});
    assert!(!problems(&spec, 200, &string_expiry).is_empty());
    assert!(!problems(&spec, 422, &json!({"message": "one string"})).is_empty());
}
