//! Sample values from JSON Schemas: deterministic, realistic where a field's
//! name says what it holds, and valid against the schema for the keywords
//! generated schemas use (types, enums, consts, formats, bounds, lengths,
//! required, compositions).
//!
//! The generator uses it for manifest samples, the simulator for answers and
//! seeded resources, and tests for inputs, so all three agree on shapes.

use serde_json::{Map, Value, json};

/// Which properties of an object a sample fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Every declared property (samples, simulator answers).
    All,
    /// Only the required ones (minimal valid inputs).
    Required,
}

/// How deep objects nest before samples stop descending.
const MAX_DEPTH: usize = 8;

/// A value valid against `schema`; `name` is the property it is for, if any.
pub fn sample(schema: &Value, name: &str, fill: Fill) -> Value {
    Synth { fill }.value(schema, name, 0)
}

struct Synth {
    fill: Fill,
}

/// The first type a schema allows, preferring anything over `null`.
fn first_type(schema: &Map<String, Value>) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t.as_str()),
        Value::Array(types) => {
            types.iter().filter_map(Value::as_str).find(|t| *t != "null").or_else(|| types.first()?.as_str())
        }
        _ => None,
    }
}

impl Synth {
    fn value(&self, schema: &Value, name: &str, depth: usize) -> Value {
        let Value::Object(s) = schema else { return json!({}) };
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        if let Some(Value::Array(values)) = s.get("enum") {
            return values.iter().find(|v| !v.is_null()).or(values.first()).cloned().unwrap_or(Value::Null);
        }
        if let Some(v) = s.get("default").filter(|v| !v.is_null()) {
            return v.clone();
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(options)) = s.get(key) {
                let pick = options.iter().find(|o| o.get("type").and_then(Value::as_str) != Some("null"));
                if let Some(pick) = pick.or(options.first()) {
                    return self.value(pick, name, depth);
                }
            }
        }
        if let Some(Value::Array(parts)) = s.get("allOf") {
            return self.all_of(s, parts, name, depth);
        }
        match first_type(s) {
            Some("object") => self.object(s, depth),
            Some("array") => self.array(s, name, depth),
            Some("string") => Value::String(string(s, name)),
            Some("integer") => integer(s, name),
            Some("number") => number(s),
            Some("boolean") => json!(false),
            Some("null") => Value::Null,
            _ if s.contains_key("properties") => self.object(s, depth),
            _ if s.contains_key("items") => self.array(s, name, depth),
            _ => json!({}),
        }
    }

    fn all_of(&self, s: &Map<String, Value>, parts: &[Value], name: &str, depth: usize) -> Value {
        let mut merged = Map::new();
        let mut other = None;
        for part in parts {
            match self.value(part, name, depth) {
                Value::Object(m) => merged.extend(m),
                v => other = Some(v),
            }
        }
        if let Some(Value::Object(own)) = s.contains_key("properties").then(|| self.object(s, depth)) {
            merged.extend(own);
        }
        match other {
            Some(v) if merged.is_empty() => v,
            _ => Value::Object(merged),
        }
    }

    fn object(&self, s: &Map<String, Value>, depth: usize) -> Value {
        let mut out = Map::new();
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(Value::Object(props)) = s.get("properties") else {
            return Value::Object(out);
        };
        for (key, prop) in props {
            let wanted = match self.fill {
                Fill::All => depth < MAX_DEPTH || required.contains(&key.as_str()),
                Fill::Required => required.contains(&key.as_str()),
            };
            if wanted {
                out.insert(key.clone(), self.value(prop, key, depth + 1));
            }
        }
        Value::Object(out)
    }

    fn array(&self, s: &Map<String, Value>, name: &str, depth: usize) -> Value {
        let min = s.get("minItems").and_then(Value::as_u64).unwrap_or(0);
        let max = s.get("maxItems").and_then(Value::as_u64).unwrap_or(u64::MAX);
        // An array reached here is wanted (every field, or a required one):
        // APIs such as GHL refuse a required array that is empty.
        let count = if depth < MAX_DEPTH { min.max(1).min(max) } else { min };
        let item_name = name.strip_suffix('s').unwrap_or(name);
        let items = s.get("items").cloned().unwrap_or(json!({}));
        let unique = s.get("uniqueItems") == Some(&Value::Bool(true));
        let mut out: Vec<Value> = Vec::new();
        for i in 0..count {
            let mut v = self.value(&items, item_name, depth + 1);
            if unique && out.contains(&v) {
                v = distinct(v, i);
            }
            out.push(v);
        }
        Value::Array(out)
    }
}

/// Makes the `i`-th of several equal scalars differ (for `uniqueItems`).
fn distinct(v: Value, i: u64) -> Value {
    match v {
        Value::String(s) => Value::String(format!("{s}{i}")),
        Value::Number(n) => json!(n.as_f64().unwrap_or(0.0) + i as f64),
        other => other,
    }
}

fn lower(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A string for a field: by format, then by what the name says.
fn string(s: &Map<String, Value>, name: &str) -> String {
    let format = s.get("format").and_then(Value::as_str).unwrap_or_default();
    let n = lower(name);
    let base = match format {
        _ if s.contains_key("pattern") => return patterned(s, name),
        "date-time" => "2026-06-02T09:30:00.000Z".to_string(),
        "date" => "2026-06-02".to_string(),
        "time" => "09:30:00".to_string(),
        "email" => "jane.doe@example.com".to_string(),
        "uri" | "url" => "https://example.com/page".to_string(),
        "uuid" => "3f0c9a52-7d1e-4b8a-9c41-2f6e5d7a8b90".to_string(),
        "ipv4" => "203.0.113.7".to_string(),
        _ => by_name(&n),
    };
    fit_length(s, base)
}

/// Strings tried against a `pattern`, after the one the name suggests.
const PATTERN_CANDIDATES: &[&str] =
    &["09:30", "2026-06-02", "America/New_York", "2026-06-02T09:30:00.000Z", "sample", "65fbdcfecc884f07e645ea8b", "1"];

/// A string matching the schema's `pattern`, when one of a few candidates does.
fn patterned(s: &Map<String, Value>, name: &str) -> String {
    let guess = by_name(&lower(name));
    let pattern = s.get("pattern").and_then(Value::as_str).unwrap_or_default();
    let Ok(re) = regex::Regex::new(pattern) else { return fit_length(s, guess) };
    std::iter::once(guess.as_str())
        .chain(PATTERN_CANDIDATES.iter().copied())
        .map(|c| fit_length(s, c.to_string()))
        .find(|c| re.is_match(c))
        .unwrap_or_else(|| fit_length(s, guess))
}

fn by_name(n: &str) -> String {
    let ends = |suffix: &str| n.ends_with(suffix);
    if n == "id" || n == "_id" || ends("id") && !n.ends_with("paid") || ends("ids") {
        "65fbdcfecc884f07e645ea8b".into()
    } else if n.contains("email") {
        "jane.doe@example.com".into()
    } else if n.contains("phone") {
        "+15555550123".into()
    } else if ends("at") || n.contains("date") || n.contains("time") && !n.contains("timezone") {
        "2026-06-02T09:30:00.000Z".into()
    } else if n.contains("timezone") {
        "America/New_York".into()
    } else if n.contains("url") || n.contains("link") || n.contains("website") {
        "https://example.com/page".into()
    } else if n == "firstname" {
        "Jane".into()
    } else if n == "lastname" {
        "Doe".into()
    } else if n.contains("name") || n == "title" {
        "Sample name".into()
    } else if n.contains("country") {
        "US".into()
    } else if n.contains("currency") {
        "USD".into()
    } else if n.contains("color") || n.contains("colour") {
        "#1a73e8".into()
    } else {
        "sample".into()
    }
}

fn fit_length(s: &Map<String, Value>, mut text: String) -> String {
    let min = s.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = s.get("maxLength").and_then(Value::as_u64).map(|m| m as usize);
    while text.chars().count() < min {
        text.push('x');
    }
    if let Some(max) = max {
        text = text.chars().take(max).collect();
    }
    text
}

fn bound(s: &Map<String, Value>, key: &str) -> Option<f64> {
    s.get(key).and_then(Value::as_f64)
}

fn integer(s: &Map<String, Value>, name: &str) -> Value {
    let n = lower(name);
    let preferred: i64 = if n.contains("limit") || n.contains("size") || n.contains("count") { 10 } else { 1 };
    let mut v = preferred as f64;
    if let Some(min) = bound(s, "minimum") {
        v = v.max(min.ceil());
    }
    if let Some(min) = bound(s, "exclusiveMinimum") {
        v = v.max(min.floor() + 1.0);
    }
    if let Some(max) = bound(s, "maximum") {
        v = v.min(max.floor());
    }
    if let Some(max) = bound(s, "exclusiveMaximum") {
        v = v.min(max.ceil() - 1.0);
    }
    json!(v as i64)
}

fn number(s: &Map<String, Value>) -> Value {
    let mut v: f64 = 1.5;
    if let Some(min) = bound(s, "minimum") {
        v = v.max(min);
    }
    if let Some(min) = bound(s, "exclusiveMinimum") {
        v = v.max(min + 0.5);
    }
    if let Some(max) = bound(s, "maximum") {
        v = v.min(max);
    }
    if let Some(max) = bound(s, "exclusiveMaximum") {
        v = v.min(max - 0.5);
    }
    json!(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_fill_all_or_required_properties() {
        let schema = json!({"type": "object", "required": ["id"], "properties": {
            "id": {"type": "string"},
            "email": {"type": ["string", "null"]},
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
            "count": {"type": "integer", "minimum": 3, "maximum": 5},
            "kind": {"const": "x"},
        }});
        assert_eq!(
            sample(&schema, "", Fill::All),
            json!({"id": "65fbdcfecc884f07e645ea8b", "email": "jane.doe@example.com", "tags": ["a"], "count": 5, "kind": "x"})
        );
        assert_eq!(sample(&schema, "", Fill::Required), json!({"id": "65fbdcfecc884f07e645ea8b"}));
    }

    #[test]
    fn compositions_lengths_and_bounds_are_respected() {
        let schema = json!({"allOf": [
            {"type": "object", "properties": {"a": {"type": "string", "minLength": 12, "maxLength": 14}}},
            {"type": "object", "properties": {"b": {"anyOf": [{"type": "null"}, {"type": "number", "exclusiveMaximum": 1}]}}},
        ]});
        let v = sample(&schema, "", Fill::All);
        assert_eq!(v["a"].as_str().map(str::len), Some(12), "{v}");
        assert_eq!(v["b"], json!(0.5));
        let unique = json!({"type": "array", "minItems": 2, "uniqueItems": true, "items": {"type": "string"}});
        assert_eq!(sample(&unique, "labels", Fill::Required), json!(["sample", "sample1"]));
    }
}
