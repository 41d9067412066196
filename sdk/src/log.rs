//! Logging through the host's `log` import. The host attributes each line to
//! its call, escapes it and caps how many a call may write. Built natively
//! (unit tests, benchmarks) the lines go nowhere.

/// How much a line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Step by step detail.
    Trace,
    /// Detail for the connector's developer.
    Debug,
    /// Something worth knowing.
    Info,
    /// Something went wrong and was handled (a page repeated, a list cut short).
    Warn,
    /// Something went wrong and was not.
    Error,
}

/// Writes one line.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::component::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (level, message);
}

/// Writes a line at [`Level::Debug`].
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Writes a line at [`Level::Info`].
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Writes a line at [`Level::Warn`].
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Writes a line at [`Level::Error`].
pub fn error(message: &str) {
    log(Level::Error, message);
}
