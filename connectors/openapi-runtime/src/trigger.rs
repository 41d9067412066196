//! Polling triggers over list operations: "new item" keyed by the item's id,
//! and "new or updated item" keyed by id and updated-at.
//!
//! The cursor remembers the event ids of the last listing, so each poll emits
//! only what it has not seen; ids that leave the listing are forgotten, which
//! keeps the cursor as small as the listing. The host dedupes event ids again,
//! so an item that drops out of a listing and comes back is still delivered once.

use crate::paging::{id_of, read_all};
use crate::table::{ListShape, Table, TriggerKind};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashSet;
use weft_sdk::CallContext;
use weft_sdk::ConnectorError;
use weft_sdk::Transport;
use weft_sdk::{Event, PollRequest, PollResponse};

/// Pages a poll reads at most.
pub(crate) const MAX_PAGES: u32 = 20;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursor {
    /// Event ids of the last listing, and of what was emitted.
    #[serde(default)]
    seen: Vec<String>,
}

/// An item as the event it would become.
struct Candidate {
    event_id: String,
    stamp: Option<String>,
    item: Value,
}

fn text_at(item: &Value, field: Option<&str>) -> Option<String> {
    item.get(field?).and_then(crate::paging::id_text)
}

fn candidate(item: Value, shape: &ListShape, kind: TriggerKind) -> Option<Candidate> {
    let id = id_of(&item, shape)?;
    let created = text_at(&item, shape.created.as_deref());
    let (event_id, stamp) = match kind {
        TriggerKind::New => (id, created),
        TriggerKind::NewOrUpdated => {
            let stamp = text_at(&item, shape.updated.as_deref()).or(created);
            (format!("{id}@{}", stamp.clone().unwrap_or_default()), stamp)
        }
    };
    Some(Candidate { event_id, stamp, item })
}

/// When a stamp is an RFC 3339 time, that time.
fn time(stamp: Option<&str>) -> Option<Timestamp> {
    stamp.and_then(|s| s.parse::<Timestamp>().ok())
}

/// Runs one poll of a trigger of `table`.
pub(crate) fn poll(
    t: &(impl Transport + ?Sized),
    table: &Table,
    ctx: &CallContext,
    req: &PollRequest,
) -> Result<PollResponse, ConnectorError> {
    let Some(spec) = table.trigger(&req.trigger) else {
        return match table.instant_trigger(&req.trigger) {
            Some(instant) => crate::instant::reconcile(t, table, ctx, req, instant),
            None => Err(ConnectorError::invalid("trigger", format!("this connector has no trigger `{}`", req.trigger))),
        };
    };
    let op = table
        .operation(&spec.operation)
        .ok_or_else(|| ConnectorError::internal(format!("trigger `{}` polls an unknown operation", spec.key)))?;
    let shape = op.list.as_ref().ok_or_else(|| ConnectorError::internal(format!("`{}` is not a list", op.key)))?;
    let input = weft_sdk::input_object(&req.input)?;
    let cursor: Cursor = req.cursor_as()?;
    let since = req.since()?;
    let listing = read_all(t, table, op, ctx, &input, MAX_PAGES)?;
    let mut ids = HashSet::new();
    let mut candidates: Vec<Candidate> = listing
        .items
        .into_iter()
        .filter_map(|item| candidate(item, shape, spec.kind))
        .filter(|c| ids.insert(c.event_id.clone()))
        .collect();
    // Oldest first: by stamp when every item has a time, else lists are
    // assumed newest first, as GHL's are.
    if candidates.iter().all(|c| time(c.stamp.as_deref()).is_some()) {
        candidates.sort_by_key(|c| time(c.stamp.as_deref()));
    } else {
        candidates.reverse();
    }
    let seen: HashSet<&str> = cursor.seen.iter().map(String::as_str).collect();
    let fresh: Vec<usize> = if req.meta.seed {
        Vec::new()
    } else {
        (0..candidates.len())
            .filter(|&i| !seen.contains(candidates[i].event_id.as_str()))
            .filter(|&i| match (since, cursor.seen.is_empty()) {
                (Some(since), true) => time(candidates[i].stamp.as_deref()).is_some_and(|t| t >= since),
                _ => true,
            })
            .collect()
    };
    let limit = req.meta.limit.max(1) as usize;
    let held_back: HashSet<usize> = fresh.iter().skip(limit).copied().collect();
    let emit: HashSet<usize> = fresh.iter().take(limit).copied().collect();
    let mut next = Cursor::default();
    let mut events = Vec::with_capacity(emit.len());
    for (i, c) in candidates.into_iter().enumerate() {
        if held_back.contains(&i) {
            continue;
        }
        next.seen.push(c.event_id.clone());
        if emit.contains(&i) {
            events.push(Event { id: c.event_id, occurred_at: c.stamp, data: c.item });
        }
    }
    PollResponse::new(events, &next, !held_back.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{ListShape, Method, Operation, Paging, TriggerSpec};
    use serde_json::json;
    use std::cell::RefCell;
    use weft_sdk::{HookRequest, PollMeta, Transport};
    use weft_sdk::{Request, Response, TransportError};

    /// A list API over items kept newest first, paged by `offset`/`limit`.
    struct FakeList {
        items: RefCell<Vec<Value>>,
        requests: RefCell<Vec<String>>,
    }

    impl Transport for FakeList {
        fn send(&self, request: Request) -> Result<Response, TransportError> {
            let query = request.url.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                    .and_then(|v| v.parse::<usize>().ok())
            };
            let (offset, limit) = (param("offset").unwrap_or(0), param("limit").unwrap_or(10));
            self.requests.borrow_mut().push(query.clone());
            let page: Vec<Value> = self.items.borrow().iter().skip(offset).take(limit).cloned().collect();
            let body = serde_json::to_vec(&json!({ "things": page })).map_err(|e| TransportError::Io(e.to_string()))?;
            Ok(Response { status: 200, headers: vec![], body })
        }
    }

    fn item(id: u32, updated: &str) -> Value {
        json!({"id": format!("t{id}"), "createdAt": format!("2026-01-01T00:00:{id:02}Z"), "updatedAt": updated})
    }

    fn table(kind: TriggerKind) -> Table {
        Table {
            operations: vec![Operation {
                key: "list-things".into(),
                method: Method::Get,
                path: "/things".into(),
                headers: Default::default(),
                params: vec![],
                body: None,
                scopes: vec![],
                token_kinds: vec![],
                paging: Some(Paging::Offset {
                    offset: "offset".into(),
                    limit: "limit".into(),
                    in_body: false,
                    page_size: 2,
                    strings: false,
                }),
                list: Some(ListShape {
                    items: "/things".into(),
                    id: "id".into(),
                    created: Some("createdAt".into()),
                    updated: Some("updatedAt".into()),
                    label: None,
                }),
                output: Default::default(),
            }],
            triggers: vec![TriggerSpec { key: "t".into(), operation: "list-things".into(), kind }],
            ..Table::default()
        }
    }

    fn request(cursor: Option<String>, seed: bool, limit: u32) -> PollRequest {
        PollRequest { trigger: "t".into(), input: "{}".into(), cursor, meta: PollMeta { seed, limit, since: None } }
    }

    fn ids(r: &PollResponse) -> Vec<&str> {
        r.events.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn seeding_records_then_new_items_come_once_oldest_first_across_pages() {
        let api = FakeList { items: RefCell::new(vec![item(2, "a"), item(1, "a")]), requests: RefCell::new(vec![]) };
        let ctx = CallContext::from_host("http://x", "{}").expect("ctx");
        let table = table(TriggerKind::New);
        let seeded = poll(&api, &table, &ctx, &request(None, true, 100)).expect("seed");
        assert!(seeded.events.is_empty());
        api.items.borrow_mut().splice(0..0, [item(5, "a"), item(4, "a"), item(3, "a")]);
        let next = poll(&api, &table, &ctx, &request(seeded.cursor.clone(), false, 2)).expect("poll");
        assert_eq!(ids(&next), ["t3", "t4"], "oldest first, at most the limit");
        assert!(next.has_more);
        let rest = poll(&api, &table, &ctx, &request(next.cursor.clone(), false, 2)).expect("poll");
        assert_eq!(ids(&rest), ["t5"]);
        assert!(!rest.has_more);
        let quiet = poll(&api, &table, &ctx, &request(rest.cursor, false, 2)).expect("poll");
        assert!(quiet.events.is_empty(), "nothing twice");
        let second_page = |q: &String| {
            let mut pairs: Vec<&str> = q.split('&').collect();
            pairs.sort_unstable();
            pairs == ["limit=2", "offset=2"]
        };
        assert!(api.requests.borrow().iter().any(second_page), "{:?}", api.requests.borrow());
    }

    #[test]
    fn an_update_is_a_new_event_for_new_or_updated_triggers() {
        let api =
            FakeList { items: RefCell::new(vec![item(1, "2026-02-01T00:00:00Z")]), requests: RefCell::new(vec![]) };
        let ctx = CallContext::from_host("http://x", "{}").expect("ctx");
        let table = table(TriggerKind::NewOrUpdated);
        let seeded = poll(&api, &table, &ctx, &request(None, true, 10)).expect("seed");
        api.items.borrow_mut()[0] = item(1, "2026-02-02T00:00:00Z");
        let next = poll(&api, &table, &ctx, &request(seeded.cursor, false, 10)).expect("poll");
        assert_eq!(ids(&next), ["t1@2026-02-02T00:00:00Z"]);
        let bad = poll(&api, &table, &ctx, &request(Some("{not json".into()), false, 10)).expect_err("bad cursor");
        assert!(matches!(bad, ConnectorError::InvalidInput { field: Some(ref f), .. } if f == "cursor"));
    }

    #[test]
    fn a_reconciled_instant_trigger_polls_the_listing_into_the_webhook_s_shape_and_ids() {
        use crate::table::{InstantFilter, InstantSpec, Reconcile};
        let thing = |id: u32, colour: &str| {
            let mut item = item(id, "a");
            item["colour"] = json!(colour);
            item
        };
        let api = FakeList { items: RefCell::new(vec![thing(1, "red")]), requests: RefCell::new(vec![]) };
        let ctx = CallContext::from_host("http://x", r#"{"locationId":"loc-1"}"#).expect("ctx");
        let mut table = table(TriggerKind::New);
        let mut spec = InstantSpec {
            key: "thing-created".into(),
            event_types: vec!["ThingCreate".into()],
            filters: vec![InstantFilter { input: "colour".into(), payload: "/thing/colour".into() }],
            reconcile: None,
        };
        table.instant = vec![spec.clone()];
        let instant = |cursor: Option<String>, seed: bool, input: &str| PollRequest {
            trigger: "thing-created".into(),
            input: input.into(),
            cursor,
            meta: PollMeta { seed, limit: 10, since: None },
        };
        let refused = poll(&api, &table, &ctx, &instant(None, true, "{}")).expect_err("no listing");
        assert!(refused.to_string().contains("thing-created"), "{refused}");

        spec.reconcile =
            Some(Reconcile { trigger: "t".into(), id: "/thing/id".into(), wrap: Some("thing".into()), fetch: None });
        table.instant = vec![spec];
        let seeded = poll(&api, &table, &ctx, &instant(None, true, r#"{"colour":"blue"}"#)).expect("seed");
        assert!(seeded.events.is_empty());
        api.items.borrow_mut().splice(0..0, [thing(3, "blue"), thing(2, "red")]);
        let next = poll(&api, &table, &ctx, &instant(seeded.cursor, false, r#"{"colour":"blue"}"#)).expect("poll");
        assert_eq!(ids(&next), ["t3"], "the filter holds for polled items too");
        let data = &next.events[0].data;
        assert_eq!((data["type"].as_str(), data["locationId"].as_str()), (Some("ThingCreate"), Some("loc-1")));
        assert_eq!(data["thing"]["colour"], "blue");

        let webhook = HookRequest {
            trigger: "thing-created".into(),
            input: "{}".into(),
            event_type: "ThingCreate".into(),
            payload: json!({"type": "ThingCreate", "webhookId": "w9", "thing": {"id": "t3"}}),
        };
        let events = crate::instant::transform(&table, &webhook).expect("transform");
        assert_eq!(ids(&PollResponse { events, cursor: None, has_more: false }), ["t3"], "the same id as the poll's");
    }
}
