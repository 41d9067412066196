//! What the GHL social planner API sends and what the connector emits. The
//! output schemas in the manifest are generated from these types, so a field
//! added here is a contract change for every builder's workflow.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A figure exactly as the API sent it (an integer stays an integer).
pub(crate) type Num = serde_json::Number;

/// A social planner tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Tag {
    /// The tag's id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The tag's name.
    pub tag: String,
    /// The location (sub-account) the tag belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<String>,
    /// Id of the user who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Whether the tag was deleted.
    #[serde(default)]
    pub deleted: bool,
    /// When it was created (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// When it last changed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// `results` of the tag list and tag details answers.
#[derive(Debug, Deserialize)]
pub(crate) struct TagsResults {
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub count: Option<Num>,
}

/// A page or selection of tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct TagList {
    /// The tags.
    pub tags: Vec<Tag>,
    /// How many tags match in all (not only on this page).
    pub count: u64,
}

/// A social media account connected to the location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Account {
    /// The account's id in the social planner.
    pub id: String,
    /// Id of the OAuth connection behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_id: Option<String>,
    /// The id statistics are asked for with (`profileIds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `google`, `facebook`, `instagram`, `linkedin`, `twitter`, `tiktok`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Kind of account on that platform (`page`, `profile`, `location`, …).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// When the platform's authorization expires (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire: Option<String>,
    /// Whether it has expired and needs reconnecting in GHL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_expired: Option<bool>,
    /// Platform-specific details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Value>,
}

/// A named group of accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub account_ids: Vec<String>,
}

/// The location's connected accounts and groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct AccountList {
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub groups: Vec<Group>,
}

/// Social platforms statistics can be filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Platform {
    Facebook,
    Instagram,
    Linkedin,
    Google,
    Pinterest,
    Youtube,
    Tiktok,
}

impl Platform {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Platform::Facebook => "facebook",
            Platform::Instagram => "instagram",
            Platform::Linkedin => "linkedin",
            Platform::Google => "google",
            Platform::Pinterest => "pinterest",
            Platform::Youtube => "youtube",
            Platform::Tiktok => "tiktok",
        }
    }
}

/// Totals over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Totals {
    pub posts: Option<Num>,
    pub likes: Option<Num>,
    pub followers: Option<Num>,
    pub impressions: Option<Num>,
    pub comments: Option<Num>,
}

/// Daily series over the period, oldest day first (see `dayRange`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct PostPerformance {
    /// Posts per day, per platform.
    #[serde(default)]
    pub posts: BTreeMap<String, Vec<Num>>,
    #[serde(default)]
    pub impressions: Vec<Num>,
    #[serde(default)]
    pub likes: Vec<Num>,
    #[serde(default)]
    pub comments: Vec<Num>,
}

/// A value and its change against the previous period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct ValueChange {
    pub value: Option<Num>,
    pub change: Option<Num>,
}

/// A metric's total, its change, and its value per platform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Breakdown {
    pub total: Option<Num>,
    pub total_change: Option<Num>,
    #[serde(default)]
    pub platforms: BTreeMap<String, ValueChange>,
}

/// Engagement on one platform.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Engagement {
    pub likes: Option<Num>,
    pub comments: Option<Num>,
    pub shares: Option<Num>,
    pub change: Option<Num>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Breakdowns {
    #[serde(default)]
    pub posts: Breakdown,
    #[serde(default)]
    pub impressions: Breakdown,
    #[serde(default)]
    pub reach: Breakdown,
    /// Engagement per platform.
    #[serde(default)]
    pub engagement: BTreeMap<String, Engagement>,
}

/// A platform's total and daily series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Series {
    pub total: Option<Num>,
    #[serde(default)]
    pub series: Vec<Num>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct PlatformTotals {
    #[serde(default)]
    pub impressions: BTreeMap<String, Series>,
    #[serde(default)]
    pub followers: BTreeMap<String, Series>,
    #[serde(default)]
    pub likes: BTreeMap<String, Series>,
}

/// A count and its share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Share {
    pub total: Option<Num>,
    pub percentage: Option<Num>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct GenderTotals {
    #[serde(default)]
    pub male: Share,
    #[serde(default)]
    pub female: Share,
    #[serde(default)]
    pub unknown: Share,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Gender {
    #[serde(default)]
    pub totals: GenderTotals,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Age {
    /// Audience per age band (`13-17`, `18-24`, …, `65+`).
    #[serde(default)]
    pub totals: BTreeMap<String, Num>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct Demographics {
    #[serde(default)]
    pub gender: Gender,
    #[serde(default)]
    pub age: Age,
}

/// Statistics of the last 7 days, compared with the 7 before.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Statistics {
    /// Day names of the period, oldest first; the daily series follow this order.
    #[serde(default)]
    pub day_range: Vec<String>,
    #[serde(default)]
    pub totals: Totals,
    #[serde(default)]
    pub post_performance: PostPerformance,
    #[serde(default)]
    pub breakdowns: Breakdowns,
    #[serde(default)]
    pub platform_totals: PlatformTotals,
    #[serde(default)]
    pub demographics: Demographics,
}

/// The statistics answer; it has no success/statusCode envelope.
#[derive(Debug, Deserialize)]
pub(crate) struct StatisticsAnswer {
    pub results: Option<Statistics>,
}

/// Statistics for some accounts, as of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatisticsSnapshot {
    /// The location the accounts belong to.
    pub location_id: String,
    /// The accounts' profile ids the statistics cover.
    pub profile_ids: Vec<String>,
    /// Platforms the statistics were limited to; empty means all.
    pub platforms: Vec<Platform>,
    /// The last day of the 7-day period (UTC date, `YYYY-MM-DD`).
    pub period_end: String,
    /// Length of the period in days.
    pub period_days: u32,
    /// The figures.
    pub statistics: Statistics,
}
