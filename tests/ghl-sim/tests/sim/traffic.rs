//! GHL's rate limits (headers, 429, recovery) and the fault queue.

use std::time::{Duration, Instant};

use ghl_sim::{Fault, RateLimit, SimStats};
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::common::{Harness, LOCATION, harness, send};

const LIMIT_HEADERS: [&str; 5] = [
    "x-ratelimit-max",
    "x-ratelimit-remaining",
    "x-ratelimit-interval-milliseconds",
    "x-ratelimit-limit-daily",
    "x-ratelimit-daily-remaining",
];

async fn get_tags(h: &Harness) -> Response {
    h.api(Method::GET, &h.tags_path()).send().await.expect("request to the simulator")
}

fn header(response: &Response, name: &str) -> Option<u64> {
    response.headers().get(name)?.to_str().ok()?.parse().ok()
}

#[tokio::test]
async fn limit_headers_count_down_and_the_101st_request_is_a_429() {
    let h = harness().await;
    for n in 1..=100u64 {
        let response = get_tags(&h).await;
        assert_eq!(response.status().as_u16(), 200, "request {n}");
        assert_eq!(header(&response, "x-ratelimit-max"), Some(100));
        assert_eq!(header(&response, "x-ratelimit-remaining"), Some(100 - n), "request {n}");
        assert_eq!(header(&response, "x-ratelimit-interval-milliseconds"), Some(10_000));
        assert_eq!(header(&response, "x-ratelimit-limit-daily"), Some(200_000));
        assert_eq!(header(&response, "x-ratelimit-daily-remaining"), Some(200_000 - n));
    }
    let response = get_tags(&h).await;
    assert_eq!(response.status().as_u16(), 429);
    assert!(response.headers().get("retry-after").is_none(), "GHL documents no Retry-After");
    assert_eq!(header(&response, "x-ratelimit-remaining"), Some(0));
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body, json!({"statusCode": 429, "message": "Too Many Requests"}));

    h.running.sim.register_token("other-location", "elsewhere", ["socialplanner/tag.readonly"]);
    let other = h.with_token(Method::GET, "/social-media-posting/elsewhere/tags", "other-location");
    assert_eq!(send(other).await.0, 200, "limits are per location");
    assert_eq!(h.running.sim.stats(), SimStats { served: 101, rate_limited: 1, faults_injected: 0 });
    let (_, stats) = send(h.raw(Method::GET, "/_sim/stats")).await;
    assert_eq!(stats, json!({"served": 101, "rateLimited": 1, "faultsInjected": 0}));
}

#[tokio::test]
async fn the_window_refills_after_its_interval() {
    let h = harness().await;
    let limits = json!({"burst": 2, "windowMs": 400});
    let (status, body) = send(h.raw(Method::POST, "/_sim/rate-limit").json(&limits)).await;
    assert_eq!((status, body), (200, json!({"burst": 2, "windowMs": 400, "daily": 200_000})));
    let started = Instant::now();
    assert_eq!(get_tags(&h).await.status().as_u16(), 200);
    assert_eq!(get_tags(&h).await.status().as_u16(), 200);
    let limited = get_tags(&h).await;
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(header(&limited, "x-ratelimit-interval-milliseconds"), Some(400));
    tokio::time::sleep(Duration::from_millis(450).saturating_sub(started.elapsed())).await;
    let again = get_tags(&h).await;
    assert_eq!(again.status().as_u16(), 200);
    assert_eq!(header(&again, "x-ratelimit-remaining"), Some(1));
    assert_eq!(h.running.sim.stats().rate_limited, 1);
}

#[tokio::test]
async fn the_daily_limit_holds_across_windows() {
    let h = harness().await;
    h.running.sim.set_rate_limit(RateLimit { burst: 100, window_ms: 1, daily: 2 }).expect("valid limits");
    for remaining in [1, 0] {
        let response = get_tags(&h).await;
        assert_eq!(header(&response, "x-ratelimit-daily-remaining"), Some(remaining));
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let response = get_tags(&h).await;
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(header(&response, "x-ratelimit-daily-remaining"), Some(0));
    let zero = h.raw(Method::POST, "/_sim/rate-limit").json(&json!({"burst": 0}));
    assert_eq!(send(zero).await.0, 422);
    let typo = h.raw(Method::POST, "/_sim/rate-limit").json(&json!({"window": 5}));
    assert_eq!(send(typo).await.0, 422);
}

#[tokio::test]
async fn admin_oauth_and_tokenless_requests_are_neither_limited_nor_labelled() {
    let h = harness().await;
    h.running.sim.set_rate_limit(RateLimit { burst: 1, window_ms: 60_000, daily: 10 }).expect("valid limits");
    h.running.sim.push_faults([Fault::status(500).times(10)], Some("/_sim")).expect("valid faults");
    for _ in 0..3 {
        let response = h.raw(Method::GET, "/_sim/requests").send().await.expect("admin");
        assert_eq!(response.status().as_u16(), 200);
        assert!(LIMIT_HEADERS.iter().all(|name| response.headers().get(*name).is_none()));
        let token = h.raw(Method::POST, "/oauth/token").form(&[("grant_type", "refresh_token")]);
        assert_eq!(token.send().await.expect("token").status().as_u16(), 422);
        let anonymous = h.raw(Method::GET, &h.tags_path()).header("Version", "2021-07-28");
        let response = anonymous.send().await.expect("no token");
        assert_eq!(response.status().as_u16(), 401);
        assert!(response.headers().get("x-ratelimit-remaining").is_none());
    }
    assert_eq!(h.running.sim.pending_faults(), 10, "admin paths never consume faults");
    assert_eq!(h.running.sim.stats(), SimStats { served: 3, rate_limited: 0, faults_injected: 0 });
}

#[tokio::test]
async fn status_faults_answer_ghl_bodies_then_the_api_recovers() {
    let h = harness().await;
    let faults = json!({"faults": [
        {"kind": "status", "status": 500, "count": 2},
        {"kind": "status", "status": 429, "retryAfterSeconds": 2, "count": 1},
        {"kind": "status", "status": 503},
    ]});
    let (status, body) = send(h.raw(Method::POST, "/_sim/faults").json(&faults)).await;
    assert_eq!((status, body), (201, json!({"pending": 4})));
    for _ in 0..2 {
        let response = get_tags(&h).await;
        assert_eq!(response.status().as_u16(), 500);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body, json!({"statusCode": 500, "message": "Internal server error"}));
    }
    let limited = get_tags(&h).await;
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("2"));
    let body: Value = limited.json().await.expect("JSON");
    assert_eq!(body, json!({"statusCode": 429, "message": "Too Many Requests"}));
    let unavailable = get_tags(&h).await;
    assert_eq!(unavailable.status().as_u16(), 503);
    assert!(unavailable.headers().get("retry-after").is_none());
    assert_eq!(get_tags(&h).await.status().as_u16(), 200);
    assert_eq!(h.running.sim.stats(), SimStats { served: 1, rate_limited: 0, faults_injected: 4 });
    let (_, stats) = send(h.raw(Method::GET, "/_sim/stats")).await;
    assert_eq!(stats["faultsInjected"], 4);
    let log: Vec<u16> = h.running.sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(log, [500, 500, 429, 503, 200]);
}

#[tokio::test]
async fn a_delay_fault_answers_normally_after_waiting() {
    let h = harness().await;
    h.running.sim.push_faults([Fault::delay(Duration::from_millis(300))], None).expect("valid faults");
    let started = Instant::now();
    let response = get_tags(&h).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(header(&response, "x-ratelimit-remaining"), Some(99), "a delayed answer is a normal one");
    let started = Instant::now();
    assert_eq!(get_tags(&h).await.status().as_u16(), 200);
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn a_malformed_json_fault_is_a_200_that_does_not_parse() {
    let h = harness().await;
    let fault = json!({"faults": [{"kind": "malformed-json", "count": 1}]});
    assert_eq!(send(h.raw(Method::POST, "/_sim/faults").json(&fault)).await.0, 201);
    let response = get_tags(&h).await;
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let text = response.text().await.expect("body");
    assert!(text.starts_with('{'), "{text}");
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(send(h.api(Method::GET, &h.tags_path())).await.0, 200);
}

#[tokio::test]
async fn a_drop_connection_fault_closes_without_a_response() {
    let h = harness().await;
    h.running.sim.push_faults([Fault::drop_connection()], None).expect("valid faults");
    let error = h.api(Method::GET, &h.tags_path()).send().await.expect_err("no response");
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    assert_eq!(get_tags(&h).await.status().as_u16(), 200, "the next request is served");
    assert_eq!(h.running.sim.stats().faults_injected, 1);
}

#[tokio::test]
async fn faults_can_target_a_path_and_be_cleared() {
    let h = harness().await;
    let faults = json!({"faults": [{"kind": "status", "status": 502, "count": 5}], "pathContains": "/tags"});
    assert_eq!(send(h.raw(Method::POST, "/_sim/faults").json(&faults)).await.0, 201);
    let accounts = format!("/social-media-posting/{LOCATION}/accounts");
    assert_eq!(send(h.api(Method::GET, &accounts)).await.0, 200);
    let (status, body) = send(h.api(Method::GET, &h.tags_path())).await;
    assert_eq!((status, body), (502, json!({"statusCode": 502, "message": "Bad Gateway"})));
    assert_eq!(h.running.sim.pending_faults(), 4);
    assert_eq!(send(h.raw(Method::DELETE, "/_sim/faults")).await.0, 204);
    assert_eq!(send(h.api(Method::GET, &h.tags_path())).await.0, 200);

    for bad in [
        json!({"faults": [{"kind": "status", "status": 200}]}),
        json!({"faults": [{"kind": "status", "status": 500, "count": 0}]}),
        json!({"faults": [{"kind": "teleport"}]}),
        json!({"faults": [{"kind": "delay"}]}),
        json!({"fault": []}),
    ] {
        let (status, body) = send(h.raw(Method::POST, "/_sim/faults").json(&bad)).await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    assert_eq!(h.running.sim.pending_faults(), 0, "nothing queued from refused bodies");
}
