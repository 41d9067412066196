//! The admin routes and the request log.

use ghl_sim::{Account, RecordedRequest};
use reqwest::Method;
use serde_json::json;

use crate::common::{LOCATION, TOKEN, VERSION, harness, send};

#[tokio::test]
async fn the_request_log_records_api_requests_only() {
    let h = harness().await;
    send(h.api(Method::GET, &format!("{}?limit=5", h.tags_path()))).await;
    send(h.raw(Method::GET, &h.tags_path())).await;
    send(h.raw(Method::POST, &format!("/_sim/locations/{LOCATION}/tags")).json(&json!({"tag": "x"}))).await;

    let (status, body) = send(h.raw(Method::GET, "/_sim/requests")).await;
    assert_eq!(status, 200);
    let log: Vec<RecordedRequest> = serde_json::from_value(body).expect("request log");
    assert_eq!(log.len(), 2, "{log:?}");
    let first = &log[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, h.tags_path());
    assert_eq!(first.query.as_deref(), Some("limit=5"));
    assert_eq!(first.headers.get("version").map(String::as_str), Some(VERSION));
    let bearer = format!("Bearer {TOKEN}");
    assert_eq!(first.headers.get("authorization"), Some(&bearer));
    assert_eq!(first.status, 200);
    assert_eq!(log[1].status, 400);
    assert_eq!(log[1].query, None);
    assert_eq!(h.running.sim.requests(), log);

    assert_eq!(send(h.raw(Method::DELETE, "/_sim/requests")).await.0, 204);
    assert!(h.running.sim.requests().is_empty());
}

#[tokio::test]
async fn tokens_and_accounts_can_be_set_up_over_http() {
    let h = harness().await;
    let token = json!({"token": "t2", "locationId": "loc2", "scopes": ["socialplanner/account.readonly"]});
    assert_eq!(send(h.raw(Method::POST, "/_sim/tokens").json(&token)).await.0, 201);

    let new = json!({"name": "Page", "platform": "facebook", "profileId": "1234567890"});
    let (status, body) = send(h.raw(Method::POST, "/_sim/locations/loc2/accounts").json(&new)).await;
    assert_eq!(status, 201);
    let account: Account = serde_json::from_value(body).expect("Account");
    assert_eq!(account.profile_id, "1234567890");
    assert_eq!(account.kind, "page");

    let list = h.raw(Method::GET, "/social-media-posting/loc2/accounts").header("Version", VERSION).bearer_auth("t2");
    let (status, body) = send(list).await;
    assert_eq!(status, 200);
    assert_eq!(body["results"]["accounts"][0]["id"], account.id.as_str());
}

#[tokio::test]
async fn admin_errors_are_4xx_json() {
    let h = harness().await;
    let missing = format!("/_sim/locations/{LOCATION}/tags/ffffffffffffffffffffffff");
    let (status, body) = send(h.raw(Method::PATCH, &missing).json(&json!({"tag": "x"}))).await;
    assert_eq!(status, 404);
    assert_eq!(body["statusCode"], 404);
    assert_eq!(send(h.raw(Method::DELETE, &missing)).await.0, 404);

    let bad = h.raw(Method::POST, "/_sim/tokens").body("{");
    assert_eq!(send(bad).await.0, 422);
    let no_name = h.raw(Method::POST, "/_sim/locations/l/accounts").json(&json!({"platform": "google"}));
    assert_eq!(send(no_name).await.0, 422);
    let not_object = h.raw(Method::PUT, "/_sim/locations/l/statistics").json(&json!([1]));
    assert_eq!(send(not_object).await.0, 422);
    let (status, body) = send(h.raw(Method::GET, "/_sim/nothing")).await;
    assert_eq!((status, body["message"].as_str()), (404, Some("Cannot GET /_sim/nothing")));
}
