//! `weft serve`: the operator's server and the builder's API. One process
//! runs the HTTP API, the scheduler and the deliverer over one store.

mod auth;
mod documented;
mod lenient;
mod problem;
mod reload;
mod routes;

pub use problem::Problem;
pub use reload::{LoadReport, load_dir};

use crate::connections::Connections;
use crate::host::{Host, Workers};
use crate::runtime::{Registry, Runtime};
use crate::secret::Secret;
use crate::store::SqlStore;
use crate::vault::Vault;
use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// The largest request body the API reads; a larger one is a 413 problem.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The engine every call runs in.
    pub runtime: Arc<Runtime>,
    /// The database: workspaces, keys, connections, subscriptions and their outbox.
    pub store: Arc<SqlStore>,
    /// The connectors loaded, by id; reloading a component replaces its entry.
    pub registry: Arc<Registry>,
    /// The connections of every workspace, and their OAuth flow.
    pub connections: Arc<Connections>,
    /// Seals the webhook secrets of new subscriptions.
    pub vault: Arc<Vault>,
    /// Wakes the deliverer, e.g. after a replay put deliveries back in the outbox.
    pub wake: Arc<Notify>,
    /// The admin key, which manages workspaces and API keys; `None` turns the admin routes off.
    pub admin_key: Option<Secret>,
    /// The URL builders reach this server at; the OAuth callback URL is built on it.
    pub public_url: String,
    /// Cleared when shutdown begins, so `/readyz` answers 503.
    pub ready: Arc<AtomicBool>,
    /// Where webhooks may be delivered, checked when subscriptions are created.
    pub destinations: Arc<crate::egress::DestinationPolicy>,
    /// Runs field mappings (previews, and checks of new subscriptions').
    pub mapper: Arc<crate::mapping::LazyMapper>,
    /// Receives apps' webhooks for instant triggers.
    pub hooks: Arc<crate::hooks::Receiver>,
    /// This process's name on its leases; `None` when it runs no workers.
    pub owner: Option<Arc<str>>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "weft", description = "Connectors as sandboxed WebAssembly components: connections, triggers, actions."),
    modifiers(&SecuritySchemes),
    components(schemas(crate::error::ErrorCode)),
    tags((name = "connectors"), (name = "connections"), (name = "subscriptions"), (name = "admin"), (name = "console"), (name = "hooks"), (name = "mcp"))
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build())
        };
        components.add_security_scheme("api_key", bearer("A workspace's API key."));
        components.add_security_scheme("admin", bearer("The admin key."));
    }
}

/// The API and its OpenAPI document.
pub fn router(state: AppState) -> Router {
    let (api, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::admin::routes())
        .merge(routes::connectors::routes())
        .merge(routes::connections::routes())
        .merge(routes::subscriptions::routes())
        .merge(routes::console::routes())
        .merge(routes::mapping::routes())
        .merge(routes::hooks::routes())
        .merge(routes::mcp::routes())
        .split_for_parts();
    let mut doc = doc;
    // After the routes are merged: it documents each of them.
    documented::StandardProblems.modify(&mut doc);
    let doc = Arc::new(doc);
    api.route(
        "/v1/openapi.json",
        get(move || {
            let doc = doc.clone();
            async move { axum::Json((*doc).clone()) }
        }),
    )
    .route("/healthz", get(routes::ops::healthz))
    .route("/readyz", get(routes::ops::readyz))
    .route("/metrics", get(routes::ops::metrics))
    .merge(routes::console::pages())
    .fallback(|| async { Problem::not_found("no such route; see /v1/openapi.json") })
    .method_not_allowed_fallback(|| async {
        Problem::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            crate::error::ErrorCode::MethodNotAllowed,
            "this route does not take that method; see /v1/openapi.json",
        )
    })
    .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
    .with_state(state.clone())
    // The MCP endpoint has its own key check and body limit (see routes::mcp).
    .merge(routes::mcp::endpoint(state))
    .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// A running server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    workers: Workers,
    ready: Arc<AtomicBool>,
    /// Kept open (with its data directory's lock) as long as the server runs.
    _host: Arc<Host>,
}

impl Running {
    /// Graceful stop: `/readyz` answers 503 first, for `[server] drain_ms`
    /// while the API still serves; then no new polls, the API stops
    /// accepting, and what is in flight (calls, polls, deliveries) finishes
    /// and commits.
    pub async fn shutdown(self) {
        self.ready.store(false, Ordering::SeqCst);
        let drain = std::time::Duration::from_millis(self._host.config().server.drain_ms);
        tracing::info!(drain_ms = drain.as_millis() as u64, "not ready; draining before the stop");
        tokio::time::sleep(drain).await;
        self.workers.stop().await;
    }
}

/// Loads the connectors directory, starts the workers and serves the API
/// on `[server] listen`.
pub async fn start(host: Arc<Host>) -> anyhow::Result<Running> {
    let settings = host.config().server.clone();
    if let Some(dir) = &settings.connectors_dir {
        load_dir(host.runtime(), host.registry(), dir).await.log();
    }
    let listener = tokio::net::TcpListener::bind(&settings.listen).await?;
    let addr = listener.local_addr()?;
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let ready = Arc::new(AtomicBool::new(true));
    let state = AppState {
        runtime: host.runtime().clone(),
        store: host.store().clone(),
        registry: host.registry().clone(),
        connections: host.connections().clone(),
        vault: host.vault().clone(),
        wake: host.wake().clone(),
        admin_key: settings.admin_key.clone(),
        public_url,
        ready: ready.clone(),
        destinations: Arc::new(host.destinations()),
        mapper: host.mapper().clone(),
        hooks: host.receiver().clone(),
        owner: settings.workers.then(|| host.scheduler().owner().into()),
    };
    let mut workers = if settings.workers { host.start_workers() } else { host.no_workers() };
    if let Some(dir) = settings.connectors_dir.clone() {
        let watching = reload::watch(host.runtime().clone(), host.registry().clone(), dir, workers.stopping());
        workers.push(tokio::spawn(watching));
    }
    let app = router(state);
    let mut http_stop = workers.stopping();
    workers.push(tokio::spawn(async move {
        // The peer address: webhooks are rate-limited per source.
        let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            while !*http_stop.borrow() {
                if http_stop.changed().await.is_err() {
                    break;
                }
            }
        });
        if let Err(e) = serve.await {
            tracing::error!("the HTTP server failed: {e}");
        }
    }));
    tracing::info!(%addr, workers = settings.workers, "weft serving");
    Ok(Running { addr, workers, ready, _host: host })
}
