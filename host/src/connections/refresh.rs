//! A stored connection's credential, refreshed ahead of expiry and once
//! after a 401. Refreshes of one connection are single-flight, and a rotated
//! refresh token is written to the database before the new access token is
//! used, so a refresh token is never sent twice.

use super::oauth::{self, OAuthEndpoints, TokenFailure, Tokens};
use super::{Connections, now_secs};
use crate::egress::{CredentialProblem, CredentialSource};
use crate::secret::Secret;
use crate::store::{ConnectionKind, ConnectionRow, ConnectionStatus};
use async_trait::async_trait;
use std::sync::Arc;

/// Refresh this long before the access token expires.
const REFRESH_AHEAD_SECS: i64 = 300;

pub(super) struct StoredCredential {
    pub connections: Arc<Connections>,
    pub id: String,
    pub endpoints: Option<OAuthEndpoints>,
    pub connector: String,
}

fn temporary(e: impl std::fmt::Display) -> CredentialProblem {
    CredentialProblem::Temporary(e.to_string())
}

impl StoredCredential {
    async fn row(&self) -> Result<ConnectionRow, CredentialProblem> {
        let row = self
            .connections
            .store
            .connection_by_id(&self.id)
            .await
            .map_err(temporary)?
            .ok_or_else(|| CredentialProblem::ReconnectRequired("the connection was removed".into()))?;
        if row.status == ConnectionStatus::ReconnectRequired {
            return Err(CredentialProblem::ReconnectRequired(
                row.status_message.clone().unwrap_or_else(|| "connect the account again".into()),
            ));
        }
        Ok(row)
    }

    fn tokens(&self, row: &ConnectionRow) -> Result<Tokens, CredentialProblem> {
        let plain = self.connections.vault().open_sealed(&row.sealed, &row.id).map_err(|e| {
            CredentialProblem::ReconnectRequired(format!("the stored credential cannot be opened: {e}"))
        })?;
        serde_json::from_slice(&plain).map_err(|e| CredentialProblem::ReconnectRequired(e.to_string()))
    }

    fn expiring(row: &ConnectionRow) -> bool {
        row.kind == ConnectionKind::Oauth2 && row.expires_at.is_some_and(|at| at - now_secs() < REFRESH_AHEAD_SECS)
    }

    /// Refreshes under the connection's locks (this process's, then the
    /// database's), unless someone else already
    /// replaced `stale` (or, with no `stale`, unless the token is still fresh).
    async fn refresh_locked(&self, stale: Option<&Secret>) -> Result<Secret, CredentialProblem> {
        let lock = self.connections.lock_for(&self.id);
        let _guard = lock.lock().await;
        // Then across processes: the one holding this refreshes, the others
        // find the token replaced when they get it.
        let shared = self.connections.store.refresh_lock(&self.id).await.map_err(temporary)?;
        let done = self.refresh_under_lock(stale).await;
        shared.release().await;
        done
    }

    async fn refresh_under_lock(&self, stale: Option<&Secret>) -> Result<Secret, CredentialProblem> {
        let row = self.row().await?;
        let tokens = self.tokens(&row)?;
        let current = tokens.bearer();
        let already_done = match stale {
            Some(stale) => current.expose() != stale.expose(),
            None => !Self::expiring(&row),
        };
        if already_done {
            return Ok(current);
        }
        let (Some(endpoints), Some(refresh_token)) = (&self.endpoints, tokens.refresh_token.as_deref()) else {
            return Err(CredentialProblem::NotRefreshable);
        };
        let connections = &self.connections;
        let app = connections
            .apps
            .get(&self.connector)
            .ok_or_else(|| temporary(format!("no OAuth app is configured for {} to refresh with", self.connector)))?;
        let mut form = vec![
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        form.extend(endpoints.token_params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let answer = match oauth::token_request(&connections.client, &connections.egress, &endpoints.token_url, &form)
            .await
        {
            Ok(answer) => answer,
            Err(TokenFailure::InvalidGrant(m)) => {
                let message = format!(
                    "the saved authorization was revoked or expired ({m}); connect the account again to resume"
                );
                connections
                    .store
                    .set_status(&self.id, ConnectionStatus::ReconnectRequired, Some(&message))
                    .await
                    .map_err(temporary)?;
                tracing::warn!(connection = %row.name, "refresh token refused: the connection needs reconnecting");
                return Err(CredentialProblem::ReconnectRequired(message));
            }
            Err(TokenFailure::LocationInactive(m)) => {
                return Err(temporary(format!("{m}; the tokens are kept and the call will work once it is active")));
            }
            Err(TokenFailure::Other(m)) => return Err(temporary(format!("refreshing the access token failed: {m}"))),
        };
        let fresh = Tokens {
            access_token: answer.access_token.clone(),
            // An API that does not rotate keeps the old refresh token.
            refresh_token: answer.refresh_token.clone().or_else(|| tokens.refresh_token.clone()),
        };
        let vault = connections.vault();
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(&fresh).map_err(temporary)?);
        let sealed = vault.seal(&plain, &self.id);
        let expires_at = answer.expires_in.map(|s| now_secs() + s);
        // Persisted before the new access token is used: a crash now loses
        // nothing, and the spent refresh token is never sent again.
        let saved = connections
            .store
            .update_credential(&self.id, &sealed, vault.current_key_id(), expires_at, row.token_version)
            .await
            .map_err(temporary)?;
        if !saved {
            // Another host refreshed in between; its tokens win.
            return Ok(self.tokens(&self.row().await?)?.bearer());
        }
        tracing::info!(connection = %row.name, "refreshed the access token");
        Ok(fresh.bearer())
    }
}

#[async_trait]
impl CredentialSource for StoredCredential {
    async fn current(&self) -> Result<Secret, CredentialProblem> {
        let row = self.row().await?;
        if Self::expiring(&row) && self.endpoints.is_some() {
            return self.refresh_locked(None).await;
        }
        Ok(self.tokens(&row)?.bearer())
    }

    async fn refresh(&self, rejected: &Secret) -> Result<Secret, CredentialProblem> {
        if self.endpoints.is_none() {
            return Err(CredentialProblem::NotRefreshable);
        }
        self.refresh_locked(Some(rejected)).await
    }
}
