//! Each trigger through the real component and host against the simulator.

use crate::support::*;
use serde_json::json;

fn ids(outcome: &weft::PollOutcome) -> Vec<String> {
    outcome.events.iter().map(|e| e.id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tag_seeds_then_emits_only_tags_created_since() {
    new_tag_seeds_then_emits_only_tags_created_since_with(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tag_seeds_then_emits_only_tags_created_since_in_python() {
    new_tag_seeds_then_emits_only_tags_created_since_with(Lang::Python).await;
}

async fn new_tag_seeds_then_emits_only_tags_created_since_with(lang: Lang) {
    let world = World::new().await;
    world.create_tags(&["existing one", "existing two"]);
    let runtime = runtime();
    let ghl = tags_connector(&runtime, lang).await;
    let conn = world.connection(TOKEN);

    let seeded = poll(&runtime, &ghl, &conn, "new-tag", json!({}), None, true).await;
    let after_seed = poll(&runtime, &ghl, &conn, "new-tag", json!({}), seeded.cursor.clone(), false).await;
    assert!(after_seed.events.is_empty(), "nothing is new right after seeding: {:?}", ids(&after_seed));

    let created = world.create_tags(&["launch", "promo"]);
    let next = poll(&runtime, &ghl, &conn, "new-tag", json!({}), after_seed.cursor, false).await;
    assert_eq!(ids(&next), vec![created[0].id.clone(), created[1].id.clone()]);
    assert_eq!(next.events[0].data["tag"], "launch");
    assert_eq!(next.events[1].occurred_at.as_deref(), Some(format!("{:.3}", created[1].created_at).as_str()));

    let again = poll(&runtime, &ghl, &conn, "new-tag", json!({}), next.cursor, false).await;
    assert!(again.events.is_empty(), "each tag is emitted once: {:?}", ids(&again));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_past_the_poll_limit_never_emits_what_existed() {
    a_seed_past_the_poll_limit_never_emits_what_existed_with(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_past_the_poll_limit_never_emits_what_existed_in_python() {
    a_seed_past_the_poll_limit_never_emits_what_existed_with(Lang::Python).await;
}

/// Three tags made a moment before the subscription, and a host that takes
/// one event per poll: the seed reports one, and none of the three is ever new.
async fn a_seed_past_the_poll_limit_never_emits_what_existed_with(lang: Lang) {
    let world = World::new().await;
    world.create_tags(&["one", "two", "three"]);
    let mut config = weft::HostConfig::default();
    config.egress.allow_loopback = true;
    config.limits.events_per_poll = 1;
    let runtime = weft::Runtime::new(config).expect("runtime");
    let ghl = tags_connector(&runtime, lang).await;
    let conn = world.connection(TOKEN);
    let seeded = poll(&runtime, &ghl, &conn, "new-tag", json!({}), None, true).await;
    assert!(seeded.events.len() <= 1, "{:?}", ids(&seeded));
    let next = poll(&runtime, &ghl, &conn, "new-tag", json!({}), seeded.cursor, false).await;
    assert!(next.events.is_empty(), "what existed at the seed is not new: {:?}", ids(&next));
    let added = world.create_tags(&["four"]);
    let after = poll(&runtime, &ghl, &conn, "new-tag", json!({}), next.cursor, false).await;
    assert_eq!(ids(&after), [added[0].id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tag_skips_deleted_tags_and_honours_the_name_filter() {
    new_tag_skips_deleted_tags_and_honours_the_name_filter_with(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tag_skips_deleted_tags_and_honours_the_name_filter_in_python() {
    new_tag_skips_deleted_tags_and_honours_the_name_filter_with(Lang::Python).await;
}

async fn new_tag_skips_deleted_tags_and_honours_the_name_filter_with(lang: Lang) {
    let world = World::new().await;
    let runtime = runtime();
    let ghl = tags_connector(&runtime, lang).await;
    let conn = world.connection(TOKEN);
    let seeded = poll(&runtime, &ghl, &conn, "new-tag", json!({"nameContains": "sale"}), None, true).await;
    let tags = world.create_tags(&["Spring SALE", "newsletter", "gone sale"]);
    world.sim.sim.delete_tag(LOCATION, &tags[2].id).expect("delete tag");
    let next = poll(&runtime, &ghl, &conn, "new-tag", json!({"nameContains": "sale"}), seeded.cursor, false).await;
    assert_eq!(ids(&next), vec![tags[0].id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tag_pages_through_hundreds_of_tags_and_emits_each_once() {
    new_tag_pages_through_hundreds_of_tags_and_emits_each_once_with(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tag_pages_through_hundreds_of_tags_and_emits_each_once_in_python() {
    new_tag_pages_through_hundreds_of_tags_and_emits_each_once_with(Lang::Python).await;
}

async fn new_tag_pages_through_hundreds_of_tags_and_emits_each_once_with(lang: Lang) {
    let world = World::new().await;
    let names: Vec<String> = (0..250).map(|i| format!("bulk {i:03}")).collect();
    let created = world.create_tags(&names.iter().map(String::as_str).collect::<Vec<_>>());
    let runtime = runtime();
    let ghl = tags_connector(&runtime, lang).await;
    let conn = world.connection(TOKEN);
    world.sim.sim.clear_requests();

    // No cursor and no seed: everything that exists, oldest first.
    let all = poll(&runtime, &ghl, &conn, "new-tag", json!({}), None, false).await;
    let expected: Vec<String> = created.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids(&all), expected);
    let pages: Vec<String> = world
        .sim
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/tags"))
        .map(|r| r.query.unwrap_or_default())
        .collect();
    assert_eq!(pages, ["limit=100&skip=0", "limit=100&skip=100", "limit=100&skip=200"]);

    let more = world.create_tags(&["after the bulk"]);
    let next = poll(&runtime, &ghl, &conn, "new-tag", json!({}), all.cursor, false).await;
    assert_eq!(ids(&next), vec![more[0].id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tag_details_emits_once_per_rename_with_the_details() {
    let world = World::new().await;
    let tags = world.create_tags(&["draft name", "steady"]);
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let conn = world.connection(TOKEN);
    let seeded = poll(&runtime, &ghl, &conn, "tag-details", json!({}), None, true).await;
    let quiet = poll(&runtime, &ghl, &conn, "tag-details", json!({}), seeded.cursor, false).await;
    assert!(quiet.events.is_empty());

    world.sim.sim.clear_requests();
    let renamed = world.sim.sim.rename_tag(LOCATION, &tags[0].id, "final name").expect("rename");
    let next = poll(&runtime, &ghl, &conn, "tag-details", json!({}), quiet.cursor, false).await;
    assert_eq!(next.events.len(), 1, "one event for one rename: {:?}", ids(&next));
    let event = &next.events[0];
    assert_eq!(event.id, format!("{}@{:.3}", tags[0].id, renamed.updated_at));
    assert_eq!(event.data["tag"], "final name");
    let details_calls = world.sim.sim.requests().iter().filter(|r| r.path.ends_with("/tags/details")).count();
    assert_eq!(details_calls, 1, "the changed tag is enriched through tags/details");

    let after = poll(&runtime, &ghl, &conn, "tag-details", json!({}), next.cursor, false).await;
    assert!(after.events.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_statistics_gives_one_snapshot_per_day() {
    let world = World::new().await;
    let account = world.sim.sim.add_account(
        LOCATION,
        ghl_sim::NewAccount { name: "Acme".into(), platform: "facebook".into(), ..Default::default() },
    );
    let mut stats = serde_json::from_value::<serde_json::Value>(json!({
        "dayRange": ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"],
        "totals": {"posts": 4, "likes": 120, "followers": 900, "impressions": 3000, "comments": 12}
    }))
    .expect("json");
    stats["postPerformance"] =
        json!({"posts": {"facebook": [1,0,1,0,1,0,1]}, "impressions": [1,2,3,4,5,6,7], "likes": [], "comments": []});
    world.sim.sim.set_statistics(LOCATION, stats);
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let conn = world.connection(TOKEN);
    let input = json!({"profileIds": [account.profile_id], "platforms": ["facebook"]});

    let first = poll(&runtime, &ghl, &conn, "post-statistics", input.clone(), None, false).await;
    assert_eq!(first.events.len(), 1);
    let snapshot = &first.events[0].data;
    assert_eq!(snapshot["statistics"]["totals"]["likes"], 120.0);
    assert_eq!(snapshot["profileIds"], json!([account.profile_id]));
    assert_eq!(snapshot["periodDays"], 7);
    let second = poll(&runtime, &ghl, &conn, "post-statistics", input, first.cursor.clone(), false).await;
    assert_eq!(ids(&second), ids(&first), "the same day gives the same snapshot id, so the host drops it");
}
