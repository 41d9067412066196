//! What can only be checked by running the connector: every trigger seeds
//! and then emits only what is new, every action and dropdown answers on its
//! example input, errors map to the WIT variant, and nothing leaves for a
//! host the manifest does not declare or carries the token where it should
//! not. Runs through the real runtime (fresh instance per call, egress
//! policy, credential injection, schema checks) against [`Upstream`].

use super::report::Report;
use super::upstream::{Fault, RETRY_AFTER_SECONDS, Upstream};
use crate::progress::Progress;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use weft::runtime::{CallAudit, CallObserver};
use weft::{CallError, Connection, ConnectorFailure, LoadedConnector, PollMeta, Runtime};

/// The shortest token the leak checks look for; a shorter one appears in ordinary text by chance.
pub(crate) const MIN_SECRET: usize = 12;

/// Polls after the seed that may each say `has-more` before the check gives up.
const MAX_ROUNDS: usize = 20;

/// What the checks run with.
pub(crate) struct Plan<'a> {
    pub(crate) runtime: &'a Runtime,
    pub(crate) connector: &'a LoadedConnector,
    pub(crate) connection: &'a Connection,
    pub(crate) upstream: &'a Upstream,
    /// Text that must appear in no log line, output or event: the token (at
    /// least [`MIN_SECRET`] characters, or it would match by chance).
    pub(crate) secrets: Vec<String>,
    /// `--input KEY=JSON`.
    pub(crate) inputs: &'a BTreeMap<String, Value>,
    /// `--only KEY`; empty means all.
    pub(crate) only: &'a [String],
    /// Shell commands that change the upstream after a trigger's seed (recording).
    pub(crate) after_seed: &'a BTreeMap<String, String>,
    /// Triggers whose upstream changed after the seed when the fixtures were recorded.
    pub(crate) changed_after_seed: &'a [String],
}

/// Every call's audit, kept for the checks that read them.
#[derive(Default)]
pub(crate) struct Audits(Mutex<Vec<CallAudit>>);

impl CallObserver for Audits {
    fn observed(&self, audit: CallAudit) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(audit);
    }
}

impl Audits {
    fn all(&self) -> Vec<CallAudit> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Plan<'_> {
    fn wanted(&self, key: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|k| k == key)
    }

    /// The input a key runs with: `--input` (or the one recorded in the
    /// fixtures), else `{}` when the schema takes it. Inputs name the
    /// account's own things (ids), so they belong to the check, not the manifest.
    fn input_for(&self, key: &str, schema: &Value) -> Result<Value, String> {
        if let Some(v) = self.inputs.get(key) {
            return Ok(v.clone());
        }
        let empty = Value::Object(Default::default());
        match weft::schema::Schema::compile(schema) {
            Ok(s) if s.check(&empty).is_ok() => Ok(empty),
            _ => {
                Err(format!("needs an input to run: pass --input {key}='{{…}}' (a recording keeps it in the fixtures)"))
            }
        }
    }

    /// Where `text` carries a secret, if it does.
    fn leaks(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| s.len() >= MIN_SECRET && text.contains(s.as_str()))
    }
}

/// Runs every behaviour check; `audits` must be the runtime's observer.
pub(crate) async fn check(plan: &Plan<'_>, audits: &Arc<Audits>, report: &mut Report, progress: &Progress) {
    let m = &plan.connector.manifest;
    for t in m.triggers.iter().filter(|t| plan.wanted(&t.key)) {
        let subject = format!("trigger {}", t.key);
        if t.is_instant() && !t.reconciles() {
            report.not_run("trigger-polls", &subject, "instant without a listing to poll; send it webhooks in a test");
            continue;
        }
        let input = match plan.input_for(&t.key, &t.input_schema) {
            Ok(input) => input,
            Err(why) => {
                report.not_run("trigger-polls", &subject, why);
                continue;
            }
        };
        progress.step(&format!("polling {subject}"));
        match polls(plan, &t.key, &input).await {
            Ok(detail) => report.pass("trigger-polls", &subject, detail),
            Err(Refusal::Scope(why)) => report.not_run("trigger-polls", &subject, why),
            Err(Refusal::Broken(why)) => report.fail("trigger-polls", &subject, why),
        }
    }
    let mut ran: Vec<(String, Value, bool)> = Vec::new();
    for a in m.actions.iter().filter(|a| plan.wanted(&a.key)) {
        let subject = format!("action {}", a.key);
        let input = match plan.input_for(&a.key, &a.input_schema) {
            Ok(input) => input,
            Err(why) => {
                report.not_run("action-runs", &subject, why);
                continue;
            }
        };
        progress.step(&format!("running {subject}"));
        match plan.runtime.execute(plan.connector, plan.connection, &a.key, &input).await {
            Ok(output) if plan.leaks(&output.to_string()) => {
                report.fail("action-runs", &subject, "its output carries the connection's token; never return it")
            }
            Ok(_) => {
                report.pass("action-runs", &subject, "ran; the output matches its schema");
                ran.push((a.key.clone(), input, a.effect() == weft_manifest::ActionEffect::Read));
            }
            Err(e) => match lacks_scope(&e) {
                Some(why) => report.not_run("action-runs", &subject, why),
                None => report.fail("action-runs", &subject, format!("{e} [{}]", e.code().as_str())),
            },
        }
    }
    let dropdowns = m
        .triggers
        .iter()
        .map(|t| (&t.key, &t.dynamic_options, &t.input_schema))
        .chain(m.actions.iter().map(|a| (&a.key, &a.dynamic_options, &a.input_schema)));
    for (key, fields, schema) in dropdowns.filter(|(k, ..)| plan.wanted(k)) {
        for field in fields {
            let subject = format!("dropdown {key}.{}", field.field);
            let input = plan.input_for(key, schema).unwrap_or_else(|_| Value::Object(Default::default()));
            progress.step(&format!("listing {subject}"));
            match plan.runtime.choices(plan.connector, plan.connection, key, &field.field, &input).await {
                Ok(choices) => report.pass("dropdown", &subject, format!("{} choice(s)", choices.len())),
                Err(e) => match lacks_scope(&e) {
                    Some(why) => report.not_run("dropdown", &subject, why),
                    None => report.fail("dropdown", &subject, format!("{e} [{}]", e.code().as_str())),
                },
            }
        }
    }
    // Reads first: a fault answer must not be mistaken for a write that happened.
    ran.sort_by_key(|(_, _, read)| !read);
    match ran.first() {
        Some((key, input, _)) => {
            progress.step(&format!("answering action {key} with faults"));
            error_mapping(plan, key, input, report).await;
        }
        None => report.not_run(
            "error-mapping",
            "connector",
            "no action ran, so none could be answered with faults; pass --input for one",
        ),
    }
    for missing in plan.upstream.unanswered() {
        report.fail("fixtures", "upstream", format!("the fixtures have no answer for {missing}; record them again"));
    }
    sandbox(plan, &audits.all(), report);
}

/// Why the check's connection cannot run something: a scope its token was
/// not granted (the test account's doing, not the connector's).
fn lacks_scope(e: &CallError) -> Option<String> {
    match e {
        CallError::Connector(ConnectorFailure::Forbidden { scope: Some(scope), .. }) => {
            Some(format!("the check's connection lacks scope `{scope}`; connect one that has it to check this"))
        }
        _ => None,
    }
}

/// How a trigger's polls failed the check.
enum Refusal {
    /// The check's connection lacks a scope: not run.
    Scope(String),
    /// The trigger misbehaves.
    Broken(String),
}

impl From<String> for Refusal {
    fn from(why: String) -> Refusal {
        Refusal::Broken(why)
    }
}

/// Seed, then a poll with the seed's cursor (only what is new), then one more
/// (nothing again).
async fn polls(plan: &Plan<'_>, key: &str, input: &Value) -> Result<String, Refusal> {
    let call = |cursor: Option<String>, seed: bool| {
        plan.runtime.poll(plan.connector, plan.connection, key, input, cursor, PollMeta { seed, since: None })
    };
    let described = |e: CallError| format!("{e} [{}]", e.code().as_str());
    let seeded = match call(None, true).await {
        Ok(seeded) => seeded,
        Err(e) => match lacks_scope(&e) {
            Some(why) => return Err(Refusal::Scope(why)),
            None => return Err(Refusal::Broken(format!("the seed poll failed: {}", described(e)))),
        },
    };
    let seen: HashSet<String> = seeded.events.iter().map(|e| e.id.clone()).collect();
    let changed = match plan.after_seed.get(key) {
        Some(command) => {
            run_command(command)?;
            true
        }
        None => plan.changed_after_seed.iter().any(|k| k == key),
    };
    let mut cursor = seeded.cursor.clone();
    let mut fresh: Vec<String> = Vec::new();
    for round in 0.. {
        if round == MAX_ROUNDS {
            return Err(format!("said it has more {MAX_ROUNDS} polls in a row; has-more must end").into());
        }
        let next = call(cursor.clone(), false)
            .await
            .map_err(|e| format!("the poll after the seed failed: {}", described(e)))?;
        for e in &next.events {
            if seen.contains(&e.id) {
                return Err(format!("the poll after the seed emitted `{}` again, which the seed had reported; keep it out with the cursor", e.id).into());
            }
            if plan.leaks(&e.data.to_string()) {
                return Err(format!("event `{}` carries the connection's token", e.id).into());
            }
            fresh.push(e.id.clone());
        }
        let repeated = next.cursor == cursor;
        cursor = next.cursor;
        if !next.has_more {
            break;
        }
        if repeated {
            return Err(Refusal::Broken("said it has more but returned the same cursor".into()));
        }
    }
    if changed && fresh.is_empty() {
        return Err(Refusal::Broken("the upstream changed after the seed, and the next poll emitted nothing".into()));
    }
    let again = call(cursor, false).await.map_err(|e| format!("the third poll failed: {}", described(e)))?;
    if let Some(e) = again.events.first() {
        return Err(
            format!("a poll with the returned cursor emitted `{}` again; it should emit nothing new", e.id).into()
        );
    }
    let cursor = seeded.cursor.as_deref().map(|_| "a cursor").unwrap_or("no cursor");
    Ok(format!(
        "the seed reported {} existing item(s) and {cursor}; the next poll emitted {} new, the one after nothing",
        seen.len(),
        fresh.len()
    ))
}

fn run_command(command: &str) -> Result<(), String> {
    let status = std::process::Command::new("sh")
        .args(["-c", command])
        .status()
        .map_err(|e| format!("cannot run --after-seed `{command}`: {e}"))?;
    if !status.success() {
        return Err(format!("--after-seed `{command}` failed ({status})"));
    }
    Ok(())
}

/// The connector's error for each fault, against what the WIT variant says it must be.
async fn error_mapping(plan: &Plan<'_>, key: &str, input: &Value, report: &mut Report) {
    let m = &plan.connector.manifest;
    let scopes = m.action(key).map(|a| a.scopes.clone()).unwrap_or_default();
    let marker = m.scope_error_marker().map(str::to_string);
    let mut faults = vec![
        (Fault::Unauthorized, "401", "unauthorized"),
        (Fault::Forbidden, "403", "forbidden"),
        (Fault::RateLimited, "429 with Retry-After", "rate-limited"),
        (Fault::Unavailable, "503", "transient"),
    ];
    if marker.is_some() {
        faults.insert(1, (Fault::MissingScope, "401 naming a missing scope", "forbidden with the scope"));
    }
    for (fault, answer, wanted) in faults {
        plan.upstream.set_fault(Some(fault), marker.as_deref().unwrap_or_default());
        let result = plan.runtime.execute(plan.connector, plan.connection, key, input).await;
        plan.upstream.set_fault(None, "");
        let subject = format!("action {key} on a {answer}");
        let got = match &result {
            Ok(_) => "a result, as if the call had worked".to_string(),
            Err(e) => format!("{e} [{}]", e.code().as_str()),
        };
        let ok = match (&result, fault) {
            (Err(CallError::Connector(ConnectorFailure::Unauthorized(_))), Fault::Unauthorized) => true,
            (Err(CallError::Connector(ConnectorFailure::Forbidden { .. })), Fault::Forbidden) => true,
            (Err(CallError::Connector(ConnectorFailure::Forbidden { scope: Some(s), .. })), Fault::MissingScope) => {
                scopes.is_empty() || scopes.iter().any(|declared| s.contains(declared.as_str()))
            }
            (Err(CallError::Connector(ConnectorFailure::RateLimited { retry_after, .. })), Fault::RateLimited) => {
                *retry_after == Some(std::time::Duration::from_secs(RETRY_AFTER_SECONDS))
            }
            (Err(CallError::Connector(ConnectorFailure::Transient(_))), Fault::Unavailable) => true,
            _ => false,
        };
        if ok {
            report.pass("error-mapping", subject, format!("became {wanted}"));
        } else {
            let hint = match fault {
                Fault::RateLimited => format!(" with retry-after-ms {} (from Retry-After)", RETRY_AFTER_SECONDS * 1000),
                Fault::MissingScope => format!(" naming one of {scopes:?}"),
                _ => String::new(),
            };
            report.fail("error-mapping", subject, format!("must become `{wanted}`{hint}; got {got}"));
        }
    }
}

/// What the audits show: hosts, credential headers, the token in logs.
fn sandbox(plan: &Plan<'_>, audits: &[CallAudit], report: &mut Report) {
    let requests: u32 = audits.iter().map(|a| a.requests).sum();
    let mut denied: Vec<String> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    let mut leaked: Vec<String> = Vec::new();
    for a in audits {
        for d in &a.denials {
            let line = format!("{} {}: {d}", a.kind, a.key);
            if !denied.contains(&line) {
                denied.push(line);
            }
        }
        for h in &a.refused_headers {
            let line = format!("{} {} set `{h}`", a.kind, a.key);
            if !headers.contains(&line) {
                headers.push(line);
            }
        }
        if a.log_lines.iter().any(|l| plan.leaks(l)) {
            let line = format!("{} {}", a.kind, a.key);
            if !leaked.contains(&line) {
                leaked.push(line);
            }
        }
    }
    match denied.is_empty() {
        true => report.pass("egress", "connector", format!("{requests} request(s), each to a declared host")),
        false => report.fail(
            "egress",
            "connector",
            format!("contacted what its manifest does not declare: {}", denied.join("; ")),
        ),
    }
    match headers.is_empty() {
        true => report.pass("credential", "connector", "never set a credential header (the host injects it)"),
        false => report.fail(
            "credential",
            "connector",
            format!("{}; the host injects the credential and refuses these, so remove them", headers.join("; ")),
        ),
    }
    match leaked.is_empty() {
        true => report.pass("logs", "connector", "no log line carries the connection's token"),
        false => report.fail(
            "logs",
            "connector",
            format!(
                "logged the connection's token in {}; log ids and counts, not what the API sent",
                leaked.join(", ")
            ),
        ),
    }
}
