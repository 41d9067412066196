//! Workspaces and API keys, for the holder of the admin key.

use crate::names::NameKind;
use crate::server::AppState;
use crate::server::auth::Admin;
use crate::server::problem::{ApiJson, Problem};
use crate::store::{AccessStore, ApiKeyInfo, new_api_key, parse_expiry};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_workspace, list_workspaces))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
}

/// 404 unless the workspace exists: every route under a workspace says so
/// the same way.
async fn existing(state: &AppState, workspace: &str) -> Result<(), Problem> {
    if state.store.workspace_exists(workspace).await? {
        Ok(())
    } else {
        Err(Problem::not_found(format!("no workspace named `{workspace}`; `GET /v1/workspaces` lists them")))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWorkspace {
    /// Lowercase letters, digits and dashes.
    #[schema(pattern = r"^[a-z0-9][a-z0-9-]{0,63}$")]
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct WorkspaceInfo {
    pub name: String,
}

/// Creates a workspace.
#[utoipa::path(post, path = "/v1/workspaces", tag = "admin", request_body = NewWorkspace,
    responses((status = 201, body = WorkspaceInfo), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("admin" = [])))]
async fn create_workspace(
    State(state): State<AppState>,
    _: Admin,
    ApiJson(body): ApiJson<NewWorkspace>,
) -> Result<(StatusCode, Json<WorkspaceInfo>), Problem> {
    NameKind::Workspace
        .check(&body.name)
        .map_err(|e| Problem::invalid(e.to_string()).with_field(Some("/name".into())))?;
    state.store.create_workspace(&body.name).await?;
    Ok((StatusCode::CREATED, Json(WorkspaceInfo { name: body.name })))
}

/// Lists workspaces.
#[utoipa::path(get, path = "/v1/workspaces", tag = "admin",
    responses((status = 200, body = Vec<WorkspaceInfo>)), security(("admin" = [])))]
async fn list_workspaces(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<WorkspaceInfo>>, Problem> {
    let names = state.store.workspaces().await?;
    Ok(Json(names.into_iter().map(|name| WorkspaceInfo { name }).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewApiKey {
    /// What the key is for.
    #[serde(default)]
    pub label: String,
    /// When the key stops working (RFC 3339, in the future); never, when absent.
    #[serde(default, rename = "expiresAt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedApiKey {
    #[serde(flatten)]
    pub info: ApiKeyInfo,
    /// The key itself; shown only now.
    pub key: String,
}

/// Creates an API key for a workspace; the key is shown once.
#[utoipa::path(post, path = "/v1/workspaces/{workspace}/api-keys", tag = "admin", request_body = NewApiKey,
    params(("workspace" = String, Path)),
    responses((status = 201, body = CreatedApiKey), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("admin" = [])))]
async fn create_api_key(
    State(state): State<AppState>,
    _: Admin,
    Path(workspace): Path<String>,
    ApiJson(body): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), Problem> {
    existing(&state, &workspace).await?;
    let expires_at = match body.expires_at.as_deref() {
        None => None,
        Some(text) => Some(parse_expiry(text).map_err(|e| Problem::invalid(e).with_field(Some("/expiresAt".into())))?),
    };
    let (key, hash) = new_api_key();
    let info = ApiKeyInfo::new(&workspace, &body.label, expires_at);
    state.store.insert_api_key(&info, &hash).await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { info, key })))
}

/// Lists a workspace's API keys (never the keys themselves).
#[utoipa::path(get, path = "/v1/workspaces/{workspace}/api-keys", tag = "admin",
    params(("workspace" = String, Path)), responses((status = 200, body = Vec<ApiKeyInfo>)), security(("admin" = [])))]
async fn list_api_keys(
    State(state): State<AppState>,
    _: Admin,
    Path(workspace): Path<String>,
) -> Result<Json<Vec<ApiKeyInfo>>, Problem> {
    existing(&state, &workspace).await?;
    Ok(Json(state.store.api_keys(&workspace).await?))
}

/// Revokes an API key: it stops working at once, and stays listed with the time it was revoked.
#[utoipa::path(delete, path = "/v1/workspaces/{workspace}/api-keys/{id}", tag = "admin",
    params(("workspace" = String, Path), ("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("admin" = [])))]
async fn revoke_api_key(
    State(state): State<AppState>,
    _: Admin,
    Path((workspace, id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    existing(&state, &workspace).await?;
    if state.store.revoke_api_key(&workspace, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found(format!("workspace `{workspace}` has no active API key `{id}`")))
    }
}
