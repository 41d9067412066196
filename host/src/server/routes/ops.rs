//! Health, readiness and metrics for operators.

use crate::server::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use std::sync::atomic::Ordering;

/// The process is up.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Ready to serve: connectors loaded, database reachable, not shutting down.
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if !state.ready.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "not ready");
    }
    match sqlx::query("SELECT 1").execute(state.store.pool()).await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the database is unreachable"),
    }
}

/// Prometheus text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let extra = [
        (
            "weft_rate_limit_waits",
            "Requests that waited for a rate-limit budget.",
            state.runtime.rate_limit_waits() as f64,
        ),
        ("weft_connectors_loaded", "Connectors loaded.", state.registry.all().len() as f64),
    ];
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.runtime.metrics().render(&extra))
}
