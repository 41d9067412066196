//! Instant triggers: webhooks received from an app (GHL's marketplace app),
//! verified over their raw bytes, stored, acknowledged, then routed to the
//! subscriptions they concern (`router`), whose events go through the same
//! outbox, dedupe and delivery as polled ones.
//!
//! ```toml
//! [hooks.main]                 # POST /v1/hooks/ghl/main
//! ed25519_keys = ["…"]         # x-ghl-signature; PEM or 32 raw bytes in base64
//! rsa_keys = ["-----BEGIN PUBLIC KEY-----…"]   # x-wh-signature; GHL's published key by default
//! timestamp_window_secs = 300
//! max_body_bytes = 1048576
//! requests_per_second = 200    # per source address
//! ```

pub mod router;
pub mod signature;

use crate::store::{HookStore, NewReceipt, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use signature::{KeyError, PublicKeys, SignatureError};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// `[hooks.<app>]`: one app whose webhooks this host receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HookApp {
    /// Ed25519 public keys for `x-ghl-signature` (several while a key rotates).
    pub ed25519_keys: Vec<String>,
    /// RSA public keys (PEM) for `x-wh-signature`; GHL's published key by default.
    pub rsa_keys: Vec<String>,
    /// How far a payload's `timestamp` may be from this host's clock.
    pub timestamp_window_secs: u64,
    /// The largest body read.
    pub max_body_bytes: usize,
    /// Requests a second one source address may send before it is answered 429.
    pub requests_per_second: u32,
}

impl Default for HookApp {
    fn default() -> Self {
        HookApp {
            ed25519_keys: Vec::new(),
            rsa_keys: vec![signature::GHL_RSA_PUBLIC_KEY.to_string()],
            timestamp_window_secs: 300,
            max_body_bytes: 1 << 20,
            requests_per_second: 200,
        }
    }
}

/// What became of a webhook that was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Stored; it will be routed.
    Stored,
    /// Its `webhookId` was already stored: acknowledged, not stored again.
    Duplicate,
}

/// Why a webhook was refused. Nothing refused is stored.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// No `[hooks.<app>]` of that name.
    #[error("no app `{0}` receives webhooks here; the operator configures them as [hooks.<app>]")]
    UnknownApp(String),
    /// The source sent more than its share.
    #[error("too many webhooks from this address; slow down")]
    RateLimited,
    /// Not `application/json`.
    #[error("webhooks are JSON: send `Content-Type: application/json`")]
    NotJson,
    /// Over `max_body_bytes`.
    #[error("the body is larger than the {0} bytes this app's webhooks may be")]
    TooLarge(usize),
    /// The signature does not hold.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Signed, but not a JSON object with what a webhook carries.
    #[error("{0}")]
    Malformed(String),
    /// `timestamp` outside the window: stale, or replayed later.
    #[error(
        "the webhook's timestamp {timestamp} is more than {window_secs} s from this host's clock; it is refused as stale"
    )]
    Stale {
        /// As sent.
        timestamp: String,
        /// The configured window.
        window_secs: u64,
    },
    /// The receipt could not be stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct App {
    settings: HookApp,
    keys: PublicKeys,
}

/// Receives webhooks for the configured apps.
pub struct Receiver {
    apps: HashMap<String, App>,
    store: Arc<dyn HookStore>,
    wake: Arc<Notify>,
    /// Per source address: the second counted and the requests in it.
    sources: Mutex<HashMap<IpAddr, (i64, u32)>>,
}

/// A configured key that cannot be used, naming its app.
#[derive(Debug, thiserror::Error)]
#[error("[hooks.{app}]: {source}")]
pub struct HookConfigError {
    app: String,
    source: KeyError,
}

impl Receiver {
    /// Parses every app's keys; `wake` is notified when a receipt is stored.
    pub fn new(
        apps: &BTreeMap<String, HookApp>,
        store: Arc<dyn HookStore>,
        wake: Arc<Notify>,
    ) -> Result<Receiver, HookConfigError> {
        let apps = apps
            .iter()
            .map(|(name, settings)| {
                let keys = PublicKeys::parse(&settings.ed25519_keys, &settings.rsa_keys)
                    .map_err(|source| HookConfigError { app: name.clone(), source })?;
                Ok((name.clone(), App { settings: settings.clone(), keys }))
            })
            .collect::<Result<_, HookConfigError>>()?;
        Ok(Receiver { apps, store, wake, sources: Mutex::new(HashMap::new()) })
    }

    /// The largest body `app` takes, or `UnknownApp`.
    pub fn max_body(&self, app: &str) -> Result<usize, HookError> {
        self.apps.get(app).map(|a| a.settings.max_body_bytes).ok_or_else(|| HookError::UnknownApp(app.into()))
    }

    /// Counts a request from `source`; `RateLimited` past the app's share.
    pub fn admit(&self, app: &str, source: IpAddr, now_ms: i64) -> Result<(), HookError> {
        let app = self.apps.get(app).ok_or_else(|| HookError::UnknownApp(app.into()))?;
        let second = now_ms.div_euclid(1000);
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        if sources.len() > 10_000 {
            sources.retain(|_, (s, _)| *s == second);
        }
        let entry = sources.entry(source).or_insert((second, 0));
        if entry.0 != second {
            *entry = (second, 0);
        }
        entry.1 += 1;
        if entry.1 > app.settings.requests_per_second { Err(HookError::RateLimited) } else { Ok(()) }
    }

    /// Verifies, checks and stores one webhook; answers only once it is durable.
    pub async fn receive(
        &self,
        app_name: &str,
        content_type: Option<&str>,
        ed25519: Option<&str>,
        rsa: Option<&str>,
        body: &[u8],
        now_ms: i64,
    ) -> Result<Received, HookError> {
        let app = self.apps.get(app_name).ok_or_else(|| HookError::UnknownApp(app_name.into()))?;
        let json = content_type
            .and_then(|c| c.split(';').next())
            .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(HookError::NotJson);
        }
        if body.len() > app.settings.max_body_bytes {
            return Err(HookError::TooLarge(app.settings.max_body_bytes));
        }
        app.keys.verify(ed25519, rsa, body)?;
        let payload: Value =
            serde_json::from_slice(body).map_err(|e| HookError::Malformed(format!("the body is not JSON: {e}")))?;
        let text = |field: &str| payload.get(field).and_then(Value::as_str).map(str::to_string);
        let required = |field: &str| {
            text(field).filter(|v| !v.is_empty()).ok_or_else(|| {
                HookError::Malformed(format!(
                    "the webhook has no `{field}`; GHL's carry `type`, `webhookId` and `timestamp`"
                ))
            })
        };
        let (event_type, webhook_id, timestamp) = (required("type")?, required("webhookId")?, required("timestamp")?);
        let at = timestamp
            .parse::<jiff::Timestamp>()
            .map_err(|e| HookError::Malformed(format!("`timestamp` is not an RFC 3339 time: {e}")))?;
        let window_ms = app.settings.timestamp_window_secs.saturating_mul(1000) as i64;
        if (at.as_millisecond() - now_ms).abs() > window_ms {
            return Err(HookError::Stale { timestamp, window_secs: app.settings.timestamp_window_secs });
        }
        let receipt = NewReceipt {
            app: app_name.to_string(),
            webhook_id,
            event_type,
            location_id: text("locationId"),
            company_id: text("companyId"),
            body: String::from_utf8_lossy(body).into_owned(),
            received_at: now_ms,
        };
        if self.store.insert_receipt(&receipt).await? {
            self.wake.notify_one();
            Ok(Received::Stored)
        } else {
            Ok(Received::Duplicate)
        }
    }
}
