//! The social planner operations this connector does not write by hand:
//! posts, categories, CSV imports, account attachment. `weft-gen ghl`
//! generates them from the official spec into `generated/` (the manifest's
//! actions and triggers, and the operation table), and the shared
//! `weft-openapi-runtime` runs them over this connector's transport.

use crate::context::CallContext;
use crate::transport::Transport;
use crate::{Choice, ConnectorError, Event, PollRequest, PollResponse};
use serde_json::Value;
use weft_manifest::{Action, ConnectorManifest, Trigger};
use weft_openapi_runtime as rt;

const MANIFEST: &str = include_str!("../generated/manifest.json");
const TABLE: &str = include_str!("../generated/table.json");

fn manifest() -> Option<ConnectorManifest> {
    serde_json::from_str(MANIFEST).ok()
}

fn table() -> Result<rt::Table, ConnectorError> {
    rt::Table::parse(TABLE)
        .map_err(|e| ConnectorError::Internal(format!("the generated operation table is unreadable: {e}")))
}

/// The generated actions, for the manifest.
pub fn actions() -> Vec<Action> {
    manifest().map(|m| m.actions).unwrap_or_default()
}

/// The generated triggers, for the manifest.
pub fn triggers() -> Vec<Trigger> {
    manifest().map(|m| m.triggers).unwrap_or_default()
}

/// Scopes the generated operations need, for the OAuth request.
pub fn scopes() -> Vec<String> {
    let mut scopes: Vec<String> =
        actions().into_iter().flat_map(|a| a.scopes).chain(triggers().into_iter().flat_map(|t| t.scopes)).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// Whether `key` is a generated action.
pub fn has_action(key: &str) -> bool {
    table().is_ok_and(|t| t.operation(key).is_some())
}

/// Whether `key` is a generated trigger.
pub fn has_trigger(key: &str) -> bool {
    table().is_ok_and(|t| t.trigger(key).is_some())
}

/// The one place runtime errors become this connector's.
fn from_rt(e: rt::ConnectorError) -> ConnectorError {
    use rt::ConnectorError as E;
    match e {
        E::InvalidInput { field, message } => ConnectorError::InvalidInput { field, message },
        E::Unauthorized(m) => ConnectorError::Unauthorized(m),
        E::Forbidden { scope, message } => ConnectorError::Forbidden { scope, message },
        E::NotFound(m) => ConnectorError::NotFound(m),
        E::RateLimited { retry_after_ms, message } => ConnectorError::RateLimited { retry_after_ms, message },
        E::Transient(m) => ConnectorError::Transient(m),
        E::Upstream { status, message } => ConnectorError::Upstream { status, message },
        E::Internal(m) => ConnectorError::Internal(m),
    }
}

fn rt_context(ctx: &CallContext) -> Result<rt::CallContext, ConnectorError> {
    let facts = serde_json::json!({ "locationId": ctx.location_id });
    rt::CallContext::from_host(&ctx.base_url, &facts.to_string()).map_err(from_rt)
}

/// Runs a generated action.
pub fn execute(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    action: &str,
    input: &str,
) -> Result<Value, ConnectorError> {
    rt::execute(t, &table()?, &rt_context(ctx)?, action, input).map_err(from_rt)
}

/// Every item of generated list `key` with `input`, page after page (at most `max_pages`).
pub fn read_list(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    key: &str,
    input: &serde_json::Map<String, Value>,
    max_pages: u32,
) -> Result<Vec<Value>, ConnectorError> {
    let table = table()?;
    let op = table.operation(key).ok_or_else(|| ConnectorError::Internal(format!("no generated operation `{key}`")))?;
    let listing = rt::read_all(t, &table, op, &rt_context(ctx)?, input, max_pages).map_err(from_rt)?;
    Ok(listing.items)
}

/// The output schema of generated action `key` at `pointer`, e.g. a list's item.
pub fn output_schema_at(key: &str, pointer: &str) -> Option<Value> {
    actions().into_iter().find(|a| a.key == key)?.output_schema.pointer(pointer).cloned()
}

/// Polls a generated trigger.
pub fn poll(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    req: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    let request = rt::PollRequest {
        trigger: req.trigger.clone(),
        input: req.input.clone(),
        cursor: req.cursor.clone(),
        meta: rt::PollMeta { seed: req.meta.seed, limit: req.meta.limit, since: req.meta.since.clone() },
    };
    let response = rt::poll(t, &table()?, &rt_context(ctx)?, &request).map_err(from_rt)?;
    Ok(PollResponse {
        events: response
            .events
            .into_iter()
            .map(|e| Event { id: e.id, occurred_at: e.occurred_at, data: e.data })
            .collect(),
        cursor: response.cursor,
        has_more: response.has_more,
    })
}

/// Whether a generated dropdown fills `field` of `key`.
pub fn has_choices(key: &str, field: &str) -> bool {
    table().is_ok_and(|t| t.dropdowns.iter().any(|d| d.field == field && d.keys.iter().any(|k| k == key)))
}

/// The choices of a generated dropdown.
pub fn choices(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    key: &str,
    field: &str,
    input: &str,
) -> Result<Vec<Choice>, ConnectorError> {
    let choices = rt::choices(t, &table()?, &rt_context(ctx)?, key, field, input).map_err(from_rt)?;
    Ok(choices.into_iter().map(|c| Choice { value: c.value, label: c.label }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_fragment_reads_and_does_not_clash_with_hand_written_keys() {
        let table = table().expect("table");
        assert!(
            !actions().is_empty()
                && actions().len() == table.operations.iter().filter(|o| !o.key.starts_with("options-")).count()
        );
        for key in
            ["find-tags", "get-tag-details", "get-statistics", "list-accounts", "create-post", "best-posting-times"]
        {
            assert!(!has_action(key), "{key} is hand-written");
        }
        for key in ["new-tag", "tag-details", "post-statistics", "post-published", "new-post"] {
            assert!(!has_trigger(key), "{key} is hand-written");
        }
        assert!(has_action("create-post-advanced") && has_action("list-posts") && has_trigger("new-category"));
    }
}
