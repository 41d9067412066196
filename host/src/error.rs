//! The errors a call can end with. Every one names what went wrong and what
//! to do; `code` gives a stable machine-readable kind for APIs and scripts.

use crate::schema::{SchemaProblem, describe};
use std::time::Duration;

/// A failure the connector itself reported, mirrored from the WIT variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectorFailure {
    /// The input or configuration is wrong: tell the user, do not retry.
    #[error("invalid input{}: {message}", field.as_ref().map(|f| format!(" `{f}`")).unwrap_or_default())]
    InvalidInput {
        /// The field to blame (a JSON pointer or a field name); `None` when no one field is.
        field: Option<String>,
        /// What is wrong with it, for the user.
        message: String,
    },
    /// The API refused the credential, after any refresh the host could make.
    #[error("the API refused the credential: {0}; reconnect the account")]
    Unauthorized(String),
    /// The credential works but lacks a permission.
    #[error("{}{message}", scope.as_ref().map(|s| format!("missing scope `{s}`: ")).unwrap_or_else(|| "forbidden: ".into()))]
    Forbidden {
        /// The missing scope, when the API or the connector knows it.
        scope: Option<String>,
        /// The refusal, as the connector reports it.
        message: String,
    },
    /// The thing asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The API throttled the call: wait, then retry.
    #[error("rate limited{}: {message}", retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// How long the API asked to wait; `None` when it did not say.
        retry_after: Option<Duration>,
        /// The throttling answer, as the connector reports it.
        message: String,
    },
    /// A passing fault (timeout, 5xx, dropped connection): retry with backoff.
    #[error("temporary failure, retry later: {0}")]
    Transient(String),
    /// The API answered in a way the connector cannot use and retrying may not fix.
    #[error("the API failed{}: {message}", status.map(|s| format!(" with {s}")).unwrap_or_default())]
    Upstream {
        /// The HTTP status the API answered with; `None` when there was no usable answer.
        status: Option<u16>,
        /// What was wrong with the answer.
        message: String,
    },
    /// A bug in the connector.
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
    LimitExceeded {
        /// The limit.
        limit: crate::limits::Limit,
        /// What the call did.
        detail: String,
    },
    /// A request was refused by the egress policy.
    #[error("a request was refused by the egress policy: {0}")]
    EgressDenied(crate::egress::EgressDenial),
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

/// A stable, machine-readable kind of failure: the `code` of an API problem,
/// the label of a metric, the bracket in a CLI error. Clients switch on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// An input breaks its schema or the connector refused it.
    InvalidInput,
    /// A request body is not JSON.
    MalformedJson,
    /// The credential lacks a scope, named in the detail.
    MissingScope,
    /// The grant is gone; the user must connect again.
    ReconnectRequired,
    /// The API refused the credential.
    Unauthorized,
    /// The API refused the operation.
    Forbidden,
    /// No such thing.
    NotFound,
    /// Throttled; retry later.
    RateLimited,
    /// A passing fault; retry later.
    Transient,
    /// The API failed in a way retrying may not fix.
    Upstream,
    /// The connector has a bug.
    ConnectorError,
    /// The connector broke its own output schema.
    BadOutput,
    /// A per-call limit was hit; the detail names it.
    LimitExceeded,
    /// A request was refused by the egress policy.
    EgressDenied,
    /// The connector crashed.
    Trapped,
    /// The host could not run the call.
    HostError,
    /// A name is taken.
    Conflict,
    /// No API key was sent.
    MissingApiKey,
    /// The API key is not valid (unknown, revoked or expired).
    InvalidApiKey,
    /// The admin key was used where a workspace's key is needed.
    WorkspaceKeyRequired,
    /// The admin routes are off: no admin key is configured.
    AdminDisabled,
    /// An OAuth authorization failed.
    OauthFailed,
    /// The route does not take that method.
    MethodNotAllowed,
    /// The request body is larger than the API reads.
    PayloadTooLarge,
    /// A console request changing something did not carry its session's
    /// CSRF token in `X-CSRF-Token`.
    CsrfFailed,
    /// A webhook's signature is missing, malformed, or made with a key this
    /// host does not have.
    InvalidSignature,
    /// A webhook's `timestamp` is outside the accepted window.
    StaleWebhook,
    /// The server failed.
    Internal,
}

impl ErrorCode {
    /// The code as it appears in problems, metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid-input",
            ErrorCode::MalformedJson => "malformed-json",
            ErrorCode::MissingScope => "missing-scope",
            ErrorCode::ReconnectRequired => "reconnect-required",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not-found",
            ErrorCode::RateLimited => "rate-limited",
            ErrorCode::Transient => "transient",
            ErrorCode::Upstream => "upstream",
            ErrorCode::ConnectorError => "connector-error",
            ErrorCode::BadOutput => "bad-output",
            ErrorCode::LimitExceeded => "limit-exceeded",
            ErrorCode::EgressDenied => "egress-denied",
            ErrorCode::Trapped => "trapped",
            ErrorCode::HostError => "host-error",
            ErrorCode::Conflict => "conflict",
            ErrorCode::MissingApiKey => "missing-api-key",
            ErrorCode::InvalidApiKey => "invalid-api-key",
            ErrorCode::WorkspaceKeyRequired => "workspace-key-required",
            ErrorCode::AdminDisabled => "admin-disabled",
            ErrorCode::OauthFailed => "oauth-failed",
            ErrorCode::MethodNotAllowed => "method-not-allowed",
            ErrorCode::PayloadTooLarge => "payload-too-large",
            ErrorCode::CsrfFailed => "csrf-failed",
            ErrorCode::InvalidSignature => "invalid-signature",
            ErrorCode::StaleWebhook => "stale-webhook",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CallError {
    /// A stable kind for scripts and APIs.
    pub fn code(&self) -> ErrorCode {
        match self {
            CallError::InvalidInput(_) => ErrorCode::InvalidInput,
            CallError::Connector(f) => match f {
                ConnectorFailure::InvalidInput { .. } => ErrorCode::InvalidInput,
                ConnectorFailure::Unauthorized(_) => ErrorCode::Unauthorized,
                ConnectorFailure::Forbidden { scope: Some(_), .. } => ErrorCode::MissingScope,
                ConnectorFailure::Forbidden { .. } => ErrorCode::Forbidden,
                ConnectorFailure::NotFound(_) => ErrorCode::NotFound,
                ConnectorFailure::RateLimited { .. } => ErrorCode::RateLimited,
                ConnectorFailure::Transient(_) => ErrorCode::Transient,
                ConnectorFailure::Upstream { .. } => ErrorCode::Upstream,
                ConnectorFailure::Internal(_) => ErrorCode::ConnectorError,
            },
            CallError::UnknownKey(_) => ErrorCode::NotFound,
            CallError::BadOutput(_) => ErrorCode::BadOutput,
            CallError::LimitExceeded { .. } => ErrorCode::LimitExceeded,
            CallError::EgressDenied(_) => ErrorCode::EgressDenied,
            CallError::ReconnectRequired(_) => ErrorCode::ReconnectRequired,
            CallError::Trapped(_) => ErrorCode::Trapped,
            CallError::Host(_) => ErrorCode::HostError,
        }
    }

    /// Whether trying again later can succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            CallError::Connector(ConnectorFailure::RateLimited { .. } | ConnectorFailure::Transient(_))
                | CallError::Host(_)
                | CallError::LimitExceeded {
                    limit: crate::limits::Limit::CallTimeout | crate::limits::Limit::RequestTimeout,
                    ..
                }
        )
    }
}

/// Why a connector component could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The component file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The component file.
        path: String,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// The file does not compile or instantiate as a weft connector, or its manifest call failed.
    #[error("{path} is not a weft connector component: {reason:#}")]
    NotAComponent {
        /// The component file.
        path: String,
        /// What compiling, linking or instantiating it reported.
        reason: anyhow::Error,
    },
    /// The memory limit is smaller than what the component needs to start.
    #[error(
        "{path} needs {needs_mib} MiB of memory to start, more than the {limit_mib} MiB limit; raise `memory_mib` in [limits] (or in [connectors.<id>.limits])"
    )]
    MemoryTooSmall {
        /// The component file.
        path: String,
        /// What its largest memory starts at, in MiB (rounded up).
        needs_mib: u64,
        /// The limit it would run under, in MiB.
        limit_mib: u64,
    },
    /// The manifest does not parse or check, or a schema or sample in it is wrong.
    #[error("the manifest of {path} is invalid: {problems}")]
    BadManifest {
        /// The component file.
        path: String,
        /// Every problem found, joined by `; `.
        problems: String,
    },
}
