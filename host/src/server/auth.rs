//! Who is calling: the admin (manages workspaces and keys) or a workspace
//! (everything else, and only its own connections and subscriptions).

use super::AppState;
use super::problem::Problem;
use crate::error::ErrorCode;
use crate::store::{AccessStore, hash_key};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

/// A caller holding a workspace's API key.
pub(super) struct Workspace(pub String);

/// A caller holding the admin key.
pub(super) struct Admin;

fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let value =
        parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            Problem::new(StatusCode::UNAUTHORIZED, ErrorCode::MissingApiKey, "send `Authorization: Bearer <API key>`")
        })?;
    // The scheme is case-insensitive (RFC 9110 §11.1).
    let key = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .filter(|key| !key.is_empty());
    key.ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::MissingApiKey,
            "the Authorization header must be `Bearer <API key>`",
        )
    })
}

fn is_admin(state: &AppState, key: &str) -> bool {
    state.admin_key.as_ref().is_some_and(|admin| {
        // Compare hashes: equal-length inputs, no early exit on the secret itself.
        hash_key(admin.expose()) == hash_key(key)
    })
}

impl FromRequestParts<AppState> for Workspace {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let key = bearer(parts)?;
        if is_admin(state, key) {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                ErrorCode::WorkspaceKeyRequired,
                "the admin key manages workspaces and keys; use a workspace's API key here",
            ));
        }
        match state.store.workspace_of_key(&hash_key(key)).await? {
            Some(workspace) => Ok(Workspace(workspace)),
            None => Err(Problem::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidApiKey, "this API key is not valid")),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let key = bearer(parts)?;
        if state.admin_key.is_none() {
            return Err(Problem::new(
                StatusCode::FORBIDDEN,
                ErrorCode::AdminDisabled,
                "no admin key is configured; set [server] admin_key or WEFT_ADMIN_KEY",
            ));
        }
        if is_admin(state, key) {
            Ok(Admin)
        } else {
            Err(Problem::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidApiKey, "this is not the admin key"))
        }
    }
}
