//! An API as a simulator plays it: every operation with its parameters, its
//! request and answer schemas (converted to JSON Schema and fixed by the
//! generator's overlay), and the resource it acts on, so that created things
//! can be read, changed, listed and deleted.
//!
//! The generator writes it; the GHL simulator and the end-to-end tests read it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use weft_openapi_runtime::table::{ListShape, Method, Paging, ParamIn};

/// Every operation of one group of specs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiDescription {
    /// The connector generated from these operations.
    pub connector: String,
    /// Every operation of the specs, available as an action or not.
    pub operations: Vec<DescribedOperation>,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedOperation {
    /// The spec file it comes from, e.g. `contacts.json`.
    pub spec: String,
    /// The spec's `operationId`, or `<METHOD> <path>` when it has none.
    pub operation_id: String,
    /// The connector's action for it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The HTTP method of the operation.
    pub method: Method,
    /// The path template, e.g. `/contacts/{contactId}`.
    pub path: String,
    /// Headers with one possible value, which requests must carry (e.g. `Version`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Scopes a token needs, from the spec's security requirements unless the overlay replaces them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The token kinds (`location`, `company`) it accepts; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_kinds: Vec<String>,
    /// Path, query and header parameters, less the headers the overlay drops and those in `headers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<DescribedParam>,
    /// The request body, when the operation takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<DescribedBody>,
    /// The successful answer the simulator gives.
    pub response: DescribedResponse,
    /// The collection it acts on; `None` when it is not a recognisable create, read, update, delete or list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    /// Where the items of a list answer are; `None` unless the operation lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListShape>,
    /// How the operation pages; `None` unless it lists and paging was detected or configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
}

/// A parameter and its schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedParam {
    /// The name on the wire.
    pub name: String,
    /// Whether it goes in the path, the query or a header.
    #[serde(rename = "in")]
    pub location: ParamIn,
    /// Whether the spec requires it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// JSON Schema of the value, converted from the spec.
    pub schema: Value,
}

/// A request body and its schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedBody {
    /// The media type, e.g. `application/json`.
    pub content_type: String,
    /// Whether the spec requires a body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// JSON Schema of the body, converted from the spec.
    pub schema: Value,
}

/// The successful answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedResponse {
    /// The 2xx status to answer with: the overlay's, else 200, 201, 202 or 204 first, else the lowest declared.
    pub status: u16,
    /// `None` when the answer has no body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// `None` when the body's shape is not described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
}

/// What an operation does to a resource collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Makes a new item of the collection.
    Create,
    /// Reads one item by its id.
    Get,
    /// Changes one item by its id.
    Update,
    /// Removes one item by its id.
    Delete,
    /// Reads the collection's items.
    List,
}

/// The collection an operation acts on: its path with parameter names
/// blanked (`/contacts/{}/notes`), the id parameter of item paths, and where
/// the resource sits in the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resource {
    /// The path with parameter names blanked, e.g. `/contacts/{}/notes`.
    pub collection: String,
    /// What the operation does to the collection.
    pub role: Role,
    /// The path parameter naming the item (get, update, delete).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_param: Option<String>,
    /// JSON pointer to the resource object in the answer (create, get, update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// The resource field holding its id.
    pub id_field: String,
}
