//! The transport over `wasi:http/outgoing-handler`: the only network a
//! connector has. The host polices every request it makes.

use super::wasi::http::outgoing_handler;
use super::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest, Scheme,
};
use super::wasi::io::streams::StreamError;
use crate::transport::{Method, Request, Response, Transport, TransportError};

/// Requests over `wasi:http`; what the host refuses comes back as [`TransportError::Denied`].
pub(crate) struct WasiTransport;

fn io(what: &str, e: impl std::fmt::Debug) -> TransportError {
    TransportError::Io(format!("{what}: {e:?}"))
}

/// Splits `https://host:port/path?q` into scheme, authority and path+query.
fn split_url(url: &str) -> Result<(Scheme, &str, &str), TransportError> {
    let (scheme, rest) =
        url.split_once("://").ok_or_else(|| TransportError::Io(format!("`{url}` is not an absolute URL")))?;
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => Scheme::Other(other.to_string()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Ok((scheme, authority, path))
}

fn error_code(e: ErrorCode) -> TransportError {
    match e {
        ErrorCode::HttpRequestDenied => TransportError::Denied("the destination is not allowed".into()),
        ErrorCode::DestinationIpProhibited => TransportError::Denied("the destination address is prohibited".into()),
        ErrorCode::ConnectionTimeout | ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            TransportError::Timeout(format!("{e:?}"))
        }
        other => TransportError::Io(format!("{other:?}")),
    }
}

impl Transport for WasiTransport {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        let (scheme, authority, path) = split_url(&request.url)?;
        let entries: Vec<(String, Vec<u8>)> =
            request.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), v.as_bytes().to_vec())).collect();
        let headers = Fields::from_list(&entries).map_err(|e| io("headers", e))?;
        let outgoing = OutgoingRequest::new(headers);
        let method = match request.method {
            Method::Get => WasiMethod::Get,
            Method::Post => WasiMethod::Post,
            Method::Put => WasiMethod::Put,
            Method::Patch => WasiMethod::Patch,
            Method::Delete => WasiMethod::Delete,
        };
        let invalid = |what: &str| TransportError::Io(format!("invalid {what} in `{}`", request.url));
        outgoing.set_method(&method).map_err(|_| invalid("method"))?;
        outgoing.set_scheme(Some(&scheme)).map_err(|_| invalid("scheme"))?;
        outgoing.set_authority(Some(authority)).map_err(|_| invalid("authority"))?;
        outgoing.set_path_with_query(Some(path)).map_err(|_| invalid("path"))?;
        let body = outgoing.body().map_err(|e| io("request body", e))?;
        // Handed to the host first, so the host reads the body while it is
        // written: a body larger than the host's buffer streams instead of
        // waiting for a reader that is not there yet.
        let pending = outgoing_handler::handle(outgoing, None).map_err(error_code)?;
        if let Some(bytes) = &request.body {
            let stream = body.write().map_err(|e| io("request body stream", e))?;
            for chunk in bytes.chunks(4096) {
                if stream.blocking_write_and_flush(chunk).is_err() {
                    // The host refused the rest (a limit); the response says why.
                    break;
                }
            }
            drop(stream);
        }
        let _ = OutgoingBody::finish(body, None);
        let response = loop {
            match pending.get() {
                Some(Ok(Ok(response))) => break response,
                Some(Ok(Err(code))) => return Err(error_code(code)),
                Some(Err(())) => return Err(TransportError::Io("response already taken".into())),
                None => pending.subscribe().block(),
            }
        };
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let incoming = response.consume().map_err(|e| io("response body", e))?;
        let stream = incoming.stream().map_err(|e| io("response body stream", e))?;
        let mut body = Vec::new();
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(StreamError::Closed) => break,
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(TransportError::Io(format!("reading response body: {}", e.to_debug_string())));
                }
            }
        }
        drop(stream);
        IncomingBody::finish(incoming);
        Ok(Response { status, headers, body })
    }
}
