//! Per-call limits: what one connector call may use before the host ends it.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Limits for one call. Operators set defaults and per-connector overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Linear memory per instance, in MiB.
    pub memory_mib: u64,
    /// Guest execution time per call (epoch interruption), in ms.
    pub cpu_ms: u64,
    /// Wall-clock time per call, including time blocked on HTTP, in ms.
    pub call_timeout_ms: u64,
    /// Outbound HTTP requests per call.
    pub requests_per_call: u32,
    /// Bytes of one HTTP response body.
    pub response_body_bytes: u64,
    /// Bytes of an action's output or a poll's events.
    pub output_bytes: u64,
    /// Events one poll may return.
    pub events_per_poll: u32,
    /// Wall-clock time one outbound request may take, in ms.
    pub request_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mib: 64,
            cpu_ms: 10_000,
            call_timeout_ms: 60_000,
            requests_per_call: 250,
            response_body_bytes: 16 * 1024 * 1024,
            output_bytes: 8 * 1024 * 1024,
            events_per_poll: 500,
            request_timeout_ms: 30_000,
        }
    }
}

impl Limits {
    pub fn memory_bytes(&self) -> usize {
        usize::try_from(self.memory_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.call_timeout_ms)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}
