//! Posts, end to end through the component, the host and the simulator:
//! "when a post goes live, send its tags" and "schedule this post at the
//! best time for these accounts".

use crate::support::*;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

/// A token for the social planner with every scope it uses (posts included).
const POSTS_TOKEN: &str = "pit-e2e-posts";

fn world_with_posts(world: &World) -> weft::Connection {
    world.sim.sim.register_token(POSTS_TOKEN, LOCATION, ghl_sim::SOCIAL_PLANNER_SCOPES.iter().copied());
    world.connection(POSTS_TOKEN)
}

fn weekday_name(w: Weekday) -> &'static str {
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        [usize::try_from(w.to_monday_zero_offset()).unwrap_or(0)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_post_and_then_its_going_live_arrive_once_each_with_tag_names() {
    let world = World::new().await;
    let conn = world_with_posts(&world);
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let tags = world.create_tags(&["Summer launch", "Promo"]);
    let account = world.sim.sim.add_account(
        LOCATION,
        ghl_sim::NewAccount { name: "Acme".into(), platform: "facebook".into(), ..Default::default() },
    );
    let new_seeded = poll(&runtime, &ghl, &conn, "new-post", json!({}), None, true).await;
    assert!(new_seeded.events.is_empty());
    let in_two_days = Timestamp::now().to_zoned_datetime(TimeZone::UTC).date().checked_add(2.days()).expect("date");
    let create = json!({
        "accountIds": [account.id], "userId": "user-1", "summary": "Summer launch: 20% off",
        "tagIds": [tags[0].id], "when": format!("{in_two_days}T10:00"), "timeZone": "Europe/Berlin",
    });
    let created = runtime.execute(&ghl, &conn, "create-post", &create).await.expect("create-post");
    let post_id = created.pointer("/post/_id").and_then(Value::as_str).expect("the new post's id").to_string();
    assert_eq!(created["post"]["status"], "scheduled");

    // The new post is news once; it is not published yet.
    let new = poll(&runtime, &ghl, &conn, "new-post", json!({}), new_seeded.cursor.clone(), false).await;
    assert_eq!(new.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), [post_id.as_str()]);
    assert_eq!(new.events[0].data["tagNames"], json!(["Summer launch"]));
    assert_eq!(new.events[0].data["post"]["status"], "scheduled");

    let seeded = poll(&runtime, &ghl, &conn, "post-published", json!({}), None, true).await;
    assert!(seeded.events.is_empty());
    let quiet = poll(&runtime, &ghl, &conn, "post-published", json!({}), seeded.cursor.clone(), false).await;
    assert!(quiet.events.is_empty(), "a scheduled post is not published yet");

    // The simulator's clock reaches the post's time: its publisher sends it.
    let due: Timestamp = created["scheduledFor"].as_str().expect("scheduledFor").parse().expect("time");
    let early = world.sim.sim.publish_due_posts(due.checked_sub(jiff::SignedDuration::from_secs(60)).expect("time"));
    assert!(early.is_empty(), "nothing is due a minute early");
    assert_eq!(world.sim.sim.publish_due_posts(due), std::slice::from_ref(&post_id));

    let next = poll(&runtime, &ghl, &conn, "post-published", json!({}), quiet.cursor.clone(), false).await;
    assert_eq!(next.events.len(), 1, "{:?}", next.events);
    let event = &next.events[0];
    assert_eq!(event.id, post_id);
    assert_eq!(event.data["tagNames"], json!(["Summer launch"]));
    assert_eq!(event.data["tags"], json!([{"id": tags[0].id, "name": "Summer launch"}]));
    assert_eq!(event.data["post"]["status"], "published");
    let again = poll(&runtime, &ghl, &conn, "post-published", json!({}), next.cursor.clone(), false).await;
    assert!(again.events.is_empty(), "once per post");
    let new_again = poll(&runtime, &ghl, &conn, "new-post", json!({}), new.cursor.clone(), false).await;
    assert!(new_again.events.is_empty(), "publishing does not make a post new again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_scheduled_at_the_best_time_lands_on_the_day_the_statistics_favour() {
    let world = World::new().await;
    let conn = world_with_posts(&world);
    let account = world.sim.sim.add_account(
        LOCATION,
        ghl_sim::NewAccount { name: "Acme".into(), platform: "facebook".into(), ..Default::default() },
    );
    // One post a day for the last 7 days; the one 3 days ago drew far more likes per post.
    world.sim.sim.set_statistics(
        LOCATION,
        json!({
            "dayRange": ["d1", "d2", "d3", "d4", "d5", "d6", "d7"],
            "postPerformance": {
                "posts": {"facebook": [1, 1, 1, 1, 1, 1, 1]},
                "likes": [5, 5, 5, 90, 5, 5, 5],
                "comments": [0, 1, 0, 6, 0, 0, 1],
                "impressions": [],
            },
        }),
    );
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let input = json!({"profileIds": [account.profile_id], "timeZone": "America/New_York", "hour": 9});
    let best = runtime.execute(&ghl, &conn, "best-posting-times", &input).await.expect("best-posting-times");

    let favoured = Timestamp::now().to_zoned_datetime(TimeZone::UTC).date().checked_sub(3.days()).expect("date");
    assert_eq!(best["enoughData"], true, "{best}");
    assert_eq!(best["ranking"][0], weekday_name(favoured.weekday()), "{best}");
    assert_eq!(best["figures"][0]["engagementPerPost"], 96.0);
    let slot: Timestamp = best["nextSlotUtc"].as_str().expect("a slot").parse().expect("RFC 3339");
    let local = slot.to_zoned_datetime(TimeZone::get("America/New_York").expect("zone"));
    assert_eq!((local.weekday(), local.hour(), local.minute()), (favoured.weekday(), 9, 0));
    assert!(slot > Timestamp::now());

    // "Schedule this post at the best time for these accounts".
    let create = json!({
        "accountIds": [account.id], "userId": "user-1", "summary": "At the best time",
        "when": "best", "timeZone": "America/New_York", "hour": 9,
    });
    let created = runtime.execute(&ghl, &conn, "create-post", &create).await.expect("create-post at best");
    assert_eq!(created["scheduledFor"], best["nextSlotUtc"], "{created}");
    assert_eq!(created["best"]["ranking"][0], weekday_name(favoured.weekday()));
    let id = created.pointer("/post/_id").and_then(Value::as_str).expect("id");
    let got = runtime.execute(&ghl, &conn, "get-post", &json!({"id": id})).await.expect("get-post");
    let sent = got.pointer("/results/post/displayDate").and_then(Value::as_str).expect("displayDate");
    let shown: Timestamp = sent.parse().expect("time");
    assert_eq!(shown, slot, "{got}");
    // As GHL writes its own: milliseconds, not nanoseconds.
    let fraction = sent.rsplit_once('.').map(|(_, f)| f).unwrap_or_default();
    assert!(fraction.len() == 4 && fraction.ends_with('Z'), "scheduleDate was sent as `{sent}`");

    // Earlier snapshots weigh in: two weeks ago, another weekday did far better.
    let mut earlier = runtime
        .execute(&ghl, &conn, "get-statistics", &json!({"profileIds": [account.profile_id]}))
        .await
        .expect("get-statistics");
    let two_weeks_ago = Timestamp::now().to_zoned_datetime(TimeZone::UTC).date().checked_sub(14.days()).expect("date");
    earlier["periodEnd"] = json!(two_weeks_ago.to_string());
    earlier["statistics"]["postPerformance"] = json!({"posts": {"facebook": [3, 0, 0, 0, 0, 0, 0]}, "likes": [900, 0, 0, 0, 0, 0, 0], "comments": [0, 0, 0, 0, 0, 0, 0], "impressions": []});
    let with_history = json!({"profileIds": [account.profile_id], "snapshots": [earlier]});
    let best = runtime.execute(&ghl, &conn, "best-posting-times", &with_history).await.expect("with history");
    let old_day = two_weeks_ago.checked_sub(6.days()).expect("date");
    assert_eq!(best["ranking"][0], weekday_name(old_day.weekday()), "{best}");
    assert_eq!(best["from"], json!(old_day.to_string()));

    // A time zone that does not exist is named.
    let bad = json!({"profileIds": [account.profile_id], "timeZone": "Mars/Olympus"});
    let err = runtime.execute(&ghl, &conn, "best-posting-times", &bad).await.expect_err("bad zone");
    assert_eq!(err.code(), weft::ErrorCode::InvalidInput, "{err}");
    assert!(err.to_string().contains("timeZone"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_post_is_refused_naming_the_field() {
    let world = World::new().await;
    let conn = world_with_posts(&world);
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let err = runtime
        .execute(&ghl, &conn, "create-post", &json!({"accountIds": "acc-1", "type": "post", "userId": "u"}))
        .await
        .expect_err("accountIds must be a list");
    assert_eq!(err.code(), weft::ErrorCode::InvalidInput, "{err}");
    assert!(err.to_string().contains("accountIds"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_times_keep_their_wall_clock_across_daylight_saving_and_skipped_times_are_refused() {
    let world = World::new().await;
    let conn = world_with_posts(&world);
    let runtime = runtime();
    let ghl = ghl(&runtime).await;
    let new_york = TimeZone::get("America/New_York").expect("zone");
    // The day before and the day after clocks spring forward in New York (2027-03-14).
    for day in ["2027-03-13", "2027-03-15"] {
        let local = format!("{day}T09:30");
        let input = json!({"accountIds": ["acc-1"], "userId": "u", "summary": "s", "when": local, "timeZone": "America/New_York"});
        let created = runtime.execute(&ghl, &conn, "create-post", &input).await.expect("create-post");
        let at: Timestamp = created["scheduledFor"].as_str().expect("time").parse().expect("RFC 3339");
        let wall = at.to_zoned_datetime(new_york.clone());
        assert_eq!((wall.date().to_string(), wall.hour(), wall.minute()), (day.to_string(), 9, 30), "{created}");
    }
    let skipped = json!({"accountIds": ["acc-1"], "userId": "u", "summary": "s", "when": "2027-03-14T02:30", "timeZone": "America/New_York"});
    let err = runtime.execute(&ghl, &conn, "create-post", &skipped).await.expect_err("a skipped time");
    assert_eq!(err.code(), weft::ErrorCode::InvalidInput, "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
}
