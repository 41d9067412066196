//! The connection facts a call runs with.

use crate::ConnectorError;
use serde::Deserialize;

/// What the host tells the connector about the connection. The token is not
/// here: the host adds it to requests itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallContext {
    /// API origin, e.g. `https://services.leadconnectorhq.com`.
    pub base_url: String,
    /// The GHL location (sub-account) the connection is for.
    pub location_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConnectionFacts {
    location_id: Option<String>,
}

impl CallContext {
    /// Reads the context the host passed; the connection JSON must name a location.
    pub fn from_host(base_url: &str, connection_json: &str) -> Result<Self, ConnectorError> {
        let facts: ConnectionFacts = serde_json::from_str(connection_json).map_err(|e| {
            ConnectorError::invalid("connection", format!("the host passed unreadable connection facts: {e}"))
        })?;
        let location_id = facts.location_id.filter(|l| !l.trim().is_empty()).ok_or_else(|| {
            ConnectorError::invalid(
                "connection.locationId",
                "this connection has no GHL location id; connect a sub-account (location) or set `location_id` in the connection",
            )
        })?;
        Ok(CallContext { base_url: base_url.trim_end_matches('/').to_string(), location_id })
    }
}
