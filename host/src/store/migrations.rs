//! Versioned schema migrations. Each runs once, in order, inside a
//! transaction; the applied version is recorded in `schema_version`.

/// (version, what it adds, SQL). Never edit a released entry: add one.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "connections and pending OAuth authorizations",
    r#"
    CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        connector TEXT NOT NULL,
        kind TEXT NOT NULL,
        base_url TEXT NOT NULL,
        facts TEXT NOT NULL,
        sealed BLOB NOT NULL,
        key_id TEXT NOT NULL,
        expires_at INTEGER,
        status TEXT NOT NULL,
        status_message TEXT,
        token_version INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (workspace, name)
    );
    CREATE TABLE oauth_pending (
        state TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        connector TEXT NOT NULL,
        name TEXT NOT NULL,
        base_url TEXT NOT NULL,
        redirect_uri TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    "#,
)];
