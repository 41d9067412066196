//! The one place a weft process is wired: from a [`HostConfig`] to the
//! runtime, the store, the vault, the connections, the registry of loaded
//! connectors, the scheduler and the deliverer. `weft serve`, `weft run`,
//! the tests and the benchmarks all build their host here, so each is opened
//! once and every part shares the same ones.

use crate::config::HostConfig;
use crate::connections::Connections;
use crate::error::LoadError;
use crate::runtime::{LoadedConnector, Registry, Runtime};
use crate::store::{SqlStore, StoreError, StoreLocation};
use crate::subscriptions::{
    ConnectionResolver, Deliverer, DelivererParts, Scheduler, SchedulerParts, StoredConnections,
};
use crate::vault::{KeySource, Vault, VaultError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// Why a host could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// No data directory is configured.
    #[error("no data directory: pass --data-dir, set WEFT_DATA_DIR or `data_dir` in the config")]
    NoDataDir,
    /// The wasmtime engine could not be set up.
    #[error("the runtime could not start: {0:#}")]
    Runtime(anyhow::Error),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The master key could not be read or created.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Another weft process uses the data directory and this needs it alone.
    #[error(
        "another weft process (weft serve or weft run) is using {0}; stop it first: a key rotation must not race a process that seals with the old key"
    )]
    InUse(String),
    /// The data directory's lock file could not be opened.
    #[error("cannot lock the data directory {path}: {reason}")]
    Lock {
        /// The lock file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A `[hooks.<app>]` key cannot be used.
    #[error(transparent)]
    Hooks(crate::hooks::HookConfigError),
}

/// Chooses how a subscription's connection is found, given the stored connections.
pub type ResolverFactory = Box<dyn FnOnce(Arc<Connections>) -> Arc<dyn ConnectionResolver> + Send>;

/// Everything one weft process runs.
pub struct Host {
    config: HostConfig,
    data_dir: PathBuf,
    runtime: Arc<Runtime>,
    store: Arc<SqlStore>,
    vault: Arc<Vault>,
    connections: Arc<Connections>,
    registry: Arc<Registry>,
    scheduler: Arc<Scheduler>,
    deliverer: Arc<Deliverer>,
    wake: Arc<Notify>,
    mapper: Arc<crate::mapping::LazyMapper>,
    receiver: Arc<crate::hooks::Receiver>,
    router: Arc<crate::hooks::router::HookRouter>,
    /// Held while the host is open: shared by every process, taken alone by a key rotation.
    _lock: std::fs::File,
}

/// Locks `data_dir/weft.lock`: shared, or alone when `exclusive`.
fn lock_data_dir(data_dir: &Path, exclusive: bool) -> Result<std::fs::File, HostError> {
    let path = data_dir.join("weft.lock");
    let failed = |reason: String| HostError::Lock { path: path.display().to_string(), reason };
    std::fs::create_dir_all(data_dir).map_err(|e| failed(e.to_string()))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| failed(e.to_string()))?;
    let locked = if exclusive { file.try_lock() } else { file.try_lock_shared() };
    match locked {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(HostError::InUse(data_dir.display().to_string())),
        Err(std::fs::TryLockError::Error(e)) => Err(failed(e.to_string())),
    }
}

/// Options of [`Host::builder`].
pub struct HostBuilder {
    config: HostConfig,
    resolver: Option<ResolverFactory>,
    exclusive: bool,
}

impl HostBuilder {
    /// Resolves subscriptions' connections with `factory`'s resolver instead
    /// of by stored name only (the CLI also accepts connection files).
    pub fn connection_resolver(
        mut self,
        factory: impl FnOnce(Arc<Connections>) -> Arc<dyn ConnectionResolver> + Send + 'static,
    ) -> HostBuilder {
        self.resolver = Some(Box::new(factory));
        self
    }

    /// Opens the data directory alone: refused while another weft process
    /// has it open (a key rotation).
    pub fn exclusive(mut self) -> HostBuilder {
        self.exclusive = true;
        self
    }

    /// Opens the store and the vault in the data directory, starts the
    /// runtime, and wires the rest.
    pub async fn open(self) -> Result<Host, HostError> {
        let config = self.config;
        let data_dir = config.data_dir.clone().ok_or(HostError::NoDataDir)?;
        let location = match &config.store.url {
            Some(url) => StoreLocation::parse(url.expose())?,
            None => StoreLocation::File(data_dir.join("weft.db")),
        };
        // A SQLite file has one writer process; a server database is shared
        // by design, and the data directory then holds only the master key.
        let exclusive = self.exclusive && matches!(location, StoreLocation::File(_));
        let lock = lock_data_dir(&data_dir, exclusive)?;
        let runtime = Arc::new(Runtime::new(config.runtime()).map_err(HostError::Runtime)?);
        let mapper = Arc::new(crate::mapping::LazyMapper::new(runtime.clone(), config.mapping.clone()));
        let store = Arc::new(SqlStore::open(&location).await?);
        if store.dialect() == crate::store::Dialect::Postgres {
            // Processes on one database count their requests to each account together.
            runtime.share_budgets(store.clone());
        } else {
            // Only this machine's processes open a SQLite file: a dead one's
            // work need not wait for its leases to run out.
            crate::subscriptions::release_dead_local_leases(store.as_ref()).await;
        }
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
        let wake = Arc::new(Notify::new());
        let resolver = match self.resolver {
            Some(factory) => factory(connections.clone()),
            None => Arc::new(StoredConnections(connections.clone())),
        };
        let receipts = Arc::new(Notify::new());
        let receiver = Arc::new(
            crate::hooks::Receiver::new(&config.hooks, store.clone(), receipts.clone()).map_err(HostError::Hooks)?,
        );
        let router = crate::hooks::router::HookRouter::new(crate::hooks::router::RouterParts {
            runtime: runtime.clone(),
            store: store.clone(),
            registry: registry.clone(),
            resolver: resolver.clone(),
            receipts,
            deliverer: wake.clone(),
            seen_cap: config.scheduler.seen_cap,
        });
        let owner = crate::subscriptions::lease_owner();
        let scheduler = Scheduler::new(SchedulerParts {
            runtime: runtime.clone(),
            store: store.clone(),
            registry: registry.clone(),
            resolver,
            settings: config.scheduler.clone(),
            deliveries: wake.clone(),
            owner: owner.clone(),
        });
        let deliverer = Deliverer::new(DelivererParts {
            store: store.clone(),
            client: runtime.http_client(),
            egress: config.egress.clone(),
            vault: vault.clone(),
            mapper: mapper.clone(),
            settings: config.delivery.clone(),
            wake: wake.clone(),
            metrics: runtime.metrics(),
            owner,
            lease: config.scheduler.lease(),
        });
        Ok(Host {
            config,
            data_dir,
            runtime,
            store,
            vault,
            connections,
            registry,
            scheduler,
            deliverer,
            wake,
            mapper,
            receiver,
            router,
            _lock: lock,
        })
    }
}

impl Host {
    /// The host `config` describes.
    pub async fn open(config: HostConfig) -> Result<Host, HostError> {
        Host::builder(config).open().await
    }

    /// A host with options; [`HostBuilder::open`] opens it.
    pub fn builder(config: HostConfig) -> HostBuilder {
        HostBuilder { config, resolver: None, exclusive: false }
    }

    /// Loads a connector component and adds it to the registry.
    pub async fn load(&self, path: &Path) -> Result<Arc<LoadedConnector>, LoadError> {
        Ok(self.registry.insert(self.runtime.load(path).await?))
    }

    /// Workers that do nothing but stop: for a process that serves the API alone.
    pub fn no_workers(&self) -> Workers {
        let (stop, stopped) = watch::channel(false);
        Workers { stop, stopped, tasks: Vec::new() }
    }

    /// Starts the scheduler and the deliverer in the background.
    pub fn start_workers(&self) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(self.scheduler.clone().run(stopped.clone())),
            tokio::spawn(self.deliverer.clone().run(stopped.clone())),
            tokio::spawn(self.router.clone().run(stopped.clone())),
        ];
        Workers { stop, stopped, tasks }
    }

    /// Where webhooks may be delivered.
    pub fn destinations(&self) -> crate::egress::DestinationPolicy {
        crate::egress::DestinationPolicy {
            egress: self.config.egress.clone(),
            static_hosts: self.config.static_hosts.clone(),
        }
    }

    /// The configuration the host was opened with.
    pub fn config(&self) -> &HostConfig {
        &self.config
    }

    /// Where the database and the master key live.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The engine that runs connector calls.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// The database.
    pub fn store(&self) -> &Arc<SqlStore> {
        &self.store
    }

    /// Seals and opens secrets at rest.
    pub fn vault(&self) -> &Arc<Vault> {
        &self.vault
    }

    /// The stored connections and their credentials.
    pub fn connections(&self) -> &Arc<Connections> {
        &self.connections
    }

    /// The loaded connectors.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// Polls subscriptions when they are due.
    pub fn scheduler(&self) -> &Arc<Scheduler> {
        &self.scheduler
    }

    /// Delivers events from the outbox.
    pub fn deliverer(&self) -> &Arc<Deliverer> {
        &self.deliverer
    }

    /// Runs subscriptions' field mappings, each in a sandbox of its own.
    pub fn mapper(&self) -> &Arc<crate::mapping::LazyMapper> {
        &self.mapper
    }

    /// Receives apps' webhooks for instant triggers.
    pub fn receiver(&self) -> &Arc<crate::hooks::Receiver> {
        &self.receiver
    }

    /// Routes received webhooks to subscriptions.
    pub fn router(&self) -> &Arc<crate::hooks::router::HookRouter> {
        &self.router
    }

    /// Wakes the deliverer (new events) and the scheduler's waiters.
    pub fn wake(&self) -> &Arc<Notify> {
        &self.wake
    }
}

/// The scheduler and the deliverer, running.
pub struct Workers {
    stop: watch::Sender<bool>,
    stopped: watch::Receiver<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// A receiver that turns true when the workers are told to stop, for
    /// tasks that should stop with them.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopped.clone()
    }

    /// Adds a task to wait for when stopping.
    pub fn push(&mut self, task: JoinHandle<()>) {
        self.tasks.push(task);
    }

    /// No new polls; the polls and deliveries in flight finish and commit.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
