//! Answers synthesised from an operation's answer schema, with stored
//! resources placed where the answer carries them. Every stored field is
//! copied only where the schema accepts its value, and the whole answer is
//! checked before it is sent, so answers always fit the spec's shape.

use serde_json::{Map, Value, json};
use weft_gen::described::DescribedOperation;
use weft_gen::synth::{Fill, sample};

use super::Call;
use super::store::StoredResource;
use super::validate::valid;

/// Fields that say when a resource was created or changed, with which stamp.
const CREATED: &[&str] = &["createdAt", "dateAdded", "created_at", "dateCreated", "createdOn"];
const UPDATED: &[&str] = &["updatedAt", "dateUpdated", "updated_at", "lastUpdated", "updatedOn"];

/// A sample of the operation's answer, when it has a described JSON answer.
pub(crate) fn base(op: &DescribedOperation) -> Option<Value> {
    op.response.schema.as_ref().map(|s| sample(s, "", Fill::All))
}

/// The answer of an operation that keeps no state.
pub(crate) fn plain(call: &Call<'_>) -> Option<Value> {
    base(call.op)
}

/// The schema at `pointer` (through `properties`).
pub(crate) fn schema_at<'a>(schema: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = schema;
    for token in pointer.split('/').filter(|t| !t.is_empty()) {
        node = node.get("properties")?.get(token)?;
    }
    Some(node)
}

/// Sets `value` at `pointer` in `target`, creating objects on the way.
pub(crate) fn set_at(target: &mut Value, pointer: &str, value: Value) {
    let tokens: Vec<&str> = pointer.split('/').filter(|t| !t.is_empty()).collect();
    let Some((last, path)) = tokens.split_last() else {
        *target = value;
        return;
    };
    let mut node = target;
    for token in path {
        if !node.is_object() {
            *node = json!({});
        }
        let Some(map) = node.as_object_mut() else { return };
        node = map.entry(token.to_string()).or_insert_with(|| json!({}));
    }
    if let Some(map) = node.as_object_mut() {
        map.insert(last.to_string(), value);
    } else {
        *node = json!({ last.to_string(): value });
    }
}

fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

/// A stamp in the form the field's schema takes: RFC 3339 text, or milliseconds.
fn stamp_for(schema: &Value, stored: &jiff::Timestamp) -> Value {
    let text = Value::String(stored.to_string());
    if valid(schema, &text) { text } else { json!(stored.as_millisecond()) }
}

/// A stored resource rendered against `schema`: a sample of the schema with
/// the resource's id, stamps and every stored field the schema accepts.
pub(crate) fn resource(stored: &StoredResource, schema: &Value, id_field: &str) -> Value {
    let mut out = sample(schema, "", Fill::All);
    let Some(props) = properties(schema) else { return out };
    let Some(map) = out.as_object_mut() else { return out };
    for (key, value) in &stored.fields {
        if let Some(prop) = props.get(key)
            && valid(prop, value)
        {
            map.insert(key.clone(), value.clone());
        }
    }
    identify(map, props, stored, id_field);
    if !valid(schema, &out) {
        // A stored field the schema accepts alone but not beside the others
        // (or a schema no answer can meet, e.g. one requiring a field it does
        // not describe): fall back to the sample with only the id and stamps.
        tracing::debug!(id = %stored.id, "stored fields do not fit the answer; sending the sample");
        let mut fallback = sample(schema, "", Fill::All);
        if let Some(map) = fallback.as_object_mut() {
            identify(map, props, stored, id_field);
        }
        return fallback;
    }
    out
}

/// Sets the resource's id and its created and updated stamps, where the schema has them.
fn identify(map: &mut Map<String, Value>, props: &Map<String, Value>, stored: &StoredResource, id_field: &str) {
    for (names, at) in [(CREATED, &stored.created), (UPDATED, &stored.updated)] {
        for name in names {
            if let Some(prop) = props.get(*name) {
                map.insert(name.to_string(), stamp_for(prop, at));
            }
        }
    }
    if props.contains_key(id_field) {
        map.insert(id_field.to_string(), Value::String(stored.id.clone()));
    }
}

/// The answer of a create, get or update: the sample with the resource at its place.
pub(crate) fn with_entity(op: &DescribedOperation, stored: &StoredResource) -> Option<Value> {
    let schema = op.response.schema.as_ref()?;
    let mut answer = base(op)?;
    let Some(res) = &op.resource else { return Some(answer) };
    let Some(pointer) = &res.entity else { return Some(answer) };
    // An answer that does not carry the entity (an update answering
    // `{success, statusCode, message}`) is the plain sample.
    let Some(entity_schema) = schema_at(schema, pointer) else { return Some(answer) };
    set_at(&mut answer, pointer, resource(stored, entity_schema, &res.id_field));
    Some(answer)
}

/// The answer of a list: the sample with these items, counts set to `total`.
pub(crate) fn with_items(op: &DescribedOperation, items: &[&StoredResource], total: usize) -> Option<Value> {
    let schema = op.response.schema.as_ref()?;
    let mut answer = base(op)?;
    let Some(shape) = &op.list else { return Some(answer) };
    let item_schema = schema_at(schema, &shape.items).and_then(|s| s.get("items")).cloned().unwrap_or(json!({}));
    let rendered: Vec<Value> = items.iter().map(|s| resource(s, &item_schema, &shape.id)).collect();
    set_at(&mut answer, &shape.items, Value::Array(rendered));
    for pointer in ["/total", "/count", "/totalCount", "/meta/total"] {
        if let Some(prop) = schema_at(schema, pointer)
            && answer.pointer(pointer).is_some()
            && valid(prop, &json!(total))
        {
            set_at(&mut answer, pointer, json!(total));
        }
    }
    Some(answer)
}
