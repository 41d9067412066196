//! The builder's console: signing in (an API key exchanged for a session
//! cookie), and its pages and scripts, embedded in the binary at build time
//! from `console/dist`.

use crate::error::ErrorCode;
use crate::server::AppState;
use crate::server::auth::{CSRF_COOKIE, Caller, SESSION_COOKIE, holder_of_key, session_of};
use crate::server::problem::{ApiJson, Problem};
use crate::store::{AccessStore, ConsoleSession, hash_key};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a console sign-in lasts.
pub(crate) const SESSION_HOURS: i64 = 12;

/// Every file of the built console, `(path under /console/, bytes)`.
static ASSETS: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in, current_session, sign_out))
}

/// The console's pages: `/` goes to `/console/`, which serves the app; its
/// routes live after `#`, so every other path is a file of the build.
pub(crate) fn pages() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route("/console", get(|| async { Redirect::to("/console/") }))
        .route("/console/", get(index))
        .route("/console/{*path}", get(asset))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignIn {
    /// A workspace's API key, or the admin key.
    #[schema(min_length = 1)]
    pub key: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SessionKind {
    Workspace,
    Admin,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SessionInfo {
    /// Whose session it is.
    pub kind: SessionKind,
    /// The workspace, for a workspace's session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// When it ends (RFC 3339).
    #[serde(rename = "expiresAt")]
    pub expires_at: String,
}

fn info(session: &ConsoleSession) -> SessionInfo {
    SessionInfo {
        kind: if session.workspace.is_some() { SessionKind::Workspace } else { SessionKind::Admin },
        workspace: session.workspace.clone(),
        expires_at: jiff::Timestamp::from_second(session.expires_at).map(|t| t.to_string()).unwrap_or_default(),
    }
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// `Set-Cookie` values for a session (or, with `None`, for ending one).
fn cookies(state: &AppState, session: Option<(&str, &str)>) -> AppendHeaders<[(header::HeaderName, HeaderValue); 2]> {
    let secure = if state.public_url.starts_with("https://") { "; Secure" } else { "" };
    let (token, csrf, age) = match session {
        Some((token, csrf)) => (token, csrf, SESSION_HOURS * 3600),
        None => ("", "", 0),
    };
    let value = |text: String| HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""));
    // Appended: a plain header array would keep only the last `Set-Cookie`.
    AppendHeaders([
        (
            header::SET_COOKIE,
            value(format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={age}{secure}")),
        ),
        (header::SET_COOKIE, value(format!("{CSRF_COOKIE}={csrf}; Path=/; SameSite=Strict; Max-Age={age}{secure}"))),
    ])
}

/// Signs in to the console: the key is exchanged for an HttpOnly session
/// cookie (and a CSRF token beside it), so the page never keeps the key.
#[utoipa::path(post, path = "/v1/console/session", tag = "console", request_body = SignIn,
    responses((status = 201, body = SessionInfo), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn sign_in(State(state): State<AppState>, ApiJson(body): ApiJson<SignIn>) -> Result<Response, Problem> {
    let key = body.key.trim();
    let holder = holder_of_key(&state, key).await?.ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidApiKey,
            "this key is not valid (unknown, revoked or expired); ask the operator for a workspace's API key",
        )
        .with_field(Some("/key".into()))
    })?;
    let token = random_token();
    let session = ConsoleSession {
        workspace: match holder {
            Caller::Workspace(w) => Some(w),
            Caller::Admin => None,
        },
        key_hash: hash_key(key),
        csrf: random_token(),
        expires_at: jiff::Timestamp::now().as_second() + SESSION_HOURS * 3600,
    };
    state.store.insert_session(&hash_key(&token), &session).await?;
    let set = cookies(&state, Some((&token, &session.csrf)));
    Ok((StatusCode::CREATED, set, Json(info(&session))).into_response())
}

/// The console session the cookie names: whose it is and until when.
#[utoipa::path(get, path = "/v1/console/session", tag = "console",
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn current_session(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<SessionInfo>, Problem> {
    let session = session_of(&state, &headers).await?.ok_or_else(|| {
        Problem::new(StatusCode::UNAUTHORIZED, ErrorCode::MissingApiKey, "not signed in to the console")
    })?;
    Ok(Json(info(&session)))
}

/// Signs out: the session ends on the server, and its cookies are cleared.
#[utoipa::path(delete, path = "/v1/console/session", tag = "console",
    responses((status = 204), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn sign_out(State(state): State<AppState>, _: Caller, headers: HeaderMap) -> Result<Response, Problem> {
    if let Some(token) = crate::server::auth::cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&hash_key(token)).await?;
    }
    Ok((StatusCode::NO_CONTENT, cookies(&state, None)).into_response())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") | Some("map") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn serve(path: &str, bytes: &'static [u8]) -> Response {
    // Built files carry a content hash in their names; the page does not.
    let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    (
        [
            (header::CONTENT_TYPE, content_type(path)),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ],
        bytes,
    )
        .into_response()
}

const NOT_BUILT: &str = "<!doctype html><title>weft console</title><h1>The console is not built into this \
    binary</h1><p>Run <code>scripts/console.sh</code>, then build weft again (<code>scripts/demo.sh</code> does \
    both). The API works without it: see <a href=\"/v1/openapi.json\">/v1/openapi.json</a>.</p>";

async fn index() -> Response {
    match ASSETS.iter().find(|(name, _)| *name == "index.html") {
        Some((name, bytes)) => serve(name, bytes),
        None => (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], NOT_BUILT).into_response(),
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _)| *name == path) {
        Some((name, bytes)) => serve(name, bytes),
        None => Problem::not_found(format!("the console has no file `{path}`")).into_response(),
    }
}
