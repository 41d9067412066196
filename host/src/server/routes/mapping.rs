//! Field mapping: trying a jq program on a trigger's sample (or on a real
//! event) before a subscription uses it.

use super::connectors::connector;
use crate::server::AppState;
use crate::server::auth::Workspace;
use crate::server::problem::{ApiJson, Problem};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(preview))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PreviewRequest {
    /// The connector's id.
    pub connector: String,
    /// The trigger whose events the mapping will shape.
    pub trigger: String,
    /// The jq program, e.g. `{name: .tag, id: ._id}`; it must yield one JSON object.
    #[schema(min_length = 1)]
    pub mapping: String,
    /// The event data to map (e.g. one from testing the trigger); the trigger's sample when absent.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub data: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PreviewResult {
    /// What the destination would receive as the event's `data`.
    #[schema(value_type = Object)]
    pub output: Value,
}

/// Runs a mapping on the trigger's sample, or on the event given, in the
/// mapping sandbox; a program that does not compile names its line and column.
#[utoipa::path(post, path = "/v1/mapping/preview", tag = "subscriptions", request_body = PreviewRequest,
    responses((status = 200, body = PreviewResult), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn preview(
    State(state): State<AppState>,
    _: Workspace,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewResult>, Problem> {
    let c = connector(&state, &body.connector)?;
    let trigger = c
        .manifest
        .trigger(&body.trigger)
        .ok_or_else(|| Problem::not_found(format!("{} has no trigger `{}`", body.connector, body.trigger)))?;
    let data = body.data.as_ref().unwrap_or(&trigger.sample);
    let output = state.mapper.run(&body.mapping, data).await?;
    Ok(Json(PreviewResult { output }))
}
