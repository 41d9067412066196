//! The one error type a connector returns. It mirrors the WIT
//! `connector-error` variant case for case, so the host can decide what
//! happens next (tell the user, refresh, wait, retry, alert) from the case
//! alone; the component glue converts it in a single function.

use crate::transport::TransportError;
use std::fmt;

/// Every failure a connector reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorError {
    /// The input or configuration is wrong: the host tells the user and does not retry.
    InvalidInput {
        /// The field to blame (a name or JSON pointer), when one is.
        field: Option<String>,
        /// What is wrong and what to do.
        message: String,
    },
    /// The API refused the credential: the host refreshes it or asks to reconnect.
    Unauthorized(String),
    /// The credential lacks a permission.
    Forbidden {
        /// The missing scope, when the connector knows it.
        scope: Option<String>,
        /// What the API said.
        message: String,
    },
    /// The thing asked for does not exist.
    NotFound(String),
    /// Throttled: the host waits, then retries.
    RateLimited {
        /// How long the API asked to wait, when it said.
        retry_after_ms: Option<u64>,
        /// What the API said.
        message: String,
    },
    /// A passing fault (timeout, 5xx, dropped connection): retried with backoff.
    Transient(String),
    /// The API answered in a way the connector cannot use.
    Upstream {
        /// The HTTP status, when there was one.
        status: Option<u16>,
        /// What went wrong.
        message: String,
    },
    /// A bug in the connector.
    Internal(String),
}

impl ConnectorError {
    /// An invalid input, blaming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConnectorError::InvalidInput { field: Some(field.into()), message: message.into() }
    }

    /// An answer the connector cannot use.
    pub fn upstream(status: Option<u16>, message: impl Into<String>) -> Self {
        ConnectorError::Upstream { status, message: message.into() }
    }

    /// A bug in the connector.
    pub fn internal(message: impl Into<String>) -> Self {
        ConnectorError::Internal(message.into())
    }
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectorError::InvalidInput { field: Some(field), message } => {
                write!(f, "invalid input `{field}`: {message}")
            }
            ConnectorError::InvalidInput { field: None, message } => write!(f, "invalid input: {message}"),
            ConnectorError::Unauthorized(m) => write!(f, "unauthorized: {m}"),
            ConnectorError::Forbidden { scope: Some(scope), message } => {
                write!(f, "missing scope `{scope}`: {message}")
            }
            ConnectorError::Forbidden { scope: None, message } => write!(f, "forbidden: {message}"),
            ConnectorError::NotFound(m) => write!(f, "not found: {m}"),
            ConnectorError::RateLimited { message, .. } => write!(f, "rate limited: {message}"),
            ConnectorError::Transient(m) => write!(f, "temporary failure: {m}"),
            ConnectorError::Upstream { status: Some(s), message } => write!(f, "API error {s}: {message}"),
            ConnectorError::Upstream { status: None, message } => write!(f, "API error: {message}"),
            ConnectorError::Internal(m) => write!(f, "connector bug: {m}"),
        }
    }
}

impl std::error::Error for ConnectorError {}

impl From<TransportError> for ConnectorError {
    /// A request the host refused is not retried; one that got no answer is.
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Denied(_) => ConnectorError::Forbidden { scope: None, message: e.to_string() },
            TransportError::Timeout(_) | TransportError::Io(_) => ConnectorError::Transient(e.to_string()),
        }
    }
}
