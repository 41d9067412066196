//! The precompiled component cache. Compiling a component takes tens of
//! milliseconds to seconds; loading its `.cwasm` takes well under one. The
//! cache is keyed by the component's sha256 and the engine's compatibility
//! hash, and only files this host wrote into a directory only it can write
//! are ever loaded: deserialising is running native code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where a component's precompiled form lives.
pub(crate) fn entry(dir: &Path, engine: &Engine, digest: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!("{digest}-{:016x}.cwasm", hasher.finish()))
}

/// Creates the cache directory private to this user, or checks an existing
/// one is: not writable by group or others, and owned by us.
pub(crate) fn prepare_dir(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| format!("cannot create cache dir {}: {e}", dir.display()))?;
        }
        let meta = std::fs::metadata(dir).map_err(|e| format!("cache dir {}: {e}", dir.display()))?;
        // Our own uid is the owner of a file we create.
        let probe = dir.join(".owner-probe");
        std::fs::write(&probe, b"").map_err(|e| format!("cache dir {} is not writable: {e}", dir.display()))?;
        let ours = std::fs::metadata(&probe).map(|m| m.uid()).unwrap_or(u32::MAX);
        let _ = std::fs::remove_file(&probe);
        if meta.uid() != ours || meta.permissions().mode() & 0o022 != 0 {
            return Err(format!(
                "cache dir {} must be owned by this user and not writable by others (chmod 700 it)",
                dir.display()
            ));
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create cache dir {}: {e}", dir.display()))?;
    Ok(())
}

/// The cached component, if this host compiled it before.
pub(crate) fn load(engine: &Engine, path: &Path) -> Option<Component> {
    if !path.is_file() {
        return None;
    }
    // SAFETY: only files this host wrote land in its private cache directory
    // (see `prepare_dir` and `store`), and wasmtime checks the engine
    // compatibility recorded in the file before using it.
    #[allow(unsafe_code)]
    let loaded = unsafe { Component::deserialize_file(engine, path) };
    match loaded {
        Ok(component) => Some(component),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "ignoring an unusable cache entry");
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

/// Writes the compiled form atomically: a crash leaves no half file.
pub(crate) fn store(engine: &Engine, component_bytes: &[u8], path: &Path) -> Result<Component, String> {
    let compiled = engine.precompile_component(component_bytes).map_err(|e| format!("{e:#}"))?;
    // A name no other writer uses, in this process or another: two loads of
    // one component at once must not write into the same file, or a reader
    // that already mapped the renamed file sees it change (SIGBUS).
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, &compiled)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write cache entry {}: {e}", path.display()))?;
    load(engine, path).ok_or_else(|| format!("the cache entry {} did not load back", path.display()))
}
