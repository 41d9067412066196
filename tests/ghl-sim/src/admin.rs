//! The `/_sim/...` admin routes: set up tokens, tags, accounts and statistics, and read the
//! request log. No auth and no `Version` header, so tests and demos can drive the simulator
//! from any HTTP client. Each route is a thin wrapper over a [`Sim`] method.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{patch, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::errors::ApiError;
use crate::model::{NewAccount, Tag};
use crate::state::Sim;

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/_sim/tokens", post(register_token))
        .route("/_sim/locations/{locationId}/tags", post(create_tag))
        .route("/_sim/locations/{locationId}/tags/{id}", patch(rename_tag).delete(delete_tag))
        .route("/_sim/locations/{locationId}/accounts", post(add_account))
        .route("/_sim/locations/{locationId}/statistics", put(set_statistics))
        .route("/_sim/requests", axum::routing::get(requests).delete(clear_requests))
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenBody {
    token: String,
    location_id: String,
    scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct TagBody {
    tag: String,
}

/// Parses a typed admin body; a bad one is a 422 naming serde's complaint, never a panic.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| ApiError::Unprocessable(vec![err.to_string()]))
}

async fn register_token(State(sim): State<Sim>, body: Bytes) -> Result<Response, ApiError> {
    let body: TokenBody = parse(&body)?;
    sim.register_token(&body.token, &body.location_id, body.scopes.iter().cloned());
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn create_tag(
    State(sim): State<Sim>,
    Path(location_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: TagBody = parse(&body)?;
    let tag = sim.create_tag(&location_id, &body.tag);
    Ok((StatusCode::CREATED, Json(tag)).into_response())
}

async fn rename_tag(
    State(sim): State<Sim>,
    Path((location_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Tag>, ApiError> {
    let body: TagBody = parse(&body)?;
    Ok(Json(sim.rename_tag(&location_id, &id, &body.tag)?))
}

async fn delete_tag(
    State(sim): State<Sim>,
    Path((location_id, id)): Path<(String, String)>,
) -> Result<Json<Tag>, ApiError> {
    Ok(Json(sim.delete_tag(&location_id, &id)?))
}

async fn add_account(
    State(sim): State<Sim>,
    Path(location_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let new: NewAccount = parse(&body)?;
    let account = sim.add_account(&location_id, new);
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

async fn set_statistics(
    State(sim): State<Sim>,
    Path(location_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let results: serde_json::Value = parse(&body)?;
    if !results.is_object() {
        let message = "the statistics body must be a JSON object (the `results` object)";
        return Err(ApiError::Unprocessable(vec![message.to_owned()]));
    }
    sim.set_statistics(&location_id, results.clone());
    Ok((StatusCode::OK, Json(results)).into_response())
}

async fn requests(State(sim): State<Sim>) -> Response {
    Json(sim.requests()).into_response()
}

async fn clear_requests(State(sim): State<Sim>) -> StatusCode {
    sim.clear_requests();
    StatusCode::NO_CONTENT
}
