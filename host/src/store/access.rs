//! Workspaces and their API keys. Keys are stored as SHA-256 hashes: the
//! database alone cannot be used to call the API.

use super::StoreError;
use super::sql::SqlStore;
use async_trait::async_trait;
use serde::Serialize;
use sqlx::Row;

/// An API key as stored and listed: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    /// Identifier, 16 hex characters, by which the key is listed and deleted.
    pub id: String,
    /// The workspace the key acts in.
    pub workspace: String,
    /// The creator's note of what the key is for.
    pub label: String,
    /// When the key was created (RFC 3339).
    pub created_at: String,
    /// When the key stops working; `None`: it does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<jiff::Timestamp>,
    /// When the key was revoked; a revoked key never works again.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<jiff::Timestamp>,
}

impl ApiKeyInfo {
    /// A new key's info: a fresh id, created now.
    pub fn new(workspace: &str, label: &str, expires_at: Option<jiff::Timestamp>) -> ApiKeyInfo {
        ApiKeyInfo {
            id: hex::encode(rand::random::<[u8; 8]>()),
            workspace: workspace.to_string(),
            label: label.to_string(),
            created_at: jiff::Timestamp::now().to_string(),
            expires_at,
            revoked_at: None,
        }
    }
}

/// A console sign-in: who it is for, and the CSRF token its requests carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The workspace, for a workspace's session; `None` for the admin's.
    pub workspace: Option<String>,
    /// The hash of the key signed in with: revoking that key (or changing
    /// the admin key) ends the session.
    pub key_hash: String,
    /// The token unsafe requests of this session must send in `X-CSRF-Token`.
    pub csrf: String,
    /// When it ends (unix seconds).
    pub expires_at: i64,
}

/// Durable state of workspaces and their API keys; [`SqlStore`] implements it.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// Creates a workspace; `Conflict` when the name is taken.
    async fn create_workspace(&self, name: &str) -> Result<(), StoreError>;
    /// Every workspace's name, in order.
    async fn workspaces(&self) -> Result<Vec<String>, StoreError>;
    /// Whether a workspace of that name exists.
    async fn workspace_exists(&self, name: &str) -> Result<bool, StoreError>;
    /// Stores a key's info with the SHA-256 hash of its secret.
    async fn insert_api_key(&self, key: &ApiKeyInfo, hash: &str) -> Result<(), StoreError>;
    /// The workspace a key hash belongs to, while the key is neither revoked nor expired.
    async fn workspace_of_key(&self, hash: &str) -> Result<Option<String>, StoreError>;
    /// A workspace's keys, oldest first.
    async fn api_keys(&self, workspace: &str) -> Result<Vec<ApiKeyInfo>, StoreError>;
    /// Revokes one of a workspace's keys at once; false when it has no
    /// unrevoked key with that id.
    async fn revoke_api_key(&self, workspace: &str, id: &str) -> Result<bool, StoreError>;
    /// Stores a console session under the SHA-256 hash of its cookie.
    async fn insert_session(&self, hash: &str, session: &ConsoleSession) -> Result<(), StoreError>;
    /// The unexpired session with this cookie hash.
    async fn session(&self, hash: &str) -> Result<Option<ConsoleSession>, StoreError>;
    /// Ends a session (signing out).
    async fn delete_session(&self, hash: &str) -> Result<(), StoreError>;
    /// What the workspace shows to AI agents (JSON of `mcp::Exposure`); `None` until it is set.
    async fn mcp_exposure(&self, workspace: &str) -> Result<Option<String>, StoreError>;
    /// Sets it; `false` when there is no such workspace.
    async fn set_mcp_exposure(&self, workspace: &str, exposure: &str) -> Result<bool, StoreError>;
}

#[async_trait]
impl AccessStore for SqlStore {
    async fn create_workspace(&self, name: &str) -> Result<(), StoreError> {
        let result = sqlx::query("INSERT INTO workspaces (name, created_at) VALUES ($1, $2)")
            .bind(name)
            .bind(jiff::Timestamp::now().to_string())
            .execute(self.pool())
            .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("a workspace named `{name}`")))
            }
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn workspaces(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT name FROM workspaces ORDER BY name").fetch_all(self.pool()).await?)
    }

    async fn workspace_exists(&self, name: &str) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar("SELECT name FROM workspaces WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        Ok(found.is_some())
    }

    async fn insert_api_key(&self, key: &ApiKeyInfo, hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (id, workspace, hash, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.id)
        .bind(&key.workspace)
        .bind(hash)
        .bind(&key.label)
        .bind(&key.created_at)
        .bind(key.expires_at.map(|t| t.as_second()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn workspace_of_key(&self, hash: &str) -> Result<Option<String>, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        Ok(sqlx::query_scalar(
            "SELECT workspace FROM api_keys WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?)
    }

    async fn api_keys(&self, workspace: &str) -> Result<Vec<ApiKeyInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, workspace, label, created_at, expires_at, revoked_at FROM api_keys WHERE workspace = $1 ORDER BY created_at",
        )
        .bind(workspace)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyInfo {
                    id: r.try_get("id")?,
                    workspace: r.try_get("workspace")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: seconds(r.try_get("expires_at")?),
                    revoked_at: seconds(r.try_get("revoked_at")?),
                })
            })
            .collect()
    }

    async fn revoke_api_key(&self, workspace: &str, id: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE workspace = $2 AND id = $3 AND revoked_at IS NULL")
                .bind(jiff::Timestamp::now().as_second())
                .bind(workspace)
                .bind(id)
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn insert_session(&self, hash: &str, session: &ConsoleSession) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_second();
        sqlx::query("DELETE FROM console_sessions WHERE expires_at <= $1").bind(now).execute(self.pool()).await?;
        sqlx::query("INSERT INTO console_sessions (hash, workspace, admin, key_hash, csrf, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash)
        .bind(&session.workspace)
        .bind(session.workspace.is_none())
        .bind(&session.key_hash)
            .bind(&session.csrf)
            .bind(session.expires_at)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn session(&self, hash: &str) -> Result<Option<ConsoleSession>, StoreError> {
        let now = jiff::Timestamp::now().as_second();
        let row = sqlx::query(
            "SELECT workspace, key_hash, csrf, expires_at FROM console_sessions WHERE hash = $1 AND expires_at > $2",
        )
        .bind(hash)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(ConsoleSession {
                workspace: r.try_get("workspace")?,
                key_hash: r.try_get("key_hash")?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM console_sessions WHERE hash = $1").bind(hash).execute(self.pool()).await?;
        Ok(())
    }

    async fn mcp_exposure(&self, workspace: &str) -> Result<Option<String>, StoreError> {
        let found: Option<Option<String>> = sqlx::query_scalar("SELECT mcp_exposure FROM workspaces WHERE name = $1")
            .bind(workspace)
            .fetch_optional(self.pool())
            .await?;
        Ok(found.flatten())
    }

    async fn set_mcp_exposure(&self, workspace: &str, exposure: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE workspaces SET mcp_exposure = $1 WHERE name = $2")
            .bind(exposure)
            .bind(workspace)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}

fn seconds(value: Option<i64>) -> Option<jiff::Timestamp> {
    value.and_then(|s| jiff::Timestamp::from_second(s).ok())
}

/// An API key's expiry: an RFC 3339 time in the future.
pub fn parse_expiry(text: &str) -> Result<jiff::Timestamp, String> {
    let at: jiff::Timestamp =
        text.parse().map_err(|e| format!("`{text}` is not an RFC 3339 time like 2027-01-31T00:00:00Z ({e})"))?;
    if at <= jiff::Timestamp::now() {
        return Err(format!("`{text}` is in the past; a key must expire in the future"));
    }
    Ok(at)
}

/// A new API key: the secret shown once, and its hash to store.
pub fn new_api_key() -> (String, String) {
    let key = format!("weft_{}", hex::encode(rand::random::<[u8; 24]>()));
    let hash = hash_key(&key);
    (key, hash)
}

/// The SHA-256 of a key, in hex: what the store keeps and looks keys up by.
pub fn hash_key(key: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()))
}
