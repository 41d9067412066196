//! The tools a workspace offers: one per exposed action of each connection,
//! described from the action's own manifest entry, and a `choices` tool for
//! dropdown fields. Nothing here runs a call; [`super::Tools`] does.

use super::exposure::Exposure;
use crate::runtime::LoadedConnector;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use weft_manifest::{Action, ActionEffect};

/// The longest tool name: what the strictest clients accept (the MCP spec allows 128).
pub const MAX_NAME: usize = 64;

/// The companion tool that lists a dropdown field's choices.
pub const CHOICES_TOOL: &str = "choices";

/// What a tool runs.
#[derive(Clone)]
pub enum Target {
    /// An action of a connection.
    Action {
        /// The connection's name in the workspace.
        connection: String,
        /// The connector the connection is for.
        connector: Arc<LoadedConnector>,
        /// The action's key.
        action: String,
    },
    /// The choices of a dropdown field of another tool.
    Choices,
}

/// One tool, as an MCP client sees it, and what it runs.
#[derive(Clone)]
pub struct ToolDef {
    /// Unique within the workspace, at most [`MAX_NAME`] of `[A-Za-z0-9_-]`.
    pub name: String,
    /// The action's label.
    pub title: String,
    /// What it does, for the model: help, connector, connection, scopes.
    pub description: String,
    /// JSON Schema of the arguments.
    pub input_schema: Map<String, Value>,
    /// JSON Schema of the structured result, always an object (MCP's rule).
    pub output_schema: Map<String, Value>,
    /// Whether the action's output is not an object and travels under `result`.
    pub wraps_output: bool,
    /// Whether it only reads.
    pub read_only: bool,
    /// Whether it deletes something.
    pub destructive: bool,
    /// Whether running it again with the same arguments changes nothing more.
    pub idempotent: bool,
    /// The dropdown fields of its input.
    pub dropdowns: Vec<String>,
    /// What it runs.
    pub target: Target,
}

/// The tools of `connections` (each connection's name and connector) that
/// `exposure` shows, sorted by name, with `choices` when any has a dropdown.
pub fn build(connections: &[(String, Arc<LoadedConnector>)], exposure: &Exposure) -> Vec<ToolDef> {
    let mut taken = HashSet::new();
    let mut tools = Vec::new();
    for (connection, connector) in connections {
        for action in connector.manifest.actions.iter().filter(|a| exposure.shows(connection, a)) {
            let name = unique(tool_name(connection, &action.key), &mut taken);
            tools.push(action_tool(name, connection, connector, action));
        }
    }
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    let with_dropdowns: Vec<&str> = tools.iter().filter(|t| !t.dropdowns.is_empty()).map(|t| t.name.as_str()).collect();
    if !with_dropdowns.is_empty() {
        let choices = choices_tool(&with_dropdowns);
        tools.push(choices);
    }
    tools
}

/// `connection__action`, with what the spec does not allow turned into `-`.
pub fn tool_name(connection: &str, action: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '-' }).collect()
    };
    let mut name = format!("{}__{}", clean(connection), clean(action));
    name.truncate(MAX_NAME);
    name
}

/// `name`, or `name-2`, `name-3`…: the first that is not taken, within [`MAX_NAME`].
fn unique(name: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) || candidate == CHOICES_TOOL {
        let suffix = format!("-{n}");
        let mut base = name.clone();
        base.truncate(MAX_NAME - suffix.len());
        candidate = base + &suffix;
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

fn action_tool(name: String, connection: &str, connector: &Arc<LoadedConnector>, action: &Action) -> ToolDef {
    let effect = action.effect();
    let dropdowns: Vec<String> = action.dynamic_options.iter().map(|d| d.field.clone()).collect();
    let mut input_schema = match &action.input_schema {
        Value::Object(map) => map.clone(),
        _ => json!({"type": "object"}).as_object().cloned().unwrap_or_default(),
    };
    for dropdown in &action.dynamic_options {
        let pointer = format!("/properties/{}", dropdown.field.replace('~', "~0").replace('/', "~1"));
        let mut schema = Value::Object(input_schema);
        if let Some(Value::Object(property)) = schema.pointer_mut(&pointer) {
            let before = property.get("description").and_then(Value::as_str).unwrap_or_default().trim().to_string();
            let how = format!(
                "Choices: {} Call the `{CHOICES_TOOL}` tool with {{\"tool\": \"{name}\", \"field\": \"{}\"}} for the \
                 values and their labels.",
                dropdown.help, dropdown.field
            );
            let text = if before.is_empty() { how } else { format!("{before} {how}") };
            property.insert("description".into(), Value::String(text));
        }
        input_schema = match schema {
            Value::Object(map) => map,
            _ => Map::new(),
        };
    }
    let (output_schema, wraps_output) = object_schema(&action.output_schema);
    let mut description =
        format!("{}\n\n{} through connection `{connection}`.", action.help.trim(), connector.manifest.name);
    match effect {
        ActionEffect::Read => {}
        ActionEffect::Write => description.push_str(" It changes the account."),
        ActionEffect::Delete => description.push_str(" It deletes from the account."),
    }
    if !action.scopes.is_empty() {
        description.push_str(&format!(" Needs the scopes: {}.", action.scopes.join(", ")));
    }
    ToolDef {
        title: action.label.clone(),
        description,
        input_schema,
        output_schema,
        wraps_output,
        read_only: effect == ActionEffect::Read,
        destructive: effect == ActionEffect::Delete,
        idempotent: action.is_idempotent(),
        dropdowns,
        target: Target::Action {
            connection: connection.to_string(),
            connector: connector.clone(),
            action: action.key.clone(),
        },
        name,
    }
}

/// An output schema as MCP wants it, an object: the schema itself when it
/// is one, else an object holding it under `result` (its `$defs` moved up so
/// references still resolve).
fn object_schema(schema: &Value) -> (Map<String, Value>, bool) {
    if let Value::Object(map) = schema
        && map.get("type").and_then(Value::as_str) == Some("object")
    {
        return (map.clone(), false);
    }
    let mut inner = schema.clone();
    let mut wrapper = Map::new();
    if let Value::Object(map) = &mut inner {
        for key in ["$schema", "$defs", "definitions"] {
            if let Some(value) = map.remove(key) {
                wrapper.insert(key.into(), value);
            }
        }
    }
    wrapper.insert("type".into(), json!("object"));
    wrapper.insert("properties".into(), json!({ "result": inner }));
    wrapper.insert("required".into(), json!(["result"]));
    (wrapper, true)
}

fn choices_tool(tools: &[&str]) -> ToolDef {
    let input = json!({
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": tools, "description": "The tool with the dropdown field."},
            "field": {"type": "string", "description": "The field, as the tool's input schema names it."},
            "input": {"type": "object", "description": "What you mean to pass the tool so far: some choices depend on it."}
        },
        "required": ["tool", "field"],
        "additionalProperties": false
    });
    let output = json!({
        "type": "object",
        "properties": {
            "choices": {"type": "array", "items": {
                "type": "object",
                "properties": {"value": {"type": "string"}, "label": {"type": "string"}},
                "required": ["value", "label"]
            }}
        },
        "required": ["choices"]
    });
    ToolDef {
        name: CHOICES_TOOL.into(),
        title: "Choices of a field".into(),
        description: "Lists the values a dropdown field of another tool takes, each with the label a person would \
                      recognise (e.g. a page's name for its id). Use it to turn \"my Facebook page\" into the id the \
                      tool needs."
            .into(),
        input_schema: input.as_object().cloned().unwrap_or_default(),
        output_schema: output.as_object().cloned().unwrap_or_default(),
        wraps_output: false,
        read_only: true,
        destructive: false,
        idempotent: true,
        dropdowns: Vec::new(),
        target: Target::Choices,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_to_the_spec_and_stay_unique() {
        assert_eq!(tool_name("acme", "find-tags"), "acme__find-tags");
        assert_eq!(tool_name("Acme Page #1", "find-tags"), "Acme-Page--1__find-tags");
        let long = tool_name(&"c".repeat(80), "find-tags");
        assert_eq!(long.len(), MAX_NAME);
        let mut taken = HashSet::new();
        let first = unique(long.clone(), &mut taken);
        let second = unique(long.clone(), &mut taken);
        assert_eq!(first, long);
        assert_ne!(second, first);
        assert!(second.ends_with("-2") && second.len() <= MAX_NAME, "{second}");
        assert_eq!(unique(CHOICES_TOOL.into(), &mut taken), "choices-2");
    }

    #[test]
    fn outputs_that_are_not_objects_travel_under_result() {
        let (schema, wrapped) = object_schema(&json!({"type": "object", "properties": {}}));
        assert!(!wrapped);
        assert_eq!(schema["type"], "object");
        let list = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
            "items": {"$ref": "#/$defs/Tag"}, "$defs": {"Tag": {"type": "object"}}});
        let (schema, wrapped) = object_schema(&list);
        assert!(wrapped);
        assert_eq!(schema["properties"]["result"]["type"], "array");
        assert_eq!(schema["$defs"]["Tag"]["type"], "object", "references from the inner schema still resolve");
        assert!(schema["properties"]["result"].get("$defs").is_none());
    }
}
