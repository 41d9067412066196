//! The MCP endpoint (`/v1/mcp`, Streamable HTTP) and the workspace's choice
//! of what it shows (`/v1/mcp/exposure`).

use crate::error::ErrorCode;
use crate::mcp::exposure::Unknown;
use crate::mcp::{Exposure, Feed, McpWorkspace, ToolHost, Tools};
use crate::runtime::{Connection, LoadedConnector, Runtime};
use crate::server::AppState;
use crate::server::auth::{Caller, Workspace, bearer, holder_of_key};
use crate::server::problem::{ApiJson, Problem};
use crate::store::{AccessStore, SubscriptionStore};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the MCP endpoint answers.
pub(crate) const MCP_PATH: &str = "/v1/mcp";

/// The tools' connections, from the server's store and registry.
pub(crate) struct ServerTools(pub AppState);

#[async_trait::async_trait]
impl ToolHost for ServerTools {
    fn runtime(&self) -> &Runtime {
        &self.0.runtime
    }

    async fn connections(&self, workspace: &str) -> Result<Vec<(String, Arc<LoadedConnector>)>, Problem> {
        let list = self.0.connections.list(workspace).await?;
        Ok(list.into_iter().filter_map(|c| self.0.registry.get(&c.connector).map(|loaded| (c.name, loaded))).collect())
    }

    async fn exposure(&self, workspace: &str) -> Result<Exposure, Problem> {
        stored_exposure(&self.0, workspace).await
    }

    async fn connection(
        &self,
        workspace: &str,
        name: &str,
        connector: &LoadedConnector,
    ) -> Result<Connection, Problem> {
        Ok(self.0.connections.for_call(workspace, name, &connector.manifest).await?)
    }

    async fn feeds(&self, workspace: &str) -> Result<Vec<Feed>, Problem> {
        let subscriptions = self.0.store.subscriptions(workspace).await?;
        Ok(subscriptions
            .into_iter()
            .map(|s| {
                let loaded = self.0.registry.get(&s.connector);
                let manifest = loaded.as_ref().map(|c| &c.manifest);
                Feed {
                    trigger_label: manifest
                        .and_then(|m| m.trigger(&s.trigger))
                        .map(|t| t.label.clone())
                        .unwrap_or_else(|| s.trigger.clone()),
                    connector: manifest.map(|m| m.name.clone()).unwrap_or_else(|| s.connector.clone()),
                    subscription: s.name,
                    trigger: s.trigger,
                    connection: s.connection,
                }
            })
            .collect())
    }

    async fn recent_events(
        &self,
        workspace: &str,
        subscription: &str,
        limit: u32,
    ) -> Result<Option<Vec<serde_json::Value>>, Problem> {
        let Some(sub) = self.0.store.subscription(workspace, subscription).await? else { return Ok(None) };
        let events = self.0.store.latest_events(&sub.id, limit).await?;
        Ok(Some(
            events
                .into_iter()
                .map(|e| {
                    serde_json::json!({"id": e.event_id, "occurredAt": e.occurred_at, "receivedAt": e.created_at, "data": e.data})
                })
                .collect(),
        ))
    }
}

async fn stored_exposure(state: &AppState, workspace: &str) -> Result<Exposure, Problem> {
    match state.store.mcp_exposure(workspace).await? {
        None => Ok(Exposure::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            tracing::error!(workspace, "the stored MCP exposure does not parse: {e}");
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "the workspace's MCP exposure is damaged; set it again with PUT /v1/mcp/exposure",
            )
        }),
    }
}

/// The endpoint, behind a check of the workspace's key: bearer only (a
/// console cookie does not reach the tools), answered with the challenge
/// MCP clients look for.
pub(crate) fn endpoint(state: AppState) -> axum::Router {
    let tools = Tools::new(Arc::new(ServerTools(state.clone())));
    crate::mcp::streamable_http(tools, MCP_PATH).layer(axum::middleware::from_fn_with_state(state, require_key))
}

async fn require_key(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let refused = |status: StatusCode, code: ErrorCode, detail: &str| {
        let mut response = Problem::new(status, code, detail).into_response();
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"weft\""));
        response
    };
    let key = match bearer(request.headers()) {
        Ok(Some(key)) => key.to_string(),
        Ok(None) => {
            return refused(
                StatusCode::UNAUTHORIZED,
                ErrorCode::MissingApiKey,
                "send `Authorization: Bearer <API key>` with a workspace's API key",
            );
        }
        Err(problem) => return problem.into_response(),
    };
    match holder_of_key(&state, &key).await {
        Ok(Some(Caller::Workspace(workspace))) => {
            request.extensions_mut().insert(McpWorkspace(workspace));
            next.run(request).await
        }
        Ok(Some(Caller::Admin)) => refused(
            StatusCode::FORBIDDEN,
            ErrorCode::WorkspaceKeyRequired,
            "the admin key has no tools; use a workspace's API key",
        ),
        Ok(None) => refused(StatusCode::UNAUTHORIZED, ErrorCode::InvalidApiKey, "this API key is not valid"),
        Err(problem) => problem.into_response(),
    }
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_exposure, set_exposure))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ExposureView {
    /// What the workspace shows.
    pub exposure: Exposure,
    /// The tools an MCP client of the workspace sees now, by name.
    pub tools: Vec<String>,
}

async fn view(state: &AppState, workspace: &str, exposure: Exposure) -> Result<ExposureView, Problem> {
    let host = ServerTools(state.clone());
    let connections = host.connections(workspace).await?;
    let tools = crate::mcp::catalog::build(&connections, &exposure).into_iter().map(|t| t.name).collect();
    Ok(ExposureView { exposure, tools })
}

/// What the workspace shows to AI agents over MCP, and the tools that makes.
#[utoipa::path(get, path = "/v1/mcp/exposure", tag = "mcp",
    responses((status = 200, body = ExposureView)), security(("api_key" = [])))]
async fn get_exposure(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
) -> Result<Json<ExposureView>, Problem> {
    let exposure = stored_exposure(&state, &workspace).await?;
    Ok(Json(view(&state, &workspace, exposure).await?))
}

/// Sets what the workspace shows to AI agents: the connections (all when
/// absent), and the actions besides the reads (`allow`, as
/// `connection/action` or `action`). An entry that names nothing is refused.
#[utoipa::path(put, path = "/v1/mcp/exposure", tag = "mcp", request_body = Exposure,
    responses((status = 200, body = ExposureView), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn set_exposure(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    ApiJson(exposure): ApiJson<Exposure>,
) -> Result<Json<ExposureView>, Problem> {
    let connections = ServerTools(state.clone()).connections(&workspace).await?;
    let known: Vec<(&str, Vec<&str>)> = connections
        .iter()
        .map(|(name, c)| (name.as_str(), c.manifest.actions.iter().map(|a| a.key.as_str()).collect()))
        .collect();
    let unknown = exposure.unknown_entries(&known);
    if !unknown.is_empty() {
        let field = match unknown[0] {
            Unknown::Connection(_) => "/connections",
            Unknown::Action(_) => "/allow",
        };
        // Like a subscription naming a connection that does not exist: a 404.
        return Err(Problem::not_found(format!(
            "these name nothing in the workspace: {}; GET /v1/connections lists the connections, and each \
             connector's actions are in GET /v1/connectors/{{id}}",
            unknown.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ))
        .with_field(Some(field.into())));
    }
    let text = serde_json::to_string(&exposure).map_err(|e| Problem::invalid(e.to_string()))?;
    if !state.store.set_mcp_exposure(&workspace, &text).await? {
        return Err(Problem::not_found(format!("no workspace named `{workspace}`")));
    }
    tracing::info!(%workspace, "the MCP exposure changed");
    Ok(Json(view(&state, &workspace, exposure).await?))
}
