//! The connector's manifest, built from the same types its code uses.

use crate::api::{SCOPE_ACCOUNTS, SCOPE_STATISTICS, SCOPE_TAGS};

/// Reading the location's posts.
const SCOPE_POSTS: &str = "socialplanner/post.readonly";
/// Creating and changing posts.
const SCOPE_POSTS_WRITE: &str = "socialplanner/post.write";
use crate::input::{FindTagsInput, ListAccountsInput, StatisticsInput, TagDetailsInput, TagTriggerInput};
use crate::model::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use weft_manifest::{
    Action, ActionEffect, AuthMethod, ConnectionTest, ConnectorManifest, DynamicField, OperationSource, PollSettings,
    RateLimit, StartPoint, TokenKind, Trigger, schema_of,
};

/// The connector's id, declared in its manifest; the host registers the connector under it.
pub const ID: &str = "ghl-social-planner";
/// Base URL of the GoHighLevel API: its OAuth token endpoint and the only host the connector may call.
pub const GHL_API: &str = "https://services.leadconnectorhq.com";

fn sample<T: serde::Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn sample_tag() -> Tag {
    Tag {
        id: "65fbdcfecc884f07e645ea8b".into(),
        tag: "Summer launch".into(),
        location_id: Some("ve9EPM428h8vShlRW1KT".into()),
        created_by: Some("Lx1EI6YIgQYMQi0ytFXv".into()),
        deleted: false,
        created_at: Some("2026-06-02T09:30:00.000Z".into()),
        updated_at: Some("2026-06-03T14:05:12.000Z".into()),
    }
}

/// `new-post` and `post-published` differ only in which posts they report.
fn post_trigger(key: &str, label: &str, help: &str) -> Trigger {
    Trigger {
        key: key.into(),
        label: label.into(),
        help: help.into(),
        input_schema: schema_of::<crate::published::PostTriggerInput>(),
        output_schema: published_schema(),
        sample: sample_published(),
        scopes: vec![SCOPE_POSTS.into(), SCOPE_TAGS.into()],
        poll: tag_poll(),
        start_points: vec![StartPoint::Now],
        dynamic_options: Vec::new(),
        token_kinds: vec![TokenKind::Location],
        source: Some(source("get-posts", "POST", "/social-media-posting/{locationId}/posts/list")),
        instant: None,
    }
}

/// A `new-post` or `post-published` event: the post as the posts list gives it, its tags by id and name, and the names alone.
fn published_schema() -> Value {
    let post = generated()
        .actions
        .into_iter()
        .find(|a| a.key == "list-posts")
        .and_then(|a| a.output_schema.pointer("/properties/results/properties/posts/items").cloned())
        .unwrap_or_else(|| json!({"type": "object"}));
    json!({
        "type": "object",
        "required": ["post", "tags", "tagNames"],
        "properties": {
            "post": post,
            "tags": schema_of::<Vec<crate::published::TagName>>(),
            "tagNames": {"type": "array", "items": {"type": "string"}},
        },
    })
}

fn sample_published() -> Value {
    json!({
        "post": {
            "_id": "6659a2f1c4b5e1a2b3c4d5e6",
            "locationId": "ve9EPM428h8vShlRW1KT",
            "status": "published",
            "type": "post",
            "summary": "Summer launch: 20% off this week",
            "accountIds": ["64a1b2c3d4e5f6a7b8c9d0e1_ve9EPM428h8vShlRW1KT_1234567890_page"],
            "tags": ["65fbdcfecc884f07e645ea8b"],
            "publishedAt": "2026-06-02T10:00:00.000Z",
        },
        "tags": [{"id": "65fbdcfecc884f07e645ea8b", "name": "Summer launch"}],
        "tagNames": ["Summer launch"],
    })
}

fn sample_created_post() -> Value {
    let mut post = sample_published()["post"].clone();
    post["status"] = json!("scheduled");
    post["displayDate"] = json!("2026-06-09T08:00:00Z");
    if let Some(p) = post.as_object_mut() {
        p.remove("publishedAt");
    }
    json!({
        "post": post,
        "scheduledFor": "2026-06-09T08:00:00Z",
        "scheduledLocal": "2026-06-09T10:00:00+02:00",
    })
}

/// What `best-posting-times` answers for the sample snapshot, on a fixed day.
fn sample_best_times() -> Option<crate::best_time::BestTimes> {
    let now = "2026-06-08T12:00:00Z".parse().ok()?;
    crate::best_time::rank(&[sample_snapshot()], &[], &jiff::tz::TimeZone::UTC, crate::best_time::DEFAULT_HOUR, now)
        .ok()
}

fn sample_snapshot() -> StatisticsSnapshot {
    let week = |v: [u32; 7]| v.iter().map(|n| Num::from(*n)).collect::<Vec<_>>();
    StatisticsSnapshot {
        location_id: "ve9EPM428h8vShlRW1KT".into(),
        profile_ids: vec!["67a5a9aa776c837de4aa5b12".into()],
        platforms: vec![Platform::Facebook],
        period_end: "2026-06-07".into(),
        period_days: 7,
        statistics: Statistics {
            day_range: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map(String::from).to_vec(),
            totals: Totals {
                posts: Some(9.into()),
                likes: Some(214.into()),
                followers: Some(1830.into()),
                impressions: Some(5120.into()),
                comments: Some(31.into()),
            },
            post_performance: PostPerformance {
                posts: BTreeMap::from([("facebook".into(), week([1, 2, 1, 0, 3, 1, 1]))]),
                impressions: week([600, 820, 700, 410, 1210, 780, 600]),
                likes: week([20, 41, 30, 12, 61, 30, 20]),
                comments: week([3, 6, 4, 1, 10, 4, 3]),
            },
            ..Statistics::default()
        },
    }
}

fn sample_account() -> Account {
    Account {
        id: "aF3KhyL8JIuBwzK3m7Ly_Lx1EI6YIgQYMQi0ytFXv_12554616564525983496".into(),
        oauth_id: Some("aF3KhyL8JIuBwzK3m7Ly".into()),
        profile_id: Some("67a5a9aa776c837de4aa5b12".into()),
        name: Some("Acme Coffee".into()),
        platform: Some("facebook".into()),
        kind: Some("page".into()),
        expire: Some("2027-03-11T19:29:59.785Z".into()),
        is_expired: Some(false),
        meta: None,
    }
}

/// The hand-written operations' scopes, then those the generated ones add.
fn oauth_scopes() -> Vec<String> {
    let mut scopes: Vec<String> = vec![SCOPE_TAGS.into(), SCOPE_STATISTICS.into(), SCOPE_ACCOUNTS.into()];
    let generated = generated();
    let mut added: Vec<String> = generated
        .actions
        .into_iter()
        .flat_map(|a| a.scopes)
        .chain(generated.triggers.into_iter().flat_map(|t| t.scopes))
        .chain(dropdown_scopes())
        .filter(|s| !scopes.contains(s))
        .collect();
    added.sort();
    added.dedup();
    scopes.extend(added);
    scopes
}

/// Scopes the generated dropdowns' list calls need (e.g. `users.readonly`
/// for the `userId` choices).
fn dropdown_scopes() -> Vec<String> {
    let Ok(table) = crate::GENERATED.table() else { return Vec::new() };
    table.dropdowns.iter().filter_map(|d| table.operation(&d.operation)).flat_map(|op| op.scopes.clone()).collect()
}

/// The operation of the official social planner spec a trigger or action uses.
fn source(operation_id: &str, method: &str, path: &str) -> OperationSource {
    OperationSource {
        spec: "social-media-posting.json".into(),
        operation_id: operation_id.into(),
        method: method.into(),
        path: path.into(),
    }
}

fn tag_poll() -> PollSettings {
    PollSettings { default_interval_seconds: 300, min_interval_seconds: 60 }
}

fn profile_dropdown() -> Vec<DynamicField> {
    vec![DynamicField {
        field: "profileIds".into(),
        help: "The social accounts connected to this location in GHL's Social Planner.".into(),
    }]
}

/// The manifest this connector declares.
pub fn manifest() -> ConnectorManifest {
    let tag_scopes = vec![SCOPE_TAGS.to_string()];
    let stats_scopes = vec![SCOPE_STATISTICS.to_string()];
    let mut manifest = ConnectorManifest {
        id: ID.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        name: "GoHighLevel Social Planner".into(),
        description: "Watch a GoHighLevel location's social planner tags, posts and account statistics, look them up, \
                      and manage posts, categories and CSV imports."
            .into(),
        auth: vec![
            AuthMethod::Oauth2 {
                authorize_url: "https://marketplace.gohighlevel.com/v2/oauth/chooselocation".into(),
                token_url: format!("{GHL_API}/oauth/token"),
                scopes: oauth_scopes(),
                token_params: BTreeMap::from([("user_type".into(), "Location".into())]),
                rotating_refresh_tokens: true,
                scope_error_marker: Some("not authorized for this scope".into()),
            },
            AuthMethod::BearerToken {
                label: "Private integration token".into(),
                help: "In GHL open Settings → Private Integrations, create a token for the sub-account with the \
                       social planner tag, statistics and account read scopes, and paste it here."
                    .into(),
            },
        ],
        allowed_hosts: vec![GHL_API.into()],
        rate_limit: Some(RateLimit { requests: 100, per_seconds: 10, daily: Some(200_000), per: "locationId".into() }),
        secrets: Vec::new(),
        connection_test: Some(ConnectionTest { action: "find-tags".into(), input: serde_json::json!({ "limit": 1 }) }),
        triggers: vec![
            Trigger {
                key: "new-tag".into(),
                label: "New tag".into(),
                help: "Fires once for each social planner tag created in the location. Deleted tags are skipped. \
                       Each event is the tag: its id, name and when it was created."
                    .into(),
                input_schema: schema_of::<TagTriggerInput>(),
                output_schema: schema_of::<Tag>(),
                sample: sample(sample_tag()),
                scopes: tag_scopes.clone(),
                poll: tag_poll(),
                start_points: vec![StartPoint::Now, StartPoint::All, StartPoint::Since],
                dynamic_options: Vec::new(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-tags-location-id", "GET", "/social-media-posting/{locationId}/tags")),
                instant: None,
            },
            Trigger {
                key: "tag-details".into(),
                label: "New or updated tag".into(),
                help: "Fires when a tag is created or renamed, with the tag's full details. A tag changed twice \
                       between polls fires once, with its latest details."
                    .into(),
                input_schema: schema_of::<TagTriggerInput>(),
                output_schema: schema_of::<Tag>(),
                sample: sample(sample_tag()),
                scopes: tag_scopes.clone(),
                poll: tag_poll(),
                start_points: vec![StartPoint::Now, StartPoint::All, StartPoint::Since],
                dynamic_options: Vec::new(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-tags-location-id", "GET", "/social-media-posting/{locationId}/tags")),
                instant: None,
            },
            Trigger {
                key: "post-statistics".into(),
                label: "Daily post statistics".into(),
                help: "Once a day, a snapshot of the chosen accounts' last 7 days: posts, likes, comments, \
                       impressions, followers, reach and audience, with the change against the 7 days before. GHL \
                       reports statistics per account and per day only: no figures for a single post exist, so there \
                       is no per-post form. Keep the snapshots to rank posting days over weeks (Find the best days to \
                       post)."
                    .into(),
                input_schema: schema_of::<StatisticsInput>(),
                output_schema: schema_of::<StatisticsSnapshot>(),
                sample: sample(sample_snapshot()),
                scopes: stats_scopes.clone(),
                poll: PollSettings { default_interval_seconds: 900, min_interval_seconds: 300 },
                start_points: vec![StartPoint::Now, StartPoint::All],
                dynamic_options: profile_dropdown(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-social-media-statistics", "POST", "/social-media-posting/statistics")),
                instant: None,
            },
            post_trigger(
                "new-post",
                "New post",
                "Fires once for each post created in the location, draft, scheduled or published, with the post \
                 and its tags resolved to names (`tagNames`). Optionally only one kind of post. Posts dated more \
                 than 30 days back or a year ahead are not read.",
            ),
            post_trigger(
                "post-published",
                "Post published",
                "Fires once for each post of the location that goes live (its status becomes published), with the \
                 post and its tags resolved to names (`tagNames`), ready to map. Posts published more than 30 days \
                 before the subscription started are not reported.",
            ),
        ],
        actions: vec![
            Action {
                key: "find-tags".into(),
                label: "Find tags".into(),
                help: "Lists the location's social planner tags, newest first, optionally only those whose name \
                       contains some text."
                    .into(),
                input_schema: schema_of::<FindTagsInput>(),
                output_schema: schema_of::<TagList>(),
                sample: sample(TagList { tags: vec![sample_tag()], count: 1 }),
                scopes: tag_scopes.clone(),
                dynamic_options: Vec::new(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-tags-location-id", "GET", "/social-media-posting/{locationId}/tags")),
                effect: None,
            },
            Action {
                key: "get-tag-details".into(),
                label: "Get tag details".into(),
                help: "Looks up tags by their ids. Unknown ids are left out of the answer.".into(),
                input_schema: schema_of::<TagDetailsInput>(),
                output_schema: schema_of::<TagList>(),
                sample: sample(TagList { tags: vec![sample_tag()], count: 1 }),
                scopes: tag_scopes,
                dynamic_options: Vec::new(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-tags-by-ids", "POST", "/social-media-posting/{locationId}/tags/details")),
                effect: Some(ActionEffect::Read),
            },
            Action {
                key: "get-statistics".into(),
                label: "Get post statistics".into(),
                help: "The chosen accounts' statistics for the last 7 days, compared with the 7 days before.".into(),
                input_schema: schema_of::<StatisticsInput>(),
                output_schema: schema_of::<StatisticsSnapshot>(),
                sample: sample(sample_snapshot()),
                scopes: stats_scopes.clone(),
                dynamic_options: profile_dropdown(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-social-media-statistics", "POST", "/social-media-posting/statistics")),
                effect: Some(ActionEffect::Read),
            },
            Action {
                key: "create-post".into(),
                label: "Create a post".into(),
                help: "Posts text, and images or videos by URL, to the chosen accounts: `now`, at the `best` time \
                       (the next best day from those accounts' statistics, as Find the best days to post ranks them, at \
                       your hour), or at a local date and time in your time zone. A local time the clocks skip is \
                       refused, so is one in the past. For every field GHL takes, use Create post (all fields)."
                    .into(),
                input_schema: schema_of::<crate::posting::CreatePostInput>(),
                output_schema: schema_of::<crate::posting::CreatedPost>(),
                sample: sample_created_post(),
                scopes: vec![SCOPE_POSTS_WRITE.into(), SCOPE_ACCOUNTS.into(), SCOPE_STATISTICS.into(), SCOPE_TAGS.into()],
                dynamic_options: vec![
                    DynamicField {
                        field: "accountIds".into(),
                        help: "The social accounts connected to this location in GHL's Social Planner.".into(),
                    },
                    DynamicField { field: "tagIds".into(), help: "The location's social planner tags.".into() },
                ],
                token_kinds: vec![TokenKind::Location],
                source: Some(source("create-post", "POST", "/social-media-posting/{locationId}/posts")),
                effect: None,
            },
            Action {
                key: "best-posting-times".into(),
                label: "Find the best days to post".into(),
                help: "Ranks weekdays by likes and comments per post, from the chosen accounts' daily statistics of the \
                       last 7 days plus any earlier snapshots you pass (events of the Post statistics trigger), and gives \
                       the next slot on the best day at your hour in your time zone, ready for a post's schedule. The \
                       statistics have no hour of day, so hours are not ranked. With fewer than 5 posts, or posts on \
                       fewer than 2 weekdays, it says so and falls back to Tuesday, Wednesday and Thursday mornings."
                    .into(),
                input_schema: schema_of::<crate::best_time::BestTimesInput>(),
                output_schema: schema_of::<crate::best_time::BestTimes>(),
                sample: sample(sample_best_times()),
                scopes: stats_scopes,
                dynamic_options: profile_dropdown(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-social-media-statistics", "POST", "/social-media-posting/statistics")),
                effect: Some(ActionEffect::Read),
            },
            Action {
                key: "list-accounts".into(),
                label: "List connected accounts".into(),
                help: "The social media accounts connected to the location, with the profile ids statistics need."
                    .into(),
                input_schema: schema_of::<ListAccountsInput>(),
                output_schema: schema_of::<AccountList>(),
                sample: sample(AccountList { accounts: vec![sample_account()], groups: Vec::new() }),
                scopes: vec![SCOPE_ACCOUNTS.into()],
                dynamic_options: Vec::new(),
                token_kinds: vec![TokenKind::Location],
                source: Some(source("get-account", "GET", "/social-media-posting/{locationId}/accounts")),
                effect: None,
            },
        ],
    };
    let generated = generated();
    manifest.triggers.extend(generated.triggers);
    manifest.actions.extend(generated.actions);
    manifest
}

/// The generated operations' triggers and actions ([`crate::GENERATED`]).
#[derive(Default, serde::Deserialize)]
struct GeneratedPart {
    #[serde(default)]
    triggers: Vec<Trigger>,
    #[serde(default)]
    actions: Vec<Action>,
}

/// Reads the generated part of the manifest; empty when it does not read,
/// which the test below rules out.
fn generated() -> GeneratedPart {
    serde_json::from_str(crate::GENERATED.manifest_json()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_part_reads_and_does_not_clash_with_hand_written_keys() {
        let part = generated();
        let table = crate::GENERATED.table().expect("table");
        let operations = table.operations.iter().filter(|o| !o.key.starts_with("options-")).count();
        assert!(!part.actions.is_empty() && part.actions.len() == operations);
        for key in
            ["find-tags", "get-tag-details", "get-statistics", "list-accounts", "create-post", "best-posting-times"]
        {
            assert!(!crate::GENERATED.has_action(key), "{key} is hand-written");
        }
        for key in ["new-tag", "tag-details", "post-statistics", "post-published", "new-post"] {
            assert!(!crate::GENERATED.has_trigger(key), "{key} is hand-written");
        }
        let generated = &crate::GENERATED;
        assert!(
            generated.has_action("create-post-advanced")
                && generated.has_action("list-posts")
                && generated.has_trigger("new-category")
        );
    }
}
