//! Shared pieces of the end-to-end tests: the components built from source
//! by this crate's build script, and helpers to run them against the GHL
//! simulator on loopback.

use std::path::{Path, PathBuf};

/// The GHL social planner connector, built for `wasm32-wasip2`.
pub fn ghl_component() -> &'static Path {
    Path::new(env!("WEFT_GHL_COMPONENT"))
}

/// The hostile test connector (see `tests/components/hostile/README.md`).
pub fn hostile_component() -> &'static Path {
    Path::new(env!("WEFT_HOSTILE_COMPONENT"))
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}
