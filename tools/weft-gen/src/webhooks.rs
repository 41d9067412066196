//! Instant triggers from GHL's webhook event docs (`specs/ghl/docs/webhook-events/*.md`):
//! each doc's JSON Schema becomes the trigger's output schema and its example
//! the sample; `groups.toml` says which events a connector takes, under which
//! key, and which input fields filter them.

use crate::error::GenError;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::Path;
use weft_manifest::{InstantSettings, PollSettings, StartPoint, TokenKind, Trigger};
use weft_openapi_runtime::table::{InstantFilter, InstantSpec};

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

/// The manifest trigger and the table entry of one webhook trigger.
pub fn instant_trigger(root: &Path, spec: &WebhookTrigger) -> Result<(Trigger, InstantSpec), GenError> {
    let first = spec.events.first().ok_or_else(|| GenError::Overlay {
        path: root.join("connectors/ghl/groups.toml"),
        message: format!("webhook trigger `{}` lists no events", spec.key),
    })?;
    let (mut schema, mut sample) = blocks(&root.join(DOCS_DIR).join(format!("{first}.md")))?;
    // What GHL's signed webhooks add to every documented payload.
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        props.insert("webhookId".into(), json!({"type": "string", "description": "GHL's id of this delivery."}));
        props.insert("timestamp".into(), json!({"type": "string", "description": "When GHL sent it (RFC 3339)."}));
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
        help: format!(
            "Fires within seconds of GHL's {} webhook (instant: GHL pushes it to weft; nothing is polled). \
             Each event is the webhook's payload.",
            spec.events.join(" or ")
        ),
        input_schema,
        output_schema: schema,
        sample,
        scopes: spec.scopes.clone(),
        // Not polled; the host checks the interval like any trigger's.
        poll: PollSettings { default_interval_seconds: 900, min_interval_seconds: 300 },
        start_points: vec![StartPoint::Now],
        dynamic_options: Vec::new(),
        token_kinds: vec![TokenKind::Location],
        source: None,
        instant: Some(InstantSettings { event_types: spec.events.clone() }),
    };
    let table = InstantSpec {
        key: spec.key.clone(),
        event_types: spec.events.clone(),
        filters: spec
            .filter
            .iter()
            .map(|f| InstantFilter { input: f.input.clone(), payload: f.payload.clone() })
            .collect(),
    };
    Ok((trigger, table))
}
