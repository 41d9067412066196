//! How a subscription's `connection` becomes a connection a call can use.

use crate::connection_file::ConnectionFile;
use crate::connections::Connections;
use crate::runtime::Connection;
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;
use weft_manifest::ConnectorManifest;

#[async_trait]
pub trait ConnectionResolver: Send + Sync {
    async fn resolve(
        &self,
        workspace: &str,
        connection: &str,
        manifest: &ConnectorManifest,
    ) -> Result<Connection, String>;
}

/// Stored connections by name; for the CLI, also connection files by path.
pub struct StoredConnections {
    pub connections: Arc<Connections>,
    pub allow_files: bool,
}

#[async_trait]
impl ConnectionResolver for StoredConnections {
    async fn resolve(
        &self,
        workspace: &str,
        connection: &str,
        manifest: &ConnectorManifest,
    ) -> Result<Connection, String> {
        if self.allow_files && Path::new(connection).is_file() {
            let file = ConnectionFile::load(Path::new(connection))?;
            return file.resolve(manifest.allowed_hosts.first().map(String::as_str));
        }
        self.connections.for_call(workspace, connection, manifest).await.map_err(|e| e.to_string())
    }
}
