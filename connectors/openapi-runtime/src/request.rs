//! Turns an operation and an input into an HTTP request: path parameters
//! substituted and escaped, query and header parameters, the body, and the
//! values the connection or the table supply when the input leaves them out.

use crate::table::{BodyKind, Operation, ParamIn, Table};
use serde_json::{Map, Value};
use weft_sdk::CallContext;
use weft_sdk::ConnectorError;
use weft_sdk::{Request, encode};

/// Values set by the runtime itself (paging), by wire name; they win over the input.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Overrides {
    pub values: Vec<(String, Value)>,
    /// They go into the JSON body rather than the query.
    pub in_body: bool,
}

impl Overrides {
    fn get(&self, name: &str) -> Option<Value> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }
}

/// Where the value of an input field comes from.
fn value_of(
    input: &Map<String, Value>,
    ctx: &CallContext,
    field: &str,
    fact: Option<&str>,
    fixed: Option<&Value>,
) -> Option<Value> {
    input
        .get(field)
        .filter(|v| !v.is_null())
        .cloned()
        .or_else(|| fact.and_then(|f| ctx.fact(f)).map(|s| Value::String(s.to_string())))
        .or_else(|| fixed.cloned())
}

fn missing(field: &str, fact: Option<&str>) -> ConnectorError {
    match fact {
        Some(fact) => ConnectorError::invalid(
            field,
            format!("give `{field}`, or use a connection that has a `{fact}` (this one has none)"),
        ),
        None => ConnectorError::invalid(field, format!("`{field}` is required")),
    }
}

/// A scalar as the text a path, query or header carries.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Builds the request for `op` with `input` (a JSON object).
pub(crate) fn build(
    table: &Table,
    op: &Operation,
    ctx: &CallContext,
    input: &Map<String, Value>,
    overrides: &Overrides,
) -> Result<Request, ConnectorError> {
    let mut path = op.path.clone();
    let mut query: Vec<(String, String)> = Vec::new();
    // The operation's own headers win over the table's defaults.
    let mut headers: Vec<(String, String)> = table
        .headers
        .iter()
        .filter(|(k, _)| !op.headers.keys().any(|o| o.eq_ignore_ascii_case(k)))
        .chain(op.headers.iter())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for p in &op.params {
        let value = match p.location {
            ParamIn::Query if !overrides.in_body => overrides.get(&p.name),
            _ => None,
        }
        .or_else(|| value_of(input, ctx, &p.field, p.fact.as_deref(), p.fixed.as_ref()));
        let Some(value) = value else {
            if p.required {
                return Err(missing(&p.field, p.fact.as_deref()));
            }
            continue;
        };
        match p.location {
            ParamIn::Path => {
                let t = text(&value);
                if t.is_empty() {
                    return Err(ConnectorError::invalid(&p.field, "must not be empty"));
                }
                path = path.replace(&format!("{{{}}}", p.name), &encode(&t));
            }
            ParamIn::Query => push_query(&mut query, &p.name, &value),
            ParamIn::Header => headers.push((p.name.clone(), text(&value))),
        }
    }
    if !overrides.in_body {
        for (name, value) in &overrides.values {
            if !op.params.iter().any(|p| &p.name == name) {
                push_query(&mut query, name, value);
            }
        }
    }
    if let Some(unfilled) = path.find('{') {
        return Err(ConnectorError::internal(format!("path parameter left unfilled in `{}`", &path[unfilled..])));
    }
    let body = body(op, ctx, input, overrides)?;
    if let Some((content_type, _)) = &body {
        headers.push(("Content-Type".into(), content_type.to_string()));
    }
    let mut url = format!("{}{}", ctx.base_url, path);
    if !query.is_empty() {
        let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        url.push('?');
        url.push_str(&pairs.join("&"));
    }
    Ok(Request { method: op.method, url, headers, body: body.map(|(_, bytes)| bytes) })
}

/// Arrays repeat the name; objects travel as JSON text.
fn push_query(query: &mut Vec<(String, String)>, name: &str, value: &Value) {
    query.retain(|(n, _)| n != name);
    match value {
        Value::Array(items) => query.extend(items.iter().map(|i| (name.to_string(), text(i)))),
        other => query.push((name.to_string(), text(other))),
    }
}

fn body(
    op: &Operation,
    ctx: &CallContext,
    input: &Map<String, Value>,
    overrides: &Overrides,
) -> Result<Option<(&'static str, Vec<u8>)>, ConnectorError> {
    let Some(spec) = &op.body else { return Ok(None) };
    let value = match &spec.whole {
        Some(field) => match input.get(field).filter(|v| !v.is_null()) {
            Some(Value::Object(map)) if overrides.in_body => {
                let mut map = map.clone();
                map.extend(overrides.values.iter().cloned());
                Some(Value::Object(map))
            }
            Some(v) => Some(v.clone()),
            None if spec.required => return Err(missing(field, None)),
            None => None,
        },
        None => {
            let mut fields = Map::new();
            for f in &spec.fields {
                let overridden = if overrides.in_body { overrides.get(&f.name) } else { None };
                match overridden.or_else(|| value_of(input, ctx, &f.field, f.fact.as_deref(), f.fixed.as_ref())) {
                    Some(v) => {
                        fields.insert(f.name.clone(), v);
                    }
                    None if f.required => return Err(missing(&f.field, f.fact.as_deref())),
                    None => {}
                }
            }
            if overrides.in_body {
                fields.extend(overrides.values.iter().cloned());
            }
            (spec.required || !fields.is_empty()).then_some(Value::Object(fields))
        }
    };
    let Some(value) = value else { return Ok(None) };
    match spec.kind {
        BodyKind::Json => {
            let bytes =
                serde_json::to_vec(&value).map_err(|e| ConnectorError::internal(format!("encoding body: {e}")))?;
            Ok(Some(("application/json", bytes)))
        }
        BodyKind::Form => {
            let Value::Object(map) = value else {
                return Err(ConnectorError::invalid("body", "a form body must be an object"));
            };
            let pairs: Vec<String> = map.iter().map(|(k, v)| format!("{}={}", encode(k), encode(&text(v)))).collect();
            Ok(Some(("application/x-www-form-urlencoded", pairs.join("&").into_bytes())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Body, BodyField, Method, Param};
    use serde_json::json;

    fn param(name: &str, location: ParamIn, fact: Option<&str>, required: bool) -> Param {
        Param { name: name.into(), location, field: name.into(), fact: fact.map(str::to_string), fixed: None, required }
    }

    fn op() -> Operation {
        Operation {
            key: "update-note".into(),
            method: Method::Put,
            path: "/contacts/{contactId}/notes/{id}".into(),
            headers: [("Version".to_string(), "2021-07-28".to_string())].into(),
            params: vec![
                param("contactId", ParamIn::Path, None, true),
                param("id", ParamIn::Path, None, true),
                param("locationId", ParamIn::Query, Some("locationId"), true),
                param("tags", ParamIn::Query, None, false),
            ],
            body: Some(Body {
                kind: BodyKind::Json,
                fields: vec![BodyField {
                    name: "body".into(),
                    field: "body".into(),
                    fact: None,
                    fixed: None,
                    required: true,
                }],
                whole: None,
                required: true,
            }),
            scopes: vec![],
            token_kinds: vec![],
            paging: None,
            list: None,
            output: Default::default(),
        }
    }

    fn ctx(facts: Value) -> CallContext {
        CallContext::from_host("http://api.test/", &facts.to_string()).expect("facts")
    }

    #[test]
    fn path_query_headers_and_body_are_built_and_escaped() {
        let input = json!({"contactId": "a/b", "id": "n 1", "tags": ["x", "y&z"], "body": "hi"});
        let r = build(
            &Table::default(),
            &op(),
            &ctx(json!({"locationId": "loc"})),
            input.as_object().expect("object"),
            &Overrides::default(),
        )
        .expect("built");
        assert_eq!(r.url, "http://api.test/contacts/a%2Fb/notes/n%201?locationId=loc&tags=x&tags=y%26z");
        assert!(r.headers.contains(&("Version".into(), "2021-07-28".into())));
        assert_eq!(r.body.as_deref(), Some(br#"{"body":"hi"}"#.as_slice()));
    }

    #[test]
    fn a_missing_value_names_the_field_and_the_fact() {
        let input = json!({"contactId": "c", "id": "n", "body": "hi"});
        let err =
            build(&Table::default(), &op(), &ctx(json!({})), input.as_object().expect("object"), &Overrides::default())
                .expect_err("no location");
        assert!(err.to_string().contains("locationId"), "{err}");
        let input = json!({"contactId": "c", "id": "n", "locationId": "l"});
        let err =
            build(&Table::default(), &op(), &ctx(json!({})), input.as_object().expect("object"), &Overrides::default())
                .expect_err("no body");
        assert!(matches!(err, ConnectorError::InvalidInput { field: Some(ref f), .. } if f == "body"), "{err:?}");
    }

    #[test]
    fn overrides_win_and_unknown_ones_go_to_the_query() {
        let input = json!({"contactId": "c", "id": "n", "body": "b", "locationId": "l"});
        let overrides = Overrides {
            values: vec![("locationId".to_string(), json!("other")), ("skip".to_string(), json!(20))],
            in_body: false,
        };
        let r = build(&Table::default(), &op(), &ctx(json!({})), input.as_object().expect("object"), &overrides)
            .expect("built");
        assert!(r.url.ends_with("?locationId=other&skip=20"), "{}", r.url);
    }
}
