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
    /// Bytes of one outbound request body; past it nothing is sent.
    pub request_body_bytes: u64,
    /// Bytes of all outbound request bodies of one call together.
    pub request_bytes_per_call: u64,
    /// Host-side handles (header fields, requests, responses, bodies,
    /// streams) a call may hold at once.
    pub host_handles: u32,
    /// Bytes of one set of header fields, as the host holds it in memory.
    pub header_bytes: u32,
    /// Bytes of a trigger's cursor; a larger one fails the poll and the stored cursor stays.
    pub cursor_bytes: u64,
    /// Choices one dropdown may return (their bytes count against `output_bytes`).
    pub choices: u32,
    /// Log lines one call may write; the rest are counted and dropped.
    pub log_lines: u32,
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
            request_body_bytes: 8 * 1024 * 1024,
            request_bytes_per_call: 32 * 1024 * 1024,
            host_handles: 1_000,
            header_bytes: 64 * 1024,
            cursor_bytes: 64 * 1024,
            choices: 1_000,
            log_lines: 200,
        }
    }
}

impl Limits {
    /// `memory_mib` in bytes: the most memory one instance may grow to.
    pub fn memory_bytes(&self) -> usize {
        usize::try_from(self.memory_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }

    /// `call_timeout_ms` as a duration: the wall-clock time a whole call may take.
    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.call_timeout_ms)
    }

    /// `request_timeout_ms` as a duration: the longest wait for one outbound request's answer.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }
}

/// A per-call limit, named as operators see it in errors, logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Linear memory (`memory_mib`).
    Memory,
    /// Guest execution time (`cpu_ms`).
    CpuTime,
    /// Wall-clock time of the whole call (`call_timeout_ms`).
    CallTimeout,
    /// The guest's stack.
    Stack,
    /// Outbound requests (`requests_per_call`).
    RequestsPerCall,
    /// One response body (`response_body_bytes`).
    ResponseBodyBytes,
    /// An action's output or a poll's events (`output_bytes`).
    OutputBytes,
    /// Events of one poll (`events_per_poll`).
    EventsPerPoll,
    /// The wait for one outbound request's answer (`request_timeout_ms`).
    RequestTimeout,
    /// One outbound request body (`request_body_bytes`).
    RequestBodyBytes,
    /// All outbound request bodies of a call (`request_bytes_per_call`).
    RequestBytesPerCall,
    /// Handles the host holds for the call (`host_handles`, `header_bytes`).
    HostResources,
    /// A trigger's cursor (`cursor_bytes`).
    CursorBytes,
    /// A dropdown's choices (`choices`).
    Choices,
}

impl Limit {
    /// The limit's stable name, e.g. `call-timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Memory => "memory",
            Limit::CpuTime => "cpu-time",
            Limit::CallTimeout => "call-timeout",
            Limit::Stack => "stack",
            Limit::RequestsPerCall => "requests-per-call",
            Limit::ResponseBodyBytes => "response-body-bytes",
            Limit::OutputBytes => "output-bytes",
            Limit::EventsPerPoll => "events-per-poll",
            Limit::RequestTimeout => "request-timeout",
            Limit::RequestBodyBytes => "request-body-bytes",
            Limit::RequestBytesPerCall => "request-bytes-per-call",
            Limit::HostResources => "host-resources",
            Limit::CursorBytes => "cursor-bytes",
            Limit::Choices => "choices",
        }
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
