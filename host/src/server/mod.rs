//! `weft serve`: the operator's server and the builder's API. One process
//! runs the HTTP API, the scheduler and the deliverer over one store.

mod auth;
mod problem;
mod reload;
mod routes;

pub use problem::Problem;
pub use reload::{LoadReport, load_dir};

use crate::config::HostConfig;
use crate::connections::Connections;
use crate::runtime::Runtime;
use crate::secret::Secret;
use crate::store::SqliteStore;
use crate::subscriptions::{Deliverer, Registry, Scheduler, StoredConnections};
use crate::vault::{KeySource, Vault};
use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::{Notify, watch};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub runtime: Arc<Runtime>,
    pub store: Arc<SqliteStore>,
    pub registry: Arc<Registry>,
    pub connections: Arc<Connections>,
    pub vault: Arc<Vault>,
    pub wake: Arc<Notify>,
    pub admin_key: Option<Secret>,
    pub public_url: String,
    pub ready: Arc<AtomicBool>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "weft", description = "Connectors as sandboxed WebAssembly components: connections, triggers, actions."),
    modifiers(&SecuritySchemes),
    tags((name = "connectors"), (name = "connections"), (name = "subscriptions"), (name = "admin"))
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
        .split_for_parts();
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
    .fallback(|| async { Problem::not_found("no such route; see /v1/openapi.json") })
    .layer(tower_http::trace::TraceLayer::new_for_http())
    .with_state(state)
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    ready: Arc<AtomicBool>,
}

impl Running {
    /// Graceful stop: not ready, no new polls, the API stops accepting, and
    /// what is in flight (calls, polls, deliveries) finishes and commits.
    pub async fn shutdown(self) {
        self.ready.store(false, Ordering::SeqCst);
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Opens everything `config` describes and starts serving.
pub async fn start(config: HostConfig) -> anyhow::Result<Running> {
    let data_dir = config.data_dir.clone().ok_or_else(|| anyhow::anyhow!("set data_dir (or WEFT_DATA_DIR)"))?;
    let runtime = Arc::new(Runtime::new(config.clone())?);
    let store = Arc::new(SqliteStore::open(&data_dir.join("weft.db")).await?);
    let vault = Vault::open(KeySource::from_env_or_file(&data_dir))?;
    let connections = Connections::new(
        store.clone(),
        vault.clone(),
        runtime.http_client(),
        config.egress.clone(),
        config.oauth_apps(),
    );
    let vault = Arc::new(vault);
    let registry = Arc::new(Registry::default());
    if let Some(dir) = &config.server.connectors_dir {
        let report = load_dir(&runtime, &registry, dir).await;
        report.log();
    }
    let listener = tokio::net::TcpListener::bind(&config.server.listen).await?;
    let addr = listener.local_addr()?;
    let public_url = config.server.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let wake = Arc::new(Notify::new());
    let ready = Arc::new(AtomicBool::new(true));
    let state = AppState {
        runtime: runtime.clone(),
        store: store.clone(),
        registry: registry.clone(),
        connections: connections.clone(),
        vault: vault.clone(),
        wake: wake.clone(),
        admin_key: config.server.admin_key.clone(),
        public_url,
        ready: ready.clone(),
    };
    let (stop, stopped) = watch::channel(false);
    let resolver = Arc::new(StoredConnections { connections, allow_files: false });
    let scheduler = Scheduler::new(
        runtime.clone(),
        store.clone(),
        registry.clone(),
        resolver,
        config.scheduler.clone(),
        wake.clone(),
    );
    let deliverer = Deliverer::new(
        store,
        runtime.http_client(),
        config.egress.clone(),
        vault,
        config.delivery.clone(),
        wake,
        runtime.metrics(),
    );
    let mut tasks = vec![tokio::spawn(scheduler.run(stopped.clone())), tokio::spawn(deliverer.run(stopped.clone()))];
    if let Some(dir) = config.server.connectors_dir.clone() {
        tasks.push(tokio::spawn(reload::watch(runtime.clone(), registry, dir, stopped.clone())));
    }
    let app = router(state);
    let mut http_stop = stopped;
    tasks.push(tokio::spawn(async move {
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
    tracing::info!(%addr, "weft serving");
    Ok(Running { addr, stop, tasks, ready })
}
