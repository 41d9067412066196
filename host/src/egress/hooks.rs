//! `WasiHttpHooks` for one call: every request a connector makes passes the
//! policy here, gets its credential here, and is counted and capped here.

use super::body::{LimitedBody, UpstreamBody};
use super::client::{Upstream, find_refusal};
use super::credential::{Credential, CredentialProblem};
use super::policy::{EgressDenial, EgressPolicy, Origin};
use crate::limits::Limit;
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

/// Which per-call limit a call ran into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitHit {
    /// The limit that was hit.
    pub limit: crate::limits::Limit,
    /// What the call did to hit it, in words, e.g. how many requests it tried.
    pub detail: String,
}

/// What the call's requests ran into, read by the host after the call.
#[derive(Debug, Default)]
pub struct CallReport {
    /// Requests admitted by the policy and counted against the per-call cap.
    pub requests: u32,
    /// Every request the policy or the address guard refused, in order; the first becomes the call's error.
    pub denials: Vec<EgressDenial>,
    /// The per-call limit the requests ran into, if any; it ends the call.
    pub limit: Option<LimitHit>,
    /// Rate-limit headers of the last answer, for the host's budget.
    pub last_rate_limit_remaining: Option<u64>,
    /// Why the credential could not be had or refreshed, if it could not.
    pub credential: Option<CredentialProblem>,
    /// Credential refreshes this call caused after a 401.
    pub refreshes: u32,
    /// Bytes of request bodies this call has sent, or is sending.
    pub request_body_bytes: u64,
    /// Credential headers the connector tried to set (and was refused), once each.
    pub refused_headers: Vec<String>,
}

/// Caps applied to a call's requests.
#[derive(Debug, Clone, Copy)]
pub struct RequestCaps {
    /// Requests one call may make.
    pub max_requests: u32,
    /// Bytes of one answer's body a connector may read.
    pub max_response_bytes: u64,
    /// Bytes of one request body; a larger one is not sent.
    pub max_request_body_bytes: u64,
    /// Bytes of all request bodies of one call.
    pub max_call_request_bytes: u64,
    /// The longest wait for an answer; a connector may ask for a shorter one, never a longer one.
    pub timeout: Duration,
}

/// A heavy call's turn in the runtime's heavy lane, if it holds one. Given
/// back at every tick and when the call sends a request.
#[derive(Debug, Default)]
pub struct LaneTurn(Mutex<Option<tokio::sync::OwnedSemaphorePermit>>);

impl LaneTurn {
    /// Holds `permit` until given back.
    pub fn take(&self, permit: tokio::sync::OwnedSemaphorePermit) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(permit);
    }

    /// Gives the turn back, if one is held.
    pub fn give_back(&self) {
        drop(self.0.lock().unwrap_or_else(|p| p.into_inner()).take());
    }
}

/// The `wasi:http` hooks of one call: policy, credential, caps and counting for every request it makes.
pub struct EgressHooks {
    /// The request budget of the account this call acts for.
    pub budget: Option<Arc<super::budget::Budget>>,
    /// Which origins the call's requests may go to.
    pub policy: Arc<EgressPolicy>,
    /// The connection's credential, attached only to requests for the origins it is bound to; `None`
    /// for calls without a connection.
    pub credential: Option<Arc<Credential>>,
    /// Where admitted requests go: the network, or an in-process responder in benchmarks.
    pub client: Upstream,
    /// The caps of this call's requests.
    pub caps: RequestCaps,
    /// What the requests ran into, shared with the host, which reads it after the call.
    pub report: Arc<Mutex<CallReport>>,
    /// The call's turn in the heavy lane, given back while it waits on a request.
    pub lane_turn: Arc<LaneTurn>,
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
                limit: Limit::RequestsPerCall,
                detail: format!("more than {} outbound requests in one call", self.caps.max_requests),
            });
            return Err(HttpError::ConnectionLimitReached);
        }
        report.requests += 1;
        Ok(origin)
    }

    /// The credential, when this origin is the one it is bound to.
    fn credential_for(&self, origin: &Origin) -> Option<Credential> {
        self.credential.as_ref().filter(|c| c.bound_to.contains(origin)).map(|c| (**c).clone())
    }
}

/// The wait for an answer, and whether it is the host's cap (rather than a
/// shorter one the guest asked for): only running into the cap is a limit.
fn clamp(guest: Option<Duration>, cap: Duration) -> (Duration, bool) {
    match guest {
        Some(g) if g < cap => (g, false),
        _ => (cap, true),
    }
}

impl WasiHttpHooks for EgressHooks {
    fn forbidden_header_filter(&mut self) -> ForbiddenHeaderFilter {
        Arc::new(is_forbidden)
    }

    /// As the filter, remembering a credential header the guest tried to set:
    /// the call's audit names it. (Answers carry `set-cookie`, which is
    /// hidden from the guest too but not its doing, so it is not counted.)
    fn is_forbidden_header(&mut self, name: &HeaderName) -> bool {
        let forbidden = is_forbidden(name);
        if forbidden && (name == AUTHORIZATION || name == PROXY_AUTHORIZATION || name == COOKIE) {
            let mut report = self.report();
            if !report.refused_headers.iter().any(|h| h == name.as_str()) {
                report.refused_headers.push(name.as_str().to_string());
            }
        }
        forbidden
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _guest_io: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        self.lane_turn.give_back();
        let origin = match self.admit(&request) {
            Ok(origin) => origin,
            Err(e) => return Box::new(async move { Err(e) }),
        };
        let (mut parts, body) = request.into_parts();
        for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
            parts.headers.remove(name);
        }
        let (timeout, timeout_is_the_cap) = clamp(options.and_then(|o| o.first_byte_timeout), self.caps.timeout);
        let outgoing = Outgoing {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            timeout,
            timeout_is_the_cap,
            client: self.client.clone(),
            report: self.report.clone(),
            max_body: self.caps.max_response_bytes,
            budget: self.budget.clone(),
        };
        let credential = self.credential_for(&origin);
        let (per_request, report) = (self.caps.max_request_body_bytes, self.report.clone());
        let left_in_call = self.caps.max_call_request_bytes.saturating_sub(lock(&report).request_body_bytes);
        Box::new(async move {
            // Read at most the cap, never the whole body past it; nothing is
            // sent unless all of it fits.
            let cap = per_request.min(left_in_call);
            let body = match http_body_util::Limited::new(body, usize::try_from(cap).unwrap_or(usize::MAX))
                .collect()
                .await
            {
                Ok(collected) => collected.to_bytes(),
                Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                    let (limit, detail) = if cap < per_request {
                        (Limit::RequestBytesPerCall, format!("the call's request bodies went over {cap} more bytes"))
                    } else {
                        (Limit::RequestBodyBytes, format!("a request body was larger than {per_request} bytes"))
                    };
                    lock(&report).limit = Some(LimitHit { limit, detail });
                    return Err(HttpError::HttpRequestBodySize(Some(cap)));
                }
                Err(_) => return Err(HttpError::HttpRequestBodySize(None)),
            };
            lock(&report).request_body_bytes += body.len() as u64;
            outgoing.send_with_credential(body, credential).await
        })
    }
}

/// A request ready to leave, replayable once after a credential refresh.
struct Outgoing {
    method: http::Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    timeout: Duration,
    /// Whether `timeout` is `request_timeout_ms`, not a shorter wait the guest asked for.
    timeout_is_the_cap: bool,
    client: Upstream,
    report: Arc<Mutex<CallReport>>,
    max_body: u64,
    budget: Option<Arc<super::budget::Budget>>,
}

/// The most of a 401 body read to tell a missing scope from an expired token.
const REJECTION_BODY_CAP: usize = 64 * 1024;

fn lock(report: &Mutex<CallReport>) -> std::sync::MutexGuard<'_, CallReport> {
    report.lock().unwrap_or_else(|p| p.into_inner())
}

impl Outgoing {
    /// Sends with the credential's current value; after a 401 that is not a
    /// missing scope, refreshes once and sends again.
    async fn send_with_credential(self, body: Bytes, credential: Option<Credential>) -> SendResult {
        let Some(credential) = credential else {
            let response = self.send_once(body, None).await?;
            return Ok(self.to_guest(response));
        };
        let authorization = match credential.source.current().await {
            Ok(value) => value,
            Err(problem) => {
                lock(&self.report).credential = Some(problem);
                return Err(HttpError::HttpRequestDenied);
            }
        };
        let response = self.send_once(body.clone(), Some(&authorization)).await?;
        if response.status() != http::StatusCode::UNAUTHORIZED {
            return Ok(self.to_guest(response));
        }
        let (head, rejection) = read_capped(response).await?;
        let missing_scope = credential
            .scope_error_marker
            .as_deref()
            .is_some_and(|marker| String::from_utf8_lossy(&rejection).contains(marker));
        if missing_scope {
            return Ok(buffered(head, rejection));
        }
        match credential.source.refresh(&authorization).await {
            Ok(fresh) => {
                lock(&self.report).refreshes += 1;
                let response = self.send_once(body, Some(&fresh)).await?;
                Ok(self.to_guest(response))
            }
            Err(CredentialProblem::NotRefreshable) => Ok(buffered(head, rejection)),
            Err(problem) => {
                lock(&self.report).credential = Some(problem);
                Ok(buffered(head, rejection))
            }
        }
    }

    async fn send_once(
        &self,
        body: Bytes,
        authorization: Option<&Secret>,
    ) -> wasmtime_wasi_http::Result<http::Response<UpstreamBody>> {
        let mut request = http::Request::builder().method(self.method.clone()).uri(self.uri.clone());
        if let Some(headers) = request.headers_mut() {
            *headers = self.headers.clone();
            if let Some(value) = authorization.and_then(|a| HeaderValue::from_str(a.expose()).ok()) {
                let mut value = value;
                value.set_sensitive(true);
                headers.insert(AUTHORIZATION, value);
            }
        }
        let request = request.body(Full::new(body)).map_err(|_| HttpError::HttpRequestUriInvalid)?;
        if let Some(budget) = &self.budget {
            budget.acquire().await;
        }
        let client = match &self.client {
            Upstream::Network(client) => client,
            Upstream::InProcess(respond) => {
                let (parts, body) = request.into_parts();
                let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                let response = respond(http::Request::from_parts(parts, body));
                return Ok(response.map(|b| Full::new(b).map_err(|never| match never {}).boxed_unsync()));
            }
        };
        let response = match tokio::time::timeout(self.timeout, client.request(request)).await {
            Err(_) => {
                if self.timeout_is_the_cap {
                    lock(&self.report).limit = Some(LimitHit {
                        limit: Limit::RequestTimeout,
                        detail: format!("a request got no answer within {} ms", self.timeout.as_millis()),
                    });
                }
                return Err(HttpError::ConnectionReadTimeout);
            }
            Ok(Err(e)) => {
                if let Some(why) = find_refusal(&e) {
                    lock(&self.report).denials.push(why);
                    return Err(HttpError::DestinationIpProhibited);
                }
                tracing::debug!(error = %e, "connector request failed");
                return Err(if e.is_connect() { HttpError::ConnectionRefused } else { HttpError::HttpProtocolError });
            }
            Ok(Ok(response)) => response.map(|b| b.map_err(HttpError::from).boxed_unsync()),
        };
        let remaining =
            response.headers().get("x-ratelimit-remaining").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        if remaining.is_some() {
            lock(&self.report).last_rate_limit_remaining = remaining;
        }
        if let Some(budget) = &self.budget {
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            budget.observe(response.status().as_u16(), remaining, retry_after);
        }
        Ok(response)
    }

    fn to_guest(&self, response: http::Response<UpstreamBody>) -> (http::Response<WasiBody>, GuestIo) {
        let report = self.report.clone();
        let max = self.max_body;
        let response = response.map(|incoming| LimitedBody::new(incoming, max, report).boxed_unsync());
        (response, done())
    }
}

type GuestIo = Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>;

fn done() -> GuestIo {
    Box::new(async { Ok(()) })
}

/// Reads at most `REJECTION_BODY_CAP` bytes of a (small) rejection body.
async fn read_capped(
    response: http::Response<UpstreamBody>,
) -> wasmtime_wasi_http::Result<(http::response::Parts, Bytes)> {
    let (head, body) = response.into_parts();
    let limited = http_body_util::Limited::new(body, REJECTION_BODY_CAP);
    let bytes = limited.collect().await.map(|c| c.to_bytes()).map_err(|_| HttpError::HttpResponseIncomplete)?;
    Ok((head, bytes))
}

fn buffered(head: http::response::Parts, body: Bytes) -> (http::Response<WasiBody>, GuestIo) {
    let body = Full::new(body).map_err(|never| match never {}).boxed_unsync();
    (http::Response::from_parts(head, body), done())
}
