//! OpenAPI 3.0/3.1 schemas → the manifest's dialect: self-contained JSON
//! Schema 2020-12 with every `$ref` inlined (a builder's form renderer needs
//! no resolution), OpenAPI-only keywords rewritten, and no prose copied.
//!
//! - `nullable: true` becomes a union with `null`; `type: any` is dropped.
//! - `example`, `examples`, `description`, `title`, `x-*` and other
//!   annotations go: descriptions are the document's sentences, not ours.
//! - `readOnly` properties leave request schemas, `writeOnly` ones leave
//!   answer schemas.
//! - Boolean `exclusiveMinimum`/`exclusiveMaximum` become numeric ones;
//!   array-form `items` becomes `prefixItems`.
//! - `allOf` of objects is merged into one object; `oneOf` becomes `anyOf`:
//!   the documents' alternatives overlap (an SMS and an email template both
//!   fit either), so `oneOf` would refuse the API's own answers.
//! - A recursive `$ref` is cut to `{}` (anything) where it recurs.

use crate::docs::Docs;
use crate::error::GenError;
use crate::overlay::Rules;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Which side of the API a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Request,
    Response,
}

/// Annotations and OpenAPI-only keywords that never reach the output.
const DROPPED: &[&str] = &[
    "example",
    "examples",
    "description",
    "title",
    "xml",
    "externalDocs",
    "discriminator",
    "nullable",
    "readOnly",
    "writeOnly",
    "deprecated",
    "$comment",
    "contentMediaType",
    "contentEncoding",
];

pub(crate) struct Converter<'a> {
    docs: &'a mut Docs,
    rules: &'a Rules,
    direction: Direction,
    /// The `$ref`s being expanded, to cut recursion.
    stack: Vec<String>,
}

impl<'a> Converter<'a> {
    pub(crate) fn new(docs: &'a mut Docs, rules: &'a Rules, direction: Direction) -> Self {
        Converter { docs, rules, direction, stack: Vec::new() }
    }

    /// Converts `schema`, found in `file`.
    pub(crate) fn convert(&mut self, schema: &Value, file: &Path) -> Result<Value, GenError> {
        let Value::Object(map) = schema else {
            // `true`/`false` schemas (3.1) pass through.
            return Ok(schema.clone());
        };
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let (target, target_file, key) = self.docs.deref(file, reference)?;
            if self.stack.contains(&key) {
                return Ok(json!({}));
            }
            self.stack.push(key);
            let converted = self.convert(&target, &target_file);
            self.stack.pop();
            return converted;
        }
        let mut out = Map::new();
        for (key, value) in map {
            if DROPPED.contains(&key.as_str()) || key.starts_with("x-") {
                continue;
            }
            let converted = match key.as_str() {
                "type" if value == "any" => continue,
                "properties" => self.properties(value, file)?,
                "patternProperties" | "dependentSchemas" | "$defs" | "definitions" => self.map(value, file)?,
                "oneOf" => {
                    let alternatives = self.list(value, file)?;
                    out.insert("anyOf".into(), alternatives);
                    continue;
                }
                "allOf" | "anyOf" | "prefixItems" => self.list(value, file)?,
                "items" if value.is_array() => {
                    out.insert("prefixItems".into(), self.list(value, file)?);
                    continue;
                }
                "items" | "additionalProperties" | "not" | "contains" | "propertyNames" | "if" | "then" | "else" => {
                    self.convert(value, file)?
                }
                "pattern" if !pattern_compiles(value) => continue,
                _ => value.clone(),
            };
            out.insert(key.clone(), converted);
        }
        self.string_typed_objects(map, &mut out);
        drop_mistyped_default(&mut out);
        exclusive_bounds(&mut out);
        self.drop_hidden_required(map, &mut out);
        let merged = merge_all_of(out);
        if map.get("nullable") == Some(&Value::Bool(true)) {
            return Ok(nullable(merged));
        }
        Ok(Value::Object(merged))
    }

    /// Properties, minus those hidden on this side (`readOnly` in requests,
    /// `writeOnly` in answers).
    fn properties(&mut self, value: &Value, file: &Path) -> Result<Value, GenError> {
        let Value::Object(props) = value else { return Ok(value.clone()) };
        let mut out = Map::new();
        for (name, schema) in props {
            if self.hidden(schema) {
                continue;
            }
            out.insert(name.clone(), self.convert(schema, file)?);
        }
        Ok(Value::Object(out))
    }

    fn hidden(&self, schema: &Value) -> bool {
        let flag = match self.direction {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        };
        schema.get(flag) == Some(&Value::Bool(true))
    }

    fn drop_hidden_required(&self, source: &Map<String, Value>, out: &mut Map<String, Value>) {
        let Some(Value::Object(props)) = source.get("properties") else { return };
        let hidden: Vec<&String> = props.iter().filter(|(_, s)| self.hidden(s)).map(|(n, _)| n).collect();
        if let Some(Value::Array(required)) = out.get_mut("required") {
            required.retain(|r| r.as_str().is_none_or(|r| !hidden.iter().any(|h| h.as_str() == r)));
        }
    }

    fn map(&mut self, value: &Value, file: &Path) -> Result<Value, GenError> {
        let Value::Object(entries) = value else { return Ok(value.clone()) };
        let mut out = Map::new();
        for (name, schema) in entries {
            out.insert(name.clone(), self.convert(schema, file)?);
        }
        Ok(Value::Object(out))
    }

    fn list(&mut self, value: &Value, file: &Path) -> Result<Value, GenError> {
        let Value::Array(items) = value else { return Ok(value.clone()) };
        items.iter().map(|i| self.convert(i, file)).collect::<Result<Vec<_>, _>>().map(Value::Array)
    }

    /// The overlay's rule for schemas typed `object` whose example is a string.
    fn string_typed_objects(&self, source: &Map<String, Value>, out: &mut Map<String, Value>) {
        let Some(replacement) = &self.rules.object_with_string_example else { return };
        let object_typed = source.get("type").and_then(Value::as_str) == Some("object");
        if object_typed && source.get("example").is_some_and(Value::is_string) {
            out.insert("type".into(), Value::String(replacement.clone()));
            out.remove("properties");
            out.remove("required");
            out.remove("additionalProperties");
        }
    }
}

/// Whether a `pattern` compiles in the validator the host uses; patterns
/// written for other regex engines are dropped rather than breaking the manifest.
fn pattern_compiles(value: &Value) -> bool {
    let schema = json!({ "type": "string", "pattern": value });
    jsonschema::validator_for(&schema).is_ok()
}

/// A `default` of the wrong type is a mistake in the document (one holds a
/// sentence where a number belongs); it goes rather than mislead.
fn drop_mistyped_default(out: &mut Map<String, Value>) {
    let Some(default) = out.get("default") else { return };
    let fits = |t: &str| match t {
        "string" => default.is_string(),
        "number" => default.is_number(),
        "integer" => default.is_i64() || default.is_u64(),
        "boolean" => default.is_boolean(),
        "array" => default.is_array(),
        "object" => default.is_object(),
        "null" => default.is_null(),
        _ => true,
    };
    let ok = match out.get("type") {
        Some(Value::String(t)) => fits(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(fits),
        _ => true,
    };
    if !ok {
        out.remove("default");
    }
}

/// Boolean exclusive bounds (3.0) become numeric ones (2020-12).
fn exclusive_bounds(out: &mut Map<String, Value>) {
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        match out.get(exclusive) {
            Some(Value::Bool(true)) => {
                match out.remove(bound) {
                    Some(limit) => out.insert(exclusive.into(), limit),
                    None => out.remove(exclusive),
                };
            }
            Some(Value::Bool(false)) => {
                out.remove(exclusive);
            }
            _ => {}
        }
    }
}

/// Whether a converted schema describes only an object (no other keywords
/// that would change meaning when merged).
fn plain_object(schema: &Value) -> Option<&Map<String, Value>> {
    let map = schema.as_object()?;
    let typed_object = match map.get("type") {
        None => map.contains_key("properties"),
        Some(t) => t == "object",
    };
    let only_object_keys =
        map.keys().all(|k| matches!(k.as_str(), "type" | "properties" | "required" | "additionalProperties"));
    (typed_object && only_object_keys).then_some(map)
}

/// `allOf` whose parts are all plain objects becomes one object: properties
/// and required lists united.
fn merge_all_of(mut out: Map<String, Value>) -> Map<String, Value> {
    let Some(Value::Array(parts)) = out.get("allOf") else { return out };
    let objects: Option<Vec<&Map<String, Value>>> = parts.iter().map(plain_object).collect();
    let Some(objects) = objects else { return out };
    let own_type_ok = out.get("type").is_none_or(|t| t == "object");
    if !own_type_ok {
        return out;
    }
    let mut properties = match out.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        _ => Map::new(),
    };
    let mut required: Vec<Value> = out.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    for part in objects {
        if let Some(Value::Object(p)) = part.get("properties") {
            for (k, v) in p {
                properties.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        for r in part.get("required").and_then(Value::as_array).into_iter().flatten() {
            if !required.contains(r) {
                required.push(r.clone());
            }
        }
    }
    out.remove("allOf");
    out.insert("type".into(), json!("object"));
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out
}

/// `nullable: true`: add `null` to `type` (and to `enum`); without a `type`,
/// allow null beside.
fn nullable(mut out: Map<String, Value>) -> Value {
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match out.get_mut("type") {
        Some(Value::String(one)) => {
            let one = std::mem::take(one);
            out.insert("type".into(), json!([one, "null"]));
        }
        Some(Value::Array(many)) => {
            if !many.contains(&json!("null")) {
                many.push(json!("null"));
            }
        }
        _ => return json!({ "anyOf": [Value::Object(out), {"type": "null"}] }),
    }
    Value::Object(out)
}

/// A converted answer schema made lenient: no `required` anywhere, so a field
/// the API leaves out of an answer does not fail the call. Types still hold.
pub(crate) fn without_required(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter().filter(|(k, _)| *k != "required").map(|(k, v)| (k.clone(), without_required(v))).collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_required).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn convert_in(doc: Value, schema: Value, direction: Direction, rules: &Rules) -> Value {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("spec.json");
        std::fs::File::create(&path).and_then(|mut f| f.write_all(doc.to_string().as_bytes())).expect("write spec");
        let mut docs = Docs::new(Vec::new());
        let file = docs.load(&path).expect("load");
        Converter::new(&mut docs, rules, direction).convert(&schema, &file).expect("converts")
    }

    #[test]
    fn refs_inline_recursion_is_cut_and_prose_goes() {
        let doc = json!({"components": {"schemas": {
            "Node": {"type": "object", "description": "words", "properties": {
                "name": {"type": "string", "example": "x", "title": "Name"},
                "child": {"$ref": "#/components/schemas/Node"},
            }},
        }}});
        let out = convert_in(doc, json!({"$ref": "#/components/schemas/Node"}), Direction::Response, &Rules::default());
        assert_eq!(
            out,
            json!({"type": "object", "properties": {
                "name": {"type": "string"},
                // A schema that contains itself is cut where it recurs: any value is accepted there.
                "child": {},
            }})
        );
    }

    #[test]
    fn directions_hide_read_and_write_only_fields() {
        let schema = json!({"type": "object", "required": ["id", "secret"], "properties": {
            "id": {"type": "string", "readOnly": true},
            "secret": {"type": "string", "writeOnly": true},
        }});
        let request = convert_in(json!({}), schema.clone(), Direction::Request, &Rules::default());
        assert_eq!(
            request,
            json!({"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string"}}})
        );
        let response = convert_in(json!({}), schema, Direction::Response, &Rules::default());
        assert_eq!(response, json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}));
    }

    #[test]
    fn nullable_bounds_all_of_and_string_objects_convert() {
        let rules = Rules { object_with_string_example: Some("string".into()), ..Rules::default() };
        let schema = json!({"allOf": [
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}},
            {"type": "object", "properties": {"b": {"type": "object", "example": "page"}, "c": {"type": "string", "enum": ["x"], "nullable": true}}},
        ]});
        let out = convert_in(json!({}), schema, Direction::Request, &rules);
        assert_eq!(
            out,
            json!({"type": "object", "required": ["a"], "properties": {
                "a": {"type": "integer", "exclusiveMinimum": 0},
                "b": {"type": "string"},
                "c": {"type": ["string", "null"], "enum": ["x", null]},
            }})
        );
        assert_eq!(without_required(&out)["required"], Value::Null);
    }
}
