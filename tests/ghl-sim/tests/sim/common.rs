//! A simulator on 127.0.0.1:0 with one all-scopes token, and a client that talks GHL.

use ghl_sim::{RunningSim, SOCIAL_PLANNER_SCOPES};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;

pub(crate) const LOCATION: &str = "ve9EPM428h8vShlRW1KT";
pub(crate) const TOKEN: &str = "pit-test-token";
pub(crate) const VERSION: &str = "2021-07-28";

pub(crate) struct Harness {
    pub running: RunningSim,
    pub client: Client,
}

pub(crate) async fn harness() -> Harness {
    let addr = "127.0.0.1:0".parse().expect("loopback address");
    let running = ghl_sim::start(addr).await.expect("start the simulator");
    running.sim.register_token(TOKEN, LOCATION, SOCIAL_PLANNER_SCOPES.iter().copied());
    Harness { running, client: Client::new() }
}

impl Harness {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// A request with no headers at all.
    pub(crate) fn raw(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with the right `Version` header and the harness token.
    pub(crate) fn api(&self, method: Method, path: &str) -> RequestBuilder {
        self.with_token(method, path, TOKEN)
    }

    pub(crate) fn with_token(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.raw(method, path).header("Version", VERSION).bearer_auth(token)
    }

    pub(crate) fn tags_path(&self) -> String {
        format!("/social-media-posting/{LOCATION}/tags")
    }
}

/// Sends a request and returns the status and the JSON body (Null when none).
pub(crate) async fn send(request: RequestBuilder) -> (u16, Value) {
    let response: Response = request.send().await.expect("request to the simulator");
    let status = response.status().as_u16();
    let text = response.text().await.expect("response body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}
