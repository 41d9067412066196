//! Probe routes the host's sandbox tests aim connectors at. They are not GHL
//! API: they play a hostile or careless server.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;

use crate::state::Sim;

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        // Outside `/_sim/`, so the request log records it, headers and all.
        .route("/probe/echo-credential", get(echo_credential))
        .route("/probe/echo-credential-body", get(echo_credential_body))
        .route("/_sim/redirect", get(redirect))
        .route("/_sim/sleep", get(sleep))
        .route("/_sim/connections", get(connections))
        .route("/_sim/echo-body", axum::routing::post(echo_body))
        .route("/_sim/bytes", get(bytes))
}

/// Counts a request body that arrived, and says how long it was.
async fn echo_body(State(sim): State<Sim>, body: axum::body::Bytes) -> Json<serde_json::Value> {
    sim.body_received();
    Json(serde_json::json!({ "bytes": body.len() }))
}

/// `n` bytes of `x` (at most 64 MiB): a response larger than a host reads.
async fn bytes(Query(query): Query<HashMap<String, String>>) -> Response {
    let n = query.get("n").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1024).min(64 << 20);
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/octet-stream")], vec![b'x'; n]).into_response()
}

/// Answers with the request's `Authorization` copied into response headers,
/// as a careless server might: a connector must not be able to read it. Not
/// an admin route: the request log keeps what credential each request carried.
async fn echo_credential(headers: HeaderMap) -> Response {
    let auth = headers.get(header::AUTHORIZATION).cloned();
    let mut response = (StatusCode::OK, "{}").into_response();
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    out.insert("x-probe", header::HeaderValue::from_static("visible"));
    if let Some(auth) = auth {
        out.insert(header::AUTHORIZATION, auth.clone());
        out.insert(header::SET_COOKIE, auth);
    }
    response
}

/// Answers with the request's `Authorization` in the JSON body, as an API that
/// echoes what it was sent might: the host cannot hide a body, so a connector
/// that logs it leaks the token (`weft check` names it).
async fn echo_credential_body(headers: HeaderMap) -> Json<serde_json::Value> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    Json(serde_json::json!({ "youSent": auth }))
}

/// `302` to the `to` query parameter: hosts must not follow it for the guest.
async fn redirect(Query(query): Query<HashMap<String, String>>) -> Response {
    match query.get("to").and_then(|to| header::HeaderValue::from_str(to).ok()) {
        Some(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        None => (StatusCode::BAD_REQUEST, "give ?to=URL").into_response(),
    }
}

/// Answers after `ms` milliseconds: a slow upstream.
async fn sleep(Query(query): Query<HashMap<String, String>>) -> Response {
    let ms = query.get("ms").and_then(|ms| ms.parse::<u64>().ok()).unwrap_or(1000).min(600_000);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    (StatusCode::OK, "{}").into_response()
}

/// `{"accepted": n}`: TCP connections accepted so far.
async fn connections(State(sim): State<Sim>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "accepted": sim.connections_accepted() }))
}
