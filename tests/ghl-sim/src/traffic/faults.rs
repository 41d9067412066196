//! Fault injection: a queue of misbehaviours the next matching API requests get, so tests
//! can check a client's retries, timeouts and parsing without a flaky network.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::state::SimError;

/// The longest `delay` fault accepted: longer ones would only hang a test.
const MAX_DELAY_MS: u64 = 600_000;

/// A truncated GHL envelope: what a client gets when the body is cut mid-way.
const MALFORMED_BODY: &str =
    r#"{"success":true,"statusCode":200,"message":"Fetched Tags by Location ID","results":{"tags":[{"_id":"6b04c1d"#;

/// What a faulted request gets instead of (or before) its normal answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum FaultKind {
    /// This status (400–599) with a GHL-shaped body; `Retry-After` when given.
    Status {
        /// The HTTP status to answer with, 400–599.
        status: u16,
        /// Seconds for the `Retry-After` header; `None` sends no header.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_seconds: Option<u64>,
    },
    /// Wait this long, then answer normally (rate limits still apply).
    Delay {
        /// How long to wait, in ms (at most 600 000).
        ms: u64,
    },
    /// `200` with `Content-Type: application/json` and a body cut in the middle.
    MalformedJson,
    /// Close the connection without any response.
    DropConnection,
}

/// One kind of fault, for the next `count` matching requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// What the matching requests get.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests get it (at least 1; default 1).
    #[serde(default = "one")]
    pub count: u32,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// Answer `status` (400–599) with a GHL-shaped body.
    pub fn status(status: u16) -> Self {
        Self::once(FaultKind::Status { status, retry_after_seconds: None })
    }

    /// Answer `429` with `Retry-After: seconds`.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        Self::once(FaultKind::Status { status: 429, retry_after_seconds: Some(retry_after_seconds) })
    }

    /// Wait, then answer normally.
    pub fn delay(duration: Duration) -> Self {
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Self::once(FaultKind::Delay { ms })
    }

    /// Answer `200` with a truncated JSON body.
    pub fn malformed_json() -> Self {
        Self::once(FaultKind::MalformedJson)
    }

    /// Close the connection without answering.
    pub fn drop_connection() -> Self {
        Self::once(FaultKind::DropConnection)
    }

    /// The same fault for the next `count` matching requests.
    pub fn times(self, count: u32) -> Self {
        Self { count, ..self }
    }

    fn once(kind: FaultKind) -> Self {
        Self { kind, count: 1 }
    }

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let reason = match &self.kind {
            _ if self.count == 0 => "count must be at least 1".to_owned(),
            FaultKind::Status { status, .. } if !(400..=599).contains(status) => {
                format!("status must be between 400 and 599, not {status}")
            }
            FaultKind::Delay { ms } if *ms > MAX_DELAY_MS => format!("ms must be at most {MAX_DELAY_MS}"),
            _ => return Ok(()),
        };
        Err(SimError::InvalidSetting { reason })
    }
}

#[derive(Debug)]
struct Pending {
    kind: FaultKind,
    remaining: u32,
    path_contains: Option<String>,
}

/// One queue for the whole simulator, consumed in order by matching requests.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    pending: Vec<Pending>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, faults: Vec<Fault>, path_contains: Option<&str>) {
        let path_contains = path_contains.filter(|p| !p.is_empty()).map(str::to_owned);
        let pending = faults.into_iter().map(|f| Pending {
            kind: f.kind,
            remaining: f.count,
            path_contains: path_contains.clone(),
        });
        self.pending.extend(pending);
    }

    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }

    /// Requests that will still be faulted.
    pub(crate) fn remaining(&self) -> u64 {
        self.pending.iter().map(|p| u64::from(p.remaining)).sum()
    }

    /// Consumes one use of the first fault whose filter matches `path`.
    pub(crate) fn take(&mut self, path: &str) -> Option<FaultKind> {
        let index =
            self.pending.iter().position(|p| p.path_contains.as_deref().is_none_or(|part| path.contains(part)))?;
        let entry = self.pending.get_mut(index)?;
        let kind = entry.kind.clone();
        entry.remaining = entry.remaining.saturating_sub(1);
        if entry.remaining == 0 {
            self.pending.remove(index);
        }
        Some(kind)
    }
}

/// The answer of a `status` fault: NestJS's body for that status.
pub(crate) fn status_response(status: u16, retry_after_seconds: Option<u64>) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = serde_json::json!({"statusCode": code.as_u16(), "message": message(code)});
    if code == StatusCode::UNAUTHORIZED {
        body["error"] = serde_json::json!("Unauthorized");
    }
    let mut response = (code, axum::Json(body)).into_response();
    if let Some(seconds) = retry_after_seconds {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn message(code: StatusCode) -> &'static str {
    match code {
        StatusCode::UNAUTHORIZED => "Invalid token: access token is invalid",
        // NestJS's wording for unhandled exceptions.
        StatusCode::INTERNAL_SERVER_ERROR => "Internal server error",
        _ => code.canonical_reason().unwrap_or("Error"),
    }
}

pub(crate) fn malformed_json_response() -> Response {
    let content_type = [(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"))];
    (StatusCode::OK, content_type, MALFORMED_BODY).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_malformed_body_is_not_json() {
        assert!(serde_json::from_str::<serde_json::Value>(MALFORMED_BODY).is_err());
    }

    #[test]
    fn faults_parse_from_the_admin_shape() {
        let json = serde_json::json!([
            {"kind": "status", "status": 429, "retryAfterSeconds": 2, "count": 1},
            {"kind": "delay", "ms": 20},
            {"kind": "malformed-json", "count": 2},
            {"kind": "drop-connection"},
        ]);
        let faults: Vec<Fault> = serde_json::from_value(json).expect("faults parse");
        assert_eq!(faults[0], Fault::too_many_requests(2));
        assert_eq!(faults[1], Fault::delay(Duration::from_millis(20)));
        assert_eq!(faults[2], Fault::malformed_json().times(2));
        assert_eq!(faults[3], Fault::drop_connection());
    }

    #[test]
    fn the_queue_is_consumed_in_order_by_matching_paths() {
        let mut queue = FaultQueue::default();
        queue.push(vec![Fault::status(500).times(2)], Some("/tags"));
        queue.push(vec![Fault::malformed_json()], None);
        assert_eq!(queue.remaining(), 3);
        assert_eq!(queue.take("/x/accounts"), Some(FaultKind::MalformedJson));
        assert_eq!(queue.take("/x/accounts"), None);
        assert!(matches!(queue.take("/x/tags"), Some(FaultKind::Status { status: 500, .. })));
        assert!(matches!(queue.take("/x/tags/details"), Some(FaultKind::Status { status: 500, .. })));
        assert_eq!(queue.take("/x/tags"), None);
    }

    #[test]
    fn bad_faults_are_refused() {
        assert!(Fault::status(200).validate().is_err());
        assert!(Fault::status(503).times(0).validate().is_err());
        assert!(Fault::delay(Duration::from_secs(3600)).validate().is_err());
        assert!(Fault::status(503).validate().is_ok());
    }
}
