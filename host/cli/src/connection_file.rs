//! The connection file developers hand to `weft invoke` and `weft poll`:
//!
//! ```toml
//! base_url = "http://127.0.0.1:8080"   # optional; default: the connector's first allowed host
//! location_id = "loc-1"
//! token_env = "GHL_TOKEN"              # the environment variable holding the bearer token
//! ```

use serde::Deserialize;
use serde_json::{Map, Value};
use std::path::Path;
use weft::{Connection, Secret};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConnectionFile {
    /// API origin; defaults to the connector's first allowed host.
    pub base_url: Option<String>,
    /// The GHL location (sub-account) id.
    pub location_id: Option<String>,
    /// The GHL company (agency) id.
    pub company_id: Option<String>,
    /// Name of the environment variable that holds the bearer token.
    pub token_env: Option<String>,
}

impl ConnectionFile {
    pub(crate) fn load(path: &Path) -> Result<ConnectionFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read connection file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("connection file {}: {}", path.display(), e.message()))
    }

    /// The connection's non-secret facts (`locationId`, `companyId`).
    pub(crate) fn facts(&self) -> Value {
        let mut facts = Map::new();
        if let Some(l) = &self.location_id {
            facts.insert("locationId".into(), Value::String(l.clone()));
        }
        if let Some(c) = &self.company_id {
            facts.insert("companyId".into(), Value::String(c.clone()));
        }
        Value::Object(facts)
    }

    /// The bearer token, read from `token_env` now; `None` when the file names no variable.
    pub(crate) fn token(&self) -> Result<Option<Secret>, String> {
        let Some(var) = &self.token_env else { return Ok(None) };
        let token = std::env::var(var).map_err(|_| {
            format!(
                "the environment variable `{var}` (token_env in the connection file) is not set; export the token in it"
            )
        })?;
        if token.trim().is_empty() {
            return Err(format!("the environment variable `{var}` is empty; export the token in it"));
        }
        Ok(Some(Secret::new(token)))
    }

    /// The connection, with the token read from the environment now.
    pub(crate) fn resolve(&self, default_base_url: Option<&str>) -> Result<Connection, String> {
        let base_url = self
            .base_url
            .clone()
            .or_else(|| default_base_url.map(str::to_string))
            .ok_or("the connection file has no base_url and the connector declares no host")?;
        url::Url::parse(&base_url).map_err(|e| format!("base_url `{base_url}` is not a URL: {e}"))?;
        let facts = self.facts();
        let credential = self.token()?;
        Ok(match credential {
            Some(token) => Connection::with_bearer_token(base_url, facts, &token),
            None => Connection { base_url, facts, credential: None },
        })
    }
}
