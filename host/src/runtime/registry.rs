//! The connectors a host runs.

use super::LoadedConnector;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// The connectors this host runs, by id; replaced whole when a new version loads.
#[derive(Default)]
pub struct Registry {
    connectors: RwLock<HashMap<String, Arc<LoadedConnector>>>,
}

impl Registry {
    /// Adds a connector, replacing any loaded version with the same id.
    pub fn insert(&self, connector: LoadedConnector) -> Arc<LoadedConnector> {
        let connector = Arc::new(connector);
        let mut all = self.connectors.write().unwrap_or_else(|p| p.into_inner());
        all.insert(connector.manifest.id.clone(), connector.clone());
        connector
    }

    /// The connector with id `id`.
    pub fn get(&self, id: &str) -> Option<Arc<LoadedConnector>> {
        self.connectors.read().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// Every connector, by id.
    pub fn all(&self) -> Vec<Arc<LoadedConnector>> {
        let mut all: Vec<_> = self.connectors.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        all.sort_by(|a, b| a.manifest.id.cmp(&b.manifest.id));
        all
    }
}
