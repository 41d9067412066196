//! Trigger state. A cursor is JSON the host stores with a poll's events, in
//! one transaction, and hands back on the next poll; these helpers read and
//! write it and keep it small.
//!
//! - [`window`]: for listings with no server-side "since" filter: a
//!   high-water mark and the ids seen in an overlap window below it.
//! - [`RecentIds`]: the ids already emitted, bounded, oldest forgotten first.

pub mod window;

use crate::ConnectorError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Reads a stored cursor; none (or `null`) reads as `T::default()`. An
/// unreadable one is refused naming `cursor`, so the builder is told to reset
/// the subscription instead of getting repeats.
pub fn read<T: DeserializeOwned + Default>(cursor: Option<&str>) -> Result<T, ConnectorError> {
    match cursor.map(str::trim) {
        None | Some("") | Some("null") => Ok(T::default()),
        Some(json) => serde_json::from_str(json).map_err(|e| {
            ConnectorError::invalid(
                "cursor",
                format!("the stored trigger state is unreadable ({e}); reset the subscription"),
            )
        }),
    }
}

/// Writes a cursor as JSON.
pub fn write(cursor: &impl Serialize) -> Result<String, ConnectorError> {
    serde_json::to_string(cursor).map_err(|e| ConnectorError::internal(format!("writing the cursor: {e}")))
}

/// Event ids already emitted, oldest first, at most a cap. Serialised as a
/// plain list of ids.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecentIds(Vec<String>);

impl RecentIds {
    /// Whether `id` is remembered.
    pub fn contains(&self, id: &str) -> bool {
        self.0.iter().any(|known| known == id)
    }

    /// The remembered ids as a set, for checking many at once.
    pub fn as_set(&self) -> HashSet<&str> {
        self.0.iter().map(String::as_str).collect()
    }

    /// Remembers `ids`, then forgets the oldest beyond `cap`.
    pub fn remember<I: IntoIterator<Item = String>>(&mut self, ids: I, cap: usize) {
        self.0.extend(ids);
        let excess = self.0.len().saturating_sub(cap);
        self.0.drain(..excess);
    }

    /// How many are remembered.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_cursor_reads_as_the_default_and_a_broken_one_names_the_cursor() {
        let empty: RecentIds = read(None).expect("none");
        assert!(empty.is_empty());
        assert_eq!(read::<RecentIds>(Some(" null ")).expect("null"), RecentIds::default());
        let err = read::<RecentIds>(Some("{nope")).expect_err("broken");
        assert!(matches!(err, ConnectorError::InvalidInput { field: Some(ref f), .. } if f == "cursor"), "{err}");
    }

    #[test]
    fn recent_ids_forget_the_oldest_past_the_cap() {
        let mut ids = RecentIds::default();
        ids.remember(["a", "b", "c"].map(String::from), 2);
        assert!(!ids.contains("a") && ids.contains("b") && ids.contains("c"));
        assert_eq!(write(&ids).expect("json"), r#"["b","c"]"#);
    }
}
