//! Durable state: connections (credentials sealed by the vault), pending
//! OAuth authorizations, and later subscriptions and their outbox.
//!
//! The engine talks to the `ConnectionStore` trait; SQLite (embedded, WAL) is
//! the default implementation, and a server database can implement the same
//! trait for several hosts sharing work.

mod access;
mod migrations;
mod sqlite;
mod sqlite_subscriptions;
mod subscriptions;

pub use access::{AccessStore, ApiKeyInfo, hash_key, new_api_key};
pub use sqlite::SqliteStore;
pub use subscriptions::*;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("the database failed: {0}")]
    Database(String),
    #[error("the database at {path} could not be opened: {reason}")]
    Open { path: String, reason: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Database(e.to_string())
    }
}

/// How a connection authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionKind {
    /// OAuth 2.0 tokens that the host refreshes.
    Oauth2,
    /// A static bearer token (e.g. a GHL private integration token).
    Token,
}

impl ConnectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Oauth2 => "oauth2",
            ConnectionKind::Token => "token",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "oauth2" => Some(ConnectionKind::Oauth2),
            "token" => Some(ConnectionKind::Token),
            _ => None,
        }
    }
}

/// Whether calls can use a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionStatus {
    Active,
    /// The grant is gone; only the user can fix it by connecting again.
    ReconnectRequired,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::ReconnectRequired => "reconnect-required",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "reconnect-required" => ConnectionStatus::ReconnectRequired,
            _ => ConnectionStatus::Active,
        }
    }
}

/// A stored connection. `sealed` is the vault-sealed credential.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRow {
    pub id: String,
    pub workspace: String,
    pub name: String,
    pub connector: String,
    pub kind: ConnectionKind,
    pub base_url: String,
    /// Non-secret facts: `locationId`, `companyId`, `userId`, `scopes`.
    pub facts: Value,
    pub sealed: Vec<u8>,
    pub key_id: String,
    /// When the access token expires (unix seconds), for OAuth connections.
    pub expires_at: Option<i64>,
    pub status: ConnectionStatus,
    pub status_message: Option<String>,
    /// Bumped by every credential update; guards against lost updates.
    pub token_version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// An OAuth authorization the user has been sent to and not yet come back from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    pub state: String,
    pub workspace: String,
    pub connector: String,
    pub name: String,
    pub base_url: String,
    pub redirect_uri: String,
    pub created_at: i64,
}

/// Re-seals one credential: `(id, sealed) -> (sealed, key id)`.
pub type Reseal = dyn Fn(&str, &[u8]) -> Result<(Vec<u8>, String), String> + Send + Sync;

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn insert_connection(&self, row: &ConnectionRow) -> Result<(), StoreError>;
    async fn connection(&self, workspace: &str, name: &str) -> Result<Option<ConnectionRow>, StoreError>;
    async fn connection_by_id(&self, id: &str) -> Result<Option<ConnectionRow>, StoreError>;
    async fn connections(&self, workspace: &str) -> Result<Vec<ConnectionRow>, StoreError>;
    async fn delete_connection(&self, workspace: &str, name: &str) -> Result<bool, StoreError>;
    /// Replaces the credential if nobody else did since `expected_version`;
    /// false when someone did.
    async fn update_credential(
        &self,
        id: &str,
        sealed: &[u8],
        key_id: &str,
        expires_at: Option<i64>,
        expected_version: i64,
    ) -> Result<bool, StoreError>;
    async fn set_status(&self, id: &str, status: ConnectionStatus, message: Option<&str>) -> Result<(), StoreError>;
    /// Re-seals every credential in one transaction with `reseal(id, sealed) -> (sealed, key_id)`.
    async fn reseal_all(&self, reseal: &Reseal) -> Result<usize, StoreError>;
    async fn put_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError>;
    /// Removes and returns a pending authorization: a state works once.
    async fn take_pending(&self, state: &str) -> Result<Option<PendingAuthorization>, StoreError>;
}
