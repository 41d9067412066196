//! The shared runtime of connectors generated from OpenAPI documents.
//!
//! A generated connector is data: its manifest (what builders see) and an
//! operation [`Table`] (how each action becomes a request). This crate holds
//! the code once: it builds requests, pages through lists, turns list
//! operations into polling triggers, fills dropdowns and maps API errors to
//! the host's taxonomy. With the `component` feature it also binds the weft
//! WIT world, and a generated crate is a single [`connector!`] call.
//!
//! Everything runs over the [`Transport`] seam, so it builds and is tested
//! natively too, and a hand-written connector can embed generated operations.

mod context;
mod error;
mod log;
mod options;
mod paging;
mod request;
mod response;
pub mod table;
mod transport;
mod trigger;

#[cfg(feature = "tools")]
pub mod described;
#[cfg(feature = "tools")]
pub mod synth;

// The generated bindings and export glue are `unsafe` FFI by nature.
#[cfg(all(target_arch = "wasm32", feature = "component"))]
#[allow(unsafe_code)]
#[doc(hidden)]
pub mod component;

pub use context::CallContext;
pub use error::ConnectorError;
pub use paging::{Listing, id_of, items_of, read_all};
pub use request::encode;
pub use response::error_from_response;
pub use table::Table;
pub use transport::{Request, Response, Transport, TransportError};

use serde_json::{Map, Value};

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

/// An input as a JSON object (empty text reads as `{}`).
pub(crate) fn input_object(json: &str) -> Result<Map<String, Value>, ConnectorError> {
    let json = if json.trim().is_empty() { "{}" } else { json };
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ConnectorError::InvalidInput { field: None, message: "the input must be a JSON object".into() }),
        Err(e) => Err(ConnectorError::InvalidInput { field: None, message: format!("the input is not JSON: {e}") }),
    }
}

/// Runs action `action` of `table` with `input` (JSON); the output is the API's answer.
pub fn execute(
    t: &(impl Transport + ?Sized),
    table: &Table,
    ctx: &CallContext,
    action: &str,
    input: &str,
) -> Result<Value, ConnectorError> {
    let op = table
        .operation(action)
        .ok_or_else(|| ConnectorError::invalid("action", format!("this connector has no action `{action}`")))?;
    let input = input_object(input)?;
    response::call(t, table, op, ctx, &input, &request::Overrides::default())
}

/// Polls trigger `request.trigger` of `table`.
pub fn poll(
    t: &(impl Transport + ?Sized),
    table: &Table,
    ctx: &CallContext,
    request: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    trigger::poll(t, table, ctx, request)
}

/// The choices of dropdown `field` of `key`, given the input so far (JSON).
pub fn choices(
    t: &(impl Transport + ?Sized),
    table: &Table,
    ctx: &CallContext,
    key: &str,
    field: &str,
    input: &str,
) -> Result<Vec<Choice>, ConnectorError> {
    options::choices(t, table, ctx, key, field, &input_object(input)?)
}
