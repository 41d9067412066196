//! The HTTP seam. The runtime talks to this trait only, so the same code runs
//! inside a component (over `wasi:http`) and natively (unit tests, and
//! hand-written connectors that embed generated operations).

use crate::table::Method;
use std::fmt;

/// An outgoing request. `url` is absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// A response, body read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
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

/// Sends one request and waits for its whole response.
pub trait Transport {
    fn send(&self, request: Request) -> Result<Response, TransportError>;
}
