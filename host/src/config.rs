//! The host's configuration file (`weft.toml`). Unknown keys are refused,
//! naming the key, so a typo never silently falls back to a default.
//!
//! ```toml
//! concurrency = 64            # calls running at once; sizes the instance pool
//! cache_dir = "/var/cache/weft"
//!
//! [limits]                    # defaults for every connector
//! memory_mib = 64
//! cpu_ms = 10000
//!
//! [connectors.ghl-social-planner.limits]   # overrides for one connector
//! events_per_poll = 1000
//!
//! [egress]
//! allow_loopback = false
//! allow_http_hosts = []
//! ```

use crate::egress::EgressConfig;
use crate::limits::Limits;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// What an operator configures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostConfig {
    /// Calls that may run at once; further calls wait their turn.
    pub concurrency: u32,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Limits of every call, unless a connector has overrides.
    pub limits: Limits,
    /// Per-connector settings, by connector id.
    pub connectors: BTreeMap<String, ConnectorSettings>,
    pub egress: EgressConfig,
    /// Fixed DNS answers (`name = ["ip", …]`), like curl's `--resolve`.
    pub static_hosts: HashMap<String, Vec<IpAddr>>,
    /// Where the database and the master key file live.
    pub data_dir: Option<PathBuf>,
    pub scheduler: crate::subscriptions::SchedulerSettings,
    pub delivery: crate::subscriptions::DeliverySettings,
}

/// Settings for one connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectorSettings {
    /// Replaces the default limits for this connector (unset keys keep the defaults of `Limits`).
    pub limits: Option<Limits>,
    /// Values of the non-credential secrets the connector's manifest declares.
    pub secrets: BTreeMap<String, String>,
    /// The OAuth app this host connects accounts with.
    pub oauth: Option<crate::connections::OAuthApp>,
    /// Replaces the manifest's rate limit (e.g. an app with its own quota).
    pub rate_limit: Option<weft_manifest::RateLimit>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            concurrency: 32,
            cache_dir: None,
            limits: Limits::default(),
            connectors: BTreeMap::new(),
            egress: EgressConfig::default(),
            static_hosts: HashMap::new(),
            data_dir: None,
            scheduler: Default::default(),
            delivery: Default::default(),
        }
    }
}

impl HostConfig {
    /// Reads a TOML config file.
    pub fn load(path: &Path) -> Result<HostConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<HostConfig, String> {
        let config: HostConfig = toml::from_str(text).map_err(|e| e.message().to_string())?;
        if config.concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        Ok(config)
    }

    /// The OAuth apps by connector id.
    pub fn oauth_apps(&self) -> HashMap<String, crate::connections::OAuthApp> {
        self.connectors.iter().filter_map(|(id, c)| c.oauth.clone().map(|app| (id.clone(), app))).collect()
    }

    /// The limits of calls of connector `id`.
    pub fn limits_for(&self, id: &str) -> &Limits {
        self.connectors.get(id).and_then(|c| c.limits.as_ref()).unwrap_or(&self.limits)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = HostConfig::parse("[limits]\nmemory_mb = 10\n").expect_err("typo");
        assert!(err.contains("memory_mb"), "{err}");
    }

    #[test]
    fn per_connector_limits_override_the_defaults() {
        let config = HostConfig::parse(
            "[limits]\nmemory_mib = 32\n[connectors.big.limits]\nmemory_mib = 256\nevents_per_poll = 10\n",
        )
        .expect("valid");
        assert_eq!(config.limits_for("other").memory_mib, 32);
        assert_eq!(config.limits_for("big").memory_mib, 256);
        assert_eq!(config.limits_for("big").events_per_poll, 10);
        assert_eq!(config.largest_memory_bytes(), 256 << 20);
    }
}
