//! Binds a [`Connector`] to the weft WIT world. Built for `wasm32` only.
//!
//! The bindings are generated here, once, so a connector crate compiles only
//! its own code: [`crate::export_connector!`] names the connector type, and
//! the blanket implementations below do the rest.

mod wasi_transport;

use crate::{CallContext, Connector, ConnectorError, HookRequest, PollMeta, PollRequest};
use wasi_transport::WasiTransport;

wit_bindgen::generate!({
    path: "../wit",
    world: "connector",
    generate_all,
    pub_export_macro: true,
    default_bindings_module: "weft_sdk::component",
});

use exports::weft::connector::{actions, instant, metadata, options, triggers};
use weft::connector::connector_types as wit;

/// Writes a log line through the host's `log` import.
pub(crate) fn log(level: crate::log::Level, message: &str) {
    use crate::log::Level;
    use weft::connector::log::{Level as Wit, log};
    let level = match level {
        Level::Trace => Wit::Trace,
        Level::Debug => Wit::Debug,
        Level::Info => Wit::Info,
        Level::Warn => Wit::Warn,
        Level::Error => Wit::Error,
    };
    log(level, message);
}

/// The one place connector errors become the WIT variant.
fn to_wit(e: ConnectorError) -> wit::ConnectorError {
    match e {
        ConnectorError::InvalidInput { field, message } => {
            wit::ConnectorError::InvalidInput(wit::FieldProblem { field, message })
        }
        ConnectorError::Unauthorized(m) => wit::ConnectorError::Unauthorized(m),
        ConnectorError::Forbidden { scope, message } => {
            wit::ConnectorError::Forbidden(wit::MissingScope { scope, message })
        }
        ConnectorError::NotFound(m) => wit::ConnectorError::NotFound(m),
        ConnectorError::RateLimited { retry_after_ms, message } => {
            wit::ConnectorError::RateLimited(wit::RetryHint { retry_after_ms, message })
        }
        ConnectorError::Transient(m) => wit::ConnectorError::Transient(m),
        ConnectorError::Upstream { status, message } => {
            wit::ConnectorError::Upstream(wit::UpstreamFailure { status, message })
        }
        ConnectorError::Internal(m) => wit::ConnectorError::Internal(m),
    }
}

fn context(ctx: &wit::CallContext) -> Result<CallContext, wit::ConnectorError> {
    CallContext::from_host(&ctx.base_url, &ctx.connection).map_err(to_wit)
}

impl<C: Connector> metadata::Guest for C {
    fn manifest() -> String {
        C::manifest()
    }
}

impl<C: Connector> triggers::Guest for C {
    fn poll(ctx: wit::CallContext, request: wit::PollRequest) -> Result<wit::PollResponse, wit::ConnectorError> {
        let ctx = context(&ctx)?;
        let request = PollRequest {
            trigger: request.trigger,
            input: request.input,
            cursor: request.cursor,
            meta: PollMeta { seed: request.meta.seed, limit: request.meta.limit, since: request.meta.since },
        };
        let response = C::poll(&WasiTransport, &ctx, &request).map_err(to_wit)?;
        Ok(wit::PollResponse {
            events: response
                .events
                .into_iter()
                .map(|e| wit::Event { id: e.id, occurred_at: e.occurred_at, data: e.data.to_string() })
                .collect(),
            cursor: response.cursor,
            has_more: response.has_more,
        })
    }
}

impl<C: Connector> actions::Guest for C {
    fn execute(ctx: wit::CallContext, action: String, input: String) -> Result<String, wit::ConnectorError> {
        let ctx = context(&ctx)?;
        C::execute(&WasiTransport, &ctx, &action, &input).map(|v| v.to_string()).map_err(to_wit)
    }
}

impl<C: Connector> options::Guest for C {
    fn choices(
        ctx: wit::CallContext,
        key: String,
        field: String,
        input: String,
    ) -> Result<Vec<wit::Choice>, wit::ConnectorError> {
        let ctx = context(&ctx)?;
        let choices = C::choices(&WasiTransport, &ctx, &key, &field, &input).map_err(to_wit)?;
        Ok(choices.into_iter().map(|c| wit::Choice { value: c.value, label: c.label }).collect())
    }
}

impl<C: Connector> instant::Guest for C {
    fn transform(ctx: wit::CallContext, request: instant::HookRequest) -> Result<Vec<wit::Event>, wit::ConnectorError> {
        let ctx = context(&ctx)?;
        let payload = serde_json::from_str(&request.payload)
            .map_err(|e| to_wit(ConnectorError::invalid("payload", format!("the webhook payload is not JSON: {e}"))))?;
        let request =
            HookRequest { trigger: request.trigger, input: request.input, event_type: request.event_type, payload };
        let events = C::transform(&ctx, &request).map_err(to_wit)?;
        Ok(events
            .into_iter()
            .map(|e| wit::Event { id: e.id, occurred_at: e.occurred_at, data: e.data.to_string() })
            .collect())
    }
}
