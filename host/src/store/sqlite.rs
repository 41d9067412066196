//! The embedded SQLite store: one file in the data directory, WAL journal.

use super::StoredText;
use super::migrations::MIGRATIONS;
use super::{
    ConnectionKind, ConnectionRow, ConnectionStatus, ConnectionStore, PendingAuthorization, Reseal, StoreError,
};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The embedded store: every store trait on one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_error = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(|e| open_error(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // Migrations run on a connection of their own, closed before the pool
        // opens: a connection that read the schema before a migration changed
        // it can prepare a statement against the old one and have SQLite
        // re-prepare it with more columns than sqlx expects.
        let migrating = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| open_error(e.to_string()))?;
        SqliteStore { pool: migrating.clone() }.migrate().await?;
        migrating.close().await;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| open_error(e.to_string()))?;
        Ok(SqliteStore { pool })
    }

    /// The connection pool, for the other store modules and for tests.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        let current: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetch_one(&self.pool).await?;
        for (version, what, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
            let mut tx = self.pool.begin().await?;
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)")
                .bind(version)
                .bind(jiff::Timestamp::now().to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, what, "applied database migration");
        }
        Ok(())
    }
}

fn unsealable(what: &str, id: &str, why: String) -> StoreError {
    StoreError::Database(format!("the {what} `{id}` could not be re-sealed, so nothing was: {why}"))
}

fn connection_row(row: &SqliteRow) -> Result<ConnectionRow, StoreError> {
    let facts: String = row.try_get("facts")?;
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(ConnectionRow {
        id: row.try_get("id")?,
        workspace: row.try_get("workspace")?,
        name: row.try_get("name")?,
        connector: row.try_get("connector")?,
        kind: ConnectionKind::from_stored(&kind)?,
        base_url: row.try_get("base_url")?,
        facts: serde_json::from_str(&facts).map_err(|e| StoreError::Database(e.to_string()))?,
        sealed: row.try_get("sealed")?,
        key_id: row.try_get("key_id")?,
        expires_at: row.try_get("expires_at")?,
        status: ConnectionStatus::from_stored(&status)?,
        status_message: row.try_get("status_message")?,
        token_version: row.try_get("token_version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[async_trait]
impl ConnectionStore for SqliteStore {
    async fn replace_connection(&self, r: &ConnectionRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE connections SET kind = ?, base_url = ?, facts = ?, sealed = ?, key_id = ?, expires_at = ?, \
             status = ?, status_message = NULL, token_version = token_version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(r.kind.as_str())
        .bind(&r.base_url)
        .bind(r.facts.to_string())
        .bind(&r.sealed)
        .bind(&r.key_id)
        .bind(r.expires_at)
        .bind(ConnectionStatus::Active.as_str())
        .bind(jiff::Timestamp::now().to_string())
        .bind(&r.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn insert_connection(&self, r: &ConnectionRow) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO connections (id, workspace, name, connector, kind, base_url, facts, sealed, key_id, expires_at, \
             status, status_message, token_version, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&r.id)
        .bind(&r.workspace)
        .bind(&r.name)
        .bind(&r.connector)
        .bind(r.kind.as_str())
        .bind(&r.base_url)
        .bind(r.facts.to_string())
        .bind(&r.sealed)
        .bind(&r.key_id)
        .bind(r.expires_at)
        .bind(r.status.as_str())
        .bind(&r.status_message)
        .bind(r.token_version)
        .bind(&r.created_at)
        .bind(&r.updated_at)
        .execute(&self.pool)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("a connection named `{}`", r.name)))
            }
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn connection(&self, workspace: &str, name: &str) -> Result<Option<ConnectionRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM connections WHERE workspace = ? AND name = ?")
            .bind(workspace)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(connection_row).transpose()
    }

    async fn connection_by_id(&self, id: &str) -> Result<Option<ConnectionRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM connections WHERE id = ?").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(connection_row).transpose()
    }

    async fn connections(&self, workspace: &str) -> Result<Vec<ConnectionRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM connections WHERE workspace = ? ORDER BY name")
            .bind(workspace)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(connection_row).collect()
    }

    async fn delete_connection(&self, workspace: &str, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM connections WHERE workspace = ? AND name = ?")
            .bind(workspace)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_credential(
        &self,
        id: &str,
        sealed: &[u8],
        key_id: &str,
        expires_at: Option<i64>,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE connections SET sealed = ?, key_id = ?, expires_at = ?, token_version = token_version + 1, \
             status = 'active', status_message = NULL, updated_at = ? WHERE id = ? AND token_version = ?",
        )
        .bind(sealed)
        .bind(key_id)
        .bind(expires_at)
        .bind(now())
        .bind(id)
        .bind(expected_version)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_status(&self, id: &str, status: ConnectionStatus, message: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE connections SET status = ?, status_message = ?, updated_at = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(message)
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn reseal_all(&self, reseal: &Reseal) -> Result<usize, StoreError> {
        // Everything sealed, in one transaction: a row that cannot be
        // re-sealed rolls back every other, so a rotation changes all or nothing.
        let mut tx = self.pool.begin().await?;
        let mut count = 0;
        let connections = sqlx::query("SELECT id, sealed FROM connections").fetch_all(&mut *tx).await?;
        for row in &connections {
            let id: String = row.try_get("id")?;
            let sealed: Vec<u8> = row.try_get("sealed")?;
            let (resealed, key_id) = reseal(&id, &sealed).map_err(|e| unsealable("connection", &id, e))?;
            sqlx::query("UPDATE connections SET sealed = ?, key_id = ? WHERE id = ?")
                .bind(resealed)
                .bind(key_id)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            count += 1;
        }
        let secrets = sqlx::query("SELECT id, webhook_secret FROM subscriptions WHERE webhook_secret IS NOT NULL")
            .fetch_all(&mut *tx)
            .await?;
        for row in &secrets {
            let id: String = row.try_get("id")?;
            let sealed: Vec<u8> = row.try_get("webhook_secret")?;
            let (resealed, _) =
                reseal(&id, &sealed).map_err(|e| unsealable("webhook secret of subscription", &id, e))?;
            sqlx::query("UPDATE subscriptions SET webhook_secret = ? WHERE id = ?")
                .bind(resealed)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            count += 1;
        }
        tx.commit().await?;
        Ok(count)
    }

    async fn put_pending(&self, p: &PendingAuthorization) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_pending (state, workspace, connector, name, base_url, redirect_uri, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&p.state)
        .bind(&p.workspace)
        .bind(&p.connector)
        .bind(&p.name)
        .bind(&p.base_url)
        .bind(&p.redirect_uri)
        .bind(p.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn take_pending(&self, state: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let row =
            sqlx::query("SELECT * FROM oauth_pending WHERE state = ?").bind(state).fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Ok(None) };
        sqlx::query("DELETE FROM oauth_pending WHERE state = ?").bind(state).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(Some(PendingAuthorization {
            state: row.try_get("state")?,
            workspace: row.try_get("workspace")?,
            connector: row.try_get("connector")?,
            name: row.try_get("name")?,
            base_url: row.try_get("base_url")?,
            redirect_uri: row.try_get("redirect_uri")?,
            created_at: row.try_get("created_at")?,
        }))
    }
}
