//! The engine, loading connector components, and running each call in a
//! fresh instance with its limits, egress policy and credential.

mod audit;
mod call;
mod engine;
mod guest_log;
mod load;
mod memory_need;
mod outcome;
mod registry;
mod secrets;
mod settings;
mod state;
mod world;

pub use audit::{CallAudit, CallObserver};
pub use registry::Registry;
pub use settings::{ConnectorPolicy, RuntimeConfig};
pub use world::WIT_VERSIONS;

use crate::egress::{Budgets, CredentialSource, HttpClient, StaticCredential};
use crate::schema::Schema;
use crate::secret::Secret;
use serde_json::Value;
use state::CallState;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Semaphore;
use wasmtime::Engine;
use wasmtime::component::Linker;
use weft_manifest::ConnectorManifest;
use world::WorldPre;

/// The engine and everything shared by all calls.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    client: HttpClient,
    /// Where connector requests go (the client above, or an in-process responder).
    upstream: crate::egress::Upstream,
    config: RuntimeConfig,
    /// Request budgets per upstream account.
    budgets: Budgets,
    metrics: Arc<crate::metrics::Metrics>,
    /// Whether instances come from the pooling allocator.
    pooling: bool,
    /// One permit per call that may run at once; sized like the instance pool.
    permits: Arc<Semaphore>,
    /// Turns for calls that have run long: all cores but one.
    heavy_lane: Arc<Semaphore>,
    /// Per connector, its share of the call slots.
    connector_permits: std::sync::Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Keeps the epoch ticking while anything that runs guests (the runtime,
    /// the mapper) is alive.
    ticker: Arc<Ticker>,
    /// Who is told about each finished call (`weft check`); usually nobody.
    observers: audit::Observers,
}

/// Stops the epoch thread when the last holder is dropped.
pub(crate) struct Ticker(pub(crate) Arc<AtomicBool>);

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl Runtime {
    /// What this runtime was configured with.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// The pooled, policed HTTP client (for host-side requests such as token refreshes).
    pub fn http_client(&self) -> HttpClient {
        self.client.clone()
    }

    /// The host's counters, for `/metrics`.
    pub fn metrics(&self) -> Arc<crate::metrics::Metrics> {
        self.metrics.clone()
    }

    /// Counts requests also in `window`, which other processes share: see [`crate::egress::Budgets::share`].
    pub fn share_budgets(&self, window: Arc<dyn crate::egress::SharedWindow>) {
        self.budgets.share(window);
    }

    /// How often requests waited for a rate-limit budget.
    pub fn rate_limit_waits(&self) -> u64 {
        self.budgets.total_waits()
    }

    /// The field-mapping sandbox, on this runtime's engine (compiled once,
    /// from the `.cwasm` cache when there is one).
    pub fn mapper(&self, limits: crate::mapping::MappingLimits) -> anyhow::Result<crate::mapping::Mapper> {
        let bytes = crate::mapping::Mapper::component_bytes();
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
        let (component, _) = self.compile(bytes, &digest)?;
        crate::mapping::Mapper::new(&self.engine, component, limits, self.ticker.clone())
    }

    /// Tells `observer` about every call from now on: what it requested,
    /// what was refused, what it logged. Keeping the log lines costs a copy
    /// of each, so only the acceptance checks set one.
    pub fn observe_calls(&self, observer: Arc<dyn CallObserver>) {
        self.observers.set(observer);
    }

    /// `pooling` or `on-demand`: how instances get their memory.
    pub fn allocator(&self) -> &'static str {
        if self.pooling { "pooling" } else { "on-demand" }
    }
}

/// A loaded connector: compiled, linked, its manifest read and its schemas compiled.
pub struct LoadedConnector {
    /// The manifest the component returned, checked.
    pub manifest: ConnectorManifest,
    /// sha256 of the component file.
    pub digest: String,
    /// Whether the compiled form came from the on-disk cache.
    pub from_cache: bool,
    pre: WorldPre,
    schemas: HashMap<String, (Schema, Schema)>,
}

impl LoadedConnector {
    /// The version of `weft:connector` the component was built against.
    pub fn wit_version(&self) -> &'static str {
        self.pre.wit_version()
    }
}

/// The account a call acts for.
#[derive(Clone)]
pub struct Connection {
    /// API origin (and optional path prefix) requests go to.
    pub base_url: String,
    /// Non-secret facts handed to the connector (e.g. `locationId`).
    pub facts: Value,
    /// Where the `Authorization` value comes from; the host attaches it.
    pub credential: Option<Arc<dyn CredentialSource>>,
}

impl Connection {
    /// A connection with a static bearer token.
    pub fn with_bearer_token(base_url: impl Into<String>, facts: Value, token: &Secret) -> Connection {
        let value = Secret::new(format!("Bearer {}", token.expose().trim()));
        Connection { base_url: base_url.into(), facts, credential: Some(Arc::new(StaticCredential(value))) }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("base_url", &self.base_url)
            .field("facts", &self.facts)
            .field("credential", &self.credential.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// What a poll returned, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PollOutcome {
    /// The events found, oldest first, each checked against the trigger's output schema.
    pub events: Vec<Event>,
    /// State for the next poll; `None` when the trigger keeps none.
    pub cursor: Option<String>,
    /// More events are ready now; the host may poll again at once.
    pub has_more: bool,
}

/// One thing a trigger reports, checked against its output schema.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The connector's stable id for it; the host drops ids it has seen, so an update needs a new one.
    pub id: String,
    /// When it happened (RFC 3339), when the API says; `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<String>,
    /// The payload, valid against the trigger's output schema.
    pub data: Value,
}

/// How the host wants a poll run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollMeta {
    /// The first poll of a subscription: report what exists now so the host can record it.
    pub seed: bool,
    /// On a first poll, report items at or after this RFC 3339 time; `None` otherwise.
    pub since: Option<String>,
}

/// One entry of a dynamic dropdown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Choice {
    /// What the input field gets when the entry is picked.
    pub value: String,
    /// What the entry shows.
    pub label: String,
}

fn schema_key(kind: &str, key: &str) -> String {
    format!("{kind}:{key}")
}
