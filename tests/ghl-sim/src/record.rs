//! The request log: every non-admin request, with the status it got, so tests can check
//! what really reached the API (headers sent, number of requests a poll made).

use std::collections::BTreeMap;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::model::RecordedRequest;
use crate::state::Sim;

/// The prefix of the admin routes, which are not recorded.
const ADMIN_PREFIX: &str = "/_sim";

pub(crate) async fn record(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path == ADMIN_PREFIX || path.starts_with("/_sim/") {
        return next.run(request).await;
    }
    let at_ms = jiff::Timestamp::now().as_millisecond();
    let method = request.method().to_string();
    let query = request.uri().query().map(str::to_owned);
    let headers = header_map(request.headers());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    tracing::debug!(%method, %path, status, "api request");
    sim.record(RecordedRequest { method, path, query, headers, status, at_ms });
    response
}

/// Lowercase names (as `http` stores them); repeated headers joined with `, `.
fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        map.entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    map
}
