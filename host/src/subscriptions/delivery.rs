//! Delivering events from the outbox: signed webhook POSTs retried with
//! backoff for up to a day then dead-lettered, or JSON lines to a file or
//! stdout. Delivery is at least once; the `Idempotency-Key` lets a receiver
//! drop repeats.

use super::settings::DeliverySettings;
use crate::egress::{EgressConfig, EgressPolicy, HttpClient, Origin};
use crate::mapping::LazyMapper;
use crate::store::{Delivery, Destination, Subscription, SubscriptionStore};
use crate::vault::Vault;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How often the outbox is looked at when nothing wakes the deliverer.
const IDLE: Duration = Duration::from_millis(500);

/// The `Weft-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap_or_else(|_| {
        // HMAC accepts keys of any length; this cannot happen.
        Hmac::<sha2::Sha256>::new_from_slice(b"").unwrap_or_else(|_| unreachable!())
    });
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delivers the outbox: each subscription's events in order, subscriptions side by side.
#[derive(Clone)]
pub struct Deliverer {
    store: Arc<dyn SubscriptionStore>,
    client: HttpClient,
    egress: EgressConfig,
    vault: Arc<Vault>,
    mapper: Arc<LazyMapper>,
    settings: DeliverySettings,
    wake: Arc<Notify>,
    metrics: Arc<crate::metrics::Metrics>,
    owner: Arc<str>,
    lease: Duration,
}

/// Delivery lanes claimed per pass.
const LANES_PER_PASS: u32 = 256;

/// What a [`Deliverer`] works with.
pub struct DelivererParts {
    /// The outbox.
    pub store: Arc<dyn SubscriptionStore>,
    /// The HTTP client webhooks are posted with (behind the address guard).
    pub client: HttpClient,
    /// What destinations may be reached beyond public https.
    pub egress: EgressConfig,
    /// Opens the webhook signing secrets.
    pub vault: Arc<Vault>,
    /// Runs subscriptions' mappings.
    pub mapper: Arc<LazyMapper>,
    /// Timeouts, retries and concurrency (`[delivery]`).
    pub settings: DeliverySettings,
    /// Notified to start a pass at once (the scheduler does after a poll that found events).
    pub wake: Arc<Notify>,
    /// Where delivery outcomes are counted.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// This process's name on the delivery lanes it claims (the scheduler's, which renews them).
    pub owner: Arc<str>,
    /// How long a claim on a lane lasts without renewal.
    pub lease: Duration,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Deliverer {
    /// Builds a deliverer over the store.
    pub fn new(parts: DelivererParts) -> Arc<Deliverer> {
        let DelivererParts { store, client, egress, vault, mapper, settings, wake, metrics, owner, lease } = parts;
        Arc::new(Deliverer { store, client, egress, vault, mapper, settings, wake, metrics, owner, lease })
    }

    /// Delivers until `shutdown`; what is in flight then finishes or stays pending.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            let delivered = self.deliver_due_now().await;
            if delivered == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE) => {}
                    _ = self.wake.notified() => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// One pass over the due outbox: each subscription's deliveries in order,
    /// subscriptions side by side, on the lanes this process claimed (handed
    /// back at the end). Returns how many were attempted.
    pub async fn deliver_due_now(&self) -> usize {
        let attempted = self.deliver_claimed().await;
        if let Err(e) = self.store.release_deliveries(&self.owner).await {
            tracing::error!("handing back delivery lanes failed: {e}");
        }
        attempted
    }

    async fn deliver_claimed(&self) -> usize {
        let now = now_ms();
        let until = now + self.lease.as_millis() as i64;
        let due = match self.store.claim_deliveries(&self.owner, now, until, LANES_PER_PASS).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!("reading the outbox failed: {e}");
                return 0;
            }
        };
        let count = due.len();
        let mut by_subscription: HashMap<String, Vec<Delivery>> = HashMap::new();
        for d in due {
            by_subscription.entry(d.event.subscription.clone()).or_default().push(d);
        }
        let mut lanes = tokio::task::JoinSet::new();
        let permits = Arc::new(tokio::sync::Semaphore::new(self.settings.max_concurrent.max(1)));
        for (id, deliveries) in by_subscription {
            let Ok(Some(sub)) = self.store.subscription_by_id(&id).await else { continue };
            let me = self.clone_parts();
            let Ok(permit) = permits.clone().acquire_owned().await else { break };
            lanes.spawn(async move {
                for d in deliveries {
                    if !me.attempt(&sub, &d).await {
                        // Keep order: later events wait for this one.
                        break;
                    }
                }
                drop(permit);
            });
        }
        // A long pass keeps its lanes; they are handed back when it ends.
        let mut renew = tokio::time::interval(self.lease / 3);
        renew.tick().await;
        loop {
            tokio::select! {
                done = lanes.join_next() => if done.is_none() { break },
                _ = renew.tick() => {
                    let until = now_ms() + self.lease.as_millis() as i64;
                    if let Err(e) = self.store.renew_lanes(&self.owner, until).await {
                        tracing::error!("renewing delivery lanes failed: {e}");
                    }
                }
            }
        }
        count
    }

    fn clone_parts(&self) -> Arc<Deliverer> {
        Arc::new(self.clone())
    }

    /// One attempt; true when delivered.
    async fn attempt(&self, sub: &Subscription, d: &Delivery) -> bool {
        let seq = d.event.seq;
        let data = match self.shaped(sub, d).await {
            Ok(data) => data,
            Err(Shaping::Retry(error)) => return self.record(sub, d, Err(error)).await,
            Err(Shaping::Dead(error)) => {
                // The same program fails the same event every time: no retry, a
                // dead letter the builder replays once the mapping is fixed.
                self.metrics.delivery("failed");
                tracing::warn!(subscription = %sub.name, seq, "dead-lettered: {error}");
                return match self.store.mark_dead(seq, d.attempts + 1, &error).await {
                    Ok(()) => false,
                    Err(e) => {
                        tracing::error!(seq, "recording a delivery failed: {e}");
                        false
                    }
                };
            }
        };
        let result = match &sub.destination {
            Destination::Webhook { url } => self.post(sub, d, &data, url).await,
            Destination::File { path } => append_line(path, &payload(sub, d, &data)),
            Destination::Stdout => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", payload(sub, d, &data)).and_then(|()| out.flush()).map_err(|e| e.to_string())
            }
            Destination::Pull => Ok(()),
        };
        self.record(sub, d, result).await
    }

    /// The event's data as the destination gets it: through the
    /// subscription's mapping and destination schema, when it has them.
    async fn shaped<'d>(
        &self,
        sub: &Subscription,
        d: &'d Delivery,
    ) -> Result<std::borrow::Cow<'d, serde_json::Value>, Shaping> {
        if sub.mapping.is_none() && sub.destination_schema.is_none() {
            return Ok(std::borrow::Cow::Borrowed(&d.event.data));
        }
        crate::mapping::shape(&self.mapper, sub.mapping.as_deref(), sub.destination_schema.as_ref(), &d.event.data)
            .await
            .map(std::borrow::Cow::Owned)
            .map_err(|e| match e {
                // The host failing to run it is no fault of the event's.
                e @ crate::mapping::MappingError::Host(_) => Shaping::Retry(e.to_string()),
                e => Shaping::Dead(e.to_string()),
            })
    }

    /// Records an attempt's outcome: delivered, retried later, or (after the
    /// retry window) dead. True when delivered.
    async fn record(&self, sub: &Subscription, d: &Delivery, result: Result<(), String>) -> bool {
        let seq = d.event.seq;
        let now = now_ms();
        self.metrics.delivery(if result.is_ok() { "delivered" } else { "failed" });
        let saved = match result {
            Ok(()) => self.store.mark_delivered(seq).await.map(|()| true),
            Err(error) => {
                let attempts = d.attempts + 1;
                let first = d.first_attempt_at.unwrap_or(now);
                let window = (self.settings.retry_window_secs * 1000) as i64;
                if now - first >= window {
                    tracing::warn!(subscription = %sub.name, seq, "giving up on a delivery after {attempts} attempts: {error}");
                    self.store.mark_dead(seq, attempts, &error).await.map(|()| false)
                } else {
                    let next = now + self.settings.backoff(d.attempts).as_millis() as i64;
                    tracing::info!(subscription = %sub.name, seq, attempts, "delivery failed, will retry: {error}");
                    self.store.mark_retry(seq, attempts, first, next, &error).await.map(|()| false)
                }
            }
        };
        saved.unwrap_or_else(|e| {
            tracing::error!(seq, "recording a delivery failed: {e}");
            false
        })
    }

    async fn post(&self, sub: &Subscription, d: &Delivery, data: &serde_json::Value, url: &str) -> Result<(), String> {
        let origin = Origin::parse(url).map_err(|e| e.to_string())?;
        EgressPolicy::new(vec![origin.clone()], self.egress.clone()).check(&origin).map_err(|e| e.to_string())?;
        let body = payload(sub, d, data).to_string();
        let key = idempotency_key(sub, d);
        let mut request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, concat!("weft/", env!("CARGO_PKG_VERSION")))
            .header("idempotency-key", &key)
            .header("weft-event-id", &key);
        if let Some(sealed) = &sub.webhook_secret {
            let secret = self.vault.open_sealed(sealed, &sub.id).map_err(|e| e.to_string())?;
            request =
                request.header("weft-signature", sign(&secret, jiff::Timestamp::now().as_second(), body.as_bytes()));
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
        let timeout = Duration::from_millis(self.settings.timeout_ms);
        let response = tokio::time::timeout(timeout, self.client.request(request))
            .await
            .map_err(|_| format!("no answer within {} ms", self.settings.timeout_ms))?
            .map_err(|e| match crate::egress::find_refusal(&e) {
                Some(refusal) => format!("refused by the address guard: {refusal}"),
                None => format!("could not reach {url}: {e}"),
            })?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the receiver answered {}", response.status()))
        }
    }
}

/// The stable key of an event: the same for every redelivery.
pub(super) fn idempotency_key(sub: &Subscription, d: &Delivery) -> String {
    format!("{}/{}", sub.id, d.event.event_id)
}

/// Why an event's data could not be shaped for its destination.
enum Shaping {
    /// The host could not run the mapping: try again later.
    Retry(String),
    /// The mapping or the destination schema refuses this event.
    Dead(String),
}

/// What a destination receives for one event; `data` is the event's data
/// after the subscription's mapping.
fn payload(sub: &Subscription, d: &Delivery, data: &serde_json::Value) -> serde_json::Value {
    json!({
        "id": idempotency_key(sub, d),
        "eventId": d.event.event_id,
        "subscription": { "id": sub.id, "name": sub.name },
        "connector": sub.connector,
        "trigger": sub.trigger,
        "occurredAt": d.event.occurred_at,
        "seq": d.event.seq,
        "data": data,
    })
}

/// Appends a line and syncs it, so a crash after "delivered" loses nothing.
fn append_line(path: &str, value: &serde_json::Value) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open {path}: {e}"))?;
    writeln!(file, "{value}").and_then(|()| file.sync_data()).map_err(|e| format!("cannot write {path}: {e}"))
}
