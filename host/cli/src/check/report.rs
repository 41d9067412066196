//! What `weft check` found, for a person (one line per check, failures
//! first in the summary) or for a script (`--json`).

use serde::Serialize;
use std::io::IsTerminal;

/// How one check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Outcome {
    Passed,
    Failed,
    /// Could not run (no upstream, no input for it); says what would let it run.
    NotRun,
}

/// One check of one part of the connector.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    /// The check, e.g. `trigger-polls`, `error-mapping`, `breaking-change`.
    pub(crate) check: &'static str,
    /// What it looked at, e.g. `trigger new-tag`, `manifest`.
    pub(crate) subject: String,
    pub(crate) outcome: Outcome,
    /// What was seen and, on a failure, what to do.
    pub(crate) detail: String,
}

/// Every finding, in the order the checks ran.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Report {
    pub(crate) component: String,
    pub(crate) connector: Option<String>,
    pub(crate) passed: bool,
    pub(crate) findings: Vec<Finding>,
}

impl Report {
    pub(crate) fn add(&mut self, check: &'static str, subject: impl Into<String>, outcome: Outcome, detail: String) {
        self.findings.push(Finding { check, subject: subject.into(), outcome, detail });
    }

    pub(crate) fn pass(&mut self, check: &'static str, subject: impl Into<String>, detail: impl Into<String>) {
        self.add(check, subject, Outcome::Passed, detail.into());
    }

    pub(crate) fn fail(&mut self, check: &'static str, subject: impl Into<String>, detail: impl Into<String>) {
        self.add(check, subject, Outcome::Failed, detail.into());
    }

    pub(crate) fn not_run(&mut self, check: &'static str, subject: impl Into<String>, detail: impl Into<String>) {
        self.add(check, subject, Outcome::NotRun, detail.into());
    }

    pub(crate) fn failures(&self) -> usize {
        self.findings.iter().filter(|f| f.outcome == Outcome::Failed).count()
    }

    /// The report for a person.
    pub(crate) fn human(&self) -> String {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let mark = |o: Outcome| match (o, colour) {
            (Outcome::Passed, true) => "\x1b[32m✓\x1b[0m",
            (Outcome::Failed, true) => "\x1b[31m✗\x1b[0m",
            (Outcome::NotRun, true) => "\x1b[33m-\x1b[0m",
            (Outcome::Passed, false) => "ok  ",
            (Outcome::Failed, false) => "FAIL",
            (Outcome::NotRun, false) => "skip",
        };
        let mut out = format!("weft check {}", self.component);
        if let Some(id) = &self.connector {
            out.push_str(&format!(" ({id})"));
        }
        out.push('\n');
        for f in &self.findings {
            out.push_str(&format!("{} {:<16} {}: {}\n", mark(f.outcome), f.check, f.subject, f.detail));
        }
        let count = |o| self.findings.iter().filter(|f| f.outcome == o).count();
        out.push_str(&format!(
            "\n{} checks: {} passed, {} failed, {} not run\n",
            self.findings.len(),
            count(Outcome::Passed),
            count(Outcome::Failed),
            count(Outcome::NotRun)
        ));
        out
    }
}
