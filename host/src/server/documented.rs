//! What the OpenAPI document promises about errors, derived from each
//! operation's shape so it cannot fall behind the routes: every secured
//! operation can answer 401 and 403, every one with a body 400, 413, 415 and
//! 422, every one with path or query parameters 404 or 422, every one 500,
//! and the operations that run a connector every answer a call can end with.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// Adds the problem answers each operation can give.
pub(crate) struct StandardProblems;

fn problem(description: &str) -> RefOr<Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/problem+json", content).build())
}

/// Statuses a call of a connector can end with (see `Problem::from(CallError)`).
const CALL_ANSWERS: &[(u16, &str)] = &[
    (403, "A missing scope, or a request the egress policy refused."),
    (409, "The connection must be reconnected, or its credential was refused."),
    (422, "The input breaks the schema, or the connector refused it."),
    (429, "The API is throttling this account; retry later."),
    (502, "The connector or the API failed."),
    (503, "A passing fault or a timeout; retry later."),
];

fn add(operation: &mut Operation, status: u16, description: &str) {
    operation.responses.responses.entry(status.to_string()).or_insert_with(|| problem(description));
}

fn document(path: &str, operation: &mut Operation) {
    let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    if secured {
        add(operation, 401, "No API key, or one that is not valid (unknown, revoked or expired).");
        add(operation, 403, "The key cannot be used here (the admin key for a workspace route, or admin routes off).");
    }
    if operation.request_body.is_some() {
        add(operation, 400, "The body is not JSON.");
        add(operation, 413, "The body is larger than the API reads.");
        add(operation, 415, "The body is not sent as `application/json`.");
        add(operation, 422, "The body breaks a rule; `field` names it.");
    }
    let has = |place: ParameterIn| {
        let parameters = operation.parameters.as_deref().unwrap_or_default();
        parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
    };
    let (in_path, in_query) = (has(ParameterIn::Path), has(ParameterIn::Query));
    if in_path {
        add(operation, 404, "No such thing in this workspace.");
    }
    if in_query {
        add(operation, 422, "A query parameter breaks a rule; `field` names it.");
    }
    if path.ends_with("/run") || path.ends_with("/test") || path.ends_with("/options") {
        for (status, description) in CALL_ANSWERS {
            add(operation, *status, description);
        }
    }
    add(operation, 500, "The server failed; try again.");
}

impl Modify for StandardProblems {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
                &mut item.head,
                &mut item.options,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                document(path, operation);
            }
        }
    }
}
