//! Which actions a workspace shows to agents. An agent acts on its own
//! judgement, so what it may touch is the builder's choice, written down:
//! reads by default, and a write or a delete only when someone allowed it by
//! name.

use serde::{Deserialize, Serialize};
use weft_manifest::{Action, ActionEffect};

/// A workspace's choice of tools. The default shows every connection's
/// read-only actions and nothing that changes an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exposure {
    /// The connections whose actions are tools, by name; absent means all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections: Option<Vec<String>>,
    /// Actions shown besides the reads, as `connection/action` or, for every
    /// connection, `action`: how a write or a delete becomes a tool.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Show only what `allow` names, not the reads besides.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_allowed: bool,
}

impl Exposure {
    /// Whether `action` of connection `connection` is a tool.
    pub fn shows(&self, connection: &str, action: &Action) -> bool {
        if self.connections.as_ref().is_some_and(|names| !names.iter().any(|n| n == connection)) {
            return false;
        }
        let named = self.allow.iter().any(|entry| match entry.split_once('/') {
            Some((conn, key)) => conn == connection && key == action.key,
            None => entry == &action.key,
        });
        named || (!self.only_allowed && action.effect() == ActionEffect::Read)
    }

    /// The entries that name nothing: a connection that does not exist, or an
    /// action no connection's connector has. `known` lists each connection
    /// with its action keys.
    pub fn unknown_entries<'a>(&self, known: &[(&'a str, Vec<&'a str>)]) -> Vec<Unknown> {
        let mut unknown = Vec::new();
        for name in self.connections.iter().flatten() {
            if !known.iter().any(|(conn, _)| conn == name) {
                unknown.push(Unknown::Connection(name.clone()));
            }
        }
        for entry in &self.allow {
            let found = match entry.split_once('/') {
                Some((conn, key)) => known.iter().any(|(c, keys)| *c == conn && keys.contains(&key)),
                None => known.iter().any(|(_, keys)| keys.contains(&entry.as_str())),
            };
            if !found {
                unknown.push(Unknown::Action(entry.clone()));
            }
        }
        unknown
    }
}

/// An entry of an [`Exposure`] that names nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// A connection the workspace does not have.
    Connection(String),
    /// An `allow` entry no connection's connector has.
    Action(String),
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unknown::Connection(name) => write!(f, "connection `{name}`"),
            Unknown::Action(entry) => write!(f, "allowed action `{entry}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(key: &str, method: &str) -> Action {
        serde_json::from_value(json!({
            "key": key, "label": key, "help": "h", "inputSchema": {"type": "object"},
            "outputSchema": {"type": "object"}, "sample": {}, "scopes": [],
            "source": {"spec": "s.json", "operationId": key, "method": method, "path": "/x"}
        }))
        .expect("an action")
    }

    #[test]
    fn reads_are_shown_and_writes_only_when_allowed() {
        let find = action("find-tags", "GET");
        let delete = action("delete-post", "DELETE");
        let default = Exposure::default();
        assert!(default.shows("acme", &find));
        assert!(!default.shows("acme", &delete));
        let allowed = Exposure { allow: vec!["acme/delete-post".into()], ..Exposure::default() };
        assert!(allowed.shows("acme", &delete));
        assert!(!allowed.shows("other", &delete), "an entry with a connection names only that connection");
        let everywhere = Exposure { allow: vec!["delete-post".into()], ..Exposure::default() };
        assert!(everywhere.shows("other", &delete));
        let only = Exposure { allow: vec!["delete-post".into()], only_allowed: true, ..Exposure::default() };
        assert!(!only.shows("acme", &find));
        let some = Exposure { connections: Some(vec!["acme".into()]), ..Exposure::default() };
        assert!(!some.shows("other", &find));
    }

    #[test]
    fn entries_that_name_nothing_are_reported() {
        let e = Exposure {
            connections: Some(vec!["acme".into(), "nope".into()]),
            allow: vec!["acme/find-tags".into(), "acme/nothing".into(), "create-post".into(), "typo".into()],
            only_allowed: false,
        };
        let known = vec![("acme", vec!["find-tags", "create-post"])];
        let unknown: Vec<String> = e.unknown_entries(&known).iter().map(ToString::to_string).collect();
        assert_eq!(unknown, ["connection `nope`", "allowed action `acme/nothing`", "allowed action `typo`"]);
    }
}
