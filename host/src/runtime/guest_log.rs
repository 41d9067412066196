//! The `log` import: a connector's log lines, written by the host as its
//! own events inside the call's span, so every line names its call. Guest
//! text is escaped (a newline cannot start a line that looks like the
//! host's), long lines are cut, and lines past the call's cap are counted and
//! reported instead of vanishing.

use super::state::CallState;
use crate::bindings::log;
use wasmtime::component::{HasSelf, Linker};

/// The longest line kept, in bytes.
const MAX_LINE: usize = 2048;

/// One call's log state.
pub(crate) struct GuestLog {
    /// The connector, for each line.
    connector: String,
    cap: u32,
    written: u32,
    dropped: u32,
    /// The lines written, when someone observes the call's audit.
    kept: Option<Vec<String>>,
}

impl GuestLog {
    pub(crate) fn new(connector: &str, cap: u32, keep: bool) -> GuestLog {
        GuestLog { connector: connector.to_string(), cap, written: 0, dropped: 0, kept: keep.then(Vec::new) }
    }

    /// The lines kept for the audit (none unless asked to keep them).
    pub(crate) fn take_kept(&mut self) -> Vec<String> {
        self.kept.take().unwrap_or_default()
    }

    /// Lines the cap dropped.
    pub(crate) fn dropped(&self) -> u32 {
        self.dropped
    }

    /// The cap.
    pub(crate) fn cap(&self) -> u32 {
        self.cap
    }
}

/// `message` with every control character escaped and cut to `MAX_LINE` bytes.
pub(crate) fn escape(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_LINE) + 8);
    for c in message.chars() {
        if out.len() >= MAX_LINE {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

impl log::Host for CallState {
    fn log(&mut self, level: log::Level, message: String) {
        let log = &mut self.log;
        if log.written >= log.cap {
            log.dropped = log.dropped.saturating_add(1);
            return;
        }
        log.written += 1;
        let message = escape(&message);
        if let Some(kept) = log.kept.as_mut() {
            kept.push(message.clone());
        }
        let connector = log.connector.as_str();
        match level {
            log::Level::Trace => tracing::trace!(connector, source = "connector", "{message}"),
            log::Level::Debug => tracing::debug!(connector, source = "connector", "{message}"),
            log::Level::Info => tracing::info!(connector, source = "connector", "{message}"),
            log::Level::Warn => tracing::warn!(connector, source = "connector", "{message}"),
            log::Level::Error => tracing::error!(connector, source = "connector", "{message}"),
        }
    }
}

/// `log@0.2.0` is 0.1.0's: the same lines, the same cap.
impl crate::bindings::v0_2::weft::connector::log::Host for CallState {
    fn log(&mut self, level: crate::bindings::v0_2::weft::connector::log::Level, message: String) {
        use crate::bindings::v0_2::weft::connector::log::Level as V2;
        let level = match level {
            V2::Trace => log::Level::Trace,
            V2::Debug => log::Level::Debug,
            V2::Info => log::Level::Info,
            V2::Warn => log::Level::Warn,
            V2::Error => log::Level::Error,
        };
        log::Host::log(self, level, message);
    }
}

/// Adds the `log` import, in every WIT version.
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    log::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)?;
    crate::bindings::v0_2::weft::connector::log::add_to_linker::<_, HasSelf<CallState>>(linker, |s| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_start_a_line_of_their_own() {
        let forged = "ok\n2026-12-01T00:00:00Z  INFO weft: forged\r\u{1b}[31mred";
        let escaped = escape(forged);
        assert!(!escaped.chars().any(char::is_control), "{escaped}");
        assert_eq!(escaped, "ok\\n2026-12-01T00:00:00Z  INFO weft: forged\\r\\u{1b}[31mred");
        assert!(escape(&"é".repeat(5000)).len() <= MAX_LINE + 4);
    }
}
