//! The HTTP API's routes, grouped by resource.

pub(super) mod admin;
pub(super) mod connections;
pub(super) mod connectors;
pub(super) mod console;
pub(super) mod hooks;
pub(super) mod mapping;
pub(super) mod mcp;
pub(super) mod ops;
pub(super) mod subscriptions;
