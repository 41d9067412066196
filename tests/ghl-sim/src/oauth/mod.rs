//! GHL's OAuth 2.0 authorization-code flow (spec: apps/oauth.json; docs/oauth/Authorization.md):
//! the authorize page, the token endpoint with single-use rotating refresh tokens, and the
//! admin controls tests need to drive it (apps, codes, consent, expiry, revocation,
//! inactive locations, counters).
//!
//! An access token issued here is a valid API token for its location and scopes until it
//! expires (86399 s unless a test chose another lifetime, or earlier through the admin routes),
//! so every API route accepts it.

use axum::Router;
use axum::routing::{get, post};

use crate::state::Sim;

mod admin;
mod authorize;
mod store;
mod token;

pub(crate) use store::OAuthState;
pub use store::{Consent, OAuthApp, OAuthStats, OAuthTokens};

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/oauth/token", post(token::token))
        .route("/oauth/chooselocation", get(authorize::choose_location))
        .route("/v2/oauth/chooselocation", get(authorize::choose_location))
        .merge(admin::routes())
}
