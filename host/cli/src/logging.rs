//! The process's one logger: to stderr, filtered by `RUST_LOG`, as one JSON
//! object per line when asked, else plain text, with colour only on a terminal.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Sets up the logger; `server` commands log at `info` by default, the others at `warn`.
pub(crate) fn init(format: weft::LogFormat, server: bool) {
    let default = if server { "info" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter).with_target(false);
    match format {
        weft::LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).init(),
        weft::LogFormat::Pretty => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}
