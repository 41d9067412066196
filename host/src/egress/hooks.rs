//! `WasiHttpHooks` for one call: every request a connector makes passes the
//! policy here, gets its credential here, and is counted and capped here.

use super::body::LimitedBody;
use super::client::{HttpClient, find_refusal};
use super::policy::{EgressPolicy, Origin};
use crate::secret::Secret;
use bytes::Bytes;
use http::HeaderName;
use http::header::{AUTHORIZATION, COOKIE, HeaderValue, PROXY_AUTHORIZATION, SET_COOKIE};
use http_body_util::{BodyExt, Full};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, ForbiddenHeaderFilter, RequestOptions, WasiBody, WasiHttpHooks,
};

/// A credential and the origins it may be sent to.
#[derive(Debug, Clone)]
pub struct Credential {
    /// The whole `Authorization` header value, e.g. `Bearer …`.
    pub authorization: Secret,
    pub bound_to: Vec<Origin>,
}

/// Which per-call limit a call ran into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitHit {
    pub limit: &'static str,
    pub detail: String,
}

/// What the call's requests ran into, read by the host after the call.
#[derive(Debug, Default)]
pub struct CallReport {
    pub requests: u32,
    pub denials: Vec<String>,
    pub limit: Option<LimitHit>,
    /// Rate-limit headers of the last answer, for the host's budget.
    pub last_rate_limit_remaining: Option<u64>,
}

/// Caps applied to a call's requests.
#[derive(Debug, Clone, Copy)]
pub struct RequestCaps {
    pub max_requests: u32,
    pub max_response_bytes: u64,
    pub timeout: Duration,
}

pub struct EgressHooks {
    pub policy: Arc<EgressPolicy>,
    pub credential: Option<Arc<Credential>>,
    pub client: HttpClient,
    pub caps: RequestCaps,
    pub report: Arc<Mutex<CallReport>>,
}

type SendResult = wasmtime_wasi_http::Result<(
    http::Response<WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

/// Headers a connector can neither set nor read: credentials stay in the host.
fn is_forbidden(name: &HeaderName) -> bool {
    name == AUTHORIZATION
        || name == PROXY_AUTHORIZATION
        || name == COOKIE
        || name == SET_COOKIE
        || DEFAULT_FORBIDDEN_HEADERS.contains(name)
}

impl EgressHooks {
    fn report(&self) -> std::sync::MutexGuard<'_, CallReport> {
        self.report.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Policy and request-count checks, before anything leaves the host.
    fn admit(&mut self, request: &http::Request<WasiBody>) -> Result<Origin, HttpError> {
        let origin = match Origin::of_uri(request.uri()) {
            Ok(origin) => origin,
            Err(why) => {
                self.report().denials.push(why);
                return Err(HttpError::HttpRequestUriInvalid);
            }
        };
        if let Err(why) = self.policy.check(&origin) {
            self.report().denials.push(why);
            return Err(HttpError::HttpRequestDenied);
        }
        let mut report = self.report();
        if report.requests >= self.caps.max_requests {
            report.limit = Some(LimitHit {
                limit: "requests-per-call",
                detail: format!("more than {} outbound requests in one call", self.caps.max_requests),
            });
            return Err(HttpError::ConnectionLimitReached);
        }
        report.requests += 1;
        Ok(origin)
    }

    fn authorization_for(&self, origin: &Origin) -> Option<HeaderValue> {
        let credential = self.credential.as_ref().filter(|c| c.bound_to.contains(origin))?;
        let mut value = HeaderValue::from_str(credential.authorization.expose()).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

fn clamp(guest: Option<Duration>, cap: Duration) -> Duration {
    guest.map_or(cap, |g| g.min(cap))
}

impl WasiHttpHooks for EgressHooks {
    fn forbidden_header_filter(&mut self) -> ForbiddenHeaderFilter {
        Arc::new(is_forbidden)
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _guest_io: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let origin = match self.admit(&request) {
            Ok(origin) => origin,
            Err(e) => return Box::new(async move { Err(e) }),
        };
        let (mut parts, body) = request.into_parts();
        for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
            parts.headers.remove(name);
        }
        if let Some(value) = self.authorization_for(&origin) {
            parts.headers.insert(AUTHORIZATION, value);
        }
        let timeout = clamp(options.and_then(|o| o.first_byte_timeout), self.caps.timeout);
        let client = self.client.clone();
        let report = self.report.clone();
        let max_body = self.caps.max_response_bytes;
        Box::new(async move {
            let body: Bytes = body.collect().await?.to_bytes();
            let request = http::Request::from_parts(parts, Full::new(body));
            let response = match tokio::time::timeout(timeout, client.request(request)).await {
                Err(_) => return Err(HttpError::ConnectionReadTimeout),
                Ok(Err(e)) => {
                    if let Some(why) = find_refusal(&e) {
                        report.lock().unwrap_or_else(|p| p.into_inner()).denials.push(why);
                        return Err(HttpError::DestinationIpProhibited);
                    }
                    tracing::debug!(error = %e, "connector request failed");
                    return Err(if e.is_connect() {
                        HttpError::ConnectionRefused
                    } else {
                        HttpError::HttpProtocolError
                    });
                }
                Ok(Ok(response)) => response,
            };
            let remaining = response
                .headers()
                .get("x-ratelimit-remaining")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            if remaining.is_some() {
                report.lock().unwrap_or_else(|p| p.into_inner()).last_rate_limit_remaining = remaining;
            }
            let response = response.map(|incoming| LimitedBody::new(incoming, max_body, report).boxed_unsync());
            let io: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send> = Box::new(async { Ok(()) });
            Ok((response, io))
        })
    }
}
