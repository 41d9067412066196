//! Admin routes for rate limits, faults and traffic counters (thin wrappers over [`Sim`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{Fault, RateLimit, SimStats};
use crate::admin::parse;
use crate::errors::ApiError;
use crate::state::Sim;

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/_sim/rate-limit", post(set_rate_limit).get(rate_limit))
        .route("/_sim/faults", post(push_faults).delete(clear_faults))
        .route("/_sim/stats", get(stats))
}

/// Any subset of the limits; the others keep their current value.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RateLimitBody {
    burst: Option<u32>,
    window_ms: Option<u64>,
    daily: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultsBody {
    faults: Vec<Fault>,
    path_contains: Option<String>,
}

async fn set_rate_limit(State(sim): State<Sim>, body: Bytes) -> Result<Json<RateLimit>, ApiError> {
    let body: RateLimitBody = parse(&body)?;
    let current = sim.rate_limit();
    let limit = RateLimit {
        burst: body.burst.unwrap_or(current.burst),
        window_ms: body.window_ms.unwrap_or(current.window_ms),
        daily: body.daily.unwrap_or(current.daily),
    };
    sim.set_rate_limit(limit)?;
    Ok(Json(limit))
}

async fn rate_limit(State(sim): State<Sim>) -> Json<RateLimit> {
    Json(sim.rate_limit())
}

/// `201 {"pending": n}`: how many requests the queue will now fault.
async fn push_faults(State(sim): State<Sim>, body: Bytes) -> Result<Response, ApiError> {
    let body: FaultsBody = parse(&body)?;
    sim.push_faults(body.faults, body.path_contains.as_deref())?;
    Ok((StatusCode::CREATED, Json(json!({"pending": sim.pending_faults()}))).into_response())
}

async fn clear_faults(State(sim): State<Sim>) -> StatusCode {
    sim.clear_faults();
    StatusCode::NO_CONTENT
}

async fn stats(State(sim): State<Sim>) -> Json<SimStats> {
    Json(sim.stats())
}
