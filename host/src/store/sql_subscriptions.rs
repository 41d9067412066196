//! `SubscriptionStore` on SQL (SQLite or PostgreSQL).

use super::StoreError;
use super::StoredText;
use super::sql::{Dialect, SqlStore};
use super::subscriptions::*;
use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(e.to_string())
}

fn subscription_row(row: &AnyRow) -> Result<Subscription, StoreError> {
    let input: String = row.try_get("input")?;
    let destination: String = row.try_get("destination")?;
    let start: String = row.try_get("start_point")?;
    let state: String = row.try_get("state")?;
    Ok(Subscription {
        id: row.try_get("id")?,
        workspace: row.try_get("workspace")?,
        name: row.try_get("name")?,
        connector: row.try_get("connector")?,
        trigger: row.try_get("trigger_key")?,
        connection: row.try_get("connection")?,
        input: serde_json::from_str(&input).map_err(bad)?,
        interval_secs: row.try_get::<i64, _>("interval_secs")? as u32,
        reconcile: row.try_get::<i64, _>("reconcile")? != 0,
        start: Start::parse(&start).map_err(bad)?,
        destination: serde_json::from_str(&destination).map_err(bad)?,
        webhook_secret: row.try_get("webhook_secret")?,
        state: SubscriptionState::from_stored(&state)?,
        state_reason: row.try_get("state_reason")?,
        cursor: row.try_get("cursor")?,
        seeded: row.try_get::<i64, _>("seeded")? != 0,
        consecutive_failures: row.try_get::<i64, _>("consecutive_failures")? as u32,
        next_poll_at: row.try_get("next_poll_at")?,
        last_success_at: row.try_get("last_success_at")?,
        last_failure_at: row.try_get("last_failure_at")?,
        last_error: row.try_get("last_error")?,
        delivery_error: row.try_get("delivery_error")?,
        delivery_failing_since: row.try_get("delivery_failing_since")?,
        mapping: row.try_get("mapping")?,
        destination_schema: match row.try_get::<Option<String>, _>("destination_schema")? {
            Some(text) => Some(serde_json::from_str(&text).map_err(bad)?),
            None => None,
        },
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        lease_token: row.try_get("lease_token")?,
    })
}

/// Records on the subscription of delivery `seq` that it failed (or, with
/// `None`, that it succeeded), in the transaction that marks the delivery.
async fn note_delivery(tx: &mut sqlx::AnyConnection, seq: i64, error: Option<&str>) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE subscriptions SET delivery_error = $1, \
         delivery_failing_since = CASE WHEN $2 IS NULL THEN NULL ELSE COALESCE(delivery_failing_since, $3) END \
         WHERE id = (SELECT subscription FROM deliveries WHERE event_seq = $4)",
    )
    .bind(error)
    .bind(error)
    .bind(now())
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn event_row(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    let data: String = row.try_get("data")?;
    Ok(StoredEvent {
        seq: row.try_get("seq")?,
        subscription: row.try_get("subscription")?,
        event_id: row.try_get("event_id")?,
        occurred_at: row.try_get("occurred_at")?,
        data: serde_json::from_str(&data).map_err(bad)?,
        created_at: row.try_get("created_at")?,
    })
}

fn delivery_row(row: &AnyRow) -> Result<Delivery, StoreError> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        event: event_row(row)?,
        status: DeliveryStatus::from_stored(&status)?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        first_attempt_at: row.try_get("first_attempt_at")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

const DELIVERY_COLUMNS: &str = "e.seq, e.subscription, e.event_id, e.occurred_at, e.data, e.created_at, d.status, \
                                d.attempts, d.first_attempt_at, d.next_attempt_at, d.last_error, d.delivered_at";

#[async_trait]
impl SubscriptionStore for SqlStore {
    async fn insert_subscription(&self, s: &Subscription) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO subscriptions (id, workspace, name, connector, trigger_key, connection, input, interval_secs, \
             start_point, destination, webhook_secret, state, state_reason, cursor, seeded, consecutive_failures, \
             next_poll_at, mapping, destination_schema, created_at, updated_at, reconcile) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
        )
        .bind(&s.id)
        .bind(&s.workspace)
        .bind(&s.name)
        .bind(&s.connector)
        .bind(&s.trigger)
        .bind(&s.connection)
        .bind(s.input.to_string())
        .bind(i64::from(s.interval_secs))
        .bind(s.start.as_text())
        .bind(serde_json::to_string(&s.destination).map_err(bad)?)
        .bind(&s.webhook_secret)
        .bind(s.state.as_str())
        .bind(&s.state_reason)
        .bind(&s.cursor)
        .bind(i64::from(s.seeded))
        .bind(i64::from(s.consecutive_failures))
        .bind(s.next_poll_at)
        .bind(&s.mapping)
        .bind(s.destination_schema.as_ref().map(Value::to_string))
        .bind(&s.created_at)
        .bind(&s.updated_at)
        .bind(i64::from(s.reconcile))
        .execute(self.pool())
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Conflict(format!("a subscription named `{}`", s.name)))
            }
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn update_subscription_spec(&self, s: &Subscription) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE subscriptions SET connection = $1, input = $2, interval_secs = $3, destination = $4, \
             webhook_secret = COALESCE($5, webhook_secret), mapping = $6, destination_schema = $7, updated_at = $8, \
             reconcile = $9 WHERE id = $10",
        )
        .bind(&s.connection)
        .bind(s.input.to_string())
        .bind(i64::from(s.interval_secs))
        .bind(serde_json::to_string(&s.destination).map_err(bad)?)
        .bind(&s.webhook_secret)
        .bind(&s.mapping)
        .bind(s.destination_schema.as_ref().map(Value::to_string))
        .bind(now())
        .bind(i64::from(s.reconcile))
        .bind(&s.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn subscription(&self, workspace: &str, name: &str) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query("SELECT * FROM subscriptions WHERE workspace = $1 AND name = $2")
            .bind(workspace)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(subscription_row).transpose()
    }

    async fn subscription_by_id(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        let row = sqlx::query("SELECT * FROM subscriptions WHERE id = $1").bind(id).fetch_optional(self.pool()).await?;
        row.as_ref().map(subscription_row).transpose()
    }

    async fn subscriptions(&self, workspace: &str) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query("SELECT * FROM subscriptions WHERE workspace = $1 ORDER BY name")
            .bind(workspace)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(subscription_row).collect()
    }

    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query("SELECT * FROM subscriptions ORDER BY workspace, name").fetch_all(self.pool()).await?;
        rows.iter().map(subscription_row).collect()
    }

    async fn delete_subscription(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        for table in ["seen_events", "deliveries", "events"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE subscription = $1")).bind(id).execute(&mut *tx).await?;
        }
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn claim_due(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Subscription>, StoreError> {
        // PostgreSQL: rows another process is claiming right now are skipped,
        // not waited for. SQLite has one writer, so the statement is atomic.
        let skip_locked = if self.dialect() == Dialect::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let rows = sqlx::query(&format!(
            "UPDATE subscriptions SET lease_owner = $1, lease_until = $2, lease_token = lease_token + 1 \
             WHERE id IN (SELECT id FROM subscriptions WHERE state = 'active' AND next_poll_at <= $3 \
                 AND (lease_until IS NULL OR lease_until < $4) ORDER BY next_poll_at LIMIT $5 {skip_locked}) \
             RETURNING *"
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now_ms)
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        let mut claimed = rows.iter().map(subscription_row).collect::<Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|s| s.next_poll_at);
        Ok(claimed)
    }

    async fn renew_polls(&self, owner: &str, ids: &[String], until: i64) -> Result<u64, StoreError> {
        let mut renewed = 0;
        for chunk in ids.chunks(100) {
            let places: Vec<String> = (0..chunk.len()).map(|n| format!("${}", n + 3)).collect();
            let sql = format!(
                "UPDATE subscriptions SET lease_until = $1 WHERE lease_owner = $2 AND lease_until IS NOT NULL \
                 AND id IN ({})",
                places.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(until).bind(owner);
            for id in chunk {
                query = query.bind(id);
            }
            renewed += query.execute(self.pool()).await?.rows_affected();
        }
        Ok(renewed)
    }

    async fn renew_lanes(&self, owner: &str, until: i64) -> Result<u64, StoreError> {
        let lanes = sqlx::query(
            "UPDATE subscriptions SET delivery_until = $1 WHERE delivery_owner = $2 AND delivery_until IS NOT NULL",
        )
        .bind(until)
        .bind(owner)
        .execute(self.pool())
        .await?;
        Ok(lanes.rows_affected())
    }

    async fn lease_owners(&self) -> Result<Vec<String>, StoreError> {
        let owners = sqlx::query_scalar(
            "SELECT lease_owner FROM subscriptions WHERE lease_owner IS NOT NULL \
             UNION SELECT delivery_owner FROM subscriptions WHERE delivery_owner IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(owners)
    }

    async fn release_leases_of(&self, owner: &str) -> Result<u64, StoreError> {
        let polls =
            sqlx::query("UPDATE subscriptions SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1")
                .bind(owner)
                .execute(self.pool())
                .await?;
        self.release_deliveries(owner).await?;
        Ok(polls.rows_affected())
    }

    async fn leases_held(&self, owner: &str, now_ms: i64) -> Result<u64, StoreError> {
        let held: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM subscriptions WHERE lease_owner = $1 AND lease_until >= $2) + \
             (SELECT COUNT(*) FROM subscriptions WHERE delivery_owner = $3 AND delivery_until >= $4)",
        )
        .bind(owner)
        .bind(now_ms)
        .bind(owner)
        .bind(now_ms)
        .fetch_one(self.pool())
        .await?;
        Ok(held.max(0) as u64)
    }

    async fn waiting(&self, now_ms: i64) -> Result<Waiting, StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM subscriptions WHERE state = 'active' AND next_poll_at <= $1 \
                 AND (lease_until IS NULL OR lease_until < $2)) AS due_polls, \
             (SELECT COUNT(*) FROM deliveries WHERE status = 'pending') AS pending_deliveries, \
             (SELECT COUNT(*) FROM subscriptions WHERE lease_until >= $3) AS poll_leases",
        )
        .bind(now_ms)
        .bind(now_ms)
        .bind(now_ms)
        .fetch_one(self.pool())
        .await?;
        let count = |name: &str| row.try_get::<i64, _>(name).map(|n| n.max(0) as u64);
        Ok(Waiting {
            due_polls: count("due_polls")?,
            pending_deliveries: count("pending_deliveries")?,
            poll_leases: count("poll_leases")?,
        })
    }

    async fn commit_poll(&self, c: &PollCommit<'_>) -> Result<Vec<i64>, StoreError> {
        let mut tx = self.begin_write().await?;
        let stamp = now();
        let mut seqs = Vec::new();
        for event in c.events {
            let fresh =
                sqlx::query("INSERT INTO seen_events (subscription, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(c.subscription)
                    .bind(&event.id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
            if !fresh || c.seed {
                continue;
            }
            let seq: i64 = sqlx::query_scalar(
                "INSERT INTO events (subscription, event_id, occurred_at, data, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING seq",
            )
            .bind(c.subscription)
            .bind(&event.id)
            .bind(&event.occurred_at)
            .bind(event.data.to_string())
            .bind(&stamp)
            .fetch_one(&mut *tx)
            .await?;
            if c.deliver {
                sqlx::query(
                    "INSERT INTO deliveries (event_seq, subscription, status, next_attempt_at) VALUES ($1, $2, 'pending', 0)",
                )
                .bind(seq)
                .bind(c.subscription)
                .execute(&mut *tx)
                .await?;
            }
            seqs.push(seq);
        }
        // Keep the newest `seen_cap` ids: enough to dedupe, not everything forever.
        sqlx::query(
            "DELETE FROM seen_events WHERE subscription = $1 AND n <= \
             (SELECT n FROM seen_events WHERE subscription = $1 ORDER BY n DESC LIMIT 1 OFFSET $2)",
        )
        .bind(c.subscription)
        .bind(i64::from(c.seen_cap))
        .execute(&mut *tx)
        .await?;
        // The fence: nothing above lands unless this poll's claim is still the
        // latest (the transaction is dropped, so rolled back, when it is not).
        let update = match &c.next {
            Some(next) => sqlx::query(
                "UPDATE subscriptions SET cursor = $1, seeded = 1, consecutive_failures = 0, next_poll_at = $2, \
                 last_success_at = $3, last_error = NULL, updated_at = $4, \
                 lease_until = CASE WHEN $5 THEN NULL ELSE lease_until END, \
                 lease_owner = CASE WHEN $6 THEN NULL ELSE lease_owner END \
                 WHERE id = $7 AND ($8 IS NULL OR lease_token = $9)",
            )
            .bind(next.cursor)
            .bind(next.at)
            .bind(&stamp)
            .bind(&stamp)
            .bind(c.release)
            .bind(c.release),
            None => sqlx::query(
                "UPDATE subscriptions SET consecutive_failures = 0, last_success_at = $1, last_error = NULL, \
                 updated_at = $2 WHERE id = $3 AND ($4 IS NULL OR lease_token = $5)",
            )
            .bind(&stamp)
            .bind(&stamp),
        };
        let fenced = update.bind(c.subscription).bind(c.lease).bind(c.lease).execute(&mut *tx).await?;
        if fenced.rows_affected() == 0 && c.lease.is_some() {
            // Handed back now, not when the pool next runs the dropped
            // transaction's rollback: the next writer need not wait for it.
            tx.rollback().await?;
            return Err(StoreError::LeaseLost);
        }
        tx.commit().await?;
        Ok(seqs)
    }

    async fn record_failure(&self, f: &PollFailure<'_>) -> Result<SubscriptionState, StoreError> {
        let mut tx = self.begin_write().await?;
        let failures: i64 = sqlx::query_scalar("SELECT consecutive_failures FROM subscriptions WHERE id = $1")
            .bind(f.subscription)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(0);
        let failures = if f.counts { failures + 1 } else { failures };
        let pause = f.counts && failures >= i64::from(f.pause_after);
        let state = if pause { SubscriptionState::Error } else { SubscriptionState::Active };
        let stamp = now();
        let done = sqlx::query(
            "UPDATE subscriptions SET consecutive_failures = $1, next_poll_at = $2, last_failure_at = $3, last_error = $4, \
             state = CASE WHEN $5 THEN 'error' ELSE state END, \
             state_reason = CASE WHEN $6 THEN $7 ELSE state_reason END, updated_at = $8, \
             lease_until = CASE WHEN $9 IS NULL THEN lease_until ELSE NULL END, \
             lease_owner = CASE WHEN $10 IS NULL THEN lease_owner ELSE NULL END \
             WHERE id = $11 AND ($12 IS NULL OR lease_token = $13)",
        )
        .bind(failures)
        .bind(f.next_poll_at)
        .bind(&stamp)
        .bind(f.error)
        .bind(pause)
        .bind(pause)
        .bind(format!("paused after {failures} failures in a row: {}", f.error))
        .bind(&stamp)
        .bind(f.lease)
        .bind(f.lease)
        .bind(f.subscription)
        .bind(f.lease)
        .bind(f.lease)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 && f.lease.is_some() {
            tx.rollback().await?;
            return Err(StoreError::LeaseLost);
        }
        tx.commit().await?;
        Ok(state)
    }

    async fn set_state(&self, id: &str, state: SubscriptionState, reason: Option<&str>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE subscriptions SET state = $1, state_reason = $2, consecutive_failures = \
             CASE WHEN $3 = 'active' THEN 0 ELSE consecutive_failures END, next_poll_at = \
             CASE WHEN $4 = 'active' THEN 0 ELSE next_poll_at END, updated_at = $5 WHERE id = $6",
        )
        .bind(state.as_str())
        .bind(reason)
        .bind(state.as_str())
        .bind(state.as_str())
        .bind(now())
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn events_after(&self, subscription: &str, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query("SELECT * FROM events WHERE subscription = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .bind(subscription)
            .bind(after)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(event_row).collect()
    }

    async fn latest_events(&self, subscription: &str, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query("SELECT * FROM events WHERE subscription = $1 ORDER BY seq DESC LIMIT $2")
            .bind(subscription)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(event_row).collect()
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let skip_locked = if self.dialect() == Dialect::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let lanes: Vec<String> = sqlx::query_scalar(&format!(
            "UPDATE subscriptions SET delivery_owner = $1, delivery_until = $2 \
             WHERE id IN (SELECT s.id FROM subscriptions s \
                 WHERE (s.delivery_until IS NULL OR s.delivery_until < $3) \
                 AND s.id IN (SELECT d.subscription FROM deliveries d \
                     WHERE d.status = 'pending' AND d.next_attempt_at <= $4) \
                 LIMIT $5 {skip_locked}) \
             RETURNING id"
        ))
        .bind(owner)
        .bind(lease_until)
        .bind(now_ms)
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        if lanes.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq \
             JOIN subscriptions s ON s.id = d.subscription AND s.delivery_owner = $1 AND s.delivery_until >= $2 \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $3 \
             AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.subscription = d.subscription \
                 AND p.status = 'pending' AND p.event_seq < d.event_seq AND p.next_attempt_at > $4) \
             ORDER BY d.event_seq LIMIT $5"
        ))
        .bind(owner)
        .bind(now_ms)
        .bind(now_ms)
        .bind(now_ms)
        .bind(i64::from(limit) * 16)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_row).collect()
    }

    async fn release_deliveries(&self, owner: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE subscriptions SET delivery_owner = NULL, delivery_until = NULL WHERE delivery_owner = $1")
            .bind(owner)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    async fn deliveries(
        &self,
        subscription: &str,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq \
             WHERE d.subscription = $1 AND ($2 IS NULL OR d.status = $3) ORDER BY d.event_seq DESC LIMIT $4"
        ))
        .bind(subscription)
        .bind(status.map(DeliveryStatus::as_str))
        .bind(status.map(DeliveryStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_row).collect()
    }

    async fn mark_delivered(&self, seq: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, last_error = NULL \
             WHERE event_seq = $2",
        )
        .bind(now())
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        note_delivery(&mut tx, seq, None).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mark_retry(
        &self,
        seq: i64,
        attempts: u32,
        first_attempt_at: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE deliveries SET attempts = $1, first_attempt_at = COALESCE(first_attempt_at, $2), next_attempt_at = $3, \
             last_error = $4 WHERE event_seq = $5",
        )
        .bind(i64::from(attempts))
        .bind(first_attempt_at)
        .bind(next_attempt_at)
        .bind(error)
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        note_delivery(&mut tx, seq, Some(error)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mark_dead(&self, seq: i64, attempts: u32, error: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE deliveries SET status = 'dead', attempts = $1, last_error = $2 WHERE event_seq = $3")
            .bind(i64::from(attempts))
            .bind(error)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        let dead = format!("dead-lettered after {attempts} attempts: {error}");
        note_delivery(&mut tx, seq, Some(&dead)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replay(&self, subscription: &str, seq: Option<i64>, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE deliveries SET status = 'pending', attempts = 0, first_attempt_at = NULL, next_attempt_at = $1 \
             WHERE subscription = $2 AND status = 'dead' AND ($3 IS NULL OR event_seq = $4)",
        )
        .bind(now_ms)
        .bind(subscription)
        .bind(seq)
        .bind(seq)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
