//! The command line, as a library: `weft-gen` uses it, and the `weft` binary
//! can mount [`OpenapiArgs`] as `weft gen openapi` with one call to [`run_openapi`].

use crate::emit::{CrateStyle, crate_files, write_files};
use crate::error::GenError;
use crate::generate::generate;
use crate::overlay::Overlay;
use clap::Args;
use std::path::{Path, PathBuf};

/// `openapi <SPEC>… --overlay <FILE> --out <DIR>`: an OpenAPI document → a connector crate.
#[derive(Debug, Clone, Args)]
pub struct OpenapiArgs {
    /// The OpenAPI 3.0/3.1 documents (JSON); `$ref`s to other files resolve relative to each.
    #[arg(required = true)]
    pub specs: Vec<PathBuf>,
    /// The overlay (TOML): connector id and name, auth, fixes, labels and help. Repeat to layer several.
    #[arg(long = "overlay")]
    pub overlays: Vec<PathBuf>,
    /// Where to write the connector crate (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// The `weft-openapi-runtime` crate the connector depends on [default: the one this tool was built with].
    #[arg(long)]
    pub runtime: Option<PathBuf>,
    /// Write a member of the enclosing weft workspace instead of a crate of its own.
    #[arg(long)]
    pub workspace_member: bool,
}

/// The runtime crate this tool was built beside.
pub fn default_runtime() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../connectors/openapi-runtime")
}

/// Runs `openapi`; returns a summary to print.
pub fn run_openapi(args: &OpenapiArgs) -> Result<String, GenError> {
    let mut overlay = Overlay::default();
    for path in &args.overlays {
        overlay = overlay.merge(Overlay::load(path)?);
    }
    if overlay.connector.id.is_none() {
        let stem = args.specs.first().and_then(|s| s.file_stem()).and_then(|s| s.to_str()).unwrap_or("connector");
        overlay.connector.id = Some(crate::naming::kebab(stem));
    }
    let generated = generate(&args.specs, &overlay)?;
    let runtime = args.runtime.clone().unwrap_or_else(default_runtime);
    let runtime = runtime.canonicalize().map_err(|source| GenError::Read { path: runtime.clone(), source })?;
    let style =
        if args.workspace_member { CrateStyle::Workspace } else { CrateStyle::Standalone { runtime: &runtime } };
    let names: Vec<String> =
        args.specs.iter().filter_map(|s| s.file_name().and_then(|n| n.to_str()).map(str::to_string)).collect();
    write_files(&args.out, &crate_files(&generated, &names, &style)?)?;
    let mut summary = format!(
        "wrote {} to {}: {} actions, {} triggers\nbuild it with: cargo build --manifest-path {}/Cargo.toml --target wasm32-wasip2 --release\n",
        generated.manifest.id,
        args.out.display(),
        generated.manifest.actions.len(),
        generated.manifest.triggers.len(),
        args.out.display(),
    );
    for c in generated.coverage.iter().filter(|c| c.action.is_none()) {
        summary.push_str(&format!(
            "not generated: {} {} ({}): {}\n",
            c.method,
            c.path,
            c.operation_id,
            c.reason.as_deref().unwrap_or_default()
        ));
    }
    Ok(summary)
}
