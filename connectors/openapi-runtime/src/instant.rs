//! Instant triggers: one verified webhook payload, and a subscription's
//! input, into events. The host has verified, stored and deduplicated the
//! webhook; here is only what the API's payload means: which event types a
//! trigger takes, and which payloads the input's filters let through.
//!
//! Where the API lists the resources a trigger's webhooks announce, the
//! trigger can also be polled (`reconcile`): the listing's new items become
//! events in the webhook's shape, with the id a webhook of the same resource
//! gets, so the host's dedupe delivers whichever comes first, once.

use crate::table::{Fetch, InstantSpec, Reconcile, Table};
use serde_json::{Map, Value};
use weft_sdk::{CallContext, ConnectorError, Event, HookRequest, PollRequest, PollResponse, Transport};

/// The events `request` means: none when a filter does not match, else one.
pub fn transform(table: &Table, request: &HookRequest) -> Result<Vec<Event>, ConnectorError> {
    let spec = table.instant_trigger(&request.trigger).ok_or_else(|| {
        ConnectorError::invalid("trigger", format!("this connector has no instant trigger `{}`", request.trigger))
    })?;
    if !spec.event_types.contains(&request.event_type) {
        return Err(ConnectorError::invalid(
            "eventType",
            format!("`{}` takes {}, not `{}`", spec.key, spec.event_types.join(", "), request.event_type),
        ));
    }
    let input = weft_sdk::input_object(&request.input)?;
    if !passes(spec, &input, &request.payload) {
        return Ok(Vec::new());
    }
    let text = |field: &str| request.payload.get(field).and_then(Value::as_str).map(str::to_string);
    // A reconciled trigger's event is the resource, whichever way it came;
    // otherwise GHL's webhook id names one delivery of one change, and
    // without it the resource, the event type and the time do.
    let reconciled = spec.reconcile.as_ref().and_then(|r| id_at(&request.payload, &r.id));
    let id = reconciled.or_else(|| text("webhookId")).unwrap_or_else(|| {
        format!("{}:{}:{}", request.event_type, text("id").unwrap_or_default(), text("timestamp").unwrap_or_default())
    });
    let occurred_at = text("timestamp").or_else(|| text("dateUpdated")).or_else(|| text("dateAdded"));
    Ok(vec![Event { id, occurred_at, data: request.payload.clone() }])
}

/// One reconciling poll of instant trigger `spec`: its listing's new items,
/// in the webhook's shape, through the same filters.
pub(crate) fn reconcile(
    t: &(impl Transport + ?Sized),
    table: &Table,
    ctx: &CallContext,
    req: &PollRequest,
    spec: &InstantSpec,
) -> Result<PollResponse, ConnectorError> {
    let rec = spec.reconcile.as_ref().ok_or_else(|| {
        ConnectorError::invalid(
            "trigger",
            format!("`{}` is instant: its events come from webhooks, and the API has no listing to poll", spec.key),
        )
    })?;
    let input = weft_sdk::input_object(&req.input)?;
    // The listing is read whole and filtered here: the filters name payload
    // fields, not the list operation's parameters.
    let listing = PollRequest {
        trigger: rec.trigger.clone(),
        input: "{}".into(),
        cursor: req.cursor.clone(),
        meta: req.meta.clone(),
    };
    let mut response = crate::trigger::poll(t, table, ctx, &listing)?;
    let location = ctx.fact("locationId");
    let event_type = spec.event_types.first().map(String::as_str).unwrap_or_default();
    let mut events = Vec::with_capacity(response.events.len());
    for event in std::mem::take(&mut response.events) {
        let item = match &rec.fetch {
            Some(fetch) => whole(t, table, ctx, fetch, &event.id)?.unwrap_or(event.data),
            None => event.data,
        };
        let payload = as_payload(rec, item, event_type, location);
        if passes(spec, &input, &payload) {
            let id = id_at(&payload, &rec.id).unwrap_or(event.id);
            events.push(Event { id, occurred_at: event.occurred_at, data: payload });
        }
    }
    response.events = events;
    Ok(response)
}

/// Item `id` read whole with `fetch`; `None` when it is gone since it was
/// listed (its listed fields stand in).
fn whole(
    t: &(impl Transport + ?Sized),
    table: &Table,
    ctx: &CallContext,
    fetch: &Fetch,
    id: &str,
) -> Result<Option<Value>, ConnectorError> {
    let op = table.operation(&fetch.operation).ok_or_else(|| {
        ConnectorError::internal(format!("the reconciling fetch names an unknown operation `{}`", fetch.operation))
    })?;
    let input = Map::from_iter([(fetch.field.clone(), Value::String(id.to_string()))]);
    match crate::response::call(t, table, op, ctx, &input, &crate::request::Overrides::default()) {
        Ok(answer) => Ok(answer.pointer(&fetch.entity).filter(|v| v.is_object()).cloned()),
        Err(ConnectorError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A listed item as the webhook about it would carry it: under `wrap` when
/// the webhook nests it, with the webhook's `type` and (unless it has one)
/// `locationId`.
fn as_payload(rec: &Reconcile, item: Value, event_type: &str, location: Option<&str>) -> Value {
    let mut payload = match (&rec.wrap, item) {
        (Some(field), item) => Map::from_iter([(field.clone(), item)]),
        (None, Value::Object(fields)) => fields,
        (None, other) => Map::from_iter([("item".to_string(), other)]),
    };
    // As in GHL's payloads, `type` is the event's, whatever the resource calls its own.
    payload.insert("type".into(), Value::String(event_type.to_string()));
    if let Some(location) = location {
        payload.entry("locationId").or_insert_with(|| Value::String(location.to_string()));
    }
    Value::Object(payload)
}

/// The text of the id at `pointer`, a string or a number.
fn id_at(payload: &Value, pointer: &str) -> Option<String> {
    payload.pointer(pointer).and_then(crate::paging::id_text)
}

fn passes(spec: &InstantSpec, input: &serde_json::Map<String, Value>, payload: &Value) -> bool {
    spec.filters.iter().all(|filter| {
        let wanted = match input.get(&filter.input) {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_lowercase(),
            Some(Value::Null) | None => return true,
            Some(Value::String(_)) => return true,
            Some(other) => other.to_string().to_lowercase(),
        };
        let same = |v: &Value| match v {
            Value::String(s) => s.trim().to_lowercase() == wanted,
            other => other.to_string().to_lowercase() == wanted,
        };
        match payload.pointer(&filter.payload) {
            Some(Value::Array(items)) => items.iter().any(same),
            Some(value) => same(value),
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::InstantFilter;
    use serde_json::json;

    fn table() -> Table {
        Table {
            instant: vec![InstantSpec {
                key: "contact-tag-updated".into(),
                event_types: vec!["ContactTagUpdate".into()],
                filters: vec![InstantFilter { input: "tag".into(), payload: "/tags".into() }],
                reconcile: None,
            }],
            ..Default::default()
        }
    }

    fn request(input: Value, payload: Value) -> HookRequest {
        HookRequest {
            trigger: "contact-tag-updated".into(),
            input: input.to_string(),
            event_type: "ContactTagUpdate".into(),
            payload,
        }
    }

    #[test]
    fn a_filter_lets_through_only_payloads_that_hold_the_input_s_value() {
        let payload = json!({"type": "ContactTagUpdate", "webhookId": "w1", "id": "c1", "tags": ["VIP", "lead"], "timestamp": "2026-12-02T10:00:00Z"});
        let events = transform(&table(), &request(json!({"tag": "vip"}), payload.clone())).expect("transform");
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].id.as_str(), events[0].occurred_at.as_deref()), ("w1", Some("2026-12-02T10:00:00Z")));
        assert_eq!(events[0].data, payload);
        assert!(transform(&table(), &request(json!({"tag": "gold"}), payload.clone())).expect("ok").is_empty());
        assert_eq!(transform(&table(), &request(json!({}), payload)).expect("ok").len(), 1, "no filter, every payload");
    }

    #[test]
    fn another_event_type_or_trigger_is_refused_by_name() {
        let mut wrong = request(json!({}), json!({}));
        wrong.event_type = "ContactCreate".into();
        assert!(transform(&table(), &wrong).expect_err("refused").to_string().contains("ContactCreate"));
        wrong.trigger = "nope".into();
        assert!(transform(&table(), &wrong).expect_err("refused").to_string().contains("nope"));
    }
}
