//! A GoHighLevel (GHL) Social Planner API simulator for tests and demos on loopback.
//!
//! It answers the operations the connector uses (tags, tags by ids, accounts, statistics)
//! the way the official OpenAPI spec and the real API do: `Version` header, bearer token,
//! scope and location checks in GHL's order, GHL's error bodies, string `limit`/`skip`,
//! reads by POST answering 201. Admin routes under `/_sim/` (and the matching [`Sim`]
//! methods) set up tokens, tags, accounts and statistics, and expose a log of the API
//! requests received, so tests can check what reached the API.
//!
//! It also plays GHL's OAuth 2.0 authorization-code flow (`/oauth/chooselocation`,
//! `/oauth/token` with single-use rotating refresh tokens; issued access tokens work on every
//! API route), GHL's per-location rate limits with their `X-RateLimit-*` headers, and a fault
//! queue (error statuses, delays, malformed JSON, dropped connections) for testing clients.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = ghl_sim::start("127.0.0.1:0".parse().expect("address")).await?;
//! sim.sim.register_token("tok", "loc1", ghl_sim::SOCIAL_PLANNER_SCOPES.iter().copied());
//! sim.sim.create_tag("loc1", "launch");
//! println!("{}/social-media-posting/loc1/tags", sim.base_url());
//! # Ok(()) }
//! ```

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

mod admin;
mod auth;
mod conn;
mod errors;
pub mod generic;
mod input;
mod model;
mod oauth;
pub mod openapi;
mod probes;
mod record;
mod social;
mod state;
mod stats;
mod traffic;
mod webhooks;

pub use model::{Account, NewAccount, RecordedRequest, Tag};
pub use oauth::{Consent, OAuthApp, OAuthStats, OAuthTokens};
pub use state::{SOCIAL_PLANNER_SCOPES, Sim, SimError};
pub use traffic::{Fault, FaultKind, RateLimit, SimStats};
pub use webhooks::{
    Delivery, Sent, Signing, WebhookEvent, public_keys as webhook_public_keys, signatures as webhook_signatures,
};
/// The API descriptions and schema samples the spec-driven routes use (the generator's).
pub use weft_gen::{described, synth};

/// The axum router serving the API and the admin routes for this state.
///
/// Served on its own (rather than by [`start`]), a `drop-connection` fault cannot close the
/// connection and answers an empty `444` instead.
pub fn router(sim: Sim) -> Router {
    Router::new()
        .merge(social::routes())
        .merge(stats::routes())
        .merge(admin::routes())
        .merge(probes::routes())
        .merge(webhooks::routes())
        .merge(oauth::routes())
        .merge(traffic::admin::routes())
        .fallback(generic::handle)
        .method_not_allowed_fallback(generic::handle)
        .layer(axum::middleware::from_fn_with_state(sim.clone(), traffic::limit_and_fault))
        .layer(axum::middleware::from_fn_with_state(sim.clone(), record::record))
        .with_state(sim)
}

/// A simulator serving in a spawned tokio task; it shuts down when dropped.
#[derive(Debug)]
pub struct RunningSim {
    /// The address actually bound (the real port when asked for port 0).
    pub addr: SocketAddr,
    /// The state being served: drive it directly from tests.
    pub sim: Sim,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningSim {
    /// `http://127.0.0.1:PORT`, the base URL to point a client at.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets in-flight requests finish, and waits for the server.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Binds `listen` (use `127.0.0.1:0`) and serves a fresh simulator in a spawned task.
/// Must be called inside a tokio runtime.
pub async fn start(listen: SocketAddr) -> std::io::Result<RunningSim> {
    start_with(listen, Sim::new()).await
}

/// Like [`start`], serving an existing state (e.g. one prepared before binding).
pub async fn start_with(listen: SocketAddr, sim: Sim) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(sim.clone());
    let counter = sim.clone();
    let listener = axum::serve::ListenerExt::tap_io(listener, move |_| counter.count_connection());
    // Each connection gets a kill switch, for the `drop-connection` fault.
    let listener = conn::KillableListener::new(listener);
    let app = app.into_make_service_with_connect_info::<conn::ConnHandle>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, "ghl-sim listening");
    Ok(RunningSim { addr, sim, shutdown: Some(tx), task: Some(task) })
}
