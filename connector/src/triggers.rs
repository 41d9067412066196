//! The hand-written polling triggers: `new-tag`, `tag-details`, `post-statistics` and `post-published`
//! (in `published`); the generated ones are dispatched to `generated`.

use crate::api::{self, MAX_PAGE};
use crate::input::{StatisticsInput, TagTriggerInput};
use crate::model::{StatisticsSnapshot, Tag};
use jiff::Timestamp;
use std::collections::HashMap;
use weft_sdk::CallContext;
use weft_sdk::Transport;
use weft_sdk::cursor::window::{self, Stamped, WindowCursor};
use weft_sdk::{ConnectorError, Event, PollRequest, PollResponse};

/// Pages read at most per poll: 100 pages of 100 tags. A location with more
/// tags than that is read partly and the rest is logged, not looped on.
pub(crate) const MAX_PAGES: u32 = 100;

pub(crate) fn poll(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    req: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    match req.trigger.as_str() {
        "new-tag" => new_tag(t, ctx, req),
        "tag-details" => tag_details(t, ctx, req),
        "post-statistics" => post_statistics(t, ctx, req),
        "new-post" => crate::published::poll(t, ctx, req, crate::published::PostEvent::Created),
        "post-published" => crate::published::poll(t, ctx, req, crate::published::PostEvent::Published),
        other if crate::GENERATED.has_trigger(other) => crate::GENERATED.poll(t, ctx, req),
        other => Err(ConnectorError::invalid(
            "trigger",
            format!(
                "no trigger `{other}`; see `weft inspect` for this connector's triggers (e.g. new-tag, post-published)"
            ),
        )),
    }
}

/// Reads the location's tags newest first. When the API keeps that order,
/// stops at the first page that is wholly older than `created_floor`.
fn read_tags(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    created_floor: Option<Timestamp>,
) -> Result<Vec<Tag>, ConnectorError> {
    let mut seen: HashMap<String, Tag> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut previous_first: Option<String> = None;
    for page in 0..MAX_PAGES {
        let list = api::list_tags(t, ctx, None, MAX_PAGE, page * MAX_PAGE)?;
        let first = list.tags.first().map(|t| t.id.clone());
        if page > 0 && first.is_some() && first == previous_first {
            weft_sdk::log::warn("the tags endpoint repeated a page; stopped paging");
            break;
        }
        previous_first = first;
        let len = list.tags.len() as u32;
        let newest_first = list
            .tags
            .windows(2)
            .all(|w| window::stamp(w[0].created_at.as_deref()) >= window::stamp(w[1].created_at.as_deref()));
        let all_older =
            created_floor.is_some_and(|floor| list.tags.iter().all(|t| window::stamp(t.created_at.as_deref()) < floor));
        for tag in list.tags {
            if !seen.contains_key(&tag.id) {
                order.push(tag.id.clone());
            }
            seen.insert(tag.id.clone(), tag);
        }
        let read = (page + 1) * MAX_PAGE;
        if len < MAX_PAGE || u64::from(read) >= list.count || (newest_first && all_older) {
            return Ok(order.into_iter().filter_map(|id| seen.remove(&id)).collect());
        }
    }
    weft_sdk::log::warn(&format!("more than {} tags; read the newest {}", MAX_PAGES * MAX_PAGE, seen.len()));
    Ok(order.into_iter().filter_map(|id| seen.remove(&id)).collect())
}

fn matches(tag: &Tag, filter: &TagTriggerInput) -> bool {
    !tag.deleted
        && filter
            .name_contains
            .as_deref()
            .filter(|f| !f.is_empty())
            .is_none_or(|f| tag.tag.to_lowercase().contains(&f.to_lowercase()))
}

fn finish<T: serde::Serialize>(
    selection: window::Selection<T>,
    occurred: impl Fn(&T) -> Option<String>,
) -> Result<PollResponse, ConnectorError> {
    let mut events = Vec::with_capacity(selection.items.len());
    for s in selection.items {
        let data = serde_json::to_value(&s.item).map_err(|e| ConnectorError::Internal(e.to_string()))?;
        events.push(Event { id: s.event_id, occurred_at: occurred(&s.item), data });
    }
    PollResponse::new(events, &selection.cursor, selection.has_more)
}

/// One event per tag created, keyed by the tag's id.
fn new_tag(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    req: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    let filter: TagTriggerInput = weft_sdk::parse_input(&req.input)?;
    let cursor: WindowCursor = req.cursor_as()?;
    let since = req.since()?;
    let tags = read_tags(t, ctx, window::lower_bound(&cursor, since))?;
    let stamped = tags
        .into_iter()
        .filter(|tag| matches(tag, &filter))
        .map(|tag| Stamped { event_id: tag.id.clone(), stamp: window::stamp(tag.created_at.as_deref()), item: tag })
        .collect();
    let selection = window::select(stamped, &cursor, since, req.meta.seed, req.meta.limit as usize);
    finish(selection, |tag: &Tag| tag.created_at.clone())
}

/// One event per tag created or changed, keyed by id and `updatedAt`, with the
/// tag as the details endpoint returns it.
fn tag_details(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    req: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    let filter: TagTriggerInput = weft_sdk::parse_input(&req.input)?;
    let cursor: WindowCursor = req.cursor_as()?;
    let since = req.since()?;
    // A change can touch an old tag, so every page is read.
    let tags = read_tags(t, ctx, None)?;
    let stamped = tags
        .into_iter()
        .filter(|tag| matches(tag, &filter))
        .map(|tag| {
            let updated = tag.updated_at.clone().or_else(|| tag.created_at.clone()).unwrap_or_default();
            Stamped { event_id: format!("{}@{updated}", tag.id), stamp: window::stamp(Some(&updated)), item: tag }
        })
        .collect();
    let mut selection = window::select(stamped, &cursor, since, req.meta.seed, req.meta.limit as usize);
    if !req.meta.seed && !selection.items.is_empty() {
        let ids: Vec<String> = selection.items.iter().map(|s| s.item.id.clone()).collect();
        let mut details: HashMap<String, Tag> =
            api::tag_details(t, ctx, &ids)?.into_iter().map(|t| (t.id.clone(), t)).collect();
        for s in &mut selection.items {
            if let Some(detail) = details.remove(&s.item.id) {
                s.item = detail;
            }
        }
    }
    finish(selection, |tag: &Tag| tag.updated_at.clone())
}

/// One snapshot per location, accounts, platforms and day.
fn post_statistics(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    req: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    let input: StatisticsInput = weft_sdk::parse_input(&req.input)?;
    let snapshot = crate::actions::statistics_snapshot(t, ctx, input)?;
    let id = format!("{}:{:016x}:{}", snapshot.location_id, fingerprint(&snapshot), snapshot.period_end);
    let data = serde_json::to_value(&snapshot).map_err(|e| ConnectorError::Internal(e.to_string()))?;
    Ok(PollResponse {
        events: vec![Event { id, occurred_at: Some(Timestamp::now().to_string()), data }],
        cursor: None,
        has_more: false,
    })
}

/// FNV-1a over the sorted accounts and platforms: a short, stable key for
/// what a snapshot covers.
fn fingerprint(s: &StatisticsSnapshot) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let platforms = s.platforms.iter().map(|p| p.as_str());
    for part in s.profile_ids.iter().map(String::as_str).chain(std::iter::once("|")).chain(platforms) {
        for b in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
