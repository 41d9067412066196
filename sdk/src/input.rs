//! Reading what builders filled in. The host has already checked an input
//! against the schema, so these only fail when a connector is called
//! directly or its schema and its types disagree.

use crate::ConnectorError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

fn or_empty_object(json: &str) -> &str {
    if json.trim().is_empty() { "{}" } else { json }
}

/// Decodes an input into `T`; empty text reads as `{}`.
pub fn parse_input<T: DeserializeOwned>(json: &str) -> Result<T, ConnectorError> {
    serde_json::from_str(or_empty_object(json))
        .map_err(|e| ConnectorError::InvalidInput { field: None, message: format!("input does not fit: {e}") })
}

/// An input as a JSON object; empty text reads as `{}`.
pub fn input_object(json: &str) -> Result<Map<String, Value>, ConnectorError> {
    match serde_json::from_str::<Value>(or_empty_object(json)) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ConnectorError::InvalidInput { field: None, message: "the input must be a JSON object".into() }),
        Err(e) => Err(ConnectorError::InvalidInput { field: None, message: format!("the input is not JSON: {e}") }),
    }
}
