//! Loading connector components from a directory, and picking up a new
//! version of a file without touching subscription state (state is kept per
//! subscription, not per component).

use crate::runtime::{Registry, Runtime};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// How often the directory is looked at for new or changed components.
const RESCAN: Duration = Duration::from_secs(2);

/// What loading a directory did.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Each component loaded: its file, the connector's id and its version.
    pub loaded: Vec<(PathBuf, String, String)>,
    /// Each file skipped, and why.
    pub failed: Vec<(PathBuf, String)>,
}

impl LoadReport {
    /// Logs each load and each skip.
    pub fn log(&self) {
        for (path, id, version) in &self.loaded {
            tracing::info!(path = %path.display(), id, version, "loaded connector");
        }
        for (path, why) in &self.failed {
            tracing::error!(path = %path.display(), "skipped a connector: {why}");
        }
    }
}

fn components(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Loads every `*.wasm` in `dir`; a bad one is reported and skipped.
pub async fn load_dir(runtime: &Runtime, registry: &Registry, dir: &Path) -> LoadReport {
    let mut report = LoadReport::default();
    if !dir.is_dir() {
        report.failed.push((dir.to_path_buf(), "the connectors directory does not exist".into()));
        return report;
    }
    for path in components(dir) {
        match runtime.load(&path).await {
            Ok(connector) => {
                let (id, version) = (connector.manifest.id.clone(), connector.manifest.version.clone());
                registry.insert(connector);
                report.loaded.push((path, id, version));
            }
            Err(e) => report.failed.push((path, e.to_string())),
        }
    }
    report
}

fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// Reloads components whose file changed, until `stopped`.
pub(super) async fn watch(
    runtime: Arc<Runtime>,
    registry: Arc<Registry>,
    dir: PathBuf,
    mut stopped: watch::Receiver<bool>,
) {
    let mut seen: HashMap<PathBuf, (u64, SystemTime)> =
        components(&dir).into_iter().filter_map(|p| stamp(&p).map(|s| (p, s))).collect();
    while !*stopped.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(RESCAN) => {}
            _ = stopped.changed() => continue,
        }
        for path in components(&dir) {
            let Some(now) = stamp(&path) else { continue };
            if seen.get(&path) == Some(&now) {
                continue;
            }
            seen.insert(path.clone(), now);
            match runtime.load(&path).await {
                Ok(connector) => {
                    let previous = registry.get(&connector.manifest.id).map(|c| c.digest.clone());
                    if previous.as_deref() != Some(connector.digest.as_str()) {
                        tracing::info!(
                            path = %path.display(),
                            id = %connector.manifest.id,
                            version = %connector.manifest.version,
                            "loaded a new version of a connector; subscriptions keep their state"
                        );
                        registry.insert(connector);
                    }
                }
                Err(e) => tracing::error!(path = %path.display(), "kept the running version: {e}"),
            }
        }
    }
}
