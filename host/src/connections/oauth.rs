//! The OAuth 2.0 authorization-code flow as GHL documents it: the authorize
//! URL, the code exchange and the refresh, both form-encoded to the token URL.

use crate::egress::{EgressConfig, EgressPolicy, HttpClient, Origin};
use crate::secret::Secret;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// An OAuth app registered with the API, from the operator's config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthApp {
    /// The app's client id, sent in the authorize URL and with every token request.
    pub client_id: String,
    /// The app's client secret, sent only to the token URL.
    pub client_secret: Secret,
    /// Overrides the manifest's authorize URL (e.g. a white-label host).
    #[serde(default)]
    pub authorize_url: Option<String>,
    /// Overrides the manifest's token URL.
    #[serde(default)]
    pub token_url: Option<String>,
}

/// Where to send users and codes, for one connector and connection.
#[derive(Debug, Clone)]
pub(super) struct OAuthEndpoints {
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: Vec<String>,
    pub token_params: BTreeMap<String, String>,
}

/// What the token endpoint answers (GHL's fields; others are ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenAnswer {
    #[serde(rename = "access_token")]
    pub access_token: String,
    #[serde(rename = "refresh_token", default)]
    pub refresh_token: Option<String>,
    #[serde(rename = "expires_in", default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub company_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    /// `Location` or `Company`: the kind of account the token acts for.
    #[serde(default)]
    pub user_type: Option<String>,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer").field("expires_in", &self.expires_in).finish_non_exhaustive()
    }
}

/// How the token endpoint refused.
#[derive(Debug)]
pub(super) enum TokenFailure {
    /// The grant (code or refresh token) is gone: `invalid_grant`.
    InvalidGrant(String),
    /// GHL's "Location is not active": temporary; the refresh token is kept.
    LocationInactive(String),
    /// Anything else: network, 5xx, an answer we cannot read.
    Other(String),
}

/// The authorize URL a user opens.
pub(super) fn authorize_url(endpoints: &OAuthEndpoints, app: &OAuthApp, redirect_uri: &str, state: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &endpoints.scopes.join(" "))
        .append_pair("state", state)
        .finish();
    let sep = if endpoints.authorize_url.contains('?') { '&' } else { '?' };
    format!("{}{sep}{query}", endpoints.authorize_url)
}

/// Posts a form to the token URL and reads the answer.
pub(super) async fn token_request(
    client: &HttpClient,
    egress: &EgressConfig,
    token_url: &str,
    form: &[(&str, &str)],
) -> Result<TokenAnswer, TokenFailure> {
    let origin = Origin::parse(token_url).map_err(|e| TokenFailure::Other(e.to_string()))?;
    EgressPolicy::new(vec![origin.clone()], egress.clone())
        .check(&origin)
        .map_err(|why| TokenFailure::Other(format!("the token URL is not reachable: {why}")))?;
    let body = {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in form {
            body.append_pair(k, v);
        }
        body.finish()
    };
    let request = http::Request::post(token_url)
        .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(http::header::ACCEPT, "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| TokenFailure::Other(e.to_string()))?;
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .map_err(|_| TokenFailure::Other("the token endpoint did not answer within 30 s".into()))?
        .map_err(|e| TokenFailure::Other(format!("the token endpoint could not be reached: {e}")))?;
    let status = response.status();
    let bytes = http_body_util::Limited::new(response.into_body(), 1 << 20)
        .collect()
        .await
        .map_err(|e| TokenFailure::Other(format!("reading the token answer: {e}")))?
        .to_bytes();
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|e| TokenFailure::Other(format!("the token endpoint answered JSON this host cannot read: {e}")));
    }
    let text = String::from_utf8_lossy(&bytes);
    let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let field = |k: &str| json.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let message = [field("error"), field("error_description"), field("message")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let message = if message.is_empty() { text.chars().take(300).collect() } else { message };
    if text.contains("Location is not active") {
        Err(TokenFailure::LocationInactive(message))
    } else if text.contains("invalid_grant") || text.to_ascii_lowercase().contains("invalid grant") {
        Err(TokenFailure::InvalidGrant(message))
    } else {
        Err(TokenFailure::Other(format!("the token endpoint answered {status}: {message}")))
    }
}

/// The sealed credential of an OAuth or token connection.
#[derive(Serialize, Deserialize)]
pub struct Tokens {
    /// The bearer token calls carry.
    pub access_token: String,
    /// The token that gets a new access token; `None` for static tokens and when the API gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl Drop for Tokens {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        if let Some(r) = &mut self.refresh_token {
            r.zeroize();
        }
    }
}

impl Tokens {
    /// The `Authorization` header value: `Bearer <access token>`.
    pub fn bearer(&self) -> Secret {
        Secret::new(format!("Bearer {}", self.access_token))
    }
}
