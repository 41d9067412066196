//! Versioned schema migrations. Each runs once, in order, inside a
//! transaction; the applied version is recorded in `schema_version`.

/// (version, what it adds, SQL). Never edit a released entry: add one.
pub(super) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
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
    ),
    (
        2,
        "subscriptions, their dedupe set, events and the delivery outbox",
        r#"
    CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        connector TEXT NOT NULL,
        trigger_key TEXT NOT NULL,
        connection TEXT NOT NULL,
        input TEXT NOT NULL,
        interval_secs INTEGER NOT NULL,
        start_point TEXT NOT NULL,
        destination TEXT NOT NULL,
        webhook_secret BLOB,
        state TEXT NOT NULL,
        state_reason TEXT,
        cursor TEXT,
        seeded INTEGER NOT NULL DEFAULT 0,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_poll_at INTEGER NOT NULL,
        last_success_at TEXT,
        last_failure_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (workspace, name)
    );
    CREATE INDEX subscriptions_due ON subscriptions (state, next_poll_at);
    CREATE TABLE seen_events (
        subscription TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (subscription, event_id)
    );
    CREATE INDEX seen_events_order ON seen_events (subscription);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription TEXT NOT NULL,
        event_id TEXT NOT NULL,
        occurred_at TEXT,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX events_by_subscription ON events (subscription, seq);
    CREATE TABLE deliveries (
        event_seq INTEGER PRIMARY KEY,
        subscription TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        first_attempt_at INTEGER,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        delivered_at TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
    CREATE INDEX deliveries_by_subscription ON deliveries (subscription, status);
    "#,
    ),
    (
        3,
        "workspaces and hashed API keys",
        r#"
    CREATE TABLE workspaces (
        name TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
    );
    CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    "#,
    ),
    (
        4,
        "API keys can expire and be revoked",
        r#"
    ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
    ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
    "#,
    ),
    (
        5,
        "a subscription shows its failing deliveries",
        r#"
    ALTER TABLE subscriptions ADD COLUMN delivery_error TEXT;
    ALTER TABLE subscriptions ADD COLUMN delivery_failing_since TEXT;
    "#,
    ),
    (
        6,
        "console sign-in sessions",
        r#"
    CREATE TABLE console_sessions (
        hash TEXT PRIMARY KEY,
        workspace TEXT,
        admin INTEGER NOT NULL,
        key_hash TEXT NOT NULL,
        csrf TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    "#,
    ),
    (
        7,
        "subscriptions' field mappings",
        r#"
    ALTER TABLE subscriptions ADD COLUMN mapping TEXT;
    ALTER TABLE subscriptions ADD COLUMN destination_schema TEXT;
    "#,
    ),
    (
        8,
        "webhooks received from apps (instant triggers)",
        r#"
    CREATE TABLE hook_receipts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        app TEXT NOT NULL,
        webhook_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        location_id TEXT,
        company_id TEXT,
        body TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        routed_at INTEGER,
        UNIQUE (app, webhook_id)
    );
    CREATE INDEX hook_receipts_pending ON hook_receipts (routed_at, seq);
    "#,
    ),
    (
        9,
        "reconciling polls of instant triggers",
        r#"
    ALTER TABLE subscriptions ADD COLUMN reconcile INTEGER NOT NULL DEFAULT 0;
    "#,
    ),
];
