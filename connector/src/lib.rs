//! The GoHighLevel Social Planner connector.
//!
//! Its logic is plain Rust over the [`Transport`] seam; `component` (built
//! for `wasm32-wasip2` only) binds it to the weft WIT world and `wasi:http`.
//! Built natively, the same logic serves unit tests and benchmarks.

mod actions;
mod api;
mod best_time;
mod context;
mod error;
mod generated;
mod ghl;
mod input;
mod log;
mod manifest;
mod model;
mod options;
mod posting;
mod published;
mod transport;
mod triggers;
mod window;

// The generated bindings and export glue are `unsafe` FFI by nature.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod component;

pub use context::CallContext;
pub use error::ConnectorError;
pub use manifest::{GHL_API, ID, manifest};
pub use transport::{Method, Request, Response, Transport, TransportError};

use serde_json::Value;

/// How the host wants a poll run (see the WIT `poll-meta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollMeta {
    pub seed: bool,
    pub limit: u32,
    pub since: Option<String>,
}

/// One poll of one trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRequest {
    pub trigger: String,
    pub input: String,
    pub cursor: Option<String>,
    pub meta: PollMeta,
}

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub occurred_at: Option<String>,
    pub data: Value,
}

/// What a poll found.
#[derive(Debug, Clone, PartialEq)]
pub struct PollResponse {
    pub events: Vec<Event>,
    pub cursor: Option<String>,
    pub has_more: bool,
}

/// One dropdown entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Runs a trigger poll.
pub fn poll(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    req: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    triggers::poll(t, ctx, req)
}

/// Runs an action; the output is JSON.
pub fn execute(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    action: &str,
    input: &str,
) -> Result<Value, ConnectorError> {
    actions::execute(t, ctx, action, input)
}

/// The choices of a dynamic dropdown.
pub fn choices(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    key: &str,
    field: &str,
    input: &str,
) -> Result<Vec<Choice>, ConnectorError> {
    if generated::has_choices(key, field) {
        return generated::choices(t, ctx, key, field, input);
    }
    options::choices(t, ctx, key, field)
}
