//! What happens to an API request before its route sees it: injected faults, then GHL's
//! rate limits. Admin routes (`/_sim/...`) and the OAuth endpoints (`/oauth/...`) are never
//! limited or faulted, so tests can always set up and inspect the simulator.
//!
//! Rate limits are counted per location, the location of the request's bearer token;
//! a request whose token is missing, unknown or expired has no location yet and is
//! answered (401) without being counted and without `X-RateLimit-*` headers, as the
//! limit is GHL's per app and location. Faulted answers carry no rate-limit headers either,
//! except `delay`, which answers normally after waiting.

use std::time::Instant;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::auth::bearer_token;
use crate::conn::ConnHandle;
use crate::state::{Sim, SimError};

pub(crate) mod admin;
mod faults;
mod limits;

pub use faults::{Fault, FaultKind};
pub use limits::RateLimit;

/// The status answered for a dropped connection when the kill switch is missing (a router
/// served without [`crate::start`]): nginx's "closed without response". With the switch,
/// it only shows in the request log.
const DROPPED: u16 = 444;

/// Counters of what the API traffic went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimStats {
    /// API requests that reached their route (neither limited nor faulted away).
    pub served: u64,
    /// `429`s answered because a location went over its limit.
    pub rate_limited: u64,
    /// Faults applied (one per faulted request).
    pub faults_injected: u64,
}

/// The rate-limit and fault state, part of the simulator's single state.
#[derive(Debug, Default)]
pub(crate) struct Traffic {
    limiter: limits::Limiter,
    faults: faults::FaultQueue,
    stats: SimStats,
}

impl Sim {
    /// Replaces the rate limits (GHL's by default); every location starts a fresh window and day.
    pub fn set_rate_limit(&self, limit: RateLimit) -> Result<(), SimError> {
        limit.validate()?;
        self.lock().traffic.limiter.set(limit);
        Ok(())
    }

    /// The rate limits in force.
    pub fn rate_limit(&self) -> RateLimit {
        self.lock().traffic.limiter.limit()
    }

    /// Queues faults for the next API requests whose path contains `path_contains` (all
    /// API requests when `None`). Nothing is queued if any fault is invalid.
    pub fn push_faults<I>(&self, faults: I, path_contains: Option<&str>) -> Result<(), SimError>
    where
        I: IntoIterator<Item = Fault>,
    {
        let faults: Vec<Fault> = faults.into_iter().collect();
        faults.iter().try_for_each(Fault::validate)?;
        self.lock().traffic.faults.push(faults, path_contains);
        Ok(())
    }

    /// Forgets every queued fault.
    pub fn clear_faults(&self) {
        self.lock().traffic.faults.clear();
    }

    /// How many requests the queued faults will still hit.
    pub fn pending_faults(&self) -> u64 {
        self.lock().traffic.faults.remaining()
    }

    /// What the API traffic went through so far.
    pub fn stats(&self) -> SimStats {
        self.lock().traffic.stats
    }

    fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut state = self.lock();
        let fault = state.traffic.faults.take(path)?;
        state.traffic.stats.faults_injected += 1;
        Some(fault)
    }

    /// Counts a request against its token's location; `None` when the token has no location.
    fn admit(&self, token: Option<&str>) -> Option<Result<limits::Quota, limits::Quota>> {
        let grant = self.grant(token?)?;
        // Agency tokens are counted per company.
        let location = grant.company_id.filter(|_| grant.location_id.is_empty()).unwrap_or(grant.location_id);
        let day = jiff::Timestamp::now().as_second().div_euclid(86_400);
        let mut state = self.lock();
        let verdict = state.traffic.limiter.admit(&location, Instant::now(), day);
        match verdict {
            Ok(_) => state.traffic.stats.served += 1,
            Err(_) => state.traffic.stats.rate_limited += 1,
        }
        Some(verdict)
    }

    fn count_served(&self) {
        self.lock().traffic.stats.served += 1;
    }
}

/// Whether a path is GHL API (limited and faultable) rather than admin or OAuth.
fn is_api_path(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    !(under("/_sim") || under("/oauth") || under("/v2/oauth"))
}

/// The middleware: faults first (a faulty upstream answers before any limit is counted),
/// then the rate limit, then the route.
pub(crate) async fn limit_and_fault(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if !is_api_path(&path) {
        return next.run(request).await;
    }
    match sim.take_fault(&path) {
        Some(FaultKind::Status { status, retry_after_seconds }) => {
            return faults::status_response(status, retry_after_seconds);
        }
        Some(FaultKind::MalformedJson) => return faults::malformed_json_response(),
        Some(FaultKind::DropConnection) => return drop_connection(&request),
        Some(FaultKind::Delay { ms }) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
        None => {}
    }
    let token = bearer_token(request.headers()).map(str::to_owned);
    let quota = match sim.admit(token.as_deref()) {
        Some(Ok(quota)) => Some(quota),
        Some(Err(quota)) => return too_many_requests(quota),
        None => {
            sim.count_served();
            None
        }
    };
    let mut response = next.run(request).await;
    if let Some(quota) = quota {
        quota.apply(response.headers_mut());
    }
    response
}

fn too_many_requests(quota: limits::Quota) -> Response {
    let body = serde_json::json!({"statusCode": 429, "message": "Too Many Requests"});
    let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
    quota.apply(response.headers_mut());
    response
}

fn drop_connection(request: &Request) -> Response {
    match request.extensions().get::<ConnectInfo<ConnHandle>>() {
        Some(ConnectInfo(handle)) => handle.kill(),
        None => tracing::warn!("drop-connection fault without a kill switch: answering {DROPPED} instead"),
    }
    let status = StatusCode::from_u16(DROPPED).unwrap_or(StatusCode::BAD_GATEWAY);
    status.into_response()
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn admin_and_oauth_paths_are_not_api() {
        assert!(is_api_path("/social-media-posting/loc/tags"));
        assert!(is_api_path("/oauthx"));
        assert!(!is_api_path("/_sim/faults"));
        assert!(!is_api_path("/oauth/token"));
        assert!(!is_api_path("/v2/oauth/chooselocation"));
    }
}
