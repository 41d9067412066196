//! Workspaces and API keys, for the holder of the admin key.

use crate::server::AppState;
use crate::server::auth::Admin;
use crate::server::problem::{ApiJson, Problem};
use crate::store::{AccessStore, ApiKeyInfo, new_api_key};
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
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWorkspace {
    /// Lowercase letters, digits and dashes.
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
    let valid = !body.name.is_empty()
        && body.name.len() <= 64
        && body.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(Problem::invalid("a workspace name is 1-64 lowercase letters, digits and dashes")
            .with_field(Some("/name".into())));
    }
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
    if !state.store.workspace_exists(&workspace).await? {
        return Err(Problem::not_found(format!("no workspace named `{workspace}`")));
    }
    let (key, hash) = new_api_key();
    let info = ApiKeyInfo {
        id: hex::encode(rand::random::<[u8; 8]>()),
        workspace,
        label: body.label,
        created_at: jiff::Timestamp::now().to_string(),
    };
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
    Ok(Json(state.store.api_keys(&workspace).await?))
}
