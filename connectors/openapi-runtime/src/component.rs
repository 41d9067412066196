//! Binds the runtime to the weft WIT world. Only built for `wasm32-wasip2`
//! with the `component` feature.
//!
//! The bindings are generated here, once, so a generated connector crate
//! compiles only its own few lines: [`crate::connector!`] names its manifest
//! and table, and the blanket implementations below do the rest.

mod wasi_transport;

use crate::{CallContext, ConnectorError, PollMeta, PollRequest, Table};
use wasi_transport::WasiTransport;

wit_bindgen::generate!({
    path: "../../wit",
    world: "connector",
    generate_all,
    pub_export_macro: true,
    default_bindings_module: "weft_openapi_runtime::component",
});

use exports::weft::connector::{actions, metadata, options, triggers};
use weft::connector::connector_types as wit;

/// What a generated connector crate supplies: its manifest and operation
/// table, both JSON written by the generator.
pub trait Glue {
    const MANIFEST: &'static str;
    const TABLE: &'static str;
}

pub fn log_warn(message: &str) {
    weft::connector::log::log(weft::connector::log::Level::Warn, message);
}

/// The one place runtime errors become the WIT variant.
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

fn setup<G: Glue>(ctx: &wit::CallContext) -> Result<(Table, CallContext), wit::ConnectorError> {
    let table = Table::parse(G::TABLE)
        .map_err(|e| to_wit(ConnectorError::internal(format!("the embedded operation table is unreadable: {e}"))))?;
    let ctx = CallContext::from_host(&ctx.base_url, &ctx.connection).map_err(to_wit)?;
    Ok((table, ctx))
}

impl<G: Glue> metadata::Guest for G {
    fn manifest() -> String {
        G::MANIFEST.to_string()
    }
}

impl<G: Glue> triggers::Guest for G {
    fn poll(ctx: wit::CallContext, request: wit::PollRequest) -> Result<wit::PollResponse, wit::ConnectorError> {
        let (table, ctx) = setup::<G>(&ctx)?;
        let request = PollRequest {
            trigger: request.trigger,
            input: request.input,
            cursor: request.cursor,
            meta: PollMeta { seed: request.meta.seed, limit: request.meta.limit, since: request.meta.since },
        };
        let response = crate::poll(&WasiTransport, &table, &ctx, &request).map_err(to_wit)?;
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

impl<G: Glue> actions::Guest for G {
    fn execute(ctx: wit::CallContext, action: String, input: String) -> Result<String, wit::ConnectorError> {
        let (table, ctx) = setup::<G>(&ctx)?;
        crate::execute(&WasiTransport, &table, &ctx, &action, &input).map(|v| v.to_string()).map_err(to_wit)
    }
}

impl<G: Glue> options::Guest for G {
    fn choices(
        ctx: wit::CallContext,
        key: String,
        field: String,
        input: String,
    ) -> Result<Vec<wit::Choice>, wit::ConnectorError> {
        let (table, ctx) = setup::<G>(&ctx)?;
        let choices = crate::choices(&WasiTransport, &table, &ctx, &key, &field, &input).map_err(to_wit)?;
        Ok(choices.into_iter().map(|c| wit::Choice { value: c.value, label: c.label }).collect())
    }
}

/// Declares a generated connector: its manifest and operation table (JSON
/// text, usually `include_str!`ed), exported as the weft component.
#[macro_export]
macro_rules! connector {
    (manifest: $manifest:expr, table: $table:expr $(,)?) => {
        struct GeneratedConnector;

        impl $crate::component::Glue for GeneratedConnector {
            const MANIFEST: &'static str = $manifest;
            const TABLE: &'static str = $table;
        }

        $crate::component::export!(GeneratedConnector with_types_in $crate::component);
    };
}
