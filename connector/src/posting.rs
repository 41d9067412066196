//! `create-post`: a post for the chosen accounts, sent now, at the best time
//! the statistics show, or at a local time in the builder's time zone. The
//! full request shape stays available as the generated `create-post-advanced`.

use crate::api;
use crate::best_time::{self, BestTimes};
use crate::model::StatisticsSnapshot;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::AmbiguousOffset;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use weft_sdk::CallContext;
use weft_sdk::ConnectorError;
use weft_sdk::Transport;

/// Input of the `create-post` action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CreatePostInput {
    /// The accounts to post to (pick from the list).
    #[schemars(length(min = 1, max = 100))]
    #[schemars(title = "Accounts")]
    pub account_ids: Vec<String>,
    /// The text of the post.
    #[schemars(length(min = 1))]
    #[schemars(title = "Text")]
    pub summary: String,
    /// Public URLs of images or videos to attach.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_urls: Vec<String>,
    /// Tags to file the post under (pick from the list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_ids: Vec<String>,
    /// `now`; `best` (the next best day from these accounts' statistics); or a local date and time such as
    /// `2026-12-01T09:30` in `timeZone`.
    #[schemars(title = "When")]
    pub when: String,
    /// Your time zone (IANA name, e.g. `Europe/Berlin`), for a local time and for `best`. Default: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// For `best`: the local hour (0–23) to post at. Default: 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 23))]
    pub hour: Option<i8>,
    /// For `best`: earlier statistics snapshots (events of the Post statistics trigger) to rank over weeks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub snapshots: Vec<StatisticsSnapshot>,
    /// The GHL user the post is created by.
    #[schemars(title = "Posted by (user id)")]
    pub user_id: String,
}

/// Output of `create-post`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedPost {
    /// The post as GHL answered it.
    pub post: Value,
    /// When it goes out (UTC).
    pub scheduled_for: String,
    /// The same instant in the chosen time zone.
    pub scheduled_local: String,
    /// For `best`: the ranking it used and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<BestTimes>,
}

/// When a post goes out, and (for `best`) what decided it.
fn resolve_when(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    input: &CreatePostInput,
    zone: &jiff::tz::TimeZone,
    now: Timestamp,
) -> Result<(Timestamp, Option<BestTimes>), ConnectorError> {
    match input.when.trim() {
        "now" => Ok((now, None)),
        "best" => {
            let accounts = api::accounts(t, ctx)?.accounts;
            let mut profile_ids = Vec::new();
            for id in &input.account_ids {
                let account = accounts.iter().find(|a| &a.id == id).ok_or_else(|| {
                    ConnectorError::invalid(
                        "accountIds",
                        format!("no connected account `{id}`; pick one from the list"),
                    )
                })?;
                profile_ids.extend(account.profile_id.clone());
            }
            let latest = crate::actions::statistics_snapshot(
                t,
                ctx,
                crate::input::StatisticsInput { profile_ids, platforms: Vec::new() },
            )?;
            let mut snapshots = input.snapshots.clone();
            snapshots.push(latest);
            let hour = input.hour.unwrap_or(best_time::DEFAULT_HOUR);
            let best = best_time::rank(&snapshots, &[], zone, hour, now)?;
            let at: Timestamp = best
                .next_slot_utc
                .parse()
                .map_err(|e| ConnectorError::Internal(format!("the best slot is unreadable: {e}")))?;
            Ok((at, Some(best)))
        }
        local => {
            let dt: DateTime = local.parse().map_err(|_| {
                ConnectorError::invalid(
                    "when",
                    format!("`{local}` is not `now`, `best`, or a local date and time such as 2026-12-01T09:30"),
                )
            })?;
            let ambiguous = zone.to_ambiguous_zoned_datetime(dt);
            if let AmbiguousOffset::Gap { .. } = ambiguous.offset() {
                return Err(ConnectorError::invalid(
                    "when",
                    format!("{local} does not exist in {} (the clocks skip it); choose another time", zone_name(zone)),
                ));
            }
            // In a fold (the clocks go back), the first of the two instants.
            let at = ambiguous.compatible().map_err(|e| ConnectorError::invalid("when", e.to_string()))?.timestamp();
            if at <= now {
                return Err(ConnectorError::invalid("when", format!("{local} in {} is in the past", zone_name(zone))));
            }
            Ok((at, None))
        }
    }
}

fn zone_name(zone: &jiff::tz::TimeZone) -> String {
    zone.iana_name().unwrap_or("UTC").to_string()
}

pub(crate) fn create_post(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    input: CreatePostInput,
) -> Result<CreatedPost, ConnectorError> {
    if input.account_ids.is_empty() {
        return Err(ConnectorError::invalid("accountIds", "choose at least one account"));
    }
    let zone = best_time::zone(input.time_zone.as_deref())?;
    let (at, best) = resolve_when(t, ctx, &input, &zone, Timestamp::now())?;
    let media: Vec<Value> = input.media_urls.iter().map(|url| json!({ "url": url })).collect();
    let body = json!({
        "accountIds": input.account_ids,
        "summary": input.summary,
        "media": media,
        "tags": input.tag_ids,
        "type": "post",
        "status": "scheduled",
        "scheduleDate": crate::ghl::timestamp(at),
        "userId": input.user_id,
    });
    let answer = crate::GENERATED.execute(t, ctx, "create-post-advanced", &body.to_string())?;
    let post = answer.pointer("/results/post").cloned().unwrap_or(answer);
    Ok(CreatedPost {
        post,
        scheduled_for: at.to_string(),
        scheduled_local: at.to_zoned_datetime(zone).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        best,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_sdk::{Request, Response, TransportError};

    /// A transport that must not be reached: the local-time paths decide without the API.
    struct Unreachable;
    impl Transport for Unreachable {
        fn send(&self, _: Request) -> Result<Response, TransportError> {
            Err(TransportError::Io("not expected".into()))
        }
    }

    fn input(when: &str, zone: &str) -> CreatePostInput {
        CreatePostInput {
            account_ids: vec!["a".into()],
            summary: "s".into(),
            when: when.into(),
            time_zone: Some(zone.into()),
            user_id: "u".into(),
            ..Default::default()
        }
    }

    fn when(local: &str, zone: &str) -> Result<Timestamp, ConnectorError> {
        let ctx = CallContext::from_host("http://x", r#"{"locationId":"loc"}"#)?;
        let z = best_time::zone(Some(zone))?;
        let now: Timestamp = "2026-03-01T00:00:00Z".parse().map_err(|_| ConnectorError::Internal("now".into()))?;
        resolve_when(&Unreachable, &ctx, &input(local, zone), &z, now).map(|(at, _)| at)
    }

    #[test]
    fn local_times_keep_their_wall_clock_across_daylight_saving() {
        // Berlin: winter (+01:00) on 2026-03-28, summer (+02:00) from 2026-03-29 03:00.
        assert_eq!(
            when("2026-03-28T09:30", "Europe/Berlin").map(|t| t.to_string()).ok(),
            Some("2026-03-28T08:30:00Z".into())
        );
        assert_eq!(
            when("2026-03-30T09:30", "Europe/Berlin").map(|t| t.to_string()).ok(),
            Some("2026-03-30T07:30:00Z".into())
        );
    }

    #[test]
    fn a_time_the_clocks_skip_or_a_past_time_is_refused_naming_when() {
        for (local, why) in
            [("2026-03-29T02:30", "does not exist"), ("2026-02-01T09:00", "in the past"), ("tomorrow", "not `now`")]
        {
            match when(local, "Europe/Berlin") {
                Err(ConnectorError::InvalidInput { field, message }) => {
                    assert_eq!(field.as_deref(), Some("when"));
                    assert!(message.contains(why), "{message}");
                }
                other => panic!("{local}: {other:?}"),
            }
        }
    }
}
