//! Connections: how a builder's account is connected (OAuth 2.0 or a static
//! token), stored sealed, refreshed without ever burning a rotating refresh
//! token, and handed to calls as a credential source the connector never sees.

mod oauth;
mod refresh;

pub use oauth::{OAuthApp, Tokens};

use crate::egress::{CredentialSource, EgressConfig, HttpClient};
use crate::names::NameKind;
use crate::runtime::Connection;
use crate::secret::Secret;
use crate::store::{
    ConnectionKind, ConnectionRow, ConnectionStatus, ConnectionStore, PendingAuthorization, StoreError,
};
use crate::vault::{Vault, VaultError};
use oauth::{OAuthEndpoints, TokenFailure};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use weft_manifest::{AuthMethod, ConnectorManifest};

/// How long a pending authorization stays valid.
const PENDING_TTL_SECS: i64 = 15 * 60;

/// Why a connection could not be stored, found or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// No connection of that name in the workspace.
    #[error("no connection named `{0}`; `weft connections list` shows them")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The vault could not rotate its master key.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The request cannot be met as made: no name, an empty token, no OAuth app configured, or a
    /// connection for another connector.
    #[error("{0}")]
    Invalid(String),
    /// The authorization failed: an unknown or expired state, or the token endpoint refused the code.
    #[error("the OAuth authorization failed: {0}")]
    OAuth(String),
}

/// What a builder or operator may see of a connection: never a secret.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionInfo {
    /// Stable identifier, 24 hex characters, chosen by the host when the connection was stored.
    pub id: String,
    /// The builder's name for it, unique within the workspace.
    pub name: String,
    /// Id of the connector it is for.
    pub connector: String,
    /// Whether it holds OAuth tokens or a static token.
    pub kind: ConnectionKind,
    /// The API origin calls go to.
    pub base_url: String,
    /// Non-secret facts calls may use, such as `locationId`, `companyId` and (for OAuth) `scopes`.
    #[schema(value_type = Object)]
    pub facts: Value,
    /// Whether calls can use it.
    pub status: ConnectionStatus,
    /// Why it needs reconnecting; absent while it is active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// When the access token expires (RFC 3339); absent for static tokens and tokens without an expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// When it was stored (RFC 3339).
    pub created_at: String,
}

impl From<&ConnectionRow> for ConnectionInfo {
    fn from(r: &ConnectionRow) -> Self {
        ConnectionInfo {
            id: r.id.clone(),
            name: r.name.clone(),
            connector: r.connector.clone(),
            kind: r.kind,
            base_url: r.base_url.clone(),
            facts: r.facts.clone(),
            status: r.status,
            status_message: r.status_message.clone(),
            expires_at: r.expires_at.and_then(|s| jiff::Timestamp::from_second(s).ok()).map(|t| t.to_string()),
            created_at: r.created_at.clone(),
        }
    }
}

/// A new token connection.
pub struct NewTokenConnection<'a> {
    /// The workspace the connection will belong to.
    pub workspace: &'a str,
    /// The name it will get, unique within the workspace.
    pub name: &'a str,
    /// The manifest of the connector it is for.
    pub manifest: &'a ConnectorManifest,
    /// The API origin to call; `None` for the connector's first allowed host.
    pub base_url: Option<&'a str>,
    /// Non-secret facts calls may use, e.g. `locationId`.
    pub facts: Value,
    /// The token itself, stored sealed and trimmed of surrounding whitespace.
    pub token: Secret,
}

/// Owns every connection of this host.
pub struct Connections {
    store: Arc<dyn ConnectionStore>,
    vault: RwLock<Arc<Vault>>,
    client: HttpClient,
    egress: EgressConfig,
    apps: HashMap<String, OAuthApp>,
    /// One lock per connection: refreshes of one connection never overlap.
    refresh_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A connection's base URL: an absolute http(s) URL with a host.
fn checked_base_url(url: &str) -> Result<String, ConnectionError> {
    let bad = |why: String| ConnectionError::Invalid(format!("baseUrl `{url}` {why}; give an absolute https:// URL"));
    let parsed = url::Url::parse(url).map_err(|e| bad(format!("is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
        return Err(bad("is not an http(s) URL with a host".into()));
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn new_id() -> String {
    hex::encode(rand::random::<[u8; 12]>())
}

impl Connections {
    /// Builds the owner of every connection: the store, the vault that seals credentials, the client and
    /// egress rules for token requests, and the OAuth apps by connector id.
    pub fn new(
        store: Arc<dyn ConnectionStore>,
        vault: Vault,
        client: HttpClient,
        egress: EgressConfig,
        apps: HashMap<String, OAuthApp>,
    ) -> Arc<Connections> {
        Arc::new(Connections {
            store,
            vault: RwLock::new(Arc::new(vault)),
            client,
            egress,
            apps,
            refresh_locks: Mutex::new(HashMap::new()),
        })
    }

    fn vault(&self) -> Arc<Vault> {
        self.vault.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn default_base(manifest: &ConnectorManifest) -> Result<String, ConnectionError> {
        manifest
            .allowed_hosts
            .first()
            .cloned()
            .ok_or_else(|| ConnectionError::Invalid(format!("{} declares no host to connect to", manifest.id)))
    }

    /// Stores a static-token connection (e.g. a GHL private integration token).
    pub async fn create_token(&self, new: NewTokenConnection<'_>) -> Result<ConnectionInfo, ConnectionError> {
        if new.token.expose().trim().is_empty() {
            return Err(ConnectionError::Invalid("the token is empty".into()));
        }
        let base_url = match new.base_url {
            Some(b) => checked_base_url(b)?,
            None => Self::default_base(new.manifest)?,
        };
        let tokens = Tokens { access_token: new.token.expose().trim().to_string(), refresh_token: None };
        let row = self.row(
            new.workspace,
            new.name,
            &new.manifest.id,
            ConnectionKind::Token,
            base_url,
            new.facts,
            &tokens,
            None,
        )?;
        self.store.insert_connection(&row).await?;
        tracing::info!(connection = %row.name, connector = %row.connector, "stored a token connection");
        Ok(ConnectionInfo::from(&row))
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        workspace: &str,
        name: &str,
        connector: &str,
        kind: ConnectionKind,
        base_url: String,
        facts: Value,
        tokens: &Tokens,
        expires_at: Option<i64>,
    ) -> Result<ConnectionRow, ConnectionError> {
        NameKind::Connection.check(name).map_err(|e| ConnectionError::Invalid(e.to_string()))?;
        let id = new_id();
        let vault = self.vault();
        let sealed = self.seal_tokens(tokens, &id)?;
        let now = jiff::Timestamp::now().to_string();
        Ok(ConnectionRow {
            id,
            workspace: workspace.into(),
            name: name.into(),
            connector: connector.into(),
            kind,
            base_url,
            facts,
            sealed,
            key_id: vault.current_key_id().into(),
            expires_at,
            status: ConnectionStatus::Active,
            status_message: None,
            token_version: 0,
            created_at: now.clone(),
            updated_at: now,
        })
    }

    /// Seals tokens for the connection `id` (the id binds them to its row).
    fn seal_tokens(&self, tokens: &Tokens, id: &str) -> Result<Vec<u8>, ConnectionError> {
        let plain =
            zeroize::Zeroizing::new(serde_json::to_vec(tokens).map_err(|e| ConnectionError::Invalid(e.to_string()))?);
        Ok(self.vault().seal(&plain, id))
    }

    /// A name already taken is reconnected, never taken over: it must be a
    /// connection to the same connector. Returns its base URL, so a
    /// reconnect goes back to the host the connection was made with.
    async fn check_reconnect(
        &self,
        workspace: &str,
        name: &str,
        connector: &str,
    ) -> Result<Option<String>, ConnectionError> {
        match self.store.connection(workspace, name).await? {
            Some(old) if old.connector != connector => Err(ConnectionError::Invalid(format!(
                "`{name}` is already a connection for {}; choose another name, or remove it first",
                old.connector
            ))),
            old => Ok(old.map(|o| o.base_url)),
        }
    }

    fn app(&self, manifest: &ConnectorManifest) -> Result<&OAuthApp, ConnectionError> {
        self.apps.get(&manifest.id).ok_or_else(|| {
            ConnectionError::Invalid(format!(
                "no OAuth app is configured for {0}; add [connectors.{0}.oauth] client_id and client_secret to the config",
                manifest.id
            ))
        })
    }

    /// The authorize and token URLs for a connection to `base_url`. A token URL
    /// on the connector's default host follows the connection to another base
    /// URL (a regional host or a simulator).
    fn endpoints(&self, manifest: &ConnectorManifest, base_url: &str) -> Result<OAuthEndpoints, ConnectionError> {
        let Some(AuthMethod::Oauth2 { authorize_url, token_url, scopes, token_params, .. }) = manifest.oauth2() else {
            return Err(ConnectionError::Invalid(format!("{} does not offer OAuth", manifest.id)));
        };
        let app = self.app(manifest)?;
        let default_base = Self::default_base(manifest)?;
        let token_url = match &app.token_url {
            Some(url) => url.clone(),
            None => match token_url.strip_prefix(default_base.trim_end_matches('/')) {
                Some(path) => format!("{}{path}", base_url.trim_end_matches('/')),
                None => token_url.clone(),
            },
        };
        Ok(OAuthEndpoints {
            authorize_url: app.authorize_url.clone().unwrap_or_else(|| authorize_url.clone()),
            token_url,
            scopes: scopes.clone(),
            token_params: token_params.clone(),
        })
    }

    /// Starts an OAuth authorization: the URL to send the user to. The state
    /// in it is checked when the user comes back, and works once.
    pub async fn begin_oauth(
        &self,
        workspace: &str,
        name: &str,
        manifest: &ConnectorManifest,
        base_url: Option<&str>,
        redirect_uri: &str,
    ) -> Result<String, ConnectionError> {
        NameKind::Connection.check(name).map_err(|e| ConnectionError::Invalid(e.to_string()))?;
        let existing = self.check_reconnect(workspace, name, &manifest.id).await?;
        let base_url = match (base_url, existing) {
            (Some(b), _) => checked_base_url(b)?,
            (None, Some(existing)) => existing,
            (None, None) => Self::default_base(manifest)?,
        };
        let endpoints = self.endpoints(manifest, &base_url)?;
        let state = hex::encode(rand::random::<[u8; 16]>());
        self.store
            .put_pending(&PendingAuthorization {
                state: state.clone(),
                workspace: workspace.into(),
                connector: manifest.id.clone(),
                name: name.into(),
                base_url,
                redirect_uri: redirect_uri.into(),
                created_at: now_secs(),
            })
            .await?;
        Ok(oauth::authorize_url(&endpoints, self.app(manifest)?, redirect_uri, &state))
    }

    /// Completes an authorization the user came back from with `code`;
    /// `manifests` finds the connector's manifest by id.
    pub async fn complete_oauth(
        &self,
        manifests: &(dyn Fn(&str) -> Option<ConnectorManifest> + Send + Sync),
        state: &str,
        code: &str,
    ) -> Result<ConnectionInfo, ConnectionError> {
        let pending = self.store.take_pending(state).await?.ok_or_else(|| {
            ConnectionError::OAuth("the state is unknown or was already used; start connecting again".into())
        })?;
        if now_secs() - pending.created_at > PENDING_TTL_SECS {
            return Err(ConnectionError::OAuth("the authorization expired; start connecting again".into()));
        }
        let manifest = manifests(&pending.connector)
            .ok_or_else(|| ConnectionError::OAuth(format!("the connector `{}` is not loaded", pending.connector)))?;
        let manifest = &manifest;
        let endpoints = self.endpoints(manifest, &pending.base_url)?;
        let app = self.app(manifest)?;
        let mut form = vec![
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", pending.redirect_uri.as_str()),
        ];
        form.extend(endpoints.token_params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let answer = oauth::token_request(&self.client, &self.egress, &endpoints.token_url, &form)
            .await
            .map_err(|f| ConnectionError::OAuth(describe_failure(&f)))?;
        let scopes: Vec<&str> = answer.scope.as_deref().unwrap_or_default().split_whitespace().collect();
        let facts = json!({
            "locationId": answer.location_id,
            "companyId": answer.company_id,
            "userId": answer.user_id,
            "scopes": scopes,
            "tokenKind": token_kind(answer.user_type.as_deref(), answer.location_id.is_some()),
        });
        let expires_at = answer.expires_in.map(|s| now_secs() + s);
        let tokens = Tokens { access_token: answer.access_token.clone(), refresh_token: answer.refresh_token.clone() };
        let row = self.row(
            &pending.workspace,
            &pending.name,
            &manifest.id,
            ConnectionKind::Oauth2,
            pending.base_url,
            facts,
            &tokens,
            expires_at,
        )?;
        self.check_reconnect(&row.workspace, &row.name, &row.connector).await?;
        match self.store.connection(&row.workspace, &row.name).await? {
            // Reconnecting: the same row (its id, its subscriptions) gets the new grant.
            Some(old) => {
                let row = ConnectionRow {
                    sealed: self.seal_tokens(&tokens, &old.id)?,
                    id: old.id,
                    created_at: old.created_at,
                    ..row
                };
                self.store.replace_connection(&row).await?;
                tracing::info!(connection = %row.name, connector = %row.connector, "reconnected an OAuth connection");
                Ok(ConnectionInfo::from(&row))
            }
            None => {
                self.store.insert_connection(&row).await?;
                tracing::info!(connection = %row.name, connector = %row.connector, "stored an OAuth connection");
                Ok(ConnectionInfo::from(&row))
            }
        }
    }

    /// A workspace's connections, by name, without secrets.
    pub async fn list(&self, workspace: &str) -> Result<Vec<ConnectionInfo>, ConnectionError> {
        Ok(self.store.connections(workspace).await?.iter().map(ConnectionInfo::from).collect())
    }

    /// One connection of a workspace, without secrets.
    pub async fn get(&self, workspace: &str, name: &str) -> Result<ConnectionInfo, ConnectionError> {
        self.store
            .connection(workspace, name)
            .await?
            .map(|r| ConnectionInfo::from(&r))
            .ok_or_else(|| ConnectionError::NotFound(name.into()))
    }

    /// Deletes a connection of a workspace; `NotFound` when there is none.
    pub async fn remove(&self, workspace: &str, name: &str) -> Result<(), ConnectionError> {
        if self.store.delete_connection(workspace, name).await? {
            Ok(())
        } else {
            Err(ConnectionError::NotFound(name.into()))
        }
    }

    /// The connection as a call uses it: base URL, facts, and a credential
    /// source that refreshes itself.
    pub async fn for_call(
        self: &Arc<Self>,
        workspace: &str,
        name: &str,
        manifest: &ConnectorManifest,
    ) -> Result<Connection, ConnectionError> {
        let row =
            self.store.connection(workspace, name).await?.ok_or_else(|| ConnectionError::NotFound(name.into()))?;
        if row.connector != manifest.id {
            return Err(ConnectionError::Invalid(format!(
                "connection `{name}` is for {}, not {}",
                row.connector, manifest.id
            )));
        }
        let endpoints = match row.kind {
            ConnectionKind::Oauth2 => Some(self.endpoints(manifest, &row.base_url)?),
            ConnectionKind::Token => None,
        };
        let source: Arc<dyn CredentialSource> = Arc::new(refresh::StoredCredential {
            connections: self.clone(),
            id: row.id.clone(),
            endpoints,
            connector: manifest.id.clone(),
        });
        Ok(Connection { base_url: row.base_url, facts: row.facts, credential: Some(source) })
    }

    /// Re-seals every credential under a new master key; old keys are
    /// forgotten only after everything was re-sealed.
    pub async fn rotate_keys(&self) -> Result<(usize, String), ConnectionError> {
        let old = self.vault();
        let mut rotated = old.rotated()?;
        let new = rotated.clone();
        let count = self
            .store
            .reseal_all(&move |id, sealed| {
                let plain = new.open_sealed(sealed, id).map_err(|e| e.to_string())?;
                Ok((new.seal(&plain, id), new.current_key_id().to_string()))
            })
            .await?;
        rotated.forget_old_keys()?;
        let id = rotated.current_key_id().to_string();
        *self.vault.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rotated);
        Ok((count, id))
    }

    fn lock_for(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.refresh_locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(id.to_string()).or_default().clone()
    }
}

fn describe_failure(f: &TokenFailure) -> String {
    match f {
        TokenFailure::InvalidGrant(m) => format!("the code was refused ({m}); start connecting again"),
        TokenFailure::LocationInactive(m) => format!("{m}; try again once the location is active"),
        TokenFailure::Other(m) => m.clone(),
    }
}

/// The kind of account a token acts for, as connection facts name it
/// (`location` or `company`): generated operations that need an agency token
/// check it before sending anything. GHL's token answer says it in `userType`.
pub fn token_kind(user_type: Option<&str>, has_location: bool) -> &'static str {
    match user_type.map(str::to_ascii_lowercase).as_deref() {
        Some("company" | "agency") => "company",
        Some("location") => "location",
        _ if has_location => "location",
        _ => "company",
    }
}

#[cfg(test)]
mod tests {
    use super::token_kind;

    #[test]
    fn the_token_kind_comes_from_ghls_user_type_else_from_the_location() {
        assert_eq!(token_kind(Some("Company"), true), "company");
        assert_eq!(token_kind(Some("Location"), false), "location");
        assert_eq!(token_kind(None, true), "location");
        assert_eq!(token_kind(None, false), "company");
    }
}
