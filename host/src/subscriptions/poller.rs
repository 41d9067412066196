//! One turn of one subscription: poll (again while the trigger has more),
//! commit each round's events with the cursor, and decide when to poll next.

use super::scheduler::Scheduler;
use crate::error::{CallError, ConnectorFailure};
use crate::runtime::PollMeta;
use crate::store::{
    Destination, NewEvent, NextPoll, PollCommit, PollFailure, Start, StoreError, Subscription, SubscriptionState,
};
use std::time::{Duration, Instant};

/// What a turn did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PollReport {
    /// Polls made in the turn; more than one when the trigger said it had more.
    pub rounds: u32,
    /// New events committed to the outbox.
    pub new_events: usize,
    /// Whether the turn seeded the subscription: recorded what exists without delivering it.
    pub seeded: bool,
    /// Why the turn failed; `None` when every round was committed.
    pub error: Option<String>,
    /// The state a recorded failure left the subscription in; `None` when no failure was recorded.
    pub state: Option<SubscriptionState>,
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The time a `since` start point delivers from. It holds on every poll, not
/// only the first: a trigger that looks back over a window (the SDK's
/// `cursor::window`) hands back, on its next poll, items from just before it
/// that its first poll skipped.
fn since_floor(start: &Start) -> Option<jiff::Timestamp> {
    match start {
        Start::Since(t) => t.parse().ok(),
        _ => None,
    }
}

/// Whether an event that happened `at` is before `floor`; an event without a time is not.
fn before(floor: Option<jiff::Timestamp>, at: Option<&str>) -> bool {
    floor.zip(at.and_then(|a| a.parse::<jiff::Timestamp>().ok())).is_some_and(|(floor, at)| at < floor)
}

impl Scheduler {
    /// The interval of a subscription, with ±10% jitter so subscriptions
    /// created together spread out.
    fn next_poll(&self, sub: &Subscription) -> i64 {
        let base = match self.settings.dev_interval_ms {
            Some(ms) => ms,
            None => u64::from(sub.interval_secs) * 1000,
        };
        let jitter = 0.9 + rand::random::<f64>() * 0.2;
        now_ms() + (base as f64 * jitter) as i64
    }

    /// Polls `sub` once (several rounds while it has more) and commits.
    pub async fn poll_subscription(&self, sub: &Subscription) -> PollReport {
        let mut report = PollReport::default();
        let Some(connector) = self.registry.get(&sub.connector) else {
            return self.fail(sub, &format!("the connector `{}` is not loaded", sub.connector), true, report).await;
        };
        if connector
            .manifest
            .trigger(&sub.trigger)
            .is_some_and(|t| t.is_instant() && !(t.reconciles() && sub.reconcile))
        {
            // Its events come from webhooks (`hooks::router`) alone; nothing to poll.
            return self.rest_instant(sub, report).await;
        }
        let connection = match self.resolver.resolve(&sub.workspace, &sub.connection, &connector.manifest).await {
            Ok(c) => c,
            Err(e) => return self.fail(sub, &format!("connection `{}`: {e}", sub.connection), true, report).await,
        };
        let started = Instant::now();
        let floor = since_floor(&sub.start);
        let mut cursor = sub.cursor.clone();
        let mut seeded = sub.seeded;
        loop {
            report.rounds += 1;
            let seed = !seeded && sub.start == Start::Now;
            let since = match (&sub.start, seeded) {
                (Start::Since(t), false) => Some(t.clone()),
                _ => None,
            };
            let meta = PollMeta { seed, since };
            let outcome =
                self.runtime.poll(&connector, &connection, &sub.trigger, &sub.input, cursor.clone(), meta).await;
            let outcome = match outcome {
                Ok(o) => o,
                Err(e) => return self.failed_call(sub, e, report).await,
            };
            let events: Vec<NewEvent> = outcome
                .events
                .into_iter()
                .filter(|e| !before(floor, e.occurred_at.as_deref()))
                .map(|e| NewEvent { id: e.id, occurred_at: e.occurred_at, data: e.data })
                .collect();
            let repeated = outcome.cursor == cursor;
            let out_of_time = started.elapsed() > Duration::from_millis(self.settings.round_budget_ms);
            let last = !outcome.has_more || report.rounds >= self.settings.max_rounds || out_of_time || repeated;
            let commit = PollCommit {
                subscription: &sub.id,
                events: &events,
                seed,
                deliver: sub.destination != Destination::Pull,
                next: Some(NextPoll { cursor: outcome.cursor.as_deref(), at: self.next_poll(sub) }),
                seen_cap: self.settings.seen_cap,
                lease: Some(sub.lease_token),
                release: last,
            };
            match self.store.commit_poll(&commit).await {
                Ok(seqs) => report.new_events += seqs.len(),
                Err(StoreError::LeaseLost) => {
                    tracing::warn!(subscription = %sub.name, "another process claimed this subscription while it was polled here (its lease ran out); this poll is dropped");
                    report.error = Some(StoreError::LeaseLost.to_string());
                    return report;
                }
                Err(e) => {
                    report.error = Some(format!("committing the poll failed: {e}"));
                    return report;
                }
            }
            report.seeded |= seed;
            cursor = outcome.cursor;
            seeded = true;
            if last {
                if outcome.has_more && repeated {
                    tracing::warn!(subscription = %sub.name, "the trigger said it has more but returned the same cursor; stopping this turn");
                }
                break;
            }
        }
        let metrics = self.runtime.metrics();
        metrics.poll(&sub.connector, if report.seeded { "seeded" } else { "ok" });
        metrics.events(&sub.connector, report.new_events);
        if report.new_events > 0 {
            self.wake_deliverer();
        }
        report
    }

    /// An instant subscription is seeded by being created (webhooks bring
    /// only what is new) and is not due again for a day.
    async fn rest_instant(&self, sub: &Subscription, mut report: PollReport) -> PollReport {
        let commit = PollCommit {
            subscription: &sub.id,
            events: &[],
            seed: !sub.seeded,
            deliver: false,
            next: Some(NextPoll { cursor: sub.cursor.as_deref(), at: now_ms() + 24 * 3600 * 1000 }),
            seen_cap: self.settings.seen_cap,
            lease: Some(sub.lease_token),
            release: true,
        };
        if let Err(e) = self.store.commit_poll(&commit).await {
            report.error = Some(format!("committing failed: {e}"));
        }
        report.seeded = !sub.seeded;
        report
    }

    /// A failed call: throttling and passing faults wait and retry without
    /// counting; what retrying cannot fix counts toward pausing.
    async fn failed_call(&self, sub: &Subscription, error: CallError, report: PollReport) -> PollReport {
        let message = error.to_string();
        let interval_ms = match self.settings.dev_interval_ms {
            Some(ms) => ms as i64,
            None => i64::from(sub.interval_secs) * 1000,
        };
        let (counts, next) = match &error {
            CallError::Connector(ConnectorFailure::RateLimited { retry_after, .. }) => {
                let wait =
                    retry_after.map(|d| d.min(crate::egress::MAX_RETRY_AFTER).as_millis() as i64).unwrap_or(2_000);
                (false, now_ms() + wait)
            }
            e if e.is_retryable() => {
                let failures = sub.consecutive_failures.min(10);
                let backoff = (2_000i64 << failures).min(interval_ms.max(2_000));
                (false, now_ms() + backoff)
            }
            _ => (true, self.next_poll(sub)),
        };
        self.record(sub, &message, counts, next, report).await
    }

    async fn fail(&self, sub: &Subscription, message: &str, counts: bool, report: PollReport) -> PollReport {
        let next = self.next_poll(sub);
        self.record(sub, message, counts, next, report).await
    }

    async fn record(
        &self,
        sub: &Subscription,
        message: &str,
        counts: bool,
        next: i64,
        mut report: PollReport,
    ) -> PollReport {
        tracing::warn!(subscription = %sub.name, counts, "poll failed: {message}");
        self.runtime.metrics().poll(&sub.connector, "failed");
        let failure = PollFailure {
            subscription: &sub.id,
            error: message,
            counts,
            next_poll_at: next,
            pause_after: self.settings.pause_after,
            lease: Some(sub.lease_token),
        };
        match self.store.record_failure(&failure).await {
            Ok(state) => report.state = Some(state),
            Err(e) => tracing::error!(subscription = %sub.name, "recording a failed poll failed: {e}"),
        }
        report.error = Some(message.to_string());
        report
    }
}
