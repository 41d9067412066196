//! The store on both backends: the same checks against SQLite and against a
//! real PostgreSQL (a throw-away cluster, `postgres.rs`), and `weft serve`
//! keeping its promises with its state in PostgreSQL.

use crate::postgres::Postgres;
use crate::promises_host::{serve_config, token_connection, workspace};
use crate::serve::Server;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use weft::store::{
    AccessStore, ApiKeyInfo, ConnectionKind, ConnectionRow, ConnectionStatus, ConnectionStore, Destination, HookStore,
    NewEvent, NewReceipt, NextPoll, PendingAuthorization, PollCommit, PollFailure, SqlStore, Start, StoreError,
    StoreLocation, Subscription, SubscriptionState, SubscriptionStore,
};

fn connection(id: &str, name: &str) -> ConnectionRow {
    ConnectionRow {
        id: id.into(),
        workspace: "acme".into(),
        name: name.into(),
        connector: "ghl-social-planner".into(),
        kind: ConnectionKind::Oauth2,
        base_url: "http://127.0.0.1:1".into(),
        facts: json!({"locationId": "loc-1"}),
        sealed: vec![0, 1, 2, 255],
        key_id: "k1".into(),
        expires_at: Some(1_900_000_000),
        status: ConnectionStatus::Active,
        status_message: None,
        token_version: 0,
        created_at: "2026-12-02T00:00:00Z".into(),
        updated_at: "2026-12-02T00:00:00Z".into(),
    }
}

/// What every backend must do alike.
async fn keeps_its_promises(store: &SqlStore) {
    let backend = store.dialect().as_str();
    // Connections: names unique per workspace, bytes kept exactly, a stale
    // credential update refused.
    store.insert_connection(&connection("c1", "crm")).await.expect("insert");
    let again = store.insert_connection(&connection("c2", "crm")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{backend}: {again:?}");
    let read = store.connection("acme", "crm").await.expect("read").expect("there");
    assert_eq!(
        (read.sealed.clone(), read.facts.clone(), read.expires_at),
        (vec![0, 1, 2, 255], json!({"locationId": "loc-1"}), Some(1_900_000_000)),
        "{backend}"
    );
    assert!(store.update_credential("c1", &[9], "k2", None, 0).await.expect("update"), "{backend}");
    assert!(
        !store.update_credential("c1", &[8], "k2", None, 0).await.expect("stale"),
        "{backend}: a stale version is refused"
    );
    let read = store.connection_by_id("c1").await.expect("read").expect("there");
    assert_eq!((read.sealed, read.token_version, read.expires_at), (vec![9], 1, None), "{backend}");
    store.set_status("c1", ConnectionStatus::ReconnectRequired, Some("revoked")).await.expect("status");
    assert_eq!(store.connections("acme").await.expect("list")[0].status, ConnectionStatus::ReconnectRequired);
    let count = store.reseal_all(&|_, sealed| Ok((sealed.iter().rev().copied().collect(), "k3".into()))).await;
    assert_eq!(count.expect("reseal"), 1, "{backend}");
    assert!(store.delete_connection("acme", "crm").await.expect("delete"));
    assert!(!store.delete_connection("acme", "crm").await.expect("delete twice"));

    // A pending authorization works once.
    let pending = PendingAuthorization {
        state: "s1".into(),
        workspace: "acme".into(),
        connector: "ghl-social-planner".into(),
        name: "crm".into(),
        base_url: "http://127.0.0.1:1".into(),
        redirect_uri: "http://127.0.0.1:2/cb".into(),
        created_at: 1_800_000_000,
    };
    store.put_pending(&pending).await.expect("pending");
    assert_eq!(store.take_pending("s1").await.expect("take"), Some(pending), "{backend}");
    assert_eq!(store.take_pending("s1").await.expect("take twice"), None, "{backend}");

    // Workspaces and keys.
    store.create_workspace("acme").await.expect("workspace");
    assert!(matches!(store.create_workspace("acme").await, Err(StoreError::Conflict(_))), "{backend}");
    let key = ApiKeyInfo {
        id: "key1".into(),
        workspace: "acme".into(),
        label: "ci".into(),
        created_at: "2026-12-02T00:00:00Z".into(),
        expires_at: None,
        revoked_at: None,
    };
    store.insert_api_key(&key, "hash1").await.expect("key");
    assert_eq!(store.workspace_of_key("hash1").await.expect("lookup").as_deref(), Some("acme"), "{backend}");
    assert!(store.revoke_api_key("acme", "key1").await.expect("revoke"));
    assert_eq!(store.workspace_of_key("hash1").await.expect("lookup"), None, "{backend}: a revoked key opens nothing");

    // Webhook receipts: one per webhook id, pending until routed.
    let receipt = |id: &str| NewReceipt {
        app: "main".into(),
        webhook_id: id.into(),
        event_type: "ContactCreate".into(),
        location_id: Some("loc-1".into()),
        company_id: None,
        body: "{}".into(),
        received_at: 1,
    };
    assert!(store.insert_receipt(&receipt("w1")).await.expect("receipt"));
    assert!(!store.insert_receipt(&receipt("w1")).await.expect("replay"), "{backend}: a replay is not stored");
    assert!(store.insert_receipt(&receipt("w2")).await.expect("receipt"));
    let pending = store.pending_receipts(10).await.expect("pending");
    assert_eq!(pending.iter().map(|r| r.receipt.webhook_id.as_str()).collect::<Vec<_>>(), ["w1", "w2"], "{backend}");
    store.mark_routed(pending[0].seq, 2).await.expect("routed");
    assert_eq!(store.pending_receipts(10).await.expect("pending").len(), 1, "{backend}");
}

fn subscription(n: usize) -> Subscription {
    Subscription {
        id: format!("sub{n:04}"),
        workspace: "acme".into(),
        name: format!("s{n}"),
        connector: "ghl-social-planner".into(),
        trigger: "new-tag".into(),
        connection: "crm".into(),
        input: json!({}),
        interval_secs: 60,
        reconcile: false,
        start: Start::Now,
        destination: Destination::Stdout,
        webhook_secret: None,
        state: SubscriptionState::Active,
        state_reason: None,
        cursor: None,
        seeded: true,
        consecutive_failures: 0,
        next_poll_at: n as i64,
        last_success_at: None,
        last_failure_at: None,
        last_error: None,
        delivery_error: None,
        delivery_failing_since: None,
        mapping: None,
        destination_schema: None,
        created_at: "2026-12-02T00:00:00Z".into(),
        updated_at: "2026-12-02T00:00:00Z".into(),
        lease_token: 0,
    }
}

fn commit<'a>(sub: &'a Subscription, events: &'a [NewEvent], at: i64) -> PollCommit<'a> {
    PollCommit {
        subscription: &sub.id,
        events,
        seed: false,
        deliver: true,
        next: Some(NextPoll { cursor: Some("c"), at }),
        seen_cap: 100,
        lease: Some(sub.lease_token),
        release: true,
    }
}

fn event(id: &str) -> NewEvent {
    NewEvent { id: id.into(), occurred_at: None, data: json!({"id": id}) }
}

/// Processes sharing a database: claims never overlap, a stale process's
/// commit is refused and leaves nothing behind, a dead one's work is
/// claimable once its lease runs out, a renewed lease holds, and each
/// subscription's delivery lane is one process's at a time.
async fn leases_keep_processes_apart(store: &SqlStore) {
    let backend = store.dialect().as_str();
    let now = 1_000_000;
    for n in 0..200 {
        store.insert_subscription(&subscription(n)).await.expect("subscription");
    }
    // Four claimers at once take disjoint sets that cover every due one.
    let until = now + 30_000;
    let claims = tokio::join!(
        store.claim_due("a", now, until, 60),
        store.claim_due("b", now, until, 60),
        store.claim_due("c", now, until, 60),
        store.claim_due("d", now, until, 60),
    );
    let mut ids: Vec<String> = Vec::new();
    for claim in [claims.0, claims.1, claims.2, claims.3] {
        ids.extend(claim.expect("claim").into_iter().map(|s| s.id));
    }
    let claimed = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((claimed, ids.len()), (200, 200), "{backend}: every due subscription claimed once");
    assert!(store.claim_due("e", now, now + 30_000, 500).await.expect("claim").is_empty(), "{backend}: all held");
    assert_eq!(store.waiting(now).await.expect("waiting").poll_leases, 200, "{backend}");

    // "a" commits one of its own: fenced, fine; the lease is handed back.
    let mine = store.claim_due("a2", now + 31_000, now + 61_000, 2).await.expect("expired leases are claimable");
    assert_eq!(mine.len(), 2, "{backend}");
    let (first, second) = (&mine[0], &mine[1]);
    let events = [event("e1")];
    let seqs = store.commit_poll(&commit(first, &events, now + 120_000)).await.expect("a live lease commits");
    assert_eq!(seqs.len(), 1, "{backend}");
    // "b" takes over the second after its lease runs out; "a2"'s late commit and failure are refused.
    let taken = store.claim_due("b2", now + 62_000, now + 92_000, 500).await.expect("claim");
    let theirs = taken.iter().find(|s| s.id == second.id).expect("the expired lease is taken over");
    assert!(theirs.lease_token > second.lease_token, "{backend}: a new fencing token");
    assert!(!taken.iter().any(|s| s.id == first.id), "{backend}: a committed poll is not due again");
    let stale = [event("stale")];
    let refused = store.commit_poll(&commit(second, &stale, now + 120_000)).await;
    assert!(matches!(refused, Err(StoreError::LeaseLost)), "{backend}: {refused:?}");
    assert!(store.events_after(&second.id, 0, 10).await.expect("events").is_empty(), "{backend}: nothing landed");
    let failure = PollFailure {
        subscription: &second.id,
        error: "late",
        counts: true,
        next_poll_at: now,
        pause_after: 1,
        lease: Some(second.lease_token),
    };
    let late = store.record_failure(&failure).await;
    assert!(matches!(late, Err(StoreError::LeaseLost)), "{backend}: {late:?}");
    let after = store.subscription_by_id(&second.id).await.expect("read").expect("there");
    assert_eq!(
        (after.state, after.last_error),
        (SubscriptionState::Active, None),
        "{backend}: the late failure did not land"
    );
    // The new holder commits.
    store.commit_poll(&commit(theirs, &[event("e2")], now + 120_000)).await.expect("the new holder commits");

    // Renewal keeps a lease that would otherwise have run out.
    let held = store.leases_held("b2", now + 62_000).await.expect("held");
    assert_eq!(held, taken.len() as u64 - 1, "{backend}: the committed one was handed back");
    let ids: Vec<String> = taken.iter().map(|s| s.id.clone()).collect();
    store.renew_polls("b2", &ids, now + 200_000).await.expect("renew");
    assert!(store.claim_due("c2", now + 100_000, now + 130_000, 500).await.expect("claim").is_empty(), "{backend}");

    // Delivery lanes: one process's at a time, free again once handed back.
    let lane = store.claim_deliveries("a", now, now + 30_000, 10).await.expect("claim lanes");
    assert_eq!(lane.len(), 2, "{backend}: e1 and e2 are pending");
    assert!(store.claim_deliveries("b", now, now + 30_000, 10).await.expect("claim").is_empty(), "{backend}");
    store.release_deliveries("a").await.expect("release");
    assert_eq!(store.claim_deliveries("b", now, now + 30_000, 10).await.expect("claim").len(), 2, "{backend}");
    assert_eq!(store.waiting(now).await.expect("waiting").pending_deliveries, 2, "{backend}");
}

/// A write while another process's transaction holds the database waits
/// for it, and lands, instead of failing: SQLite answers "database is
/// locked" at once to a transaction that read before it wrote, unless the
/// store takes the write lock at the start.
async fn a_writer_waits_for_the_one_before_it(store: &SqlStore) {
    let backend = store.dialect().as_str();
    let (busy, failing) = (subscription(900), subscription(901));
    for sub in [&busy, &failing] {
        store.insert_subscription(sub).await.expect("subscription");
    }
    let mut before = store.pool().begin().await.expect("another writer");
    sqlx::query("UPDATE subscriptions SET name = 'renamed' WHERE id = $1")
        .bind(&busy.id)
        .execute(&mut *before)
        .await
        .expect("it writes");
    let failure = PollFailure {
        subscription: &failing.id,
        error: "upstream down",
        counts: true,
        next_poll_at: 5,
        pause_after: 10,
        lease: None,
    };
    let (recorded, _) = tokio::join!(store.record_failure(&failure), async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        before.commit().await.expect("the other writer commits");
    });
    assert!(matches!(recorded, Ok(SubscriptionState::Active)), "{backend}: {recorded:?}");
    let after = store.subscription_by_id(&failing.id).await.expect("read").expect("there");
    assert_eq!((after.consecutive_failures, after.last_error.as_deref()), (1, Some("upstream down")), "{backend}");
}

/// A schema newer than the binary is refused, by name, on reopening.
async fn refuses_a_newer_schema(location: &StoreLocation) {
    let store = SqlStore::open(location).await.expect("open");
    sqlx::query("INSERT INTO schema_version (version, applied_at) VALUES (999, 'later')")
        .execute(store.pool())
        .await
        .expect("a newer weft's migration");
    store.pool().close().await;
    let err = SqlStore::open(location).await.expect_err("refused");
    assert!(matches!(err, StoreError::Newer { found: 999, .. }), "{err:?}");
    assert!(err.to_string().contains("newer than this weft knows"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_keeps_the_same_promises_on_sqlite_and_postgres() {
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = StoreLocation::File(dir.path().join("weft.db"));
    keeps_its_promises(&SqlStore::open(&sqlite).await.expect("sqlite")).await;
    let store = SqlStore::open(&sqlite).await.expect("sqlite");
    leases_keep_processes_apart(&store).await;
    a_writer_waits_for_the_one_before_it(&store).await;

    let pg = Postgres::start();
    let postgres = StoreLocation::parse(&pg.database("promises").await).expect("a postgres URL");
    let store = SqlStore::open(&postgres).await.expect("postgres");
    assert_eq!(store.dialect().as_str(), "postgres");
    keeps_its_promises(&store).await;
    leases_keep_processes_apart(&store).await;
    a_writer_waits_for_the_one_before_it(&store).await;
    // Opening again finds every migration applied and changes nothing.
    let reopened = SqlStore::open(&postgres).await.expect("reopen");
    assert!(reopened.connection("acme", "crm").await.expect("read").is_none());

    refuses_a_newer_schema(&StoreLocation::File(dir.path().join("newer.db"))).await;
    refuses_a_newer_schema(&StoreLocation::parse(&pg.database("newer").await).expect("url")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_database_url_or_an_unreachable_server_is_one_clear_error() {
    let wrong = StoreLocation::parse("mysql://root:hunter2@db/weft").expect_err("not accepted");
    assert!(wrong.to_string().contains("postgres://"), "{wrong}");
    assert!(!wrong.to_string().contains("hunter2"), "the password is not shown: {wrong}");
    let dir = tempfile::tempdir().expect("dir");
    let nowhere = format!("postgres://weft:hunter2@localhost/weft?host={}", dir.path().display());
    let err = SqlStore::open(&StoreLocation::parse(&nowhere).expect("url")).await.expect_err("nobody listens");
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "the password is not shown: {err}");

    let out = weft_with(&["connections", "list"], TOKEN, &[("WEFT_DATABASE_URL", "mysql://x@y/z")]).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("postgres://"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_serve_on_postgres_delivers_once_and_keeps_its_state_across_a_restart() {
    let world = World::new().await;
    let pg = Postgres::start();
    let url = pg.database("serve").await;
    let dir = tempfile::tempdir().expect("dir");
    let config = serve_config(dir.path(), &world.sim.base_url(), false, &format!("[store]\nurl = \"{url}\"\n"));
    let server = Server::start(&config, dir.path().join("serve.log")).await;
    let key = workspace(&server, "acme").await;
    token_connection(&server, &key, "pit", "ghl-social-planner", &world.sim.base_url(), TOKEN).await;
    let (sink, hook) = crate::sink::start().await;
    let sub = json!({"name": "tags", "connector": "ghl-social-planner", "trigger": "new-tag", "connection": "pit", "destination": hook});
    let (status, _, created) = server.call(Method::POST, "/v1/subscriptions", Some(&key), Some(sub)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let seeded = async |server: &Server| {
        let (_, _, s) = server.call(Method::GET, "/v1/subscriptions/tags", Some(&key), None).await;
        s["seeded"] == json!(true)
    };
    for _ in 0..200 {
        if seeded(&server).await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    world.create_tags(&["before the restart"]);
    assert!(eventually(std::time::Duration::from_secs(20), || sink.all().len() == 1).await, "{:?}", sink.all());
    assert!(server.terminate().await.success());

    // A new process on the same database: the key, the connection, the
    // subscription and its cursor are all there.
    let server = Server::start(&config, dir.path().join("serve-2.log")).await;
    world.create_tags(&["after the restart"]);
    assert!(eventually(std::time::Duration::from_secs(20), || sink.all().len() >= 2).await, "{:?}", sink.all());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let tags: Vec<serde_json::Value> = sink.all().iter().map(|r| r.body["data"]["tag"].clone()).collect();
    assert_eq!(tags, [json!("before the restart"), json!("after the restart")], "each once, nothing again");
    let (status, _, ready) = server.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert!(server.terminate().await.success());
}
