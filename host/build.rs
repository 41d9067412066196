//! Builds the mapping component (`host/mapper`, field mapping as jq) for
//! `wasm32-wasip2`, so the host embeds it and runs each mapping in a sandbox;
//! and embeds the builder's console (`console/dist`, built by
//! `scripts/console.sh`) so one binary serves it with no files beside it.

use std::path::{Path, PathBuf};

fn main() {
    let host = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = host.parent().expect("host/ is inside the workspace").to_path_buf();
    for path in ["mapper/src", "mapper/wit", "mapper/Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", host.join(path).display());
    }
    let dir = weft_component_build::build(&root, &["weft-mapper".to_string()]);
    let wasm = weft_component_build::wasm_of(&dir, "weft-mapper");
    println!("cargo:rustc-env=WEFT_MAPPER_COMPONENT={}", wasm.display());
    embed_console(&root.join("console/dist"));
}

/// Writes `console_assets.rs`: a table of every file under `dist` as
/// `(path, bytes)`. Without a built console the table is empty and the
/// server answers `/console/` with a page that says how to build it.
fn embed_console(dist: &Path) {
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    collect(dist, dist, &mut files);
    files.sort();
    let mut table = String::from("&[\n");
    for (name, path) in &files {
        table.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string()));
    }
    table.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("console_assets.rs");
    std::fs::write(&out, table).expect("OUT_DIR is writable");
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            files.push((name, path.clone()));
        }
    }
}
