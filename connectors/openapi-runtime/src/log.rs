//! Logging through the host's `log` import inside a component; nowhere otherwise.

#[cfg(all(target_arch = "wasm32", feature = "component"))]
pub fn warn(message: &str) {
    crate::component::log_warn(message);
}

#[cfg(not(all(target_arch = "wasm32", feature = "component")))]
pub fn warn(_message: &str) {}
