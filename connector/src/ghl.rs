//! A thin GHL API v2 client over the transport seam: the headers every request
//! needs, envelopes, and GHL's error bodies mapped to `ConnectorError`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use weft_sdk::{CallContext, ConnectorError, Method, Request, Response, Transport};

pub(crate) use weft_sdk::encode;

/// The API version the social planner endpoints require.
pub(crate) const API_VERSION: &str = "2021-07-28";

/// GHL's answer when a token lacks the operation's scope (a 401, not a 403).
const SCOPE_MESSAGE: &str = "not authorized for this scope";

/// Who the client calls and for which location.
pub(crate) struct Ghl<'a, T: Transport + ?Sized> {
    transport: &'a T,
    base_url: &'a str,
}

/// `{success, statusCode, message, results}`: the envelope most v2 reads use.
#[derive(Deserialize)]
pub(crate) struct Envelope<R> {
    pub results: Option<R>,
}

impl<'a, T: Transport + ?Sized> Ghl<'a, T> {
    pub(crate) fn new(transport: &'a T, base_url: &'a str) -> Self {
        Ghl { transport, base_url: base_url.trim_end_matches('/') }
    }

    /// GET `path` (which may carry a query string) and decode the JSON answer.
    pub(crate) fn get<R: DeserializeOwned>(&self, path: &str, scope: &str) -> Result<R, ConnectorError> {
        self.call(Method::Get, path, None::<&()>, scope)
    }

    /// POST a JSON body to `path` and decode the JSON answer.
    pub(crate) fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        scope: &str,
    ) -> Result<R, ConnectorError> {
        self.call(Method::Post, path, Some(body), scope)
    }

    fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        scope: &str,
    ) -> Result<R, ConnectorError> {
        let mut headers = vec![
            ("Version".to_string(), API_VERSION.to_string()),
            ("Accept".to_string(), "application/json".to_string()),
        ];
        let body = match body {
            Some(b) => {
                headers.push(("Content-Type".to_string(), "application/json".to_string()));
                Some(serde_json::to_vec(b).map_err(|e| ConnectorError::Internal(format!("encoding request: {e}")))?)
            }
            None => None,
        };
        let request = Request { method, url: format!("{}{}", self.base_url, path), headers, body };
        let response = self.transport.send(request)?;
        if !(200..300).contains(&response.status) {
            return Err(error_from_response(&response, scope));
        }
        serde_json::from_slice(&response.body).map_err(|e| {
            ConnectorError::upstream(
                Some(response.status),
                format!("{} {path} answered with JSON this connector cannot read: {e}", method.as_str()),
            )
        })
    }
}

/// Maps a GHL error answer to the error taxonomy the host acts on: the
/// generated operations' mapping, with the social planner's one scope.
pub(crate) fn error_from_response(response: &Response, scope: &str) -> ConnectorError {
    weft_openapi_runtime::error_from_response(response, Some(SCOPE_MESSAGE), &[scope.to_string()])
}

/// A time as GHL writes its own: UTC, RFC 3339 with milliseconds
/// (`2026-06-02T09:30:00.000Z`), never nanoseconds.
pub(crate) fn timestamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The location (sub-account) the connection is for; every social planner
/// endpoint needs one.
pub(crate) fn location(ctx: &CallContext) -> Result<&str, ConnectorError> {
    ctx.require(
        "locationId",
        "this connection has no GHL location id; connect a sub-account (location) or set `location_id` in the connection",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response {
        Response { status, headers: vec![("Retry-After".into(), "7".into())], body: body.as_bytes().to_vec() }
    }

    #[test]
    fn times_sent_to_ghl_carry_milliseconds() {
        let at: jiff::Timestamp = "2026-06-02T09:30:00.123456789Z".parse().expect("time");
        assert_eq!(timestamp(at), "2026-06-02T09:30:00.123Z");
        let whole: jiff::Timestamp = "2026-06-02T09:30:00Z".parse().expect("time");
        assert_eq!(timestamp(whole), "2026-06-02T09:30:00.000Z");
    }

    #[test]
    fn a_missing_scope_is_forbidden_and_named() {
        let e = error_from_response(
            &response(
                401,
                r#"{"statusCode":401,"message":"The token is not authorized for this scope.","error":"Unauthorized"}"#,
            ),
            "socialplanner/tag.readonly",
        );
        assert!(
            matches!(e, ConnectorError::Forbidden { scope: Some(ref s), .. } if s == "socialplanner/tag.readonly"),
            "{e:?}"
        );
    }
}
