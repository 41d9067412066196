//! What can be checked from the manifest alone, beyond what loading it
//! checks (structure, schemas that compile, samples that match): that a
//! builder can fill in every form, and that keys look like they will last.

use super::report::Report;
use serde_json::Value;
use weft::ConnectorManifest;

/// The longest key that still reads well in a form and in a tool name.
const MAX_KEY: usize = 48;

/// Why `key` does not look stable, if it does not: a version, a counter or a
/// generated id in a key changes when the connector does, and every
/// subscription naming the key breaks.
fn unstable(key: &str) -> Option<String> {
    if key.len() > MAX_KEY {
        return Some(format!("is {} characters; keep keys under {MAX_KEY}", key.len()));
    }
    for part in key.split('-') {
        let versioned = part.len() > 1 && part.starts_with('v') && part[1..].chars().all(|c| c.is_ascii_digit());
        if versioned {
            return Some(format!("carries a version (`{part}`); a key must outlive versions, so drop it"));
        }
        let generated =
            part.len() >= 8 && part.chars().all(|c| c.is_ascii_hexdigit()) && part.chars().any(|c| c.is_ascii_digit());
        if generated {
            return Some(format!("carries what looks like a generated id (`{part}`); name what the key does"));
        }
    }
    if key.rsplit('-').next().is_some_and(|last| !last.is_empty() && last.chars().all(|c| c.is_ascii_digit())) {
        return Some("ends in a number, as a renamed duplicate would; name what makes it different".into());
    }
    None
}

/// The top-level required fields of `schema` without a label (`title`) or help (`description`).
fn unlabelled_required(schema: &Value) -> Vec<String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
    let properties = schema.get("properties");
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|field| {
            let p = properties.and_then(|p| p.get(field));
            let missing: Vec<&str> = [("title", "label (title)"), ("description", "help (description)")]
                .into_iter()
                .filter(|(k, _)| !text(p.and_then(|p| p.get(*k))))
                .map(|(_, what)| what)
                .collect();
            (!missing.is_empty()).then(|| format!("`{field}` has no {}", missing.join(" and no ")))
        })
        .collect()
}

/// The manifest checks, one finding per trigger and action.
pub(crate) fn check(m: &ConnectorManifest, report: &mut Report) {
    report.pass(
        "manifest",
        "manifest",
        format!(
            "valid; {} trigger(s), {} action(s); every schema compiles and every sample matches its output schema",
            m.triggers.len(),
            m.actions.len()
        ),
    );
    let entries = m
        .triggers
        .iter()
        .map(|t| ("trigger", &t.key, &t.label, &t.help, &t.input_schema, t.dynamic_options.iter().map(|d| &d.field)))
        .map(|(k, key, label, help, schema, fields)| (k, key, label, help, schema, fields.collect::<Vec<_>>()))
        .chain(m.actions.iter().map(|a| {
            ("action", &a.key, &a.label, &a.help, &a.input_schema, a.dynamic_options.iter().map(|d| &d.field).collect())
        }));
    for (kind, key, label, help, schema, dropdowns) in entries {
        let subject = format!("{kind} {key}");
        let mut problems = Vec::new();
        if label.trim().is_empty() {
            problems.push("has no label".to_string());
        }
        if help.trim().is_empty() {
            problems.push("has no help".to_string());
        }
        problems.extend(unlabelled_required(schema));
        for field in dropdowns {
            if schema.get("properties").and_then(|p| p.get(field)).is_none() {
                problems.push(format!("declares a dropdown for `{field}`, which is not an input field"));
            }
        }
        if problems.is_empty() {
            report.pass("form", &subject, "label, help, and a label and help for every required input");
        } else {
            report.fail("form", &subject, format!("{}; builders fill this form in", problems.join("; ")));
        }
        match unstable(key) {
            Some(why) => report.fail("key", &subject, format!("`{key}` {why}")),
            None => report.pass("key", &subject, "stable-looking"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_will_change_are_named() {
        assert_eq!(unstable("new-tag"), None);
        assert_eq!(unstable("get-tiktok-business-profile"), None);
        assert!(unstable("find-tags-v2").is_some_and(|w| w.contains("version")));
        assert!(unstable("find-tags-2").is_some_and(|w| w.contains("number")));
        assert!(unstable("op-3f9a1c7e").is_some_and(|w| w.contains("generated")));
        assert!(unstable(&"a".repeat(60)).is_some());
    }

    #[test]
    fn a_required_input_needs_a_label_and_help() {
        let schema = serde_json::json!({
            "type": "object", "required": ["a", "b", "c"],
            "properties": {"a": {"title": "A", "description": "The a."}, "b": {"title": "B"}, "c": {}}
        });
        assert_eq!(
            unlabelled_required(&schema),
            ["`b` has no help (description)", "`c` has no label (title) and no help (description)"]
        );
    }
}
