//! The HTTP seam. Connector code talks to [`Transport`] only, so the same
//! code runs inside a component (over `wasi:http`, the only network a
//! connector has) and natively (unit tests with a closure as the transport,
//! benchmarks with [`crate::native`]).

use serde::{Deserialize, Serialize};
use std::fmt;

/// HTTP methods a connector sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Parses an OpenAPI path-item key (`get`, `post`, …), any case.
    pub fn parse(s: &str) -> Option<Method> {
        match s.to_ascii_lowercase().as_str() {
            "get" => Some(Method::Get),
            "post" => Some(Method::Post),
            "put" => Some(Method::Put),
            "patch" => Some(Method::Patch),
            "delete" => Some(Method::Delete),
            _ => None,
        }
    }
}

/// An outgoing request. `url` is absolute. The credential is not here: the
/// host attaches it to requests for the connection's own origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute URL, query included.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request { method, url: url.into(), headers: Vec::new(), body: None }
    }

    /// The request with one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The request with a JSON body (and its content type).
    pub fn json(self, body: &serde_json::Value) -> Request {
        let mut request = self.header("Content-Type", "application/json");
        request.body = Some(body.to_string().into_bytes());
        request
    }
}

/// A response, body read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Header names and values, as received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host's egress policy refused the request; retrying will not help.
    Denied(String),
    /// No answer in time.
    Timeout(String),
    /// Connecting or reading failed.
    Io(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Denied(m) => write!(f, "request refused by the host's policy: {m}"),
            TransportError::Timeout(m) => write!(f, "request timed out: {m}"),
            TransportError::Io(m) => write!(f, "request failed: {m}"),
        }
    }
}

impl std::error::Error for TransportError {}

/// Sends one request and waits for its whole response.
pub trait Transport {
    /// Sends `request`.
    fn send(&self, request: Request) -> Result<Response, TransportError>;
}

/// A closure is a transport: the usual fake in a unit test.
impl<F> Transport for F
where
    F: Fn(Request) -> Result<Response, TransportError>,
{
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        self(request)
    }
}

/// Percent-encodes a path segment or a query component (the RFC 3986
/// unreserved characters stay as they are).
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

    #[test]
    fn encoding_escapes_reserved_characters() {
        assert_eq!(encode("a b&c/é"), "a%20b%26c%2F%C3%A9");
    }

    #[test]
    fn a_closure_is_a_transport_and_headers_are_found_in_any_case() {
        let fake = |r: Request| Ok(Response { status: 200, headers: vec![("X-Seen".into(), r.url)], body: Vec::new() });
        let response = fake.send(Request::new(Method::Get, "http://x/y")).expect("answer");
        assert_eq!(response.header("x-seen"), Some("http://x/y"));
        assert!(response.is_success());
    }
}
