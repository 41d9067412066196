//! What a trigger poll gets and gives, and a dropdown's entries.

use crate::ConnectorError;
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// How the host wants a poll run (see the WIT `poll-meta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollMeta {
    /// The first poll of a subscription: report what exists (cursor, ids)
    /// so the host records it, and skip costly enrichment.
    pub seed: bool,
    /// The most events the host accepts; return the oldest first and set
    /// `has_more` when some were held back.
    pub limit: u32,
    /// On a first poll: emit what happened at or after this RFC 3339 time.
    pub since: Option<String>,
}

/// One poll of one trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRequest {
    /// The trigger's key from the manifest.
    pub trigger: String,
    /// The subscription's input (JSON), valid against the trigger's input schema.
    pub input: String,
    /// What the trigger returned as its cursor last time.
    pub cursor: Option<String>,
    /// How the host wants it run.
    pub meta: PollMeta,
}

impl PollRequest {
    /// The input as `T` (see [`crate::parse_input`]).
    pub fn input_as<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        crate::parse_input(&self.input)
    }

    /// The cursor as `T`; no cursor yet reads as `T::default()`.
    pub fn cursor_as<T: DeserializeOwned + Default>(&self) -> Result<T, ConnectorError> {
        crate::cursor::read(self.cursor.as_deref())
    }

    /// `meta.since` as a time, refused by name when it is not RFC 3339.
    pub fn since(&self) -> Result<Option<Timestamp>, ConnectorError> {
        self.meta
            .since
            .as_deref()
            .map(|s| {
                s.parse::<Timestamp>()
                    .map_err(|e| ConnectorError::invalid("since", format!("`{s}` is not an RFC 3339 time: {e}")))
            })
            .transpose()
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stable: the host drops ids it has delivered, so an update needs a new
    /// id (e.g. `tagId@updatedAt`).
    pub id: String,
    /// When it happened (RFC 3339), when the API says.
    pub occurred_at: Option<String>,
    /// The payload, valid against the trigger's output schema.
    pub data: Value,
}

/// What a poll found.
#[derive(Debug, Clone, PartialEq)]
pub struct PollResponse {
    /// New events, oldest first.
    pub events: Vec<Event>,
    /// State for the next poll; the host stores it with the events in one transaction.
    pub cursor: Option<String>,
    /// More events are ready now; the host may poll again at once.
    pub has_more: bool,
}

impl PollResponse {
    /// A response whose cursor is `cursor` as JSON.
    pub fn new(events: Vec<Event>, cursor: &impl Serialize, has_more: bool) -> Result<Self, ConnectorError> {
        Ok(PollResponse { events, cursor: Some(crate::cursor::write(cursor)?), has_more })
    }
}

/// One entry of a dynamic dropdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What the field is set to.
    pub value: String,
    /// What the builder sees.
    pub label: String,
}

/// One webhook the host received and verified, for one subscription of an
/// instant trigger (`weft:connector@0.2.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct HookRequest {
    /// The trigger's key from the manifest.
    pub trigger: String,
    /// The subscription's input (JSON), valid against the trigger's input schema.
    pub input: String,
    /// The webhook's event type (GHL: the payload's `type`).
    pub event_type: String,
    /// The payload as received.
    pub payload: Value,
}
