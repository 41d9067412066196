//! Connectors: what they offer, dropdown choices, and running actions.

use crate::runtime::{Choice, LoadedConnector};
use crate::server::AppState;
use crate::server::auth::Workspace;
use crate::server::problem::{ApiJson, Problem};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connectors))
        .routes(routes!(get_connector))
        .routes(routes!(get_trigger))
        .routes(routes!(get_action))
        .routes(routes!(run_action))
        .routes(routes!(test_trigger))
        .routes(routes!(options))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Entry {
    pub key: String,
    pub label: String,
    /// `instant` (from webhooks) or `polled`; absent for actions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<&'static str>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ConnectorSummary {
    pub id: String,
    pub name: String,
    /// The connector's own version, from its manifest.
    pub version: String,
    /// The version of the `weft:connector` WIT world it was built against.
    #[serde(rename = "witVersion")]
    pub wit_version: String,
    pub description: String,
    pub triggers: Vec<Entry>,
    pub actions: Vec<Entry>,
}

pub(crate) fn connector(state: &AppState, id: &str) -> Result<Arc<LoadedConnector>, Problem> {
    state.registry.get(id).ok_or_else(|| Problem::not_found(format!("no connector `{id}` is loaded")))
}

/// Lists the loaded connectors.
#[utoipa::path(get, path = "/v1/connectors", tag = "connectors",
    responses((status = 200, body = Vec<ConnectorSummary>)), security(("api_key" = [])))]
async fn list_connectors(State(state): State<AppState>, _: Workspace) -> Json<Vec<ConnectorSummary>> {
    let list = state
        .registry
        .all()
        .iter()
        .map(|c| {
            let m = &c.manifest;
            ConnectorSummary {
                id: m.id.clone(),
                name: m.name.clone(),
                version: m.version.clone(),
                wit_version: c.wit_version().to_string(),
                description: m.description.clone(),
                triggers: m
                    .triggers
                    .iter()
                    .map(|t| Entry {
                        key: t.key.clone(),
                        label: t.label.clone(),
                        delivery: Some(if t.is_instant() { "instant" } else { "polled" }),
                    })
                    .collect(),
                actions: m
                    .actions
                    .iter()
                    .map(|a| Entry { key: a.key.clone(), label: a.label.clone(), delivery: None })
                    .collect(),
            }
        })
        .collect();
    Json(list)
}

/// A connector's whole manifest.
#[utoipa::path(get, path = "/v1/connectors/{id}", tag = "connectors", params(("id" = String, Path)),
    responses((status = 200, description = "The manifest (see connector-manifest.schema.json)", body = Object),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn get_connector(
    State(state): State<AppState>,
    _: Workspace,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let c = connector(&state, &id)?;
    Ok(Json(serde_json::to_value(&c.manifest).unwrap_or_default()))
}

/// A trigger: label, help, input and output schemas, sample.
#[utoipa::path(get, path = "/v1/connectors/{id}/triggers/{key}", tag = "connectors",
    params(("id" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn get_trigger(
    State(state): State<AppState>,
    _: Workspace,
    Path((id, key)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let c = connector(&state, &id)?;
    let t = c.manifest.trigger(&key).ok_or_else(|| Problem::not_found(format!("{id} has no trigger `{key}`")))?;
    Ok(Json(serde_json::to_value(t).unwrap_or_default()))
}

/// An action: label, help, input and output schemas, sample.
#[utoipa::path(get, path = "/v1/connectors/{id}/actions/{key}", tag = "connectors",
    params(("id" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn get_action(
    State(state): State<AppState>,
    _: Workspace,
    Path((id, key)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let c = connector(&state, &id)?;
    let a = c.manifest.action(&key).ok_or_else(|| Problem::not_found(format!("{id} has no action `{key}`")))?;
    Ok(Json(serde_json::to_value(a).unwrap_or_default()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunAction {
    /// The connection's name.
    pub connection: String,
    /// The action's input, valid against its input schema.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: Option<Value>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ActionOutput {
    /// The action's output, valid against its output schema.
    #[schema(value_type = Object)]
    pub output: Value,
}

/// Runs an action with a connection.
#[utoipa::path(post, path = "/v1/connectors/{id}/actions/{key}/run", tag = "connectors", request_body = RunAction,
    params(("id" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = ActionOutput), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn run_action(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path((id, key)): Path<(String, String)>,
    ApiJson(body): ApiJson<RunAction>,
) -> Result<Json<ActionOutput>, Problem> {
    let c = connector(&state, &id)?;
    let conn = state.connections.for_call(&workspace, &body.connection, &c.manifest).await?;
    let input = body.input.unwrap_or_else(|| Value::Object(Default::default()));
    let output = state.runtime.execute(&c, &conn, &key, &input).await?;
    Ok(Json(ActionOutput { output }))
}

/// How many events a trigger test shows at most.
const TEST_EVENTS: usize = 10;

#[derive(Serialize, ToSchema)]
pub(crate) struct TestEvent {
    /// The connector's id for the event.
    pub id: String,
    /// When it happened, when the API says.
    #[serde(rename = "occurredAt", skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    /// The event's data, valid against the trigger's output schema.
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TriggerTest {
    /// Up to 10 of the items the trigger finds now, newest first.
    pub events: Vec<TestEvent>,
    /// How many the poll found in all.
    pub found: usize,
}

/// Tests a trigger: one real poll from the beginning, nothing stored or
/// delivered; the builder sees real items to map fields from.
#[utoipa::path(post, path = "/v1/connectors/{id}/triggers/{key}/test", tag = "connectors", request_body = RunAction,
    params(("id" = String, Path), ("key" = String, Path)),
    responses((status = 200, body = TriggerTest), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = "5XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn test_trigger(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path((id, key)): Path<(String, String)>,
    ApiJson(body): ApiJson<RunAction>,
) -> Result<Json<TriggerTest>, Problem> {
    let c = connector(&state, &id)?;
    match c.manifest.trigger(&key) {
        None => return Err(Problem::not_found(format!("{id} has no trigger `{key}`"))),
        Some(t) if t.is_instant() => {
            return Err(Problem::invalid(format!(
                "`{key}` is an instant trigger: its events come from GHL's webhooks, so there is nothing to poll; \
                 its sample shows an event's shape, and a subscription receives the next one within a second"
            ))
            .with_field(Some("trigger".into())));
        }
        Some(_) => {}
    }
    let conn = state.connections.for_call(&workspace, &body.connection, &c.manifest).await?;
    let input = body.input.unwrap_or_else(|| Value::Object(Default::default()));
    let outcome = state.runtime.poll(&c, &conn, &key, &input, None, crate::runtime::PollMeta::default()).await?;
    let found = outcome.events.len();
    let events = outcome
        .events
        .into_iter()
        .rev()
        .take(TEST_EVENTS)
        .map(|e| TestEvent { id: e.id, occurred_at: e.occurred_at, data: e.data })
        .collect();
    Ok(Json(TriggerTest { events, found }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OptionsRequest {
    /// The trigger or action key.
    pub key: String,
    /// The input field with the dropdown.
    pub field: String,
    pub connection: String,
    /// What the builder has filled in so far.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: Option<Value>,
}

/// The choices of a dynamic dropdown.
#[utoipa::path(post, path = "/v1/connectors/{id}/options", tag = "connectors", request_body = OptionsRequest,
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Choice>), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn options(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OptionsRequest>,
) -> Result<Json<Vec<Choice>>, Problem> {
    let c = connector(&state, &id)?;
    let conn = state.connections.for_call(&workspace, &body.connection, &c.manifest).await?;
    let input = body.input.unwrap_or_else(|| Value::Object(Default::default()));
    Ok(Json(state.runtime.choices(&c, &conn, &body.key, &body.field, &input).await?))
}
