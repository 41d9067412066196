//! The state file of `weft poll`: the trigger's cursor and the ids already
//! printed, so each event is printed once across runs.

use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::path::Path;

/// Ids remembered per state file: enough for dedupe, not everything forever.
pub(crate) const SEEN_CAP: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PollState {
    pub connector: String,
    pub trigger: String,
    pub cursor: Option<String>,
    /// Event ids already delivered or recorded, oldest first.
    pub seen: VecDeque<String>,
    pub updated_at: String,
}

impl PollState {
    pub(crate) fn new(connector: &str, trigger: &str) -> Self {
        PollState {
            connector: connector.into(),
            trigger: trigger.into(),
            cursor: None,
            seen: VecDeque::new(),
            updated_at: jiff::Timestamp::now().to_string(),
        }
    }

    /// The state in `path`, or `None` when the file does not exist yet.
    pub(crate) fn load(path: &Path) -> Result<Option<PollState>, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| {
                format!("state file {} is not a weft poll state ({e}); delete it to start over", path.display())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read state file {}: {e}", path.display())),
        }
    }

    /// Writes atomically: a crash leaves the old state or the new one, never half.
    pub(crate) fn save(&mut self, path: &Path) -> Result<(), String> {
        self.updated_at = jiff::Timestamp::now().to_string();
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| format!("cannot write state file {}: {e}", path.display()))
    }

    /// Remembers `id`; false when it was already known.
    pub(crate) fn remember(&mut self, id: &str, index: &mut HashSet<String>) -> bool {
        if !index.insert(id.to_string()) {
            return false;
        }
        self.seen.push_back(id.to_string());
        while self.seen.len() > SEEN_CAP {
            if let Some(old) = self.seen.pop_front() {
                index.remove(&old);
            }
        }
        true
    }
}
