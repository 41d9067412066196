//! Builds the connector components the end-to-end tests run, from source,
//! for `wasm32-wasip2`, into a target directory of their own (a nested cargo
//! sharing the outer one's would wait on its lock forever).

use std::path::{Path, PathBuf};
use std::process::Command;

const COMPONENTS: [(&str, &str, &str); 2] = [
    ("ghl-social-planner", "ghl_social_planner", "WEFT_GHL_COMPONENT"),
    ("weft-hostile", "weft_hostile", "WEFT_HOSTILE_COMPONENT"),
];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_path_buf();
    for dir in ["wit", "connector/src", "connector/Cargo.toml", "manifests/src", "tests/components"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let target_dir = component_target_dir(&root);
    ensure_wasm_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&root)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "component"])
        .arg("--target-dir")
        .arg(&target_dir)
        // Not the outer run's clippy wrapper: CI lints the wasm code in a run of its own.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for (package, _, _) in COMPONENTS {
        build.args(["-p", package]);
    }
    let status = build.status().expect("run cargo to build the test components");
    assert!(status.success(), "building the test components for wasm32-wasip2 failed (see above)");
    for (_, file, var) in COMPONENTS {
        let path = target_dir.join("wasm32-wasip2/component").join(format!("{file}.wasm"));
        assert!(path.exists(), "{} was not built", path.display());
        println!("cargo:rustc-env={var}={}", path.display());
    }
}

/// `<target>/components`, beside the outer build's own profiles.
fn component_target_dir(root: &Path) -> PathBuf {
    let outer = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    let outer = if outer.is_absolute() { outer } else { root.join(outer) };
    outer.join("components")
}

fn ensure_wasm_target() {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-wasip2"));
    match installed {
        Ok(true) => {}
        Ok(false) => {
            let added = Command::new("rustup").args(["target", "add", "wasm32-wasip2"]).status();
            assert!(
                added.is_ok_and(|s| s.success()),
                "the wasm32-wasip2 target is missing and `rustup target add wasm32-wasip2` failed; run it by hand"
            );
        }
        Err(_) => println!("cargo:warning=rustup not found; assuming the wasm32-wasip2 target is installed"),
    }
}
