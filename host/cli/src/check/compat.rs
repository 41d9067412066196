//! `weft check NEW --against OLD`: what in a new version breaks the
//! subscriptions and mappings made with the old one. A key that is gone, an
//! input schema that refuses what the old one took, an output field a
//! mapping may read that is no longer there, a scope existing connections
//! were not granted: each is a breaking change an operator must know of
//! before upgrading.

use super::report::Report;
use serde_json::Value;
use weft::ConnectorManifest;

/// Follows a local `$ref` (`#/$defs/…`) against `root`; other values as they are.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        let Some(pointer) = current.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) else {
            break;
        };
        match root.pointer(pointer) {
            Some(target) => current = target,
            None => break,
        }
    }
    current
}

fn types(schema: &Value) -> Option<Vec<String>> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(vec![t.clone()]),
        Some(Value::Array(ts)) => Some(ts.iter().filter_map(Value::as_str).map(str::to_string).collect()),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

/// Where `new` refuses input `old` accepted, as sentences naming the field.
fn narrowed(old_root: &Value, old: &Value, new_root: &Value, new: &Value, at: &str, out: &mut Vec<String>) {
    let (old, new) = (resolve(old_root, old), resolve(new_root, new));
    let field = if at.is_empty() { "the input".to_string() } else { format!("`{at}`") };
    if let Some(new_types) = types(new) {
        let widened = |t: &String| new_types.contains(t) || (t == "integer" && new_types.iter().any(|n| n == "number"));
        match types(old) {
            Some(old_types) if old_types.iter().all(widened) => {}
            Some(old_types) => {
                out.push(format!("{field} was {} and is now {}", old_types.join("|"), new_types.join("|")))
            }
            None => out.push(format!("{field} took any type and now takes only {}", new_types.join("|"))),
        }
    }
    if let Some(new_enum) = new.get("enum").and_then(Value::as_array) {
        match old.get("enum").and_then(Value::as_array) {
            Some(old_enum) => {
                let gone: Vec<String> =
                    old_enum.iter().filter(|v| !new_enum.contains(v)).map(Value::to_string).collect();
                if !gone.is_empty() {
                    out.push(format!("{field} no longer takes {}", gone.join(", ")));
                }
            }
            None => out.push(format!("{field} now takes only {}", Value::Array(new_enum.clone()))),
        }
    }
    if new.get("const").is_some() && new.get("const") != old.get("const") {
        out.push(format!("{field} now takes only {}", new["const"]));
    }
    let number = |s: &Value, k: &str| s.get(k).and_then(Value::as_f64);
    for (key, tighter_is_higher) in [
        ("minimum", true),
        ("exclusiveMinimum", true),
        ("minLength", true),
        ("minItems", true),
        ("minProperties", true),
        ("maximum", false),
        ("exclusiveMaximum", false),
        ("maxLength", false),
        ("maxItems", false),
        ("maxProperties", false),
    ] {
        if let Some(n) = number(new, key) {
            let tighter = match number(old, key) {
                Some(o) if tighter_is_higher => n > o,
                Some(o) => n < o,
                None => true,
            };
            if tighter {
                let was = number(old, key).map(|o| format!("{o}")).unwrap_or_else(|| "none".into());
                out.push(format!("{field}: {key} is now {n} (was {was})"));
            }
        }
    }
    for key in ["pattern", "format"] {
        if let Some(p) = new.get(key).filter(|p| Some(*p) != old.get(key)) {
            out.push(format!("{field}: {key} is now {p}"));
        }
    }
    let old_required = strings(old.get("required"));
    for r in strings(new.get("required")).into_iter().filter(|r| !old_required.contains(r)) {
        out.push(format!("`{}` is now required", join(at, &r)));
    }
    let closed = |s: &Value| s.get("additionalProperties") == Some(&Value::Bool(false));
    let empty = serde_json::Map::new();
    let old_props = old.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    let new_props = new.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    if closed(new) && !closed(old) {
        out.push(format!("{field} now refuses fields it does not list"));
    }
    for (name, old_p) in old_props {
        match new_props.get(name) {
            Some(new_p) => narrowed(old_root, old_p, new_root, new_p, &join(at, name), out),
            None if closed(new) => {
                out.push(format!("`{}` was removed, and unknown fields are refused", join(at, name)))
            }
            None => {}
        }
    }
    if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
        narrowed(old_root, old_items, new_root, new_items, &format!("{at}[]"), out);
    }
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() { name.to_string() } else { format!("{at}.{name}") }
}

/// Output fields of `old` that `new` no longer lists: a mapping reading one breaks.
fn removed_outputs(old_root: &Value, old: &Value, new_root: &Value, new: &Value, at: &str, out: &mut Vec<String>) {
    let (old, new) = (resolve(old_root, old), resolve(new_root, new));
    let empty = serde_json::Map::new();
    let old_props = old.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    let new_props = new.get("properties").and_then(Value::as_object).unwrap_or(&empty);
    for (name, old_p) in old_props {
        match new_props.get(name) {
            Some(new_p) => removed_outputs(old_root, old_p, new_root, new_p, &join(at, name), out),
            None => out.push(format!("output field `{}` is gone; mappings that read it break", join(at, name))),
        }
    }
    if let (Some(old_items), Some(new_items)) = (old.get("items"), new.get("items")) {
        removed_outputs(old_root, old_items, new_root, new_items, &format!("{at}[]"), out);
    }
}

/// A trigger or action as compared: kind, key, label, input and output schemas, scopes.
type Entry = (&'static str, String, String, Value, Value, Vec<String>);

/// One finding per trigger and action of `old`: unchanged for its users, or what breaks.
pub(crate) fn check(old: &ConnectorManifest, new: &ConnectorManifest, report: &mut Report) {
    if old.id != new.id {
        report.fail(
            "breaking-change",
            "connector",
            format!("the id changed from `{}` to `{}`; every subscription names the id", old.id, new.id),
        );
    }
    let entries = |m: &ConnectorManifest| -> Vec<Entry> {
        m.triggers
            .iter()
            .map(|t| {
                (
                    "trigger",
                    t.key.clone(),
                    t.label.clone(),
                    t.input_schema.clone(),
                    t.output_schema.clone(),
                    t.scopes.clone(),
                )
            })
            .chain(m.actions.iter().map(|a| {
                (
                    "action",
                    a.key.clone(),
                    a.label.clone(),
                    a.input_schema.clone(),
                    a.output_schema.clone(),
                    a.scopes.clone(),
                )
            }))
            .collect()
    };
    let (was, now) = (entries(old), entries(new));
    for (kind, key, label, old_in, old_out, old_scopes) in &was {
        let subject = format!("{kind} {key}");
        let Some((_, _, _, new_in, new_out, new_scopes)) = now.iter().find(|e| e.0 == *kind && e.1 == *key) else {
            let renamed = now
                .iter()
                .find(|e| e.0 == *kind && e.2 == *label && !was.iter().any(|w| w.0 == e.0 && w.1 == e.1))
                .map(|e| format!(" (renamed to `{}`? a key must never change)", e.1))
                .unwrap_or_default();
            report.fail(
                "breaking-change",
                subject,
                format!("was removed{renamed}; subscriptions and flows using it break"),
            );
            continue;
        };
        let mut problems = Vec::new();
        narrowed(old_in, old_in, new_in, new_in, "", &mut problems);
        removed_outputs(old_out, old_out, new_out, new_out, "", &mut problems);
        for scope in new_scopes.iter().filter(|s| !old_scopes.contains(s)) {
            problems.push(format!("needs scope `{scope}`, which existing connections were not granted"));
        }
        if problems.is_empty() {
            report.pass("breaking-change", subject, "takes every input it took and keeps every output field");
        } else {
            report.fail("breaking-change", subject, problems.join("; "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn narrowing(old: Value, new: Value) -> Vec<String> {
        let mut out = Vec::new();
        narrowed(&old, &old, &new, &new, "", &mut out);
        out
    }

    #[test]
    fn what_refuses_old_inputs_is_named() {
        let old = json!({"type": "object", "properties": {"limit": {"type": "integer", "maximum": 100}, "q": {"type": "string"}}});
        assert!(narrowing(old.clone(), old.clone()).is_empty());
        let wider = json!({"type": "object", "properties": {"limit": {"type": "number", "maximum": 500}, "q": {"type": ["string", "null"]}}});
        assert!(narrowing(old.clone(), wider).is_empty());
        let new = json!({
            "type": "object", "required": ["q"], "additionalProperties": false,
            "properties": {"limit": {"type": "integer", "maximum": 50}, "q": {"type": "string", "enum": ["a"]}}
        });
        let found = narrowing(old, new);
        assert!(found.iter().any(|p| p == "`q` is now required"), "{found:?}");
        assert!(found.iter().any(|p| p.contains("`limit`: maximum is now 50 (was 100)")), "{found:?}");
        assert!(found.iter().any(|p| p.contains("now refuses fields")), "{found:?}");
        assert!(found.iter().any(|p| p.contains("`q` now takes only")), "{found:?}");
    }

    #[test]
    fn refs_are_followed() {
        let old = json!({"$defs": {"L": {"type": "integer", "maximum": 100}}, "properties": {"limit": {"$ref": "#/$defs/L"}}});
        let new =
            json!({"$defs": {"L": {"type": "integer", "maximum": 10}}, "properties": {"limit": {"$ref": "#/$defs/L"}}});
        assert_eq!(narrowing(old, new), ["`limit`: maximum is now 10 (was 100)"]);
    }
}
