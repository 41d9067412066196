//! Webhooks, as GHL's marketplace app sends them: a JSON payload in the
//! documented shape (`type`, `locationId`, the resource's fields) plus
//! `webhookId` and `timestamp`, signed over the raw bytes with Ed25519
//! (`x-ghl-signature`) and RSA-SHA256 (`x-wh-signature`) with the
//! simulator's own keys (`keys/`). Each send can be duplicated, delayed,
//! dropped, forged, stale, unsigned or signed with an unknown key, to test a
//! receiver.

use crate::state::Sim;
use base64::Engine;
use ed25519_dalek::Signer as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePublicKey as _};
use rsa::signature::SignatureEncoding as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The seed of the simulator's Ed25519 key (test-only, published on purpose).
const ED25519_SEED: [u8; 32] = *b"weft-ghl-sim-webhook-ed25519-key";
/// A key the receiver does not know, for "signed with an unknown key".
const STRANGER_SEED: [u8; 32] = *b"a-key-nobody-configured-anywhere";
const RSA_PEM: &str = include_str!("../keys/webhook-rsa.pem");

/// How a webhook is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signing {
    /// Both headers, as GHL sends them.
    #[default]
    Both,
    /// Only `x-ghl-signature`.
    Ed25519,
    /// Only the older `x-wh-signature`.
    Rsa,
    /// No signature at all.
    None,
    /// A valid signature of other bytes.
    Forged,
    /// Signed with a key the receiver was not given.
    UnknownKey,
}

/// How one webhook is delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Delivery {
    /// Send this many identical copies (same `webhookId`); 0 means 1.
    pub copies: u32,
    /// Wait this long before sending.
    pub delay_ms: u64,
    /// Do not send it at all (GHL lost it).
    pub drop: bool,
    /// How it is signed.
    pub signing: Signing,
    /// Shift `timestamp` by this many seconds (negative: in the past).
    pub timestamp_offset_secs: i64,
}

/// A webhook to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEvent {
    /// GHL's event type, e.g. `ContactTagUpdate`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The location it is about.
    pub location_id: String,
    /// The resource's fields, as the event's doc shows them.
    #[serde(default)]
    pub data: Map<String, Value>,
}

/// What was sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    /// The payload's `webhookId`.
    pub webhook_id: String,
    /// The body, byte for byte.
    pub body: String,
    /// The receiver's status for each copy sent.
    pub statuses: Vec<u16>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn rsa_key() -> Result<rsa::RsaPrivateKey, String> {
    rsa::RsaPrivateKey::from_pkcs8_pem(RSA_PEM).map_err(|e| format!("the simulator's RSA key: {e}"))
}

/// The public keys a receiver needs: Ed25519 (32 raw bytes, base64) and RSA (PEM).
pub fn public_keys() -> Result<(String, String), String> {
    let ed = ed25519_dalek::SigningKey::from_bytes(&ED25519_SEED).verifying_key();
    let rsa = rsa_key()?.to_public_key().to_public_key_pem(rsa::pkcs8::LineEnding::LF).map_err(|e| e.to_string())?;
    Ok((b64(ed.as_bytes()), rsa))
}

/// The signature headers GHL would send with `body`, signed as `signing` says.
pub fn signatures(body: &[u8], signing: Signing) -> Result<Vec<(&'static str, String)>, String> {
    let ed = |seed: &[u8; 32], bytes: &[u8]| b64(&ed25519_dalek::SigningKey::from_bytes(seed).sign(bytes).to_bytes());
    let rsa = |bytes: &[u8]| -> Result<String, String> {
        let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa_key()?);
        Ok(b64(&key.sign(bytes).to_bytes()))
    };
    Ok(match signing {
        Signing::Both => vec![("x-ghl-signature", ed(&ED25519_SEED, body)), ("x-wh-signature", rsa(body)?)],
        Signing::Ed25519 => vec![("x-ghl-signature", ed(&ED25519_SEED, body))],
        Signing::Rsa => vec![("x-wh-signature", rsa(body)?)],
        Signing::None => vec![],
        Signing::Forged => vec![("x-ghl-signature", ed(&ED25519_SEED, b"{\"type\":\"something else\"}"))],
        Signing::UnknownKey => vec![("x-ghl-signature", ed(&STRANGER_SEED, body))],
    })
}

impl Sim {
    /// Where the app's webhooks go (the URL set in GHL's marketplace app).
    pub fn set_webhook_url(&self, url: &str) {
        self.lock().webhook_url = Some(url.to_string());
    }

    /// Loses the next `count` webhooks the API's changes send, as when GHL
    /// gives up delivering them.
    pub fn lose_next_webhooks(&self, count: u32) {
        self.lock().webhooks_to_lose = count;
    }

    /// Sends one webhook to the registered URL, as `delivery` says.
    pub async fn send_webhook(&self, event: &WebhookEvent, delivery: &Delivery) -> Result<Sent, String> {
        let url = self.lock().webhook_url.clone().ok_or("no webhook URL is registered (POST /_sim/webhooks)")?;
        let webhook_id = {
            let mut state = self.lock();
            let at = state.stamp();
            state.object_id(at)
        };
        let timestamp = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::from_secs(delivery.timestamp_offset_secs))
            .map_err(|e| e.to_string())?;
        // The event's type and location win over the resource's own fields
        // of those names (a contact has a `type` of its own).
        let mut payload = event.data.clone();
        payload.insert("type".into(), json!(event.event_type));
        payload.insert("locationId".into(), json!(event.location_id));
        payload.insert("webhookId".into(), json!(webhook_id));
        payload.insert("timestamp".into(), json!(timestamp.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()));
        let body = Value::Object(payload).to_string();
        let mut sent = Sent { webhook_id, body: body.clone(), statuses: Vec::new() };
        if delivery.drop {
            return Ok(sent);
        }
        if delivery.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delivery.delay_ms)).await;
        }
        let headers = signatures(body.as_bytes(), delivery.signing)?;
        let client = reqwest::Client::new();
        for _ in 0..delivery.copies.max(1) {
            let mut request = client.post(&url).header("content-type", "application/json").body(body.clone());
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            let status = request.send().await.map_err(|e| format!("sending the webhook failed: {e}"))?.status();
            sent.statuses.push(status.as_u16());
        }
        Ok(sent)
    }
}

/// The webhook GHL sends after a change the API made, in its documented
/// shape: a contact created or tagged, a note or task added, an opportunity
/// created or moved (stage, status), an appointment booked. `answer` is
/// the API's answer, holding the resource as stored.
fn event_after(
    op: &crate::described::DescribedOperation,
    path: &Map<String, Value>,
    request: &Value,
    answer: Option<&Value>,
) -> Option<(&'static str, Map<String, Value>)> {
    let entity = || {
        let pointer = op.resource.as_ref().and_then(|r| r.entity.as_deref()).unwrap_or_default();
        answer.and_then(|a| a.pointer(pointer)).and_then(Value::as_object).cloned().unwrap_or_default()
    };
    let with_contact = |mut fields: Map<String, Value>| {
        fields.entry("contactId").or_insert_with(|| path.get("contactId").cloned().unwrap_or(Value::Null));
        fields
    };
    let asked = |field: &str| request.get(field).is_some_and(|v| !v.is_null());
    Some(match (op.method.as_str(), op.path.as_str()) {
        ("POST", "/contacts/{contactId}/tags") => (
            "ContactTagUpdate",
            Map::from_iter([
                ("id".to_string(), path.get("contactId").cloned().unwrap_or(Value::Null)),
                ("tags".to_string(), request.get("tags").cloned().unwrap_or_else(|| json!([]))),
            ]),
        ),
        ("POST", "/contacts/") => ("ContactCreate", entity()),
        ("POST", "/contacts/{contactId}/notes") => ("NoteCreate", with_contact(entity())),
        ("POST", "/contacts/{contactId}/tasks") => ("TaskCreate", with_contact(entity())),
        ("POST", "/opportunities/") => ("OpportunityCreate", entity()),
        ("PUT", "/opportunities/{id}") if asked("pipelineStageId") => ("OpportunityStageUpdate", entity()),
        ("PUT", "/opportunities/{id}") if asked("status") => ("OpportunityStatusUpdate", entity()),
        ("POST", "/calendars/events/appointments") => {
            ("AppointmentCreate", Map::from_iter([("appointment".to_string(), Value::Object(entity()))]))
        }
        _ => return None,
    })
}

/// Sends the webhook GHL sends after a change the API made (see
/// [`event_after`]), when an app's URL is registered; one of the next
/// `webhooks_to_lose` is lost instead.
pub(crate) fn after_change(
    sim: &Sim,
    op: &crate::described::DescribedOperation,
    path: &Map<String, Value>,
    request: &Value,
    answer: Option<&Value>,
    location: &str,
) {
    if sim.lock().webhook_url.is_none() || location.is_empty() {
        return;
    }
    let Some((event_type, data)) = event_after(op, path, request, answer) else { return };
    let event = WebhookEvent { event_type: event_type.into(), location_id: location.into(), data };
    let drop = {
        let mut state = sim.lock();
        let lose = state.webhooks_to_lose > 0;
        state.webhooks_to_lose = state.webhooks_to_lose.saturating_sub(1);
        lose
    };
    let sim = sim.clone();
    tokio::spawn(async move {
        if let Err(e) = sim.send_webhook(&event, &Delivery { drop, ..Delivery::default() }).await {
            tracing::warn!("the simulator's webhook was not delivered: {e}");
        }
    });
}

/// `POST /_sim/webhooks {url, loseNext}`, `GET /_sim/webhooks/keys`, `POST /_sim/webhooks/send {type, locationId, data, delivery}`.
pub(crate) fn routes() -> axum::Router<Sim> {
    use axum::Json;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::{get, post};

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Register {
        url: String,
        /// Lose this many of the next webhooks sent after API changes.
        #[serde(default)]
        lose_next: u32,
    }
    #[derive(Deserialize)]
    struct Send {
        #[serde(flatten)]
        event: WebhookEvent,
        #[serde(default)]
        delivery: Delivery,
    }
    axum::Router::new()
        .route(
            "/_sim/webhooks",
            post(|State(sim): State<Sim>, Json(r): Json<Register>| async move {
                sim.set_webhook_url(&r.url);
                sim.lose_next_webhooks(r.lose_next);
                StatusCode::NO_CONTENT
            }),
        )
        .route(
            "/_sim/webhooks/keys",
            get(|| async {
                match public_keys() {
                    Ok((ed25519, rsa)) => (StatusCode::OK, Json(json!({"ed25519": ed25519, "rsa": rsa}))),
                    Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": e}))),
                }
            }),
        )
        .route(
            "/_sim/webhooks/send",
            post(|State(sim): State<Sim>, Json(send): Json<Send>| async move {
                match sim.send_webhook(&send.event, &send.delivery).await {
                    Ok(sent) => (StatusCode::OK, Json(serde_json::to_value(sent).unwrap_or_default())),
                    Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({"error": e}))),
                }
            }),
        )
}
