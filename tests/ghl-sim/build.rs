//! Embeds the API descriptions `weft-gen` writes into `api/` (one JSON file
//! per GHL connector), so the simulator serves every generated operation
//! without reading the official specs at run time.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("api");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let items: Vec<String> =
        files.iter().map(|f| format!("    include_str!({:?}),\n", f.display().to_string())).collect();
    let code = format!(
        "/// The API descriptions in `api/`, as JSON text.\npub(crate) const API_FILES: &[&str] = &[\n{}];\n",
        items.concat()
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("api_files.rs");
    std::fs::write(&out, code).expect("write api_files.rs");
}
