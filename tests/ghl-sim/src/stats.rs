//! `POST /social-media-posting/statistics?locationId=…`: answers the statistics set for
//! the location (or the spec's all-zero example), narrowed to the platforms asked for.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::auth::{authorize, check_location};
use crate::errors::ApiError;
use crate::input::{Query, json_body, string_array};
use crate::state::Sim;

const STATISTICS_READ: &str = "socialplanner/statistics.readonly";
const MAX_PROFILE_IDS: usize = 100;
/// The platforms the spec's `platforms` enum allows.
pub(crate) const PLATFORMS: &[&str] =
    &["facebook", "instagram", "linkedin", "google", "pinterest", "youtube", "tiktok"];

/// The statistics answer: no `success`/`statusCode` envelope here.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Analytics {
    results: Value,
    message: &'static str,
    trace_id: String,
}

pub(crate) fn routes() -> Router<Sim> {
    Router::new().route("/social-media-posting/statistics", post(statistics))
}

async fn statistics(
    State(sim): State<Sim>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let grant = authorize(&sim, &headers, STATISTICS_READ)?;
    let query = Query::parse(raw.as_deref());
    let location_id = match query.single("locationId") {
        Ok(Some(id)) if !id.is_empty() => id.to_owned(),
        Ok(_) => return Err(unprocessable("locationId should not be empty")),
        Err(()) => return Err(unprocessable("locationId must be a string")),
    };
    check_location(&grant, &location_id)?;
    let platforms = validate_body(&json_body(&body))?;

    let mut results = sim.statistics(&location_id).unwrap_or_else(default_results);
    if let Some(platforms) = platforms {
        keep_platforms(&mut results, &platforms);
    }
    let body = Analytics { results, message: "Analytics Built Successfully", trace_id: trace_id() };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn unprocessable(message: &str) -> ApiError {
    ApiError::Unprocessable(vec![message.to_owned()])
}

/// Checks `profileIds` (≥ 1, ≤ 100) and `platforms`; returns the platform filter, if any.
fn validate_body(body: &Value) -> Result<Option<Vec<String>>, ApiError> {
    let mut errors = Vec::new();
    let profile_ids = string_array(body, "profileIds", &mut errors);
    if profile_ids.as_ref().is_some_and(Vec::is_empty) {
        errors.push("profileIds must contain at least 1 elements".to_owned());
    }
    let platforms = match body.get("platforms") {
        None | Some(Value::Null) => None,
        Some(_) => string_array(body, "platforms", &mut errors),
    };
    if let Some(platforms) = &platforms
        && platforms.iter().any(|p| !PLATFORMS.contains(&p.as_str()))
    {
        errors.push(format!("each value in platforms must be one of the following values: {}", PLATFORMS.join(", ")));
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }
    // The spec documents a 400 (not a 422) for too many accounts.
    if profile_ids.is_some_and(|ids| ids.len() > MAX_PROFILE_IDS) {
        return Err(ApiError::BadRequest(format!(
            "A maximum of {MAX_PROFILE_IDS} profileIds can be requested at once"
        )));
    }
    Ok(platforms)
}

/// Drops other platforms' keys from every per-platform map of the results.
fn keep_platforms(results: &mut Value, platforms: &[String]) {
    let keep = |map: Option<&mut Value>| {
        if let Some(Value::Object(map)) = map {
            map.retain(|platform, _| platforms.iter().any(|p| p == platform));
        }
    };
    keep(results.pointer_mut("/postPerformance/posts"));
    for metric in ["posts", "impressions", "reach"] {
        keep(results.pointer_mut(&format!("/breakdowns/{metric}/platforms")));
    }
    keep(results.pointer_mut("/breakdowns/engagement"));
    if let Some(Value::Object(totals)) = results.get_mut("platformTotals") {
        for per_platform in totals.values_mut() {
            keep(Some(per_platform));
        }
    }
}

/// A random UUID-v4-shaped trace id, as GHL puts in every statistics answer.
fn trace_id() -> String {
    let n: u128 = rand::random::<u128>() & !(0xf << 76) | (0x4 << 76);
    let n = n & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The spec's example `results`: one week, all zeros, google only.
pub(crate) fn default_results() -> Value {
    let week = json!([0, 0, 0, 0, 0, 0, 0]);
    let value_change = json!({"google": {"value": 0, "change": 0}});
    let series = json!({"google": {"total": 0, "series": week}});
    let gender = json!({"total": 0, "percentage": 0});
    json!({
        "dayRange": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "totals": {"posts": 0, "likes": 0, "followers": 0, "impressions": 0, "comments": 0},
        "postPerformance": {
            "posts": {"google": week},
            "impressions": week,
            "likes": week,
            "comments": week,
        },
        "breakdowns": {
            "posts": {"total": 0, "totalChange": 0, "platforms": value_change},
            "impressions": {"total": 0, "totalChange": 0, "platforms": value_change},
            "reach": {"total": 0, "totalChange": 0, "platforms": value_change},
            "engagement": {"google": {"likes": 0, "comments": 0, "shares": 0, "change": 0}},
        },
        "platformTotals": {"impressions": series, "followers": series, "likes": series},
        "demographics": {
            "gender": {"totals": {"male": gender, "female": gender, "unknown": gender}},
            "age": {"totals": {
                "13-17": 0, "18-24": 0, "25-34": 0, "35-44": 0,
                "45-54": 0, "55-64": 0, "65+": 0,
            }},
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_look_like_uuid_v4() {
        let id = trace_id();
        let parts: Vec<&str> = id.split('-').collect();
        let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(lens, [8, 4, 4, 4, 12], "{id}");
        assert!(parts[2].starts_with('4'), "{id}");
        assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{id}");
    }

    #[test]
    fn platform_filter_drops_other_platforms_everywhere() {
        let mut results = default_results();
        keep_platforms(&mut results, &["facebook".to_owned()]);
        let text = results.to_string();
        assert!(!text.contains("google"), "{text}");
        assert_eq!(results["totals"]["posts"], 0);
    }
}
