//! What a call gives back is checked against the manifest, every call runs in
//! an instance of its own, and past a limit the call ends naming the limit
//! (or, for log lines, the rest is counted and reported).

use super::arg;
use crate::sandbox::{ATTACKS, Expect, strict_runtime};
use crate::support::*;
use serde_json::json;
use std::sync::Arc;
use weft::limits::Limit;
use weft::{CallError, ErrorCode, PollMeta};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_breaking_its_own_schema_is_bad_output_and_is_not_passed_on() {
    let world = World::new().await;
    let runtime = strict_runtime(|_| {});
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    let conn = world.connection(TOKEN);

    let err = runtime.execute(&hostile, &conn, "bad-output", &json!({})).await.expect_err("refused");
    assert_eq!(err.code(), ErrorCode::BadOutput, "{err}");
    assert!(err.to_string().contains("`/id`"), "the error names the field: {err}");

    let meta = PollMeta { seed: false, since: None };
    let err = runtime.poll(&hostile, &conn, "bad-event", &json!({}), None, meta).await.expect_err("refused");
    assert!(matches!(err, CallError::BadOutput(_)), "{err:?}");
    assert!(err.to_string().contains("bad-1") && err.to_string().contains("`/id`"), "names event and field: {err}");

    // From the shell: an error line, and nothing of the output on stdout.
    let args = [
        "invoke",
        &arg(weft_tests::hostile_component()),
        "bad-output",
        "--connection",
        &arg(&world.connection_file),
        "--allow-loopback",
    ];
    let out = weft(&args, TOKEN).await;
    assert!(!out.status.success(), "{}", stdout(&out));
    assert_eq!(stdout(&out), "", "the output is not passed on");
    assert!(stderr(&out).contains("broke its own contract"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_kept_in_memory_never_survives_into_the_next_call() {
    let world = World::new().await;
    let runtime = strict_runtime(|_| {});
    let hostile = Arc::new(runtime.load(weft_tests::hostile_component()).await.expect("hostile"));
    let conn = world.connection(TOKEN);
    for call in 0..5 {
        let out = runtime.execute(&hostile, &conn, "counter", &json!({})).await.expect("counter");
        assert_eq!(out["calls"], 1, "call {call} saw an earlier call's memory: {out}");
    }
    let mut at_once = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (runtime, hostile, conn) = (runtime.clone(), hostile.clone(), conn.clone());
        at_once.spawn(async move { runtime.execute(&hostile, &conn, "counter", &json!({})).await });
    }
    while let Some(done) = at_once.join_next().await {
        let out = done.expect("task").expect("counter");
        assert_eq!(out["calls"], 1, "a concurrent call saw another call's memory: {out}");
    }
}

fn limit_error(result: &Result<serde_json::Value, CallError>, limit: Limit) -> Result<String, String> {
    match result {
        Err(e @ CallError::LimitExceeded { limit: hit, .. })
            if *hit == limit && e.to_string().contains(limit.as_str()) =>
        {
            assert_eq!(e.code(), ErrorCode::LimitExceeded);
            Ok(e.to_string())
        }
        other => Err(format!("expected limit-exceeded `{limit}`, got {other:?}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_larger_than_the_configured_cap_ends_the_call_naming_the_limit() {
    let world = World::new().await;
    let runtime = strict_runtime(|c| c.limits.response_body_bytes = 1 << 20);
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    let result = runtime.execute(&hostile, &world.connection(TOKEN), "huge-response", &json!({})).await;
    let said = limit_error(&result, Limit::ResponseBodyBytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(said.contains("1048576"), "the configured cap is the one applied: {said}");
    let metrics = runtime.metrics().render(&[]);
    assert!(metrics.contains("weft_limits_hit_total{limit=\"response-body-bytes\",outcome=\"failed\"}"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_outliving_request_timeout_ends_the_call_naming_the_limit() {
    let world = World::new().await;
    // The call may take a minute; one request only 300 ms.
    let runtime = strict_runtime(|c| {
        c.limits.request_timeout_ms = 300;
        c.limits.call_timeout_ms = 60_000;
    });
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    let result = runtime.execute(&hostile, &world.connection(TOKEN), "slow-upstream", &json!({})).await;
    let said = limit_error(&result, Limit::RequestTimeout).unwrap_or_else(|e| panic!("{e}"));
    assert!(said.contains("300 ms"), "the configured timeout is the one applied: {said}");
    // A slow upstream is a passing fault: subscriptions retry it rather than pause.
    assert!(result.as_ref().is_err_and(CallError::is_retryable), "a request timeout is retried later");
    let metrics = runtime.metrics().render(&[]);
    assert!(metrics.contains("weft_limits_hit_total{limit=\"request-timeout\",outcome=\"failed\"}"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_with_more_events_than_events_per_poll_ends_naming_the_limit() {
    let world = World::new().await;
    let floods: Vec<_> = ATTACKS
        .iter()
        .filter_map(|(key, expect)| match expect {
            Expect::PollLimit(limit) => Some((key.trim_start_matches("trigger:"), *limit)),
            _ => None,
        })
        .collect();
    assert!(!floods.is_empty(), "ATTACKS lists the event flood");
    for events_per_poll in [500, 20] {
        let runtime = strict_runtime(|c| c.limits.events_per_poll = events_per_poll);
        let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
        for (trigger, limit) in &floods {
            let meta = PollMeta { seed: false, since: None };
            let result = runtime.poll(&hostile, &world.connection(TOKEN), trigger, &json!({}), None, meta).await;
            let result = result.map(|o| json!(o.events.len()));
            let said = limit_error(&result, *limit).unwrap_or_else(|e| panic!("{trigger}: {e}"));
            assert!(said.contains(&format!("the limit is {events_per_poll}")), "{said}");
            let metrics = runtime.metrics().render(&[]);
            let line = format!("weft_limits_hit_total{{limit=\"{limit}\",outcome=\"failed\"}}");
            assert!(metrics.contains(&line), "{trigger}: {line} is counted:\n{metrics}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_past_the_cap_are_dropped_counted_and_reported() {
    let world = World::new().await;
    let config = world.path("five-lines.toml");
    std::fs::write(&config, "[limits]\nlog_lines = 5\n").expect("config");
    let args = [
        "--config",
        &arg(&config),
        "invoke",
        &arg(weft_tests::hostile_component()),
        "log-forgery",
        "--connection",
        &arg(&world.connection_file),
        "--allow-loopback",
    ];
    let out = weft_with(&args, TOKEN, &[("RUST_LOG", "info")]).await;
    let err = stderr(&out);
    assert!(out.status.success(), "the cap drops lines, it does not end the call: {err}");
    // The connector logs `innocent…`, a coloured line, then `line 0` to `line 999`.
    let kept = ["innocent", "colour", "line 0", "line 1", "line 2"];
    assert!(kept.iter().all(|l| err.contains(l)) && !err.contains("line 3"), "exactly five lines are written:\n{err}");
    assert!(err.contains("wrote 997 log lines more than the 5 a call may write"), "counted and reported:\n{err}");

    let runtime = strict_runtime(|c| c.limits.log_lines = 5);
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    runtime.execute(&hostile, &world.connection(TOKEN), "log-forgery", &json!({})).await.expect("the call succeeds");
    let metrics = runtime.metrics().render(&[]);
    assert!(metrics.contains("weft_log_lines_dropped_total 997"), "in the metrics too:\n{metrics}");
}
