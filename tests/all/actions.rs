//! Each action through the real component and host, and the errors a builder sees.

use crate::support::*;
use serde_json::json;
use weft::{CallError, ConnectorFailure};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_tags_searches_and_pages() {
    find_tags_searches_and_pages_with(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_tags_searches_and_pages_in_python() {
    find_tags_searches_and_pages_with(Lang::Python).await;
}

async fn find_tags_searches_and_pages_with(lang: Lang) {
    let world = World::new().await;
    world.create_tags(&["Summer sale", "Winter sale", "newsletter", "Spring sale"]);
    let runtime = runtime();
    let ghl = tags_connector(&runtime, lang).await;
    let conn = world.connection(TOKEN);
    let out =
        runtime.execute(&ghl, &conn, "find-tags", &json!({"searchText": "sale", "limit": 2})).await.expect("find-tags");
    assert_eq!(out["count"], 3);
    let names: Vec<&str> = out["tags"].as_array().expect("tags").iter().filter_map(|t| t["tag"].as_str()).collect();
    assert_eq!(names, ["Spring sale", "Winter sale"], "newest first, two per page");
    let rest = runtime
        .execute(&ghl, &conn, "find-tags", &json!({"searchText": "sale", "limit": 2, "skip": 2}))
        .await
        .expect("find-tags page 2");
    assert_eq!(rest["tags"][0]["tag"], "Summer sale");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_tag_details_returns_the_asked_tags() {
    let world = World::new().await;
    let tags = world.create_tags(&["one", "two", "three"]);
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let out = runtime
        .execute(
            &ghl,
            &world.connection(TOKEN),
            "get-tag-details",
            &json!({"tagIds": [tags[2].id, tags[0].id, "000000000000000000000000"]}),
        )
        .await
        .expect("get-tag-details");
    let names: Vec<&str> = out["tags"].as_array().expect("tags").iter().filter_map(|t| t["tag"].as_str()).collect();
    assert_eq!(names, ["three", "one"]);
    assert_eq!(out["count"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_accounts_and_statistics_and_the_profile_dropdown() {
    let world = World::new().await;
    let fb = world.sim.sim.add_account(
        LOCATION,
        ghl_sim::NewAccount { name: "Acme page".into(), platform: "facebook".into(), ..Default::default() },
    );
    world.sim.sim.add_account(
        LOCATION,
        ghl_sim::NewAccount { name: "Acme shop".into(), platform: "google".into(), ..Default::default() },
    );
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let conn = world.connection(TOKEN);

    let all = runtime.execute(&ghl, &conn, "list-accounts", &json!({})).await.expect("list-accounts");
    assert_eq!(all["accounts"].as_array().expect("accounts").len(), 2);
    let only_fb =
        runtime.execute(&ghl, &conn, "list-accounts", &json!({"platform": "facebook"})).await.expect("filtered");
    assert_eq!(only_fb["accounts"][0]["profileId"], fb.profile_id);
    assert_eq!(only_fb["accounts"].as_array().expect("accounts").len(), 1);

    let choices = runtime.choices(&ghl, &conn, "get-statistics", "profileIds", &json!({})).await.expect("choices");
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[0].value, fb.profile_id);
    assert_eq!(choices[0].label, "Acme page (facebook)");

    let stats = runtime
        .execute(&ghl, &conn, "get-statistics", &json!({"profileIds": [fb.profile_id]}))
        .await
        .expect("get-statistics");
    assert_eq!(stats["statistics"]["dayRange"].as_array().map(Vec::len), Some(7));
    let sent = world.sim.sim.requests();
    let stats_call = sent.iter().find(|r| r.path == "/social-media-posting/statistics").expect("a statistics call");
    assert_eq!(stats_call.query.as_deref(), Some(format!("locationId={LOCATION}").as_str()));
    for r in &sent {
        assert_eq!(r.headers.get("version").map(String::as_str), Some("2021-07-28"), "{} {}", r.method, r.path);
        assert_eq!(r.headers.get("accept").map(String::as_str), Some("application/json"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_before_the_call_naming_the_field() {
    let world = World::new().await;
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let conn = world.connection(TOKEN);
    world.sim.sim.clear_requests();
    let err = runtime
        .execute(&ghl, &conn, "find-tags", &json!({"limit": 500, "serachText": "typo"}))
        .await
        .expect_err("limit 500 is out of range");
    let CallError::InvalidInput(problems) = &err else { panic!("expected invalid input, got {err}") };
    let text = err.to_string();
    assert!(problems.iter().any(|p| p.field == "/limit"), "{text}");
    assert!(text.contains("500") && text.contains("100"), "names the value and the rule: {text}");
    assert!(text.contains("serachText"), "names the unknown field: {text}");
    let missing = runtime.execute(&ghl, &conn, "get-tag-details", &json!({})).await.expect_err("tagIds required");
    assert!(missing.to_string().contains("`/tagIds`: is required"), "{missing}");
    assert!(world.sim.sim.requests().is_empty(), "nothing reached the API");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_unauthorized_and_a_missing_scope_is_named() {
    a_bad_token_is_unauthorized_and_a_missing_scope_is_named_with(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_is_unauthorized_and_a_missing_scope_is_named_in_python() {
    a_bad_token_is_unauthorized_and_a_missing_scope_is_named_with(Lang::Python).await;
}

async fn a_bad_token_is_unauthorized_and_a_missing_scope_is_named_with(lang: Lang) {
    let world = World::new().await;
    world.sim.sim.register_token("no-tags", LOCATION, ["socialplanner/account.readonly"]);
    let runtime = runtime();
    let ghl = tags_connector(&runtime, lang).await;

    let err = runtime.execute(&ghl, &world.connection("wrong"), "find-tags", &json!({})).await.expect_err("bad token");
    assert_eq!(err.code(), weft::ErrorCode::Unauthorized, "{err}");
    assert!(err.to_string().contains("Invalid token"), "{err}");

    let err =
        runtime.execute(&ghl, &world.connection("no-tags"), "find-tags", &json!({})).await.expect_err("missing scope");
    assert!(
        matches!(&err, CallError::Connector(ConnectorFailure::Forbidden { scope: Some(s), .. }) if s == "socialplanner/tag.readonly"),
        "{err}"
    );
    assert_eq!(err.code(), weft::ErrorCode::MissingScope);
}
