//! The HTTP API's routes, grouped by resource.

pub mod admin;
pub mod connections;
pub mod connectors;
pub mod ops;
pub mod subscriptions;
