//! What builders fill in. `deny_unknown_fields` makes the generated schemas
//! refuse misspelt fields instead of ignoring them.

use crate::model::Platform;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Input of the `new-tag` and `tag-details` triggers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TagTriggerInput {
    /// Only tags whose name contains this text (case-insensitive). Leave empty for every tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_contains: Option<String>,
}

/// Input of the `find-tags` action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct FindTagsInput {
    /// Text the tag name contains. Leave empty to list every tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_text: Option<String>,
    /// How many tags to return (1–100, default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// How many matching tags to skip, for paging (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip: Option<u32>,
}

/// Input of the `get-tag-details` action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct TagDetailsInput {
    /// Ids of the tags (1–100), e.g. from the `new-tag` trigger's `_id`.
    #[schemars(length(min = 1, max = 100))]
    #[schemars(title = "Tags")]
    pub tag_ids: Vec<String>,
}

/// Input of the `post-statistics` trigger and the `get-statistics` action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StatisticsInput {
    /// The connected accounts to report on (their profile ids; pick from the list).
    #[schemars(length(min = 1, max = 100))]
    #[schemars(title = "Accounts")]
    pub profile_ids: Vec<String>,
    /// Only these platforms. Leave empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<Platform>,
}

/// Input of the `list-accounts` action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ListAccountsInput {
    /// Only accounts on this platform (e.g. `facebook`). Leave empty for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}
