//! Dynamic dropdowns: the choices of an input field come from a list
//! operation (calendars, pipelines, users, custom fields, …).

use crate::paging::{id_of, read_all};
use crate::table::Table;
use serde_json::{Map, Value};
use weft_sdk::CallContext;
use weft_sdk::Choice;
use weft_sdk::ConnectorError;
use weft_sdk::Transport;

/// Pages of choices read at most.
const MAX_PAGES: u32 = 5;

/// The choices of `field` of trigger or action `key`, given the input so far.
pub(crate) fn choices(
    t: &(impl Transport + ?Sized),
    table: &Table,
    ctx: &CallContext,
    key: &str,
    field: &str,
    input: &Map<String, Value>,
) -> Result<Vec<Choice>, ConnectorError> {
    let dropdown = table
        .dropdowns
        .iter()
        .find(|d| d.field == field && d.keys.iter().any(|k| k == key))
        .ok_or_else(|| ConnectorError::invalid("field", format!("`{key}` has no dynamic choices for `{field}`")))?;
    let op = table
        .operation(&dropdown.operation)
        .ok_or_else(|| ConnectorError::internal(format!("dropdown `{field}` uses an unknown operation")))?;
    let shape = op.list.as_ref().ok_or_else(|| ConnectorError::internal(format!("`{}` is not a list", op.key)))?;
    // The listing gets only what it declares from the builder's input.
    let wanted: Vec<&str> = op
        .params
        .iter()
        .map(|p| p.field.as_str())
        .chain(op.body.iter().flat_map(|b| b.fields.iter().map(|f| f.field.as_str())))
        .collect();
    let input: Map<String, Value> =
        input.iter().filter(|(k, _)| wanted.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let listing = read_all(t, table, op, ctx, &input, MAX_PAGES)?;
    Ok(listing
        .items
        .iter()
        .filter_map(|item| {
            let value = id_of(item, shape)?;
            let label = shape
                .label
                .as_deref()
                .and_then(|l| item.get(l))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| value.clone());
            Some(Choice { value, label })
        })
        .collect())
}
