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
    /// Reads a start point as the API and the CLI take it: `now` (or empty), `all`, or an RFC 3339 time.
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

    /// The start point as stored and shown: `now`, `all` or the RFC 3339 time.
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
    Webhook {
        /// The receiver's `https://` or `http://` URL; the egress guard checks it on every attempt.
        url: String,
    },
    /// Append each event as a JSON line.
    File {
        /// The file appended to, created if missing.
        path: String,
    },
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
    /// Polled when due.
    Active,
    /// Paused by a person; not polled until resumed.
    Paused,
    /// Paused by the host after repeated failures; not polled until resumed.
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
    /// Stable identifier, 24 hex characters, chosen by the host when the subscription is built.
    pub id: String,
    /// The workspace that owns it; no other workspace can see it.
    pub workspace: String,
    /// The builder's name for it, unique within the workspace.
    pub name: String,
    /// Id of the connector whose trigger is polled.
    pub connector: String,
    /// Key of the trigger in the connector's manifest.
    pub trigger: String,
    /// The connection's name (or, for the CLI, a connection file).
    pub connection: String,
    /// The trigger's input, checked against its input schema when the subscription was made.
    #[schema(value_type = Object)]
    pub input: Value,
    /// Seconds between polls, within the range the trigger and the host allow.
    pub interval_secs: u32,
    /// For an instant trigger that can reconcile: whether it is also polled,
    /// every `interval_secs`, to catch what a lost webhook missed.
    pub reconcile: bool,
    /// Where the first poll starts; it matters only until the subscription is seeded.
    pub start: Start,
    /// Where its events are delivered.
    pub destination: Destination,
    /// The webhook signing secret, sealed by the vault under the subscription's id; `None` unless
    /// the destination is a webhook. Never serialised.
    #[serde(skip)]
    pub webhook_secret: Option<Vec<u8>>,
    /// Whether it is polled, paused by a person, or paused by the host.
    pub state: SubscriptionState,
    /// Why it is paused; `None` when active or when no reason was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<String>,
    /// The trigger's opaque cursor from the last committed poll; `None` before the first or when the
    /// trigger keeps none. Never serialised.
    #[serde(skip)]
    pub cursor: Option<String>,
    /// Whether a poll has been committed; until then the start point applies.
    pub seeded: bool,
    /// Failed polls in a row that count toward pausing; a successful poll or a resume resets it.
    pub consecutive_failures: u32,
    /// Unix milliseconds.
    pub next_poll_at: i64,
    /// When a poll last committed (RFC 3339); `None` if none has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<String>,
    /// When a poll last failed (RFC 3339); `None` if none has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure_at: Option<String>,
    /// The last failed poll's message; `None` once a poll succeeds after it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Why its last delivery attempt failed, while deliveries fail; `None`
    /// once one succeeds. A builder sees here a destination that keeps refusing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_error: Option<String>,
    /// Since when deliveries have failed without one succeeding (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery_failing_since: Option<String>,
    /// The jq program each event's data goes through before delivery;
    /// `None` delivers the data as the trigger reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
    /// A JSON Schema the mapped data must match, when the destination wants one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub destination_schema: Option<Value>,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When its row last changed (RFC 3339): an edit, a poll or a change of state.
    pub updated_at: String,
    /// The fencing token of the latest claim on its next poll
    /// ([`SubscriptionStore::claim_due`]); a poll commits only while no
    /// later claim has been made. Never serialised.
    #[serde(skip)]
    pub lease_token: i64,
}

/// An event as stored, readable by sequence number.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// Sequence number, increasing across the store; builders pull events after one.
    pub seq: i64,
    /// Id of the subscription whose poll found it.
    pub subscription: String,
    /// The connector's id for the event, unique within the subscription (the dedupe key).
    pub event_id: String,
    /// When it happened (RFC 3339), when the connector said; `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    /// The payload, valid against the trigger's output schema.
    #[schema(value_type = Object)]
    pub data: Value,
    /// When the host stored it (RFC 3339).
    pub created_at: String,
}

/// One event from a poll.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// The connector's stable id for it; an id the subscription has seen is dropped.
    pub id: String,
    /// When it happened (RFC 3339), when the connector said; `None` otherwise.
    pub occurred_at: Option<String>,
    /// The payload, valid against the trigger's output schema.
    pub data: Value,
}

/// Delivery status of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The destination accepted it.
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
    /// The event being delivered.
    pub event: StoredEvent,
    /// Whether it is waiting, done or given up on.
    pub status: DeliveryStatus,
    /// Attempts made so far, successful or not.
    pub attempts: u32,
    /// When the first failed attempt was made, unix ms; the retry window counts from it. `None`
    /// until an attempt fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_attempt_at: Option<i64>,
    /// When it may next be attempted, unix ms (`0`: at once).
    pub next_attempt_at: i64,
    /// Why the last attempt failed; `None` before any failure and once delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the destination accepted it (RFC 3339); `None` until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
}

/// What one poll changes, committed in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct PollCommit<'a> {
    /// Id of the subscription polled.
    pub subscription: &'a str,
    /// The events the poll returned, oldest first.
    pub events: &'a [NewEvent],
    /// A seed records ids without delivering.
    pub seed: bool,
    /// Whether events go to the outbox (not for pull-only subscriptions).
    pub deliver: bool,
    /// The poll's cursor and schedule; `None` for events a webhook brought,
    /// which leave the cursor, the schedule and the seeding to the polls.
    pub next: Option<NextPoll<'a>>,
    /// The most ids kept in the dedupe set.
    pub seen_cap: u32,
    /// The claim the poll was made under: the commit is refused
    /// ([`StoreError::LeaseLost`]) when another claim was made since, so a
    /// process that stalled past its lease cannot commit a stale poll.
    /// `None` for events a webhook brought, which dedupe instead.
    pub lease: Option<i64>,
    /// Whether the turn ends with this commit, handing the lease back.
    pub release: bool,
}

/// What a poll leaves for the next one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextPoll<'a> {
    /// The trigger's cursor for the next poll; `None` when it keeps none.
    pub cursor: Option<&'a str>,
    /// When to poll next, unix ms.
    pub at: i64,
}

/// A failed poll.
#[derive(Debug, Clone, PartialEq)]
pub struct PollFailure<'a> {
    /// Id of the subscription polled.
    pub subscription: &'a str,
    /// What went wrong; kept as the subscription's `last_error`.
    pub error: &'a str,
    /// Whether it counts toward pausing (retrying cannot fix it).
    pub counts: bool,
    /// When to poll next, unix ms.
    pub next_poll_at: i64,
    /// Pause once this many consecutive counted failures are reached.
    pub pause_after: u32,
    /// The claim the poll was made under (see [`PollCommit::lease`]); the lease is handed back.
    pub lease: Option<i64>,
}

/// Work waiting in the store, for `/metrics` and `/readyz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Waiting {
    /// Active subscriptions due now that no live lease holds.
    pub due_polls: u64,
    /// Deliveries pending, due now or waiting for a retry.
    pub pending_deliveries: u64,
    /// Live leases on polls, across every process.
    pub poll_leases: u64,
}

/// Durable state of subscriptions, their events and the delivery outbox; [`super::SqlStore`]
/// implements it.
#[async_trait]
pub trait SubscriptionStore: Send + Sync {
    /// Stores a new subscription; `Conflict` when its name is taken in the workspace.
    async fn insert_subscription(&self, s: &Subscription) -> Result<(), StoreError>;
    /// Updates what a person can change (input, interval, destination,
    /// connection), keeping cursor, dedupe set and state.
    async fn update_subscription_spec(&self, s: &Subscription) -> Result<(), StoreError>;
    /// The subscription with this name in the workspace, if any.
    async fn subscription(&self, workspace: &str, name: &str) -> Result<Option<Subscription>, StoreError>;
    /// The subscription with this id, whatever its workspace.
    async fn subscription_by_id(&self, id: &str) -> Result<Option<Subscription>, StoreError>;
    /// A workspace's subscriptions, by name.
    async fn subscriptions(&self, workspace: &str) -> Result<Vec<Subscription>, StoreError>;
    /// Every subscription, by workspace and name.
    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    /// Deletes a subscription with its events, dedupe set and deliveries; false when there was none.
    async fn delete_subscription(&self, id: &str) -> Result<bool, StoreError>;
    /// Claims for `owner`, until `lease_until` (unix ms), up to `limit` active
    /// subscriptions due at `now_ms` that no live lease holds, the longest
    /// overdue first; each comes back with its new [`Subscription::lease_token`].
    /// Processes sharing a database never claim the same one at once.
    async fn claim_due(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Subscription>, StoreError>;
    /// Extends `owner`'s leases on the polls of `ids` (those it is working on) to `until` (unix ms).
    async fn renew_polls(&self, owner: &str, ids: &[String], until: i64) -> Result<u64, StoreError>;
    /// Extends `owner`'s claims on delivery lanes to `until` (unix ms), while a pass delivers them.
    async fn renew_lanes(&self, owner: &str, until: i64) -> Result<u64, StoreError>;
    /// Every owner named on a lease, live or run out.
    async fn lease_owners(&self) -> Result<Vec<String>, StoreError>;
    /// Hands back every lease `owner` holds, for an owner known to be dead.
    async fn release_leases_of(&self, owner: &str) -> Result<u64, StoreError>;
    /// Live leases `owner` holds on polls and on delivery lanes at `now_ms`.
    async fn leases_held(&self, owner: &str, now_ms: i64) -> Result<u64, StoreError>;
    /// What is waiting at `now_ms`.
    async fn waiting(&self, now_ms: i64) -> Result<Waiting, StoreError>;
    /// Commits a poll: new events (those whose ids are not yet seen), the
    /// dedupe set, the outbox and the cursor, together. Returns the new
    /// events' sequence numbers.
    async fn commit_poll(&self, commit: &PollCommit<'_>) -> Result<Vec<i64>, StoreError>;
    /// Records a failed poll; returns the state it left the subscription in.
    async fn record_failure(&self, failure: &PollFailure<'_>) -> Result<SubscriptionState, StoreError>;
    /// Sets the state and its reason; setting it active resets the failure count and makes it due at once.
    async fn set_state(&self, id: &str, state: SubscriptionState, reason: Option<&str>) -> Result<(), StoreError>;
    /// Up to `limit` of a subscription's events with a sequence number above `after`, oldest first.
    async fn events_after(&self, subscription: &str, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// A subscription's latest `limit` events, newest first.
    async fn latest_events(&self, subscription: &str, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// Claims for `owner`, until `lease_until`, the delivery lanes of up to
    /// `limit` subscriptions with deliveries due at `now_ms` that no live lease
    /// holds, and returns their due deliveries in event order; one waiting for
    /// a retry holds back its subscription's later ones. A lane is one
    /// process's at a time, so each subscription's events arrive in order.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now_ms: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Hands back the delivery lanes `owner` holds.
    async fn release_deliveries(&self, owner: &str) -> Result<(), StoreError>;
    /// Up to `limit` of a subscription's deliveries, newest first, only those with `status` when given.
    async fn deliveries(
        &self,
        subscription: &str,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Records that the delivery of event `seq` succeeded.
    async fn mark_delivered(&self, seq: i64) -> Result<(), StoreError>;
    /// Records a failed attempt at event `seq` and when to try again (unix ms); an earlier
    /// `first_attempt_at` is kept.
    async fn mark_retry(
        &self,
        seq: i64,
        attempts: u32,
        first_attempt_at: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Gives up on the delivery of event `seq`; [`SubscriptionStore::replay`] can bring it back.
    async fn mark_dead(&self, seq: i64, attempts: u32, error: &str) -> Result<(), StoreError>;
    /// Puts dead deliveries of a subscription (or one) back in the outbox.
    async fn replay(&self, subscription: &str, seq: Option<i64>, now_ms: i64) -> Result<u64, StoreError>;
}
