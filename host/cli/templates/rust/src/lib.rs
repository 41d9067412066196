//! {{title}}: a weft connector. `new-tag` polls the location's tags and
//! fires once per new one; `find-tags` searches them; its `tagIds` field is a
//! dropdown of the tags. The host attaches the credential and checks every
//! input and output against `manifest.json`; this code only speaks the API.

use serde_json::{Value, json};
use weft_sdk::cursor::RecentIds;
use weft_sdk::{
    CallContext, Choice, Connector, ConnectorError, Event, Method, PollRequest, PollResponse, Request, Transport,
    encode,
};

/// The connector.
pub struct Tags;

/// Ids remembered between polls, so each tag fires once.
const REMEMBERED: usize = 5_000;

/// The location's tags, newest first as the API lists them, as `{_id, tag}`.
fn tags(t: &dyn Transport, ctx: &CallContext, search: Option<&str>) -> Result<Vec<Value>, ConnectorError> {
    let location = ctx.require("locationId", "connect a location (sub-account): set `location_id` in the connection")?;
    let mut url = format!("{}/social-media-posting/{}/tags?limit=100&skip=0", ctx.base_url, encode(location));
    if let Some(text) = search.filter(|s| !s.is_empty()) {
        url.push_str(&format!("&searchText={}", encode(text)));
    }
    let response = t.send(Request::new(Method::Get, url).header("Version", "2021-07-28"))?;
    let message = || String::from_utf8_lossy(&response.body).chars().take(300).collect::<String>();
    match response.status {
        200..=299 => {}
        401 => return Err(ConnectorError::Unauthorized(message())),
        403 => {
            return Err(ConnectorError::Forbidden { scope: Some("socialplanner/tag.readonly".into()), message: message() });
        }
        404 => return Err(ConnectorError::NotFound(message())),
        429 => {
            let retry_after_ms = response.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(|s| s * 1000);
            return Err(ConnectorError::RateLimited { retry_after_ms, message: message() });
        }
        500..=599 => return Err(ConnectorError::Transient(format!("the API answered {}: {}", response.status, message()))),
        status => return Err(ConnectorError::upstream(Some(status), message())),
    }
    let body: Value = serde_json::from_slice(&response.body).map_err(|e| ConnectorError::upstream(None, e.to_string()))?;
    let list = body.pointer("/results/tags").and_then(Value::as_array).cloned().unwrap_or_default();
    Ok(list
        .into_iter()
        .filter(|tag| tag["deleted"] != Value::Bool(true))
        .filter_map(|tag| Some(json!({"_id": tag["_id"].as_str()?, "tag": tag["tag"].as_str()?})))
        .collect())
}

impl Connector for Tags {
    fn manifest() -> String {
        include_str!("../manifest.json").to_string()
    }

    fn execute(t: &dyn Transport, ctx: &CallContext, action: &str, input: &str) -> Result<Value, ConnectorError> {
        let input: Value = serde_json::from_str(input).map_err(|e| ConnectorError::invalid("input", e.to_string()))?;
        match action {
            "find-tags" => {
                let picked: Vec<&str> =
                    input["tagIds"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                let found = tags(t, ctx, input["searchText"].as_str())?
                    .into_iter()
                    .filter(|tag| picked.is_empty() || tag["_id"].as_str().is_some_and(|id| picked.contains(&id)))
                    .collect::<Vec<_>>();
                Ok(json!({ "tags": found }))
            }
            other => Err(ConnectorError::invalid("action", format!("no action `{other}`"))),
        }
    }

    /// `new-tag`: the seed records the tags that exist; each later poll emits
    /// the ones it has not seen, oldest first.
    fn poll(t: &dyn Transport, ctx: &CallContext, request: &PollRequest) -> Result<PollResponse, ConnectorError> {
        if request.trigger != "new-tag" {
            return Err(ConnectorError::invalid("trigger", format!("no trigger `{}`", request.trigger)));
        }
        let mut seen: RecentIds = request.cursor_as()?;
        let mut fresh: Vec<Value> = tags(t, ctx, None)?
            .into_iter()
            .filter(|tag| tag["_id"].as_str().is_some_and(|id| !seen.contains(id)))
            .collect();
        fresh.reverse();
        let limit = request.meta.limit as usize;
        let has_more = !request.meta.seed && fresh.len() > limit;
        if has_more {
            fresh.truncate(limit);
        }
        seen.remember(fresh.iter().filter_map(|tag| tag["_id"].as_str()).map(str::to_string), REMEMBERED);
        let events = match request.meta.seed {
            true => Vec::new(),
            false => fresh
                .into_iter()
                .map(|tag| Event { id: tag["_id"].as_str().unwrap_or_default().to_string(), occurred_at: None, data: tag })
                .collect(),
        };
        PollResponse::new(events, &seen, has_more)
    }

    fn choices(
        t: &dyn Transport,
        ctx: &CallContext,
        key: &str,
        field: &str,
        _input: &str,
    ) -> Result<Vec<Choice>, ConnectorError> {
        match (key, field) {
            ("find-tags", "tagIds") => Ok(tags(t, ctx, None)?
                .into_iter()
                .filter_map(|tag| Some(Choice { value: tag["_id"].as_str()?.into(), label: tag["tag"].as_str()?.into() }))
                .collect()),
            _ => Err(ConnectorError::invalid("field", format!("`{key}` has no dropdown `{field}`"))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
weft_sdk::export_connector!(Tags);
