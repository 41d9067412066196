//! What the runtime needs of the operator's configuration, and nothing more:
//! the host config (`crate::config`) builds it, so the runtime never depends
//! on the scheduler's, the server's or the connections' settings.

use crate::egress::EgressConfig;
use crate::limits::Limits;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;
use weft_manifest::RateLimit;

/// The engine's and the calls' settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeConfig {
    /// Calls that may run at once; sizes the instance pool.
    pub concurrency: u32,
    /// Calls one connector may run at once.
    pub concurrency_per_connector: u32,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Limits of every call, unless a connector has its own.
    pub limits: Limits,
    /// Per-connector limits, secrets and rate limits, by connector id.
    pub connectors: BTreeMap<String, ConnectorPolicy>,
    /// Where connectors may send requests.
    pub egress: EgressConfig,
    /// Fixed DNS answers (`name = ["ip", …]`), like curl's `--resolve`.
    pub static_hosts: HashMap<String, Vec<IpAddr>>,
}

/// What the operator set for one connector's calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectorPolicy {
    /// Replaces the default limits.
    pub limits: Option<Limits>,
    /// Values of the non-credential secrets the manifest declares.
    pub secrets: BTreeMap<String, String>,
    /// Replaces the manifest's rate limit.
    pub rate_limit: Option<RateLimit>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            concurrency: 32,
            concurrency_per_connector: 16,
            cache_dir: None,
            limits: Limits::default(),
            connectors: BTreeMap::new(),
            egress: EgressConfig::default(),
            static_hosts: HashMap::new(),
        }
    }
}

impl RuntimeConfig {
    /// The limits of calls of connector `id`.
    pub fn limits_for(&self, id: &str) -> &Limits {
        self.connectors.get(id).and_then(|c| c.limits.as_ref()).unwrap_or(&self.limits)
    }

    /// The operator's value of secret `name` of connector `id`, when set.
    pub fn secret(&self, id: &str, name: &str) -> Option<&String> {
        self.connectors.get(id).and_then(|c| c.secrets.get(name))
    }

    /// The operator's rate limit for connector `id`, when set.
    pub fn rate_limit(&self, id: &str) -> Option<&RateLimit> {
        self.connectors.get(id).and_then(|c| c.rate_limit.as_ref())
    }

    /// The largest memory any connector may use: the pool's slot size.
    pub fn largest_memory_bytes(&self) -> usize {
        self.connectors
            .values()
            .filter_map(|c| c.limits.as_ref())
            .chain(std::iter::once(&self.limits))
            .map(Limits::memory_bytes)
            .max()
            .unwrap_or_else(|| self.limits.memory_bytes())
    }
}
