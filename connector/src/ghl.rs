//! A thin GHL API v2 client over the transport seam: the headers every request
//! needs, envelopes, and GHL's error bodies mapped to `ConnectorError`.

use crate::error::ConnectorError;
use crate::transport::{Method, Request, Response, Transport};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The API version the social planner endpoints require.
pub const API_VERSION: &str = "2021-07-28";

/// GHL's answer when a token lacks the operation's scope (a 401, not a 403).
const SCOPE_MESSAGE: &str = "not authorized for this scope";

/// Who the client calls and for which location.
pub struct Ghl<'a, T: Transport + ?Sized> {
    transport: &'a T,
    base_url: &'a str,
}

/// `{success, statusCode, message, results}`: the envelope most v2 reads use.
#[derive(Deserialize)]
pub struct Envelope<R> {
    pub results: Option<R>,
}

/// GHL error body; `message` is a string, or an array of strings on 422.
#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    message: Option<serde_json::Value>,
}

impl<'a, T: Transport + ?Sized> Ghl<'a, T> {
    pub fn new(transport: &'a T, base_url: &'a str) -> Self {
        Ghl { transport, base_url: base_url.trim_end_matches('/') }
    }

    /// GET `path` (which may carry a query string) and decode the JSON answer.
    pub fn get<R: DeserializeOwned>(&self, path: &str, scope: &str) -> Result<R, ConnectorError> {
        self.call(Method::Get, path, None::<&()>, scope)
    }

    /// POST a JSON body to `path` and decode the JSON answer.
    pub fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        scope: &str,
    ) -> Result<R, ConnectorError> {
        self.call(Method::Post, path, Some(body), scope)
    }

    fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        scope: &str,
    ) -> Result<R, ConnectorError> {
        let mut headers = vec![
            ("Version".to_string(), API_VERSION.to_string()),
            ("Accept".to_string(), "application/json".to_string()),
        ];
        let body = match body {
            Some(b) => {
                headers.push(("Content-Type".to_string(), "application/json".to_string()));
                Some(serde_json::to_vec(b).map_err(|e| ConnectorError::Internal(format!("encoding request: {e}")))?)
            }
            None => None,
        };
        let request = Request { method, url: format!("{}{}", self.base_url, path), headers, body };
        let response = self.transport.send(request)?;
        if !(200..300).contains(&response.status) {
            return Err(error_from_response(&response, scope));
        }
        serde_json::from_slice(&response.body).map_err(|e| {
            ConnectorError::upstream(
                Some(response.status),
                format!("{} {path} answered with JSON this connector cannot read: {e}", method.as_str()),
            )
        })
    }
}

/// Maps a GHL error answer to the error taxonomy the host acts on.
pub fn error_from_response(response: &Response, scope: &str) -> ConnectorError {
    let body: ErrorBody = serde_json::from_slice(&response.body).unwrap_or_default();
    let message = match body.message {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string()))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
        None => String::from_utf8_lossy(&response.body).chars().take(300).collect(),
    };
    let status = response.status;
    match status {
        400 | 422 => ConnectorError::InvalidInput { field: None, message },
        401 if message.contains(SCOPE_MESSAGE) => ConnectorError::Forbidden {
            scope: Some(scope.to_string()),
            message: format!("{message} Reconnect the account and grant `{scope}`."),
        },
        401 => ConnectorError::Unauthorized(message),
        403 => ConnectorError::Forbidden { scope: None, message },
        404 => ConnectorError::NotFound(message),
        429 => ConnectorError::RateLimited {
            retry_after_ms: response.header("retry-after").and_then(parse_retry_after),
            message: if message.is_empty() { "too many requests".into() } else { message },
        },
        500..=599 => ConnectorError::Transient(format!("GHL answered {status}: {message}")),
        _ => ConnectorError::upstream(Some(status), message),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is not used by GHL).
fn parse_retry_after(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().map(|s| s.saturating_mul(1000))
}

/// Percent-encodes a query or path component.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response { status, headers: vec![("Retry-After".into(), "7".into())], body: body.as_bytes().to_vec() }
    }

    #[test]
    fn a_missing_scope_is_forbidden_and_named() {
        let e = error_from_response(
            &response(
                401,
                r#"{"statusCode":401,"message":"The token is not authorized for this scope.","error":"Unauthorized"}"#,
            ),
            "socialplanner/tag.readonly",
        );
        assert!(
            matches!(e, ConnectorError::Forbidden { scope: Some(ref s), .. } if s == "socialplanner/tag.readonly"),
            "{e:?}"
        );
    }

    #[test]
    fn an_invalid_token_is_unauthorized() {
        let e = error_from_response(
            &response(
                401,
                r#"{"statusCode":401,"message":"Invalid token: access token is invalid","error":"Unauthorized"}"#,
            ),
            "x",
        );
        assert_eq!(e, ConnectorError::Unauthorized("Invalid token: access token is invalid".into()));
    }

    #[test]
    fn a_422_joins_its_messages_and_429_keeps_retry_after() {
        let e = error_from_response(&response(422, r#"{"statusCode":422,"message":["a is bad","b is bad"]}"#), "x");
        assert_eq!(e, ConnectorError::InvalidInput { field: None, message: "a is bad; b is bad".into() });
        let e = error_from_response(&response(429, ""), "x");
        assert!(matches!(e, ConnectorError::RateLimited { retry_after_ms: Some(7000), .. }), "{e:?}");
    }

    #[test]
    fn encoding_escapes_reserved_characters() {
        assert_eq!(encode("a b&c/é"), "a%20b%26c%2F%C3%A9");
    }
}
