//! The rules for the names builders and operators choose: workspaces,
//! connections and subscriptions. One place, so the API and the CLI refuse
//! the same names with the same words.

/// What a name names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A workspace: part of URLs and of every key's scope.
    Workspace,
    /// A stored connection.
    Connection,
    /// A subscription.
    Subscription,
}

/// The longest name of any kind.
pub const MAX_NAME_LEN: usize = 64;

/// A name that breaks its kind's rule; the message says the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a valid {kind} name: {rule}")]
pub struct NameError {
    /// The name given.
    pub name: String,
    /// What it was meant to name.
    pub kind: &'static str,
    /// The rule, in words.
    pub rule: &'static str,
}

impl NameKind {
    fn noun(self) -> &'static str {
        match self {
            NameKind::Workspace => "workspace",
            NameKind::Connection => "connection",
            NameKind::Subscription => "subscription",
        }
    }

    /// The rule, in words.
    pub fn rule(self) -> &'static str {
        match self {
            NameKind::Workspace => "use 1 to 64 lowercase letters, digits and dashes",
            NameKind::Connection | NameKind::Subscription => {
                "use 1 to 64 letters, digits, dashes, underscores and dots, starting with a letter or digit"
            }
        }
    }

    /// `Ok` when `name` follows the rule.
    pub fn check(self, name: &str) -> Result<(), NameError> {
        let allowed = |c: char| match self {
            NameKind::Workspace => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
            NameKind::Connection | NameKind::Subscription => c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'),
        };
        let starts_well = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if name.len() <= MAX_NAME_LEN && starts_well && name.chars().all(allowed) {
            Ok(())
        } else {
            Err(NameError { name: name.to_string(), kind: self.noun(), rule: self.rule() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_their_kind_s_rule() {
        assert!(NameKind::Workspace.check("acme-2").is_ok());
        assert!(NameKind::Workspace.check("Acme").is_err());
        assert!(NameKind::Connection.check("acme.oauth_2").is_ok());
        for bad in ["", "-x", ".hidden", "a b", "a/b", "ü", &"x".repeat(65)] {
            let err = NameKind::Subscription.check(bad).expect_err(bad);
            assert!(err.to_string().contains("not a valid subscription name"), "{err}");
        }
    }
}
