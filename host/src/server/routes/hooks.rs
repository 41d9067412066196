//! The public endpoint an app's webhooks come to (GHL's marketplace app:
//! `POST /v1/hooks/ghl/{app}`), outside the API-key auth: the signature over
//! the raw body is the authentication. 200 only once the webhook is stored.

use crate::error::ErrorCode;
use crate::hooks::{HookError, Received};
use crate::server::AppState;
use crate::server::problem::Problem;
use axum::Json;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::StatusCode;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_ghl))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct HookAck {
    /// `stored`, or `duplicate` when this `webhookId` was already received.
    pub status: &'static str,
}

fn problem(e: HookError) -> Problem {
    let (status, code) = match &e {
        HookError::UnknownApp(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
        HookError::RateLimited => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
        HookError::NotJson => (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::MalformedJson),
        HookError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge),
        HookError::Signature(_) => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidSignature),
        HookError::Malformed(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson),
        HookError::Stale { .. } => (StatusCode::UNAUTHORIZED, ErrorCode::StaleWebhook),
        HookError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Internal),
    };
    Problem::new(status, code, e.to_string())
}

/// Receives one of a GHL app's webhooks: checks its signature
/// (`x-ghl-signature`, Ed25519, or `x-wh-signature`, RSA-SHA256) over the raw
/// body, its `timestamp` and `webhookId`, stores it, then answers. A repeated
/// `webhookId` is acknowledged and not stored again.
#[utoipa::path(post, path = "/v1/hooks/ghl/{app}", tag = "hooks", params(("app" = String, Path)),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200, body = HookAck), (status = "4XX", body = Problem, content_type = "application/problem+json")))]
async fn receive_ghl(
    State(state): State<AppState>,
    Path(app): Path<String>,
    request: Request,
) -> Result<Json<HookAck>, Problem> {
    let now = jiff::Timestamp::now().as_millisecond();
    let source =
        request.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    state.hooks.admit(&app, source, now).map_err(problem)?;
    let limit = state.hooks.max_body(&app).map_err(problem)?;
    let (parts, body) = request.into_parts();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (content_type, ed25519, rsa) = (
        header("content-type"),
        header(crate::hooks::signature::ED25519_HEADER),
        header(crate::hooks::signature::RSA_HEADER),
    );
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| problem(HookError::TooLarge(limit)))?;
    let received = state
        .hooks
        .receive(&app, content_type.as_deref(), ed25519.as_deref(), rsa.as_deref(), &body, now)
        .await
        .map_err(problem)?;
    Ok(Json(HookAck {
        status: match received {
            Received::Stored => "stored",
            Received::Duplicate => "duplicate",
        },
    }))
}
