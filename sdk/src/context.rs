//! The connection facts a call runs with.

use crate::ConnectorError;
use serde_json::{Map, Value};

/// What the host tells the connector about the connection. The credential
/// is not here: the host adds it to the requests it lets through.
#[derive(Debug, Clone, PartialEq)]
pub struct CallContext {
    /// API origin (and path prefix, if any), without a trailing slash.
    pub base_url: String,
    /// Non-secret facts: for GHL `locationId`, `companyId`, `userId`,
    /// `tokenKind`, granted `scopes`.
    pub facts: Map<String, Value>,
}

impl CallContext {
    /// Reads the context the host passed; the facts must be a JSON object
    /// (empty text reads as no facts).
    pub fn from_host(base_url: &str, connection_json: &str) -> Result<Self, ConnectorError> {
        let text = if connection_json.trim().is_empty() { "{}" } else { connection_json };
        let facts = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(ConnectorError::invalid(
                    "connection",
                    "the host passed connection facts that are not an object",
                ));
            }
            Err(e) => {
                return Err(ConnectorError::invalid(
                    "connection",
                    format!("the host passed unreadable connection facts: {e}"),
                ));
            }
        };
        Ok(CallContext { base_url: base_url.trim_end_matches('/').to_string(), facts })
    }

    /// A context with these facts (tests, benchmarks).
    pub fn new(base_url: &str, facts: Value) -> Self {
        let facts = match facts {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        CallContext { base_url: base_url.trim_end_matches('/').to_string(), facts }
    }

    /// A fact as text, when it is a non-empty string.
    pub fn fact(&self, name: &str) -> Option<&str> {
        self.facts.get(name).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
    }

    /// A fact the call cannot do without; `hint` tells the user how to get it.
    pub fn require(&self, name: &str, hint: &str) -> Result<&str, ConnectorError> {
        self.fact(name).ok_or_else(|| ConnectorError::invalid(format!("connection.{name}"), hint))
    }

    /// The kind of token the connection holds: the `tokenKind` fact, else
    /// `location` when it names a location, else `company` when it names only
    /// a company. `None` when the facts do not say.
    pub fn token_kind(&self) -> Option<&str> {
        match self.fact("tokenKind") {
            Some(kind) => Some(kind),
            None if self.fact("locationId").is_some() => Some("location"),
            None if self.fact("companyId").is_some() => Some("company"),
            None => None,
        }
    }

    /// Refuses an operation the connection's token kind cannot call, before
    /// any request is made, with what to do instead.
    pub fn check_token_kind(&self, key: &str, accepted: &[String]) -> Result<(), ConnectorError> {
        let Some(kind) = self.token_kind() else { return Ok(()) };
        if accepted.is_empty() || accepted.iter().any(|a| a == kind) {
            return Ok(());
        }
        let wanted = accepted.join(" or ");
        Err(ConnectorError::invalid(
            "connection",
            format!(
                "`{key}` needs a {wanted} token, but this connection holds a {kind} token; connect an account of that kind"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_kind_comes_from_the_facts() {
        let ctx = |facts: &str| CallContext::from_host("http://x/", facts).expect("facts");
        assert_eq!(ctx(r#"{"locationId":"l"}"#).token_kind(), Some("location"));
        assert_eq!(ctx(r#"{"companyId":"c"}"#).token_kind(), Some("company"));
        assert_eq!(ctx(r#"{"companyId":"c","tokenKind":"company","locationId":"l"}"#).token_kind(), Some("company"));
        assert_eq!(ctx("{}").token_kind(), None);
        assert_eq!(ctx("{}").base_url, "http://x");
    }

    #[test]
    fn a_wrong_token_kind_is_refused_with_the_kind_needed() {
        let ctx = CallContext::from_host("http://x", r#"{"locationId":"l"}"#).expect("facts");
        let err = ctx.check_token_kind("get-company", &["company".into()]).expect_err("refused");
        assert!(err.to_string().contains("needs a company token"), "{err}");
        assert!(ctx.check_token_kind("get-contact", &["location".into()]).is_ok());
        assert!(ctx.check_token_kind("any", &[]).is_ok());
    }

    #[test]
    fn a_required_fact_names_itself_and_says_what_to_do() {
        let ctx = CallContext::new("http://x", serde_json::json!({"locationId": " "}));
        let err = ctx.require("locationId", "connect a location").expect_err("blank");
        assert_eq!(err, ConnectorError::invalid("connection.locationId", "connect a location"));
        assert!(CallContext::from_host("http://x", "[1]").is_err());
    }
}
