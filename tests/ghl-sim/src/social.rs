//! The social planner tag and account routes (spec: apps/social-media-posting.json).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use crate::auth::{authorize, check_location};
use crate::errors::ApiError;
use crate::input::{Query, json_body, number_string, string_array};
use crate::model::{Account, Tag};
use crate::state::Sim;

const TAG_READ: &str = "socialplanner/tag.readonly";
const ACCOUNT_READ: &str = "socialplanner/account.readonly";
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;
const MAX_TAG_IDS: usize = 100;

/// GHL's success envelope, fields in the order GHL sends them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    success: bool,
    status_code: u16,
    message: &'static str,
    results: T,
}

impl<T: Serialize> Envelope<T> {
    fn respond(status: StatusCode, message: &'static str, results: T) -> Response {
        let status_code = status.as_u16();
        let body = Self { success: true, status_code, message, results };
        (status, Json(body)).into_response()
    }
}

#[derive(Serialize)]
struct Tags<'a> {
    tags: &'a [&'a Tag],
    count: usize,
}

#[derive(Serialize)]
struct Accounts {
    accounts: Vec<Account>,
    groups: Vec<serde_json::Value>,
}

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/social-media-posting/{locationId}/tags", get(list_tags))
        .route("/social-media-posting/{locationId}/tags/details", post(tags_by_ids))
        .route("/social-media-posting/{locationId}/accounts", get(list_accounts))
}

/// `GET /social-media-posting/{locationId}/tags`: newest first, paged by offset.
async fn list_tags(
    State(sim): State<Sim>,
    Path(location_id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let grant = authorize(&sim, &headers, TAG_READ)?;
    check_location(&grant, &location_id)?;
    let query = Query::parse(raw.as_deref());
    let mut errors = Vec::new();
    let limit = number_string(&query, "limit", &mut errors).unwrap_or(DEFAULT_LIMIT);
    let skip = number_string(&query, "skip", &mut errors).unwrap_or(0);
    if limit > MAX_LIMIT {
        errors.push(format!("limit must not be greater than {MAX_LIMIT}"));
    }
    let search = match query.single("searchText") {
        Ok(text) => text.unwrap_or_default().to_lowercase(),
        Err(()) => {
            errors.push("searchText must be a string".to_owned());
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }

    let mut tags: Vec<Tag> = sim.tags(&location_id);
    tags.retain(|t| !t.deleted && t.tag.to_lowercase().contains(&search));
    tags.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let count = tags.len();
    let page: Vec<&Tag> = tags.iter().skip(skip).take(limit).collect();
    let results = Tags { tags: &page, count };
    let message = "Fetched Tags by Location ID";
    Ok(Envelope::respond(StatusCode::OK, message, results))
}

/// `POST /social-media-posting/{locationId}/tags/details`: a read that answers 201,
/// in the order asked, deleted tags included, unknown ids skipped.
async fn tags_by_ids(
    State(sim): State<Sim>,
    Path(location_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let grant = authorize(&sim, &headers, TAG_READ)?;
    check_location(&grant, &location_id)?;
    let body = json_body(&body);
    let mut errors = Vec::new();
    let ids = string_array(&body, "tagIds", &mut errors).unwrap_or_default();
    if ids.len() > MAX_TAG_IDS {
        errors.push(format!("tagIds must contain no more than {MAX_TAG_IDS} elements"));
    }
    if !errors.is_empty() {
        return Err(ApiError::Unprocessable(errors));
    }

    let known = sim.tags(&location_id);
    let mut found: Vec<&Tag> = Vec::new();
    for id in &ids {
        let tag = known.iter().find(|t| &t.id == id);
        if let Some(tag) = tag.filter(|t| !found.iter().any(|f| f.id == t.id)) {
            found.push(tag);
        }
    }
    let results = Tags { tags: &found, count: found.len() };
    let message = "Fetched Tags by Tag IDs";
    Ok(Envelope::respond(StatusCode::CREATED, message, results))
}

/// `GET /social-media-posting/{locationId}/accounts`: connected accounts; no groups.
async fn list_accounts(
    State(sim): State<Sim>,
    Path(location_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let grant = authorize(&sim, &headers, ACCOUNT_READ)?;
    check_location(&grant, &location_id)?;
    let results = Accounts { accounts: sim.accounts(&location_id), groups: Vec::new() };
    Ok(Envelope::respond(StatusCode::OK, "Fetched Accounts", results))
}
