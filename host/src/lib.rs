//! weft: runs no-code connectors as sandboxed WebAssembly components.
//!
//! A connector never sees a credential and reaches the network only through
//! the host's policed `wasi:http`; each call runs in a fresh instance with
//! its own limits.

mod bindings;
mod cache;
pub mod config;
pub mod connections;
pub mod egress;
mod error;
pub mod hooks;
mod host;
pub mod limits;
pub mod mapping;
pub mod mcp;
pub mod metrics;
pub mod names;
pub mod runtime;
pub mod schema;
mod secret;
pub mod server;
pub mod store;
pub mod subscriptions;
pub mod vault;

/// Implementations of [`subscriptions::ConnectionResolver`] use it.
pub use async_trait::async_trait;
pub use config::{ConnectorSettings, HostConfig, LogFormat, ServerSettings};
pub use error::{CallError, ConnectorFailure, ErrorCode, LoadError};
pub use host::{Host, HostBuilder, HostError, ResolverFactory, Workers};
pub use runtime::{
    Choice, Connection, Event, LoadedConnector, PollMeta, PollOutcome, Registry, Runtime, RuntimeConfig,
};
pub use secret::Secret;
pub use weft_manifest::ConnectorManifest;
