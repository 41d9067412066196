//! Health, readiness and metrics for operators.

use crate::server::AppState;
use crate::store::SubscriptionStore;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;
use std::sync::atomic::Ordering;

/// The process is up.
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Ready to serve: connectors loaded, database reachable, not shutting
/// down; with what this process holds and what waits in the database.
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let database = state.store.dialect().as_str();
    if !state.ready.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "stopping", "database": database})));
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let held = match &state.owner {
        Some(owner) => state.store.leases_held(owner, now).await.map(Some),
        None => Ok(None),
    };
    match (state.store.waiting(now).await, held) {
        (Ok(waiting), Ok(held)) => (
            StatusCode::OK,
            Json(json!({
                "status": "ready",
                "database": database,
                "workers": state.owner.is_some(),
                "leasesHeld": held,
                "duePolls": waiting.due_polls,
                "pendingDeliveries": waiting.pending_deliveries,
                "pollLeases": waiting.poll_leases,
            })),
        ),
        (Err(e), _) | (_, Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "status": "unready",
                "database": database,
                "problem": format!("the database is unreachable: {e}"),
            })),
        ),
    }
}

/// Prometheus text format.
pub(crate) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let now = jiff::Timestamp::now().as_millisecond();
    let waiting = state.store.waiting(now).await;
    let held = match &state.owner {
        Some(owner) => state.store.leases_held(owner, now).await.ok(),
        None => Some(0),
    };
    let up = waiting.is_ok();
    let waiting = waiting.unwrap_or_default();
    let extra = [
        ("weft_database_up", "Whether the database answered (1) or not (0).", f64::from(u8::from(up))),
        ("weft_leases_held", "Leases on polls and delivery lanes this process holds.", held.unwrap_or(0) as f64),
        ("weft_polls_due", "Subscriptions due and not claimed, across every process.", waiting.due_polls as f64),
        ("weft_poll_leases", "Live leases on polls, across every process.", waiting.poll_leases as f64),
        ("weft_deliveries_pending", "Deliveries waiting, across every process.", waiting.pending_deliveries as f64),
        (
            "weft_rate_limit_waits",
            "Requests that waited for a rate-limit budget.",
            state.runtime.rate_limit_waits() as f64,
        ),
        ("weft_connectors_loaded", "Connectors loaded.", state.registry.all().len() as f64),
    ];
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.runtime.metrics().render(&extra))
}
