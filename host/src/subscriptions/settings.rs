//! How subscriptions are polled and delivered; `[scheduler]` and `[delivery]`
//! in the host config.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How subscriptions are polled: the `[scheduler]` table of the host config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSettings {
    /// Failures in a row, of a kind retrying cannot fix, before a subscription is paused.
    pub pause_after: u32,
    /// Event ids remembered per subscription for dedupe.
    pub seen_cap: u32,
    /// Back-to-back polls at most while a trigger says it has more.
    pub max_rounds: u32,
    /// Time one subscription's polling may take before the rest waits for its next turn, in ms.
    pub round_budget_ms: u64,
    /// Polls running at once.
    pub max_concurrent_polls: usize,
    /// Development and tests only: poll every subscription at this interval, ignoring the 1-minute floor.
    pub dev_interval_ms: Option<u64>,
    /// How long a process's claim on a poll or a delivery lane lasts without
    /// renewal, in seconds: a process that dies leaves its work to the others
    /// for at most this long. Renewed every third of it.
    pub lease_secs: u64,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            pause_after: 3,
            seen_cap: 10_000,
            max_rounds: 20,
            round_budget_ms: 60_000,
            max_concurrent_polls: 16,
            dev_interval_ms: None,
            lease_secs: 30,
        }
    }
}

impl SchedulerSettings {
    /// The lease length, at least one second.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.max(1))
    }
}

/// How events are delivered: the `[delivery]` table of the host config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// How long a failing delivery is retried before it is dead-lettered, in seconds.
    pub retry_window_secs: u64,
    /// The first retry's delay, in ms; it doubles up to `max_backoff_ms`.
    pub first_backoff_ms: u64,
    /// The longest delay between retries, in ms.
    pub max_backoff_ms: u64,
    /// One webhook attempt's timeout, in ms.
    pub timeout_ms: u64,
    /// Deliveries in flight at once.
    pub max_concurrent: usize,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            retry_window_secs: 24 * 3600,
            first_backoff_ms: 5_000,
            max_backoff_ms: 3_600_000,
            timeout_ms: 10_000,
            max_concurrent: 16,
        }
    }
}

impl DeliverySettings {
    /// The delay before attempt `attempts + 1`, with ±20% jitter.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let base = self.first_backoff_ms.saturating_mul(1u64 << attempts.min(20)).min(self.max_backoff_ms);
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        Duration::from_millis((base as f64 * jitter) as u64)
    }
}
