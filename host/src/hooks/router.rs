//! Routes stored webhook receipts to the subscriptions they concern: those
//! of an instant trigger that accepts the receipt's event type, on a
//! connection to the same account (GHL: `locationId`, else `companyId`).
//! Each gets the connector's `transform` of the payload, committed like a
//! poll (dedupe set, outbox) so delivery, retries and dead letters are the
//! same. A receipt is marked routed only after every commit: a crash routes
//! it again, and the dedupe set drops what was already committed.

use crate::runtime::{Registry, Runtime};
use crate::store::{
    AccessStore, ConnectionStatus, ConnectionStore, Destination, HookStore, NewEvent, NewReceipt, PollCommit,
    PollFailure, Receipt, StoreError, Subscription, SubscriptionState, SubscriptionStore,
};
use crate::subscriptions::ConnectionResolver;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// A store that keeps receipts, subscriptions and connections.
pub trait RouterStore: HookStore + SubscriptionStore + ConnectionStore + AccessStore {}
impl<T: HookStore + SubscriptionStore + ConnectionStore + AccessStore> RouterStore for T {}

/// GHL's event types for the app being removed from (or added to) an account.
fn is_uninstall(event_type: &str) -> bool {
    matches!(event_type, "AppUninstall" | "UNINSTALL")
}

/// Turns receipts into subscriptions' events.
pub struct HookRouter {
    runtime: Arc<Runtime>,
    store: Arc<dyn RouterStore>,
    registry: Arc<Registry>,
    resolver: Arc<dyn ConnectionResolver>,
    /// Woken by the receiver when a receipt is stored.
    receipts: Arc<Notify>,
    /// Wakes the deliverer when events were committed.
    deliverer: Arc<Notify>,
    seen_cap: u32,
}

/// What a routing pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RouteReport {
    /// Receipts routed.
    pub receipts: usize,
    /// New events committed.
    pub events: usize,
}

/// The parts a router is made of.
pub struct RouterParts {
    /// Runs the connectors' `transform`.
    pub runtime: Arc<Runtime>,
    /// Receipts and subscriptions.
    pub store: Arc<dyn RouterStore>,
    /// The loaded connectors.
    pub registry: Arc<Registry>,
    /// A subscription's connection.
    pub resolver: Arc<dyn ConnectionResolver>,
    /// Notified when a receipt is stored.
    pub receipts: Arc<Notify>,
    /// Notified when events are committed.
    pub deliverer: Arc<Notify>,
    /// The most ids kept per subscription's dedupe set.
    pub seen_cap: u32,
}

impl HookRouter {
    /// A router over these parts.
    pub fn new(parts: RouterParts) -> Arc<HookRouter> {
        Arc::new(HookRouter {
            runtime: parts.runtime,
            store: parts.store,
            registry: parts.registry,
            resolver: parts.resolver,
            receipts: parts.receipts,
            deliverer: parts.deliverer,
            seen_cap: parts.seen_cap,
        })
    }

    /// Routes receipts until `stop` turns true.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            match self.route_pending().await {
                Ok(report) if report.receipts > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!("routing webhooks failed (they stay stored and are tried again): {e}"),
            }
            tokio::select! {
                _ = self.receipts.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Routes every pending receipt once.
    pub async fn route_pending(&self) -> Result<RouteReport, StoreError> {
        let mut report = RouteReport::default();
        let receipts = self.store.pending_receipts(100).await?;
        if receipts.is_empty() {
            return Ok(report);
        }
        let mut subscriptions = self.store.all_subscriptions().await?;
        for receipt in receipts {
            if is_uninstall(&receipt.receipt.event_type) {
                self.uninstalled(&receipt.receipt, &subscriptions).await?;
                subscriptions = self.store.all_subscriptions().await?;
            }
            report.events += self.route(&receipt, &subscriptions).await?;
            self.store.mark_routed(receipt.seq, jiff::Timestamp::now().as_millisecond()).await?;
            report.receipts += 1;
        }
        if report.events > 0 {
            self.deliverer.notify_one();
        }
        Ok(report)
    }

    async fn route(&self, receipt: &Receipt, subscriptions: &[Subscription]) -> Result<usize, StoreError> {
        let r = &receipt.receipt;
        let Ok(payload) = serde_json::from_str::<Value>(&r.body) else { return Ok(0) };
        let mut committed = 0;
        for sub in subscriptions.iter().filter(|s| s.state == SubscriptionState::Active) {
            let Some(connector) = self.registry.get(&sub.connector) else { continue };
            let accepts = connector
                .manifest
                .trigger(&sub.trigger)
                .and_then(|t| t.instant.as_ref())
                .is_some_and(|i| i.event_types.contains(&r.event_type));
            if !accepts {
                continue;
            }
            let connection = match self.resolver.resolve(&sub.workspace, &sub.connection, &connector.manifest).await {
                Ok(c) => c,
                Err(e) => {
                    self.failed(sub, &format!("connection `{}`: {e}", sub.connection)).await?;
                    continue;
                }
            };
            let fact = |name: &str| connection.facts.get(name).and_then(Value::as_str).map(str::to_string);
            let same_account = match (&r.location_id, &r.company_id) {
                (Some(location), _) => fact("locationId").as_deref() == Some(location),
                (None, Some(company)) => fact("companyId").as_deref() == Some(company),
                (None, None) => false,
            };
            if !same_account {
                continue;
            }
            let events = match self
                .runtime
                .transform(&connector, &connection, &sub.trigger, &sub.input, &r.event_type, &payload)
                .await
            {
                Ok(events) => events,
                Err(e) => {
                    self.failed(sub, &format!("webhook `{}`: {e}", r.webhook_id)).await?;
                    continue;
                }
            };
            let events: Vec<NewEvent> =
                events.into_iter().map(|e| NewEvent { id: e.id, occurred_at: e.occurred_at, data: e.data }).collect();
            let commit = PollCommit {
                subscription: &sub.id,
                events: &events,
                seed: false,
                deliver: sub.destination != Destination::Pull,
                next: None,
                seen_cap: self.seen_cap,
                lease: None,
                release: false,
            };
            committed += self.store.commit_poll(&commit).await?.len();
        }
        Ok(committed)
    }

    /// The app was uninstalled from an account: its connections cannot work
    /// until it is installed and connected again, and their subscriptions
    /// pause, saying why, instead of failing poll after poll.
    async fn uninstalled(&self, r: &NewReceipt, subscriptions: &[Subscription]) -> Result<(), StoreError> {
        let (account, fact) = match (&r.location_id, &r.company_id) {
            (Some(location), _) => (location.as_str(), "locationId"),
            (None, Some(company)) => (company.as_str(), "companyId"),
            (None, None) => return Ok(()),
        };
        let reason = format!(
            "the GHL app was uninstalled from {} {account}; install it again, then reconnect this connection",
            if fact == "locationId" { "location" } else { "company" }
        );
        for workspace in self.store.workspaces().await? {
            for connection in self.store.connections(&workspace).await? {
                if connection.facts.get(fact).and_then(Value::as_str) != Some(account) {
                    continue;
                }
                self.store.set_status(&connection.id, ConnectionStatus::ReconnectRequired, Some(&reason)).await?;
                for sub in subscriptions.iter().filter(|s| {
                    s.workspace == workspace && s.connection == connection.name && s.state == SubscriptionState::Active
                }) {
                    self.store.set_state(&sub.id, SubscriptionState::Paused, Some(&reason)).await?;
                }
                tracing::warn!(workspace, connection = %connection.name, "{reason}");
            }
        }
        Ok(())
    }

    async fn failed(&self, sub: &Subscription, error: &str) -> Result<(), StoreError> {
        tracing::warn!(subscription = %sub.name, "an instant event could not be made: {error}");
        let failure = PollFailure {
            subscription: &sub.id,
            error,
            counts: true,
            next_poll_at: sub.next_poll_at,
            pause_after: 3,
            lease: None,
        };
        self.store.record_failure(&failure).await.map(|_| ())
    }
}
