//! Request checks against an operation's description, answered the way
//! GHL's NestJS validation does: a 422 whose `message` lists what is wrong,
//! or a 400 for a body that is not JSON at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value, json};
use weft_gen::described::DescribedOperation;
use weft_openapi_runtime::table::ParamIn;

use crate::errors::ApiError;
use crate::input::Query;

/// Compiled validators by schema text, shared by every simulator in the process.
fn validator(schema: &Value) -> Option<Arc<jsonschema::Validator>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = schema.to_string();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Some(v.clone());
    }
    let compiled = Arc::new(jsonschema::validator_for(schema).ok()?);
    cache.lock().unwrap_or_else(|p| p.into_inner()).insert(key, compiled.clone());
    Some(compiled)
}

/// Whether `value` is valid against `schema` (a schema that does not compile accepts everything).
pub(crate) fn valid(schema: &Value, value: &Value) -> bool {
    validator(schema).is_none_or(|v| v.is_valid(value))
}

/// class-validator style messages for everything wrong with `value`.
fn problems(schema: &Value, value: &Value, name: &str) -> Vec<String> {
    let Some(v) = validator(schema) else { return Vec::new() };
    v.iter_errors(value)
        .map(|e| {
            let at = e.instance_path().to_string();
            let field = if at.is_empty() { name.to_string() } else { at.trim_start_matches('/').replace('/', ".") };
            if field.is_empty() { e.to_string() } else { format!("{field}: {e}") }
        })
        .collect()
}

fn first_type(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("string"),
        _ => "string",
    }
}

/// A query string value as the type its schema wants; `None` when it cannot be.
fn coerce(text: &str, schema: &Value) -> Option<Value> {
    match first_type(schema) {
        "integer" => text.parse::<i64>().ok().map(Value::from),
        "number" => text.parse::<f64>().ok().map(|n| json!(n)),
        "boolean" => match text {
            "true" => Some(json!(true)),
            "false" => Some(json!(false)),
            _ => None,
        },
        _ => Some(Value::String(text.to_string())),
    }
}

/// The declared query parameters, typed and checked.
pub(crate) fn query(op: &DescribedOperation, raw: Option<&str>) -> Result<Map<String, Value>, ApiError> {
    let query = Query::parse(raw);
    let mut out = Map::new();
    let mut errors = Vec::new();
    for p in op.params.iter().filter(|p| p.location == ParamIn::Query) {
        let values = query.all(&p.name);
        if values.is_empty() {
            if p.required {
                errors.push(format!("{} should not be empty", p.name));
            }
            continue;
        }
        let value = if first_type(&p.schema) == "array" {
            let items = p.schema.get("items").cloned().unwrap_or(json!({}));
            let parts: Vec<&str> = values.iter().flat_map(|v| v.split(',')).collect();
            Some(Value::Array(parts.iter().filter_map(|v| coerce(v, &items)).collect()))
        } else {
            match values.as_slice() {
                [one] => coerce(one, &p.schema),
                _ => None,
            }
        };
        match value {
            Some(v) => {
                errors.extend(problems(&p.schema, &v, &p.name));
                out.insert(p.name.clone(), v);
            }
            None => errors.push(format!("{} must be a {}", p.name, first_type(&p.schema))),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(ApiError::Unprocessable(errors)) }
}

/// The body, parsed and checked against the operation's schema; `Null` when it takes none.
pub(crate) fn body(op: &DescribedOperation, content_type: Option<&str>, bytes: &[u8]) -> Result<Value, ApiError> {
    let Some(spec) = &op.body else { return Ok(Value::Null) };
    if spec.content_type.starts_with("multipart/") {
        return Ok(Value::Null);
    }
    let form = spec.content_type == "application/x-www-form-urlencoded"
        || content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let value = if bytes.iter().all(u8::is_ascii_whitespace) {
        if !spec.required {
            return Ok(Value::Null);
        }
        json!({})
    } else if form {
        let map: Map<String, Value> =
            url::form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
        return Ok(Value::Object(map));
    } else {
        serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest(format!("Unexpected token in JSON: {e}")))?
    };
    let errors = problems(&spec.schema, &value, "");
    if errors.is_empty() { Ok(value) } else { Err(ApiError::Unprocessable(errors)) }
}
