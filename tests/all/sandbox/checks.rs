//! What each attack of `ATTACKS` must end with, checked against its output,
//! its error, the command line's output, or what reached the simulator.

use crate::support::*;
use serde_json::Value;
use weft::CallError;

pub(super) fn undeclared_secret(e: &CallError) -> Result<(), String> {
    let text = format!("{e:?}");
    (text.contains("NotDeclared") && text.contains("operator-master-key")).then_some(()).ok_or(text)
}

/// The credential headers a guest may neither set nor read.
pub(crate) const CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

pub(super) fn set_authorization(out: &Value, world: &World) -> Result<(), String> {
    for header in CREDENTIAL_HEADERS {
        for way in ["fromList", "append", "set"] {
            if out["refused"][header][way] != true {
                return Err(format!("{header} through {way} was not refused: {out}"));
            }
        }
    }
    let seen = world.sim.sim.requests();
    let tags: Vec<_> = seen.iter().filter(|r| r.path.ends_with("/tags")).collect();
    let auth: Vec<&str> = tags.iter().filter_map(|r| r.headers.get("authorization").map(String::as_str)).collect();
    let only_ours = !auth.is_empty() && auth.iter().all(|a| *a == format!("Bearer {TOKEN}"));
    let forged: Vec<_> = seen
        .iter()
        .flat_map(|r| r.headers.iter())
        .filter(|(name, value)| {
            value.contains("forged-by-the-guest")
                || name.as_str() != "authorization" && CREDENTIAL_HEADERS.contains(&name.as_str())
        })
        .collect();
    (out["status"] == 200 && only_ours && forged.is_empty())
        .then_some(())
        .ok_or_else(|| format!("the API saw authorization {auth:?} and {forged:?}: {out}"))
}

/// The guest cannot read a credential a careless server echoes back, though
/// the request really carried the host's credential.
pub(super) fn read_authorization(out: &Value, world: &World) -> Result<(), String> {
    let names: Vec<&str> = out["headerNames"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let hidden = !names.contains(&"authorization") && !names.contains(&"set-cookie");
    let unseen = !out.to_string().contains(TOKEN);
    let echoes: Vec<_> = world.sim.sim.requests().into_iter().filter(|r| r.path == "/probe/echo-credential").collect();
    let carried = !echoes.is_empty()
        && echoes
            .iter()
            .all(|r| r.headers.get("authorization").map(String::as_str) == Some(&format!("Bearer {TOKEN}")));
    (names.contains(&"x-probe") && hidden && unseen && carried).then_some(()).ok_or_else(|| {
        let sent: Vec<_> = echoes.iter().map(|r| r.headers.get("authorization")).collect();
        format!("the guest saw {out}; the probe got authorization {sent:?}")
    })
}

pub(super) fn bad_output(e: &CallError) -> Result<(), String> {
    let named = e.to_string().contains("`/id`") && e.to_string().contains("broke its own contract");
    (matches!(e, CallError::BadOutput(_)) && e.code() == weft::ErrorCode::BadOutput && named)
        .then_some(())
        .ok_or_else(|| format!("{e:?}"))
}

/// The probe at the connection's own origin got the host's credential (the
/// other origin is checked in `promises_host`, which serves a probe there).
pub(super) fn credential_at_home(out: &Value, world: &World) -> Result<(), String> {
    let echoes = world.sim.sim.requests().into_iter().filter(|r| r.path == "/probe/echo-credential");
    let carried = echoes.filter(|r| r.headers.get("authorization") == Some(&format!("Bearer {TOKEN}"))).count();
    (out["own"] == 200 && carried > 0).then_some(()).ok_or_else(|| format!("{carried} probes carried it: {out}"))
}

pub(super) fn log_forgery(stderr: &str) -> Result<(), String> {
    let forged = stderr
        .lines()
        .any(|l| l.starts_with("2026-12-01T00:00:00.000000Z") || l.contains("\u{1b}[31m") && !l.contains("call{"));
    let escaped = stderr.contains("innocent\\n2026-12-01T00:00:00.000000Z  INFO weft: admin key rotated");
    let attributed =
        stderr.lines().filter(|l| l.contains("innocent")).all(|l| l.contains("call{") && l.contains("connector"));
    let counted = stderr.contains("they were dropped") && stderr.contains("more than the 200");
    let raw_escape = stderr.contains('\u{1b}');
    match (forged, escaped, attributed, counted, raw_escape) {
        (false, true, true, true, false) => Ok(()),
        _ => Err(format!(
            "forged {forged}, escaped {escaped}, attributed {attributed}, counted {counted}, raw escape {raw_escape}:\n{stderr}"
        )),
    }
}

/// What `weft poll` did for a trigger attack.
pub(crate) struct PollRun {
    pub(crate) ok: bool,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) state_before: String,
    pub(crate) state_after: String,
}

pub(super) fn huge_cursor(run: &PollRun) -> Result<(), String> {
    let named = run.stderr.contains("cursor-bytes") && run.stderr.contains("stored cursor is kept");
    let kept = run.state_after == run.state_before;
    (!run.ok && named && kept).then_some(()).ok_or_else(|| format!("kept {kept}: {}", run.stderr))
}

pub(super) fn bad_event(run: &PollRun) -> Result<(), String> {
    let named = run.stderr.contains("broke its own contract") && run.stderr.contains("`/id`");
    let kept = run.state_after == run.state_before;
    (!run.ok && named && kept && run.stdout.is_empty())
        .then_some(())
        .ok_or_else(|| format!("kept {kept}, printed {:?}: {}", run.stdout, run.stderr))
}

pub(super) fn endless_more(run: &PollRun) -> Result<(), String> {
    let printed = run.stdout.lines().count();
    let stopped = run.stderr.contains("returned the same cursor");
    (run.ok && stopped && (1..=2).contains(&printed))
        .then_some(())
        .ok_or_else(|| format!("printed {printed} events; stderr: {}", run.stderr))
}
