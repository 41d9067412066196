//! A webhook receiver on loopback that records what weft delivers, checks
//! signatures, and can refuse on demand.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// One delivery as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub idempotency_key: String,
    pub signature: Option<String>,
    pub body: serde_json::Value,
    pub raw: Bytes,
}

#[derive(Clone, Default)]
pub(crate) struct Sink {
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Answer 503 to this many requests first.
    pub refuse: Arc<AtomicU32>,
    /// Take this long to answer (after recording), in ms: a slow receiver.
    pub delay_ms: Arc<AtomicU32>,
}

impl Sink {
    pub(crate) fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The tag names delivered, each once (deduplicated by key).
    pub(crate) fn tag_names(&self) -> HashSet<String> {
        let mut seen = HashSet::new();
        self.all()
            .into_iter()
            .filter(|r| seen.insert(r.idempotency_key.clone()))
            .filter_map(|r| r.body["data"]["tag"].as_str().map(str::to_string))
            .collect()
    }
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if sink.refuse.load(Ordering::SeqCst) > 0 {
        sink.refuse.fetch_sub(1, Ordering::SeqCst);
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let received = Received {
        idempotency_key: header("idempotency-key").unwrap_or_default(),
        signature: header("weft-signature"),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        raw: body,
    };
    sink.received.lock().unwrap_or_else(|p| p.into_inner()).push(received);
    let delay = sink.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay.into())).await;
    }
    StatusCode::NO_CONTENT
}

/// Starts a sink on 127.0.0.1:0; returns it and its URL.
pub(crate) async fn start() -> (Sink, String) {
    let sink = Sink::default();
    let app = axum::Router::new().route("/hook", post(receive)).with_state(sink.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (sink, format!("http://{addr}/hook"))
}
