//! The post triggers: `new-post` (each post created in the location) and
//! `post-published` (a post whose status became `published`), once per post,
//! with the post's tags resolved to names so a builder can map them without
//! a second step.
//!
//! GHL has no "created since" or "published since" filter, so the triggers
//! read the location's posts from [`LOOKBACK_DAYS`] days back to
//! [`AHEAD_DAYS`] ahead (scheduled posts) and remember which ones they have
//! emitted; the host dedupes the event ids (the post ids) again.

use crate::api;
use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};
use weft_sdk::CallContext;
use weft_sdk::Transport;
use weft_sdk::cursor::RecentIds;
use weft_sdk::{ConnectorError, Event, PollRequest, PollResponse};

/// How far back posts are read: a post published earlier is not news.
pub(crate) const LOOKBACK_DAYS: i64 = 30;
/// How far ahead: posts scheduled up to a year out are new posts too.
pub(crate) const AHEAD_DAYS: i64 = 366;
/// Pages of 20 posts read per poll at most.
pub(crate) const MAX_PAGES: u32 = 25;
/// Published post ids the cursor remembers (the oldest are forgotten first).
pub(crate) const REMEMBERED: usize = 5_000;

/// Input of `new-post` and `post-published`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct PostTriggerInput {
    /// Only posts of this kind (GHL's post list filter, e.g. `post`, `story`, `reel`). Leave empty for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
}

/// Which posts a trigger reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PostEvent {
    /// Every post, once, when it first appears.
    Created,
    /// A post once its status is `published`.
    Published,
}

/// A tag of the post, by id and name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub(crate) struct TagName {
    pub id: String,
    /// The tag's name; empty when the tag was deleted since.
    pub name: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Post ids emitted (or recorded when seeding), oldest first.
    #[serde(default)]
    published: RecentIds,
}

fn text<'a>(post: &'a Value, field: &str) -> Option<&'a str> {
    post.get(field).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn is_published(post: &Value) -> bool {
    text(post, "status").is_some_and(|s| s.eq_ignore_ascii_case("published"))
}

/// When the post went live, as well as the answer says.
fn published_at(post: &Value) -> Option<&str> {
    text(post, "publishedAt").or_else(|| text(post, "displayDate")).or_else(|| text(post, "updatedAt"))
}

/// The location's posts of the window, every page.
fn read_posts(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    now: Timestamp,
    kind: Option<&str>,
) -> Result<Vec<Value>, ConnectorError> {
    let from = now.checked_sub(SignedDuration::from_hours(24 * LOOKBACK_DAYS));
    let to = now.checked_add(SignedDuration::from_hours(24 * AHEAD_DAYS));
    let (from, to) = match (from, to) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => return Err(ConnectorError::Internal(e.to_string())),
    };
    let input: Map<String, Value> = match json!({
        "type": kind.map(str::trim).filter(|k| !k.is_empty()).unwrap_or("all"),
        "skip": "0",
        "limit": "20",
        "fromDate": crate::ghl::timestamp(from),
        "toDate": crate::ghl::timestamp(to),
        "includeUsers": "false",
    }) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    crate::GENERATED.read_list(t, ctx, "list-posts", &input, MAX_PAGES)
}

pub(crate) fn poll(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    req: &PollRequest,
    event: PostEvent,
) -> Result<PollResponse, ConnectorError> {
    let input: PostTriggerInput = weft_sdk::parse_input(&req.input)?;
    let mut cursor: Cursor = req.cursor_as()?;
    let posts = read_posts(t, ctx, Timestamp::now(), input.r#type.as_deref())?;
    let seen = cursor.published.as_set();
    let wanted = |p: &&Value| event == PostEvent::Created || is_published(p);
    let mut fresh: Vec<&Value> =
        posts.iter().filter(wanted).filter(|p| text(p, "_id").is_some_and(|id| !seen.contains(id))).collect();
    match event {
        PostEvent::Published => fresh.sort_by(|a, b| published_at(a).cmp(&published_at(b))),
        PostEvent::Created => fresh.sort_by(|a, b| text(a, "createdAt").cmp(&text(b, "createdAt"))),
    }
    let limit = usize::try_from(req.meta.limit.max(1)).unwrap_or(usize::MAX);
    let has_more = !req.meta.seed && fresh.len() > limit;
    let emit: Vec<&Value> = if req.meta.seed { Vec::new() } else { fresh.iter().take(limit).copied().collect() };
    let remembered: Vec<&Value> = if req.meta.seed { fresh.clone() } else { emit.clone() };
    let names = tag_names(t, ctx, &emit)?;
    let events = emit
        .iter()
        .map(|post| {
            let tags: Vec<TagName> = post
                .get("tags")
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(|id| TagName { id: id.to_string(), name: names.get(id).cloned().unwrap_or_default() })
                })
                .into_iter()
                .flatten()
                .collect();
            let tag_names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).filter(|n| !n.is_empty()).collect();
            Event {
                id: text(post, "_id").unwrap_or_default().to_string(),
                occurred_at: match event {
                    PostEvent::Published => published_at(post),
                    PostEvent::Created => text(post, "createdAt"),
                }
                .map(str::to_string),
                data: json!({ "post": post, "tags": tags, "tagNames": tag_names }),
            }
        })
        .collect();
    let ids: Vec<String> = remembered.iter().filter_map(|p| text(p, "_id")).map(str::to_string).collect();
    cursor.published.remember(ids, REMEMBERED);
    PollResponse::new(events, &cursor, has_more)
}

/// The names of the tags these posts carry, in one tag-details call.
fn tag_names(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    posts: &[&Value],
) -> Result<HashMap<String, String>, ConnectorError> {
    let ids: BTreeSet<String> = posts
        .iter()
        .filter_map(|p| p.get("tags").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = ids.into_iter().collect();
    Ok(api::tag_details(t, ctx, &ids)?.into_iter().map(|tag| (tag.id, tag.tag)).collect())
}
