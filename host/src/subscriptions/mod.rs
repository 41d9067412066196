//! Trigger subscriptions: "when this happens, deliver it there", exactly
//! once as far as the builder can tell (at-least-once delivery with a
//! stable idempotency key), across crashes, restarts and new connector
//! versions.

mod delivery;
mod poller;
mod resolver;
mod scheduler;
mod settings;

pub use delivery::{Deliverer, DelivererParts, sign};
pub use poller::PollReport;
pub use resolver::{ConnectionResolver, StoredConnections};
pub use scheduler::{Scheduler, SchedulerParts, lease_owner, release_dead_local_leases};
pub use settings::{DeliverySettings, SchedulerSettings};

pub use crate::runtime::Registry;
use crate::store::{
    Delivery, DeliveryStatus, Destination, Start, StoreError, StoredEvent, Subscription, SubscriptionState,
    SubscriptionStore,
};
use crate::vault::Vault;
use serde_json::Value;

/// Why a subscription could not be made or found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// The request breaks a rule: an unknown connector or trigger, no name, input the trigger's schema
    /// refuses, an interval out of range, or a start point the trigger does not offer.
    #[error("{0}")]
    Invalid(String),
    /// The webhook destination is an address deliveries may not reach.
    #[error("the destination cannot be delivered to: {0}")]
    Destination(crate::egress::EgressDenial),
    /// The mapping does not compile, or fails on the trigger's sample, or its
    /// output breaks the destination schema.
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
    /// The destination schema is not a JSON Schema.
    #[error("the destination schema is not a valid JSON Schema: {0}")]
    DestinationSchema(String),
    /// No subscription of that name in the workspace.
    #[error("no subscription named `{0}`")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a builder asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscription {
    /// The workspace it will belong to.
    pub workspace: String,
    /// Its name, unique within the workspace; it must not be blank.
    pub name: String,
    /// Id of the connector whose trigger is polled.
    pub connector: String,
    /// Key of the trigger in the connector's manifest.
    pub trigger: String,
    /// The connection's name (or, for the CLI, a connection file).
    pub connection: String,
    /// The trigger's input, checked against its input schema.
    pub input: Value,
    /// Seconds between polls; `None` for the trigger's default.
    pub interval_secs: Option<u32>,
    /// Whether an instant trigger's reconciling poll runs; `None` for yes
    /// where the trigger has one. Only such triggers take `Some(true)`.
    pub reconcile: Option<bool>,
    /// Where the first poll starts; the trigger must offer this start point.
    pub start: Start,
    /// Where its events go.
    pub destination: Destination,
    /// The webhook signing secret; generated when `None`.
    pub webhook_secret: Option<String>,
    /// The jq program shaping each event's data; see [`check_mapping`].
    pub mapping: Option<String>,
    /// A JSON Schema the mapped data must match.
    pub destination_schema: Option<Value>,
}

/// The shortest interval a builder may choose, in seconds; a trigger may set a longer minimum.
pub const MIN_INTERVAL_SECS: u32 = 60;
/// The longest interval a builder may choose, in seconds, unless the trigger's minimum is longer.
pub const MAX_INTERVAL_SECS: u32 = 15 * 60;

/// The longest interval of a reconciling poll, in seconds: a day.
pub const MAX_RECONCILE_SECS: u32 = 24 * 3600;

/// What checking a new subscription settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Seconds between polls.
    pub interval_secs: u32,
    /// Whether an instant trigger's reconciling poll runs.
    pub reconcile: bool,
}

/// Checks a new subscription against the connector's manifest.
pub fn validate(new: &NewSubscription, registry: &Registry) -> Result<Checked, SubscriptionError> {
    let invalid = |m: String| SubscriptionError::Invalid(m);
    let connector =
        registry.get(&new.connector).ok_or_else(|| invalid(format!("no connector `{}` is loaded", new.connector)))?;
    let trigger = connector.manifest.trigger(&new.trigger).ok_or_else(|| {
        let keys: Vec<&str> = connector.manifest.triggers.iter().map(|t| t.key.as_str()).collect();
        invalid(format!("{} has no trigger `{}`; it has: {}", new.connector, new.trigger, keys.join(", ")))
    })?;
    crate::names::NameKind::Subscription.check(&new.name).map_err(|e| invalid(e.to_string()))?;
    let schema = crate::schema::Schema::compile(&trigger.input_schema).map_err(invalid)?;
    schema.check(&new.input).map_err(|p| invalid(format!("invalid input: {}", crate::schema::describe(&p))))?;
    let reconcile = match new.reconcile {
        Some(true) if !trigger.reconciles() => {
            return Err(invalid(format!(
                "`{}` cannot reconcile: {}",
                new.trigger,
                if trigger.is_instant() {
                    "the API lists nothing its webhooks announce, so only webhooks bring its events"
                } else {
                    "it is polled already; `reconcile` is for instant triggers"
                }
            )));
        }
        wanted => wanted.unwrap_or(true) && trigger.reconciles(),
    };
    let interval = new.interval_secs.unwrap_or(trigger.poll.default_interval_seconds);
    let floor = MIN_INTERVAL_SECS.max(trigger.poll.min_interval_seconds);
    let ceiling = if trigger.reconciles() { MAX_RECONCILE_SECS } else { MAX_INTERVAL_SECS.max(floor) };
    if interval < floor || interval > ceiling {
        return Err(invalid(format!(
            "interval {interval} s is out of range: `{}` polls every {floor} to {ceiling} s",
            new.trigger
        )));
    }
    let wanted = match new.start {
        Start::Now => weft_manifest::StartPoint::Now,
        Start::All => weft_manifest::StartPoint::All,
        Start::Since(_) => weft_manifest::StartPoint::Since,
    };
    if !trigger.start_points.contains(&wanted) {
        return Err(invalid(format!("`{}` cannot start from `{}`", new.trigger, new.start.as_text())));
    }
    Ok(Checked { interval_secs: interval, reconcile })
}

/// Checks a subscription's mapping and destination schema before it is
/// stored: the schema must compile, and the mapping must compile and, run
/// on the trigger's sample, yield an object the schema accepts. A blank
/// mapping is no mapping.
pub async fn check_mapping(
    new: &mut NewSubscription,
    registry: &Registry,
    mapper: &crate::mapping::LazyMapper,
) -> Result<(), SubscriptionError> {
    if new.mapping.as_deref().is_some_and(|m| m.trim().is_empty()) {
        new.mapping = None;
    }
    if let Some(schema) = &new.destination_schema {
        crate::schema::Schema::compile(schema).map_err(SubscriptionError::DestinationSchema)?;
    }
    if new.mapping.is_none() && new.destination_schema.is_none() {
        return Ok(());
    }
    let sample = registry
        .get(&new.connector)
        .and_then(|c| c.manifest.trigger(&new.trigger).map(|t| t.sample.clone()))
        .ok_or_else(|| SubscriptionError::Invalid(format!("{} has no trigger `{}`", new.connector, new.trigger)))?;
    if let Some(program) = &new.mapping {
        mapper.check(program).await?;
    }
    crate::mapping::shape(mapper, new.mapping.as_deref(), new.destination_schema.as_ref(), &sample).await.map_err(
        |e| match e {
            crate::mapping::MappingError::Syntax { .. } => SubscriptionError::Mapping(e),
            other => SubscriptionError::Mapping(crate::mapping::MappingError::OnSample(Box::new(other))),
        },
    )?;
    Ok(())
}

/// Checks a webhook destination against the address rules deliveries follow.
pub async fn check_destination(
    destination: &Destination,
    policy: &crate::egress::DestinationPolicy,
) -> Result<(), SubscriptionError> {
    match destination {
        Destination::Webhook { url } => policy.check(url).await.map_err(SubscriptionError::Destination),
        _ => Ok(()),
    }
}

/// Builds the stored form of a validated subscription.
pub fn build(new: NewSubscription, checked: Checked, vault: &Vault) -> (Subscription, Option<String>) {
    let id = hex::encode(rand::random::<[u8; 12]>());
    let (secret, shown) = match (&new.destination, new.webhook_secret) {
        (Destination::Webhook { .. }, Some(secret)) => (Some(vault.seal(secret.as_bytes(), &id)), None),
        (Destination::Webhook { .. }, None) => {
            let secret = format!("whsec_{}", hex::encode(rand::random::<[u8; 24]>()));
            (Some(vault.seal(secret.as_bytes(), &id)), Some(secret))
        }
        _ => (None, None),
    };
    let now = jiff::Timestamp::now().to_string();
    let sub = Subscription {
        id,
        workspace: new.workspace,
        name: new.name,
        connector: new.connector,
        trigger: new.trigger,
        connection: new.connection,
        input: new.input,
        interval_secs: checked.interval_secs,
        reconcile: checked.reconcile,
        start: new.start,
        destination: new.destination,
        webhook_secret: secret,
        state: SubscriptionState::Active,
        state_reason: None,
        cursor: None,
        seeded: false,
        consecutive_failures: 0,
        next_poll_at: 0,
        last_success_at: None,
        last_failure_at: None,
        last_error: None,
        delivery_error: None,
        delivery_failing_since: None,
        mapping: new.mapping,
        destination_schema: new.destination_schema,
        created_at: now.clone(),
        updated_at: now,
        lease_token: 0,
    };
    (sub, shown)
}

/// Reads for builders: events by cursor and deliveries with their status.
pub async fn events(
    store: &dyn SubscriptionStore,
    subscription: &Subscription,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    store.events_after(&subscription.id, after, limit.clamp(1, 1000)).await
}

/// A subscription's latest 500 deliveries, newest first, only those with `status` when given.
pub async fn deliveries(
    store: &dyn SubscriptionStore,
    subscription: &Subscription,
    status: Option<DeliveryStatus>,
) -> Result<Vec<Delivery>, StoreError> {
    store.deliveries(&subscription.id, status, 500).await
}
