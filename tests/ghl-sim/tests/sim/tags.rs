//! Tag listing (string `limit`/`skip`, newest first), tags by ids, renames and deletes.

use std::collections::HashSet;

use ghl_sim::Tag;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Harness, LOCATION, harness, send};

fn tags_of(body: &Value) -> Vec<Tag> {
    serde_json::from_value(body["results"]["tags"].clone()).expect("tags parse as Tag")
}

async fn page(h: &Harness, query: &str) -> (u16, Value) {
    send(h.api(Method::GET, &format!("{}?{query}", h.tags_path()))).await
}

#[tokio::test]
async fn paging_with_string_limit_and_skip_gives_every_tag_once_newest_first() {
    let h = harness().await;
    let created: Vec<Tag> = (0..23).map(|i| h.running.sim.create_tag(LOCATION, &format!("tag {i}"))).collect();
    h.running.sim.create_tag("elsewhere", "not mine");

    let mut seen: Vec<Tag> = Vec::new();
    for skip in (0..).step_by(5).take(10) {
        let (status, body) = page(&h, &format!("limit=5&skip={skip}")).await;
        assert_eq!(status, 200);
        assert_eq!(body["success"], true);
        assert_eq!(body["statusCode"], 200);
        assert_eq!(body["message"], "Fetched Tags by Location ID");
        assert_eq!(body["results"]["count"], 23, "count is the total, not the page size");
        let tags = tags_of(&body);
        if tags.is_empty() {
            break;
        }
        assert!(tags.len() <= 5);
        seen.extend(tags);
    }
    let newest_first: Vec<Tag> = created.into_iter().rev().collect();
    assert_eq!(seen, newest_first);
    let ids: HashSet<&str> = seen.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids.len(), 23);
}

#[tokio::test]
async fn default_limit_is_ten_and_search_is_case_insensitive() {
    let h = harness().await;
    for i in 0..12 {
        h.running.sim.create_tag(LOCATION, &format!("Spring Sale {i}"));
    }
    h.running.sim.create_tag(LOCATION, "winter");
    let (status, body) = send(h.api(Method::GET, &h.tags_path())).await;
    assert_eq!(status, 200);
    assert_eq!(tags_of(&body).len(), 10);
    assert_eq!(body["results"]["count"], 13);

    let (_, body) = page(&h, "searchText=SPRING&limit=100").await;
    assert_eq!(body["results"]["count"], 12);
    assert!(tags_of(&body).iter().all(|t| t.tag.starts_with("Spring")));
    let (_, body) = page(&h, "searchText=").await;
    assert_eq!(body["results"]["count"], 13);
}

#[tokio::test]
async fn bad_limit_or_skip_is_a_422() {
    let h = harness().await;
    let (status, body) = page(&h, "limit=ten").await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({
            "statusCode": 422,
            "message": ["limit must be a number string"],
            "error": "Unprocessable Entity",
        })
    );
    for query in ["skip=-1", "skip=1.5", "limit=", "limit=101", "limit=1&limit=2"] {
        let (status, body) = page(&h, query).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert!(body["message"].is_array(), "{query}: {body}");
    }
    let (status, _) = page(&h, "limit=100&skip=99999999999999999999999").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn details_answers_201_in_the_order_asked_with_deleted_tags() {
    let h = harness().await;
    let sim = &h.running.sim;
    let a = sim.create_tag(LOCATION, "a");
    let b = sim.create_tag(LOCATION, "b");
    let other = sim.create_tag("elsewhere", "c");
    let b = sim.delete_tag(LOCATION, &b.id).expect("delete b");
    let ids = json!({"tagIds": [b.id, "ffffffffffffffffffffffff", a.id, other.id, a.id]});
    let details = format!("{}/details", h.tags_path());
    let (status, body) = send(h.api(Method::POST, &details).json(&ids)).await;
    assert_eq!(status, 201);
    assert_eq!(body["success"], true);
    assert_eq!(body["statusCode"], 201);
    assert_eq!(body["message"], "Fetched Tags by Tag IDs");
    assert_eq!(tags_of(&body), vec![b, a]);
    assert_eq!(body["results"]["count"], 2);
}

#[tokio::test]
async fn bad_details_bodies_are_422s_not_500s() {
    let h = harness().await;
    let details = format!("{}/details", h.tags_path());
    let bodies = [
        ("{not json", "tagIds must be an array"),
        ("{}", "tagIds must be an array"),
        (r#"{"tagIds":"abc"}"#, "tagIds must be an array"),
        (r#"{"tagIds":[1]}"#, "each value in tagIds must be a string"),
        ("", "tagIds must be an array"),
    ];
    for (raw, message) in bodies {
        let request = h.api(Method::POST, &details).header("Content-Type", "application/json").body(raw);
        let (status, body) = send(request).await;
        assert_eq!(status, 422, "{raw}");
        assert_eq!(body["message"], json!([message]), "{raw}");
        assert_eq!(body["error"], "Unprocessable Entity");
    }
    let too_many: Vec<String> = (0..101).map(|i| format!("{i:024x}")).collect();
    let request = h.api(Method::POST, &details).json(&json!({"tagIds": too_many}));
    assert_eq!(send(request).await.0, 422);
}

#[tokio::test]
async fn rename_bumps_updated_at_and_delete_hides_from_the_list_only() {
    let h = harness().await;
    let admin = format!("/_sim/locations/{LOCATION}/tags");
    let (status, created) = send(h.raw(Method::POST, &admin).json(&json!({"tag": "old"}))).await;
    assert_eq!(status, 201);
    let created: Tag = serde_json::from_value(created).expect("Tag");
    assert_eq!(created.created_at, created.updated_at);

    let one = format!("{admin}/{}", created.id);
    let (status, renamed) = send(h.raw(Method::PATCH, &one).json(&json!({"tag": "new"}))).await;
    assert_eq!(status, 200);
    let renamed: Tag = serde_json::from_value(renamed).expect("Tag");
    assert_eq!(renamed.tag, "new");
    assert_eq!(renamed.created_at, created.created_at);
    assert!(renamed.updated_at > created.updated_at);

    let (status, deleted) = send(h.raw(Method::DELETE, &one)).await;
    assert_eq!(status, 200);
    let deleted: Tag = serde_json::from_value(deleted).expect("Tag");
    assert!(deleted.deleted);
    assert!(deleted.updated_at > renamed.updated_at);

    let (_, list) = send(h.api(Method::GET, &h.tags_path())).await;
    assert_eq!(list["results"]["count"], 0);
    let details = format!("{}/details", h.tags_path());
    let ids = json!({"tagIds": [created.id]});
    let (_, found) = send(h.api(Method::POST, &details).json(&ids)).await;
    assert_eq!(tags_of(&found), vec![deleted]);
}

#[tokio::test]
async fn ids_and_time_stamps_have_ghls_shape_and_stamps_never_repeat() {
    let h = harness().await;
    let tags: Vec<Tag> = (0..50).map(|i| h.running.sim.create_tag(LOCATION, &i.to_string())).collect();
    for pair in tags.windows(2) {
        assert!(pair[1].created_at > pair[0].created_at);
    }
    let (_, body) = send(h.api(Method::GET, &format!("{}?limit=1", h.tags_path()))).await;
    let tag = &body["results"]["tags"][0];
    let id = tag["_id"].as_str().expect("_id");
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')), "{id}");
    let stamp = tag["createdAt"].as_str().expect("createdAt");
    // 2026-01-02T03:04:05.678Z
    assert_eq!(stamp.len(), 24, "{stamp}");
    assert!(stamp.ends_with('Z') && &stamp[19..20] == ".", "{stamp}");
    assert_eq!(tag["createdBy"].as_str().map(str::len), Some(24));
    assert_eq!(tag["locationId"], LOCATION);
    assert_eq!(tag["deleted"], false);
}
