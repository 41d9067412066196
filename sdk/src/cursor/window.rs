//! Picks the new items of a listing that has no server-side "since" filter.
//!
//! The cursor keeps a high-water mark and the ids seen within an overlap
//! window below it. An item is new when it is stamped inside or above the
//! window and its id is not remembered, so items that show up late (stamped a
//! little before the mark) are still caught, nothing is emitted twice by the
//! connector (the host dedupes again), and the cursor stays small.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How far below the high-water mark late items are still looked for.
pub const OVERLAP: SignedDuration = SignedDuration::from_secs(120);

/// The state a windowed trigger keeps between polls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowCursor {
    /// The newest stamp handed out (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hwm: Option<Timestamp>,
    /// Event ids already handed out that are stamped within the window.
    #[serde(default)]
    pub recent: BTreeMap<String, Timestamp>,
}

/// An item with the id and stamp of the event it would become.
pub struct Stamped<T> {
    /// The event's id.
    pub event_id: String,
    /// The time it is ordered and windowed by.
    pub stamp: Timestamp,
    /// The item itself.
    pub item: T,
}

/// What one poll emits.
pub struct Selection<T> {
    /// What to emit, oldest first.
    pub items: Vec<Stamped<T>>,
    /// The cursor to return.
    pub cursor: WindowCursor,
    /// Whether more were held back by the limit.
    pub has_more: bool,
}

/// Where a poll looks from: the cursor's window, else `since`, else everything.
pub fn lower_bound(cursor: &WindowCursor, since: Option<Timestamp>) -> Option<Timestamp> {
    match cursor.hwm {
        Some(hwm) => Some(hwm - OVERLAP),
        None => since,
    }
}

/// Chooses the items to emit, oldest first, at most `limit`; when seeding,
/// only records the newest items so later polls start from now.
pub fn select<T>(
    items: Vec<Stamped<T>>,
    cursor: &WindowCursor,
    since: Option<Timestamp>,
    seed: bool,
    limit: usize,
) -> Selection<T> {
    let newest = items.iter().map(|i| i.stamp).max();
    let bound = lower_bound(cursor, since);
    let mut fresh: Vec<Stamped<T>> = items
        .into_iter()
        .filter(|i| bound.is_none_or(|b| i.stamp >= b) && !cursor.recent.contains_key(&i.event_id))
        .collect();
    fresh.sort_by(|a, b| (a.stamp, &a.event_id).cmp(&(b.stamp, &b.event_id)));

    let mut next = cursor.clone();
    let (taken, has_more) = if seed && cursor.hwm.is_none() {
        // Everything that exists counts as seen: move the mark to the newest
        // item and hand back the ones inside the window for the host to record.
        if let Some(newest) = newest {
            next.hwm = Some(next.hwm.map_or(newest, |h| h.max(newest)));
        }
        let floor = next.hwm.map(|h| h - OVERLAP);
        fresh.retain(|i| floor.is_none_or(|f| i.stamp >= f));
        // The cursor remembers all of them, even those past the limit: they
        // existed at the seed, so no later poll may emit them as new.
        for item in &fresh {
            next.recent.insert(item.event_id.clone(), item.stamp);
        }
        let skip = fresh.len().saturating_sub(limit);
        (fresh.split_off(skip), false)
    } else {
        let has_more = fresh.len() > limit;
        fresh.truncate(limit);
        (fresh, has_more)
    };
    for item in &taken {
        next.hwm = Some(next.hwm.map_or(item.stamp, |h| h.max(item.stamp)));
        next.recent.insert(item.event_id.clone(), item.stamp);
    }
    if let Some(hwm) = next.hwm {
        let floor = hwm - OVERLAP;
        next.recent.retain(|_, stamp| *stamp >= floor);
    }
    Selection { items: taken, cursor: next, has_more }
}

/// Parses an API time stamp; items without one sort first and age out.
pub fn stamp(value: Option<&str>) -> Timestamp {
    value.and_then(|v| v.parse::<Timestamp>().ok()).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("valid stamp")
    }

    fn items(list: &[(&str, &str)]) -> Vec<Stamped<()>> {
        list.iter().map(|(id, t)| Stamped { event_id: id.to_string(), stamp: at(t), item: () }).collect()
    }

    fn ids<T>(s: &Selection<T>) -> Vec<&str> {
        s.items.iter().map(|i| i.event_id.as_str()).collect()
    }

    #[test]
    fn a_seed_records_what_exists_and_the_next_poll_emits_only_newcomers() {
        let existing = [("a", "2026-01-01T00:00:00Z"), ("b", "2026-01-01T10:00:00Z")];
        let seeded = select(items(&existing), &WindowCursor::default(), None, true, 100);
        assert_eq!(seeded.cursor.hwm, Some(at("2026-01-01T10:00:00Z")));
        let mut now = existing.to_vec();
        now.push(("c", "2026-01-01T10:00:01Z"));
        let next = select(items(&now), &seeded.cursor, None, false, 100);
        assert_eq!(ids(&next), ["c"]);
        let again = select(items(&now), &next.cursor, None, false, 100);
        assert!(again.items.is_empty());
    }

    #[test]
    fn a_seed_with_more_in_the_window_than_the_limit_never_emits_them_later() {
        let existing = [("a", "2026-01-01T10:00:00Z"), ("b", "2026-01-01T10:00:10Z"), ("c", "2026-01-01T10:00:20Z")];
        let seeded = select(items(&existing), &WindowCursor::default(), None, true, 1);
        assert_eq!(ids(&seeded), ["c"], "the seed reports at most the limit");
        let next = select(items(&existing), &seeded.cursor, None, false, 100);
        assert!(next.items.is_empty(), "what existed at the seed is not new: {:?}", ids(&next));
    }

    #[test]
    fn a_late_item_inside_the_overlap_is_caught_once() {
        let cursor = select(items(&[("a", "2026-01-01T10:00:00Z")]), &WindowCursor::default(), None, true, 100).cursor;
        let late = [("a", "2026-01-01T10:00:00Z"), ("late", "2026-01-01T09:59:00Z")];
        let next = select(items(&late), &cursor, None, false, 100);
        assert_eq!(ids(&next), ["late"]);
        assert!(select(items(&late), &next.cursor, None, false, 100).items.is_empty());
    }

    #[test]
    fn a_limit_spreads_a_backlog_over_polls_oldest_first_without_repeats() {
        let all: Vec<(String, String)> =
            (0..5).map(|i| (format!("t{i}"), "2026-01-01T00:00:00Z".to_string())).collect();
        let list = || all.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect::<Vec<_>>();
        let first = select(items(&list()), &WindowCursor::default(), None, false, 2);
        assert_eq!((ids(&first), first.has_more), (vec!["t0", "t1"], true));
        let second = select(items(&list()), &first.cursor, None, false, 2);
        assert_eq!((ids(&second), second.has_more), (vec!["t2", "t3"], true));
        let third = select(items(&list()), &second.cursor, None, false, 2);
        assert_eq!((ids(&third), third.has_more), (vec!["t4"], false));
    }

    #[test]
    fn since_limits_a_first_poll() {
        let list = [("old", "2025-12-31T00:00:00Z"), ("new", "2026-01-02T00:00:00Z")];
        let s = select(items(&list), &WindowCursor::default(), Some(at("2026-01-01T00:00:00Z")), false, 10);
        assert_eq!(ids(&s), ["new"]);
    }

    #[test]
    fn the_cursor_forgets_ids_below_the_window() {
        let list = [("a", "2026-01-01T00:00:00Z"), ("b", "2026-01-01T01:00:00Z")];
        let s = select(items(&list), &WindowCursor::default(), None, false, 10);
        assert_eq!(s.cursor.recent.keys().collect::<Vec<_>>(), ["b"]);
    }
}
