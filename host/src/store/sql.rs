//! The SQL store: every store trait on one database, SQLite (embedded: one
//! file in the data directory, WAL journal) or PostgreSQL (shared by several
//! weft processes). The queries are written once, in the SQL both accept
//! (`$N` parameters, `ON CONFLICT`, `RETURNING`), through sqlx's `Any`
//! driver; only the schema's DDL differs, and [`migrations`](super::migrations)
//! writes it for each.

use super::StoredText;
use super::migrations::{self, MIGRATIONS};
use super::{
    ConnectionKind, ConnectionRow, ConnectionStatus, ConnectionStore, PendingAuthorization, Reseal, StoreError,
};
use async_trait::async_trait;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The SQL dialect of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite, embedded.
    Sqlite,
    /// PostgreSQL, a server.
    Postgres,
}

impl Dialect {
    /// Its name, as operators write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// Where the store's database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file.
    File(PathBuf),
    /// A database URL: `postgres://…` (or `postgresql://…`), or `sqlite://PATH`.
    Url(String),
}

impl StoreLocation {
    /// The location `url` names: a `postgres://` or `sqlite://` URL; anything else is refused,
    /// saying what is accepted.
    pub fn parse(url: &str) -> Result<StoreLocation, StoreError> {
        let url = url.trim();
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("postgres" | "postgresql") => Ok(StoreLocation::Url(url.to_string())),
            Some("sqlite") => Ok(StoreLocation::File(PathBuf::from(&url["sqlite://".len()..]))),
            _ => Err(StoreError::Open {
                path: redacted(url),
                reason: "a database URL starts with postgres:// (or postgresql://) or sqlite://".into(),
            }),
        }
    }

    /// The location with any password hidden, for messages and logs.
    pub fn shown(&self) -> String {
        match self {
            StoreLocation::File(path) => path.display().to_string(),
            StoreLocation::Url(url) => redacted(url),
        }
    }
}

/// `url` with the password, if any, replaced by `***`.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "(an unreadable URL)".to_string(),
    }
}

/// The PostgreSQL advisory lock held while migrating ("weft" in ASCII).
const MIGRATION_LOCK: i64 = 0x7765_6674;

/// The advisory-lock space of connections' refreshes (two-key form, so
/// never the migration lock).
const REFRESH_LOCKS: i32 = 0x7766;

/// The store: every store trait on one SQL database.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
}

impl SqlStore {
    /// Opens (creating a SQLite file if needed) the database and brings its
    /// schema up to date; a database newer than this binary is refused.
    pub async fn open(location: &StoreLocation) -> Result<SqlStore, StoreError> {
        sqlx::any::install_default_drivers();
        let open_error = |reason: String| StoreError::Open { path: location.shown(), reason };
        let (url, dialect) = match location {
            StoreLocation::File(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
                }
                (format!("sqlite://{}?mode=rwc", path.display()), Dialect::Sqlite)
            }
            StoreLocation::Url(url) => (url.clone(), Dialect::Postgres),
        };
        let options = || {
            AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10)).after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
        };
        // Migrations run on a connection of their own, closed before the pool
        // opens: a SQLite connection that read the schema before a migration
        // changed it can prepare a statement against the old one and have
        // SQLite re-prepare it with more columns than sqlx expects.
        let migrating = options().max_connections(1).connect(&url).await.map_err(|e| open_error(e.to_string()))?;
        SqlStore { pool: migrating.clone(), dialect }.migrate().await?;
        migrating.close().await;
        let connections = if dialect == Dialect::Sqlite { 8 } else { 16 };
        let pool = options().max_connections(connections).connect(&url).await.map_err(|e| open_error(e.to_string()))?;
        Ok(SqlStore { pool, dialect })
    }

    /// Opens the SQLite file at `path`.
    pub async fn open_file(path: &Path) -> Result<SqlStore, StoreError> {
        SqlStore::open(&StoreLocation::File(path.to_path_buf())).await
    }

    /// The connection pool, for the other store modules and for tests.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The database's dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A transaction that will write. SQLite's plain `BEGIN` takes the write
    /// lock at the first write, and a transaction that has read by then does
    /// not wait for a lock another connection holds: SQLite answers "database
    /// is locked" at once rather than risk a deadlock. `BEGIN IMMEDIATE` takes
    /// the lock at the start, waiting out the busy timeout like any writer.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        if self.dialect == Dialect::Postgres {
            // Several processes may start at once: one migrates, the others
            // wait here and then find nothing left to do. The pool has one
            // connection, so the session's lock covers every statement below.
            sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&self.pool).await?;
        }
        let done = self.apply_migrations().await;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&self.pool).await?;
        }
        done
    }

    async fn apply_migrations(&self) -> Result<(), StoreError> {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")
            .execute(&self.pool)
            .await?;
        let current: i64 =
            sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetch_one(&self.pool).await?;
        let known = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
        if current > known {
            return Err(StoreError::Newer { found: current, known });
        }
        for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
            let mut tx = self.begin_write().await?;
            sqlx::raw_sql(&migrations::sql_for(migration, self.dialect)).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)")
                .bind(migration.version)
                .bind(jiff::Timestamp::now().to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(
                version = migration.version,
                what = migration.what,
                dialect = self.dialect.as_str(),
                "applied database migration"
            );
        }
        Ok(())
    }
}

fn unsealable(what: &str, id: &str, why: String) -> StoreError {
    StoreError::Database(format!("the {what} `{id}` could not be re-sealed, so nothing was: {why}"))
}

fn connection_row(row: &AnyRow) -> Result<ConnectionRow, StoreError> {
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
impl ConnectionStore for SqlStore {
    async fn replace_connection(&self, r: &ConnectionRow) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE connections SET kind = $1, base_url = $2, facts = $3, sealed = $4, key_id = $5, expires_at = $6, \
             status = $7, status_message = NULL, token_version = token_version + 1, updated_at = $8 WHERE id = $9",
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
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
        let row = sqlx::query("SELECT * FROM connections WHERE workspace = $1 AND name = $2")
            .bind(workspace)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(connection_row).transpose()
    }

    async fn connection_by_id(&self, id: &str) -> Result<Option<ConnectionRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM connections WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(connection_row).transpose()
    }

    async fn connections(&self, workspace: &str) -> Result<Vec<ConnectionRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM connections WHERE workspace = $1 ORDER BY name")
            .bind(workspace)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(connection_row).collect()
    }

    async fn delete_connection(&self, workspace: &str, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM connections WHERE workspace = $1 AND name = $2")
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
            "UPDATE connections SET sealed = $1, key_id = $2, expires_at = $3, token_version = token_version + 1, \
             status = 'active', status_message = NULL, updated_at = $4 WHERE id = $5 AND token_version = $6",
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
        sqlx::query("UPDATE connections SET status = $1, status_message = $2, updated_at = $3 WHERE id = $4")
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
        let mut tx = self.begin_write().await?;
        let mut count = 0;
        let connections = sqlx::query("SELECT id, sealed FROM connections").fetch_all(&mut *tx).await?;
        for row in &connections {
            let id: String = row.try_get("id")?;
            let sealed: Vec<u8> = row.try_get("sealed")?;
            let (resealed, key_id) = reseal(&id, &sealed).map_err(|e| unsealable("connection", &id, e))?;
            sqlx::query("UPDATE connections SET sealed = $1, key_id = $2 WHERE id = $3")
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
            sqlx::query("UPDATE subscriptions SET webhook_secret = $1 WHERE id = $2")
                .bind(resealed)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
            count += 1;
        }
        tx.commit().await?;
        Ok(count)
    }

    async fn refresh_lock(&self, id: &str) -> Result<super::RefreshLock, StoreError> {
        if self.dialect != Dialect::Postgres {
            return Ok(super::RefreshLock(None));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind(REFRESH_LOCKS)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Ok(super::RefreshLock(Some(tx)))
    }

    async fn put_pending(&self, p: &PendingAuthorization) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oauth_pending (state, workspace, connector, name, base_url, redirect_uri, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
        let mut tx = self.begin_write().await?;
        let row =
            sqlx::query("SELECT * FROM oauth_pending WHERE state = $1").bind(state).fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Ok(None) };
        sqlx::query("DELETE FROM oauth_pending WHERE state = $1").bind(state).execute(&mut *tx).await?;
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
