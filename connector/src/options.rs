//! Dynamic dropdowns.

use crate::context::CallContext;
use crate::transport::Transport;
use crate::{Choice, ConnectorError};

pub fn choices(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    key: &str,
    field: &str,
) -> Result<Vec<Choice>, ConnectorError> {
    match (key, field) {
        ("post-statistics" | "get-statistics", "profileIds") => {
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
                "`{key}` has no dynamic choices for `{field}`; only profileIds of post-statistics and get-statistics"
            ),
        )),
    }
}
