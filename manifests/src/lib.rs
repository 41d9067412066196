//! The connector manifest format.
//!
//! A manifest tells a no-code builder what a connector offers (triggers,
//! actions, their labels, help, schemas and samples) and tells the host what
//! the connector may do (hosts it may call, auth, rate limits, secrets).
//! The types here are the single source of truth: connectors build their
//! manifest from them, the host parses manifests into them, and the checked-in
//! `connector-manifest.schema.json` is generated from them.

mod check;
mod schema;

pub use check::{ManifestProblem, check};
pub use schema::{canonical_json, manifest_json_schema, schema_of};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything a connector declares about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectorManifest {
    /// Stable identifier, lowercase kebab-case (e.g. `ghl-social-planner`).
    pub id: String,
    /// Semantic version of the connector.
    pub version: String,
    /// Name shown to builders.
    pub name: String,
    /// One or two sentences on what the connector is for.
    pub description: String,
    /// Ways a builder can connect an account; the first is preferred.
    pub auth: Vec<AuthMethod>,
    /// Origins (`scheme://host[:port]`) the connector may call. The host
    /// refuses every other destination.
    pub allowed_hosts: Vec<String>,
    /// The API's published request budget, enforced by the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// Non-credential secrets the connector may read through `secrets.get`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretDecl>,
    /// A cheap action the host runs to check a connection works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_test: Option<ConnectionTest>,
    /// Polling triggers: "when this happens".
    pub triggers: Vec<Trigger>,
    /// Actions: "do this".
    pub actions: Vec<Action>,
}

/// How a builder connects an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AuthMethod {
    /// OAuth 2.0 authorization-code flow.
    #[serde(rename_all = "camelCase")]
    Oauth2 {
        /// Where the user is sent to grant access.
        authorize_url: String,
        /// Where codes and refresh tokens are exchanged for access tokens.
        token_url: String,
        /// Scopes requested, joined with spaces in the authorize URL.
        scopes: Vec<String>,
        /// Extra form fields sent to the token endpoint (e.g. GHL's `user_type`).
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        token_params: std::collections::BTreeMap<String, String>,
        /// Whether each refresh returns a new refresh token and burns the old
        /// one; the host then never sends a refresh token twice.
        #[serde(default)]
        rotating_refresh_tokens: bool,
        /// Text in a 401 answer that means a missing scope rather than an
        /// expired token; such answers are not refreshed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope_error_marker: Option<String>,
    },
    /// A static bearer token the user pastes (e.g. a GHL private integration token).
    #[serde(rename_all = "camelCase")]
    BearerToken {
        /// What the token is called in the service's own UI.
        label: String,
        /// Where to find or create the token.
        help: String,
    },
}

/// How to check that a connection works: one cheap action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionTest {
    /// The action's key.
    pub action: String,
    /// Its input.
    pub input: Value,
}

/// The API's request budget, shared by every call on the same account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimit {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length in seconds.
    pub per_seconds: u32,
    /// Requests allowed per day, if the API has a daily cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily: Option<u32>,
    /// Connection fact the budget is counted per (e.g. `locationId`).
    pub per: String,
}

/// A non-credential secret the operator sets for this connector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretDecl {
    /// Name the connector asks for.
    pub name: String,
    /// What it is for.
    pub help: String,
}

/// A polling trigger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Trigger {
    /// Stable identifier, kebab-case.
    pub key: String,
    /// Short label shown to builders.
    pub label: String,
    /// Help text: what fires the trigger and what each event carries.
    pub help: String,
    /// JSON Schema (2020-12) of the subscription's input.
    pub input_schema: Value,
    /// JSON Schema (2020-12) of each event's data.
    pub output_schema: Value,
    /// A realistic event, valid against `outputSchema`, for mapping fields
    /// before a real event exists.
    pub sample: Value,
    /// Scopes the connection needs for this trigger.
    pub scopes: Vec<String>,
    /// How often it may be polled.
    pub poll: PollSettings,
    /// Where a new subscription may start.
    pub start_points: Vec<StartPoint>,
    /// Input fields whose choices come from the connector's `options` export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamic_options: Vec<DynamicField>,
    /// The kinds of account token this trigger works with; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_kinds: Vec<TokenKind>,
    /// The API operation this trigger polls, when it was generated from an API description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<OperationSource>,
    /// When set, the trigger is instant: its events come from the app's
    /// webhooks of these types, turned into events by the connector's
    /// `instant.transform` (WIT 0.2.0), not from polls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instant: Option<InstantSettings>,
}

/// An instant trigger's webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InstantSettings {
    /// The webhook event types it accepts (GHL: `ContactTagUpdate`, `AppointmentCreate`, …).
    pub event_types: Vec<String>,
    /// The trigger can also be polled, every `poll` interval, to catch what a
    /// webhook that never arrived missed: its polled events carry the same
    /// ids as the webhooks' events, so each is delivered once. The host does
    /// so unless the subscription turns it off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconcile: bool,
}

impl Trigger {
    /// Whether its events come from webhooks rather than polls.
    pub fn is_instant(&self) -> bool {
        self.instant.is_some()
    }

    /// Whether it is instant and a reconciling poll can back its webhooks up.
    pub fn reconciles(&self) -> bool {
        self.instant.as_ref().is_some_and(|i| i.reconcile)
    }
}

/// Poll interval bounds, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PollSettings {
    /// Interval used when the builder does not choose one.
    pub default_interval_seconds: u32,
    /// The shortest interval allowed.
    pub min_interval_seconds: u32,
}

/// Where a new subscription starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StartPoint {
    /// Record what exists, emit only what comes after (the default).
    Now,
    /// Emit everything that exists, then what comes after.
    All,
    /// Emit what happened at or after a given time.
    Since,
}

/// An action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Action {
    /// Stable identifier, kebab-case.
    pub key: String,
    /// Short label shown to builders.
    pub label: String,
    /// Help text: what the action does and returns.
    pub help: String,
    /// JSON Schema (2020-12) of the input.
    pub input_schema: Value,
    /// JSON Schema (2020-12) of the output.
    pub output_schema: Value,
    /// A realistic output, valid against `outputSchema`.
    pub sample: Value,
    /// Scopes the connection needs for this action.
    pub scopes: Vec<String>,
    /// Input fields whose choices come from the connector's `options` export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dynamic_options: Vec<DynamicField>,
    /// The kinds of account token this action works with; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_kinds: Vec<TokenKind>,
    /// The API operation this action calls, when it was generated from an API description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<OperationSource>,
    /// What running the action does to the account; when absent, it follows
    /// from the source operation's method (see [`Action::effect`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<ActionEffect>,
}

/// What an action does to the account it runs against. Agents and builders
/// are told, so a read can run freely and a delete only when someone allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ActionEffect {
    /// Only reads: running it changes nothing.
    Read,
    /// Creates or changes something.
    Write,
    /// Deletes something.
    Delete,
}

impl Action {
    /// What the action does: as declared, else from its source operation's
    /// HTTP method (GET and HEAD read, DELETE deletes), else a write: an
    /// action nobody described is not assumed harmless.
    pub fn effect(&self) -> ActionEffect {
        if let Some(effect) = self.effect {
            return effect;
        }
        match self.source.as_ref().map(|s| s.method.to_ascii_uppercase()).as_deref() {
            Some("GET" | "HEAD") => ActionEffect::Read,
            Some("DELETE") => ActionEffect::Delete,
            _ => ActionEffect::Write,
        }
    }

    /// Whether running it twice with the same input leaves the account as
    /// running it once: reads, deletes, and PUTs by their HTTP meaning.
    pub fn is_idempotent(&self) -> bool {
        match self.effect() {
            ActionEffect::Read | ActionEffect::Delete => true,
            ActionEffect::Write => self.source.as_ref().is_some_and(|s| s.method.eq_ignore_ascii_case("PUT")),
        }
    }
}

/// The kind of account a token acts for. APIs such as GHL issue tokens for
/// one sub-account (location) or for the agency (company) above them, and
/// some operations accept only one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// A token for one sub-account (GHL: a Location token).
    Location,
    /// A token for the agency above the sub-accounts (GHL: a Company or Agency token).
    Company,
}

impl TokenKind {
    /// The kind's name as it appears in manifests and connection facts.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Location => "location",
            TokenKind::Company => "company",
        }
    }
}

/// The operation of an API description (e.g. an OpenAPI document) that a
/// generated trigger or action is built on, so a builder or maintainer can
/// trace it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OperationSource {
    /// The description's file name, e.g. `contacts.json`.
    pub spec: String,
    /// The operation's `operationId`.
    pub operation_id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, e.g. `/contacts/{contactId}`.
    pub path: String,
}

/// An input field with a dynamic dropdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DynamicField {
    /// The input property the choices fill (top-level property name).
    pub field: String,
    /// Where the choices come from, in the builder's words.
    pub help: String,
}

impl ConnectorManifest {
    /// The trigger with this key.
    pub fn trigger(&self, key: &str) -> Option<&Trigger> {
        self.triggers.iter().find(|t| t.key == key)
    }

    /// The action with this key.
    pub fn action(&self, key: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.key == key)
    }

    /// The OAuth 2.0 method, if the connector offers one.
    pub fn oauth2(&self) -> Option<&AuthMethod> {
        self.auth.iter().find(|a| matches!(a, AuthMethod::Oauth2 { .. }))
    }

    /// The token kinds trigger or action `key` accepts; empty means any.
    pub fn token_kinds(&self, key: &str) -> &[TokenKind] {
        match (self.action(key), self.trigger(key)) {
            (Some(a), _) => &a.token_kinds,
            (None, Some(t)) => &t.token_kinds,
            (None, None) => &[],
        }
    }

    /// The missing-scope marker of the OAuth method, if any.
    pub fn scope_error_marker(&self) -> Option<&str> {
        self.auth.iter().find_map(|a| match a {
            AuthMethod::Oauth2 { scope_error_marker, .. } => scope_error_marker.as_deref(),
            AuthMethod::BearerToken { .. } => None,
        })
    }
}
