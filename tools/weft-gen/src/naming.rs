//! Names, labels and help text, derived mechanically from the structure of an
//! operation. Help text is ours: it says what the action calls, what it
//! needs and what it returns; it never repeats the document's descriptions.

/// `getAllSchedules`, `get-association-by-ID`, `GET-all_templates` → kebab-case.
pub(crate) fn kebab(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let boundary = c.is_ascii_uppercase()
                && i > 0
                && (chars[i - 1].is_ascii_lowercase()
                    || chars[i - 1].is_ascii_digit()
                    || chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase()) && chars[i - 1].is_ascii_uppercase());
            if boundary && !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// `kebab-case-words` → `Kebab case words`.
pub(crate) fn sentence(kebab: &str) -> String {
    let words: Vec<&str> = kebab.split('-').filter(|w| !w.is_empty()).collect();
    let mut out = words.join(" ");
    if let Some(first) = out.get(0..1) {
        out = first.to_ascii_uppercase() + &out[1..];
    }
    out
}

/// A short label from the operation's summary when it is label-like (a few
/// words), else from its operationId.
pub(crate) fn label(summary: Option<&str>, operation_id: &str) -> String {
    let summary = summary.map(str::trim).filter(|s| !s.is_empty());
    match summary {
        Some(s) if s.split_whitespace().count() <= 6 && !s.contains(['.', ':', ';', '(']) => {
            let lowered: Vec<String> = s
                .split_whitespace()
                .enumerate()
                .map(|(i, w)| {
                    // `SMS`, `SaaS`, `iOS`: a capital after the first letter keeps the word as written.
                    let acronym = w.chars().skip(1).any(|c| c.is_ascii_uppercase());
                    if i == 0 || acronym { w.to_string() } else { w.to_lowercase() }
                })
                .collect();
            lowered.join(" ")
        }
        _ => sentence(&kebab(operation_id)),
    }
}

/// `contacts` → `contact`, `categories` → `category`, `addresses` → `address`.
pub(crate) fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_string();
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_string();
    }
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// `contactId` → `Contact id`, for input field titles.
pub(crate) fn field_title(name: &str) -> String {
    sentence(&kebab(name))
}

/// What an action's help says, from its structure.
pub(crate) struct HelpFacts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub required: Vec<String>,
    pub scopes: &'a [String],
    pub token_kinds: &'a [String],
    pub lists: bool,
    pub output_described: bool,
    pub deprecated: bool,
}

fn kinds_text(kinds: &[String]) -> Option<String> {
    let names: Vec<&str> = kinds
        .iter()
        .map(|k| match k.as_str() {
            "company" => "an agency (company)",
            "location" => "a sub-account (location)",
            other => other,
        })
        .collect();
    (!names.is_empty()).then(|| format!("Works with {} token.", names.join(" or ")))
}

/// Help text for a generated action.
pub(crate) fn action_help(f: &HelpFacts<'_>) -> String {
    let mut parts = vec![format!("Sends `{} {}`", f.method, f.path)];
    if f.required.is_empty() {
        parts[0].push('.');
    } else {
        let names: Vec<String> = f.required.iter().map(|r| format!("`{r}`")).collect();
        parts[0].push_str(&format!(" with {}.", names.join(", ")));
    }
    parts.push(
        match (f.lists, f.output_described) {
            (true, _) => "Returns one page of the list, as the API answers it.",
            (false, true) => "Returns the API's answer as it comes.",
            (false, false) => "Returns the API's answer; its shape is not documented.",
        }
        .to_string(),
    );
    if !f.scopes.is_empty() {
        parts.push(format!(
            "Needs the scope {}.",
            f.scopes.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(" or ")
        ));
    }
    parts.extend(kinds_text(f.token_kinds));
    if f.deprecated {
        parts.push("The API marks this operation deprecated.".into());
    }
    parts.join(" ")
}

/// Help text for a generated trigger.
pub(crate) fn trigger_help(method: &str, path: &str, id: &str, updated: Option<&str>) -> String {
    let base = format!(
        "Polls `{method} {path}` and fires once for each item with a new `{id}`. The first poll records what \
         exists; later polls fire only for what is new."
    );
    match updated {
        Some(field) => format!("{base} Fires again each time an item's `{field}` changes."),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_become_kebab_keys() {
        assert_eq!(kebab("getAllSchedules"), "get-all-schedules");
        assert_eq!(kebab("get-association-by-ID"), "get-association-by-id");
        assert_eq!(kebab("GET-all-or-email-sms-templates"), "get-all-or-email-sms-templates");
        assert_eq!(kebab("Upsert-opportunity"), "upsert-opportunity");
        assert_eq!(kebab("upload-file-customFields"), "upload-file-custom-fields");
        assert_eq!(kebab("HTMLPage_v2"), "html-page-v2");
    }

    #[test]
    fn labels_come_from_short_summaries_or_the_id() {
        assert_eq!(label(Some("Get Contact"), "get-contact"), "Get contact");
        assert_eq!(label(Some("Create Relation for you associated entities."), "create-relation"), "Create relation");
        assert_eq!(label(Some("Get Sub-Account (Formerly location)"), "get-location"), "Get location");
        assert_eq!(label(Some("Update SaaS plan"), "x"), "Update SaaS plan");
    }

    #[test]
    fn plurals_become_singular() {
        for (plural, one) in
            [("contacts", "contact"), ("categories", "category"), ("addresses", "address"), ("status", "status")]
        {
            assert_eq!(singular(plural), one);
        }
    }
}
