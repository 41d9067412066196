//! Sends an operation's request and reads the answer: a success becomes JSON,
//! a failure becomes the error the host acts on (tell the user, refresh,
//! wait, retry, alert).

use crate::request::{self, Overrides};
use crate::table::{Operation, Output, Table};
use serde_json::{Map, Value, json};
use weft_sdk::CallContext;
use weft_sdk::ConnectorError;
use weft_sdk::{Response, Transport};

/// Runs `op` once and returns its answer as JSON.
pub(crate) fn call(
    t: &(impl Transport + ?Sized),
    table: &Table,
    op: &Operation,
    ctx: &CallContext,
    input: &Map<String, Value>,
    overrides: &Overrides,
) -> Result<Value, ConnectorError> {
    ctx.check_token_kind(&op.key, &op.token_kinds)?;
    let request = request::build(table, op, ctx, input, overrides)?;
    let response = t.send(request)?;
    if !(200..300).contains(&response.status) {
        return Err(error_from_response(&response, table.scope_error_marker.as_deref(), &op.scopes));
    }
    decode(op, &response)
}

fn decode(op: &Operation, response: &Response) -> Result<Value, ConnectorError> {
    let content_type = response.header("content-type").unwrap_or_default().to_ascii_lowercase();
    let text = String::from_utf8_lossy(&response.body);
    match op.output {
        Output::Text => Ok(json!({ "contentType": content_type, "text": text })),
        Output::Json if text.trim().is_empty() => Ok(json!({})),
        Output::Json => serde_json::from_slice(&response.body).map_err(|e| {
            ConnectorError::upstream(
                Some(response.status),
                format!("{} {} answered with JSON this connector cannot read: {e}", op.method.as_str(), op.path),
            )
        }),
    }
}

/// The message of an error body: `message` as text, `message` as a list of
/// sentences (joined), `error`, or the start of the raw body.
fn message_of(response: &Response) -> String {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let field = body.get("message").or_else(|| body.get("error_description")).or_else(|| body.get("error"));
    match field {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string()))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
        None => String::from_utf8_lossy(&response.body).chars().take(300).collect(),
    }
}

/// Maps an error answer to the error taxonomy. A 401 whose message carries
/// `scope_marker` is a missing scope, named from `scopes`; refreshing the
/// token would not fix it.
pub fn error_from_response(response: &Response, scope_marker: Option<&str>, scopes: &[String]) -> ConnectorError {
    let message = message_of(response);
    let status = response.status;
    match status {
        400 | 422 => ConnectorError::InvalidInput { field: None, message },
        401 if scope_marker.is_some_and(|m| message.contains(m)) => {
            let scope = (!scopes.is_empty()).then(|| scopes.join(" or "));
            let hint = match &scope {
                Some(s) => format!(" Reconnect the account and grant `{s}`."),
                None => String::new(),
            };
            ConnectorError::Forbidden { scope, message: format!("{message}{hint}") }
        }
        401 => ConnectorError::Unauthorized(message),
        403 => ConnectorError::Forbidden { scope: None, message },
        404 => ConnectorError::NotFound(message),
        429 => ConnectorError::RateLimited {
            retry_after_ms: response.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(|s| s * 1000),
            message: if message.is_empty() { "too many requests".into() } else { message },
        },
        500..=599 => ConnectorError::Transient(format!("the API answered {status}: {message}")),
        _ => ConnectorError::upstream(Some(status), message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response { status, headers: vec![("Retry-After".into(), "7".into())], body: body.as_bytes().to_vec() }
    }

    #[test]
    fn a_missing_scope_is_forbidden_and_named() {
        let e = error_from_response(
            &response(401, r#"{"statusCode":401,"message":"The token is not authorized for this scope."}"#),
            Some("not authorized for this scope"),
            &["contacts.readonly".to_string()],
        );
        assert!(matches!(e, ConnectorError::Forbidden { scope: Some(ref s), .. } if s == "contacts.readonly"), "{e:?}");
        let e = error_from_response(&response(401, r#"{"message":"Invalid token"}"#), Some("scope"), &[]);
        assert_eq!(e, ConnectorError::Unauthorized("Invalid token".into()));
    }

    #[test]
    fn validation_errors_join_and_throttling_keeps_retry_after() {
        let e = error_from_response(&response(422, r#"{"message":["a is bad","b is bad"]}"#), None, &[]);
        assert_eq!(e, ConnectorError::InvalidInput { field: None, message: "a is bad; b is bad".into() });
        assert!(matches!(
            error_from_response(&response(429, ""), None, &[]),
            ConnectorError::RateLimited { retry_after_ms: Some(7000), .. }
        ));
        assert!(matches!(error_from_response(&response(503, "down"), None, &[]), ConnectorError::Transient(_)));
        assert!(matches!(error_from_response(&response(404, "{}"), None, &[]), ConnectorError::NotFound(_)));
    }
}
