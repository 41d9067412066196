//! The OAuth records (apps, codes, refresh tokens, consents, inactive locations, counters)
//! and the two grants. Each grant is one critical section, so two concurrent refreshes of
//! one token behave as on GHL: the first rotates it, the second is a reuse.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::state::{Grant, SIM_USER_ID, Sim, State};

/// GHL's access-token lifetime (`expires_in`): a day, less a second.
pub(crate) const ACCESS_TOKEN_SECONDS: u64 = 86_399;

/// The `companyId` of consents that do not name one (20 characters, like GHL's ids).
const SIM_COMPANY_ID: &str = "SimCompany8h8vShlRW1";

/// A Marketplace app's client credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthApp {
    /// The id the client sends as `client_id`.
    pub client_id: String,
    /// The secret the token endpoint checks against `client_secret`.
    pub client_secret: String,
    /// When set, the authorize page only redirects here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

/// The sub-account (and agency, user) an authorization grants: what the user who consents
/// on the authorize page picks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    /// The location (sub-account) the tokens will act in.
    pub location_id: String,
    /// A fixed simulator company id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// The simulator's user id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

impl Consent {
    /// Consent to one location, with the simulator's company and user.
    pub fn location(location_id: &str) -> Self {
        Self { location_id: location_id.to_owned(), company_id: None, user_id: None }
    }
}

/// Counters of the token endpoint's traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthStats {
    /// Well-formed `refresh_token` grant requests, whatever their outcome.
    pub refresh_calls: u64,
    /// Refreshes that issued new tokens.
    pub refresh_successes: u64,
    /// Refreshes attempted with a refresh token already used (rotated away).
    pub reused_refresh_tokens: u64,
    /// Well-formed `authorization_code` grant requests, whatever their outcome.
    pub code_exchanges: u64,
}

/// The token endpoint's success body (`GetAccessCodeSuccessfulResponseDto`, plus the
/// `refreshTokenId` the real API also sends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthTokens {
    /// The new bearer token for API calls, valid for `expires_in` seconds.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds: 86399, unless [`Sim::set_access_token_lifetime`] chose another lifetime.
    pub expires_in: u64,
    /// The new refresh token; the one refreshed with stops working (rotation).
    pub refresh_token: String,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// Always `Location`: the simulator issues sub-account tokens only.
    #[serde(rename = "userType")]
    pub user_type: String,
    /// The location the tokens act in.
    #[serde(rename = "locationId")]
    pub location_id: String,
    /// The agency (company) the location belongs to.
    #[serde(rename = "companyId")]
    pub company_id: String,
    /// The user who consented.
    #[serde(rename = "userId")]
    pub user_id: String,
    /// A random id for this refresh token (24 hex characters), as the real API sends.
    #[serde(rename = "refreshTokenId")]
    pub refresh_token_id: String,
}

/// Why a grant failed; `token.rs` turns each into GHL's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantError {
    InvalidClient,
    InvalidCode,
    InvalidRefreshToken,
    LocationInactive,
}

/// What one code or refresh-token lineage grants.
#[derive(Debug, Clone)]
struct Authorization {
    client_id: String,
    location_id: String,
    company_id: String,
    user_id: String,
    scopes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshStatus {
    Live,
    /// Rotated away by a successful refresh: presenting it again is a reuse.
    Used,
    Revoked,
}

#[derive(Debug)]
struct RefreshRecord {
    authorization: Authorization,
    status: RefreshStatus,
}

#[derive(Debug, Default)]
pub(crate) struct OAuthState {
    apps: HashMap<String, OAuthApp>,
    codes: HashMap<String, Authorization>,
    refresh_tokens: HashMap<String, RefreshRecord>,
    consents: Vec<Consent>,
    inactive_locations: HashSet<String>,
    latest: HashMap<String, OAuthTokens>,
    stats: OAuthStats,
    /// The lifetime of access tokens issued from now on; `None`: GHL's.
    access_token_seconds: Option<u64>,
}

/// `bytes` random bytes as lowercase hex.
fn random_hex(bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rand::random::<u8>())).collect()
}

/// Keeps the first of each scope, in the order given.
fn unique_scopes<I>(scopes: I) -> Vec<String>
where
    I: IntoIterator,
    I::Item: Into<String>,
{
    let mut unique: Vec<String> = Vec::new();
    for scope in scopes.into_iter().map(Into::into) {
        if !scope.is_empty() && !unique.contains(&scope) {
            unique.push(scope);
        }
    }
    unique
}

impl State {
    fn check_client(&self, client_id: &str, client_secret: &str) -> Result<(), GrantError> {
        match self.oauth.apps.get(client_id) {
            Some(app) if app.client_secret == client_secret => Ok(()),
            _ => Err(GrantError::InvalidClient),
        }
    }

    /// New access and refresh tokens for an authorization; the access token becomes a
    /// valid API token for its location and scopes until it expires.
    fn issue_tokens(&mut self, authorization: Authorization) -> OAuthTokens {
        let access_token = format!("at-{}", random_hex(24));
        let refresh_token = format!("rt-{}", random_hex(24));
        let lifetime = self.oauth.access_token_seconds.unwrap_or(ACCESS_TOKEN_SECONDS);
        let expires_at = Instant::now() + Duration::from_secs(lifetime);
        let grant = Grant {
            location_id: authorization.location_id.clone(),
            company_id: None,
            scopes: authorization.scopes.iter().cloned().collect::<BTreeSet<String>>(),
            expires_at: Some(expires_at),
        };
        self.tokens.insert(access_token.clone(), grant);
        let tokens = OAuthTokens {
            access_token,
            token_type: "Bearer".to_owned(),
            expires_in: lifetime,
            refresh_token: refresh_token.clone(),
            scope: authorization.scopes.join(" "),
            user_type: "Location".to_owned(),
            location_id: authorization.location_id.clone(),
            company_id: authorization.company_id.clone(),
            user_id: authorization.user_id.clone(),
            refresh_token_id: random_hex(12),
        };
        self.oauth.latest.insert(authorization.location_id.clone(), tokens.clone());
        let record = RefreshRecord { authorization, status: RefreshStatus::Live };
        self.oauth.refresh_tokens.insert(refresh_token, record);
        tokens
    }
}

impl Sim {
    /// Registers (or replaces) an OAuth app's client credentials.
    pub fn register_oauth_app(&self, client_id: &str, client_secret: &str) {
        let app =
            OAuthApp { client_id: client_id.to_owned(), client_secret: client_secret.to_owned(), redirect_uri: None };
        self.register_oauth_app_with(app);
    }

    /// Registers (or replaces) an OAuth app, with its redirect URI if it has one.
    pub fn register_oauth_app_with(&self, app: OAuthApp) {
        self.lock().oauth.apps.insert(app.client_id.clone(), app);
    }

    /// Records who consents on the authorize page; the last one registered is used.
    pub fn register_consent(&self, consent: Consent) {
        self.lock().oauth.consents.push(consent);
    }

    /// An authorization code granting `scopes` on `location_id` to `client_id` (single-use).
    pub fn issue_code<I>(&self, client_id: &str, location_id: &str, scopes: I) -> String
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.issue_code_for(client_id, Consent::location(location_id), scopes)
    }

    /// Like [`Sim::issue_code`], naming the company and user too.
    pub fn issue_code_for<I>(&self, client_id: &str, consent: Consent, scopes: I) -> String
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let authorization = Authorization {
            client_id: client_id.to_owned(),
            location_id: consent.location_id,
            company_id: consent.company_id.unwrap_or_else(|| SIM_COMPANY_ID.to_owned()),
            user_id: consent.user_id.unwrap_or_else(|| SIM_USER_ID.to_owned()),
            scopes: unique_scopes(scopes),
        };
        let code = random_hex(20);
        self.lock().oauth.codes.insert(code.clone(), authorization);
        code
    }

    /// Access tokens issued from now on live `seconds` (`expires_in` says so); `None` brings
    /// back GHL's 86399. Short-lived tokens let a client show it refreshes ahead of expiry.
    pub fn set_access_token_lifetime(&self, seconds: Option<u64>) {
        self.lock().oauth.access_token_seconds = seconds;
    }

    /// Makes an access token expire now: the API answers 401 for it from then on.
    /// Returns whether the token was known.
    pub fn expire_access_token(&self, access_token: &str) -> bool {
        let mut state = self.lock();
        let grant = state.tokens.get_mut(access_token);
        grant.map(|grant| grant.expires_at = Some(Instant::now())).is_some()
    }

    /// Expires every access token issued by the token endpoint (tokens registered with
    /// [`Sim::register_token`] never expire). Returns how many were still valid.
    pub fn expire_all_access_tokens(&self) -> usize {
        let now = Instant::now();
        let mut state = self.lock();
        let live = state.tokens.values_mut().filter(|g| g.expires_at.is_some_and(|at| at > now));
        live.map(|grant| grant.expires_at = Some(now)).count()
    }

    /// Revokes a refresh token: refreshing with it answers `invalid_grant`. Returns whether
    /// the token was known.
    pub fn revoke_refresh_token(&self, refresh_token: &str) -> bool {
        let mut state = self.lock();
        let record = state.oauth.refresh_tokens.get_mut(refresh_token);
        record.map(|record| record.status = RefreshStatus::Revoked).is_some()
    }

    /// Marks a location inactive (refreshes answer 400 `Location is not active` and keep the
    /// token) or active again.
    pub fn set_location_active(&self, location_id: &str, active: bool) {
        let inactive = &mut self.lock().oauth.inactive_locations;
        if active {
            inactive.remove(location_id);
        } else {
            inactive.insert(location_id.to_owned());
        }
    }

    /// The token endpoint's counters.
    pub fn oauth_stats(&self) -> OAuthStats {
        self.lock().oauth.stats
    }

    /// The tokens last issued for a location, if any.
    pub fn tokens_for(&self, location_id: &str) -> Option<OAuthTokens> {
        self.lock().oauth.latest.get(location_id).cloned()
    }

    pub(crate) fn oauth_app(&self, client_id: &str) -> Option<OAuthApp> {
        self.lock().oauth.apps.get(client_id).cloned()
    }

    pub(crate) fn last_consent(&self) -> Option<Consent> {
        self.lock().oauth.consents.last().cloned()
    }

    pub(crate) fn count_code_exchange(&self) {
        self.lock().oauth.stats.code_exchanges += 1;
    }

    pub(crate) fn count_refresh_call(&self) {
        self.lock().oauth.stats.refresh_calls += 1;
    }

    /// `grant_type=authorization_code`: the code is consumed only when tokens are issued.
    pub(crate) fn exchange_code(&self, client_id: &str, secret: &str, code: &str) -> Result<OAuthTokens, GrantError> {
        let mut state = self.lock();
        state.check_client(client_id, secret)?;
        let authorization = state.oauth.codes.get(code).filter(|a| a.client_id == client_id);
        let authorization = authorization.cloned().ok_or(GrantError::InvalidCode)?;
        if state.oauth.inactive_locations.contains(&authorization.location_id) {
            return Err(GrantError::LocationInactive);
        }
        state.oauth.codes.remove(code);
        Ok(state.issue_tokens(authorization))
    }

    /// `grant_type=refresh_token`: rotates the refresh token; the old access token stays valid.
    pub(crate) fn refresh(
        &self,
        client_id: &str,
        secret: &str,
        refresh_token: &str,
    ) -> Result<OAuthTokens, GrantError> {
        let mut state = self.lock();
        state.check_client(client_id, secret)?;
        let record = state.oauth.refresh_tokens.get(refresh_token).filter(|r| r.authorization.client_id == client_id);
        let (status, authorization) = match record {
            Some(record) => (record.status, record.authorization.clone()),
            None => return Err(GrantError::InvalidRefreshToken),
        };
        match status {
            RefreshStatus::Live => {}
            RefreshStatus::Used => {
                state.oauth.stats.reused_refresh_tokens += 1;
                return Err(GrantError::InvalidRefreshToken);
            }
            RefreshStatus::Revoked => return Err(GrantError::InvalidRefreshToken),
        }
        if state.oauth.inactive_locations.contains(&authorization.location_id) {
            return Err(GrantError::LocationInactive);
        }
        if let Some(record) = state.oauth.refresh_tokens.get_mut(refresh_token) {
            record.status = RefreshStatus::Used;
        }
        state.oauth.stats.refresh_successes += 1;
        Ok(state.issue_tokens(authorization))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_keep_their_order_without_repeats() {
        assert_eq!(unique_scopes(["b", "a", "b", ""]), ["b", "a"]);
    }

    #[test]
    fn tokens_are_long_random_hex() {
        let a = random_hex(24);
        assert_eq!(a.len(), 48);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(24));
    }
}
