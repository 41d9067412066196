//! Hostile components are contained with typed errors while well-behaved
//! calls beside them complete. Attacks that would send packets run in a
//! network namespace of their own where only loopback exists.

mod checks;

use crate::support::*;
use checks::*;
pub(crate) use checks::{CREDENTIAL_HEADERS, PollRun};
use serde_json::{Value, json};
use std::sync::Arc;
use weft::limits::Limit;
use weft::{CallError, HostConfig, LoadedConnector, Runtime};

/// A host with tight limits, so attacks end fast.
pub(crate) fn strict_runtime(tweak: impl FnOnce(&mut HostConfig)) -> Arc<Runtime> {
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    config.concurrency = 8;
    config.limits.cpu_ms = 500;
    config.limits.call_timeout_ms = 5_000;
    config.limits.requests_per_call = 50;
    tweak(&mut config);
    Arc::new(Runtime::new(config).expect("runtime"))
}

/// Runs `action` of the hostile connector and, at the same time, a
/// well-behaved GHL call; returns the attack's result after checking the
/// good call succeeded.
pub(crate) async fn attack_beside_good_call(
    world: &World,
    runtime: &Arc<Runtime>,
    hostile: &Arc<LoadedConnector>,
    ghl: &Arc<LoadedConnector>,
    action: &str,
) -> Result<serde_json::Value, CallError> {
    let conn = world.connection(TOKEN);
    let attack = {
        let (runtime, hostile, conn, action) = (runtime.clone(), hostile.clone(), conn.clone(), action.to_string());
        tokio::spawn(async move { runtime.execute(&hostile, &conn, &action, &json!({})).await })
    };
    let good = {
        let (runtime, ghl) = (runtime.clone(), ghl.clone());
        tokio::spawn(async move { runtime.execute(&ghl, &conn, "find-tags", &json!({"limit": 1})).await })
    };
    let good = good.await.expect("good call task");
    assert!(good.is_ok(), "the well-behaved call beside `{action}` failed: {good:?}");
    attack.await.expect("attack task")
}

/// What an attack of the hostile component must end with.
#[derive(Clone, Copy)]
pub(crate) enum Expect {
    /// The call ends with this per-call limit, named in its error.
    Limit(Limit),
    /// The call ends with this limit, and its error says this.
    LimitSaying(Limit, &'static str),
    /// Refused by the egress policy, the error naming each of these; run
    /// inside a network namespace of its own (see `egress` below).
    Egress(&'static [&'static str]),
    /// The connector crashes.
    Trapped,
    /// The call fails, and the check holds of the error.
    Error(fn(&CallError) -> Result<(), String>),
    /// The call succeeds, and the check holds of its output and the world.
    Output(fn(&Value, &World) -> Result<(), String>),
    /// The connector carried on past this limit: the call succeeds, and the
    /// limit is still reported, in the metrics and on `weft invoke`'s stderr.
    Swallowed(Limit),
    /// Through `weft invoke`, the check holds of its stderr.
    Stderr(fn(&str) -> Result<(), String>),
    /// A trigger, polled by `weft poll`; the check holds of what happened.
    Poll(fn(&PollRun) -> Result<(), String>),
    /// A dropdown whose choices end with this limit.
    Choices(Limit),
    /// A trigger whose poll ends with this limit, polled through the runtime.
    PollLimit(Limit),
}

/// Every attack, keyed `action`, `trigger:key` or `options:key/field`. A test
/// fails when the hostile component has an attack this table does not list.
pub(crate) const ATTACKS: &[(&str, Expect)] = &[
    ("infinite-loop", Expect::Limit(Limit::CpuTime)),
    ("memory-bomb", Expect::Limit(Limit::Memory)),
    ("deep-recursion", Expect::Limit(Limit::Stack)),
    ("shadow-stack-overflow", Expect::Limit(Limit::Stack)),
    ("huge-output", Expect::Limit(Limit::OutputBytes)),
    ("request-flood", Expect::Limit(Limit::RequestsPerCall)),
    ("slow-upstream", Expect::Limit(Limit::CallTimeout)),
    ("huge-request-body", Expect::Limit(Limit::RequestBodyBytes)),
    ("fields-flood", Expect::LimitSaying(Limit::HostResources, "more than 1000 host handles")),
    ("oversized-fields", Expect::LimitSaying(Limit::HostResources, "header fields went over 65536 bytes")),
    ("panic", Expect::Trapped),
    ("undeclared-secret", Expect::Error(undeclared_secret)),
    ("set-authorization", Expect::Output(set_authorization)),
    ("read-authorization", Expect::Output(read_authorization)),
    ("pick", Expect::Output(|_, _| Ok(()))),
    ("bad-output", Expect::Error(bad_output)),
    ("counter", Expect::Output(|out, _| (out["calls"] == 1).then_some(()).ok_or_else(|| out.to_string()))),
    ("huge-response", Expect::Limit(Limit::ResponseBodyBytes)),
    ("credential-elsewhere", Expect::Output(credential_at_home)),
    ("swallow-request-limit", Expect::Swallowed(Limit::RequestsPerCall)),
    ("swallow-response-cut", Expect::Swallowed(Limit::ResponseBodyBytes)),
    ("log-forgery", Expect::Stderr(log_forgery)),
    // The host cannot tell a logged echo from any other line; `weft check` names it (tests/all/check.rs).
    (
        "log-echo",
        Expect::Output(|out, _| (out["logged"].as_u64() > Some(0)).then_some(()).ok_or_else(|| out.to_string())),
    ),
    ("undeclared-host", Expect::Egress(&["undeclared.invalid", "not an allowed host"])),
    ("private-ip", Expect::Egress(&["10.1.2.3", "private"])),
    ("private-name", Expect::Egress(&["internal.test resolves to 10.0.0.5", "private"])),
    ("redirect-private", Expect::Egress(&["10.9.9.9", "not an allowed host"])),
    ("trigger:huge-cursor", Expect::Poll(huge_cursor)),
    ("trigger:endless-more", Expect::Poll(endless_more)),
    ("trigger:event-flood", Expect::PollLimit(Limit::EventsPerPoll)),
    ("trigger:bad-event", Expect::Poll(bad_event)),
    ("options:pick/thing", Expect::Choices(Limit::Choices)),
];

/// The hostile component's attacks, keyed as `ATTACKS` keys them.
async fn attacks_of_the_component() -> Vec<String> {
    let runtime = strict_runtime(|_| {});
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    let manifest = &hostile.manifest;
    let actions = manifest.actions.iter().map(|a| a.key.clone());
    let triggers = manifest.triggers.iter().map(|t| format!("trigger:{}", t.key));
    let options = manifest
        .actions
        .iter()
        .flat_map(|a| a.dynamic_options.iter().map(move |d| format!("options:{}/{}", a.key, d.field)));
    let mut all: Vec<String> = actions.chain(triggers).chain(options).collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attack_of_the_hostile_component_has_an_expected_outcome() {
    let mut listed: Vec<String> = ATTACKS.iter().map(|(k, _)| k.to_string()).collect();
    listed.sort();
    assert_eq!(attacks_of_the_component().await, listed, "add the new attack to ATTACKS with what it must end with");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attack_is_contained_while_a_well_behaved_call_beside_it_succeeds() {
    let world = World::new().await;
    world.create_tags(&["good"]);
    // CPU time enough for the handle flood to reach the handle limit on a
    // slow machine (about 1 s here), still well under the call's timeout.
    let runtime = strict_runtime(|c| {
        c.limits.cpu_ms = 2_000;
        c.limits.call_timeout_ms = 4_000;
    });
    let hostile = Arc::new(runtime.load(weft_tests::hostile_component()).await.expect("hostile"));
    let ghl = Arc::new(runtime.load(component()).await.expect("ghl"));
    for (key, expect) in ATTACKS {
        let result = match expect {
            Expect::Egress(_) | Expect::Stderr(_) | Expect::Poll(_) | Expect::Choices(_) | Expect::PollLimit(_) => {
                continue;
            }
            _ => attack_beside_good_call(&world, &runtime, &hostile, &ghl, key).await,
        };
        match (expect, &result) {
            (Expect::Limit(limit), Err(e @ CallError::LimitExceeded { limit: hit, .. })) if hit == limit => {
                assert!(e.to_string().contains(limit.as_str()), "{key}: the error names the limit: {e}");
            }
            (Expect::LimitSaying(limit, says), Err(e @ CallError::LimitExceeded { limit: hit, .. }))
                if hit == limit =>
            {
                assert!(e.to_string().contains(says), "{key}: the error says `{says}`: {e}");
            }
            (Expect::Trapped, Err(CallError::Trapped(_))) => {}
            (Expect::Error(check), Err(e)) => check(e).unwrap_or_else(|why| panic!("{key}: {why}")),
            (Expect::Output(check), Ok(out)) => check(out, &world).unwrap_or_else(|why| panic!("{key}: {why}")),
            (Expect::Swallowed(limit), Ok(_)) => {
                let metrics = runtime.metrics().render(&[]);
                let line = format!("weft_limits_hit_total{{limit=\"{limit}\",outcome=\"swallowed\"}}");
                assert!(metrics.contains(&line), "{key}: {line} is counted:\n{metrics}");
            }
            _ => panic!("{key}: unexpected {result:?}"),
        }
        assert_eq!(world.sim.sim.bodies_received(), 0, "{key}: no refused request body reached the upstream");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropdown_flood_ends_with_the_choices_limit() {
    let world = World::new().await;
    let runtime = strict_runtime(|_| {});
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    for (key, expect) in ATTACKS {
        let (Expect::Choices(limit), Some((action, field))) =
            (expect, key.strip_prefix("options:").and_then(|k| k.split_once('/')))
        else {
            continue;
        };
        let result = runtime.choices(&hostile, &world.connection(TOKEN), action, field, &json!({})).await;
        assert!(
            matches!(&result, Err(CallError::LimitExceeded { limit: hit, .. }) if hit == limit),
            "{key}: {result:?}"
        );
    }
}

/// A config for `weft` with the strict runtime's limits.
fn strict_config(world: &World) -> String {
    let path = world.path("strict.toml");
    std::fs::write(&path, "[limits]\ncpu_ms = 500\ncall_timeout_ms = 5000\nrequests_per_call = 50\n").expect("config");
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_through_the_command_line_are_reported_and_keep_the_state() {
    let world = World::new().await;
    let config = strict_config(&world);
    let hostile = weft_tests::hostile_component().display().to_string();
    let conn = world.connection_file.display().to_string();
    for (key, expect) in ATTACKS {
        match expect {
            Expect::Swallowed(limit) => {
                let args = ["--config", &config, "invoke", &hostile, key, "--connection", &conn, "--allow-loopback"];
                let out = weft(&args, TOKEN).await;
                let err = stderr(&out);
                assert!(out.status.success(), "{key}: {err}");
                assert!(err.contains(limit.as_str()) && err.contains("carried on"), "{key}: stderr says so:\n{err}");
            }
            Expect::Stderr(check) => {
                let out = weft_with(
                    &["--config", &config, "invoke", &hostile, key, "--connection", &conn, "--allow-loopback"],
                    TOKEN,
                    &[("RUST_LOG", "info")],
                )
                .await;
                assert!(out.status.success(), "{key}: {}", stderr(&out));
                check(&stderr(&out)).unwrap_or_else(|why| panic!("{key}: {why}"));
            }
            Expect::Poll(check) => {
                let trigger = key.trim_start_matches("trigger:");
                let state = world.path(&format!("{trigger}.state"));
                let before = format!(
                    "{{\"connector\":\"weft-hostile\",\"trigger\":\"{trigger}\",\"cursor\":\"\\\"old\\\"\",\"seen\":[],\"updated_at\":\"2026-01-01T00:00:00Z\"}}"
                );
                std::fs::write(&state, &before).expect("state");
                let state_arg = state.display().to_string();
                let args = [
                    "--config",
                    &config,
                    "poll",
                    &hostile,
                    trigger,
                    "--connection",
                    &conn,
                    "--allow-loopback",
                    "--state",
                    &state_arg,
                ];
                let out = weft(&args, TOKEN).await;
                let run = PollRun {
                    ok: out.status.success(),
                    stdout: self::stdout(&out),
                    stderr: stderr(&out),
                    state_before: before,
                    state_after: std::fs::read_to_string(&state).unwrap_or_default(),
                };
                check(&run).unwrap_or_else(|why| panic!("{key}: {why}"));
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_limit_too_small_to_start_a_component_says_so() {
    let runtime = strict_runtime(|c| c.limits.memory_mib = 1);
    let err = runtime.load(component()).await.err().expect("refused");
    assert!(matches!(err, weft::LoadError::MemoryTooSmall { limit_mib: 1, .. }), "{err}");
    assert!(err.to_string().contains("memory_mib"), "says what to raise: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_keeps_serving_after_every_attack() {
    let world = World::new().await;
    let runtime = strict_runtime(|_| {});
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    for action in ["infinite-loop", "memory-bomb", "panic", "deep-recursion"] {
        assert!(runtime.execute(&hostile, &world.connection(TOKEN), action, &json!({})).await.is_err());
    }
    let ghl = runtime.load(component()).await.expect("ghl");
    for _ in 0..20 {
        runtime.execute(&ghl, &world.connection(TOKEN), "find-tags", &json!({})).await.expect("still serving");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_reuse_pooled_keep_alive_connections() {
    let world = World::new().await;
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    for _ in 0..5 {
        runtime.execute(&ghl, &world.connection(TOKEN), "find-tags", &json!({})).await.expect("find-tags");
    }
    assert_eq!(world.sim.sim.connections_accepted(), 1, "five calls share one keep-alive connection");
}

/// Attacks on the network: run only inside an isolated network namespace,
/// so a guard that failed would meet "network unreachable", not a real host.
pub(crate) mod egress {
    use super::*;
    use std::process::Command;

    const INNER: &str = "sandbox::egress::network_attacks_inside_the_namespace";

    #[test]
    fn network_attacks_are_refused_in_an_isolated_network_namespace() {
        let exe = std::env::current_exe().expect("the test binary's path");
        let output = Command::new("unshare")
            .args(["--user", "--map-root-user", "--net", "sh", "-c", r#"ip link set lo up && exec "$0" "$@""#])
            .arg(exe)
            .args(["--exact", INNER, "--ignored", "--nocapture", "--test-threads=1"])
            .env("WEFT_IN_NETNS", "1")
            .output()
            .expect("run `unshare` (util-linux); these tests need a network namespace of their own");
        let out = String::from_utf8_lossy(&output.stdout);
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "inside the namespace:\n{out}\n{err}");
        assert!(out.contains("test result: ok. 1 passed"), "the inner test must have run:\n{out}\n{err}");
    }

    /// Only loopback exists here: anything else is unreachable.
    fn assert_isolated() {
        assert_eq!(std::env::var("WEFT_IN_NETNS").as_deref(), Ok("1"), "run through the outer test, never directly");
        // /proc/net/dev lists the interfaces of this process's own namespace.
        let devices = std::fs::read_to_string("/proc/net/dev").expect("read /proc/net/dev");
        let interfaces: Vec<String> =
            devices.lines().skip(2).filter_map(|l| l.split(':').next()).map(|n| n.trim().to_string()).collect();
        assert_eq!(interfaces, ["lo"], "not an isolated namespace");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "run by network_attacks_are_refused_in_an_isolated_network_namespace inside its own namespace"]
    async fn network_attacks_inside_the_namespace() {
        assert_isolated();
        let world = World::new().await;
        let runtime = strict_runtime(|c| {
            c.static_hosts.insert("internal.test".into(), vec!["10.0.0.5".parse().expect("ip")]);
        });
        let hostile = Arc::new(runtime.load(weft_tests::hostile_component()).await.expect("hostile"));
        let ghl = Arc::new(runtime.load(component()).await.expect("ghl"));
        for (action, expect) in ATTACKS {
            let Expect::Egress(names) = expect else { continue };
            let result = attack_beside_good_call(&world, &runtime, &hostile, &ghl, action).await;
            match result {
                Err(CallError::EgressDenied(why)) => {
                    let why = why.to_string();
                    for name in *names {
                        assert!(why.contains(name), "{action}: `{why}` should mention `{name}`");
                    }
                }
                other => panic!("{action}: expected egress-denied, got {other:?}"),
            }
        }
    }
}
