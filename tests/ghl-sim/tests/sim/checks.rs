//! The checks every API route runs, in GHL's order, and the GHL-style 404.

use reqwest::Method;
use serde_json::json;

use crate::common::{LOCATION, TOKEN, VERSION, harness, send};

#[tokio::test]
async fn version_is_checked_before_the_token() {
    let h = harness().await;
    let no_version = h.raw(Method::GET, &h.tags_path()).bearer_auth("not-a-token");
    let (status, body) = send(no_version).await;
    assert_eq!(status, 400);
    assert_eq!(body, json!({"statusCode": 400, "message": "Version header was not found"}));

    let old_version = h.raw(Method::GET, &h.tags_path()).header("Version", "2021-04-15").bearer_auth(TOKEN);
    let (status, body) = send(old_version).await;
    assert_eq!(status, 400);
    let message = body["message"].as_str().expect("message string");
    assert!(message.contains("2021-04-15"), "{message}");
}

#[tokio::test]
async fn an_unknown_or_missing_token_is_a_401_with_ghls_body() {
    let h = harness().await;
    let expected = json!({
        "statusCode": 401,
        "message": "Invalid token: access token is invalid",
        "error": "Unauthorized",
    });
    let bad = h.with_token(Method::GET, &h.tags_path(), "wrong");
    assert_eq!(send(bad).await, (401, expected.clone()));
    let missing = h.raw(Method::GET, &h.tags_path()).header("Version", VERSION);
    assert_eq!(send(missing).await, (401, expected.clone()));
    let basic =
        h.raw(Method::GET, &h.tags_path()).header("Version", VERSION).header("Authorization", format!("Basic {TOKEN}"));
    assert_eq!(send(basic).await, (401, expected));
}

#[tokio::test]
async fn a_token_without_the_scope_is_a_401_scope_error() {
    let h = harness().await;
    h.running.sim.register_token("accounts-only", LOCATION, ["socialplanner/account.readonly"]);
    let expected = json!({
        "statusCode": 401,
        "message": "The token is not authorized for this scope.",
        "error": "Unauthorized",
    });
    let tags = h.with_token(Method::GET, &h.tags_path(), "accounts-only");
    assert_eq!(send(tags).await, (401, expected.clone()));
    let details_path = format!("{}/details", h.tags_path());
    let details = h.with_token(Method::POST, &details_path, "accounts-only").json(&json!({"tagIds": []}));
    assert_eq!(send(details).await, (401, expected.clone()));
    let stats_path = format!("/social-media-posting/statistics?locationId={LOCATION}");
    let stats = h.with_token(Method::POST, &stats_path, "accounts-only").json(&json!({"profileIds": ["p"]}));
    assert_eq!(send(stats).await, (401, expected));
    let accounts_path = format!("/social-media-posting/{LOCATION}/accounts");
    let accounts = h.with_token(Method::GET, &accounts_path, "accounts-only");
    assert_eq!(send(accounts).await.0, 200);
}

#[tokio::test]
async fn another_location_is_a_403() {
    let h = harness().await;
    let expected = json!({
        "statusCode": 403,
        "message": "The token does not have access to this location.",
    });
    let tags = h.api(Method::GET, "/social-media-posting/other-location/tags");
    assert_eq!(send(tags).await, (403, expected.clone()));
    let accounts = h.api(Method::GET, "/social-media-posting/other-location/accounts");
    assert_eq!(send(accounts).await, (403, expected.clone()));
    let stats =
        h.api(Method::POST, "/social-media-posting/statistics?locationId=other").json(&json!({"profileIds": ["p"]}));
    assert_eq!(send(stats).await, (403, expected));
}

#[tokio::test]
async fn unknown_routes_and_methods_are_ghl_style_404s() {
    let h = harness().await;
    let (status, body) = send(h.api(Method::GET, "/nope/here?x=1")).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"statusCode": 404, "message": "Cannot GET /nope/here"}));
    let (status, body) = send(h.api(Method::DELETE, &h.tags_path())).await;
    assert_eq!(status, 404);
    let expected = format!("Cannot DELETE /social-media-posting/{LOCATION}/tags");
    assert_eq!(body["message"], expected.as_str());
}

#[tokio::test]
async fn accounts_are_listed_with_string_platform_and_type() {
    let h = harness().await;
    let google =
        ghl_sim::NewAccount { name: "Main Street Bakery".into(), platform: "google".into(), ..Default::default() };
    let added = h.running.sim.add_account(LOCATION, google);
    let (status, body) = send(h.api(Method::GET, &format!("/social-media-posting/{LOCATION}/accounts"))).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["statusCode"], 200);
    assert_eq!(body["message"], "Fetched Accounts");
    assert_eq!(body["results"]["groups"], json!([]));
    let account = &body["results"]["accounts"][0];
    assert_eq!(account["platform"], "google");
    assert_eq!(account["type"], "location");
    assert_eq!(account["profileId"], added.profile_id.as_str());
    assert_eq!(account["isExpired"], false);
    assert_eq!(account["meta"], json!({}));
    let id = account["id"].as_str().expect("id");
    assert!(id.contains(LOCATION), "{id}");
}
