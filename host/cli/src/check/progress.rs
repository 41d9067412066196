//! What a long check is doing: a spinner with the current step on a
//! terminal, a plain line per step otherwise (CI logs, pipes).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// The progress of one run; quiet when the report itself goes to stderr's reader.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
}

impl Progress {
    /// A spinner on a terminal; plain lines on stderr otherwise, unless `quiet`.
    pub(crate) fn new(quiet: bool) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            return Progress { bar: Some(bar), plain: false };
        }
        Progress { bar: None, plain: !quiet }
    }

    /// Says what is being done now.
    pub(crate) fn step(&self, what: &str) {
        match &self.bar {
            Some(bar) => bar.set_message(what.to_string()),
            None if self.plain => eprintln!("weft check: {what}"),
            None => {}
        }
    }

    /// Clears the spinner before the report is printed.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
