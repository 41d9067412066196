//! How a subscription's `connection` becomes a connection a call can use.

use crate::connections::Connections;
use crate::runtime::Connection;
use async_trait::async_trait;
use std::sync::Arc;
use weft_manifest::ConnectorManifest;

/// Turns the connection a subscription names into one a call can use.
#[async_trait]
pub trait ConnectionResolver: Send + Sync {
    /// The connection `connection` of `workspace`, for a connector with `manifest`.
    async fn resolve(
        &self,
        workspace: &str,
        connection: &str,
        manifest: &ConnectorManifest,
    ) -> Result<Connection, String>;
}

/// Stored connections, by name.
pub struct StoredConnections(pub Arc<Connections>);

#[async_trait]
impl ConnectionResolver for StoredConnections {
    async fn resolve(
        &self,
        workspace: &str,
        connection: &str,
        manifest: &ConnectorManifest,
    ) -> Result<Connection, String> {
        self.0.for_call(workspace, connection, manifest).await.map_err(|e| e.to_string())
    }
}
