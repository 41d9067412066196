//! Where the `Authorization` value of a call comes from. A static token
//! simply is; an OAuth connection refreshes itself (single-flight, persisted
//! before use) behind the same trait, so the HTTP hooks need not know which.

use crate::secret::Secret;
use async_trait::async_trait;
use std::sync::Arc;

/// Why no usable credential could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialProblem {
    /// This credential cannot be refreshed (a static token).
    #[error("the credential cannot be refreshed")]
    NotRefreshable,
    /// The grant is gone: only the user can fix it.
    #[error("{0}")]
    ReconnectRequired(String),
    /// Refreshing failed for now; the tokens are kept and a later try may work.
    #[error("{0}")]
    Temporary(String),
}

/// Where a call's `Authorization` value comes from: a static token, or an OAuth connection that
/// refreshes itself.
#[async_trait]
pub trait CredentialSource: Send + Sync {
    /// The `Authorization` header value to send now; refreshed first when
    /// it is about to expire.
    async fn current(&self) -> Result<Secret, CredentialProblem>;
    /// The API refused `rejected` as expired or invalid: refresh once and
    /// return the new value. Concurrent callers share one refresh.
    async fn refresh(&self, rejected: &Secret) -> Result<Secret, CredentialProblem>;
}

/// A bearer token that never changes.
pub struct StaticCredential(pub Secret);

#[async_trait]
impl CredentialSource for StaticCredential {
    async fn current(&self) -> Result<Secret, CredentialProblem> {
        Ok(self.0.clone())
    }

    async fn refresh(&self, _rejected: &Secret) -> Result<Secret, CredentialProblem> {
        Err(CredentialProblem::NotRefreshable)
    }
}

/// A credential and the origins it may be sent to.
#[derive(Clone)]
pub struct Credential {
    /// Gives the `Authorization` value to send and refreshes it when the API refuses it.
    pub source: Arc<dyn CredentialSource>,
    /// The origins the credential may be sent to; requests elsewhere go without it.
    pub bound_to: Vec<super::Origin>,
    /// Text in a 401 answer that means "missing scope", which refreshing
    /// cannot fix (GHL: `not authorized for this scope`).
    pub scope_error_marker: Option<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential").field("bound_to", &self.bound_to).finish_non_exhaustive()
    }
}
