//! `weft gen openapi` on a small third-party document written for this test
//! (`tests/fixtures/tiny-notes`: OpenAPI 3.1, a `$ref` into a second file,
//! read-only and write-only fields, a shared path parameter) yields a crate
//! that builds to a component, and the component works against a server the
//! test starts.

use super::check_schema;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use weft::{Connection, PollMeta, Secret};

const TOKEN: &str = "tiny-notes-token";

/// The notes the test server keeps, newest last.
#[derive(Clone, Default)]
struct Notes(Arc<Mutex<Vec<Map<String, Value>>>>);

impl Notes {
    fn add(&self, fields: Map<String, Value>) -> Map<String, Value> {
        let mut notes = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = jiff::Timestamp::now().to_string();
        let mut note = fields;
        note.remove("secret");
        note.insert("id".into(), json!(format!("note-{}", notes.len() + 1)));
        note.insert("createdAt".into(), json!(now));
        note.insert("updatedAt".into(), json!(now));
        notes.push(note.clone());
        note
    }
}

/// The 401 for a request without the test's token.
fn refusal(headers: &HeaderMap) -> Option<Response> {
    let ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    (!ok).then(|| (StatusCode::UNAUTHORIZED, Json(json!({"message": "bad token"}))).into_response())
}

fn missing() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"message": "no such note"}))).into_response()
}

async fn list(State(notes): State<Notes>, headers: HeaderMap, Query(q): Query<HashMap<String, usize>>) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let all = notes.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let newest_first: Vec<&Map<String, Value>> = all.iter().rev().collect();
    let page: Vec<_> = newest_first
        .iter()
        .skip(q.get("offset").copied().unwrap_or(0))
        .take(q.get("limit").copied().unwrap_or(10))
        .collect();
    Json(json!({"notes": page, "total": all.len()})).into_response()
}

async fn create(State(notes): State<Notes>, headers: HeaderMap, Json(body): Json<Map<String, Value>>) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    if !body.get("title").is_some_and(Value::is_string) {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"message": ["title is required"]}))).into_response();
    }
    (StatusCode::CREATED, Json(notes.add(body))).into_response()
}

async fn one(
    State(notes): State<Notes>,
    method: axum::http::Method,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    body: Option<Json<Map<String, Value>>>,
) -> Response {
    if let Some(r) = refusal(&headers) {
        return r;
    }
    let mut all = notes.0.lock().unwrap_or_else(|p| p.into_inner());
    let Some(i) = all.iter().position(|n| n.get("id") == Some(&json!(id))) else { return missing() };
    match method.as_str() {
        "DELETE" => {
            all.remove(i);
            StatusCode::NO_CONTENT.into_response()
        }
        "PATCH" => {
            all[i].extend(body.map(|b| b.0).unwrap_or_default());
            all[i].insert("updatedAt".into(), json!(jiff::Timestamp::now().to_string()));
            Json(all[i].clone()).into_response()
        }
        _ => Json(all[i].clone()).into_response(),
    }
}

async fn serve(notes: Notes) -> String {
    let app = Router::new()
        .route("/notes", get(list).post(create))
        .route("/notes/{noteId}", get(one).patch(one).delete(one))
        .with_state(notes);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Builds the generated crate for `wasm32-wasip2` next to the other test
/// components, so the dependencies they share are compiled once.
fn build(crate_dir: &Path) -> PathBuf {
    let target_dir = weft_tests::component_target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--offline", "--target", "wasm32-wasip2", "--profile", "component", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("run cargo");
    assert!(status.success(), "building the generated tiny-notes crate failed");
    target_dir.join("wasm32-wasip2/component/tiny_notes.wasm")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_gen_openapi_turns_a_third_party_document_into_a_working_component() {
    let fixtures = weft_tests::workspace_root().join("tests/fixtures/tiny-notes");
    let out = tempfile::tempdir().expect("temp dir");
    let crate_dir = out.path().join("tiny-notes");
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["gen", "openapi"])
        .arg(fixtures.join("openapi.json"))
        .arg("--overlay")
        .arg(fixtures.join("overlay.toml"))
        .arg("--out")
        .arg(&crate_dir)
        .output()
        .expect("run weft gen openapi");
    let summary = String::from_utf8_lossy(&generated.stdout).into_owned();
    assert!(generated.status.success(), "weft gen openapi failed: {}", String::from_utf8_lossy(&generated.stderr));
    assert!(summary.contains("5 actions, 2 triggers"), "{summary}");
    let component = tokio::task::spawn_blocking(move || build(&crate_dir)).await.expect("build task");

    let runtime = super::cached_runtime();
    let notes_connector = runtime.load(&component).await.expect("load the generated component");
    let m = &notes_connector.manifest;
    let keys: Vec<&str> = m.actions.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["list-notes", "create-note", "get-note", "update-note", "delete-note"]);
    let triggers: Vec<&str> = m.triggers.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(triggers, ["new-note", "new-or-updated-note"]);
    let create_input = &m.action("create-note").expect("create-note").input_schema;
    assert!(create_input.pointer("/properties/secret").is_some() && create_input.pointer("/properties/id").is_none());
    let note_out = &m.action("get-note").expect("get-note").output_schema;
    assert!(note_out.pointer("/properties/secret").is_none() && note_out.pointer("/properties/id").is_some());
    assert!(!note_out.to_string().contains("The note's title"), "descriptions are not copied");
    assert_eq!(m.action("delete-note").expect("delete-note").help, "Deletes a note for good. There is no undo.");
    assert_eq!(m.action("list-notes").expect("list-notes").scopes, ["notes:read"]);

    let notes = Notes::default();
    let base = serve(notes.clone()).await;
    let conn = Connection::with_bearer_token(&base, json!({}), &Secret::new(TOKEN));
    let run = |key: &'static str, input: Value| {
        let runtime = &runtime;
        let connector = &notes_connector;
        let conn = &conn;
        async move {
            let out = runtime.execute(connector, conn, key, &input).await;
            if let Ok(v) = &out {
                let schema = &connector.manifest.action(key).expect("action").output_schema;
                check_schema(schema, v).unwrap_or_else(|e| panic!("{key}: {e}"));
            }
            out
        }
    };
    let created =
        run("create-note", json!({"title": "Groceries", "tags": ["home"], "secret": "s"})).await.expect("create");
    let id = created["id"].as_str().expect("an id").to_string();
    let got = run("get-note", json!({"noteId": id})).await.expect("get");
    assert_eq!(got["title"], "Groceries");
    let changed = run("update-note", json!({"noteId": id, "title": "Groceries and more"})).await.expect("update");
    assert_eq!(changed["title"], "Groceries and more");
    let listed = run("list-notes", json!({"limit": 5})).await.expect("list");
    assert_eq!(listed["total"], 1);
    let bad = run("create-note", json!({"tags": []})).await.expect_err("no title");
    assert_eq!(bad.code(), weft::ErrorCode::InvalidInput, "the host refuses the input before the call: {bad}");

    let poll = |cursor: Option<String>, seed: bool| {
        let runtime = &runtime;
        let connector = &notes_connector;
        let conn = &conn;
        async move {
            runtime
                .poll(connector, conn, "new-note", &json!({}), cursor, PollMeta { seed, since: None })
                .await
                .expect("poll new-note")
        }
    };
    let seeded = poll(None, true).await;
    assert!(seeded.events.is_empty(), "seeding emits nothing");
    let added = notes.add(json!({"title": "Call the bank"}).as_object().cloned().unwrap_or_default());
    let next = poll(seeded.cursor, false).await;
    let ids: Vec<&str> = next.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [added["id"].as_str().expect("id")]);
    assert!(poll(next.cursor, false).await.events.is_empty(), "each note once");

    run("delete-note", json!({"noteId": id})).await.expect("delete");
    let gone = run("get-note", json!({"noteId": id})).await.expect_err("deleted");
    assert_eq!(gone.code(), weft::ErrorCode::NotFound, "{gone}");
    let stranger = Connection::with_bearer_token(&base, json!({}), &Secret::new("wrong"));
    let refused = runtime.execute(&notes_connector, &stranger, "list-notes", &json!({})).await.expect_err("bad token");
    assert_eq!(refused.code(), weft::ErrorCode::Unauthorized, "{refused}");
}
