//! Admin routes for the OAuth side (thin wrappers over [`Sim`]): apps, codes, the consenting
//! user, expiring and revoking tokens, inactive locations, counters.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{Consent, OAuthApp, OAuthStats, OAuthTokens};
use crate::admin::parse;
use crate::errors::ApiError;
use crate::state::Sim;

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/_sim/oauth/apps", post(register_app))
        .route("/_sim/oauth/codes", post(issue_code))
        .route("/_sim/oauth/consent", post(register_consent))
        .route("/_sim/oauth/expire", post(expire))
        .route("/_sim/oauth/expire-all", post(expire_all))
        .route("/_sim/oauth/token-lifetime", post(token_lifetime))
        .route("/_sim/oauth/revoke", post(revoke))
        .route("/_sim/oauth/stats", get(stats))
        .route("/_sim/locations/{locationId}/active", post(set_active))
        .route("/_sim/locations/{locationId}/oauth-tokens", get(tokens_for))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CodeBody {
    client_id: String,
    location_id: String,
    scopes: Vec<String>,
    company_id: Option<String>,
    user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AccessTokenBody {
    access_token: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RefreshTokenBody {
    refresh_token: String,
}

/// `{"seconds": n}`, or `{"seconds": null}` for GHL's lifetime.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LifetimeBody {
    seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActiveBody {
    active: bool,
}

async fn register_app(State(sim): State<Sim>, body: Bytes) -> Result<Response, ApiError> {
    let app: OAuthApp = parse(&body)?;
    sim.register_oauth_app_with(app.clone());
    Ok((StatusCode::CREATED, Json(app)).into_response())
}

/// `201 {"code": "…"}`.
async fn issue_code(State(sim): State<Sim>, body: Bytes) -> Result<Response, ApiError> {
    let body: CodeBody = parse(&body)?;
    let consent = Consent { location_id: body.location_id, company_id: body.company_id, user_id: body.user_id };
    let code = sim.issue_code_for(&body.client_id, consent, body.scopes);
    Ok((StatusCode::CREATED, Json(json!({"code": code}))).into_response())
}

async fn register_consent(State(sim): State<Sim>, body: Bytes) -> Result<Response, ApiError> {
    let consent: Consent = parse(&body)?;
    sim.register_consent(consent.clone());
    Ok((StatusCode::CREATED, Json(consent)).into_response())
}

async fn expire(State(sim): State<Sim>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let body: AccessTokenBody = parse(&body)?;
    if sim.expire_access_token(&body.access_token) {
        Ok(Json(json!({"expired": 1})))
    } else {
        Err(ApiError::NotFound("unknown access token".to_owned()))
    }
}

async fn expire_all(State(sim): State<Sim>) -> Json<serde_json::Value> {
    Json(json!({"expired": sim.expire_all_access_tokens()}))
}

async fn token_lifetime(State(sim): State<Sim>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let body: LifetimeBody = parse(&body)?;
    sim.set_access_token_lifetime(body.seconds);
    Ok(Json(json!({"seconds": body.seconds})))
}

async fn revoke(State(sim): State<Sim>, body: Bytes) -> Result<Json<serde_json::Value>, ApiError> {
    let body: RefreshTokenBody = parse(&body)?;
    if sim.revoke_refresh_token(&body.refresh_token) {
        Ok(Json(json!({"revoked": 1})))
    } else {
        Err(ApiError::NotFound("unknown refresh token".to_owned()))
    }
}

async fn stats(State(sim): State<Sim>) -> Json<OAuthStats> {
    Json(sim.oauth_stats())
}

async fn set_active(
    State(sim): State<Sim>,
    Path(location_id): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let body: ActiveBody = parse(&body)?;
    sim.set_location_active(&location_id, body.active);
    Ok(Json(json!({"locationId": location_id, "active": body.active})))
}

async fn tokens_for(State(sim): State<Sim>, Path(location_id): Path<String>) -> Result<Json<OAuthTokens>, ApiError> {
    let tokens = sim.tokens_for(&location_id);
    tokens.map(Json).ok_or_else(|| ApiError::NotFound(format!("no tokens issued for location {location_id}")))
}
