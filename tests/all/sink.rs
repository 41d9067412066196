//! A webhook receiver on loopback that records what weft delivers, checks
//! signatures with its own HMAC-SHA256 as a receiver would, and can refuse
//! on demand.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// How far a signature's timestamp may be from the receiver's clock, in seconds.
const TOLERANCE_SECS: i64 = 300;

/// One delivery as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub idempotency_key: String,
    pub signature: Option<String>,
    /// Whether the signature was checked against the secret given to [`Sink::expect_secret`] (and held).
    pub verified: bool,
    pub body: serde_json::Value,
    pub raw: Bytes,
}

#[derive(Clone, Default)]
pub(crate) struct Sink {
    /// The deliveries accepted (answered 204).
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Every request, accepted or refused, in order of arrival.
    pub attempts: Arc<Mutex<Vec<Received>>>,
    /// Answer 503 to this many requests first.
    pub refuse: Arc<AtomicU32>,
    /// Take this long to answer (after recording), in ms: a slow receiver.
    pub delay_ms: Arc<AtomicU32>,
    /// The signing secret; when set, a request without a valid signature is answered 401.
    secret: Arc<Mutex<Option<Vec<u8>>>>,
    bad_signatures: Arc<AtomicU32>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Sink {
    pub(crate) fn all(&self) -> Vec<Received> {
        lock(&self.received).clone()
    }

    /// Every request that arrived, refused ones included.
    pub(crate) fn attempts(&self) -> Vec<Received> {
        lock(&self.attempts).clone()
    }

    /// Checks every later request's `Weft-Signature` against `secret`.
    pub(crate) fn expect_secret(&self, secret: &str) {
        *lock(&self.secret) = Some(secret.as_bytes().to_vec());
    }

    /// Requests refused for a missing or wrong signature.
    pub(crate) fn bad_signatures(&self) -> u32 {
        self.bad_signatures.load(Ordering::SeqCst)
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

/// Checks a `Weft-Signature` header (`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`)
/// the way a receiver does, without weft's code: the MAC, and the time within tolerance of `now`.
pub(crate) fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<(), String> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => return Err(format!("unexpected part `{part}` in `{header}`")),
        }
    }
    let (t, v1) = t.zip(v1).ok_or_else(|| format!("no t= or v1= in `{header}`"))?;
    if (now - t).abs() > TOLERANCE_SECS {
        return Err(format!("timestamp {t} is too far from {now}"));
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).map_err(|e| e.to_string())?;
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&v1).map_err(|_| format!("`{header}` does not match the body"))
}

/// Counts down `refuse` if it is above zero; true when this request is refused.
fn take_refusal(refuse: &AtomicU32) -> bool {
    refuse.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let signature = header("weft-signature");
    let secret = lock(&sink.secret).clone();
    let checked = secret.map(|secret| {
        let now = jiff::Timestamp::now().as_second();
        signature.as_deref().ok_or_else(|| "no signature".to_string()).and_then(|s| verify(&secret, s, &body, now))
    });
    let received = Received {
        idempotency_key: header("idempotency-key").unwrap_or_default(),
        signature,
        verified: matches!(checked, Some(Ok(()))),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        raw: body,
    };
    lock(&sink.attempts).push(received.clone());
    if let Some(Err(why)) = checked {
        eprintln!("sink: refusing a delivery: {why}");
        sink.bad_signatures.fetch_add(1, Ordering::SeqCst);
        return StatusCode::UNAUTHORIZED;
    }
    if take_refusal(&sink.refuse) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    lock(&sink.received).push(received);
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

/// A signature computed once with Python's `hmac` module (and checked with
/// `openssl dgst -sha256 -hmac`), never with weft's code.
pub(crate) const VECTOR_SECRET: &str = "whsec_3f1c0b7e9a2d4c6e8f00112233445566";
pub(crate) const VECTOR_TIME: i64 = 1_767_225_600;
pub(crate) const VECTOR_BODY: &str = r#"{"id":"sub-1/evt-1","data":{"tag":"launch"}}"#;
pub(crate) const VECTOR_HEADER: &str =
    "t=1767225600,v1=6c4518629d70e12a72256bf77402f30b511588cf58c4dca6d391d18db9e731c2";

#[test]
fn the_sink_s_own_check_accepts_the_known_vector_and_nothing_else() {
    let (secret, body) = (VECTOR_SECRET.as_bytes(), VECTOR_BODY.as_bytes());
    assert_eq!(verify(secret, VECTOR_HEADER, body, VECTOR_TIME), Ok(()));
    assert!(verify(secret, VECTOR_HEADER, br#"{"id":"sub-1/evt-2","data":{"tag":"launch"}}"#, VECTOR_TIME).is_err());
    assert!(verify(b"whsec_another", VECTOR_HEADER, body, VECTOR_TIME).is_err());
    assert!(verify(secret, VECTOR_HEADER, body, VECTOR_TIME + TOLERANCE_SECS + 1).is_err(), "a stale timestamp");
    let other_time = VECTOR_HEADER.replace("t=1767225600", "t=1767225601");
    assert!(verify(secret, &other_time, body, VECTOR_TIME).is_err(), "the timestamp is signed too");
}
