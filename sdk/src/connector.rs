//! What a connector is: four functions over a transport.

use crate::{CallContext, Choice, ConnectorError, Event, HookRequest, PollRequest, PollResponse, Transport};
use serde_json::Value;

/// A weft connector. Implement it on a unit struct and pass that to
/// [`crate::export_connector!`]; the SDK binds it to the WIT world, hands each
/// call the `wasi:http` transport and converts errors to the WIT variant.
///
/// Every function takes the transport as an argument, so the same code is
/// unit-tested natively with a closure or [`crate::native`] as transport.
pub trait Connector {
    /// The manifest as JSON (see `manifests/connector-manifest.schema.json`).
    fn manifest() -> String;

    /// Runs action `action` with `input` (JSON, already checked against the
    /// action's input schema); the output must match its output schema.
    fn execute(t: &dyn Transport, ctx: &CallContext, action: &str, input: &str) -> Result<Value, ConnectorError>;

    /// Fetches what happened since `request.cursor`.
    fn poll(t: &dyn Transport, ctx: &CallContext, request: &PollRequest) -> Result<PollResponse, ConnectorError> {
        let _ = (t, ctx);
        Err(ConnectorError::invalid("trigger", format!("this connector has no trigger `{}`", request.trigger)))
    }

    /// The choices of dynamic dropdown `field` of trigger or action `key`,
    /// given the input filled in so far (JSON).
    fn choices(
        t: &dyn Transport,
        ctx: &CallContext,
        key: &str,
        field: &str,
        input: &str,
    ) -> Result<Vec<Choice>, ConnectorError> {
        let _ = (t, ctx, input);
        Err(ConnectorError::invalid("field", format!("`{key}` has no dynamic choices for `{field}`")))
    }

    /// What one verified webhook means for a subscription of an instant
    /// trigger: usually one event, none when the subscription's input filters
    /// it out. Pure: no transport, the host has already received the payload.
    fn transform(ctx: &CallContext, request: &HookRequest) -> Result<Vec<Event>, ConnectorError> {
        let _ = ctx;
        Err(ConnectorError::invalid("trigger", format!("this connector has no instant trigger `{}`", request.trigger)))
    }
}
