//! The operation table: what a generated connector knows about its API.
//!
//! The generator (`weft-gen`) writes it as JSON next to the connector's
//! manifest; the component embeds it and this runtime interprets it at call
//! time. It holds only what building requests and reading answers needs:
//! the schemas live in the manifest, where the host checks inputs and outputs.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Everything one generated connector calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Table {
    /// Headers every request carries (e.g. `Accept`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Text in a 401 answer that means a missing scope rather than a bad token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_error_marker: Option<String>,
    /// The operations, one per action, plus the helpers dropdowns use.
    pub operations: Vec<Operation>,
    /// Polling triggers built on list operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub triggers: Vec<TriggerSpec>,
    /// Dynamic dropdowns filled by list operations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropdowns: Vec<Dropdown>,
    /// Instant triggers fed by the app's webhooks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instant: Vec<InstantSpec>,
}

impl Table {
    /// Parses the embedded table.
    pub fn parse(json: &str) -> Result<Table, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The operation with this key.
    pub fn operation(&self, key: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.key == key)
    }

    /// The trigger with this key.
    pub fn trigger(&self, key: &str) -> Option<&TriggerSpec> {
        self.triggers.iter().find(|t| t.key == key)
    }

    /// The instant trigger with this key.
    pub fn instant_trigger(&self, key: &str) -> Option<&InstantSpec> {
        self.instant.iter().find(|t| t.key == key)
    }
}

pub use weft_sdk::Method;

/// One API operation and how an input becomes its request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Operation {
    /// The action key (kebab-case).
    pub key: String,
    /// The HTTP method of the request.
    pub method: Method,
    /// Path template relative to the base URL, e.g. `/contacts/{contactId}`.
    pub path: String,
    /// Headers with one possible value (e.g. `Version: 2021-07-28`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Path, query and header parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Param>,
    /// The request body, if the operation takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// Scopes the token needs; named when the API reports a missing scope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The token kinds (`location`, `company`) the operation accepts; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_kinds: Vec<String>,
    /// How the operation pages, when it lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
    /// Where the items of a list answer are, when it lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListShape>,
    /// How the answer becomes the action's output.
    #[serde(default, skip_serializing_if = "is_default")]
    pub output: Output,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamIn {
    /// Substituted into the `{name}` placeholder of the path template.
    Path,
    /// Appended to the URL's query string.
    Query,
    /// Sent as a request header.
    Header,
}

/// A path, query or header parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Param {
    /// The name on the wire.
    pub name: String,
    /// Whether the value goes in the path, the query or a header.
    #[serde(rename = "in")]
    pub location: ParamIn,
    /// The input property that carries it.
    pub field: String,
    /// A connection fact (e.g. `locationId`) that fills the value when the input lacks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// A value sent when neither the input nor a fact gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Value>,
    /// Whether the request is unusable without a value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

/// How the request body is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyKind {
    /// `application/json`, the default.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// A request body: either some input properties as the body's fields, or one
/// input property as the whole body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Body {
    /// How the body is encoded on the wire.
    #[serde(default, skip_serializing_if = "is_default")]
    pub kind: BodyKind,
    /// Top-level body fields, each from an input property.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<BodyField>,
    /// The input property holding the whole body, when it is not an object of known fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whole: Option<String>,
    /// Send `{}` even when no field has a value (the API requires a body).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

/// One top-level field of a body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BodyField {
    /// The name in the body.
    pub name: String,
    /// The input property that carries it.
    pub field: String,
    /// A connection fact (e.g. `locationId`) that fills the value when the input lacks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
    /// A value sent when neither the input nor a fact gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Value>,
    /// Whether the request is unusable without a value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
}

/// How a list operation pages. Field names are the wire names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Paging {
    /// `skip`/`limit` or `offset`/`limit` query parameters (or body fields).
    #[serde(rename_all = "camelCase")]
    Offset {
        /// Wire name of the offset (items to skip) parameter.
        offset: String,
        /// Wire name of the page-size parameter.
        limit: String,
        /// The paging values go in the JSON body rather than the query string.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_body: bool,
        /// Items asked for per page; a shorter page is taken as the last.
        page_size: u32,
        /// The API wants the numbers as strings.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        strings: bool,
    },
    /// A page number (first page `first`) and a page size.
    #[serde(rename_all = "camelCase")]
    Page {
        /// Wire name of the page-number parameter.
        page: String,
        /// Wire name of the page-size parameter.
        size: String,
        /// Number of the first page (`0` or `1`, depending on the API).
        first: u32,
        /// The paging values go in the JSON body rather than the query string.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_body: bool,
        /// Items asked for per page; a shorter page is taken as the last.
        page_size: u32,
        /// The API wants the numbers as strings.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        strings: bool,
    },
    /// Parameters copied from the answer (e.g. GHL's `meta.startAfterId`)
    /// into the next request; paging stops when they are missing.
    #[serde(rename_all = "camelCase")]
    Cursor {
        /// Request parameter → JSON pointer in the answer.
        next: BTreeMap<String, String>,
        /// Wire name of the page-size parameter; `None` when the API takes none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<String>,
        /// The paging values go in the JSON body rather than the query string.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        in_body: bool,
        /// Items asked for per page; a shorter page is taken as the last.
        page_size: u32,
    },
    /// The last item's id goes into `param` (e.g. `lastMessageId`).
    #[serde(rename_all = "camelCase")]
    AfterLast {
        /// Wire name of the query parameter that takes the last item's id.
        param: String,
        /// Wire name of the page-size parameter; `None` when the API takes none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<String>,
        /// Items asked for per page; a shorter page is taken as the last.
        page_size: u32,
    },
}

impl Paging {
    /// The wire names the paging drives, which a trigger's input leaves out.
    pub fn driven(&self) -> Vec<&str> {
        match self {
            Paging::Offset { offset, limit, .. } => vec![offset, limit],
            Paging::Page { page, size, .. } => vec![page, size],
            Paging::Cursor { next, limit, .. } => next.keys().map(String::as_str).chain(limit.as_deref()).collect(),
            Paging::AfterLast { param, limit, .. } => std::iter::once(param.as_str()).chain(limit.as_deref()).collect(),
        }
    }
}

/// Where the items of a list answer are and what identifies them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListShape {
    /// JSON pointer to the item array (`""` when the answer is the array).
    pub items: String,
    /// The item field holding a stable id.
    pub id: String,
    /// The item field holding when it was created (RFC 3339), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The item field holding when it last changed (RFC 3339), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// An item field to show in dropdowns (e.g. `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What a successful answer becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Output {
    /// The JSON answer as it is; an empty answer becomes `{}`.
    #[default]
    Json,
    /// `{"contentType", "text"}`: for answers that are not JSON.
    Text,
}

/// What a trigger emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerKind {
    /// Each item once, keyed by its id.
    New,
    /// Each item once per change, keyed by id and updated-at.
    NewOrUpdated,
}

/// A polling trigger over a list operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriggerSpec {
    /// The trigger key (kebab-case) the manifest lists it under.
    pub key: String,
    /// The list operation it polls.
    pub operation: String,
    /// Whether it reports only new items or also changed ones.
    pub kind: TriggerKind,
}

/// A dropdown: the choices of input `field` of the listed keys come from a list operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Dropdown {
    /// The input property.
    pub field: String,
    /// The triggers and actions whose `field` it fills.
    pub keys: Vec<String>,
    /// The list operation that supplies the choices.
    pub operation: String,
}

/// An instant trigger: the webhook event types it takes and the input
/// fields that filter them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InstantSpec {
    /// The trigger key (kebab-case) the manifest lists it under.
    pub key: String,
    /// The webhook event types (GHL's `type`) it turns into events.
    pub event_types: Vec<String>,
    /// Input fields a payload must match to become an event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<InstantFilter>,
    /// The listing a reconciling poll reads to catch what a lost webhook
    /// missed, when the API has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconcile>,
}

/// How a polled trigger's listing stands in for the webhooks of an instant
/// one: its items are the resources the webhooks announce, so a webhook's
/// event and a poll's carry the same id and the host delivers one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Reconcile {
    /// The polled trigger (of the same table) whose listing is read.
    pub trigger: String,
    /// A JSON pointer to the resource's id in a webhook payload (e.g. `/id`);
    /// it is the event's id either way.
    pub id: String,
    /// The payload field a listed item sits under (e.g. `appointment`), when
    /// the webhook does not carry the resource's fields at its top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrap: Option<String>,
    /// Reads each new item whole, when the listing carries less of it than
    /// the webhook does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
}

/// "Read item `id` with operation `operation`, whose input field `field`
/// takes the id; the item is at `entity` in its answer".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fetch {
    /// The operation (action key) that reads one item.
    pub operation: String,
    /// Its input field for the item's id.
    pub field: String,
    /// A JSON pointer to the item in its answer, e.g. `/contact`.
    #[serde(default)]
    pub entity: String,
}

/// "Only when the payload's `payload` is (or, for a list, holds) the input's `input`".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InstantFilter {
    /// The input property; an empty or absent value filters nothing.
    pub input: String,
    /// A JSON pointer into the payload, e.g. `/tags`.
    pub payload: String,
}
