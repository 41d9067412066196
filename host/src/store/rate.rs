//! The request window shared by the processes on one PostgreSQL database:
//! one row per request the limit allows (`rate_slots`), each free again a
//! window after its last use. Taking one is a single statement; the
//! database's clock is the one all processes go by. A limit above
//! [`MAX_SHARED_LIMIT`] requests per window is kept by each process alone.

use super::sql::{Dialect, SqlStore};
use crate::egress::SharedWindow;
use async_trait::async_trait;
use std::time::Duration;

/// The largest window kept in rows; above it (far beyond any API's published
/// limit) each process keeps its own window.
const MAX_SHARED_LIMIT: u32 = 10_000;

const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

#[async_trait]
impl SharedWindow for SqlStore {
    async fn take(&self, account: &str, limit: u32, window: Duration) -> Result<Option<Duration>, String> {
        if self.dialect() != Dialect::Postgres || limit > MAX_SHARED_LIMIT {
            // One process owns a SQLite file; its own window is the whole truth.
            return Ok(None);
        }
        let limit = i64::from(limit.max(1));
        let window_ms = window.as_millis() as i64;
        let taken: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE rate_slots SET sent_at = {NOW_MS} WHERE account = $1 AND slot = \
             (SELECT slot FROM rate_slots WHERE account = $2 AND slot <= $3 AND sent_at <= {NOW_MS} - $4 \
              ORDER BY sent_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING slot"
        ))
        .bind(account)
        .bind(account)
        .bind(limit)
        .bind(window_ms)
        .fetch_optional(self.pool())
        .await
        .map_err(|e| e.to_string())?;
        if taken.is_some() {
            return Ok(None);
        }
        // No free slot: the account's slots may not exist yet, or all were used within the window.
        let made = sqlx::query(
            "INSERT INTO rate_slots (account, slot, sent_at) SELECT $1, g, 0 FROM generate_series(1, $2) AS g \
             ON CONFLICT DO NOTHING",
        )
        .bind(account)
        .bind(limit)
        .execute(self.pool())
        .await
        .map_err(|e| e.to_string())?;
        if made.rows_affected() > 0 {
            return Ok(Some(Duration::ZERO));
        }
        let wait: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT MIN(sent_at) + $1 - {NOW_MS} FROM rate_slots WHERE account = $2 AND slot <= $3"
        ))
        .bind(window_ms)
        .bind(account)
        .bind(limit)
        .fetch_one(self.pool())
        .await
        .map_err(|e| e.to_string())?;
        Ok(Some(Duration::from_millis(wait.unwrap_or(0).clamp(1, window_ms.max(1)) as u64)))
    }
}
