//! Connections: create (token, or OAuth start and callback), list, test, delete.

use super::connectors::connector;
use crate::Secret;
use crate::connections::{ConnectionInfo, NewTokenConnection};
use crate::error::ErrorCode;
use crate::server::AppState;
use crate::server::auth::Workspace;
use crate::server::problem::{ApiJson, Problem};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_connection, list_connections))
        .routes(routes!(start_oauth))
        .routes(routes!(oauth_callback))
        .routes(routes!(get_connection, delete_connection))
        .routes(routes!(test_connection))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct NewConnection {
    /// The connection's name: letters, digits, dashes, underscores and dots.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub name: String,
    pub connector: String,
    /// The static token (e.g. a GHL private integration token); never shown again.
    #[schema(min_length = 1, pattern = r"\S")]
    pub token: String,
    /// The API's base URL, when not the connector's default (an absolute http(s) URL).
    #[serde(default)]
    #[schema(pattern = r"^https?://[^\s/]+")]
    pub base_url: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub company_id: Option<String>,
}

/// Stores a token connection.
#[utoipa::path(post, path = "/v1/connections", tag = "connections", request_body = NewConnection,
    responses((status = 201, body = ConnectionInfo), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn create_connection(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    ApiJson(body): ApiJson<NewConnection>,
) -> Result<(StatusCode, Json<ConnectionInfo>), Problem> {
    let c = connector(&state, &body.connector)?;
    let info = state
        .connections
        .create_token(NewTokenConnection {
            workspace: &workspace,
            name: &body.name,
            manifest: &c.manifest,
            base_url: body.base_url.as_deref(),
            facts: json!({ "locationId": body.location_id, "companyId": body.company_id }),
            token: Secret::new(body.token),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

/// Lists the workspace's connections; never their secrets.
#[utoipa::path(get, path = "/v1/connections", tag = "connections",
    responses((status = 200, body = Vec<ConnectionInfo>)), security(("api_key" = [])))]
async fn list_connections(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
) -> Result<Json<Vec<ConnectionInfo>>, Problem> {
    Ok(Json(state.connections.list(&workspace).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StartOAuth {
    /// The connection's name: letters, digits, dashes, underscores and dots.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub name: String,
    pub connector: String,
    #[serde(default)]
    pub base_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthorizeUrl {
    /// Send the user here; they come back to `/v1/oauth/callback`.
    pub authorize_url: String,
}

/// Starts connecting an account through OAuth.
#[utoipa::path(post, path = "/v1/connections/oauth", tag = "connections", request_body = StartOAuth,
    responses((status = 200, body = AuthorizeUrl), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn start_oauth(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    ApiJson(body): ApiJson<StartOAuth>,
) -> Result<Json<AuthorizeUrl>, Problem> {
    let c = connector(&state, &body.connector)?;
    let redirect = format!("{}/v1/oauth/callback", state.public_url.trim_end_matches('/'));
    let url =
        state.connections.begin_oauth(&workspace, &body.name, &c.manifest, body.base_url.as_deref(), &redirect).await?;
    Ok(Json(AuthorizeUrl { authorize_url: url }))
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Where the user comes back to after authorizing (no API key: the state proves it).
#[utoipa::path(get, path = "/v1/oauth/callback", tag = "connections", params(Callback),
    responses((status = 200, description = "Connected", content_type = "text/html"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
async fn oauth_callback(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<Callback>,
) -> axum::response::Response {
    let browser = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    match complete(state, q).await {
        Ok(page) => page.into_response(),
        // A person in a browser gets a page saying what failed, and the
        // console that opened it gets the reason; a program gets the problem.
        Err(problem) if browser => {
            let detail = problem.detail().to_string();
            let message = serde_json::to_string(&json!({"type": "weft-oauth-failed", "detail": detail}))
                .unwrap_or_default()
                .replace('<', "\\u003c");
            let page = format!(
                "<!doctype html><title>Not connected</title><h1>Not connected</h1><p>{}</p>\
                 <p>Close this window and try connecting again.</p>\
                 <script>if (window.opener) {{ window.opener.postMessage({message}, location.origin); }}</script>",
                html_escape(&detail)
            );
            (StatusCode::BAD_REQUEST, Html(page)).into_response()
        }
        Err(problem) => problem.into_response(),
    }
}

async fn complete(state: AppState, q: Callback) -> Result<Html<String>, Problem> {
    if let Some(error) = q.error {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::OauthFailed,
            format!("the authorization was refused: {error}"),
        ));
    }
    let (Some(code), Some(oauth_state)) = (q.code, q.state) else {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::OauthFailed,
            "the callback needs `code` and `state`",
        ));
    };
    let registry = state.registry.clone();
    let lookup = move |id: &str| registry.get(id).map(|c| c.manifest.clone());
    let info = state.connections.complete_oauth(&lookup, &oauth_state, &code).await?;
    // Opened from the console, the page tells it (same origin only) and closes.
    let message = serde_json::to_string(&json!({"type": "weft-connected", "name": info.name}))
        .unwrap_or_default()
        .replace('<', "\\u003c");
    Ok(Html(format!(
        "<!doctype html><title>Connected</title><p>Connected <b>{}</b>. You can close this tab.</p>\
         <script>if (window.opener) {{ window.opener.postMessage({message}, location.origin); window.close(); }}</script>",
        html_escape(&info.name)
    )))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// One connection.
#[utoipa::path(get, path = "/v1/connections/{name}", tag = "connections", params(("name" = String, Path)),
    responses((status = 200, body = ConnectionInfo), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn get_connection(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
) -> Result<Json<ConnectionInfo>, Problem> {
    Ok(Json(state.connections.get(&workspace, &name).await?))
}

/// Removes a connection.
#[utoipa::path(delete, path = "/v1/connections/{name}", tag = "connections", params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn delete_connection(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    state.connections.remove(&workspace, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TestResult {
    pub ok: bool,
    /// The action the test ran.
    pub action: String,
}

/// Makes one cheap call with the connection: ok, or a problem saying what is wrong.
#[utoipa::path(post, path = "/v1/connections/{name}/test", tag = "connections", params(("name" = String, Path)),
    responses((status = 200, body = TestResult), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn test_connection(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
) -> Result<Json<TestResult>, Problem> {
    let info = state.connections.get(&workspace, &name).await?;
    let c = connector(&state, &info.connector)?;
    let test = c
        .manifest
        .connection_test
        .clone()
        .ok_or_else(|| Problem::invalid(format!("{} declares no connection test", c.manifest.id)))?;
    let conn = state.connections.for_call(&workspace, &name, &c.manifest).await?;
    state.runtime.execute(&c, &conn, &test.action, &test.input).await?;
    Ok(Json(TestResult { ok: true, action: test.action }))
}
