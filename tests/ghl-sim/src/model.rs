//! The records the simulator keeps, serialised exactly as GHL sends them.
//!
//! Field names follow the spec's `SocialMediaTagSchema` and `GetAccountSchema`, so the
//! same structs serve the API responses, the admin routes and tests that deserialise them.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A social planner tag (`SocialMediaTagSchema`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// 24 lowercase hex characters, like a MongoDB ObjectId.
    #[serde(rename = "_id")]
    pub id: String,
    /// The tag's name.
    pub tag: String,
    /// The location (sub-account) the tag belongs to.
    pub location_id: String,
    /// The user who created it: always the simulator's fixed user id.
    pub created_by: String,
    /// Deleted tags stay visible through `tags/details` but leave the list.
    pub deleted: bool,
    /// When the tag was created, sent with millisecond precision.
    #[serde(with = "millis")]
    pub created_at: Timestamp,
    /// Bumped by every rename and delete; never equal to an earlier stamp.
    #[serde(with = "millis")]
    pub updated_at: Timestamp,
}

/// A connected social account (`GetAccountSchema`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// `{oauthId}_{locationId}_{profileId}`, the shape of GHL's account ids.
    pub id: String,
    /// ObjectId-shaped id of the OAuth link behind the account; the first part of `id`.
    pub oauth_id: String,
    /// What the statistics endpoint takes in `profileIds`.
    pub profile_id: String,
    /// The display name of the account on its platform.
    pub name: String,
    /// A string such as `google` or `facebook` (the spec sometimes says `object`; the API sends strings).
    pub platform: String,
    /// A string such as `page`, `profile` or `location`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When the platform's authorisation runs out: a year after the account was added.
    #[serde(with = "millis")]
    pub expire: Timestamp,
    /// Whether the platform's authorisation has run out; the simulator always says `false`.
    pub is_expired: bool,
    /// Platform-specific extras; `{}` for simulated accounts.
    pub meta: serde_json::Value,
}

/// What the admin route (or a test) gives to connect an account; the rest is generated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewAccount {
    /// The display name the account gets.
    pub name: String,
    /// The platform, e.g. `google` or `facebook`; it also picks the default `kind`.
    pub platform: String,
    /// Generated (24 hex characters) when absent.
    #[serde(default)]
    pub profile_id: Option<String>,
    /// Defaults to `location` for google and `page` otherwise.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// One API request as it reached the simulator, with the status it was answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// The HTTP method, uppercase.
    pub method: String,
    /// The URL path, without the query string.
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: Option<String>,
    /// Lowercase header names; repeated headers are joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The HTTP status the simulator answered with.
    pub status: u16,
    /// When the request arrived, in unix milliseconds (before any fault delay or rate limit).
    #[serde(default)]
    pub at_ms: i64,
}

/// RFC 3339 UTC with exactly three fractional digits, as GHL's MongoDB-backed API sends them.
pub(crate) mod millis {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn format(ts: &Timestamp) -> String {
        format!("{ts:.3}")
    }

    pub(crate) fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(ts))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
