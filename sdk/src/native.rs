//! A blocking HTTP transport for native builds: unit tests against a server
//! on loopback, and benchmarks that compare a connector compiled natively
//! with its component. Like the host, it keeps connections alive; unlike the
//! host it polices nothing, so it is never used inside a component.

use crate::{Request, Response, Transport, TransportError};

/// Sends requests with `ureq`, adding `Authorization: Bearer <token>` as the
/// host would for the connection's origin.
pub struct NativeTransport {
    agent: ureq::Agent,
    bearer: Option<String>,
}

impl NativeTransport {
    /// A transport that sends no credential.
    pub fn new() -> NativeTransport {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        NativeTransport { agent, bearer: None }
    }

    /// A transport that sends `token` as a bearer token on every request.
    pub fn with_bearer_token(token: impl Into<String>) -> NativeTransport {
        NativeTransport { bearer: Some(token.into()), ..NativeTransport::new() }
    }
}

impl Default for NativeTransport {
    fn default() -> Self {
        NativeTransport::new()
    }
}

fn io(e: impl std::fmt::Display) -> TransportError {
    TransportError::Io(e.to_string())
}

impl Transport for NativeTransport {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        let mut builder = ureq::http::Request::builder().method(request.method.as_str()).uri(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(token) = &self.bearer {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let http_request = builder.body(request.body.unwrap_or_default()).map_err(io)?;
        let mut response = self.agent.run(http_request).map_err(io)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = response.body_mut().read_to_vec().map_err(io)?;
        Ok(Response { status, headers, body })
    }
}
