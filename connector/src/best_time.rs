//! `best-posting-times`: ranks weekdays by engagement per post, from the
//! daily series of the statistics: the last 7 days the API gives now, plus
//! any earlier snapshots a workflow kept (the `post-statistics` trigger's
//! events), so the ranking can cover weeks.
//!
//! The statistics have no hour of day, so only weekdays are ranked; the next
//! slot is the best weekday at the hour the builder chooses, in their time
//! zone (daylight-saving changes move the UTC instant, never the local time).

use crate::model::{Platform, StatisticsSnapshot};
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use weft_sdk::ConnectorError;

/// Fewer posts than this over the whole data, and the ranking says it is guessing.
pub(crate) const MIN_POSTS: u64 = 5;
/// Fewer weekdays with posts than this, likewise: one day cannot be compared.
pub(crate) const MIN_WEEKDAYS: usize = 2;
/// The rule used when the data is too thin: mid-week mornings.
pub(crate) const FALLBACK_DAYS: [Weekday; 3] = [Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday];
/// The local hour of the next slot when the builder does not choose one.
pub(crate) const DEFAULT_HOUR: i8 = 10;

/// Input of the `best-posting-times` action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BestTimesInput {
    /// The connected accounts to rank for (their profile ids; pick from the list).
    #[schemars(length(min = 1, max = 100))]
    #[schemars(title = "Accounts")]
    pub profile_ids: Vec<String>,
    /// Count only posts on these platforms. Leave empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<Platform>,
    /// Earlier statistics (events of the `post-statistics` trigger, or outputs of `get-statistics`), to rank
    /// over more than the last 7 days. A day that several snapshots cover is counted once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<StatisticsSnapshot>,
    /// Your time zone (IANA name, e.g. `Europe/Berlin`) for the next slot. Default: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The local hour (0–23) of the next slot. Default: 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 23))]
    pub hour: Option<i8>,
}

/// One weekday's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WeekdayFigures {
    /// `monday` … `sunday`.
    pub weekday: String,
    /// Posts published on this weekday in the data.
    pub posts: u64,
    /// Likes and comments on those days.
    pub engagement: u64,
    /// Engagement divided by posts; what the ranking orders by.
    pub engagement_per_post: f64,
    /// Days of the data that fell on this weekday.
    pub days: u32,
}

/// Output of `best-posting-times`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BestTimes {
    /// Weekdays with posts, best first. With too little data, the fallback days instead.
    pub ranking: Vec<String>,
    /// Whether the ranking rests on the data (`true`) or on the fallback rule (`false`).
    pub enough_data: bool,
    /// What the ranking rests on, in words.
    pub basis: String,
    /// The figures per weekday it used, in ranking order (weekdays without posts last).
    pub figures: Vec<WeekdayFigures>,
    /// The first and last day of the data (UTC dates).
    pub from: Option<String>,
    pub to: Option<String>,
    /// The next time on the best weekday at the chosen hour, in the chosen time zone (RFC 3339 with offset).
    pub next_slot: String,
    /// The same instant in UTC, ready for a schedule field.
    pub next_slot_utc: String,
}

/// Per-day figures, keyed by UTC date.
#[derive(Debug, Clone, Copy, Default)]
struct Day {
    posts: u64,
    engagement: u64,
}

fn count(n: Option<&serde_json::Number>) -> u64 {
    n.and_then(|n| n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))).unwrap_or(0)
}

/// The days a snapshot covers, with their posts (on the chosen platforms) and engagement.
fn days_of(snapshot: &StatisticsSnapshot, platforms: &[Platform]) -> Result<Vec<(Date, Day)>, ConnectorError> {
    let end: Date = snapshot.period_end.parse().map_err(|e| {
        ConnectorError::invalid("snapshots", format!("periodEnd `{}` is not a date: {e}", snapshot.period_end))
    })?;
    let perf = &snapshot.statistics.post_performance;
    let len = perf.likes.len().max(perf.comments.len()).max(perf.posts.values().map(Vec::len).max().unwrap_or(0));
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let back = i64::try_from(len - 1 - i).unwrap_or(0);
        let date = end.checked_sub(back.days()).map_err(|e| ConnectorError::invalid("snapshots", e.to_string()))?;
        let posts = perf
            .posts
            .iter()
            .filter(|(platform, _)| platforms.is_empty() || platforms.iter().any(|p| p.as_str() == platform.as_str()))
            .map(|(_, series)| count(series.get(i)))
            .sum();
        let engagement = count(perf.likes.get(i)) + count(perf.comments.get(i));
        out.push((date, Day { posts, engagement }));
    }
    Ok(out)
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// Ranks the weekdays over `snapshots` (later snapshots win for a day they share).
pub(crate) fn rank(
    snapshots: &[StatisticsSnapshot],
    platforms: &[Platform],
    zone: &TimeZone,
    hour: i8,
    now: Timestamp,
) -> Result<BestTimes, ConnectorError> {
    let mut by_date: BTreeMap<Date, Day> = BTreeMap::new();
    let mut ordered: Vec<&StatisticsSnapshot> = snapshots.iter().collect();
    ordered.sort_by(|a, b| a.period_end.cmp(&b.period_end));
    for snapshot in ordered {
        for (date, day) in days_of(snapshot, platforms)? {
            by_date.insert(date, day);
        }
    }
    let mut per_weekday: BTreeMap<i8, WeekdayFigures> = BTreeMap::new();
    for (date, day) in &by_date {
        let w = date.weekday();
        let f = per_weekday.entry(w.to_monday_one_offset()).or_insert_with(|| WeekdayFigures {
            weekday: weekday_name(w).into(),
            posts: 0,
            engagement: 0,
            engagement_per_post: 0.0,
            days: 0,
        });
        f.posts += day.posts;
        f.engagement += day.engagement;
        f.days += 1;
    }
    let mut figures: Vec<WeekdayFigures> = per_weekday.into_values().collect();
    for f in &mut figures {
        f.engagement_per_post = if f.posts > 0 { f.engagement as f64 / f.posts as f64 } else { 0.0 };
    }
    // Best first; weekdays without posts last; ties keep Monday-first order.
    figures.sort_by(|a, b| {
        (b.posts > 0).cmp(&(a.posts > 0)).then(b.engagement_per_post.total_cmp(&a.engagement_per_post))
    });
    let posts: u64 = figures.iter().map(|f| f.posts).sum();
    let with_posts: Vec<&WeekdayFigures> = figures.iter().filter(|f| f.posts > 0).collect();
    let enough_data = posts >= MIN_POSTS && with_posts.len() >= MIN_WEEKDAYS;
    let (ranking, basis, best) = if enough_data {
        let ranking: Vec<String> = with_posts.iter().map(|f| f.weekday.clone()).collect();
        let basis = format!(
            "{posts} posts over {} days on {} weekdays, ranked by likes and comments per post",
            by_date.len(),
            with_posts.len()
        );
        let best = by_date.keys().find(|d| weekday_name(d.weekday()) == ranking[0]).map(|d| d.weekday());
        (ranking, basis, best.unwrap_or(FALLBACK_DAYS[0]))
    } else {
        let basis = format!(
            "too little data ({posts} posts on {} weekdays; at least {MIN_POSTS} posts on {MIN_WEEKDAYS} weekdays are needed): \
             falling back to Tuesday, Wednesday and Thursday mornings",
            with_posts.len()
        );
        (FALLBACK_DAYS.iter().map(|w| weekday_name(*w).to_string()).collect(), basis, FALLBACK_DAYS[0])
    };
    let slot = next_slot(now, zone, best, hour)?;
    Ok(BestTimes {
        ranking,
        enough_data,
        basis,
        figures,
        from: by_date.keys().next().map(ToString::to_string),
        to: by_date.keys().next_back().map(ToString::to_string),
        next_slot: slot.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        next_slot_utc: slot.timestamp().to_string(),
    })
}

/// The first `weekday` at `hour`:00 local time strictly after `now`, in `zone`.
/// Built from the local date and time, so a daylight-saving change between
/// now and then keeps the local hour and moves the UTC instant.
pub(crate) fn next_slot(
    now: Timestamp,
    zone: &TimeZone,
    weekday: Weekday,
    hour: i8,
) -> Result<jiff::ZonedDateTime, ConnectorError> {
    let here = now.to_zoned_datetime(zone.clone());
    let bad = |e: jiff::Error| ConnectorError::invalid("hour", e.to_string());
    for ahead in 0..=7 {
        let date = here.date().checked_add(ahead.days()).map_err(bad)?;
        if date.weekday() != weekday {
            continue;
        }
        let at = date.at(hour, 0, 0, 0).to_zoned_datetime(zone.clone()).map_err(bad)?;
        if at.timestamp() > now {
            return Ok(at);
        }
    }
    Err(ConnectorError::Internal("no slot within 8 days".into()))
}

/// The time zone a builder named, or UTC.
pub(crate) fn zone(name: Option<&str>) -> Result<TimeZone, ConnectorError> {
    match name.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(TimeZone::UTC),
        Some(name) => TimeZone::get(name).map_err(|_| {
            ConnectorError::invalid(
                "timeZone",
                format!("`{name}` is not an IANA time zone name such as `Europe/Berlin`"),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PostPerformance, Statistics};
    use serde_json::Number;

    fn snapshot(end: &str, posts: [u64; 7], likes: [u64; 7]) -> StatisticsSnapshot {
        StatisticsSnapshot {
            location_id: "loc".into(),
            profile_ids: vec!["p".into()],
            platforms: vec![],
            period_end: end.into(),
            period_days: 7,
            statistics: Statistics {
                post_performance: PostPerformance {
                    posts: [("facebook".to_string(), posts.iter().map(|n| Number::from(*n)).collect())].into(),
                    likes: likes.iter().map(|n| Number::from(*n)).collect(),
                    comments: vec![Number::from(0); 7],
                    impressions: vec![],
                },
                ..Default::default()
            },
        }
    }

    #[test]
    fn the_weekday_with_most_engagement_per_post_ranks_first() {
        // 2026-11-22 is a Sunday: the period runs Monday 16th .. Sunday 22nd.
        let s = snapshot("2026-11-22", [1, 1, 2, 1, 1, 0, 0], [10, 10, 80, 20, 5, 0, 0]);
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().expect("time");
        let best = rank(&[s], &[], &TimeZone::UTC, 10, now).expect("rank");
        assert!(best.enough_data, "{}", best.basis);
        assert_eq!(best.ranking, ["wednesday", "thursday", "monday", "tuesday", "friday"]);
        assert_eq!(best.figures[0].engagement_per_post, 40.0);
        assert_eq!(best.next_slot_utc, "2026-11-25T10:00:00Z");
    }

    #[test]
    fn earlier_snapshots_add_weeks_and_shared_days_count_once() {
        let week1 = snapshot("2026-11-15", [2, 0, 0, 0, 0, 0, 0], [200, 0, 0, 0, 0, 0, 0]);
        let week2 = snapshot("2026-11-22", [0, 1, 1, 1, 0, 0, 0], [0, 10, 10, 10, 0, 0, 0]);
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().expect("time");
        let best = rank(&[week2.clone(), week1.clone(), week2], &[], &TimeZone::UTC, 10, now).expect("rank");
        assert_eq!(best.ranking[0], "monday", "{:?}", best.figures);
        assert_eq!(best.from.as_deref(), Some("2026-11-09"));
        assert_eq!(best.figures.iter().map(|f| f.days).sum::<u32>(), 14);
    }

    #[test]
    fn too_little_data_falls_back_to_mid_week_and_says_so() {
        let s = snapshot("2026-11-22", [1, 0, 0, 0, 0, 0, 0], [50, 0, 0, 0, 0, 0, 0]);
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().expect("time");
        let best = rank(&[s], &[], &TimeZone::UTC, 10, now).expect("rank");
        assert!(!best.enough_data);
        assert_eq!(best.ranking, ["tuesday", "wednesday", "thursday"]);
        assert!(best.basis.contains("too little data"), "{}", best.basis);
    }

    #[test]
    fn a_daylight_saving_change_keeps_the_local_hour() {
        let berlin = zone(Some("Europe/Berlin")).expect("zone");
        // Summer time ends on Sunday 2026-10-25 in Berlin.
        let before: Timestamp = "2026-10-22T12:00:00Z".parse().expect("time");
        let slot = next_slot(before, &berlin, Weekday::Monday, 10).expect("slot");
        assert_eq!(slot.strftime("%Y-%m-%dT%H:%M%:z").to_string(), "2026-10-26T10:00+01:00");
        assert_eq!(slot.timestamp().to_string(), "2026-10-26T09:00:00Z");
        let summer = next_slot(before, &berlin, Weekday::Friday, 10).expect("slot");
        assert_eq!(summer.timestamp().to_string(), "2026-10-23T08:00:00Z");
        assert!(zone(Some("Mars/Olympus")).is_err());
    }
}
