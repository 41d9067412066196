//! Who is calling: the admin (manages workspaces and keys) or a workspace
//! (everything else, and only its own connections and subscriptions).
//!
//! A caller proves it with `Authorization: Bearer <key>`, or, in the
//! console, with the session cookie it got by signing in with such a key.
//! A cookie rides along on any request the browser makes, so a session's
//! requests that change something must also carry the session's CSRF token
//! in `X-CSRF-Token`, which only the console's own pages can read.

use super::AppState;
use super::problem::Problem;
use crate::error::ErrorCode;
use crate::store::{AccessStore, ConsoleSession, hash_key};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};

/// The HttpOnly cookie holding a console session's token.
pub(super) const SESSION_COOKIE: &str = "weft_session";
/// The cookie the console's script reads its CSRF token from.
pub(super) const CSRF_COOKIE: &str = "weft_csrf";
/// The header unsafe requests of a session carry the CSRF token in.
pub(super) const CSRF_HEADER: &str = "x-csrf-token";

/// A caller holding a workspace's API key.
pub(super) struct Workspace(pub String);

/// A caller holding the admin key.
pub(super) struct Admin;

/// Either, for routes both may call (the console's session).
pub(super) enum Caller {
    /// A workspace, by name.
    Workspace(String),
    /// The admin.
    Admin,
}

pub(super) fn bearer(headers: &HeaderMap) -> Result<Option<&str>, Problem> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| malformed_authorization())?;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let key = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .filter(|key| !key.is_empty());
    key.map(Some).ok_or_else(malformed_authorization)
}

fn malformed_authorization() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        ErrorCode::MissingApiKey,
        "the Authorization header must be `Bearer <API key>`",
    )
}

/// The value of one cookie of the request, if it was sent.
pub(super) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

fn is_admin_hash(state: &AppState, hash: &str) -> bool {
    // Compare hashes: equal-length inputs, no early exit on the secret itself.
    state.admin_key.as_ref().is_some_and(|admin| hash_key(admin.expose()) == hash)
}

/// Who holds `key`: the admin, a workspace, or nobody (`None`).
pub(super) async fn holder_of_key(state: &AppState, key: &str) -> Result<Option<Caller>, Problem> {
    let hash = hash_key(key);
    if is_admin_hash(state, &hash) {
        return Ok(Some(Caller::Admin));
    }
    Ok(state.store.workspace_of_key(&hash).await?.map(Caller::Workspace))
}

/// The session the cookie names, if it is live and its key still works.
pub(super) async fn session_of(state: &AppState, headers: &HeaderMap) -> Result<Option<ConsoleSession>, Problem> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let Some(session) = state.store.session(&hash_key(token)).await? else { return Ok(None) };
    let key_works = match &session.workspace {
        None => is_admin_hash(state, &session.key_hash),
        Some(workspace) => {
            state.store.workspace_of_key(&session.key_hash).await?.as_deref() == Some(workspace.as_str())
        }
    };
    Ok(key_works.then_some(session))
}

async fn caller(parts: &Parts, state: &AppState) -> Result<Caller, Problem> {
    if let Some(key) = bearer(&parts.headers)? {
        return holder_of_key(state, key).await?.ok_or_else(|| {
            Problem::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidApiKey, "this API key is not valid")
        });
    }
    if cookie(&parts.headers, SESSION_COOKIE).is_none() {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::MissingApiKey,
            "send `Authorization: Bearer <API key>`, or sign in to the console",
        ));
    }
    let session = session_of(state, &parts.headers).await?.ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidApiKey,
            "the console session has ended (signed out, expired, or its key was revoked); sign in again",
        )
    })?;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if hash_key(sent) != hash_key(&session.csrf) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                ErrorCode::CsrfFailed,
                "a console request that changes something must send the session's `weft_csrf` cookie value in \
                 X-CSRF-Token; reload the console",
            ));
        }
    }
    Ok(match session.workspace {
        Some(workspace) => Caller::Workspace(workspace),
        None => Caller::Admin,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        caller(parts, state).await
    }
}

impl FromRequestParts<AppState> for Workspace {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        match caller(parts, state).await? {
            Caller::Workspace(workspace) => Ok(Workspace(workspace)),
            Caller::Admin => Err(Problem::new(
                StatusCode::FORBIDDEN,
                ErrorCode::WorkspaceKeyRequired,
                "the admin key manages workspaces and keys; use a workspace's API key here",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        if state.admin_key.is_none() {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                ErrorCode::AdminDisabled,
                "no admin key is configured; set [server] admin_key or WEFT_ADMIN_KEY",
            ));
        }
        match caller(parts, state).await {
            Ok(Caller::Admin) => Ok(Admin),
            Ok(Caller::Workspace(_)) => {
                Err(Problem::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidApiKey, "this is not the admin key"))
            }
            Err(p) if p.code() == ErrorCode::InvalidApiKey && bearer(&parts.headers).ok().flatten().is_some() => {
                Err(Problem::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidApiKey, "this is not the admin key"))
            }
            Err(p) => Err(p),
        }
    }
}
