//! Structural checks a manifest must pass before a host loads it. Schema
//! validity and samples are checked by the host, which owns the validator.

use crate::ConnectorManifest;
use std::collections::HashSet;
use std::fmt;

/// One thing wrong with a manifest, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestProblem {
    /// Where, e.g. `triggers[new-tag].poll`.
    pub at: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every structural problem of `m`; empty when it is fine.
pub fn check(m: &ConnectorManifest) -> Vec<ManifestProblem> {
    let mut problems = Vec::new();
    let mut problem = |at: String, message: String| problems.push(ManifestProblem { at, message });
    if !is_kebab(&m.id) {
        problem("id".into(), format!("`{}` must be lowercase kebab-case", m.id));
    }
    if m.name.trim().is_empty() {
        problem("name".into(), "must not be empty".into());
    }
    if m.auth.is_empty() {
        problem("auth".into(), "declare at least one way to connect".into());
    }
    for (i, origin) in m.allowed_hosts.iter().enumerate() {
        let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
            && !origin.trim_end_matches('/').contains(['?', '#', '@'])
            && origin.split("://").nth(1).is_some_and(|rest| {
                let rest = rest.trim_end_matches('/');
                !rest.is_empty() && !rest.contains('/')
            });
        if !ok {
            problem(
                format!("allowedHosts[{i}]"),
                format!("`{origin}` must be an origin like `https://api.example.com`"),
            );
        }
    }
    let mut keys = HashSet::new();
    for t in &m.triggers {
        let at = format!("triggers[{}]", t.key);
        if !is_kebab(&t.key) {
            problem(at.clone(), "key must be lowercase kebab-case".into());
        }
        if !keys.insert(("trigger", t.key.as_str())) {
            problem(at.clone(), "duplicate trigger key".into());
        }
        if t.poll.min_interval_seconds == 0 || t.poll.min_interval_seconds > t.poll.default_interval_seconds {
            problem(
                format!("{at}.poll"),
                "minIntervalSeconds must be at least 1 and at most defaultIntervalSeconds".into(),
            );
        }
        if t.start_points.is_empty() {
            problem(format!("{at}.startPoints"), "list at least `now`".into());
        }
    }
    for a in &m.actions {
        let at = format!("actions[{}]", a.key);
        if !is_kebab(&a.key) {
            problem(at.clone(), "key must be lowercase kebab-case".into());
        }
        if !keys.insert(("action", a.key.as_str())) {
            problem(at, "duplicate action key".into());
        }
    }
    if let Some(test) = m.connection_test.as_ref().filter(|t| m.action(&t.action).is_none()) {
        problem("connectionTest.action".into(), format!("`{}` is not one of the actions", test.action));
    }
    problems
}
