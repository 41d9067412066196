//! What the store keeps for trigger subscriptions: the subscription with its
//! cursor, the dedupe set, the events, and the delivery outbox.

use super::StoreError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where a new subscription starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Start {
    /// Record what exists, deliver what comes after.
    Now,
    /// Deliver everything that exists, then what comes after.
    All,
    /// Deliver what happened at or after this RFC 3339 time.
    Since(String),
}

impl Start {
    pub fn parse(s: &str) -> Result<Start, String> {
        match s {
            "" | "now" => Ok(Start::Now),
            "all" => Ok(Start::All),
            time => time
                .parse::<jiff::Timestamp>()
                .map(|t| Start::Since(t.to_string()))
                .map_err(|e| format!("start must be `now`, `all` or an RFC 3339 time like 2026-01-31T00:00:00Z ({e})")),
        }
    }

    pub fn as_text(&self) -> String {
        match self {
            Start::Now => "now".into(),
            Start::All => "all".into(),
            Start::Since(t) => t.clone(),
        }
    }
}

/// Where a subscription's events go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Destination {
    /// POST each event as JSON, signed, retried with backoff for up to 24 h.
    Webhook { url: String },
    /// Append each event as a JSON line.
    File { path: String },
    /// Print each event as a JSON line.
    Stdout,
    /// Keep events for pulling by cursor only.
    Pull,
}

impl Destination {
    /// `https://…`/`http://…`, `file:PATH`, `stdout` or `pull`.
    pub fn parse(s: &str) -> Result<Destination, String> {
        if s == "stdout" {
            Ok(Destination::Stdout)
        } else if s == "pull" {
            Ok(Destination::Pull)
        } else if let Some(path) = s.strip_prefix("file:") {
            Ok(Destination::File { path: path.into() })
        } else if s.starts_with("https://") || s.starts_with("http://") {
            url::Url::parse(s).map_err(|e| format!("destination `{s}` is not a URL: {e}"))?;
            Ok(Destination::Webhook { url: s.into() })
        } else {
            Err(format!("destination `{s}` must be a webhook URL, file:PATH, stdout or pull"))
        }
    }
}

/// active: polled; paused: by a person; error: paused by the host after
/// repeated failures that retrying cannot fix (`state_reason` says which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SubscriptionState {
    Active,
    Paused,
    Error,
}

impl super::StoredText for SubscriptionState {
    const WHAT: &'static str = "subscription state";
    const ALL: &'static [Self] = &[SubscriptionState::Active, SubscriptionState::Paused, SubscriptionState::Error];

    fn text(self) -> &'static str {
        self.as_str()
    }
}

impl SubscriptionState {
    /// The value as text (in the database and the API).
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionState::Active => "active",
            SubscriptionState::Paused => "paused",
            SubscriptionState::Error => "error",
        }
    }
}

/// A stored subscription.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    pub workspace: String,
    pub name: String,
    pub connector: String,
    pub trigger: String,
    /// The connection's name (or, for the CLI, a connection file).
    pub connection: String,
    #[schema(value_type = Object)]
    pub input: Value,
    pub interval_secs: u32,
    pub start: Start,
    pub destination: Destination,
    #[serde(skip)]
    pub webhook_secret: Option<Vec<u8>>,
    pub state: SubscriptionState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    #[serde(skip)]
    pub cursor: Option<String>,
    pub seeded: bool,
    pub consecutive_failures: u32,
    /// Unix milliseconds.
    pub next_poll_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// An event as stored, readable by sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    pub seq: i64,
    pub subscription: String,
    pub event_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
    pub created_at: String,
}

/// One event from a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: String,
    pub occurred_at: Option<String>,
    pub data: Value,
}

/// Delivery status of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Gave up after the retry window; replayable.
    Dead,
}

impl super::StoredText for DeliveryStatus {
    const WHAT: &'static str = "delivery status";
    const ALL: &'static [Self] = &[DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Dead];

    fn text(self) -> &'static str {
        self.as_str()
    }
}

impl DeliveryStatus {
    /// The value as text (in the database and the API).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Dead => "dead",
        }
    }
}

/// A delivery and the event it carries.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub event: StoredEvent,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_attempt_at: Option<i64>,
    pub next_attempt_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
}

/// What one poll changes, committed in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct PollCommit<'a> {
    pub subscription: &'a str,
    pub events: &'a [NewEvent],
    pub cursor: Option<&'a str>,
    /// A seed records ids without delivering.
    pub seed: bool,
    /// Whether events go to the outbox (not for pull-only subscriptions).
    pub deliver: bool,
    pub next_poll_at: i64,
    /// The most ids kept in the dedupe set.
    pub seen_cap: u32,
}

/// A failed poll.
#[derive(Debug, Clone, PartialEq)]
pub struct PollFailure<'a> {
    pub subscription: &'a str,
    pub error: &'a str,
    /// Whether it counts toward pausing (retrying cannot fix it).
    pub counts: bool,
    pub next_poll_at: i64,
    /// Pause once this many consecutive counted failures are reached.
    pub pause_after: u32,
}

#[async_trait]
pub trait SubscriptionStore: Send + Sync {
    async fn insert_subscription(&self, s: &Subscription) -> Result<(), StoreError>;
    /// Updates what a person can change (input, interval, destination,
    /// connection), keeping cursor, dedupe set and state.
    async fn update_subscription_spec(&self, s: &Subscription) -> Result<(), StoreError>;
    async fn subscription(&self, workspace: &str, name: &str) -> Result<Option<Subscription>, StoreError>;
    async fn subscription_by_id(&self, id: &str) -> Result<Option<Subscription>, StoreError>;
    async fn subscriptions(&self, workspace: &str) -> Result<Vec<Subscription>, StoreError>;
    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    async fn delete_subscription(&self, id: &str) -> Result<bool, StoreError>;
    async fn due_subscriptions(&self, now_ms: i64, limit: u32) -> Result<Vec<Subscription>, StoreError>;
    /// Commits a poll: new events (those whose ids are not yet seen), the
    /// dedupe set, the outbox and the cursor, together. Returns the new
    /// events' sequence numbers.
    async fn commit_poll(&self, commit: &PollCommit<'_>) -> Result<Vec<i64>, StoreError>;
    /// Records a failed poll; returns the state it left the subscription in.
    async fn record_failure(&self, failure: &PollFailure<'_>) -> Result<SubscriptionState, StoreError>;
    async fn set_state(&self, id: &str, state: SubscriptionState, reason: Option<&str>) -> Result<(), StoreError>;
    async fn events_after(&self, subscription: &str, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    async fn due_deliveries(&self, now_ms: i64, limit: u32) -> Result<Vec<Delivery>, StoreError>;
    async fn deliveries(
        &self,
        subscription: &str,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    async fn mark_delivered(&self, seq: i64) -> Result<(), StoreError>;
    async fn mark_retry(
        &self,
        seq: i64,
        attempts: u32,
        first_attempt_at: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError>;
    async fn mark_dead(&self, seq: i64, attempts: u32, error: &str) -> Result<(), StoreError>;
    /// Puts dead deliveries of a subscription (or one) back in the outbox.
    async fn replay(&self, subscription: &str, seq: Option<i64>, now_ms: i64) -> Result<u64, StoreError>;
}
