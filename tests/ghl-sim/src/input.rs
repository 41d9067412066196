//! Lenient parsing of client input: query strings and JSON bodies never make a handler
//! fail with axum's own rejections; whatever is wrong becomes GHL's 422 message array.

use std::collections::HashMap;

use serde_json::Value;

/// Query parameters by name; a repeated name keeps every value (GHL's NestJS turns
/// repeats into arrays, which then fail string validation).
pub(crate) struct Query(HashMap<String, Vec<String>>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        let pairs = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes());
        for (name, value) in pairs {
            map.entry(name.into_owned()).or_default().push(value.into_owned());
        }
        Self(map)
    }

    /// Every value given for `name`, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0.get(name).map(|values| values.iter().map(String::as_str).collect()).unwrap_or_default()
    }

    /// `Ok(None)` when absent, `Err(())` when repeated.
    pub(crate) fn single(&self, name: &str) -> Result<Option<&str>, ()> {
        match self.0.get(name).map(Vec::as_slice) {
            None => Ok(None),
            Some([one]) => Ok(Some(one)),
            Some(_) => Err(()),
        }
    }
}

/// The JSON body as a value; anything unparsable reads as `null`, so the field checks
/// that follow name what is missing (as class-validator does for an empty body).
pub(crate) fn json_body(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}

/// Validates an array-of-strings field, pushing class-validator style messages.
/// Returns the strings when the field is a valid array.
pub(crate) fn string_array(body: &Value, field: &str, errors: &mut Vec<String>) -> Option<Vec<String>> {
    let Some(items) = body.get(field).and_then(Value::as_array) else {
        errors.push(format!("{field} must be an array"));
        return None;
    };
    let strings: Vec<String> = items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    if strings.len() != items.len() {
        errors.push(format!("each value in {field} must be a string"));
        return None;
    }
    Some(strings)
}

/// A `limit`/`skip` style parameter: the spec types them as strings of digits.
/// Digits too many for a `usize` saturate (and so fail any maximum).
pub(crate) fn number_string(query: &Query, field: &str, errors: &mut Vec<String>) -> Option<usize> {
    let text = match query.single(field) {
        Ok(None) => return None,
        Ok(Some(text)) => text,
        Err(()) => {
            errors.push(format!("{field} must be a number string"));
            return None;
        }
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(format!("{field} must be a number string"));
        return None;
    }
    Some(text.parse().unwrap_or(usize::MAX))
}
