//! The social planner operations the connector uses, one function each.

use crate::ghl::{Envelope, Ghl, encode, location};
use crate::model::{AccountList, Platform, Statistics, StatisticsAnswer, Tag, TagList, TagsResults};
use serde::Serialize;
use weft_sdk::CallContext;
use weft_sdk::ConnectorError;
use weft_sdk::Transport;

pub(crate) const SCOPE_TAGS: &str = "socialplanner/tag.readonly";
pub(crate) const SCOPE_STATISTICS: &str = "socialplanner/statistics.readonly";
pub(crate) const SCOPE_ACCOUNTS: &str = "socialplanner/account.readonly";

/// The largest page the tags endpoint serves.
pub(crate) const MAX_PAGE: u32 = 100;
/// The most ids one tag-details request may carry.
pub(crate) const DETAILS_BATCH: usize = 50;

/// One page of the location's tags.
pub(crate) fn list_tags(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    search: Option<&str>,
    limit: u32,
    skip: u32,
) -> Result<TagList, ConnectorError> {
    let mut path = format!("/social-media-posting/{}/tags?limit={limit}&skip={skip}", encode(location(ctx)?));
    if let Some(s) = search.filter(|s| !s.is_empty()) {
        path.push_str(&format!("&searchText={}", encode(s)));
    }
    let answer: Envelope<TagsResults> = Ghl::new(t, &ctx.base_url).get(&path, SCOPE_TAGS)?;
    Ok(tag_list(answer.results))
}

/// The tags with these ids, fetched in batches.
pub(crate) fn tag_details(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    ids: &[String],
) -> Result<Vec<Tag>, ConnectorError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a> {
        tag_ids: &'a [String],
    }
    let path = format!("/social-media-posting/{}/tags/details", encode(location(ctx)?));
    let ghl = Ghl::new(t, &ctx.base_url);
    let mut tags = Vec::with_capacity(ids.len());
    for batch in ids.chunks(DETAILS_BATCH) {
        let answer: Envelope<TagsResults> = ghl.post(&path, &Body { tag_ids: batch }, SCOPE_TAGS)?;
        tags.extend(tag_list(answer.results).tags);
    }
    Ok(tags)
}

fn tag_list(results: Option<TagsResults>) -> TagList {
    let results = results.unwrap_or(TagsResults { tags: Vec::new(), count: None });
    let count = results
        .count
        .and_then(|c| c.as_u64().or_else(|| c.as_f64().map(|f| f.max(0.0) as u64)))
        .unwrap_or(results.tags.len() as u64);
    TagList { tags: results.tags, count }
}

/// Statistics of the last 7 days for these accounts.
pub(crate) fn statistics(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    profile_ids: &[String],
    platforms: &[Platform],
) -> Result<Statistics, ConnectorError> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Body<'a> {
        profile_ids: &'a [String],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        platforms: &'a [Platform],
    }
    let path = format!("/social-media-posting/statistics?locationId={}", encode(location(ctx)?));
    let answer: StatisticsAnswer =
        Ghl::new(t, &ctx.base_url).post(&path, &Body { profile_ids, platforms }, SCOPE_STATISTICS)?;
    answer.results.ok_or_else(|| ConnectorError::upstream(None, "the statistics answer has no `results`"))
}

/// The location's connected social accounts.
pub(crate) fn accounts(t: &(impl Transport + ?Sized), ctx: &CallContext) -> Result<AccountList, ConnectorError> {
    let path = format!("/social-media-posting/{}/accounts", encode(location(ctx)?));
    let answer: Envelope<AccountList> = Ghl::new(t, &ctx.base_url).get(&path, SCOPE_ACCOUNTS)?;
    Ok(answer.results.unwrap_or(AccountList { accounts: Vec::new(), groups: Vec::new() }))
}
