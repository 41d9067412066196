//! Webhooks received from apps, stored before they are acknowledged: the
//! receiver answers 200 only once a receipt is committed, and the router
//! turns pending receipts into subscriptions' events later, so a crash in
//! between loses nothing. A webhook id is stored once per app: a replay is
//! acknowledged and dropped.

use super::StoreError;
use super::sql::SqlStore;
use async_trait::async_trait;
use sqlx::Row;

/// A verified webhook, as the receiver stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReceipt {
    /// The app (the `[hooks.<app>]` table) it came to.
    pub app: String,
    /// The sender's id for it (GHL: `webhookId`).
    pub webhook_id: String,
    /// Its event type (GHL: `type`).
    pub event_type: String,
    /// The account it is about, when it says (GHL: `locationId`).
    pub location_id: Option<String>,
    /// The agency it is about, when it says (GHL: `companyId`).
    pub company_id: Option<String>,
    /// The body as received.
    pub body: String,
    /// When it arrived, unix ms.
    pub received_at: i64,
}

/// A stored receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    /// Its place in arrival order.
    pub seq: i64,
    /// What was received.
    pub receipt: NewReceipt,
}

/// Durable webhook receipts; [`SqlStore`] implements it.
#[async_trait]
pub trait HookStore: Send + Sync {
    /// Stores a receipt; false (and nothing stored) when the app already has
    /// one with this webhook id.
    async fn insert_receipt(&self, receipt: &NewReceipt) -> Result<bool, StoreError>;
    /// Receipts not yet routed, oldest first.
    async fn pending_receipts(&self, limit: u32) -> Result<Vec<Receipt>, StoreError>;
    /// Marks a receipt routed: its events are in the outbox.
    async fn mark_routed(&self, seq: i64, at_ms: i64) -> Result<(), StoreError>;
}

#[async_trait]
impl HookStore for SqlStore {
    async fn insert_receipt(&self, r: &NewReceipt) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO hook_receipts (app, webhook_id, event_type, location_id, company_id, body, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (app, webhook_id) DO NOTHING",
        )
        .bind(&r.app)
        .bind(&r.webhook_id)
        .bind(&r.event_type)
        .bind(&r.location_id)
        .bind(&r.company_id)
        .bind(&r.body)
        .bind(r.received_at)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn pending_receipts(&self, limit: u32) -> Result<Vec<Receipt>, StoreError> {
        let rows = sqlx::query("SELECT * FROM hook_receipts WHERE routed_at IS NULL ORDER BY seq LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Receipt {
                    seq: row.try_get("seq")?,
                    receipt: NewReceipt {
                        app: row.try_get("app")?,
                        webhook_id: row.try_get("webhook_id")?,
                        event_type: row.try_get("event_type")?,
                        location_id: row.try_get("location_id")?,
                        company_id: row.try_get("company_id")?,
                        body: row.try_get("body")?,
                        received_at: row.try_get("received_at")?,
                    },
                })
            })
            .collect()
    }

    async fn mark_routed(&self, seq: i64, at_ms: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE hook_receipts SET routed_at = $1 WHERE seq = $2")
            .bind(at_ms)
            .bind(seq)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
