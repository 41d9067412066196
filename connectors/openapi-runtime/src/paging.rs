//! Reads a list operation page by page, with guard rails: a page cap, a stop
//! on a short or empty page, and a stop when the API repeats a page or a
//! cursor (a GHL trigger elsewhere looped on page 1 until it ran out of time).

use crate::request::Overrides;
use crate::response::call;
use crate::table::{ListShape, Operation, Paging, Table};
use serde_json::{Map, Value, json};
use weft_sdk::CallContext;
use weft_sdk::ConnectorError;
use weft_sdk::Transport;

/// The items a list answer carries at the shape's pointer.
pub fn items_of<'a>(answer: &'a Value, shape: &ListShape) -> &'a [Value] {
    answer.pointer(&shape.items).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// The id of an item, as text.
pub fn id_of(item: &Value, shape: &ListShape) -> Option<String> {
    item.get(&shape.id).and_then(id_text)
}

/// An id or stamp as text: a non-empty string, or a number.
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What paging read.
pub struct Listing {
    /// Every item read, in API order, across all the pages fetched.
    pub items: Vec<Value>,
}

fn number(n: u32, strings: bool) -> Value {
    if strings { Value::String(n.to_string()) } else { json!(n) }
}

/// Reads up to `max_pages` pages of `op` with `input`.
pub fn read_all(
    t: &(impl Transport + ?Sized),
    table: &Table,
    op: &Operation,
    ctx: &CallContext,
    input: &Map<String, Value>,
    max_pages: u32,
) -> Result<Listing, ConnectorError> {
    let shape = op.list.as_ref().ok_or_else(|| ConnectorError::internal(format!("`{}` is not a list", op.key)))?;
    let mut items: Vec<Value> = Vec::new();
    let mut overrides = first_page(op.paging.as_ref());
    let mut previous_first: Option<String> = None;
    for page in 0..max_pages {
        let answer = call(t, table, op, ctx, input, &overrides)?;
        let got = items_of(&answer, shape).to_vec();
        let first = got.first().and_then(|i| id_of(i, shape));
        if page > 0 && first.is_some() && first == previous_first {
            weft_sdk::log::warn(&format!("`{}` repeated a page; stopped paging", op.key));
            return Ok(Listing { items });
        }
        previous_first = first;
        let count = got.len();
        let next = next_page(op.paging.as_ref(), page, &answer, &got, shape, &overrides);
        items.extend(got);
        let full = op.paging.as_ref().is_some_and(|p| count as u32 >= page_size(p));
        match next {
            Some(next) if count > 0 && full => overrides = next,
            _ => return Ok(Listing { items }),
        }
    }
    weft_sdk::log::warn(&format!("`{}` has more than {max_pages} pages; read the first {max_pages}", op.key));
    Ok(Listing { items })
}

fn page_size(p: &Paging) -> u32 {
    match p {
        Paging::Offset { page_size, .. }
        | Paging::Page { page_size, .. }
        | Paging::Cursor { page_size, .. }
        | Paging::AfterLast { page_size, .. } => (*page_size).max(1),
    }
}

/// The overrides of the first request.
fn first_page(paging: Option<&Paging>) -> Overrides {
    let Some(p) = paging else { return Overrides::default() };
    let size = page_size(p);
    match p {
        Paging::Offset { offset, limit, in_body, strings, .. } => Overrides {
            values: vec![(offset.clone(), number(0, *strings)), (limit.clone(), number(size, *strings))],
            in_body: *in_body,
        },
        Paging::Page { page, size: size_name, first, in_body, strings, .. } => Overrides {
            values: vec![(page.clone(), number(*first, *strings)), (size_name.clone(), number(size, *strings))],
            in_body: *in_body,
        },
        Paging::Cursor { limit, in_body, .. } => {
            Overrides { values: limit.iter().map(|l| (l.clone(), json!(size))).collect(), in_body: *in_body }
        }
        Paging::AfterLast { limit, .. } => {
            Overrides { values: limit.iter().map(|l| (l.clone(), json!(size))).collect(), in_body: false }
        }
    }
}

/// The overrides of the request after page `page`, or `None` at the end.
fn next_page(
    paging: Option<&Paging>,
    page: u32,
    answer: &Value,
    got: &[Value],
    shape: &ListShape,
    current: &Overrides,
) -> Option<Overrides> {
    let p = paging?;
    let size = page_size(p);
    let mut next = current.clone();
    let mut set = |name: &str, value: Value| {
        next.values.retain(|(n, _)| n != name);
        next.values.push((name.to_string(), value));
    };
    match p {
        Paging::Offset { offset, strings, .. } => set(offset, number((page + 1).saturating_mul(size), *strings)),
        Paging::Page { page: name, first, strings, .. } => set(name, number(first + page + 1, *strings)),
        Paging::Cursor { next: pointers, .. } => {
            for (param, pointer) in pointers {
                let value = answer.pointer(pointer).filter(|v| !v.is_null() && *v != "")?;
                if current.values.iter().any(|(n, v)| n == param && v == value) {
                    return None;
                }
                set(param, value.clone());
            }
        }
        Paging::AfterLast { param, .. } => set(param, Value::String(id_of(got.last()?, shape)?)),
    }
    Some(next)
}
