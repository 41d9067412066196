//! One OpenAPI operation → a plan: its table entry (how an input becomes the
//! request), its action's input and output schemas, and its simulator
//! description. An operation that cannot become an action gets a reason.

use crate::convert::{Converter, Direction, without_required};
use crate::described::{DescribedBody, DescribedOperation, DescribedParam, DescribedResponse};
use crate::docs::Docs;
use crate::error::GenError;
use crate::overlay::{OperationOverlay, Overlay};
use crate::shape;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use weft_manifest::OperationSource;
use weft_openapi_runtime::table::{Body, BodyField, BodyKind, ListShape, Method, Operation, Output, Param, ParamIn};

/// An operation as found in a document.
pub(crate) struct SourceOp {
    /// The document's file name.
    pub spec: String,
    /// The document's canonical path.
    pub file: PathBuf,
    pub path: String,
    pub method: Method,
    pub op: Value,
    /// Parameters declared on the path item, for every method.
    pub shared_params: Vec<Value>,
}

impl SourceOp {
    pub(crate) fn operation_id(&self) -> String {
        self.op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("{} {}", self.method.as_str(), self.path))
    }

    /// `<spec>#<operationId>`: how the overlay names it.
    pub(crate) fn overlay_key(&self) -> String {
        format!("{}#{}", self.spec, self.operation_id())
    }

    pub(crate) fn source(&self) -> OperationSource {
        OperationSource {
            spec: self.spec.clone(),
            operation_id: self.operation_id(),
            method: self.method.as_str().into(),
            path: self.path.clone(),
        }
    }
}

/// Every operation of a document, in document order.
pub(crate) fn operations(docs: &Docs, file: &Path) -> Vec<SourceOp> {
    let spec = file.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    let mut out = Vec::new();
    let Some(paths) = docs.doc(file).get("paths").and_then(Value::as_object) else { return out };
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        let shared_params = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        for (method, op) in item {
            let Some(method) = Method::parse(method) else { continue };
            out.push(SourceOp {
                spec: spec.clone(),
                file: file.to_owned(),
                path: path.clone(),
                method,
                op: op.clone(),
                shared_params: shared_params.clone(),
            });
        }
    }
    out
}

/// A parameter after resolution and conversion.
struct ParamInfo {
    name: String,
    location: ParamIn,
    required: bool,
    schema: Value,
}

/// What became of one operation.
pub(crate) enum Outcome {
    Planned(Box<Planned>),
    Unavailable { source: OperationSource, reason: String, described: Option<Box<DescribedOperation>> },
}

/// An operation ready to become an action.
pub(crate) struct Planned {
    pub source: OperationSource,
    /// The key before uniqueness is settled.
    pub key: String,
    pub label: String,
    pub help: Option<String>,
    pub deprecated: bool,
    pub operation: Operation,
    pub input_schema: Value,
    pub required_inputs: Vec<String>,
    pub output_schema: Value,
    pub output_described: bool,
    /// The list item schema (lenient), when the operation lists.
    pub item_schema: Option<Value>,
    pub described: DescribedOperation,
    pub handwritten: Option<String>,
    pub no_triggers: bool,
}

/// The fields the connector fills from the connection or a fixed value.
struct Fills<'a> {
    overlay: &'a Overlay,
}

impl Fills<'_> {
    fn fact(&self, name: &str, schema: &Value) -> Option<String> {
        let fact = self.overlay.facts.get(name)?;
        let is_string = schema
            .get("type")
            .is_none_or(|t| t == "string" || t.as_array().is_some_and(|ts| ts.iter().any(|t| t == "string")));
        is_string.then(|| fact.clone())
    }

    /// A value sent when left out: a one-value enum, or the overlay's, when the schema allows it.
    fn fixed(&self, name: &str, schema: &Value) -> Option<Value> {
        if let Some(Value::Array(values)) = schema.get("enum")
            && let [one] = values.as_slice()
        {
            return Some(one.clone());
        }
        let value = self.overlay.fixed.get(name)?;
        jsonschema::validator_for(schema).ok().filter(|v| v.is_valid(value)).map(|_| value.clone())
    }
}

fn unavailable(src: &SourceOp, reason: impl Into<String>) -> Outcome {
    Outcome::Unavailable { source: src.source(), reason: reason.into(), described: None }
}

/// Plans one operation.
pub(crate) fn plan(docs: &mut Docs, overlay: &Overlay, src: &SourceOp) -> Result<Outcome, GenError> {
    let ov = overlay.operations.get(&src.overlay_key()).cloned().unwrap_or_default();
    if let Some(reason) = &ov.skip {
        return Ok(unavailable(src, reason.clone()));
    }
    let mut params = match read_params(docs, overlay, src, &ov)? {
        Ok(p) => p,
        Err(reason) => return Ok(unavailable(src, reason)),
    };
    let mut headers = BTreeMap::new();
    params.retain(|p| {
        if p.location != ParamIn::Header {
            return true;
        }
        if overlay.rules.drop_headers.iter().any(|h| h.eq_ignore_ascii_case(&p.name)) {
            return false;
        }
        match single_value(&p.schema) {
            Some(v) => {
                headers.insert(p.name.clone(), v);
                false
            }
            None => true,
        }
    });
    for var in template_vars(&src.path) {
        if !params.iter().any(|p| p.location == ParamIn::Path && p.name == var) {
            return Ok(unavailable(src, format!("the path uses `{{{var}}}` but declares no such parameter")));
        }
    }
    let (body, blocker) = match read_body(docs, overlay, src)? {
        Ok(b) if b.as_ref().is_some_and(|b| b.multipart) => {
            (b, Some("it uploads files (multipart/form-data); weft inputs and outputs are JSON".to_string()))
        }
        Ok(b) => (b, None),
        Err(reason) => return Ok(unavailable(src, reason)),
    };
    let response = read_response(docs, overlay, src, &ov)?;
    let (scopes, token_kinds) = security(overlay, src, &ov);
    let read = ov.read.unwrap_or_else(|| is_read(overlay, src));
    let fills = Fills { overlay };

    // The table entry and the input schema, from parameters and body.
    let mut props = Map::new();
    let mut required = Vec::new();
    let mut table_params = Vec::new();
    for p in &params {
        let fact = fills.fact(&p.name, &p.schema);
        let fixed = fills.fixed(&p.name, &p.schema);
        let help = match p.location {
            ParamIn::Path => format!("Goes into the request path as `{{{}}}`.", p.name),
            ParamIn::Query => format!("Sent as the query parameter `{}`.", p.name),
            ParamIn::Header => format!("Sent as the request header `{}`.", p.name),
        };
        add_input(
            &mut props,
            &mut required,
            &p.name,
            &p.schema,
            p.required && fact.is_none() && fixed.is_none(),
            InputHelp { fact: fact.as_deref(), sent: &help },
        );
        table_params.push(Param {
            name: p.name.clone(),
            location: p.location,
            field: p.name.clone(),
            fact,
            fixed,
            required: p.required,
        });
    }
    let table_body = body.as_ref().filter(|b| !b.multipart).map(|b| body_entry(b, &fills, &mut props, &mut required));
    let input_schema = json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    });

    // Lists, paging and the resource acted on.
    let faithful_answer = response.schema.clone();
    let list: Option<(ListShape, Value)> = match (&ov.list, ov.not_list, read, &faithful_answer) {
        (Some(shape), _, _, Some(answer)) => Some((shape.clone(), item_at(answer, &shape.items))),
        (_, true, _, _) | (_, _, false, _) | (_, _, _, None) => None,
        (None, false, true, Some(answer)) => {
            let item_path = src.path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().starts_with('{');
            if item_path { None } else { shape::find_list(answer, &shape::last_word(&src.path)) }
        }
    };
    let query_names: BTreeMap<String, Value> =
        params.iter().filter(|p| p.location == ParamIn::Query).map(|p| (p.name.clone(), p.schema.clone())).collect();
    let body_names: BTreeMap<String, Value> = body
        .as_ref()
        .and_then(|b| b.schema.get("properties").and_then(Value::as_object))
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let paging = list.as_ref().and_then(|_| {
        ov.paging.clone().or_else(|| {
            shape::detect_paging(
                &shape::PagingInputs { query: &query_names, body: &body_names },
                faithful_answer.as_ref(),
            )
        })
    });
    let resource = match &ov.resource {
        Some(r) => Some(crate::described::Resource {
            collection: r.collection.clone(),
            role: r.role,
            id_param: template_vars(&src.path).last().cloned().filter(|_| {
                matches!(
                    r.role,
                    crate::described::Role::Get | crate::described::Role::Update | crate::described::Role::Delete
                )
            }),
            entity: r.entity.clone(),
            id_field: r
                .id_field
                .clone()
                .or_else(|| list.as_ref().map(|(s, _)| s.id.clone()))
                .unwrap_or_else(|| "id".into()),
        }),
        None => {
            let list = list.as_ref().map(|(s, _)| s);
            shape::detect_resource(
                src.method,
                &src.path,
                read,
                &overlay.rules.read_segments,
                list,
                faithful_answer.as_ref(),
            )
        }
    };

    let output = if response.text { Output::Text } else { Output::Json };
    let output_schema = match (&response.schema, response.text) {
        (_, true) => {
            json!({"type": "object", "properties": {"contentType": {"type": "string"}, "text": {"type": "string"}}})
        }
        (Some(schema), false) => without_required(schema),
        (None, false) => json!({}),
    };
    let operation = Operation {
        key: String::new(),
        method: src.method,
        path: src.path.clone(),
        headers: headers.clone(),
        params: table_params,
        body: table_body,
        scopes: scopes.clone(),
        token_kinds: token_kinds.clone(),
        paging: paging.clone(),
        list: list.as_ref().map(|(s, _)| s.clone()),
        output,
    };
    let described = DescribedOperation {
        spec: src.spec.clone(),
        operation_id: src.operation_id(),
        action: None,
        method: src.method,
        path: src.path.clone(),
        headers,
        scopes,
        token_kinds,
        params: params
            .iter()
            .map(|p| DescribedParam {
                name: p.name.clone(),
                location: p.location,
                required: p.required,
                schema: p.schema.clone(),
            })
            .collect(),
        body: body.as_ref().map(|b| DescribedBody {
            content_type: b.content_type.clone(),
            required: b.required,
            schema: b.schema.clone(),
        }),
        response: DescribedResponse {
            status: response.status,
            content_type: response.content_type.clone(),
            schema: response.schema.clone(),
        },
        resource,
        list: list.as_ref().map(|(s, _)| s.clone()),
        paging,
    };
    if let Some(reason) = blocker {
        return Ok(Outcome::Unavailable { source: src.source(), reason, described: Some(Box::new(described)) });
    }
    let summary = src.op.get("summary").and_then(Value::as_str);
    Ok(Outcome::Planned(Box::new(Planned {
        source: src.source(),
        key: ov.key.clone().unwrap_or_else(|| crate::naming::kebab(&src.operation_id())),
        label: ov.label.clone().unwrap_or_else(|| crate::naming::label(summary, &src.operation_id())),
        help: ov.help.clone(),
        deprecated: src.op.get("deprecated") == Some(&Value::Bool(true)),
        operation,
        input_schema,
        required_inputs: required_names(&params, &body),
        output_schema,
        output_described: response.schema.is_some() || response.text,
        item_schema: list.map(|(_, item)| without_required(&item)),
        described,
        handwritten: ov.handwritten.clone(),
        no_triggers: ov.no_triggers,
    })))
}

/// Names of the wire inputs the operation requires (for help text).
fn required_names(params: &[ParamInfo], body: &Option<BodyInfo>) -> Vec<String> {
    let mut names: Vec<String> = params.iter().filter(|p| p.required).map(|p| p.name.clone()).collect();
    if let Some(b) = body.as_ref().filter(|b| b.required) {
        let listed = b.schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        names.extend(listed.iter().filter_map(Value::as_str).map(str::to_string));
    }
    names
}

/// The schema at a list's item pointer (for an overlay-given list shape).
fn item_at(answer: &Value, items: &str) -> Value {
    let mut node = answer;
    for token in items.split('/').filter(|t| !t.is_empty()) {
        node = match node.get("properties").and_then(|p| p.get(token)) {
            Some(n) => n,
            None => return json!({}),
        };
    }
    node.get("items").cloned().unwrap_or(json!({}))
}

/// An input field's help, said mechanically: where the value goes, or which
/// connection fact fills it (the document's own descriptions are not copied).
struct InputHelp<'a> {
    fact: Option<&'a str>,
    sent: &'a str,
}

fn add_input(
    props: &mut Map<String, Value>,
    required: &mut Vec<String>,
    name: &str,
    schema: &Value,
    is_required: bool,
    help: InputHelp<'_>,
) {
    if props.contains_key(name) {
        if is_required && !required.iter().any(|r| r == name) {
            required.push(name.to_string());
        }
        return;
    }
    let mut schema = schema.clone();
    if let Value::Object(map) = &mut schema {
        map.insert("title".into(), Value::String(crate::naming::field_title(name)));
        let description = match help.fact {
            Some(fact) => format!("Leave empty to use the connection's `{fact}`."),
            None => help.sent.to_string(),
        };
        map.insert("description".into(), Value::String(description));
    }
    props.insert(name.to_string(), schema);
    if is_required {
        required.push(name.to_string());
    }
}

/// `{name}` variables of a path template, in order.
pub(crate) fn template_vars(path: &str) -> Vec<String> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(v, _)| v.to_string())).collect()
}

/// The one value a schema allows (`enum` of one, or `const`), as header text.
fn single_value(schema: &Value) -> Option<String> {
    let value = match schema.get("enum").and_then(Value::as_array).map(Vec::as_slice) {
        Some([one]) => one,
        _ => schema.get("const")?,
    };
    Some(match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

fn read_params(
    docs: &mut Docs,
    overlay: &Overlay,
    src: &SourceOp,
    ov: &OperationOverlay,
) -> Result<Result<Vec<ParamInfo>, String>, GenError> {
    let own = src.op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut out: Vec<ParamInfo> = Vec::new();
    for raw in src.shared_params.iter().chain(own.iter()) {
        let (param, file) = docs.resolve(raw, &src.file)?;
        let name = param.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        let location = match param.get("in").and_then(Value::as_str) {
            Some("path") => ParamIn::Path,
            Some("query") => ParamIn::Query,
            Some("header") => ParamIn::Header,
            Some(other) => return Ok(Err(format!("parameter `{name}` is in `{other}`, which connectors cannot send"))),
            None => return Ok(Err(format!("parameter `{name}` says nowhere where it goes"))),
        };
        let schema = match param.get("schema") {
            Some(s) => Converter::new(docs, &overlay.rules, Direction::Request).convert(s, &file)?,
            None => json!({"type": "string"}),
        };
        let required = location == ParamIn::Path || param.get("required") == Some(&Value::Bool(true));
        out.retain(|p: &ParamInfo| !(p.name == name && p.location == location));
        out.push(ParamInfo { name, location, required, schema });
    }
    for extra in &ov.params {
        let location = match extra.location.as_str() {
            "path" => ParamIn::Path,
            "query" => ParamIn::Query,
            "header" => ParamIn::Header,
            other => return Err(GenError::Invalid(format!("{}: overlay parameter in `{other}`", src.overlay_key()))),
        };
        let schema = Converter::new(docs, &overlay.rules, Direction::Request).convert(&extra.schema, &src.file)?;
        out.retain(|p| !(p.name == extra.name && p.location == location));
        out.push(ParamInfo {
            name: extra.name.clone(),
            location,
            required: extra.required || location == ParamIn::Path,
            schema,
        });
    }
    Ok(Ok(out))
}

/// A request body after resolution.
struct BodyInfo {
    kind: BodyKind,
    /// A file upload: described for the simulator, not an action.
    multipart: bool,
    content_type: String,
    required: bool,
    schema: Value,
}

fn read_body(docs: &mut Docs, overlay: &Overlay, src: &SourceOp) -> Result<Result<Option<BodyInfo>, String>, GenError> {
    let Some(raw) = src.op.get("requestBody") else { return Ok(Ok(None)) };
    let (body, file) = docs.resolve(raw, &src.file)?;
    let required = body.get("required") == Some(&Value::Bool(true));
    let Some(content) = body.get("content").and_then(Value::as_object) else { return Ok(Ok(None)) };
    let pick = |want: &dyn Fn(&str) -> bool| content.iter().find(|(t, _)| want(t));
    let (kind, multipart, (content_type, media)) = if let Some(found) = pick(&|t| t.contains("json")) {
        (BodyKind::Json, false, found)
    } else if let Some(found) = pick(&|t| t == "application/x-www-form-urlencoded") {
        (BodyKind::Form, false, found)
    } else if let Some(found) = pick(&|t| t.starts_with("multipart/")) {
        (BodyKind::Form, true, found)
    } else {
        let types: Vec<&String> = content.keys().collect();
        return Ok(Err(format!("its request body is {types:?}, which connectors cannot send")));
    };
    let schema = match media.get("schema") {
        Some(s) => Converter::new(docs, &overlay.rules, Direction::Request).convert(s, &file)?,
        None => json!({}),
    };
    Ok(Ok(Some(BodyInfo { kind, multipart, content_type: content_type.clone(), required, schema })))
}

/// Flattens an object body into input fields, or takes it whole as `body`.
fn body_entry(b: &BodyInfo, fills: &Fills<'_>, props: &mut Map<String, Value>, required: &mut Vec<String>) -> Body {
    let fields = b.schema.get("properties").and_then(Value::as_object).filter(|p| !p.is_empty());
    let object_only = b.schema.get("type").is_none_or(|t| t == "object")
        && b.schema.get("oneOf").is_none()
        && b.schema.get("anyOf").is_none();
    let body_required: Vec<&str> = b
        .schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match fields.filter(|_| object_only) {
        Some(fields) => {
            let mut out = Vec::new();
            for (name, schema) in fields {
                let fact = fills.fact(name, schema);
                let fixed = fills.fixed(name, schema);
                let is_required = b.required && body_required.contains(&name.as_str());
                let sent = format!("Sent in the request body as `{name}`.");
                add_input(
                    props,
                    required,
                    name,
                    schema,
                    is_required && fact.is_none() && fixed.is_none(),
                    InputHelp { fact: fact.as_deref(), sent: &sent },
                );
                out.push(BodyField { name: name.clone(), field: name.clone(), fact, fixed, required: is_required });
            }
            Body { kind: b.kind, fields: out, whole: None, required: b.required }
        }
        None => {
            add_input(
                props,
                required,
                "body",
                &b.schema,
                b.required,
                InputHelp { fact: None, sent: "The whole request body." },
            );
            Body { kind: b.kind, fields: Vec::new(), whole: Some("body".into()), required: b.required }
        }
    }
}

/// The successful answer after resolution.
struct ResponseInfo {
    status: u16,
    content_type: Option<String>,
    schema: Option<Value>,
    /// The answer is not JSON.
    text: bool,
}

fn read_response(
    docs: &mut Docs,
    overlay: &Overlay,
    src: &SourceOp,
    ov: &OperationOverlay,
) -> Result<ResponseInfo, GenError> {
    if let Some(r) = &ov.response {
        let schema = match &r.schema {
            Some(s) => Some(Converter::new(docs, &overlay.rules, Direction::Response).convert(s, &src.file)?),
            None => None,
        };
        let content_type = schema.as_ref().map(|_| "application/json".to_string());
        return Ok(ResponseInfo { status: r.status, content_type, schema, text: false });
    }
    let responses = src.op.get("responses").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut codes: Vec<u16> =
        responses.keys().filter_map(|k| k.parse::<u16>().ok()).filter(|c| (200..300).contains(c)).collect();
    codes.sort_by_key(|c| match c {
        200 => 0,
        201 => 1,
        202 => 2,
        204 => 3,
        other => *other,
    });
    let Some(status) = codes.first().copied() else {
        return Ok(ResponseInfo { status: 200, content_type: None, schema: None, text: false });
    };
    let (response, file) = docs.resolve(&responses[&status.to_string()], &src.file)?;
    let Some(content) = response.get("content").and_then(Value::as_object).filter(|c| !c.is_empty()) else {
        return Ok(ResponseInfo { status, content_type: None, schema: None, text: false });
    };
    match content.iter().find(|(t, _)| t.contains("json")) {
        Some((content_type, media)) => {
            let schema = match media.get("schema") {
                Some(s) => Some(Converter::new(docs, &overlay.rules, Direction::Response).convert(s, &file)?),
                None => None,
            };
            Ok(ResponseInfo { status, content_type: Some(content_type.clone()), schema, text: false })
        }
        None => {
            let content_type = content.keys().next().cloned();
            Ok(ResponseInfo { status, content_type, schema: None, text: true })
        }
    }
}

/// Scopes (every alternative's, deduplicated) and token kinds (from the
/// security schemes the overlay maps), unless the overlay says otherwise.
fn security(overlay: &Overlay, src: &SourceOp, ov: &OperationOverlay) -> (Vec<String>, Vec<String>) {
    let requirements: Vec<Map<String, Value>> = src
        .op
        .get("security")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(|x| x.as_object().cloned()).collect())
        .unwrap_or_default();
    let mut scopes: Vec<String> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    for requirement in &requirements {
        for (scheme, listed) in requirement {
            for s in listed.as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !scopes.iter().any(|x| x == s) {
                    scopes.push(s.to_string());
                }
            }
            if let Some(kind) = overlay.security_schemes.get(scheme)
                && !kinds.contains(kind)
            {
                kinds.push(kind.clone());
            }
        }
    }
    kinds.sort();
    (ov.scopes.clone().unwrap_or(scopes), ov.token_kinds.clone().unwrap_or(kinds))
}

/// GETs read; so do POSTs whose last path segment the overlay lists (`search`, …).
fn is_read(overlay: &Overlay, src: &SourceOp) -> bool {
    match src.method {
        Method::Get => true,
        Method::Post => {
            let last = src.path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
            overlay.rules.read_segments.iter().any(|s| s == last)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_variables_are_read_in_order() {
        assert_eq!(template_vars("/a/{x}/b/{y_z}"), vec!["x".to_string(), "y_z".to_string()]);
        assert!(template_vars("/a/b").is_empty());
    }

    #[test]
    fn single_values_become_constant_headers() {
        assert_eq!(single_value(&json!({"type": "string", "enum": ["2021-07-28"]})).as_deref(), Some("2021-07-28"));
        assert_eq!(single_value(&json!({"type": "string"})), None);
    }
}
