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
    pub operations: Vec<DescribedOperation>,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedOperation {
    /// The spec file it comes from, e.g. `contacts.json`.
    pub spec: String,
    pub operation_id: String,
    /// The connector's action for it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    pub method: Method,
    pub path: String,
    /// Headers with one possible value, which requests must carry (e.g. `Version`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub token_kinds: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<DescribedParam>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<DescribedBody>,
    pub response: DescribedResponse,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
}

/// A parameter and its schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedParam {
    pub name: String,
    #[serde(rename = "in")]
    pub location: ParamIn,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    pub schema: Value,
}

/// A request body and its schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedBody {
    pub content_type: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    pub schema: Value,
}

/// The successful answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DescribedResponse {
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
    Create,
    Get,
    Update,
    Delete,
    List,
}

/// The collection an operation acts on: its path with parameter names
/// blanked (`/contacts/{}/notes`), the id parameter of item paths, and where
/// the resource sits in the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resource {
    pub collection: String,
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
