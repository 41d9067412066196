//! The GoHighLevel Social Planner connector.
//!
//! Its logic is plain Rust on [`weft_sdk`]: the tag, statistics and post
//! triggers and actions are written by hand; the other social planner
//! operations (posts, categories, CSV imports, account attachment) are
//! generated from the official spec by `weft-gen ghl` into `generated/` and
//! run by `weft-openapi-runtime` ([`GENERATED`]). Built for `wasm32-wasip2` it
//! is a component; built natively, the same code serves unit tests and
//! benchmarks.

mod actions;
mod api;
mod best_time;
mod ghl;
mod input;
mod manifest;
mod model;
mod options;
mod posting;
mod published;
mod triggers;

pub use manifest::{GHL_API, ID, manifest};

use serde_json::Value;
use weft_openapi_runtime::Generated;
use weft_sdk::{CallContext, Choice, Connector, ConnectorError, PollRequest, PollResponse, Transport};

/// The generated social planner operations this connector does not write by hand.
pub static GENERATED: Generated =
    Generated::new(include_str!("../generated/manifest.json"), include_str!("../generated/table.json"));

/// The connector, as the component exports it.
pub struct SocialPlanner;

impl Connector for SocialPlanner {
    fn manifest() -> String {
        serde_json::to_string(&manifest()).unwrap_or_default()
    }

    fn execute(t: &dyn Transport, ctx: &CallContext, action: &str, input: &str) -> Result<Value, ConnectorError> {
        actions::execute(t, ctx, action, input)
    }

    fn poll(t: &dyn Transport, ctx: &CallContext, request: &PollRequest) -> Result<PollResponse, ConnectorError> {
        triggers::poll(t, ctx, request)
    }

    fn choices(
        t: &dyn Transport,
        ctx: &CallContext,
        key: &str,
        field: &str,
        input: &str,
    ) -> Result<Vec<Choice>, ConnectorError> {
        if GENERATED.has_choices(key, field) {
            return GENERATED.choices(t, ctx, key, field, input);
        }
        options::choices(t, ctx, key, field)
    }
}

#[cfg(target_arch = "wasm32")]
weft_sdk::export_connector!(SocialPlanner);
