//! What an operation's shape says about it: whether it lists (and where its
//! items, ids and timestamps are), how it pages, and which resource
//! collection it creates, reads, changes or deletes. All heuristics here can
//! be overridden per operation in the overlay.

use crate::described::{Resource, Role};
use crate::naming::singular;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use weft_openapi_runtime::table::{ListShape, Method, Paging};

/// Item fields that hold a stable id, best first.
const ID_FIELDS: &[&str] = &["id", "_id"];
/// Item fields that say when it was created, best first.
const CREATED_FIELDS: &[&str] = &["createdAt", "dateAdded", "created_at", "dateCreated", "createdOn"];
/// Item fields that say when it last changed, best first.
const UPDATED_FIELDS: &[&str] = &["updatedAt", "dateUpdated", "updated_at", "lastUpdated", "updatedOn"];
/// Item fields worth showing in a dropdown, best first.
const LABEL_FIELDS: &[&str] = &["name", "title", "label", "fullName", "email", "tag", "key"];
/// Property names that say nothing about what the items are.
const GENERIC_ITEMS: &[&str] = &["data", "items", "results", "records", "list", "rows"];

fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

/// Whether a schema allows strings (ids and timestamps must be strings).
fn stringy(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        None => schema.get("anyOf").is_none() && schema.get("oneOf").is_none(),
        _ => false,
    }
}

/// The first of `candidates` an object schema declares as a string.
fn field_of(item: &Value, candidates: &[&str]) -> Option<String> {
    let props = properties(item)?;
    candidates.iter().find(|c| props.get(**c).is_some_and(stringy)).map(|c| c.to_string())
}

/// The id field of an item schema: `id`, `_id`, or `<singular of the list>Id`.
fn id_field(item: &Value, list_name: &str) -> Option<String> {
    field_of(item, ID_FIELDS).or_else(|| {
        let own = format!("{}Id", singular(list_name));
        properties(item)?.get(&own).filter(|s| stringy(s)).map(|_| own)
    })
}

/// The item schema of an array schema, when the items are objects.
fn object_items(schema: &Value) -> Option<&Value> {
    let items = schema.get("items")?;
    properties(items).map(|_| items)
}

/// Finds the item array of a list answer: the answer itself, a top-level
/// array property, or one nested one level down (e.g. `results.tags`).
pub(crate) fn find_list(answer: &Value, path_noun: &str) -> Option<(ListShape, Value)> {
    if let Some(item) = object_items(answer) {
        return shape_for(String::new(), path_noun, item);
    }
    let props = properties(answer)?;
    let mut found: Vec<(ListShape, Value)> = Vec::new();
    for (name, schema) in props {
        if let Some(item) = object_items(schema) {
            found.extend(shape_for(format!("/{name}"), name, item));
        }
    }
    if found.is_empty() {
        for (name, schema) in props {
            for (inner, inner_schema) in properties(schema).into_iter().flatten() {
                if let Some(item) = object_items(inner_schema) {
                    found.extend(shape_for(format!("/{name}/{inner}"), inner, item));
                }
            }
        }
    }
    // Several arrays: prefer the one named like the path's last word.
    let preferred = found.iter().position(|(s, _)| s.items.rsplit('/').next() == Some(path_noun));
    match preferred {
        Some(i) => Some(found.swap_remove(i)),
        None => found.into_iter().next(),
    }
}

fn shape_for(pointer: String, list_name: &str, item: &Value) -> Option<(ListShape, Value)> {
    let id = id_field(item, list_name)?;
    let shape = ListShape {
        items: pointer,
        id,
        created: field_of(item, CREATED_FIELDS),
        updated: field_of(item, UPDATED_FIELDS),
        label: field_of(item, LABEL_FIELDS),
    };
    Some((shape, item.clone()))
}

/// The noun a list's items are, for trigger keys: the items property, or the
/// path's last word when the property is generic (`data`).
pub(crate) fn item_noun(shape: &ListShape, path: &str) -> String {
    let prop = shape.items.rsplit('/').next().unwrap_or_default();
    let word = if prop.is_empty() || GENERIC_ITEMS.contains(&prop) { last_word(path) } else { prop.to_string() };
    singular(&crate::naming::kebab(&word))
}

/// The last literal segment of a path (`/contacts/{id}/notes` → `notes`).
pub(crate) fn last_word(path: &str) -> String {
    path.split('/').rev().find(|s| !s.is_empty() && !s.starts_with('{')).unwrap_or("item").to_string()
}

/// The wire names a request can page with, and their schemas.
pub(crate) struct PagingInputs<'a> {
    pub query: &'a BTreeMap<String, Value>,
    pub body: &'a BTreeMap<String, Value>,
}

fn is_string_param(schema: Option<&Value>) -> bool {
    schema.is_some_and(|s| s.get("type") == Some(&Value::String("string".into())))
}

/// The page size a trigger asks for: the limit's maximum (at most 100), else
/// its default (at least 10), else 20.
fn page_size(schema: Option<&Value>) -> u32 {
    let get = |k: &str| schema.and_then(|s| s.get(k)).and_then(Value::as_u64);
    match (get("maximum"), get("default")) {
        (Some(max), _) => max.clamp(1, 100) as u32,
        (None, Some(default)) => default.clamp(10, 100) as u32,
        _ => 20,
    }
}

/// How a list operation pages, from the names of its parameters and its answer.
pub(crate) fn detect_paging(inputs: &PagingInputs<'_>, answer: Option<&Value>) -> Option<Paging> {
    for (names, in_body) in [(inputs.query, false), (inputs.body, true)] {
        let has = |n: &str| names.contains_key(n);
        let limit_name = ["limit", "pageLimit", "pageSize", "pageLength"].into_iter().find(|n| has(n));
        if let Some(limit) = limit_name {
            for offset in ["skip", "offset"] {
                if has(offset) {
                    return Some(Paging::Offset {
                        offset: offset.into(),
                        limit: limit.into(),
                        in_body,
                        page_size: page_size(names.get(limit)),
                        strings: is_string_param(names.get(limit)),
                    });
                }
            }
            if has("page") {
                return Some(Paging::Page {
                    page: "page".into(),
                    size: limit.into(),
                    first: 1,
                    in_body,
                    page_size: page_size(names.get(limit)),
                    strings: is_string_param(names.get(limit)),
                });
            }
        }
        let meta = answer.and_then(properties).and_then(|p| p.get("meta")).and_then(properties);
        let cursor: BTreeMap<String, String> = ["startAfterId", "startAfter", "searchAfter"]
            .into_iter()
            .filter(|n| has(n) && meta.is_some_and(|m| m.contains_key(*n)))
            .map(|n| (n.to_string(), format!("/meta/{n}")))
            .collect();
        if !cursor.is_empty() {
            return Some(Paging::Cursor {
                next: cursor,
                limit: limit_name.map(str::to_string),
                in_body,
                page_size: page_size(limit_name.and_then(|l| names.get(l))),
            });
        }
        let top = answer.and_then(properties);
        if has("cursor")
            && let Some(next) = ["nextCursor", "cursor"].into_iter().find(|n| top.is_some_and(|t| t.contains_key(*n)))
        {
            return Some(Paging::Cursor {
                next: BTreeMap::from([("cursor".to_string(), format!("/{next}"))]),
                limit: limit_name.map(str::to_string),
                in_body,
                page_size: page_size(limit_name.and_then(|l| names.get(l))),
            });
        }
        if !in_body
            && let Some(after) =
                names.keys().find(|n| n.starts_with("last") && (n.ends_with("Id") || n.ends_with("Doc")))
        {
            return Some(Paging::AfterLast {
                param: after.clone(),
                limit: limit_name.map(str::to_string),
                page_size: page_size(limit_name.and_then(|l| names.get(l))),
            });
        }
    }
    None
}

/// A path with parameter names blanked and no trailing slash: `/contacts/{}/notes`.
pub(crate) fn normalize(path: &str) -> String {
    let segments: Vec<&str> = path
        .trim_end_matches('/')
        .split('/')
        .map(|s| if s.starts_with('{') && s.ends_with('}') { "{}" } else { s })
        .collect();
    let joined = segments.join("/");
    if joined.is_empty() { "/".into() } else { joined }
}

/// Where a resource sits in an answer: the answer itself when it has an id,
/// else the one object property that has one.
pub(crate) fn entity_in(answer: &Value) -> Option<(String, String)> {
    if let Some(id) = field_of(answer, ID_FIELDS) {
        return Some((String::new(), id));
    }
    let found: Vec<(String, String)> = properties(answer)?
        .iter()
        .filter_map(|(name, schema)| field_of(schema, ID_FIELDS).map(|id| (format!("/{name}"), id)))
        .collect();
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The resource an operation acts on, from its path, method and shapes. A
/// listing whose last segment is one of `read_segments` (`…/search`) lists
/// its parent collection, whichever its method.
pub(crate) fn detect_resource(
    method: Method,
    path: &str,
    read: bool,
    read_segments: &[String],
    list: Option<&ListShape>,
    answer: Option<&Value>,
) -> Option<Resource> {
    let trimmed = path.trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or_default();
    let entity = answer.and_then(entity_in);
    if let Some(param) = last.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
        let role = match method {
            Method::Get => Role::Get,
            Method::Put | Method::Patch => Role::Update,
            Method::Delete => Role::Delete,
            Method::Post => return None,
        };
        let collection = normalize(&trimmed[..trimmed.len() - last.len()]);
        let id_field = entity.as_ref().map(|(_, id)| id.clone()).unwrap_or_else(|| "id".into());
        return Some(Resource {
            collection,
            role,
            id_param: Some(param.to_string()),
            entity: entity.map(|(p, _)| p),
            id_field,
        });
    }
    let collection = normalize(trimmed);
    let parent = || collection.rsplit_once('/').map(|(p, _)| p.to_string()).filter(|p| !p.is_empty());
    match (method, list) {
        (Method::Get, Some(shape)) => Some(Resource {
            collection: if read_segments.iter().any(|s| s == last) { parent()? } else { collection.clone() },
            role: Role::List,
            id_param: None,
            entity: None,
            id_field: shape.id.clone(),
        }),
        (Method::Post, Some(shape)) if read => Some(Resource {
            collection: parent()?,
            role: Role::List,
            id_param: None,
            entity: None,
            id_field: shape.id.clone(),
        }),
        (Method::Post, _) if !read => entity.map(|(pointer, id)| Resource {
            collection,
            role: Role::Create,
            id_param: None,
            entity: Some(pointer),
            id_field: id,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item() -> Value {
        json!({"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": "string"},
            "dateAdded": {"type": "string"}, "dateUpdated": {"type": "string"},
        }})
    }

    #[test]
    fn lists_are_found_at_the_top_or_one_level_down() {
        let top = json!({"type": "object", "properties": {"contacts": {"type": "array", "items": item()}, "total": {"type": "number"}}});
        let (shape, _) = find_list(&top, "contacts").expect("a list");
        assert_eq!(shape.items, "/contacts");
        assert_eq!((shape.created.as_deref(), shape.updated.as_deref()), (Some("dateAdded"), Some("dateUpdated")));
        let nested = json!({"type": "object", "properties": {"results": {"type": "object", "properties": {"tags": {"type": "array", "items": item()}}}}});
        assert_eq!(find_list(&nested, "tags").expect("nested").0.items, "/results/tags");
        let scalar = json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "string"}}}});
        assert!(find_list(&scalar, "ids").is_none());
    }

    #[test]
    fn paging_styles_are_recognised() {
        let limit = json!({"type": "number", "maximum": 100});
        let query = BTreeMap::from([
            ("skip".to_string(), json!({"type": "string"})),
            ("limit".to_string(), json!({"type": "string"})),
        ]);
        let empty = BTreeMap::new();
        let p = detect_paging(&PagingInputs { query: &query, body: &empty }, None).expect("offset");
        assert!(
            matches!(p, Paging::Offset { ref offset, strings: true, page_size: 20, .. } if offset == "skip"),
            "{p:?}"
        );
        let query = BTreeMap::from([("startAfterId".to_string(), json!({})), ("limit".to_string(), limit.clone())]);
        let answer = json!({"properties": {"meta": {"properties": {"startAfterId": {}, "startAfter": {}}}}});
        let p = detect_paging(&PagingInputs { query: &query, body: &empty }, Some(&answer)).expect("cursor");
        assert!(matches!(p, Paging::Cursor { page_size: 100, .. }), "{p:?}");
        let body = BTreeMap::from([("page".to_string(), json!({})), ("pageLimit".to_string(), limit)]);
        let p = detect_paging(&PagingInputs { query: &empty, body: &body }, None).expect("page");
        assert!(matches!(p, Paging::Page { in_body: true, first: 1, .. }), "{p:?}");
    }

    #[test]
    fn resources_come_from_paths_and_answers() {
        let answer = json!({"properties": {"contact": item()}});
        let get = detect_resource(Method::Get, "/contacts/{contactId}", true, &[], None, Some(&answer)).expect("get");
        assert_eq!(
            (get.collection.as_str(), get.role, get.entity.as_deref()),
            ("/contacts", Role::Get, Some("/contact"))
        );
        let create = detect_resource(Method::Post, "/contacts/", false, &[], None, Some(&answer)).expect("create");
        assert_eq!((create.collection.as_str(), create.role), ("/contacts", Role::Create));
        let notes = detect_resource(Method::Delete, "/contacts/{contactId}/notes/{id}", false, &[], None, None)
            .expect("delete");
        assert_eq!((notes.collection.as_str(), notes.id_param.as_deref()), ("/contacts/{}/notes", Some("id")));
        let shape =
            ListShape { items: "/opportunities".into(), id: "id".into(), created: None, updated: None, label: None };
        let verbs = ["search".to_string()];
        let search = detect_resource(Method::Get, "/opportunities/search", true, &verbs, Some(&shape), None);
        assert_eq!(
            search.map(|r| (r.collection, r.role)),
            Some(("/opportunities".into(), Role::List)),
            "a GET search lists its parent"
        );
    }
}
