//! Logging through the host's `log` import; nowhere when built natively.

#[cfg(target_arch = "wasm32")]
pub fn warn(message: &str) {
    crate::component::log_warn(message);
}

#[cfg(not(target_arch = "wasm32"))]
pub fn warn(_message: &str) {}
