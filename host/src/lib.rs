//! weft: runs no-code connectors as sandboxed WebAssembly components.
//!
//! A connector never sees a credential and reaches the network only through
//! the host's policed `wasi:http`; each call runs in a fresh instance with
//! its own limits.

mod bindings;
pub mod connection_file;
pub mod egress;
mod error;
pub mod limits;
pub mod poll_state;
mod runtime;
pub mod schema;
mod secret;
mod state;

pub use error::{CallError, ConnectorFailure, LoadError};
pub use runtime::{Choice, Connection, Event, HostConfig, LoadedConnector, PollMeta, PollOutcome, Runtime};
pub use secret::Secret;
pub use weft_manifest::ConnectorManifest;
