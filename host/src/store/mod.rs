//! Durable state: connections (credentials sealed by the vault), pending
//! OAuth authorizations, and later subscriptions and their outbox.
//!
//! The engine talks to the store traits; [`SqlStore`] implements them all on
//! SQLite (embedded, WAL; the default) or PostgreSQL (shared by several weft
//! processes), chosen by the database URL.

mod access;
mod hooks;
mod migrations;
mod rate;
mod sql;
mod sql_subscriptions;
mod subscriptions;

pub use access::{AccessStore, ApiKeyInfo, ConsoleSession, hash_key, new_api_key, parse_expiry};
pub use hooks::{HookStore, NewReceipt, Receipt};
pub use sql::{Dialect, SqlStore, StoreLocation};
pub use subscriptions::*;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A row with that name already exists; the text names it.
    #[error("{0} already exists")]
    Conflict(String),
    /// The database failed the operation; the text is its message.
    #[error("the database failed: {0}")]
    Database(String),
    /// The database file could not be created, opened or connected to.
    #[error("the database at {path} could not be opened: {reason}")]
    Open {
        /// The database file.
        path: String,
        /// Why it could not be opened.
        reason: String,
    },
    /// A stored value this binary cannot read.
    #[error("{0}")]
    Unreadable(String),
    /// The database's schema is newer than this binary knows: a newer weft
    /// migrated it, and this one would misread it.
    #[error(
        "the database's schema is at version {found}, newer than this weft knows ({known}); run the weft that \
         migrated it, or a newer one"
    )]
    Newer {
        /// The version found in the database.
        found: i64,
        /// The newest version this binary knows.
        known: i64,
    },
    /// Another process claimed the subscription since this one did (its
    /// lease ran out): the poll is not committed, and the other's counts.
    #[error("the lease on this subscription was lost to another process; its poll is not committed")]
    LeaseLost,
}

/// A value the database keeps as text, read back strictly: a value this
/// binary does not know (written by a newer weft, or edited by hand) is an
/// error, never read as some default.
pub(crate) trait StoredText: Copy + 'static {
    /// What it is, for the error.
    const WHAT: &'static str;
    /// Every value.
    const ALL: &'static [Self];
    /// The text it is stored as.
    fn text(self) -> &'static str;

    /// The value stored as `text`.
    fn from_stored(text: &str) -> Result<Self, StoreError> {
        Self::ALL.iter().copied().find(|v| v.text() == text).ok_or_else(|| {
            StoreError::Unreadable(format!(
                "unknown {} `{text}` in the database; was it written by a newer weft?",
                Self::WHAT
            ))
        })
    }
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

impl StoredText for ConnectionKind {
    const WHAT: &'static str = "connection kind";
    const ALL: &'static [Self] = &[ConnectionKind::Oauth2, ConnectionKind::Token];

    fn text(self) -> &'static str {
        self.as_str()
    }
}

impl ConnectionKind {
    /// The value as text (in the database and the API).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionKind::Oauth2 => "oauth2",
            ConnectionKind::Token => "token",
        }
    }
}

/// Whether calls can use a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionStatus {
    /// Calls may use it.
    Active,
    /// The grant is gone; only the user can fix it by connecting again.
    ReconnectRequired,
}

impl StoredText for ConnectionStatus {
    const WHAT: &'static str = "connection status";
    const ALL: &'static [Self] = &[ConnectionStatus::Active, ConnectionStatus::ReconnectRequired];

    fn text(self) -> &'static str {
        self.as_str()
    }
}

impl ConnectionStatus {
    /// The value as text (in the database and the API).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Active => "active",
            ConnectionStatus::ReconnectRequired => "reconnect-required",
        }
    }
}

/// A stored connection. `sealed` is the vault-sealed credential.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRow {
    /// Stable identifier, 24 hex characters, chosen by the host when the row is created; the vault
    /// binds the sealed credential to it.
    pub id: String,
    /// The workspace that owns it; no other workspace can see it.
    pub workspace: String,
    /// The builder's name for it, unique within the workspace.
    pub name: String,
    /// Id of the connector it is for; calls with another connector are refused.
    pub connector: String,
    /// Whether it holds OAuth tokens or a static token.
    pub kind: ConnectionKind,
    /// The API origin calls go to: the connector's first allowed host unless another was given (a
    /// regional host or a simulator).
    pub base_url: String,
    /// Non-secret facts: `locationId`, `companyId`, `userId`, `scopes`.
    pub facts: Value,
    /// The access and refresh tokens, as JSON sealed by the vault under the row's id.
    pub sealed: Vec<u8>,
    /// Id of the vault key that sealed `sealed`; key rotation changes it.
    pub key_id: String,
    /// When the access token expires (unix seconds), for OAuth connections.
    pub expires_at: Option<i64>,
    /// Whether calls can use it.
    pub status: ConnectionStatus,
    /// Why it needs reconnecting; `None` while it is active.
    pub status_message: Option<String>,
    /// Bumped by every credential update; guards against lost updates.
    pub token_version: i64,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When the row last changed (RFC 3339).
    pub updated_at: String,
}

/// An OAuth authorization the user has been sent to and not yet come back from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingAuthorization {
    /// The `state` parameter sent to the authorize page, 32 random hex characters; the callback
    /// finds the authorization by it.
    pub state: String,
    /// The workspace the connection will belong to.
    pub workspace: String,
    /// Id of the connector being connected.
    pub connector: String,
    /// The name the connection will get.
    pub name: String,
    /// The API origin the connection will call.
    pub base_url: String,
    /// Where the authorize page sends the user back; the code exchange repeats it.
    pub redirect_uri: String,
    /// When the authorization began, unix seconds; it is refused 15 minutes later.
    pub created_at: i64,
}

/// A held [`ConnectionStore::refresh_lock`].
#[must_use = "the lock is held until released"]
pub struct RefreshLock(pub(crate) Option<sqlx::Transaction<'static, sqlx::Any>>);

impl RefreshLock {
    /// Lets the next process refresh.
    pub async fn release(self) {
        if let Some(tx) = self.0
            && let Err(e) = tx.rollback().await
        {
            // The connection is closed with it, and the lock with the connection.
            tracing::warn!("releasing a refresh lock failed: {e}");
        }
    }
}

/// Re-seals one credential: `(id, sealed) -> (sealed, key id)`.
pub type Reseal = dyn Fn(&str, &[u8]) -> Result<(Vec<u8>, String), String> + Send + Sync;

/// Durable state of connections and pending OAuth authorizations; [`SqlStore`] implements it.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Stores a new connection; `Conflict` when its name is taken in the workspace.
    async fn insert_connection(&self, row: &ConnectionRow) -> Result<(), StoreError>;
    /// The connection with this name in the workspace, if any.
    async fn connection(&self, workspace: &str, name: &str) -> Result<Option<ConnectionRow>, StoreError>;
    /// The connection with this id, whatever its workspace.
    async fn connection_by_id(&self, id: &str) -> Result<Option<ConnectionRow>, StoreError>;
    /// Replaces the grant of the connection with `row.id` (reconnecting):
    /// kind, base URL, facts, credential and expiry; it is active again, and
    /// its token version moves on so a refresh in flight with the old grant
    /// does not overwrite the new one.
    async fn replace_connection(&self, row: &ConnectionRow) -> Result<(), StoreError>;
    /// A workspace's connections, by name.
    async fn connections(&self, workspace: &str) -> Result<Vec<ConnectionRow>, StoreError>;
    /// Deletes a connection; false when there was none.
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
    /// Sets whether calls can use a connection, with the reason shown when they cannot.
    async fn set_status(&self, id: &str, status: ConnectionStatus, message: Option<&str>) -> Result<(), StoreError>;
    /// Re-seals everything sealed (connections' credentials, webhook signing
    /// secrets) in one transaction with `reseal(id, sealed) -> (sealed, key_id)`;
    /// when one row fails, none is changed. The count of values re-sealed.
    async fn reseal_all(&self, reseal: &Reseal) -> Result<usize, StoreError>;
    /// Takes the lock on refreshing connection `id`, held until
    /// [`RefreshLock::release`] (or the lock is dropped): on PostgreSQL an
    /// advisory lock, so of the processes sharing the database one refreshes
    /// and the others wait and then read its tokens; a SQLite file has one
    /// process, whose own lock suffices.
    async fn refresh_lock(&self, id: &str) -> Result<RefreshLock, StoreError>;
    /// Stores an authorization the user is being sent to.
    async fn put_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError>;
    /// Removes and returns a pending authorization: a state works once.
    async fn take_pending(&self, state: &str) -> Result<Option<PendingAuthorization>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ConnectionRow {
        ConnectionRow {
            id: "c1".into(),
            workspace: "default".into(),
            name: "acme".into(),
            connector: "ghl-social-planner".into(),
            kind: ConnectionKind::Token,
            base_url: "https://services.leadconnectorhq.com".into(),
            facts: serde_json::json!({}),
            sealed: vec![1, 2, 3],
            key_id: "k".into(),
            expires_at: None,
            status: ConnectionStatus::Active,
            status_message: None,
            token_version: 0,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn every_stored_value_reads_back_and_an_unknown_one_is_an_error() {
        for kind in ConnectionKind::ALL {
            assert_eq!(ConnectionKind::from_stored(kind.as_str()).ok(), Some(*kind));
        }
        for state in SubscriptionState::ALL {
            assert_eq!(SubscriptionState::from_stored(state.as_str()).ok(), Some(*state));
        }
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::from_stored(status.as_str()).ok(), Some(*status));
        }
        let err = SubscriptionState::from_stored("zombie").expect_err("unknown");
        assert!(err.to_string().contains("unknown subscription state `zombie`"), "{err}");
    }

    #[tokio::test]
    async fn a_row_with_an_unknown_status_is_not_read_as_active() {
        let dir = tempfile::tempdir().expect("dir");
        let store = SqlStore::open_file(&dir.path().join("weft.db")).await.expect("store");
        store.insert_connection(&row()).await.expect("insert");
        sqlx::query("UPDATE connections SET status = 'suspended'").execute(store.pool()).await.expect("update");
        let read = store.connection("default", "acme").await;
        assert!(matches!(read, Err(StoreError::Unreadable(ref m)) if m.contains("`suspended`")), "{read:?}");
    }
}
