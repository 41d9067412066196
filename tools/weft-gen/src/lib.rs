//! weft-gen: turns OpenAPI 3.0/3.1 documents into weft connectors.
//!
//! A run reads the documents (following relative `$ref`s across files) and an
//! overlay we write beside them, and produces, per operation, a declarative
//! table entry (method, path, parameters, body, scopes, paging, list shape),
//! the action's input and output JSON Schemas in the manifest's dialect, and
//! "new item" / "new or updated item" polling triggers for lists. It writes
//! them as a connector crate that builds to a component with the shared
//! runtime (`weft-openapi-runtime`). GHL is its first user (see [`ghl`]).

pub mod cli;
mod convert;
pub mod described;
mod docs;
mod emit;
mod error;
mod generate;
pub mod ghl;
mod naming;
mod overlay;
mod plan;
mod shape;
pub mod synth;
pub mod webhooks;

pub use emit::{CrateFiles, write_files};
pub use error::GenError;
pub use generate::{Coverage, Generated, generate, pretty};
pub use overlay::Overlay;
