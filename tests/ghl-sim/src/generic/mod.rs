//! Every other GHL operation, played from the API descriptions `weft-gen`
//! derives from the official specs (fixed by our overlay): requests are
//! checked against the operation's parameters and body schema (a bad one gets
//! GHL's 400 or 422 body), answers are synthesised from its answer schema,
//! and resources keep simple state so that create → get → update → list →
//! delete works for each resource that has those operations.
//!
//! The hand-written routes (tags, accounts, statistics, OAuth, admin) answer
//! first; this handler is the router's fallback.

mod render;
mod store;
mod validate;

pub use store::{ResourceKey, Store, StoredResource};

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method as HttpMethod, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use weft_gen::described::{ApiDescription, DescribedOperation, Role};
use weft_openapi_runtime::table::{Method, ParamIn};

use crate::auth::bearer_token;
use crate::errors::ApiError;
use crate::state::{Grant, Sim};

include!(concat!(env!("OUT_DIR"), "/api_files.rs"));

/// The embedded descriptions, parsed once per process.
pub fn apis() -> &'static [ApiDescription] {
    static APIS: OnceLock<Vec<ApiDescription>> = OnceLock::new();
    APIS.get_or_init(|| {
        API_FILES
            .iter()
            .filter_map(|text| match serde_json::from_str(text) {
                Ok(api) => Some(api),
                Err(e) => {
                    tracing::error!("an embedded API description is unreadable: {e}");
                    None
                }
            })
            .collect()
    })
}

/// Every described operation, with its path split for matching.
struct Route {
    op: &'static DescribedOperation,
    segments: Vec<&'static str>,
}

fn routes() -> &'static HashMap<Method, Vec<Route>> {
    static ROUTES: OnceLock<HashMap<Method, Vec<Route>>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let mut by_method: HashMap<Method, Vec<Route>> = HashMap::new();
        for op in apis().iter().flat_map(|a| a.operations.iter()) {
            let segments = split(&op.path);
            by_method.entry(op.method).or_default().push(Route { op, segments });
        }
        // More literal segments first: `/contacts/search` before `/contacts/{contactId}`.
        for routes in by_method.values_mut() {
            routes.sort_by_key(|r| std::cmp::Reverse(r.segments.iter().filter(|s| !s.starts_with('{')).count()));
        }
        by_method
    })
}

fn split(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect()
}

/// The operation a request is for, with its path parameters.
pub(crate) fn find(method: Method, path: &str) -> Option<(&'static DescribedOperation, Map<String, Value>)> {
    let wanted = split(path);
    let candidates = routes().get(&method)?;
    'routes: for route in candidates {
        if route.segments.len() != wanted.len() {
            continue;
        }
        let mut params = Map::new();
        for (pattern, actual) in route.segments.iter().zip(&wanted) {
            match pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => {
                    let decoded = url::form_urlencoded::parse(format!("v={actual}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_else(|| (*actual).to_string());
                    params.insert(name.to_string(), Value::String(decoded));
                }
                None if pattern == actual => {}
                None => continue 'routes,
            }
        }
        return Some((route.op, params));
    }
    None
}

fn method_of(m: &HttpMethod) -> Option<Method> {
    Method::parse(m.as_str())
}

/// The router's fallback: a described operation, or GHL's 404.
pub(crate) async fn handle(
    State(sim): State<Sim>,
    method: HttpMethod,
    uri: Uri,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let not_found = || ApiError::NotFound(format!("Cannot {method} {}", uri.path())).into_response();
    let Some((op, path_params)) = method_of(&method).and_then(|m| find(m, uri.path())) else {
        return not_found();
    };
    match serve(&sim, op, path_params.clone(), raw.as_deref(), &headers, &body) {
        Ok(Served { response, request, answer, location }) => {
            if response.status().is_success() {
                crate::webhooks::after_change(&sim, op, &path_params, &request, answer.as_ref(), &location);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

/// A request after checks: everything the operation received.
pub(crate) struct Call<'a> {
    pub(crate) op: &'static DescribedOperation,
    pub(crate) grant: &'a Grant,
    pub(crate) path: Map<String, Value>,
    pub(crate) query: Map<String, Value>,
    pub(crate) body: Value,
}

impl Call<'_> {
    /// The account the request acts in: the token's location, or its company.
    pub(crate) fn scope(&self) -> String {
        match &self.grant.company_id {
            Some(company) if self.grant.location_id.is_empty() => company.clone(),
            _ => self.grant.location_id.clone(),
        }
    }
}

/// A request answered: what a webhook about the change needs besides the response.
struct Served {
    response: Response,
    /// The request's body, after checks.
    request: Value,
    /// The answer's JSON, when it has one.
    answer: Option<Value>,
    /// The token's location; empty for an agency token.
    location: String,
}

fn serve(
    sim: &Sim,
    op: &'static DescribedOperation,
    path: Map<String, Value>,
    raw_query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Served, ApiError> {
    check_version(op, headers)?;
    let token = bearer_token(headers).ok_or(ApiError::InvalidToken)?;
    let grant = sim.grant(token).ok_or(ApiError::InvalidToken)?;
    check_token_kind(op, &grant)?;
    if !op.scopes.is_empty() && !op.scopes.iter().any(|s| grant.scopes.contains(s)) {
        return Err(ApiError::MissingScope);
    }
    let query = validate::query(op, raw_query)?;
    let body = validate::body(op, headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()), body)?;
    let call = Call { op, grant: &grant, path, query, body };
    check_location(&call)?;
    let location = grant.location_id.clone();
    let answer = match op.resource.as_ref().map(|r| r.role) {
        Some(Role::Create) => store::create(sim, &call),
        Some(Role::Get) => store::get(sim, &call)?,
        Some(Role::Update) => store::update(sim, &call)?,
        Some(Role::Delete) => store::delete(sim, &call)?,
        Some(Role::List) => store::list(sim, &call),
        None => render::plain(&call),
    };
    let changed = matches!(op.method.as_str(), "POST" | "PUT") && answer.is_some();
    let kept = if changed { answer.clone() } else { None };
    Ok(Served { response: respond(op, answer), request: call.body, answer: kept, location })
}

fn respond(op: &DescribedOperation, answer: Option<Value>) -> Response {
    let status = StatusCode::from_u16(op.response.status).unwrap_or(StatusCode::OK);
    match (&op.response.content_type, answer) {
        (None, _) if status == StatusCode::NO_CONTENT => status.into_response(),
        (Some(ct), _) if !ct.contains("json") => {
            (status, [(header::CONTENT_TYPE, ct.clone())], "sample text answer").into_response()
        }
        (_, Some(value)) => (status, axum::Json(value)).into_response(),
        (_, None) => (status, axum::Json(serde_json::json!({}))).into_response(),
    }
}

/// The `Version` header the operation declares, checked like GHL does.
fn check_version(op: &DescribedOperation, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(wanted) = op.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("version")).map(|(_, v)| v) else {
        return Ok(());
    };
    let got = headers.get("version").ok_or(ApiError::MissingVersion)?;
    let got = String::from_utf8_lossy(got.as_bytes());
    if got.trim() == wanted { Ok(()) } else { Err(ApiError::BadVersion(got.into_owned())) }
}

/// Agency operations refuse sub-account tokens and the other way round.
fn check_token_kind(op: &DescribedOperation, grant: &Grant) -> Result<(), ApiError> {
    if op.token_kinds.is_empty() {
        return Ok(());
    }
    let kind = if grant.location_id.is_empty() { "company" } else { "location" };
    if op.token_kinds.iter().any(|k| k == kind) {
        return Ok(());
    }
    Err(ApiError::WrongTokenKind(kind))
}

/// A sub-account token only reaches its own location, wherever the request names one.
fn check_location(call: &Call<'_>) -> Result<(), ApiError> {
    if call.grant.location_id.is_empty() {
        return Ok(());
    }
    let named = |map: &Map<String, Value>, key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
    let declared =
        |name: &str, location: ParamIn| call.op.params.iter().any(|p| p.name == name && p.location == location);
    let mut named_locations = Vec::new();
    if declared("locationId", ParamIn::Path) {
        named_locations.extend(named(&call.path, "locationId"));
    }
    for key in ["locationId", "location_id"] {
        if declared(key, ParamIn::Query) {
            named_locations.extend(named(&call.query, key));
        }
    }
    if call.query.get("altType").and_then(Value::as_str) == Some("location") {
        named_locations.extend(named(&call.query, "altId"));
    }
    if let Value::Object(body) = &call.body {
        named_locations.extend(named(body, "locationId"));
    }
    match named_locations.iter().find(|l| **l != call.grant.location_id) {
        Some(_) => Err(ApiError::WrongLocation),
        None => Ok(()),
    }
}
