//! `POST /social-media-posting/statistics?locationId=…`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{LOCATION, harness, send};

fn stats_path() -> String {
    format!("/social-media-posting/statistics?locationId={LOCATION}")
}

#[tokio::test]
async fn statistics_answer_201_with_the_spec_example_by_default() {
    let h = harness().await;
    let request = h.api(Method::POST, &stats_path()).json(&json!({"profileIds": ["67a5a9aa776c837de4aa5b12"]}));
    let (status, body) = send(request).await;
    assert_eq!(status, 201);
    assert_eq!(body["message"], "Analytics Built Successfully");
    assert!(body.get("success").is_none() && body.get("statusCode").is_none());
    let trace_id = body["traceId"].as_str().expect("traceId");
    assert_eq!(trace_id.len(), 36, "{trace_id}");
    let results = &body["results"];
    assert_eq!(results["dayRange"], json!(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]));
    assert_eq!(results["totals"]["posts"], 0);
    assert_eq!(results["platformTotals"]["followers"]["google"]["series"].as_array().map(Vec::len), Some(7));
    assert_eq!(results["demographics"]["age"]["totals"]["65+"], 0);
}

#[tokio::test]
async fn statistics_need_the_query_location_and_profile_ids() {
    let h = harness().await;
    let profile = json!({"profileIds": ["p1"]});
    let no_location = h.api(Method::POST, "/social-media-posting/statistics").json(&profile);
    let (status, body) = send(no_location).await;
    assert_eq!(status, 422);
    assert!(body["message"][0].as_str().is_some_and(|m| m.contains("locationId")), "{body}");

    let cases: [(Value, &str); 5] = [
        (json!({}), "profileIds"),
        (json!({"profileIds": []}), "profileIds"),
        (json!({"profileIds": "p1"}), "profileIds"),
        (json!({"profileIds": ["p1"], "platforms": ["myspace"]}), "platforms"),
        (json!({"profileIds": ["p1"], "platforms": "facebook"}), "platforms"),
    ];
    for (request_body, field) in cases {
        let request = h.api(Method::POST, &stats_path()).json(&request_body);
        let (status, body) = send(request).await;
        assert_eq!(status, 422, "{request_body}");
        let message = body["message"][0].as_str().unwrap_or_default();
        assert!(message.contains(field), "{request_body}: {body}");
    }
    let garbage = h.api(Method::POST, &stats_path()).body("][");
    assert_eq!(send(garbage).await.0, 422);

    let many: Vec<String> = (0..101).map(|i| format!("p{i}")).collect();
    let too_many = h.api(Method::POST, &stats_path()).json(&json!({"profileIds": many}));
    assert_eq!(send(too_many).await.0, 400);
}

#[tokio::test]
async fn statistics_come_from_the_admin_route_narrowed_to_the_platforms_asked() {
    let h = harness().await;
    let week = json!([1, 2, 3, 4, 5, 6, 7]);
    let both = |v: Value| json!({"facebook": v.clone(), "instagram": v});
    let results = json!({
        "dayRange": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "totals": {"posts": 2, "likes": 30, "followers": 400, "impressions": 5000, "comments": 6},
        "postPerformance": {"posts": both(week.clone()), "impressions": week, "likes": week, "comments": week},
        "breakdowns": {
            "posts": {"total": 2, "totalChange": 100, "platforms": both(json!({"value": 1, "change": 0}))},
            "impressions": {"total": 5000, "totalChange": 10, "platforms": both(json!({"value": 1, "change": 0}))},
            "reach": {"total": 900, "totalChange": 5, "platforms": both(json!({"value": 1, "change": 0}))},
            "engagement": both(json!({"likes": 1, "comments": 2, "shares": 3, "change": 4})),
        },
        "platformTotals": {
            "impressions": both(json!({"total": 1, "series": week})),
            "followers": both(json!({"total": 1, "series": week})),
            "likes": both(json!({"total": 1, "series": week})),
        },
        "demographics": {},
    });
    let admin = format!("/_sim/locations/{LOCATION}/statistics");
    assert_eq!(send(h.raw(Method::PUT, &admin).json(&results)).await.0, 200);

    let all = h.api(Method::POST, &stats_path()).json(&json!({"profileIds": ["p1"]}));
    let (status, body) = send(all).await;
    assert_eq!(status, 201);
    assert_eq!(body["results"], results);

    let narrowed = json!({"profileIds": ["p1"], "platforms": ["instagram"]});
    let (_, body) = send(h.api(Method::POST, &stats_path()).json(&narrowed)).await;
    let text = body["results"].to_string();
    assert!(!text.contains("facebook"), "{text}");
    assert_eq!(body["results"]["breakdowns"]["engagement"]["instagram"]["shares"], 3);
    assert_eq!(body["results"]["platformTotals"]["likes"]["instagram"]["total"], 1);
    assert_eq!(body["results"]["totals"]["likes"], 30);
}
