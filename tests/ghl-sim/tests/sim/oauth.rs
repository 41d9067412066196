//! The OAuth 2.0 flow: authorize page, code exchange, rotating refresh tokens, and the
//! admin controls (expiry, revocation, inactive locations, counters).

use ghl_sim::{Consent, OAuthStats, OAuthTokens};
use reqwest::Method;
use reqwest::redirect::Policy;
use serde_json::{Value, json};

use crate::common::{Harness, VERSION, harness, send};

pub(crate) const CLIENT_ID: &str = "66a0b1c2d3e4f5a6b7c8d9e0-m0abcdef";
pub(crate) const CLIENT_SECRET: &str = "sim-secret-1";
pub(crate) const OAUTH_LOCATION: &str = "oAuthLoc8h8vShlRW1KT";
const TAG_READ: &str = "socialplanner/tag.readonly";
const ACCOUNT_READ: &str = "socialplanner/account.readonly";

/// A harness with one registered app.
pub(crate) async fn oauth_harness() -> Harness {
    let h = harness().await;
    h.running.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
    h
}

/// `POST /oauth/token` with a form body.
pub(crate) async fn token(h: &Harness, fields: &[(&str, &str)]) -> (u16, Value) {
    send(h.raw(Method::POST, "/oauth/token").form(fields)).await
}

pub(crate) async fn exchange(h: &Harness, code: &str) -> (u16, Value) {
    let fields = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("user_type", "Location"),
        ("redirect_uri", "https://app.example/callback"),
    ];
    token(h, &fields).await
}

pub(crate) async fn refresh(h: &Harness, refresh_token: &str) -> (u16, Value) {
    let fields = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("user_type", "Location"),
    ];
    token(h, &fields).await
}

fn tokens(body: Value) -> OAuthTokens {
    serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("not OAuthTokens ({e}): {body}"))
}

/// Tokens for `OAUTH_LOCATION` with tag and account read scopes.
async fn first_tokens(h: &Harness) -> OAuthTokens {
    let code = h.running.sim.issue_code(CLIENT_ID, OAUTH_LOCATION, [TAG_READ, ACCOUNT_READ]);
    let (status, body) = exchange(h, &code).await;
    assert_eq!(status, 200, "{body}");
    tokens(body)
}

async fn tags_status(h: &Harness, access_token: &str) -> (u16, Value) {
    let path = format!("/social-media-posting/{OAUTH_LOCATION}/tags");
    send(h.with_token(Method::GET, &path, access_token)).await
}

fn invalid_grant(what: &str) -> Value {
    json!({"error": "invalid_grant", "error_description": format!("Invalid grant: {what} is invalid")})
}

#[tokio::test]
async fn a_code_gives_tokens_that_work_on_the_api_once() {
    let h = oauth_harness().await;
    let consent =
        Consent { location_id: OAUTH_LOCATION.into(), company_id: Some("comp1".into()), user_id: Some("user1".into()) };
    let code = h.running.sim.issue_code_for(CLIENT_ID, consent, [TAG_READ, ACCOUNT_READ, TAG_READ]);
    let (status, body) = exchange(&h, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86399);
    assert_eq!(body["userType"], "Location");
    assert_eq!(body["locationId"], OAUTH_LOCATION);
    assert_eq!(body["companyId"], "comp1");
    assert_eq!(body["userId"], "user1");
    assert_eq!(body["scope"], format!("{TAG_READ} {ACCOUNT_READ}"));
    let issued = tokens(body);
    assert!(issued.access_token.starts_with("at-") && issued.access_token.len() >= 40, "{issued:?}");
    assert!(issued.refresh_token.starts_with("rt-") && issued.refresh_token.len() >= 40, "{issued:?}");
    assert_eq!(h.running.sim.tokens_for(OAUTH_LOCATION), Some(issued.clone()));

    h.running.sim.create_tag(OAUTH_LOCATION, "via oauth");
    let (status, body) = tags_status(&h, &issued.access_token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"]["count"], 1);
    let stats = format!("/social-media-posting/statistics?locationId={OAUTH_LOCATION}");
    let no_scope = h.with_token(Method::POST, &stats, &issued.access_token).json(&json!({"profileIds": ["p"]}));
    assert_eq!(send(no_scope).await.0, 401, "scopes are those granted");

    let (status, body) = exchange(&h, &code).await;
    assert_eq!((status, body), (400, invalid_grant("authorization code")));
    let (status, _) = exchange(&h, "no-such-code").await;
    assert_eq!(status, 400);
    assert_eq!(h.running.sim.oauth_stats().code_exchanges, 3);
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_is_rejected_and_counted() {
    let h = oauth_harness().await;
    let first = first_tokens(&h).await;

    let (status, body) = refresh(&h, &first.refresh_token).await;
    assert_eq!(status, 200, "{body}");
    let second = tokens(body);
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.scope, first.scope, "scopes carry over");
    assert_eq!(second.location_id, OAUTH_LOCATION);
    assert_eq!(tags_status(&h, &second.access_token).await.0, 200);
    assert_eq!(tags_status(&h, &first.access_token).await.0, 200, "the old access token lives until it expires");

    let (status, body) = refresh(&h, &first.refresh_token).await;
    assert_eq!((status, body), (400, invalid_grant("refresh token")));
    let (status, body) = refresh(&h, &second.refresh_token).await;
    assert_eq!(status, 200, "{body}");
    let third = tokens(body);
    assert_eq!(refresh(&h, &second.refresh_token).await.0, 400);
    assert_eq!(refresh(&h, "rt-never-issued").await.0, 400);

    let expected = OAuthStats { refresh_calls: 5, refresh_successes: 2, reused_refresh_tokens: 2, code_exchanges: 1 };
    assert_eq!(h.running.sim.oauth_stats(), expected);
    let (status, body) = send(h.raw(Method::GET, "/_sim/oauth/stats")).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"refreshCalls": 5, "refreshSuccesses": 2, "reusedRefreshTokens": 2, "codeExchanges": 1}));
    assert_eq!(h.running.sim.tokens_for(OAUTH_LOCATION).map(|t| t.refresh_token), Some(third.refresh_token));
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_let_exactly_one_win() {
    let h = oauth_harness().await;
    let first = first_tokens(&h).await;
    let (a, b) = tokio::join!(refresh(&h, &first.refresh_token), refresh(&h, &first.refresh_token));
    let mut statuses = [a.0, b.0];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400]);
    assert_eq!(h.running.sim.oauth_stats().reused_refresh_tokens, 1);
}

#[tokio::test]
async fn an_expired_access_token_gets_ghls_401() {
    let h = oauth_harness().await;
    let first = first_tokens(&h).await;
    let (status, body) = refresh(&h, &first.refresh_token).await;
    assert_eq!(status, 200, "{body}");
    let second = tokens(body);

    let expire = h.raw(Method::POST, "/_sim/oauth/expire").json(&json!({"accessToken": first.access_token}));
    assert_eq!(send(expire).await.0, 200);
    let expected = json!({
        "statusCode": 401,
        "message": "Invalid token: access token is invalid",
        "error": "Unauthorized",
    });
    assert_eq!(tags_status(&h, &first.access_token).await, (401, expected.clone()));
    assert_eq!(tags_status(&h, &second.access_token).await.0, 200);

    assert_eq!(h.running.sim.expire_all_access_tokens(), 1);
    assert_eq!(tags_status(&h, &second.access_token).await, (401, expected));
    assert_eq!(send(h.api(Method::GET, &h.tags_path())).await.0, 200, "registered tokens never expire");

    let unknown = h.raw(Method::POST, "/_sim/oauth/expire").json(&json!({"accessToken": "nope"}));
    assert_eq!(send(unknown).await.0, 404);
    let (status, body) = send(h.raw(Method::POST, "/_sim/oauth/expire-all")).await;
    assert_eq!((status, body), (200, json!({"expired": 0})));
}

#[tokio::test]
async fn a_revoked_refresh_token_is_an_invalid_grant() {
    let h = oauth_harness().await;
    let first = first_tokens(&h).await;
    let revoke = h.raw(Method::POST, "/_sim/oauth/revoke").json(&json!({"refreshToken": first.refresh_token}));
    assert_eq!(send(revoke).await.0, 200);
    assert_eq!(refresh(&h, &first.refresh_token).await, (400, invalid_grant("refresh token")));
    assert_eq!(h.running.sim.oauth_stats().reused_refresh_tokens, 0, "a revoked token is not a reuse");
    let unknown = h.raw(Method::POST, "/_sim/oauth/revoke").json(&json!({"refreshToken": "nope"}));
    assert_eq!(send(unknown).await.0, 404);
}

#[tokio::test]
async fn an_inactive_location_keeps_its_refresh_token_for_later() {
    let h = oauth_harness().await;
    let first = first_tokens(&h).await;
    let inactive = format!("/_sim/locations/{OAUTH_LOCATION}/active");
    let (status, body) = send(h.raw(Method::POST, &inactive).json(&json!({"active": false}))).await;
    assert_eq!((status, body), (200, json!({"locationId": OAUTH_LOCATION, "active": false})));

    let expected = json!({"statusCode": 400, "message": "Location is not active", "error": "Bad Request"});
    assert_eq!(refresh(&h, &first.refresh_token).await, (400, expected.clone()));
    assert_eq!(refresh(&h, &first.refresh_token).await, (400, expected));

    h.running.sim.set_location_active(OAUTH_LOCATION, true);
    let (status, body) = refresh(&h, &first.refresh_token).await;
    assert_eq!(status, 200, "the same refresh token works again: {body}");
    let stats = h.running.sim.oauth_stats();
    assert_eq!((stats.refresh_calls, stats.refresh_successes, stats.reused_refresh_tokens), (3, 1, 0));
}

#[tokio::test]
async fn client_credentials_are_checked_and_bad_bodies_are_422s() {
    let h = oauth_harness().await;
    let code = h.running.sim.issue_code(CLIENT_ID, OAUTH_LOCATION, [TAG_READ]);
    let wrong_secret = [
        ("client_id", CLIENT_ID),
        ("client_secret", "wrong"),
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
    ];
    let (status, body) = token(&h, &wrong_secret).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].is_string(), "{body}");
    let wrong_client = [
        ("client_id", "someone-else"),
        ("client_secret", CLIENT_SECRET),
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
    ];
    assert_eq!(token(&h, &wrong_client).await.0, 401);
    assert_eq!(exchange(&h, &code).await.0, 200, "failed attempts do not consume the code");

    let (status, body) = token(&h, &[("grant_type", "password")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["error"], "Unprocessable Entity");
    let messages = body["message"].as_array().expect("message array");
    assert_eq!(messages.len(), 3, "{body}");
    let no_code = [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("grant_type", "authorization_code")];
    let (status, body) = token(&h, &no_code).await;
    assert_eq!((status, body["message"].clone()), (422, json!(["code should not be empty"])));
    let bad_user_type = [
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("user_type", "Agency"),
    ];
    assert_eq!(token(&h, &bad_user_type).await.0, 422);
    let credentials =
        [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET), ("grant_type", "client_credentials")];
    let (status, body) = token(&h, &credentials).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));

    let json_body = json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": "refresh_token",
        "refresh_token": 5});
    let (status, body) = send(h.raw(Method::POST, "/oauth/token").json(&json_body)).await;
    assert_eq!(status, 422);
    let messages = body["message"].as_array().expect("message array");
    assert!(messages.contains(&json!("refresh_token must be a string")), "{body}");
}

#[tokio::test]
async fn chooselocation_redirects_with_a_code_and_the_state() {
    let h = oauth_harness().await;
    let client = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    let consent = json!({"locationId": "firstLocation", "companyId": "c1"});
    assert_eq!(send(h.raw(Method::POST, "/_sim/oauth/consent").json(&consent)).await.0, 201);
    h.running.sim.register_consent(Consent::location(OAUTH_LOCATION));

    let authorize = |path: &str, query: &[(&str, &str)]| client.get(h.url(path)).query(query);
    let query = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", "https://app.example/callback?app=1"),
        ("scope", "socialplanner/tag.readonly socialplanner/account.readonly"),
        ("state", "st-42 &x"),
    ];
    let response = authorize("/oauth/chooselocation", &query).send().await.expect("authorize");
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers().get("location").expect("Location").to_str().expect("ASCII");
    let target = url::Url::parse(location).expect("absolute URL");
    assert_eq!(target.host_str(), Some("app.example"));
    assert_eq!(target.path(), "/callback");
    let pairs: Vec<(String, String)> = target.query_pairs().into_owned().collect();
    assert_eq!(pairs[0], ("app".to_owned(), "1".to_owned()));
    assert_eq!(pairs[1].0, "code");
    assert_eq!(pairs[2], ("state".to_owned(), "st-42 &x".to_owned()));

    let (status, body) = exchange(&h, &pairs[1].1).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["locationId"], OAUTH_LOCATION, "the last consent registered");
    assert_eq!(body["scope"], format!("{TAG_READ} {ACCOUNT_READ}"));

    let no_state = &query[..4];
    let response = authorize("/v2/oauth/chooselocation", no_state).send().await.expect("authorize");
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers().get("location").expect("Location").to_str().expect("ASCII");
    assert!(location.contains("code=") && !location.contains("state="), "{location}");

    let mut unknown = query;
    unknown[1] = ("client_id", "unknown-client");
    let response = authorize("/oauth/chooselocation", &unknown).send().await.expect("authorize");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["statusCode"], 400);
    let mut token_response = query;
    token_response[0] = ("response_type", "token");
    let response = authorize("/oauth/chooselocation", &token_response).send().await.expect("authorize");
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn a_registered_redirect_uri_is_enforced_and_consent_is_required() {
    let h = harness().await;
    let client = reqwest::Client::builder().redirect(Policy::none()).build().expect("client");
    let app = json!({"clientId": "app2", "clientSecret": "s2", "redirectUri": "https://app.example/cb"});
    assert_eq!(send(h.raw(Method::POST, "/_sim/oauth/apps").json(&app)).await.0, 201);
    let authorize = |query: &[(&str, &str)]| client.get(h.url("/oauth/chooselocation")).query(query).send();
    let base = [("response_type", "code"), ("client_id", "app2"), ("scope", TAG_READ)];
    let status = authorize(&base).await.expect("authorize").status().as_u16();
    assert_eq!(status, 400, "no consent registered yet");

    h.running.sim.register_consent(Consent::location(OAUTH_LOCATION));
    let response = authorize(&base).await.expect("authorize");
    assert_eq!(response.status().as_u16(), 302, "the registered redirect URI is the default");
    let location = response.headers().get("location").expect("Location").to_str().expect("ASCII");
    assert!(location.starts_with("https://app.example/cb?code="), "{location}");
    let other = [base[0], base[1], base[2], ("redirect_uri", "https://evil.example/cb")];
    assert_eq!(authorize(&other).await.expect("authorize").status().as_u16(), 400);
}

#[tokio::test]
async fn codes_can_be_issued_over_http() {
    let h = oauth_harness().await;
    let body = json!({"clientId": CLIENT_ID, "locationId": OAUTH_LOCATION, "scopes": [TAG_READ], "userId": "u9"});
    let (status, body) = send(h.raw(Method::POST, "/_sim/oauth/codes").json(&body)).await;
    assert_eq!(status, 201);
    let code = body["code"].as_str().expect("code");
    let (status, body) = exchange(&h, code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["userId"], "u9");
    assert_eq!(body["scope"], TAG_READ);

    let path = format!("/_sim/locations/{OAUTH_LOCATION}/oauth-tokens");
    let (status, listed) = send(h.raw(Method::GET, &path)).await;
    assert_eq!((status, &listed["access_token"]), (200, &body["access_token"]));
    assert_eq!(send(h.raw(Method::GET, "/_sim/locations/none/oauth-tokens")).await.0, 404);
    let typo = json!({"clientId": CLIENT_ID, "location": OAUTH_LOCATION, "scopes": []});
    assert_eq!(send(h.raw(Method::POST, "/_sim/oauth/codes").json(&typo)).await.0, 422);
    let version_not_needed = h.raw(Method::POST, "/oauth/token").header("Version", VERSION).form(&[("x", "y")]);
    assert_eq!(send(version_not_needed).await.0, 422);
}
