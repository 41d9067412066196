//! End-to-end tests: the real connector component in the real host, talking
//! HTTP over loopback to the GHL simulator, which each test starts on port 0.

mod actions;
mod check;
mod cli;
mod connections;
mod console;
mod console_browser;
mod crash;
mod generated;
mod instant;
mod kit;
mod manifests;
mod mcp;
mod postgres;
mod posts;
mod promises_delivery;
mod promises_host;
mod sandbox;
mod scale_out;
mod serve;
mod sink;
mod store;
mod subscriptions;
mod support;
mod triggers;
