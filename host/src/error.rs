//! The errors a call can end with. Every one names what went wrong and what
//! to do; `code` gives a stable machine-readable kind for APIs and scripts.

use crate::schema::{SchemaProblem, describe};
use std::time::Duration;

/// A failure the connector itself reported, mirrored from the WIT variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorFailure {
    #[error("invalid input{}: {message}", field.as_ref().map(|f| format!(" `{f}`")).unwrap_or_default())]
    InvalidInput { field: Option<String>, message: String },
    #[error("the API refused the credential: {0}; reconnect the account")]
    Unauthorized(String),
    #[error("{}{message}", scope.as_ref().map(|s| format!("missing scope `{s}`: ")).unwrap_or_else(|| "forbidden: ".into()))]
    Forbidden { scope: Option<String>, message: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("rate limited{}: {message}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration>, message: String },
    #[error("temporary failure, retry later: {0}")]
    Transient(String),
    #[error("the API failed{}: {message}", status.map(|s| format!(" with {s}")).unwrap_or_default())]
    Upstream { status: Option<u16>, message: String },
    #[error("the connector failed: {0}")]
    Internal(String),
}

/// Why a call did not produce its result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The input breaks the trigger's or action's input schema.
    #[error("invalid input: {}", describe(.0))]
    InvalidInput(Vec<SchemaProblem>),
    /// The connector reported a failure.
    #[error(transparent)]
    Connector(#[from] ConnectorFailure),
    /// No trigger, action or dropdown with that key.
    #[error("{0}")]
    UnknownKey(String),
    /// The connector answered with something its manifest does not allow.
    #[error("the connector broke its own contract: {0}")]
    BadOutput(String),
    /// The call went over a per-call limit and was ended.
    #[error("the call was stopped: limit `{limit}` exceeded ({detail})")]
    LimitExceeded { limit: &'static str, detail: String },
    /// A request was refused by the egress policy.
    #[error("a request was refused by the egress policy: {0}")]
    EgressDenied(String),
    /// The connection's grant is gone; the user must connect the account again.
    #[error("the connection needs to be reconnected: {0}")]
    ReconnectRequired(String),
    /// The connector crashed (a trap).
    #[error("the connector crashed: {0}")]
    Trapped(String),
    /// The host could not run the call.
    #[error("the host could not run the call: {0:#}")]
    Host(#[from] anyhow::Error),
}

impl CallError {
    /// A stable kind for scripts and APIs.
    pub fn code(&self) -> &'static str {
        match self {
            CallError::InvalidInput(_) => "invalid-input",
            CallError::Connector(f) => match f {
                ConnectorFailure::InvalidInput { .. } => "invalid-input",
                ConnectorFailure::Unauthorized(_) => "unauthorized",
                ConnectorFailure::Forbidden { scope: Some(_), .. } => "missing-scope",
                ConnectorFailure::Forbidden { .. } => "forbidden",
                ConnectorFailure::NotFound(_) => "not-found",
                ConnectorFailure::RateLimited { .. } => "rate-limited",
                ConnectorFailure::Transient(_) => "transient",
                ConnectorFailure::Upstream { .. } => "upstream",
                ConnectorFailure::Internal(_) => "connector-error",
            },
            CallError::UnknownKey(_) => "not-found",
            CallError::BadOutput(_) => "bad-output",
            CallError::LimitExceeded { .. } => "limit-exceeded",
            CallError::EgressDenied(_) => "egress-denied",
            CallError::ReconnectRequired(_) => "reconnect-required",
            CallError::Trapped(_) => "trapped",
            CallError::Host(_) => "host-error",
        }
    }

    /// Whether trying again later can succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            CallError::Connector(ConnectorFailure::RateLimited { .. } | ConnectorFailure::Transient(_))
                | CallError::Host(_)
        ) || matches!(self, CallError::LimitExceeded { limit: "call-timeout", .. })
    }
}

/// Why a connector component could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not a weft connector component: {reason:#}")]
    NotAComponent { path: String, reason: anyhow::Error },
    #[error("the manifest of {path} is invalid: {problems}")]
    BadManifest { path: String, problems: String },
}
