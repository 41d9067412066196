//! Dynamic dropdowns.

use weft_sdk::CallContext;
use weft_sdk::Transport;
use weft_sdk::{Choice, ConnectorError};

pub(crate) fn choices(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    key: &str,
    field: &str,
) -> Result<Vec<Choice>, ConnectorError> {
    match (key, field) {
        ("create-post", "accountIds") => {
            let accounts = crate::api::accounts(t, ctx)?.accounts;
            Ok(accounts
                .into_iter()
                .map(|a| {
                    let name = a.name.clone().unwrap_or_else(|| a.id.clone());
                    let label = match a.platform.as_deref() {
                        Some(p) => format!("{name} ({p})"),
                        None => name,
                    };
                    Choice { value: a.id, label }
                })
                .collect())
        }
        ("create-post", "tagIds") => {
            let tags = crate::api::list_tags(t, ctx, None, crate::api::MAX_PAGE, 0)?.tags;
            Ok(tags.into_iter().map(|tag| Choice { value: tag.id, label: tag.tag }).collect())
        }
        ("post-statistics" | "get-statistics" | "best-posting-times", "profileIds") => {
            let accounts = crate::api::accounts(t, ctx)?.accounts;
            Ok(accounts
                .into_iter()
                .filter_map(|a| {
                    let value = a.profile_id.clone()?;
                    let name = a.name.clone().unwrap_or_else(|| value.clone());
                    let label = match a.platform.as_deref() {
                        Some(p) => format!("{name} ({p})"),
                        None => name,
                    };
                    Some(Choice { value, label })
                })
                .collect())
        }
        _ => Err(ConnectorError::invalid(
            "field",
            format!(
                "`{key}` has no dynamic choices for `{field}`; see the manifest's dynamicOptions for the fields that have them"
            ),
        )),
    }
}
