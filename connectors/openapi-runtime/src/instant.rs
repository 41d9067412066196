//! Instant triggers: one verified webhook payload, and a subscription's
//! input, into events. The host has verified, stored and deduplicated the
//! webhook; here is only what the API's payload means: which event types a
//! trigger takes, and which payloads the input's filters let through.

use crate::table::{InstantSpec, Table};
use serde_json::Value;
use weft_sdk::{ConnectorError, Event, HookRequest};

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
    // GHL's webhook id names one delivery of one change; without it, the
    // resource, the event type and the time do.
    let id = text("webhookId").unwrap_or_else(|| {
        format!("{}:{}:{}", request.event_type, text("id").unwrap_or_default(), text("timestamp").unwrap_or_default())
    });
    let occurred_at = text("timestamp").or_else(|| text("dateUpdated")).or_else(|| text("dateAdded"));
    Ok(vec![Event { id, occurred_at, data: request.payload.clone() }])
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
