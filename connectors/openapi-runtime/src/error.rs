//! The runtime's errors. They mirror the WIT `connector-error` variant one to
//! one; the component glue converts them in a single function.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorError {
    InvalidInput { field: Option<String>, message: String },
    Unauthorized(String),
    Forbidden { scope: Option<String>, message: String },
    NotFound(String),
    RateLimited { retry_after_ms: Option<u64>, message: String },
    Transient(String),
    Upstream { status: Option<u16>, message: String },
    Internal(String),
}

impl ConnectorError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ConnectorError::InvalidInput { field: Some(field.into()), message: message.into() }
    }

    pub fn upstream(status: Option<u16>, message: impl Into<String>) -> Self {
        ConnectorError::Upstream { status, message: message.into() }
    }

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

impl From<crate::transport::TransportError> for ConnectorError {
    fn from(e: crate::transport::TransportError) -> Self {
        use crate::transport::TransportError as T;
        match e {
            T::Denied(_) => ConnectorError::Forbidden { scope: None, message: e.to_string() },
            T::Timeout(_) | T::Io(_) => ConnectorError::Transient(e.to_string()),
        }
    }
}
