//! The table-driven runtime of connectors generated from OpenAPI documents,
//! built on [`weft_sdk`].
//!
//! A generated connector is data: its manifest (what builders see) and an
//! operation [`Table`] (how each action becomes a request). This crate holds
//! the code once: it builds requests, pages through lists, turns list
//! operations into polling triggers, fills dropdowns and maps API errors to
//! the SDK's [`ConnectorError`]. [`Generated`] is one embedded manifest and
//! table; a generated component crate is a single [`connector!`] call, and a
//! hand-written connector (the social planner) embeds a [`Generated`] for the
//! operations it does not write itself.

mod generated;
pub mod instant;
mod options;
mod paging;
mod request;
mod response;
pub mod table;
mod trigger;

pub use generated::{Generated, GeneratedConnector, Glue};
pub use paging::{Listing, id_of, items_of, read_all};
pub use response::error_from_response;
pub use table::Table;
/// The SDK the runtime is built on, for the [`connector!`] macro.
pub use weft_sdk as sdk;

use serde_json::Value;
use weft_sdk::{CallContext, Choice, ConnectorError, PollRequest, PollResponse, Transport, input_object};

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

/// Declares a generated connector component: its manifest and operation
/// table (JSON text, usually `include_str!`ed), exported through the SDK.
#[macro_export]
macro_rules! connector {
    (manifest: $manifest:expr, table: $table:expr $(,)?) => {
        struct Embedded;

        impl $crate::Glue for Embedded {
            fn generated() -> &'static $crate::Generated {
                static GENERATED: $crate::Generated = $crate::Generated::new($manifest, $table);
                &GENERATED
            }
        }

        type Exported = $crate::GeneratedConnector<Embedded>;

        $crate::sdk::export_connector!(Exported);
    };
}
