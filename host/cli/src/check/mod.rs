//! `weft check`: the acceptance suite a connector author runs before
//! publishing. The manifest and forms from the component alone; then, against
//! a simulator on this machine or a recorded fixture file, the triggers,
//! actions, dropdowns, error mapping and what the sandbox saw; with
//! `--against`, what breaks for an older version's subscriptions. Exit code 0
//! only when nothing failed.

mod behaviour;
mod compat;
mod declared;
mod report;
mod upstream;

use crate::args::Global;
use crate::connection_file::ConnectionFile;
use crate::progress;
use clap::Args;
use report::Report;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use upstream::{FIXTURE_TOKEN, Fixtures, Upstream};
use weft::{Connection, Runtime, Secret};

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// The connector component (.wasm).
    component: PathBuf,
    /// A connection file (base_url, location_id, token_env) for a simulator on
    /// this machine: the triggers and actions run against it.
    #[arg(long, conflicts_with = "fixtures")]
    connection: Option<PathBuf>,
    /// A fixture file recorded with --record: the triggers and actions run
    /// against it, offline.
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Write what the simulator answered (and the inputs used) to this fixture
    /// file; the token is replaced by a placeholder.
    #[arg(long, requires = "connection")]
    record: Option<PathBuf>,
    /// An older build of the same connector: report what in this one would
    /// break its subscriptions and mappings.
    #[arg(long)]
    against: Option<PathBuf>,
    /// The input a trigger or action runs with, as KEY=JSON (default `{}`
    /// where its schema takes it).
    #[arg(long = "input", value_name = "KEY=JSON")]
    inputs: Vec<String>,
    /// Run only these triggers and actions (the manifest is still checked whole).
    #[arg(long = "only", value_name = "KEY")]
    only: Vec<String>,
    /// A shell command that makes something new upstream after a trigger's
    /// seed, as TRIGGER=COMMAND; the next poll must emit it.
    #[arg(long = "after-seed", value_name = "TRIGGER=COMMAND", requires = "connection")]
    after_seed: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn pairs(args: &[String], flag: &str) -> Result<BTreeMap<String, String>, String> {
    args.iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| format!("{flag} `{a}` must be KEY=VALUE"))
        })
        .collect()
}

/// Every key `keys` names that the manifest does not have, refused with what it has.
fn known(m: &weft::ConnectorManifest, keys: &[&String], flag: &str) -> Result<(), String> {
    let all: Vec<&str> =
        m.triggers.iter().map(|t| t.key.as_str()).chain(m.actions.iter().map(|a| a.key.as_str())).collect();
    match keys.iter().find(|k| !all.contains(&k.as_str())) {
        Some(k) => {
            Err(format!("{flag} `{k}`: {} has no trigger or action of that key; it has: {}", m.id, all.join(", ")))
        }
        None => Ok(()),
    }
}

pub(crate) async fn run(g: &Global, args: &CheckArgs) -> Result<(), String> {
    let mut inputs: BTreeMap<String, Value> = BTreeMap::new();
    for (key, text) in pairs(&args.inputs, "--input")? {
        let value = serde_json::from_str(&text).map_err(|e| format!("--input {key}: not JSON: {e}"))?;
        inputs.insert(key, value);
    }
    let after_seed = pairs(&args.after_seed, "--after-seed")?;
    let mut config = g.host_config()?;
    // The checked connector talks to this command's own server on 127.0.0.1.
    config.egress.allow_loopback = true;
    let runtime = Runtime::new(config).map_err(|e| format!("{e:#}"))?;
    let progress = progress::Progress::new(args.json);
    let mut report = Report { component: args.component.display().to_string(), ..Report::default() };
    progress.step(&format!("loading {}", args.component.display()));
    match progress::load(&runtime, &args.component).await {
        Err(e) => report.fail("manifest", "component", e),
        Ok(connector) => {
            let m = &connector.manifest;
            report.connector = Some(format!("{} {}", m.id, m.version));
            known(
                m,
                &args.only.iter().chain(inputs.keys()).chain(after_seed.keys()).collect::<Vec<_>>(),
                "--only/--input/--after-seed",
            )?;
            declared::check(m, &mut report);
            if let Some(old) = &args.against {
                progress.step(&format!("comparing with {}", old.display()));
                match progress::load(&runtime, old).await {
                    Ok(old) => compat::check(&old.manifest, m, &mut report),
                    Err(e) => report.fail("breaking-change", old.display().to_string(), format!("cannot load it: {e}")),
                }
            }
            behave(&runtime, &connector, args, inputs, &after_seed, &mut report, &progress).await?;
        }
    }
    progress.finish();
    report.passed = report.failures() == 0;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    } else {
        print!("{}", report.human());
    }
    match report.failures() {
        0 => Ok(()),
        n => Err(format!("{n} check(s) failed")),
    }
}

/// The behaviour checks, against the simulator or the fixtures; a note when there is neither.
async fn behave(
    runtime: &Runtime,
    connector: &weft::LoadedConnector,
    args: &CheckArgs,
    mut inputs: BTreeMap<String, Value>,
    after_seed: &BTreeMap<String, String>,
    report: &mut Report,
    progress: &progress::Progress,
) -> Result<(), String> {
    let (upstream, facts, token, changed, secrets) = match (&args.connection, &args.fixtures) {
        (Some(path), _) => {
            let file = ConnectionFile::load(path)?;
            let base = file
                .base_url
                .clone()
                .ok_or_else(|| format!("{}: weft check needs base_url (the simulator)", path.display()))?;
            if !upstream::is_local(&base) {
                return Err(format!(
                    "{}: base_url {base} is not on this machine; weft check runs connectors against a simulator or recorded fixtures, never a live account",
                    path.display()
                ));
            }
            let token = file.token()?;
            let real = token.as_ref().map(|t| t.expose().to_string());
            let upstream = Upstream::forwarding(&base, real.clone()).await?;
            let mut secrets = vec![FIXTURE_TOKEN.to_string()];
            match real {
                Some(real) if real.len() < behaviour::MIN_SECRET => report.not_run(
                    "logs",
                    "token",
                    format!(
                        "the connection's token is shorter than {} characters, so it is only looked for as the fixtures' placeholder; use a longer one",
                        behaviour::MIN_SECRET
                    ),
                ),
                real => secrets.extend(real),
            }
            (upstream, file.facts(), token, Vec::new(), secrets)
        }
        (None, Some(path)) => {
            let fixtures = Fixtures::load(path)?;
            let upstream = Upstream::replaying(&fixtures).await?;
            for (key, input) in fixtures.inputs {
                inputs.entry(key).or_insert(input);
            }
            (
                upstream,
                fixtures.connection,
                Some(Secret::new(FIXTURE_TOKEN)),
                fixtures.changed_after_seed,
                vec![FIXTURE_TOKEN.to_string()],
            )
        }
        (None, None) => {
            report.not_run(
                "behaviour",
                "connector",
                "triggers, actions and error mapping were not run: pass --connection <simulator connection file> or --fixtures <file>",
            );
            return Ok(());
        }
    };
    let connection = match &token {
        Some(token) => Connection::with_bearer_token(upstream.url.clone(), facts.clone(), token),
        None => Connection { base_url: upstream.url.clone(), facts: facts.clone(), credential: None },
    };
    let audits = Arc::new(behaviour::Audits::default());
    runtime.observe_calls(audits.clone());
    let plan = behaviour::Plan {
        runtime,
        connector,
        connection: &connection,
        upstream: &upstream,
        secrets,
        inputs: &inputs,
        only: &args.only,
        after_seed,
        changed_after_seed: &changed,
    };
    behaviour::check(&plan, &audits, report, progress).await;
    if let Some(path) = &args.record {
        let fixtures = Fixtures {
            connection: facts,
            inputs,
            changed_after_seed: after_seed.keys().cloned().collect(),
            exchanges: upstream.recorded(),
        };
        fixtures.save(path)?;
        report.pass(
            "fixtures",
            path.display().to_string(),
            format!("recorded {} exchange(s)", fixtures.exchanges.len()),
        );
    }
    Ok(())
}
