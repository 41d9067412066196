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
//!
//! [mapping]                   # each run of a subscription's jq mapping
//! cpu_ms = 200
//! memory_mib = 32
//! ```

use crate::egress::EgressConfig;
use crate::limits::Limits;
use crate::runtime::{ConnectorPolicy, RuntimeConfig};
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
    /// Calls one connector may run at once, so one busy or hostile connector
    /// cannot take every slot; `None`: half of `concurrency` (at least 1).
    pub concurrency_per_connector: Option<u32>,
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Limits of every call, unless a connector has overrides.
    pub limits: Limits,
    /// Per-connector settings, by connector id.
    pub connectors: BTreeMap<String, ConnectorSettings>,
    /// What connectors may reach beyond public https (`[egress]`).
    pub egress: EgressConfig,
    /// Fixed DNS answers (`name = ["ip", …]`), like curl's `--resolve`.
    pub static_hosts: HashMap<String, Vec<IpAddr>>,
    /// Where the database and the master key file live.
    pub data_dir: Option<PathBuf>,
    /// How subscriptions are polled (`[scheduler]`).
    pub scheduler: crate::subscriptions::SchedulerSettings,
    /// How events are delivered (`[delivery]`).
    pub delivery: crate::subscriptions::DeliverySettings,
    /// `weft serve`: the HTTP API.
    pub server: ServerSettings,
    /// What one run of a subscription's field mapping may use (`[mapping]`).
    pub mapping: crate::mapping::MappingLimits,
    /// The apps whose webhooks `weft serve` receives (`[hooks.<app>]`), for instant triggers.
    pub hooks: BTreeMap<String, crate::hooks::HookApp>,
    /// Where the state lives (`[store]`).
    pub store: StoreSettings,
}

/// `[store]`: the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// A database URL: `postgres://user:password@host/db` for several weft
    /// processes sharing the work, or `sqlite://PATH`; `None`: the SQLite
    /// file `weft.db` in the data directory. Kept out of logs (it may hold a
    /// password).
    pub url: Option<crate::Secret>,
}

/// `[server]`: where `weft serve` listens and what it serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// The address the API listens on.
    pub listen: String,
    /// The directory of connector components (`*.wasm`) to load and watch.
    pub connectors_dir: Option<PathBuf>,
    /// The URL builders reach this server at (for OAuth redirects).
    pub public_url: Option<String>,
    /// `pretty` or `json`.
    pub log_format: LogFormat,
    /// The admin key, which manages workspaces and API keys.
    pub admin_key: Option<crate::Secret>,
    /// On a graceful stop, how long `/readyz` answers 503 while the API still
    /// serves, so a load balancer stops sending work first, in ms.
    pub drain_ms: u64,
    /// Whether this process also polls, delivers and routes webhooks; `false`
    /// (`weft serve --no-workers`) serves the API alone, for API processes in
    /// front of worker processes (`weft run`) on one PostgreSQL database.
    pub workers: bool,
}

/// How `weft serve` writes its log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for a log collector.
    Json,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            listen: "127.0.0.1:8080".into(),
            connectors_dir: None,
            public_url: None,
            log_format: LogFormat::Pretty,
            admin_key: None,
            drain_ms: 1_000,
            workers: true,
        }
    }
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
            concurrency_per_connector: None,
            cache_dir: None,
            limits: Limits::default(),
            connectors: BTreeMap::new(),
            egress: EgressConfig::default(),
            static_hosts: HashMap::new(),
            data_dir: None,
            store: StoreSettings::default(),
            scheduler: Default::default(),
            delivery: Default::default(),
            server: Default::default(),
            mapping: Default::default(),
            hooks: BTreeMap::new(),
        }
    }
}

impl HostConfig {
    /// Reads a TOML config file.
    pub fn load(path: &Path) -> Result<HostConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }

    /// Parses config text and applies the environment overrides; unknown keys are refused.
    pub fn parse(text: &str) -> Result<HostConfig, String> {
        let mut config: HostConfig = toml::from_str(text).map_err(|e| e.message().to_string())?;
        config.apply_env(|name| std::env::var(name).ok())?;
        if config.concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        Ok(config)
    }

    /// Environment overrides, for containers and service managers:
    /// `WEFT_LISTEN`, `WEFT_CONNECTORS_DIR`, `WEFT_PUBLIC_URL`,
    /// `WEFT_LOG_FORMAT`, `WEFT_ADMIN_KEY`, `WEFT_DATA_DIR`, `WEFT_DATABASE_URL`, `WEFT_ALLOW_LOOPBACK`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        if let Some(v) = var("WEFT_LISTEN") {
            self.server.listen = v;
        }
        if let Some(v) = var("WEFT_CONNECTORS_DIR") {
            self.server.connectors_dir = Some(v.into());
        }
        if let Some(v) = var("WEFT_PUBLIC_URL") {
            self.server.public_url = Some(v);
        }
        if let Some(v) = var("WEFT_LOG_FORMAT") {
            self.server.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "pretty" => LogFormat::Pretty,
                other => return Err(format!("WEFT_LOG_FORMAT must be `pretty` or `json`, not `{other}`")),
            };
        }
        if let Some(v) = var("WEFT_ADMIN_KEY").filter(|v| !v.is_empty()) {
            self.server.admin_key = Some(crate::Secret::new(v));
        }
        if let Some(v) = var("WEFT_DATA_DIR") {
            self.data_dir = Some(v.into());
        }
        if let Some(v) = var("WEFT_DATABASE_URL").filter(|v| !v.trim().is_empty()) {
            self.store.url = Some(crate::Secret::new(v));
        }
        if let Some(v) = var("WEFT_ALLOW_LOOPBACK") {
            self.egress.allow_loopback = !matches!(v.as_str(), "" | "0" | "false" | "no" | "off");
        }
        Ok(())
    }

    /// The OAuth apps by connector id.
    pub fn oauth_apps(&self) -> HashMap<String, crate::connections::OAuthApp> {
        self.connectors.iter().filter_map(|(id, c)| c.oauth.clone().map(|app| (id.clone(), app))).collect()
    }

    /// What the runtime needs of this configuration.
    pub fn runtime(&self) -> RuntimeConfig {
        RuntimeConfig {
            concurrency: self.concurrency,
            concurrency_per_connector: self
                .concurrency_per_connector
                .unwrap_or(self.concurrency / 2)
                .clamp(1, self.concurrency.max(1)),
            cache_dir: self.cache_dir.clone(),
            limits: self.limits.clone(),
            connectors: self
                .connectors
                .iter()
                .map(|(id, c)| {
                    let policy = ConnectorPolicy {
                        limits: c.limits.clone(),
                        secrets: c.secrets.clone(),
                        rate_limit: c.rate_limit.clone(),
                    };
                    (id.clone(), policy)
                })
                .collect(),
            egress: self.egress.clone(),
            static_hosts: self.static_hosts.clone(),
        }
    }
}

impl From<&HostConfig> for RuntimeConfig {
    fn from(config: &HostConfig) -> Self {
        config.runtime()
    }
}

impl From<HostConfig> for RuntimeConfig {
    fn from(config: HostConfig) -> Self {
        config.runtime()
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
        let runtime = config.runtime();
        assert_eq!(runtime.limits_for("other").memory_mib, 32);
        assert_eq!(runtime.limits_for("big").memory_mib, 256);
        assert_eq!(runtime.limits_for("big").events_per_poll, 10);
        assert_eq!(runtime.largest_memory_bytes(), 256 << 20);
    }
}
