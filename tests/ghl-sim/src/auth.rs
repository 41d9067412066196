//! The checks every API route runs, in GHL's order: `Version` header, bearer token,
//! scope, then location. Keeping them in one place keeps that order identical everywhere.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::errors::{API_VERSION, ApiError};
use crate::state::{Grant, Sim};

/// Checks the `Version` header, the token and its scope; the location comes later
/// because some operations take it from the query and validate it first.
pub(crate) fn authorize(sim: &Sim, headers: &HeaderMap, scope: &str) -> Result<Grant, ApiError> {
    check_version(headers)?;
    let token = bearer_token(headers).ok_or(ApiError::InvalidToken)?;
    let grant = sim.grant(token).ok_or(ApiError::InvalidToken)?;
    if !grant.scopes.contains(scope) {
        return Err(ApiError::MissingScope);
    }
    Ok(grant)
}

/// A token is bound to one location (a sub-account token); any other location is a 403.
pub(crate) fn check_location(grant: &Grant, location_id: &str) -> Result<(), ApiError> {
    if grant.location_id == location_id { Ok(()) } else { Err(ApiError::WrongLocation) }
}

fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers.get("version").ok_or(ApiError::MissingVersion)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    if text.trim() == API_VERSION { Ok(()) } else { Err(ApiError::BadVersion(text.into_owned())) }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
