//! The guest SDK every Rust weft connector is built on.
//!
//! A connector is a WebAssembly component that exports the weft WIT world
//! (`wit/world.wit`, package `weft:connector@0.1.0`). This crate holds the
//! whole seam once: the WIT bindings and [`export_connector!`], HTTP over
//! `wasi:http` (the only network a connector has) behind the [`Transport`]
//! trait, the [`ConnectorError`] that becomes the WIT error variant, the poll
//! and dropdown types, [`cursor`] helpers and [`log`]ging. With the `native`
//! feature, [`native::NativeTransport`] runs the same code outside a
//! component, for tests and benchmarks.
//!
//! The credential never enters the sandbox: the host attaches it to the
//! requests its egress policy lets through, so a connector only builds
//! requests and reads answers.
//!
//! # A whole connector
//!
//! One action and one polled trigger over a notes API. The same functions
//! run in the component (with `wasi:http`) and in a native unit test (with a
//! closure as the transport), as below.
//!
//! ```
//! use serde_json::{Value, json};
//! use weft_sdk::cursor::RecentIds;
//! use weft_sdk::{
//!     CallContext, Connector, ConnectorError, Event, Method, PollRequest, PollResponse, Request, Response,
//!     Transport,
//! };
//!
//! struct Notes;
//!
//! const MANIFEST: &str = r#"{"id": "notes", "name": "Notes", "version": "0.1.0"}"#; // abridged
//!
//! /// GET a path of the API and read its JSON.
//! fn get(t: &dyn Transport, ctx: &CallContext, path: &str) -> Result<Value, ConnectorError> {
//!     let response = t.send(Request::new(Method::Get, format!("{}{path}", ctx.base_url)))?;
//!     if !response.is_success() {
//!         return Err(ConnectorError::upstream(Some(response.status), "the notes API failed"));
//!     }
//!     serde_json::from_slice(&response.body).map_err(|e| ConnectorError::upstream(None, e.to_string()))
//! }
//!
//! impl Connector for Notes {
//!     fn manifest() -> String {
//!         MANIFEST.to_string()
//!     }
//!
//!     fn execute(t: &dyn Transport, ctx: &CallContext, action: &str, _input: &str) -> Result<Value, ConnectorError> {
//!         match action {
//!             "list-notes" => get(t, ctx, "/notes"),
//!             other => Err(ConnectorError::invalid("action", format!("no action `{other}`"))),
//!         }
//!     }
//!
//!     /// `new-note`: each note once; the seed records what exists.
//!     fn poll(t: &dyn Transport, ctx: &CallContext, request: &PollRequest) -> Result<PollResponse, ConnectorError> {
//!         let mut seen: RecentIds = request.cursor_as()?;
//!         let notes = get(t, ctx, "/notes")?;
//!         let fresh: Vec<&Value> = notes["notes"]
//!             .as_array()
//!             .into_iter()
//!             .flatten()
//!             .filter(|n| n["id"].as_str().is_some_and(|id| !seen.contains(id)))
//!             .collect();
//!         let ids = fresh.iter().filter_map(|n| n["id"].as_str()).map(str::to_string);
//!         seen.remember(ids, 1_000);
//!         let events = if request.meta.seed { Vec::new() } else {
//!             fresh.iter().map(|n| Event { id: n["id"].to_string(), occurred_at: None, data: (*n).clone() }).collect()
//!         };
//!         PollResponse::new(events, &seen, false)
//!     }
//! }
//!
//! // In the component crate (a `cdylib` built for `wasm32-wasip2`):
//! #[cfg(target_arch = "wasm32")]
//! weft_sdk::export_connector!(Notes);
//!
//! // In a native unit test, a closure is the API:
//! let api = |r: Request| {
//!     assert!(r.url.ends_with("/notes"));
//!     Ok(Response { status: 200, headers: vec![], body: br#"{"notes":[{"id":"n1","text":"hi"}]}"#.to_vec() })
//! };
//! let ctx = CallContext::new("https://notes.example", json!({}));
//! let request = |cursor| PollRequest {
//!     trigger: "new-note".into(),
//!     input: "{}".into(),
//!     cursor,
//!     meta: weft_sdk::PollMeta { seed: false, limit: 100, since: None },
//! };
//! let first = Notes::poll(&api, &ctx, &request(None)).unwrap();
//! assert_eq!(first.events.len(), 1);
//! let again = Notes::poll(&api, &ctx, &request(first.cursor)).unwrap();
//! assert!(again.events.is_empty(), "nothing twice");
//! ```

mod connector;
mod context;
pub mod cursor;
mod error;
mod input;
pub mod log;
mod poll;
mod transport;

#[cfg(feature = "native")]
pub mod native;

// The generated bindings and export glue are `unsafe` FFI by nature.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code, missing_docs)]
#[doc(hidden)]
pub mod component;

pub use connector::Connector;
pub use context::CallContext;
pub use error::ConnectorError;
pub use input::{input_object, parse_input};
pub use poll::{Choice, Event, HookRequest, PollMeta, PollRequest, PollResponse};
pub use transport::{Method, Request, Response, Transport, TransportError, encode};

/// Exports a [`Connector`] as the weft component. Use it once, in the
/// connector's `cdylib` crate, on `wasm32` only.
#[macro_export]
macro_rules! export_connector {
    ($connector:ident) => {
        $crate::component::export!($connector with_types_in $crate::component);
    };
}
