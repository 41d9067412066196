//! What long work is doing: a spinner with the current step on a terminal,
//! a plain line per step otherwise (CI logs, pipes). `weft check` steps
//! through its checks; every command that loads a component says so when it
//! has to compile it (seconds for Rust, more for Python) rather than sitting
//! silent.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

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

/// How long a load may take before a terminal shows that it is compiling.
const SHOW_AFTER: Duration = Duration::from_millis(300);

/// Loads `component`, showing a spinner on a terminal while it compiles; off
/// a terminal, one line afterwards when it had to compile.
pub(crate) async fn load(runtime: &weft::Runtime, component: &Path) -> Result<weft::LoadedConnector, String> {
    let started = Instant::now();
    let loading = runtime.load(component);
    tokio::pin!(loading);
    let result = tokio::select! {
        done = &mut loading => done,
        _ = tokio::time::sleep(SHOW_AFTER) => {
            let progress = Progress::new(true);
            progress.step(&format!("compiling {} (once: later runs load it from the cache)", component.display()));
            let done = loading.await;
            progress.finish();
            done
        }
    };
    let connector = result.map_err(|e| e.to_string())?;
    if !connector.from_cache && started.elapsed() > SHOW_AFTER && !std::io::stderr().is_terminal() {
        eprintln!("compiled {} in {:.1} s", component.display(), started.elapsed().as_secs_f64());
    }
    Ok(connector)
}
