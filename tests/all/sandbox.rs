//! Hostile components are contained with typed errors while well-behaved
//! calls beside them complete. Attacks that would send packets run in a
//! network namespace of their own where only loopback exists.

use crate::support::*;
use serde_json::json;
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

fn limit_of(result: &Result<serde_json::Value, CallError>) -> Option<Limit> {
    match result {
        Err(CallError::LimitExceeded { limit, .. }) => Some(*limit),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_attacks_end_with_the_limit_they_hit() {
    let world = World::new().await;
    world.create_tags(&["good"]);
    let runtime = strict_runtime(|c| c.limits.call_timeout_ms = 3_000);
    let hostile = Arc::new(runtime.load(weft_tests::hostile_component()).await.expect("hostile"));
    let ghl = Arc::new(runtime.load(component()).await.expect("ghl"));
    for (action, limit) in [
        ("infinite-loop", Limit::CpuTime),
        ("memory-bomb", Limit::Memory),
        ("deep-recursion", Limit::Stack),
        ("huge-output", Limit::OutputBytes),
        ("request-flood", Limit::RequestsPerCall),
        ("slow-upstream", Limit::CallTimeout),
    ] {
        let result = attack_beside_good_call(&world, &runtime, &hostile, &ghl, action).await;
        assert_eq!(limit_of(&result), Some(limit), "{action}: {result:?}");
        let text = result.expect_err("an error").to_string();
        assert!(text.contains(limit.as_str()), "the error names the limit: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_a_trap_and_an_undeclared_secret_is_refused() {
    let world = World::new().await;
    let runtime = strict_runtime(|_| {});
    let hostile = Arc::new(runtime.load(weft_tests::hostile_component()).await.expect("hostile"));
    let ghl = Arc::new(runtime.load(component()).await.expect("ghl"));
    let panic = attack_beside_good_call(&world, &runtime, &hostile, &ghl, "panic").await;
    assert!(matches!(panic, Err(CallError::Trapped(_))), "{panic:?}");
    let secret = attack_beside_good_call(&world, &runtime, &hostile, &ghl, "undeclared-secret").await;
    let text = format!("{:?}", secret.expect_err("refused"));
    assert!(text.contains("NotDeclared") && text.contains("operator-master-key"), "{text}");
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
        for (action, names) in [
            ("undeclared-host", ["undeclared.invalid", "not an allowed host"]),
            ("private-ip", ["10.1.2.3", "private"]),
            ("private-name", ["internal.test resolves to 10.0.0.5", "private"]),
            ("redirect-private", ["10.9.9.9", "not an allowed host"]),
        ] {
            let result = attack_beside_good_call(&world, &runtime, &hostile, &ghl, action).await;
            match result {
                Err(CallError::EgressDenied(why)) => {
                    let why = why.to_string();
                    for name in names {
                        assert!(why.contains(name), "{action}: `{why}` should mention `{name}`");
                    }
                }
                other => panic!("{action}: expected egress-denied, got {other:?}"),
            }
        }
    }
}
