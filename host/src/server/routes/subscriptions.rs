//! Subscriptions: create, list, get, pause, resume, delete; events by
//! cursor; deliveries and replay.

use crate::server::AppState;
use crate::server::auth::Workspace;
use crate::server::problem::{ApiJson, ApiQuery, Problem};
use crate::store::{
    Delivery, DeliveryStatus, Destination, Start, StoredEvent, Subscription, SubscriptionState, SubscriptionStore,
};
use crate::subscriptions::{self, NewSubscription};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_subscription, list_subscriptions))
        .routes(routes!(get_subscription, change_subscription, delete_subscription))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(events))
        .routes(routes!(deliveries))
        .routes(routes!(replay))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct CreateSubscription {
    /// The subscription's name: letters, digits, dashes, underscores and dots.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub name: String,
    /// The connector's id (see `GET /v1/connectors`).
    pub connector: String,
    /// The trigger's key.
    pub trigger: String,
    /// The connection's name.
    #[schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    pub connection: String,
    /// The trigger's input, valid against its input schema.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: Option<Value>,
    /// Seconds between polls (60 to 900, never below the trigger's minimum;
    /// up to 86,400 for a reconciling poll); default: the trigger's.
    #[serde(default, deserialize_with = "crate::server::lenient::option_u32")]
    #[schema(minimum = 60, maximum = 86400)]
    pub interval_seconds: Option<u32>,
    /// For an instant trigger whose manifest says `reconcile`: also poll its
    /// listing every `intervalSeconds` to catch what a lost webhook missed
    /// (default true); `true` is refused for any other trigger.
    #[serde(default)]
    pub reconcile: Option<bool>,
    /// `now` (default), `all`, or an RFC 3339 time.
    #[serde(default)]
    #[schema(pattern = r"^(now|all|[0-9]{4}-[0-9]{2}-[0-9]{2}T.+)$")]
    pub start: Option<String>,
    /// A webhook URL, `file:PATH`, `stdout` or `pull`.
    #[schema(pattern = r"^(https?://[^\s]+|pull)$")]
    pub destination: String,
    /// The webhook signing secret; generated (and returned once) when absent.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// A jq program run on each event's data before delivery, e.g.
    /// `{name: .tag, id: ._id}`; it must yield one JSON object. Checked now on
    /// the trigger's sample.
    #[serde(default)]
    pub mapping: Option<String>,
    /// A JSON Schema the (mapped) data must match; an event whose data does
    /// not is dead-lettered with the reason.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub destination_schema: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct SubscriptionChange {
    /// A new mapping; `null` or blank removes it; absent keeps it.
    #[serde(default, deserialize_with = "crate::server::lenient::present")]
    #[schema(value_type = Option<String>)]
    pub mapping: Option<Option<String>>,
    /// A new destination schema; `null` removes it; absent keeps it.
    #[serde(default, deserialize_with = "crate::server::lenient::present")]
    #[schema(value_type = Option<Object>)]
    pub destination_schema: Option<Option<Value>>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedSubscription {
    pub subscription: Subscription,
    /// The generated webhook signing secret; returned only now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

async fn find(state: &AppState, workspace: &str, name: &str) -> Result<Subscription, Problem> {
    state
        .store
        .subscription(workspace, name)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no subscription named `{name}`")))
}

/// Subscribes to a trigger.
#[utoipa::path(post, path = "/v1/subscriptions", tag = "subscriptions", request_body = CreateSubscription,
    responses((status = 201, body = CreatedSubscription), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn create_subscription(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    ApiJson(body): ApiJson<CreateSubscription>,
) -> Result<(StatusCode, Json<CreatedSubscription>), Problem> {
    state.connections.get(&workspace, &body.connection).await?;
    let new = NewSubscription {
        workspace,
        name: body.name,
        connector: body.connector,
        trigger: body.trigger,
        connection: body.connection,
        input: body.input.unwrap_or_else(|| Value::Object(Default::default())),
        interval_secs: body.interval_seconds,
        reconcile: body.reconcile,
        start: Start::parse(body.start.as_deref().unwrap_or("now"))
            .map_err(|e| Problem::invalid(e).with_field(Some("/start".into())))?,
        destination: Destination::parse(&body.destination)
            .map_err(|e| Problem::invalid(e).with_field(Some("/destination".into())))?,
        webhook_secret: body.webhook_secret,
        mapping: body.mapping,
        destination_schema: body.destination_schema,
    };
    if matches!(new.destination, Destination::File { .. } | Destination::Stdout) {
        return Err(Problem::invalid(
            "the server delivers to webhooks or keeps events for pulling; use a URL or `pull`",
        )
        .with_field(Some("/destination".into())));
    }
    let checked = subscriptions::validate(&new, &state.registry)?;
    subscriptions::check_destination(&new.destination, &state.destinations).await?;
    let mut new = new;
    subscriptions::check_mapping(&mut new, &state.registry, &state.mapper).await?;
    let (subscription, webhook_secret) = subscriptions::build(new, checked, &state.vault);
    state.store.insert_subscription(&subscription).await?;
    Ok((StatusCode::CREATED, Json(CreatedSubscription { subscription, webhook_secret })))
}

/// Lists the workspace's subscriptions with their state and last error.
#[utoipa::path(get, path = "/v1/subscriptions", tag = "subscriptions",
    responses((status = 200, body = Vec<Subscription>)), security(("api_key" = [])))]
async fn list_subscriptions(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
) -> Result<Json<Vec<Subscription>>, Problem> {
    Ok(Json(state.store.subscriptions(&workspace).await?))
}

/// One subscription.
#[utoipa::path(get, path = "/v1/subscriptions/{name}", tag = "subscriptions", params(("name" = String, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn get_subscription(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
) -> Result<Json<Subscription>, Problem> {
    Ok(Json(find(&state, &workspace, &name).await?))
}

/// Changes a subscription's mapping or destination schema, checked as on
/// creation. Events not yet delivered (and dead letters replayed later) go
/// out with the new one.
#[utoipa::path(patch, path = "/v1/subscriptions/{name}", tag = "subscriptions", params(("name" = String, Path)),
    request_body = SubscriptionChange,
    responses((status = 200, body = Subscription), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn change_subscription(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<SubscriptionChange>,
) -> Result<Json<Subscription>, Problem> {
    let mut sub = find(&state, &workspace, &name).await?;
    let mut check = NewSubscription {
        workspace,
        name: sub.name.clone(),
        connector: sub.connector.clone(),
        trigger: sub.trigger.clone(),
        connection: sub.connection.clone(),
        input: sub.input.clone(),
        interval_secs: Some(sub.interval_secs),
        reconcile: Some(sub.reconcile),
        start: sub.start.clone(),
        destination: sub.destination.clone(),
        webhook_secret: None,
        mapping: body.mapping.unwrap_or(sub.mapping.take()),
        destination_schema: body.destination_schema.unwrap_or(sub.destination_schema.take()),
    };
    subscriptions::check_mapping(&mut check, &state.registry, &state.mapper).await?;
    sub.mapping = check.mapping;
    sub.destination_schema = check.destination_schema;
    // The secret stays as it is (`None` keeps the stored one).
    sub.webhook_secret = None;
    state.store.update_subscription_spec(&sub).await?;
    Ok(Json(find(&state, &check.workspace, &name).await?))
}

/// Deletes a subscription with its events and deliveries.
#[utoipa::path(delete, path = "/v1/subscriptions/{name}", tag = "subscriptions", params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn delete_subscription(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
) -> Result<StatusCode, Problem> {
    let sub = find(&state, &workspace, &name).await?;
    state.store.delete_subscription(&sub.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Pauses polling.
#[utoipa::path(post, path = "/v1/subscriptions/{name}/pause", tag = "subscriptions", params(("name" = String, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn pause(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
) -> Result<Json<Subscription>, Problem> {
    let sub = find(&state, &workspace, &name).await?;
    state.store.set_state(&sub.id, SubscriptionState::Paused, Some("paused by a person")).await?;
    Ok(Json(find(&state, &workspace, &name).await?))
}

/// Resumes polling (also after the host paused it on errors).
#[utoipa::path(post, path = "/v1/subscriptions/{name}/resume", tag = "subscriptions", params(("name" = String, Path)),
    responses((status = 200, body = Subscription), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn resume(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
) -> Result<Json<Subscription>, Problem> {
    let sub = find(&state, &workspace, &name).await?;
    state.store.set_state(&sub.id, SubscriptionState::Active, None).await?;
    Ok(Json(find(&state, &workspace, &name).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsQuery {
    /// Events after this sequence number (the `next` of the previous page); 0 for the first.
    #[param(minimum = 0, nullable = false, required = false)]
    #[serde(default, deserialize_with = "crate::server::lenient::option_i64")]
    pub after: Option<i64>,
    /// At most this many (1-1000, default 100).
    #[param(minimum = 1, maximum = 1000, nullable = false, required = false)]
    #[serde(default, deserialize_with = "crate::server::lenient::option_u32")]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EventPage {
    pub events: Vec<StoredEvent>,
    /// Pass as `after` for the next page.
    pub next: i64,
}

/// Events by cursor, for builders that pull.
#[utoipa::path(get, path = "/v1/subscriptions/{name}/events", tag = "subscriptions",
    params(("name" = String, Path), EventsQuery),
    responses((status = 200, body = EventPage), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn events(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<EventPage>, Problem> {
    let sub = find(&state, &workspace, &name).await?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(Problem::invalid("`after` is a sequence number, 0 or more").with_field(Some("after".into())));
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::invalid("`limit` is 1 to 1000").with_field(Some("limit".into())));
    }
    let events = subscriptions::events(&*state.store, &sub, after, limit).await?;
    let next = events.last().map_or(after, |e| e.seq);
    Ok(Json(EventPage { events, next }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeliveriesQuery {
    /// `pending`, `delivered` or `dead`.
    #[param(nullable = false, required = false)]
    pub status: Option<DeliveryStatus>,
}

/// Deliveries with their status, newest first.
#[utoipa::path(get, path = "/v1/subscriptions/{name}/deliveries", tag = "subscriptions",
    params(("name" = String, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<Delivery>), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn deliveries(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<Vec<Delivery>>, Problem> {
    let sub = find(&state, &workspace, &name).await?;
    Ok(Json(subscriptions::deliveries(&*state.store, &sub, q.status).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReplayRequest {
    /// One dead delivery's sequence number; all dead ones when absent.
    #[serde(default, deserialize_with = "crate::server::lenient::option_i64")]
    #[schema(minimum = 1)]
    pub seq: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Replayed {
    pub replayed: u64,
}

/// Puts dead-lettered deliveries back in the outbox.
#[utoipa::path(post, path = "/v1/subscriptions/{name}/deliveries/replay", tag = "subscriptions",
    params(("name" = String, Path)), request_body = ReplayRequest,
    responses((status = 200, body = Replayed), (status = "4XX", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = [])))]
async fn replay(
    State(state): State<AppState>,
    Workspace(workspace): Workspace,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<ReplayRequest>,
) -> Result<Json<Replayed>, Problem> {
    let sub = find(&state, &workspace, &name).await?;
    if body.seq.is_some_and(|seq| seq < 1) {
        return Err(
            Problem::invalid("`seq` is a delivery's sequence number, 1 or more").with_field(Some("/seq".into()))
        );
    }
    let replayed = state.store.replay(&sub.id, body.seq, jiff::Timestamp::now().as_millisecond()).await?;
    state.wake.notify_one();
    Ok(Json(Replayed { replayed }))
}
