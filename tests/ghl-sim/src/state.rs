//! The simulator's shared state and the plain Rust methods that mirror the admin routes.
//!
//! Everything lives behind one `std::sync::Mutex`: no lock is ever held across an `.await`,
//! and a poisoned lock is recovered (the data stays consistent because every update is a
//! single short critical section).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

use crate::model::{Account, NewAccount, RecordedRequest, Tag};

/// Every social planner scope, for tokens that should be allowed everything.
pub const SOCIAL_PLANNER_SCOPES: &[&str] = &[
    "socialplanner/account.readonly",
    "socialplanner/account.write",
    "socialplanner/category.readonly",
    "socialplanner/category.write",
    "socialplanner/csv.readonly",
    "socialplanner/csv.write",
    "socialplanner/oauth.readonly",
    "socialplanner/oauth.write",
    "socialplanner/post.readonly",
    "socialplanner/post.write",
    "socialplanner/statistics.readonly",
    "socialplanner/tag.readonly",
    "socialplanner/tag.write",
];

/// The user id the simulator stamps into `createdBy` (and OAuth tokens' `userId`).
pub(crate) const SIM_USER_ID: &str = "5f8d0d55b54764421b7156c9";

/// Failures of the admin operations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// No tag with this id in this location.
    #[error("tag {id} not found in location {location_id}")]
    TagNotFound {
        /// The location that was searched.
        location_id: String,
        /// The tag id asked for.
        id: String,
    },
    /// A rate limit or fault the simulator cannot apply (e.g. a fault status of 200).
    #[error("invalid simulator setting: {reason}")]
    InvalidSetting {
        /// What is wrong with the setting, for the admin route's answer.
        reason: String,
    },
}

/// What a registered token may do.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// The location a sub-account token is for; empty for agency (company) tokens.
    pub(crate) location_id: String,
    /// The company an agency token is for; `None` for sub-account tokens.
    pub(crate) company_id: Option<String>,
    pub(crate) scopes: BTreeSet<String>,
    /// When an OAuth access token stops working; `None` for tokens that never expire (PITs).
    pub(crate) expires_at: Option<Instant>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) tokens: HashMap<String, Grant>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) accounts: HashMap<String, Vec<Account>>,
    pub(crate) statistics: HashMap<String, serde_json::Value>,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) oauth: crate::oauth::OAuthState,
    pub(crate) traffic: crate::traffic::Traffic,
    /// Resources created through the spec-driven operations.
    pub(crate) resources: crate::generic::Store,
    /// Where the app's webhooks go.
    pub(crate) webhook_url: Option<String>,
    /// How many of the next webhooks sent after API changes are lost, as
    /// when GHL's delivery fails for good.
    pub(crate) webhooks_to_lose: u32,
    last_stamp_ms: i64,
    id_counter: u32,
}

impl State {
    /// Now, in whole milliseconds, strictly later than any stamp handed out before.
    pub(crate) fn stamp(&mut self) -> Timestamp {
        let now = Timestamp::now().as_millisecond();
        let ms = now.max(self.last_stamp_ms + 1);
        self.last_stamp_ms = ms;
        Timestamp::from_millisecond(ms).unwrap_or_else(|_| Timestamp::now())
    }

    /// A MongoDB-ObjectId-shaped id: seconds, 5 random bytes, a 3-byte counter.
    pub(crate) fn object_id(&mut self, at: Timestamp) -> String {
        if self.id_counter == 0 {
            self.id_counter = rand::random::<u32>() & 0x00ff_ffff | 1;
        }
        self.id_counter = (self.id_counter + 1) & 0x00ff_ffff;
        let random = rand::random::<u64>() & 0xff_ffff_ffff;
        let secs = at.as_second() as u32;
        format!("{secs:08x}{random:010x}{:06x}", self.id_counter)
    }

    fn tag_mut(&mut self, location_id: &str, id: &str) -> Result<&mut Tag, SimError> {
        self.tags
            .iter_mut()
            .find(|t| t.id == id && t.location_id == location_id)
            .ok_or_else(|| SimError::TagNotFound { location_id: location_id.to_owned(), id: id.to_owned() })
    }
}

/// Shared, cloneable simulator state: clones see the same tokens, tags and request log.
#[derive(Debug, Clone, Default)]
pub struct Sim {
    inner: Arc<Mutex<State>>,
    /// TCP connections accepted, to check that clients reuse connections.
    connections: Arc<std::sync::atomic::AtomicU64>,
    /// Request bodies `/_sim/echo-body` received, to check that a refused body was never sent.
    bodies: Arc<std::sync::atomic::AtomicU64>,
}

impl Sim {
    /// An empty simulator: no tokens, no tags, no accounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many request bodies reached `/_sim/echo-body`.
    pub fn bodies_received(&self) -> u64 {
        self.bodies.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts one body that reached `/_sim/echo-body`.
    pub(crate) fn body_received(&self) {
        self.bodies.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How many TCP connections the server has accepted.
    pub fn connections_accepted(&self) -> u64 {
        self.connections.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn count_connection(&self) {
        self.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers (or replaces) a valid bearer token for one location with these scopes.
    pub fn register_token<I>(&self, token: &str, location_id: &str, scopes: I)
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        let grant = Grant { location_id: location_id.to_owned(), company_id: None, scopes, expires_at: None };
        self.lock().tokens.insert(token.to_owned(), grant);
    }

    /// Registers (or replaces) a valid agency (company) bearer token with these scopes.
    pub fn register_company_token<I>(&self, token: &str, company_id: &str, scopes: I)
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let scopes = scopes.into_iter().map(Into::into).collect();
        let grant =
            Grant { location_id: String::new(), company_id: Some(company_id.to_owned()), scopes, expires_at: None };
        self.lock().tokens.insert(token.to_owned(), grant);
    }

    /// Creates a tag in a location and returns it.
    pub fn create_tag(&self, location_id: &str, name: &str) -> Tag {
        let mut state = self.lock();
        let now = state.stamp();
        let tag = Tag {
            id: state.object_id(now),
            tag: name.to_owned(),
            location_id: location_id.to_owned(),
            created_by: SIM_USER_ID.to_owned(),
            deleted: false,
            created_at: now,
            updated_at: now,
        };
        state.tags.push(tag.clone());
        tag
    }

    /// Renames a tag and bumps its `updatedAt`.
    pub fn rename_tag(&self, location_id: &str, id: &str, name: &str) -> Result<Tag, SimError> {
        let mut state = self.lock();
        let now = state.stamp();
        let tag = state.tag_mut(location_id, id)?;
        tag.tag = name.to_owned();
        tag.updated_at = now;
        Ok(tag.clone())
    }

    /// Marks a tag deleted and bumps its `updatedAt`; it stays reachable through `tags/details`.
    pub fn delete_tag(&self, location_id: &str, id: &str) -> Result<Tag, SimError> {
        let mut state = self.lock();
        let now = state.stamp();
        let tag = state.tag_mut(location_id, id)?;
        tag.deleted = true;
        tag.updated_at = now;
        Ok(tag.clone())
    }

    /// Every tag of a location, deleted ones included, in creation order.
    pub fn tags(&self, location_id: &str) -> Vec<Tag> {
        let state = self.lock();
        let of_location = state.tags.iter().filter(|t| t.location_id == location_id);
        of_location.cloned().collect()
    }

    /// Connects an account to a location, generating the ids GHL would.
    pub fn add_account(&self, location_id: &str, new: NewAccount) -> Account {
        let mut state = self.lock();
        let now = state.stamp();
        let oauth_id = state.object_id(now);
        let profile_id = match new.profile_id {
            Some(id) => id,
            None => state.object_id(now),
        };
        let kind = new.kind.unwrap_or_else(|| match new.platform.as_str() {
            "google" => "location".to_owned(),
            _ => "page".to_owned(),
        });
        let account = Account {
            id: format!("{oauth_id}_{location_id}_{profile_id}"),
            oauth_id,
            profile_id,
            name: new.name,
            platform: new.platform,
            kind,
            expire: now + SignedDuration::from_hours(24 * 365),
            is_expired: false,
            meta: serde_json::json!({}),
        };
        let accounts = state.accounts.entry(location_id.to_owned()).or_default();
        accounts.push(account.clone());
        account
    }

    /// The accounts connected to a location, in the order they were added.
    pub fn accounts(&self, location_id: &str) -> Vec<Account> {
        let state = self.lock();
        state.accounts.get(location_id).cloned().unwrap_or_default()
    }

    /// The `results` object the statistics endpoint answers for this location.
    pub fn set_statistics(&self, location_id: &str, results: serde_json::Value) {
        self.lock().statistics.insert(location_id.to_owned(), results);
    }

    /// Every API request received so far (admin requests are not recorded), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    /// The statistics set for a location, if any.
    pub(crate) fn statistics(&self, location_id: &str) -> Option<serde_json::Value> {
        self.lock().statistics.get(location_id).cloned()
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        self.lock().requests.push(request);
    }

    /// The grant of a token that is known and not expired.
    pub(crate) fn grant(&self, token: &str) -> Option<Grant> {
        let grant = self.lock().tokens.get(token).cloned()?;
        grant.expires_at.is_none_or(|at| Instant::now() < at).then_some(grant)
    }
}
