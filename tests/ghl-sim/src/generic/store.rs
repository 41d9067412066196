//! Resource state: what creates made, keyed by collection (the path with
//! parameters blanked, e.g. `/contacts/{}/notes`), the parent ids in the
//! path, and the account (location or company) the token acts in.

use std::collections::HashMap;

use jiff::Timestamp;
use serde_json::{Map, Value, json};
use weft_gen::described::DescribedOperation;
use weft_openapi_runtime::table::Paging;

use super::{Call, render};
use crate::errors::ApiError;
use crate::state::Sim;

/// Where a resource lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceKey {
    /// The operation's path with its parameters blanked, e.g. `/contacts/{}/notes`.
    pub collection: String,
    /// Values of the path parameters before the id, in path order.
    pub parents: Vec<String>,
    /// The location (or company) the resource belongs to.
    pub scope: String,
}

/// One resource.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResource {
    /// The id paths name it by: ObjectId-shaped (24 hex characters) unless seeded with one.
    pub id: String,
    /// Every field it was created or updated with.
    pub fields: Map<String, Value>,
    /// When it was created, on the simulator's clock (strictly increasing, millisecond steps).
    pub created: Timestamp,
    /// When it last changed; equal to `created` until the first update.
    pub updated: Timestamp,
}

/// Every resource, by where it lives, oldest first.
#[derive(Debug, Default)]
pub struct Store {
    items: HashMap<ResourceKey, Vec<StoredResource>>,
}

/// The path parameter values that place a resource, in path order, without the id.
fn parents(op: &DescribedOperation, path: &Map<String, Value>) -> Vec<String> {
    let id = op.resource.as_ref().and_then(|r| r.id_param.as_deref());
    crate::generic::split(&op.path)
        .iter()
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .filter(|name| Some(*name) != id)
        .map(|name| path.get(name).and_then(Value::as_str).unwrap_or_default().to_string())
        .collect()
}

fn key(call: &Call<'_>) -> Option<ResourceKey> {
    let res = call.op.resource.as_ref()?;
    Some(ResourceKey { collection: res.collection.clone(), parents: parents(call.op, &call.path), scope: call.scope() })
}

fn id_of(call: &Call<'_>) -> Option<String> {
    let param = call.op.resource.as_ref()?.id_param.as_deref()?;
    call.path.get(param).and_then(Value::as_str).map(str::to_string)
}

fn not_found(call: &Call<'_>) -> ApiError {
    let what =
        call.op.resource.as_ref().map(|r| r.collection.rsplit('/').next().unwrap_or("resource")).unwrap_or("resource");
    ApiError::NotFound(format!("No {what} with id {}", id_of(call).unwrap_or_default()))
}

/// Fields a request gives a resource: its body's.
/// Where the social planner's posts are kept (the collection of the posts operations).
pub(super) const SOCIAL_POSTS: &str = "/social-media-posting/{}/posts";

fn fields_of(call: &Call<'_>) -> Map<String, Value> {
    let mut fields = match &call.body {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    // A social planner post is written with `scheduleDate` and read back with
    // `displayDate`, the time it goes (or went) out, as GHL shows it.
    if call.op.path.starts_with("/social-media-posting/{locationId}/posts")
        && let Some(at) = fields.get("scheduleDate").cloned()
    {
        fields.insert("displayDate".into(), at);
    }
    fields
}

impl Sim {
    /// Stores a resource as a create would, and returns it. `id` is generated when `None`.
    pub fn seed_resource(&self, key: ResourceKey, fields: Map<String, Value>, id: Option<String>) -> StoredResource {
        let mut state = self.lock();
        let now = state.stamp();
        let id = id.unwrap_or_else(|| state.object_id(now));
        let stored = StoredResource { id, fields, created: now, updated: now };
        state.resources.items.entry(key).or_default().push(stored.clone());
        stored
    }

    /// The resources stored at `key`, oldest first.
    pub fn resources(&self, key: &ResourceKey) -> Vec<StoredResource> {
        self.lock().resources.items.get(key).cloned().unwrap_or_default()
    }

    /// The social planner's publisher, on a clock the caller controls: every
    /// scheduled post whose `scheduleDate` is at or before `now` goes live
    /// (status `published`, `publishedAt` its scheduled time), as GHL's
    /// publisher does when the time comes. Returns the ids published.
    pub fn publish_due_posts(&self, now: jiff::Timestamp) -> Vec<String> {
        let mut state = self.lock();
        let stamp = state.stamp();
        let mut published = Vec::new();
        for (key, items) in state.resources.items.iter_mut() {
            if key.collection != SOCIAL_POSTS {
                continue;
            }
            for post in items.iter_mut() {
                let scheduled = post.fields.get("status").and_then(Value::as_str) == Some("scheduled");
                let due = post
                    .fields
                    .get("scheduleDate")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<jiff::Timestamp>().ok());
                if let (true, Some(at)) = (scheduled, due)
                    && at <= now
                {
                    post.fields.insert("status".into(), Value::String("published".into()));
                    post.fields.insert("publishedAt".into(), Value::String(at.to_string()));
                    post.updated = stamp;
                    published.push(post.id.clone());
                }
            }
        }
        published
    }

    /// Changes a stored resource's fields and bumps its `updated` stamp.
    pub fn update_resource(&self, key: &ResourceKey, id: &str, fields: Map<String, Value>) -> Option<StoredResource> {
        let mut state = self.lock();
        let now = state.stamp();
        let stored = state.resources.items.get_mut(key)?.iter_mut().find(|r| r.id == id)?;
        stored.fields.extend(fields);
        stored.updated = now;
        Some(stored.clone())
    }
}

pub(crate) fn create(sim: &Sim, call: &Call<'_>) -> Option<Value> {
    let Some(key) = key(call) else { return render::plain(call) };
    let stored = sim.seed_resource(key, fields_of(call), None);
    render::with_entity(call.op, &stored)
}

pub(crate) fn get(sim: &Sim, call: &Call<'_>) -> Result<Option<Value>, ApiError> {
    let (Some(key), Some(id)) = (key(call), id_of(call)) else { return Ok(render::plain(call)) };
    let stored = sim.resources(&key).into_iter().find(|r| r.id == id).ok_or_else(|| not_found(call))?;
    Ok(render::with_entity(call.op, &stored))
}

pub(crate) fn update(sim: &Sim, call: &Call<'_>) -> Result<Option<Value>, ApiError> {
    let (Some(key), Some(id)) = (key(call), id_of(call)) else { return Ok(render::plain(call)) };
    let stored = sim.update_resource(&key, &id, fields_of(call)).ok_or_else(|| not_found(call))?;
    Ok(render::with_entity(call.op, &stored))
}

pub(crate) fn delete(sim: &Sim, call: &Call<'_>) -> Result<Option<Value>, ApiError> {
    let (Some(key), Some(id)) = (key(call), id_of(call)) else { return Ok(render::plain(call)) };
    let mut state = sim.lock();
    let items = state.resources.items.get_mut(&key).ok_or_else(|| not_found(call))?;
    let before = items.len();
    items.retain(|r| r.id != id);
    if items.len() == before {
        return Err(not_found(call));
    }
    drop(state);
    Ok(render::plain(call))
}

/// A paging value from the query or the body, as a number.
fn number(call: &Call<'_>, name: &str, in_body: bool) -> Option<usize> {
    let source = if in_body { call.body.get(name) } else { call.query.get(name) };
    match source? {
        Value::Number(n) => n.as_u64().map(|n| n as usize),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn text(call: &Call<'_>, name: &str, in_body: bool) -> Option<String> {
    let source = if in_body { call.body.get(name) } else { call.query.get(name) };
    source.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Where a page starts and how long it is, per the operation's paging style.
fn window(call: &Call<'_>, all: &[StoredResource]) -> (usize, usize) {
    const DEFAULT_LIMIT: usize = 20;
    let after = |id: Option<String>| id.and_then(|id| all.iter().position(|r| r.id == id)).map(|i| i + 1).unwrap_or(0);
    match &call.op.paging {
        Some(Paging::Offset { offset, limit, in_body, .. }) => {
            (number(call, offset, *in_body).unwrap_or(0), number(call, limit, *in_body).unwrap_or(DEFAULT_LIMIT))
        }
        Some(Paging::Page { page, size, first, in_body, .. }) => {
            let size = number(call, size, *in_body).unwrap_or(DEFAULT_LIMIT);
            let page = number(call, page, *in_body).unwrap_or(*first as usize).saturating_sub(*first as usize);
            (page * size, size)
        }
        Some(Paging::Cursor { next, limit, in_body, .. }) => {
            let id_param = next.keys().find(|k| k.ends_with("Id") || *k == "cursor");
            let start = after(id_param.and_then(|p| text(call, p, *in_body)));
            (start, limit.as_deref().and_then(|l| number(call, l, *in_body)).unwrap_or(DEFAULT_LIMIT))
        }
        Some(Paging::AfterLast { param, limit, .. }) => {
            let start = after(text(call, param, false));
            (start, limit.as_deref().and_then(|l| number(call, l, false)).unwrap_or(DEFAULT_LIMIT))
        }
        None => (0, usize::MAX),
    }
}

pub(crate) fn list(sim: &Sim, call: &Call<'_>) -> Option<Value> {
    let Some(key) = key(call) else { return render::plain(call) };
    let mut all = sim.resources(&key);
    // Newest first, as GHL lists.
    all.reverse();
    let (start, len) = window(call, &all);
    let page: Vec<&StoredResource> = all.iter().skip(start).take(len.max(1)).collect();
    let mut answer = render::with_items(call.op, &page, all.len())?;
    if let (Some(Paging::Cursor { next, .. }), Some(last)) = (&call.op.paging, page.last()) {
        for (param, pointer) in next {
            let value = if param.ends_with("Id") || param == "cursor" {
                Value::String(last.id.clone())
            } else {
                json!(last.created.as_millisecond())
            };
            render::set_at(&mut answer, pointer, value);
        }
    }
    Some(answer)
}
