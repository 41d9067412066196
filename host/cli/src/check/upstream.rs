//! The upstream `weft check` puts in front of a connector: a server on
//! 127.0.0.1 that forwards to a simulator and records what it answered, or
//! replays a recorded fixture file, or answers every request with one fault
//! (401, 403, 429, 503) to see how the connector maps it.
//!
//! A fixture file never holds the real token: the recording replaces it with
//! [`FIXTURE_TOKEN`] wherever an answer carried it, and replaying injects that
//! placeholder as the credential, so a connector that logs or returns what it
//! was sent is caught the same way in both modes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The token a replayed check injects; recordings store it in place of the real one.
pub(crate) const FIXTURE_TOKEN: &str = "weft-check-fixture-token-3f9a1c";

/// A recorded upstream: the connection's facts and every exchange, in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Fixtures {
    /// The connection's non-secret facts the recording ran with (e.g. `locationId`).
    pub(crate) connection: Value,
    /// The inputs the triggers and actions ran with (`--input`), by key.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub(crate) inputs: std::collections::BTreeMap<String, Value>,
    /// Triggers whose upstream changed after the seed while recording (`--after-seed`):
    /// their next poll must emit something.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) changed_after_seed: Vec<String>,
    pub(crate) exchanges: Vec<Exchange>,
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Exchange {
    pub(crate) method: String,
    /// Path and query, e.g. `/social-media-posting/L/tags?limit=100`.
    pub(crate) path: String,
    /// The request body: JSON when it parsed, else text; absent when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) body: Option<Value>,
    pub(crate) status: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) headers: Vec<(String, String)>,
    /// The answer: JSON when it parsed, else text.
    pub(crate) response: Value,
}

impl Fixtures {
    pub(crate) fn load(path: &Path) -> Result<Fixtures, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read fixtures {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            format!("fixtures {} are not a fixture file (record one with `weft check --record`): {e}", path.display())
        })
    }

    pub(crate) fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, text + "\n").map_err(|e| format!("cannot write fixtures {}: {e}", path.display()))
    }
}

/// What the server does with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The API refused the credential.
    Unauthorized,
    /// GHL's answer for a token without the scope: a 401 whose text is the manifest's marker.
    MissingScope,
    /// The API refused the operation.
    Forbidden,
    /// Throttled, with `Retry-After: 7`.
    RateLimited,
    /// The API is down for a moment.
    Unavailable,
}

/// Seconds the rate-limited fault asks the connector to wait.
pub(crate) const RETRY_AFTER_SECONDS: u64 = 7;

enum Source {
    /// Forward to a simulator on this machine, recording each exchange.
    Forward { base: String, client: reqwest::Client, token: Option<String> },
    /// Answer from fixtures: the next unused answer for the same request, or the last one again.
    /// A request whose body differs from every recorded one (a date the
    /// connector computes from the clock) gets the answers recorded for the
    /// same method and path.
    Replay {
        by_request: HashMap<String, Vec<Exchange>>,
        by_path: HashMap<String, Vec<Exchange>>,
        used: HashMap<String, usize>,
    },
}

struct Inner {
    source: Source,
    fault: Option<(Fault, String)>,
    recorded: Vec<Exchange>,
    /// Requests the fixtures had no answer for.
    unanswered: Vec<String>,
}

/// The running server.
#[derive(Clone)]
pub(crate) struct Upstream {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

fn key(method: &str, path: &str, body: &Option<Value>) -> String {
    format!("{method} {path} {}", body.as_ref().map(Value::to_string).unwrap_or_default())
}

fn body_value(bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() {
        return None;
    }
    Some(serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned())))
}

impl Upstream {
    /// Forwards to `base` (a server on this machine), recording; the real
    /// `token` is replaced by the placeholder in what is recorded.
    pub(crate) async fn forwarding(base: &str, token: Option<String>) -> Result<Upstream, String> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let source = Source::Forward { base: base.trim_end_matches('/').to_string(), client, token };
        Upstream::start(source).await
    }

    /// Replays `fixtures`.
    pub(crate) async fn replaying(fixtures: &Fixtures) -> Result<Upstream, String> {
        let mut by_request: HashMap<String, Vec<Exchange>> = HashMap::new();
        let mut by_path: HashMap<String, Vec<Exchange>> = HashMap::new();
        for e in &fixtures.exchanges {
            by_request.entry(key(&e.method, &e.path, &e.body)).or_default().push(e.clone());
            by_path.entry(key(&e.method, &e.path, &None)).or_default().push(e.clone());
        }
        Upstream::start(Source::Replay { by_request, by_path, used: HashMap::new() }).await
    }

    async fn start(source: Source) -> Result<Upstream, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1 for the checked connector's upstream: {e}"))?;
        let url = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        let inner = Arc::new(Mutex::new(Inner { source, fault: None, recorded: Vec::new(), unanswered: Vec::new() }));
        let app = axum::Router::new().fallback(answer).with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Upstream { inner, url })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// From now on every request gets `fault` (`None`: answer normally again);
    /// `marker` is the text of a missing-scope answer.
    pub(crate) fn set_fault(&self, fault: Option<Fault>, marker: &str) {
        self.lock().fault = fault.map(|f| (f, marker.to_string()));
    }

    /// What was recorded so far.
    pub(crate) fn recorded(&self) -> Vec<Exchange> {
        self.lock().recorded.clone()
    }

    /// Requests the fixtures could not answer, once each.
    pub(crate) fn unanswered(&self) -> Vec<String> {
        self.lock().unanswered.clone()
    }
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn fault_answer(fault: Fault, marker: &str) -> Response {
    let body = |status: u16, message: &str| serde_json::json!({"statusCode": status, "message": message});
    match fault {
        Fault::Unauthorized => json_answer(StatusCode::UNAUTHORIZED, body(401, "Invalid JWT")),
        Fault::MissingScope => json_answer(StatusCode::UNAUTHORIZED, body(401, marker)),
        Fault::Forbidden => {
            json_answer(StatusCode::FORBIDDEN, body(403, "The token does not have access to this location."))
        }
        Fault::RateLimited => {
            let mut r = json_answer(StatusCode::TOO_MANY_REQUESTS, body(429, "Too many requests"));
            r.headers_mut().insert("retry-after", RETRY_AFTER_SECONDS.into());
            r
        }
        Fault::Unavailable => json_answer(StatusCode::SERVICE_UNAVAILABLE, body(503, "Service Unavailable")),
    }
}

/// Headers worth keeping in a recording: what a connector may read.
fn kept_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            n == "content-type" || n == "retry-after" || n.starts_with("x-ratelimit") || n == "location"
        })
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect()
}

async fn answer(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let request_body = body_value(&body);
    let forward = {
        let mut guard = inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((fault, marker)) = &guard.fault {
            return fault_answer(*fault, marker);
        }
        let inner = &mut *guard;
        match &mut inner.source {
            Source::Forward { base, client, token } => (format!("{base}{path}"), client.clone(), token.clone()),
            Source::Replay { by_request, by_path, used } => {
                let exact = key(method.as_str(), &path, &request_body);
                let loose = key(method.as_str(), &path, &None);
                let found = match by_request.get(&exact) {
                    Some(answers) => Some((exact, answers)),
                    None => by_path.get(&loose).map(|answers| (loose, answers)),
                };
                let Some((k, answers)) = found else {
                    let shown = format!("{method} {path}");
                    if !inner.unanswered.contains(&shown) {
                        inner.unanswered.push(shown.clone());
                    }
                    let message = format!("the fixtures have no answer for {shown}; record them again with --record");
                    return json_answer(StatusCode::NOT_IMPLEMENTED, serde_json::json!({"message": message}));
                };
                let n = used.entry(k).or_insert(0);
                let e = &answers[(*n).min(answers.len() - 1)];
                *n += 1;
                let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let text = match &e.response {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut r = (status, text).into_response();
                for (name, value) in &e.headers {
                    if let (Ok(n), Ok(v)) =
                        (axum::http::HeaderName::try_from(name.as_str()), axum::http::HeaderValue::from_str(value))
                    {
                        r.headers_mut().insert(n, v);
                    }
                }
                return r;
            }
        }
    };
    let (url, client, token) = forward;
    let mut request = client.request(method.clone(), &url).body(body.clone());
    for (name, value) in headers.iter().filter(|(n, _)| *n != "host" && *n != "content-length") {
        request = request.header(name, value);
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let message = format!("weft check could not reach the simulator at {url}: {e}");
            return json_answer(StatusCode::BAD_GATEWAY, serde_json::json!({"message": message}));
        }
    };
    let status = response.status();
    let kept = kept_headers(response.headers());
    let bytes = response.bytes().await.unwrap_or_default();
    let mut recorded_text = String::from_utf8_lossy(&bytes).into_owned();
    // A short token would match ordinary text (a `T1` in every timestamp); such a token is not replaced.
    let token = token.as_deref().filter(|t| t.len() >= super::behaviour::MIN_SECRET);
    if let Some(token) = token {
        recorded_text = recorded_text.replace(token, FIXTURE_TOKEN);
    }
    let mut recorded_body = request_body;
    if let (Some(token), Some(Value::String(text))) = (token, recorded_body.as_mut()) {
        *text = text.replace(token, FIXTURE_TOKEN);
    }
    let exchange = Exchange {
        method: method.to_string(),
        path,
        body: recorded_body,
        status: status.as_u16(),
        headers: kept.clone(),
        response: serde_json::from_str(&recorded_text).unwrap_or(Value::String(recorded_text)),
    };
    inner.lock().unwrap_or_else(|p| p.into_inner()).recorded.push(exchange);
    let mut r = (status, bytes).into_response();
    for (name, value) in kept {
        if let (Ok(n), Ok(v)) = (axum::http::HeaderName::try_from(name), axum::http::HeaderValue::from_str(&value)) {
            r.headers_mut().insert(n, v);
        }
    }
    r
}

/// Whether `base_url` is on this machine: `weft check` never runs a
/// connector against a live account.
pub(crate) fn is_local(base_url: &str) -> bool {
    url::Url::parse(base_url).ok().and_then(|u| u.host().map(|h| h.to_owned())).is_some_and(|host| match host {
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
        url::Host::Domain(d) => d == "localhost",
    })
}
