//! The hand-written actions: `find-tags`, `get-tag-details`, `get-statistics`, `best-posting-times`,
//! `list-accounts`; the generated ones are dispatched to `generated`.

use crate::api::{self, MAX_PAGE};
use crate::input::{FindTagsInput, ListAccountsInput, StatisticsInput, TagDetailsInput};
use crate::model::{StatisticsSnapshot, TagList};
use jiff::Timestamp;
use serde_json::Value;
use weft_sdk::CallContext;
use weft_sdk::ConnectorError;
use weft_sdk::Transport;

pub(crate) fn execute(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    action: &str,
    input_json: &str,
) -> Result<Value, ConnectorError> {
    match action {
        "find-tags" => to_value(find_tags(t, ctx, weft_sdk::parse_input(input_json)?)?),
        "get-tag-details" => to_value(get_tag_details(t, ctx, weft_sdk::parse_input(input_json)?)?),
        "get-statistics" => to_value(statistics_snapshot(t, ctx, weft_sdk::parse_input(input_json)?)?),
        "create-post" => to_value(crate::posting::create_post(t, ctx, weft_sdk::parse_input(input_json)?)?),
        "best-posting-times" => to_value(best_posting_times(t, ctx, weft_sdk::parse_input(input_json)?)?),
        "list-accounts" => to_value(list_accounts(t, ctx, weft_sdk::parse_input(input_json)?)?),
        other if crate::GENERATED.has_action(other) => crate::GENERATED.execute(t, ctx, other, input_json),
        other => Err(ConnectorError::invalid(
            "action",
            format!(
                "no action `{other}`; see `weft inspect` for this connector's actions (e.g. find-tags, get-statistics, best-posting-times)"
            ),
        )),
    }
}

fn to_value(v: impl serde::Serialize) -> Result<Value, ConnectorError> {
    serde_json::to_value(v).map_err(|e| ConnectorError::Internal(e.to_string()))
}

fn find_tags(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    input: FindTagsInput,
) -> Result<TagList, ConnectorError> {
    let limit = input.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ConnectorError::invalid("limit", format!("must be between 1 and {MAX_PAGE}, got {limit}")));
    }
    api::list_tags(t, ctx, input.search_text.as_deref(), limit, input.skip.unwrap_or(0))
}

fn get_tag_details(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    input: TagDetailsInput,
) -> Result<TagList, ConnectorError> {
    if input.tag_ids.is_empty() {
        return Err(ConnectorError::invalid("tagIds", "give at least one tag id"));
    }
    let tags = api::tag_details(t, ctx, &input.tag_ids)?;
    Ok(TagList { count: tags.len() as u64, tags })
}

/// Statistics of the last 7 days for the chosen accounts, stamped with the
/// period's last day so snapshots of different days can be told apart.
pub(crate) fn statistics_snapshot(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    input: StatisticsInput,
) -> Result<StatisticsSnapshot, ConnectorError> {
    if input.profile_ids.is_empty() {
        return Err(ConnectorError::invalid("profileIds", "choose at least one account"));
    }
    let mut profile_ids = input.profile_ids;
    profile_ids.sort();
    profile_ids.dedup();
    let mut platforms = input.platforms;
    platforms.sort();
    platforms.dedup();
    let statistics = api::statistics(t, ctx, &profile_ids, &platforms)?;
    let today = Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    Ok(StatisticsSnapshot {
        location_id: crate::ghl::location(ctx)?.to_string(),
        profile_ids,
        platforms,
        period_end: today.to_string(),
        period_days: 7,
        statistics,
    })
}

/// Ranks weekdays over the last 7 days' statistics and any snapshots given.
fn best_posting_times(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    input: crate::best_time::BestTimesInput,
) -> Result<crate::best_time::BestTimes, ConnectorError> {
    let zone = crate::best_time::zone(input.time_zone.as_deref())?;
    let hour = input.hour.unwrap_or(crate::best_time::DEFAULT_HOUR);
    if !(0..=23).contains(&hour) {
        return Err(ConnectorError::invalid("hour", format!("must be between 0 and 23, got {hour}")));
    }
    let latest = statistics_snapshot(
        t,
        ctx,
        StatisticsInput { profile_ids: input.profile_ids.clone(), platforms: input.platforms.clone() },
    )?;
    let mut snapshots = input.snapshots;
    // Last, so that for a day an older snapshot also covers, today's figures win.
    snapshots.push(latest);
    crate::best_time::rank(&snapshots, &input.platforms, &zone, hour, Timestamp::now())
}

fn list_accounts(
    t: &(impl Transport + ?Sized),
    ctx: &CallContext,
    input: ListAccountsInput,
) -> Result<crate::model::AccountList, ConnectorError> {
    let mut list = api::accounts(t, ctx)?;
    if let Some(platform) = input.platform.filter(|p| !p.is_empty()) {
        list.accounts.retain(|a| a.platform.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&platform)));
    }
    Ok(list)
}
