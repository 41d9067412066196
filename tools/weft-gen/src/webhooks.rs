//! Instant triggers from GHL's webhook event docs (`specs/ghl/docs/webhook-events/*.md`):
//! each doc's JSON Schema becomes the trigger's output schema and its example
//! the sample; `groups.toml` says which events a connector takes, under which
//! key, and which input fields filter them.

use crate::error::GenError;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::Path;
use weft_manifest::{Action, InstantSettings, PollSettings, StartPoint, TokenKind, Trigger};
use weft_openapi_runtime::table::{Fetch, InstantFilter, InstantSpec, Reconcile, Table, TriggerKind};

/// Where the webhook event docs are.
pub const DOCS_DIR: &str = "specs/ghl/docs/webhook-events";

/// One instant trigger of a group (`[[group.webhook]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTrigger {
    /// The trigger key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// The event types it takes; the first one's doc gives schema and sample.
    pub events: Vec<String>,
    /// Scopes the app needs for these events.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Input fields that filter payloads.
    #[serde(default)]
    pub filter: Vec<WebhookFilter>,
    /// The polled trigger whose listing backs the webhooks up.
    #[serde(default)]
    pub reconcile: Option<WebhookReconcile>,
}

/// `reconcile = { trigger, id, wrap }`: which listing holds the resources
/// the webhooks announce, and where a payload carries the resource's id.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookReconcile {
    /// A polled "new item" trigger of the same connector.
    pub trigger: String,
    /// The JSON pointer to the resource's id in a payload.
    pub id: String,
    /// The payload field the resource sits under, when not at the top.
    #[serde(default)]
    pub wrap: Option<String>,
    /// The action that reads one item whole, when the listing carries less.
    #[serde(default)]
    pub fetch: Option<WebhookFetch>,
}

/// `fetch = { action, id, entity }`: read each new item with `action`,
/// whose input `id` takes its id; the item is at `entity` in the answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookFetch {
    /// The action key.
    pub action: String,
    /// Its input field for the id.
    pub id: String,
    /// A JSON pointer to the item in the answer.
    #[serde(default)]
    pub entity: String,
}

/// An input field a payload must match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookFilter {
    /// The input property.
    pub input: String,
    /// The JSON pointer into the payload.
    pub payload: String,
    /// Help shown beside the field.
    pub help: String,
}

/// The JSON types a schema allows; empty when it says none (anything).
fn types(schema: &Value) -> Vec<Value> {
    match schema.get("type") {
        Some(Value::Array(list)) => list.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    }
}

/// `a`, taking also what `b` takes where they disagree: a property's types
/// are the union of both, recursively through properties and items, and
/// properties only `b` has are added.
fn widen(a: &Value, b: &Value) -> Value {
    if a == b {
        return a.clone();
    }
    let mut out = a.clone();
    let Some(object) = out.as_object_mut() else { return out };
    let (ta, tb) = (types(a), types(b));
    if ta.is_empty() || tb.is_empty() {
        object.remove("type");
    } else {
        let mut union = ta.clone();
        union.extend(tb.into_iter().filter(|t| !ta.contains(t)));
        object.insert("type".into(), if union.len() == 1 { union[0].clone() } else { Value::Array(union) });
    }
    let properties = |s: &Value| s.get("properties").and_then(Value::as_object).cloned();
    if let (Some(pa), Some(pb)) = (properties(a), properties(b)) {
        let mut merged = pa.clone();
        for (key, schema_b) in pb {
            let widened = match pa.get(&key) {
                Some(schema_a) => widen(schema_a, &schema_b),
                None => schema_b,
            };
            merged.insert(key, widened);
        }
        object.insert("properties".into(), Value::Object(merged));
    }
    if let (Some(ia), Some(ib)) = (a.get("items"), b.get("items")) {
        object.insert("items".into(), widen(ia, ib));
    }
    out
}

/// The JSON blocks of a doc: its schema (```json json_schema) and its example (the next ```json).
fn blocks(path: &Path) -> Result<(Value, Value), GenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenError::Read { path: path.into(), source })?;
    let mut schema = None;
    let mut example = None;
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```json") {
        let after = &rest[start + 7..];
        let (info, body) = after.split_once('\n').unwrap_or((after, ""));
        let Some(end) = body.find("```") else { break };
        let parsed: Value =
            serde_json::from_str(&body[..end]).map_err(|source| GenError::Json { path: path.into(), source })?;
        if info.contains("json_schema") {
            schema.get_or_insert(parsed);
        } else {
            example.get_or_insert(parsed);
        }
        rest = &body[end + 3..];
    }
    let missing = |what: &str| GenError::Overlay { path: path.into(), message: format!("the doc has no {what} block") };
    Ok((schema.ok_or_else(|| missing("```json json_schema"))?, example.ok_or_else(|| missing("example"))?))
}

/// The manifest trigger and the table entry of one webhook trigger;
/// `table` and `actions` are the connector's, which a reconciling listing
/// and fetch must be among.
pub fn instant_trigger(
    root: &Path,
    spec: &WebhookTrigger,
    table: &Table,
    actions: &[Action],
) -> Result<(Trigger, InstantSpec), GenError> {
    let (polled, operations) = (&table.triggers, &table.operations);
    let wrong = |message: String| GenError::Overlay { path: root.join("connectors/ghl/groups.toml"), message };
    let first = spec.events.first().ok_or_else(|| wrong(format!("webhook trigger `{}` lists no events", spec.key)))?;
    if let Some(rec) = &spec.reconcile {
        match polled.iter().find(|t| t.key == rec.trigger) {
            Some(t) if t.kind == TriggerKind::New => {}
            Some(_) => {
                return Err(wrong(format!(
                    "`{}` reconciles from `{}`, a new-or-updated trigger: its ids name versions, not resources",
                    spec.key, rec.trigger
                )));
            }
            None => {
                let keys: Vec<&str> = polled.iter().map(|t| t.key.as_str()).collect();
                return Err(wrong(format!(
                    "`{}` reconciles from `{}`, which is not a polled trigger of this connector (it has {})",
                    spec.key,
                    rec.trigger,
                    keys.join(", ")
                )));
            }
        }
        if let Some(fetch) = &rec.fetch {
            let takes_id = operations
                .iter()
                .find(|o| o.key == fetch.action)
                .is_some_and(|o| o.params.iter().any(|p| p.field == fetch.id));
            if !takes_id {
                return Err(wrong(format!(
                    "`{}` fetches with `{}`, which is not an action of this connector taking `{}`",
                    spec.key, fetch.action, fetch.id
                )));
            }
        }
    }
    let (mut schema, mut sample) = blocks(&root.join(DOCS_DIR).join(format!("{first}.md")))?;
    // What GHL's signed webhooks add to every documented payload.
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("webhookId".into(), json!({"type": "string", "description": "GHL's id of this delivery."}));
        props.insert("timestamp".into(), json!({"type": "string", "description": "When GHL sent it (RFC 3339)."}));
    }
    // A reconciled event may be the item as the API reads it, where the
    // webhook's doc and the API's spec disagree on a field's type.
    let fetched = spec.reconcile.as_ref().and_then(|r| r.fetch.as_ref()).and_then(|f| {
        let action = actions.iter().find(|a| a.key == f.action)?;
        let entity = f
            .entity
            .split('/')
            .filter(|s| !s.is_empty())
            .try_fold(&action.output_schema, |s, key| s.get("properties").and_then(|p| p.get(key)))?;
        Some(entity.clone())
    });
    if let Some(fetched) = &fetched {
        schema = widen(&schema, fetched);
    }
    if let Some(object) = schema.as_object_mut() {
        object.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    }
    if let Some(object) = sample.as_object_mut() {
        object.insert("webhookId".into(), json!("6a1f0c1e-2b7d-4d3a-9c55-0e4f1b2a3c4d"));
        object.insert("timestamp".into(), json!("2026-06-02T09:30:00.000Z"));
    }
    let mut properties = Map::new();
    for f in &spec.filter {
        properties.insert(f.input.clone(), json!({"type": ["string", "null"], "description": f.help}));
    }
    let input_schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    });
    let trigger = Trigger {
        key: spec.key.clone(),
        label: spec.label.clone(),
        help: match &spec.reconcile {
            None => format!(
                "Fires within seconds of GHL's {} webhook (instant: GHL pushes it to weft; nothing is polled). \
                 Each event is the webhook's payload.",
                spec.events.join(" or ")
            ),
            Some(_) => format!(
                "Fires within seconds of GHL's {} webhook (instant: GHL pushes it to weft). Each event is the \
                 webhook's payload. A reconciling poll, hourly unless you choose another interval, catches what a \
                 lost webhook missed, in the same shape; each {} is delivered once either way.",
                spec.events.join(" or "),
                spec.key.split('-').next().unwrap_or("item")
            ),
        },
        input_schema,
        output_schema: schema,
        sample,
        scopes: spec.scopes.clone(),
        // Only a reconciling poll uses it; the host checks it like any trigger's.
        poll: PollSettings {
            default_interval_seconds: if spec.reconcile.is_some() { 3600 } else { 900 },
            min_interval_seconds: 300,
        },
        start_points: vec![StartPoint::Now],
        dynamic_options: Vec::new(),
        token_kinds: vec![TokenKind::Location],
        source: None,
        instant: Some(InstantSettings { event_types: spec.events.clone(), reconcile: spec.reconcile.is_some() }),
    };
    let table = InstantSpec {
        key: spec.key.clone(),
        event_types: spec.events.clone(),
        filters: spec
            .filter
            .iter()
            .map(|f| InstantFilter { input: f.input.clone(), payload: f.payload.clone() })
            .collect(),
        reconcile: spec.reconcile.as_ref().map(|r| Reconcile {
            trigger: r.trigger.clone(),
            id: r.id.clone(),
            wrap: r.wrap.clone(),
            fetch: r.fetch.as_ref().map(|f| Fetch {
                operation: f.action.clone(),
                field: f.id.clone(),
                entity: f.entity.clone(),
            }),
        }),
    };
    Ok((trigger, table))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_takes_both_shapes_where_the_doc_and_the_spec_disagree() {
        let doc = json!({"type": "object", "properties": {
            "attachments": {"type": "array"}, "name": {"type": "string"},
            "custom": {"type": "array", "items": {"properties": {"value": {"type": "number"}}}},
        }});
        let spec = json!({"type": "object", "properties": {
            "attachments": {"type": "string"}, "name": {"type": "string"}, "extra": {"type": "boolean"},
            "custom": {"type": "array", "items": {"properties": {"value": {"type": "string"}}}},
        }});
        let wide = widen(&doc, &spec);
        assert_eq!(wide["properties"]["attachments"]["type"], json!(["array", "string"]));
        assert_eq!(wide["properties"]["name"], json!({"type": "string"}));
        assert_eq!(wide["properties"]["extra"], json!({"type": "boolean"}), "what only the spec has is added");
        assert_eq!(wide["properties"]["custom"]["items"]["properties"]["value"]["type"], json!(["number", "string"]));
        assert_eq!(widen(&json!({"type": "string"}), &json!({})), json!({}), "no type on one side: any type");
    }
}
