//! The overlay: what we write beside someone else's OpenAPI document. It
//! names the connector, maps security schemes to token kinds, fixes what the
//! document gets wrong (JSON patches, per-operation scopes, parameters,
//! answers), and gives operations labels and help in our own words.
//!
//! Several overlays may be given; later ones win for single values and add to
//! lists and tables.

use crate::error::GenError;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use weft_openapi_runtime::table::{ListShape, Paging};

/// One overlay file (or several merged).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// The connector's identity and manifest settings beyond its operations.
    #[serde(default)]
    pub connector: ConnectorSettings,
    /// Security scheme name → token kind (`location` or `company`).
    #[serde(default)]
    pub security_schemes: BTreeMap<String, String>,
    /// Input field name → the connection fact that fills it when left out.
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
    /// Input field name → the value sent when left out (only where the schema allows it).
    #[serde(default)]
    pub fixed: BTreeMap<String, Value>,
    /// Fixes applied to every operation of the documents.
    #[serde(default)]
    pub rules: Rules,
    /// Edits to the documents before anything is read from them.
    #[serde(default)]
    pub patch: Vec<Patch>,
    /// Per operation, keyed `<spec file>#<operationId>`.
    #[serde(default)]
    pub operations: BTreeMap<String, OperationOverlay>,
    /// Dropdowns filled by a list operation.
    #[serde(default)]
    pub dropdown: Vec<DropdownOverlay>,
}

/// The connector's identity and what its manifest declares beyond operations.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSettings {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    /// The API origin; default: the first `servers` URL of the first document.
    pub base_url: Option<String>,
    /// Manifest `auth` entries, as the manifest format spells them.
    #[serde(default)]
    pub auth: Vec<Value>,
    /// Manifest `rateLimit`.
    pub rate_limit: Option<Value>,
    /// Manifest `connectionTest`.
    pub connection_test: Option<Value>,
    /// Text in a 401 answer that means a missing scope.
    pub scope_error_marker: Option<String>,
    /// Headers every request carries.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Default and minimum poll intervals of triggers, in seconds.
    pub poll_seconds: Option<(u32, u32)>,
}

/// Fixes applied to every operation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// A schema typed `object` whose own example is a string is given this
    /// type instead (GHL: `string`; the examples and the API agree).
    pub object_with_string_example: Option<String>,
    /// Header parameters never taken as input (e.g. `Authorization`: the host attaches it).
    #[serde(default)]
    pub drop_headers: Vec<String>,
    /// Last path segments that make a POST a read (e.g. `search`, `list`).
    #[serde(default)]
    pub read_segments: Vec<String>,
}

/// A JSON-patch style edit of one document.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// The document's file name, e.g. `social-media-posting.json`.
    pub spec: String,
    pub op: PatchOp,
    /// JSON pointer into the document.
    pub path: String,
    #[serde(default)]
    pub value: Option<Value>,
    /// Why, in our words (kept in the overlay for the reader).
    #[serde(default)]
    pub why: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchOp {
    Add,
    Replace,
    Remove,
}

impl Patch {
    /// Applies the edit; fails when the place it names does not exist, so a
    /// fixed document shows up as a failing patch.
    pub fn apply(&self, doc: &mut Value) -> Result<(), String> {
        let (parent, last) = match self.path.rsplit_once('/') {
            Some((parent, last)) => (parent, last.replace("~1", "/").replace("~0", "~")),
            None => return Err(format!("`{}` is not a JSON pointer", self.path)),
        };
        let target = doc.pointer_mut(parent).ok_or_else(|| format!("`{parent}` does not exist"))?;
        let value = || self.value.clone().ok_or_else(|| format!("{:?} of `{}` needs a value", self.op, self.path));
        match (self.op, target) {
            (PatchOp::Remove, Value::Object(map)) => {
                map.remove(&last).map(|_| ()).ok_or_else(|| format!("`{}` does not exist", self.path))
            }
            (PatchOp::Replace, Value::Object(map)) if !map.contains_key(&last) => {
                Err(format!("`{}` does not exist", self.path))
            }
            (PatchOp::Add | PatchOp::Replace, Value::Object(map)) => {
                map.insert(last, value()?);
                Ok(())
            }
            (op, Value::Array(items)) => {
                let i = if last == "-" { items.len() } else { last.parse::<usize>().map_err(|e| e.to_string())? };
                match op {
                    PatchOp::Remove if i < items.len() => {
                        items.remove(i);
                        Ok(())
                    }
                    PatchOp::Replace if i < items.len() => {
                        items[i] = value()?;
                        Ok(())
                    }
                    PatchOp::Add if i <= items.len() => {
                        items.insert(i, value()?);
                        Ok(())
                    }
                    _ => Err(format!("index {i} is out of range at `{parent}`")),
                }
            }
            _ => Err(format!("`{parent}` is neither an object nor an array")),
        }
    }
}

/// What we say about, or fix in, one operation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationOverlay {
    /// The action key, when the generated one is poor.
    pub key: Option<String>,
    pub label: Option<String>,
    pub help: Option<String>,
    /// Scopes, when the document omits or misstates them.
    pub scopes: Option<Vec<String>>,
    /// Token kinds, when the document's security is missing or wrong.
    pub token_kinds: Option<Vec<String>>,
    /// Leave the operation out, for this reason.
    pub skip: Option<String>,
    /// A hand-written connector covers it, as this `connector/action`.
    pub handwritten: Option<String>,
    /// Whether the operation only reads (a POST search, say).
    pub read: Option<bool>,
    /// The successful answer, when the document's is wrong or missing.
    pub response: Option<ResponseOverlay>,
    /// Parameters the document uses but does not declare.
    #[serde(default)]
    pub params: Vec<ParamOverlay>,
    /// Where the items of a list answer are.
    pub list: Option<ListShape>,
    /// The operation is not a list, whatever its answer looks like.
    #[serde(default)]
    pub not_list: bool,
    /// How it pages.
    pub paging: Option<Paging>,
    /// No triggers from this list (e.g. a deprecated duplicate).
    #[serde(default)]
    pub no_triggers: bool,
    /// The resource it acts on, when the path does not say.
    pub resource: Option<ResourceOverlay>,
}

/// A replacement success answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseOverlay {
    pub status: u16,
    /// An OpenAPI schema; `$ref`s resolve against the operation's document.
    pub schema: Option<Value>,
}

/// A parameter to add.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamOverlay {
    pub name: String,
    #[serde(rename = "in")]
    pub location: String,
    #[serde(default)]
    pub required: bool,
    pub schema: Value,
}

/// The resource an operation acts on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceOverlay {
    /// The collection path with blanked parameters, e.g. `/contacts`.
    pub collection: String,
    pub role: crate::described::Role,
    pub entity: Option<String>,
    /// The field of the entity that holds its id [default: the list's id field, else `id`].
    pub id_field: Option<String>,
}

/// A dropdown for input `field`, filled by the list operation `operation`
/// (`<spec>#<operationId>`, in this connector or not).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DropdownOverlay {
    pub field: String,
    pub operation: String,
    /// Only these operations' inputs (`<spec>#<operationId>`); default: every one with the field.
    #[serde(default)]
    pub only: Vec<String>,
    /// Where the choices come from, in the builder's words.
    pub help: String,
}

impl Overlay {
    /// Reads one overlay file.
    pub fn load(path: &Path) -> Result<Overlay, GenError> {
        let text = std::fs::read_to_string(path).map_err(|source| GenError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|e| GenError::Overlay { path: path.to_owned(), message: e.to_string() })
    }

    /// `other` over `self`: its single values win, its lists and tables add.
    pub fn merge(mut self, other: Overlay) -> Overlay {
        let c = other.connector;
        let s = &mut self.connector;
        macro_rules! take {
            ($($f:ident),*) => { $( if c.$f.is_some() { s.$f = c.$f; } )* };
        }
        take!(id, name, description, version, base_url, rate_limit, connection_test, scope_error_marker, poll_seconds);
        if !c.auth.is_empty() {
            s.auth = c.auth;
        }
        s.headers.extend(c.headers);
        self.security_schemes.extend(other.security_schemes);
        self.facts.extend(other.facts);
        self.fixed.extend(other.fixed);
        if other.rules.object_with_string_example.is_some() {
            self.rules.object_with_string_example = other.rules.object_with_string_example;
        }
        self.rules.drop_headers.extend(other.rules.drop_headers);
        self.rules.read_segments.extend(other.rules.read_segments);
        self.patch.extend(other.patch);
        self.operations.extend(other.operations);
        self.dropdown.extend(other.dropdown);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(op: PatchOp, path: &str, value: Option<Value>) -> Patch {
        Patch { spec: "x.json".into(), op, path: path.into(), value, why: None }
    }

    #[test]
    fn patches_edit_and_fail_on_missing_places() {
        let mut doc = json!({"a": {"required": ["x", "y"], "type": "object"}});
        patch(PatchOp::Remove, "/a/required", None).apply(&mut doc).expect("removed");
        patch(PatchOp::Replace, "/a/type", Some(json!("string"))).apply(&mut doc).expect("replaced");
        patch(PatchOp::Add, "/a/enum", Some(json!(["k"]))).apply(&mut doc).expect("added");
        assert_eq!(doc, json!({"a": {"type": "string", "enum": ["k"]}}));
        assert!(patch(PatchOp::Remove, "/a/required", None).apply(&mut doc).is_err());
        assert!(patch(PatchOp::Replace, "/b/x", Some(json!(1))).apply(&mut doc).is_err());
        patch(PatchOp::Add, "/a/enum/-", Some(json!("l"))).apply(&mut doc).expect("appended");
        assert_eq!(doc["a"]["enum"], json!(["k", "l"]));
    }

    #[test]
    fn later_overlays_win_and_add() {
        let a: Overlay =
            toml::from_str("[connector]\nid = \"a\"\nname = \"A\"\n[facts]\nlocationId = \"locationId\"\n")
                .expect("overlay a");
        let b: Overlay =
            toml::from_str("[connector]\nid = \"b\"\n[facts]\ncompanyId = \"companyId\"\n").expect("overlay b");
        let m = a.merge(b);
        assert_eq!(m.connector.id.as_deref(), Some("b"));
        assert_eq!(m.connector.name.as_deref(), Some("A"));
        assert_eq!(m.facts.len(), 2);
    }
}
