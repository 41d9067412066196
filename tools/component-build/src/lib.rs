//! For build scripts: builds workspace crates as `wasm32-wasip2` components,
//! from source, into a target directory of their own (a nested cargo that
//! shared the outer one's would wait on its lock forever). The host's build
//! uses it for the mapping component, the tests' for the connectors they run.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `<target>/components`, beside the outer build's own profiles.
pub fn target_dir(root: &Path) -> PathBuf {
    let outer = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    let outer = if outer.is_absolute() { outer } else { root.join(outer) };
    outer.join("components")
}

/// Installs the `wasm32-wasip2` target when rustup says it is missing.
pub fn ensure_wasm_target() {
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

/// Builds `packages` of the workspace at `root` with the `component` profile;
/// returns the directory their `.wasm` files are in.
pub fn build(root: &Path, packages: &[String]) -> PathBuf {
    let target = target_dir(root);
    ensure_wasm_target();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(root)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "component"])
        .arg("--target-dir")
        .arg(&target)
        // Not the outer run's clippy wrapper: CI lints the wasm code in a run of its own.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    for package in packages {
        build.args(["-p", package]);
    }
    let status = build.status().expect("run cargo to build the components");
    assert!(status.success(), "building {packages:?} for wasm32-wasip2 failed (see above)");
    target.join("wasm32-wasip2/component")
}

/// The `.wasm` file `package` builds to, in `dir`.
pub fn wasm_of(dir: &Path, package: &str) -> PathBuf {
    let path = dir.join(format!("{}.wasm", package.replace('-', "_")));
    assert!(path.exists(), "{} was not built", path.display());
    path
}
