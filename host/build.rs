//! Builds the mapping component (`host/mapper`, field mapping as jq) for
//! `wasm32-wasip2`, so the host embeds it and runs each mapping in a sandbox.

use std::path::PathBuf;

fn main() {
    let host = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = host.parent().expect("host/ is inside the workspace").to_path_buf();
    for path in ["mapper/src", "mapper/wit", "mapper/Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", host.join(path).display());
    }
    let dir = weft_component_build::build(&root, &["weft-mapper".to_string()]);
    let wasm = weft_component_build::wasm_of(&dir, "weft-mapper");
    println!("cargo:rustc-env=WEFT_MAPPER_COMPONENT={}", wasm.display());
}
