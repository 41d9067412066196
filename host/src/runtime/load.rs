//! Loading a component: compile or take it from the cache, link it, read and
//! check its manifest, compile its schemas.

use super::world::WorldPre;
use super::{LoadedConnector, Runtime, schema_key};
use crate::egress::{EgressConfig, EgressPolicy};
use crate::error::LoadError;
use crate::schema::Schema;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use wasmtime::component::Component;
use weft_manifest::ConnectorManifest;

impl Runtime {
    /// Compiles a component, checks it is a weft connector, reads and checks its manifest.
    pub async fn load(&self, path: &Path) -> Result<LoadedConnector, LoadError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read { path: shown.clone(), source })?;
        let not_component = |reason: anyhow::Error| LoadError::NotAComponent { path: shown.clone(), reason };
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        let needs = super::memory_need::initial_memory_bytes(&bytes);
        let too_small = |limit: u64| LoadError::MemoryTooSmall {
            path: shown.clone(),
            needs_mib: needs.div_ceil(1 << 20),
            limit_mib: limit >> 20,
        };
        let largest = self.config.largest_memory_bytes() as u64;
        if needs > largest {
            return Err(too_small(largest));
        }
        let (component, from_cache) = self.compile(&bytes, &digest).map_err(not_component)?;
        let pre = self.linker.instantiate_pre(&component).map_err(|e| not_component(e.into()))?;
        let pre = WorldPre::new(pre).map_err(|e| not_component(e.into()))?;
        let manifest_json = {
            let loading = crate::limits::Limits { memory_mib: (largest >> 20).max(1), ..Default::default() };
            let mut store = self.store(super::call::StoreParts {
                limits: &loading,
                connector_id: "loading",
                policy: EgressPolicy::new(Vec::new(), EgressConfig::default()),
                credential: None,
                secrets: BTreeMap::new(),
                budget: None,
                keep_log: false,
            });
            let instance = pre.instantiate(&mut store).await.map_err(|e| not_component(e.into()))?;
            instance.manifest(&mut store).await.map_err(|e| not_component(e.into()))?
        };
        let bad = |problems: String| LoadError::BadManifest { path: shown.clone(), problems };
        let manifest: ConnectorManifest = serde_json::from_str(&manifest_json).map_err(|e| bad(e.to_string()))?;
        let own = self.config.limits_for(&manifest.id).memory_bytes() as u64;
        if needs > own {
            return Err(too_small(own));
        }
        let problems = weft_manifest::check(&manifest);
        if !problems.is_empty() {
            return Err(bad(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")));
        }
        let mut schemas = HashMap::new();
        let entries =
            manifest.triggers.iter().map(|t| ("trigger", &t.key, &t.input_schema, &t.output_schema, &t.sample)).chain(
                manifest.actions.iter().map(|a| ("action", &a.key, &a.input_schema, &a.output_schema, &a.sample)),
            );
        for (kind, key, input, output, sample) in entries {
            let at = |what: &str, e: String| bad(format!("{kind}s[{key}].{what}: {e}"));
            let input = Schema::compile(input).map_err(|e| at("inputSchema", e))?;
            let output = Schema::compile(output).map_err(|e| at("outputSchema", e))?;
            output.check(sample).map_err(|p| at("sample", crate::schema::describe(&p)))?;
            schemas.insert(schema_key(kind, key), (input, output));
        }
        Ok(LoadedConnector { manifest, digest, from_cache, pre, schemas })
    }

    /// The compiled component: from the cache when this host compiled it
    /// before, else compiled now (and cached when a cache is configured).
    pub(super) fn compile(&self, bytes: &[u8], digest: &str) -> anyhow::Result<(Component, bool)> {
        let Some(dir) = &self.config.cache_dir else {
            return Ok((Component::new(&self.engine, bytes)?, false));
        };
        if let Err(e) = crate::cache::prepare_dir(dir) {
            tracing::warn!("compiling without the cache: {e}");
            return Ok((Component::new(&self.engine, bytes)?, false));
        }
        let entry = crate::cache::entry(dir, &self.engine, digest);
        if let Some(component) = crate::cache::load(&self.engine, &entry) {
            tracing::info!(digest, cache = %entry.display(), "loaded precompiled component from the cache");
            return Ok((component, true));
        }
        let started = std::time::Instant::now();
        let component = crate::cache::store(&self.engine, bytes, &entry).map_err(anyhow::Error::msg)?;
        tracing::info!(digest, ms = started.elapsed().as_millis() as u64, "compiled component (cache miss)");
        Ok((component, false))
    }
}
