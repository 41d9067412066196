//! A connector that attacks its host. See README.md for the list.
#![cfg(target_arch = "wasm32")]
// Generated bindings are `unsafe` FFI by nature.
#![allow(unsafe_code)]

#[allow(missing_docs, reason = "generated bindings")]
mod bindings {
    wit_bindgen::generate!({
        // Built against the frozen 0.1.0 world on purpose: every server test
        // then runs a 0.1.0 component beside 0.2.0 ones.
        path: "../../../wit/0.1.0",
        world: "connector",
        generate_all,
    });
}

use bindings::exports::weft::connector::{actions, metadata, options, triggers};
use bindings::wasi;
use bindings::weft;
use wasi::http::outgoing_handler;
use wasi::http::types::{Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme};
use wasi::io::streams::StreamError;
use weft::connector::connector_types::{
    CallContext, Choice, ConnectorError, Event, PollRequest, PollResponse, UpstreamFailure,
};
use weft::connector::log::{Level, log};

struct Hostile;
bindings::export!(Hostile with_types_in bindings);

/// Every attack is an action, a trigger or a dropdown of this manifest;
/// `tests/all/sandbox.rs` fails when one of them has no expected outcome.
const ACTIONS: [&str; 27] = [
    "infinite-loop",
    "memory-bomb",
    "deep-recursion",
    "panic",
    "huge-output",
    "request-flood",
    "undeclared-host",
    "private-ip",
    "private-name",
    "redirect-private",
    "set-authorization",
    "read-authorization",
    "undeclared-secret",
    "slow-upstream",
    "huge-request-body",
    "fields-flood",
    "oversized-fields",
    "log-forgery",
    "swallow-request-limit",
    "swallow-response-cut",
    "shadow-stack-overflow",
    "pick",
    "bad-output",
    "counter",
    "huge-response",
    "credential-elsewhere",
    "log-echo",
];

/// Triggers that attack through what a poll returns.
const TRIGGERS: [&str; 4] = ["huge-cursor", "endless-more", "event-flood", "bad-event"];

/// A second origin the manifest declares, on loopback with a port of its own:
/// the tests serve a probe there to see what a request to it carries.
const SECOND_ORIGIN: &str = "http://127.0.0.1:39417";

/// Events `event-flood` returns, far more than any poll may.
const FLOOD_EVENTS: usize = 5_000;

fn any_schema() -> serde_json::Value {
    serde_json::json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"})
}

/// The output schema `bad-output` and `bad-event` declare, and then break.
fn strict_schema() -> serde_json::Value {
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "required": ["id"], "properties": {"id": {"type": "string"}}
    })
}

/// Calls to this instance: a fresh instance per call always answers 1.
static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl metadata::Guest for Hostile {
    fn manifest() -> String {
        let actions: Vec<serde_json::Value> = ACTIONS
            .iter()
            .map(|key| {
                serde_json::json!({
                    "key": key, "label": key, "help": "An attack on the host.",
                    "inputSchema": any_schema(), "outputSchema": any_schema(), "sample": {}, "scopes": []
                })
            })
            .collect();
        let mut actions = actions;
        if let Some(pick) = actions.iter_mut().find(|a| a["key"] == "pick") {
            pick["dynamicOptions"] = serde_json::json!([{"field": "thing", "help": "choice-flood: 200,000 choices"}]);
        }
        if let Some(bad) = actions.iter_mut().find(|a| a["key"] == "bad-output") {
            bad["outputSchema"] = strict_schema();
            bad["sample"] = serde_json::json!({"id": "a string"});
        }
        let triggers: Vec<serde_json::Value> = TRIGGERS
            .iter()
            .map(|key| {
                let (schema, sample) = match *key {
                    "bad-event" => (strict_schema(), serde_json::json!({"id": "a string"})),
                    _ => (any_schema(), serde_json::json!({})),
                };
                serde_json::json!({
                    "key": key, "label": key, "help": "An attack on the host.",
                    "inputSchema": any_schema(), "outputSchema": schema, "sample": sample, "scopes": [],
                    "poll": {"defaultIntervalSeconds": 60, "minIntervalSeconds": 60}, "startPoints": ["now", "all"]
                })
            })
            .collect();
        serde_json::json!({
            "id": "weft-hostile", "version": "0.1.0", "name": "Hostile", "description": "Attacks its host.",
            "auth": [{"type": "bearer-token", "label": "Token", "help": "Any token."}],
            "allowedHosts": ["https://10.1.2.3", "https://internal.test", SECOND_ORIGIN],
            "secrets": [{"name": "declared-secret", "help": "A secret it may read."}],
            "triggers": triggers, "actions": actions
        })
        .to_string()
    }
}

fn fail(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Upstream(UpstreamFailure { status: None, message: message.into() })
}

/// Sends a GET and returns the status and the response header names.
fn get(url: &str, headers: Fields) -> Result<(u16, Vec<(String, String)>), ConnectorError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| fail("bad url"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let request = OutgoingRequest::new(headers);
    request.set_method(&Method::Get).map_err(|_| fail("method"))?;
    request
        .set_scheme(Some(&if scheme == "https" { Scheme::Https } else { Scheme::Http }))
        .map_err(|_| fail("scheme"))?;
    request.set_authority(Some(authority)).map_err(|_| fail("authority"))?;
    request.set_path_with_query(Some(path)).map_err(|_| fail("path"))?;
    let body = request.body().map_err(|_| fail("body"))?;
    let pending = outgoing_handler::handle(request, None).map_err(|e| fail(format!("{e:?}")))?;
    OutgoingBody::finish(body, None).map_err(|e| fail(format!("{e:?}")))?;
    let response = loop {
        match pending.get() {
            Some(Ok(Ok(r))) => break r,
            Some(Ok(Err(e))) => return Err(fail(format!("{e:?}"))),
            Some(Err(())) => return Err(fail("taken")),
            None => pending.subscribe().block(),
        }
    };
    let headers =
        response.headers().entries().into_iter().map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned())).collect();
    Ok((response.status(), headers))
}

/// POSTs `total` bytes to `url`, streamed in 4 KiB chunks (the most one blocking write takes) after the request
/// is handed to the host, as a well-written guest streams a large upload.
fn post_streamed(url: &str, total: usize) -> Result<u16, ConnectorError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| fail("bad url"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let request = OutgoingRequest::new(Fields::new());
    request.set_method(&Method::Post).map_err(|_| fail("method"))?;
    request
        .set_scheme(Some(&if scheme == "https" { Scheme::Https } else { Scheme::Http }))
        .map_err(|_| fail("scheme"))?;
    request.set_authority(Some(authority)).map_err(|_| fail("authority"))?;
    request.set_path_with_query(Some(path)).map_err(|_| fail("path"))?;
    let body = request.body().map_err(|_| fail("body"))?;
    let pending = outgoing_handler::handle(request, None).map_err(|e| fail(format!("{e:?}")))?;
    let stream = body.write().map_err(|_| fail("body stream"))?;
    let chunk = vec![b'x'; 4096];
    let mut sent = 0;
    while sent < total {
        if stream.blocking_write_and_flush(&chunk).is_err() {
            break;
        }
        sent += chunk.len();
    }
    drop(stream);
    let _ = OutgoingBody::finish(body, None);
    loop {
        match pending.get() {
            Some(Ok(Ok(r))) => return Ok(r.status()),
            Some(Ok(Err(e))) => return Err(fail(format!("{e:?}"))),
            Some(Err(())) => return Err(fail("taken")),
            None => pending.subscribe().block(),
        }
    }
}

/// GETs `url` and reads the body until the host ends it; the bytes read.
fn get_body(url: &str) -> Result<usize, ConnectorError> {
    fetch(url, None)
}

/// GETs `url` and reads its body, keeping it in `keep` when given; returns its length.
fn fetch(url: &str, mut keep: Option<&mut Vec<u8>>) -> Result<usize, ConnectorError> {
    let (scheme, rest) = url.split_once("://").ok_or_else(|| fail("bad url"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    let request = OutgoingRequest::new(Fields::new());
    request.set_scheme(Some(&if scheme == "https" { Scheme::Https } else { Scheme::Http })).map_err(|_| fail("s"))?;
    request.set_authority(Some(authority)).map_err(|_| fail("authority"))?;
    request.set_path_with_query(Some(path)).map_err(|_| fail("path"))?;
    let body = request.body().map_err(|_| fail("body"))?;
    let pending = outgoing_handler::handle(request, None).map_err(|e| fail(format!("{e:?}")))?;
    OutgoingBody::finish(body, None).map_err(|e| fail(format!("{e:?}")))?;
    let response = loop {
        match pending.get() {
            Some(Ok(Ok(r))) => break r,
            Some(Ok(Err(e))) => return Err(fail(format!("{e:?}"))),
            Some(Err(())) => return Err(fail("taken")),
            None => pending.subscribe().block(),
        }
    };
    let incoming = response.consume().map_err(|_| fail("consume"))?;
    let stream = incoming.stream().map_err(|_| fail("stream"))?;
    let mut read = 0;
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                read += chunk.len();
                if let Some(kept) = keep.as_deref_mut() {
                    kept.extend_from_slice(&chunk);
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => return Err(fail(e.to_debug_string())),
        }
    }
    drop(stream);
    IncomingBody::finish(incoming);
    Ok(read)
}

/// Recursion whose frames keep 64 KiB each in linear memory (the guest's
/// shadow stack), so it runs off the bottom of the shadow stack rather than
/// into the host's stack limit.
#[allow(unconditional_recursion, reason = "the attack is a stack overflow")]
fn recurse_in_memory(n: u64) -> u64 {
    let frame = std::hint::black_box([n as u8; 64 * 1024]);
    let deeper = recurse_in_memory(std::hint::black_box(n + 1));
    std::hint::black_box(deeper) + u64::from(frame[(n % 1024) as usize])
}

fn location(ctx: &CallContext) -> String {
    serde_json::from_str::<serde_json::Value>(&ctx.connection)
        .ok()
        .and_then(|v| v.get("locationId").and_then(|l| l.as_str()).map(str::to_string))
        .unwrap_or_default()
}

/// Recursion whose frames live on wasm's own call stack (no locals spill to
/// the guest's shadow stack), so it runs into the host's stack limit.
#[allow(unconditional_recursion, reason = "the attack is a stack overflow")]
fn recurse(n: u64) -> u64 {
    let deeper = recurse(std::hint::black_box(n + 1));
    std::hint::black_box(deeper) + 1
}

impl actions::Guest for Hostile {
    fn execute(ctx: CallContext, action: String, _input: String) -> Result<String, ConnectorError> {
        let base = ctx.base_url.clone();
        let out = match action.as_str() {
            "infinite-loop" => loop {
                std::hint::black_box(0);
            },
            "memory-bomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "deep-recursion" => serde_json::json!({ "n": recurse(0) }),
            "panic" => panic!("hostile connector panics on purpose"),
            "huge-output" => serde_json::json!({ "blob": "x".repeat(12 << 20) }),
            "request-flood" => {
                for _ in 0..5000 {
                    get(&format!("{base}/_sim/requests"), Fields::new())?;
                }
                serde_json::json!({ "flooded": true })
            }
            "undeclared-host" => {
                get("https://undeclared.invalid/", Fields::new())?;
                serde_json::json!({})
            }
            "private-ip" => {
                get("https://10.1.2.3/latest/meta-data", Fields::new())?;
                serde_json::json!({})
            }
            "private-name" => {
                get("https://internal.test/admin", Fields::new())?;
                serde_json::json!({})
            }
            "redirect-private" => {
                let (status, headers) = get(&format!("{base}/_sim/redirect?to=http://10.9.9.9/secret"), Fields::new())?;
                let target = headers.iter().find(|(n, _)| n == "location").map(|(_, v)| v.clone());
                match (status, target) {
                    (300..=399, Some(next)) => {
                        get(&next, Fields::new())?;
                        serde_json::json!({ "followed": next })
                    }
                    _ => return Err(fail(format!("expected a redirect, got {status}"))),
                }
            }
            "set-authorization" => {
                // Every credential header, in every way a guest can set one, on
                // the very fields it then sends.
                let fields = fields_with_version();
                let mut refused = serde_json::Map::new();
                for name in ["authorization", "cookie", "proxy-authorization"] {
                    let forged = format!("{name}-forged-by-the-guest").into_bytes();
                    let listed = Fields::from_list(&[(name.into(), forged.clone())]).is_err();
                    let appended = fields.append(name, &forged).is_err();
                    let set = fields.set(&name.to_uppercase(), &[forged]).is_err();
                    refused
                        .insert(name.into(), serde_json::json!({ "fromList": listed, "append": appended, "set": set }));
                }
                let (status, _) = get(&format!("{base}/social-media-posting/{}/tags", location(&ctx)), fields)?;
                serde_json::json!({ "refused": refused, "status": status })
            }
            "read-authorization" => {
                let (status, headers) = get(&format!("{base}/probe/echo-credential"), Fields::new())?;
                let names: Vec<String> = headers.iter().map(|(n, _)| n.clone()).collect();
                serde_json::json!({ "status": status, "headerNames": names, "headers": headers })
            }
            "undeclared-secret" => match weft::connector::secrets::get("operator-master-key") {
                Ok(value) => serde_json::json!({ "leaked": value }),
                Err(e) => {
                    return Err(ConnectorError::Forbidden(weft::connector::connector_types::MissingScope {
                        scope: None,
                        message: format!("{e:?}"),
                    }));
                }
            },
            "slow-upstream" => {
                get(&format!("{base}/_sim/sleep?ms=600000"), Fields::new())?;
                serde_json::json!({})
            }
            "huge-request-body" => {
                let status = post_streamed(&format!("{base}/_sim/echo-body"), 1 << 30)?;
                serde_json::json!({ "status": status })
            }
            "fields-flood" => {
                // Each handle filled to just under the host's per-fields limit, all kept alive.
                let mut hoard = Vec::new();
                let value = vec![b'v'; 5 * 1024];
                for i in 0..100_000u32 {
                    let fields = Fields::new();
                    for j in 0..10u32 {
                        let _ = fields.append(&format!("x-{i}-{j}"), &value);
                    }
                    hoard.push(fields);
                }
                serde_json::json!({ "handles": hoard.len() })
            }
            "oversized-fields" => {
                let fields = Fields::new();
                let value = vec![b'v'; 1024];
                for j in 0..100_000u32 {
                    if fields.append(&format!("x-{j}"), &value).is_err() {
                        break;
                    }
                }
                serde_json::json!({ "filled": true })
            }
            "log-echo" => {
                // Logs what an API echoed back, credential included: the host
                // cannot tell, `weft check` can.
                let mut body = Vec::new();
                fetch(&format!("{base}/probe/echo-credential-body"), Some(&mut body))?;
                log(Level::Info, &format!("the API said: {}", String::from_utf8_lossy(&body)));
                serde_json::json!({ "logged": body.len() })
            }
            "log-forgery" => {
                log(Level::Info, "innocent\n2026-12-01T00:00:00.000000Z  INFO weft: admin key rotated by operator");
                log(Level::Warn, "colour \u{1b}[31mred\u{1b}[0m and a carriage\rreturn");
                for i in 0..1000 {
                    log(Level::Info, &format!("line {i}"));
                }
                serde_json::json!({ "logged": 1002 })
            }
            "swallow-request-limit" => {
                let mut refused = 0;
                for _ in 0..400 {
                    if get(&format!("{base}/_sim/requests"), Fields::new()).is_err() {
                        refused += 1;
                    }
                }
                serde_json::json!({ "refused": refused })
            }
            "swallow-response-cut" => {
                let read = get_body(&format!("{base}/_sim/bytes?n=20000000")).unwrap_or(0);
                serde_json::json!({ "read": read })
            }
            "shadow-stack-overflow" => serde_json::json!({ "n": recurse_in_memory(0) }),
            "pick" => serde_json::json!({}),
            // Breaks its own output schema: `id` must be a string.
            "bad-output" => serde_json::json!({ "id": 42 }),
            // Counts the calls this instance has served, in linear memory.
            "counter" => {
                let calls = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                serde_json::json!({ "calls": calls })
            }
            // Reads a response past `response-body-bytes` and fails on the cut.
            "huge-response" => serde_json::json!({ "read": get_body(&format!("{base}/_sim/bytes?n=20000000"))? }),
            // The same probe at the connection's origin and at another allowed one.
            "credential-elsewhere" => {
                let own = get(&format!("{base}/probe/echo-credential"), Fields::new()).map(|(s, _)| s);
                let elsewhere = get(&format!("{SECOND_ORIGIN}/probe/echo-credential"), Fields::new()).map(|(s, _)| s);
                let shown = |r: Result<u16, ConnectorError>| match r {
                    Ok(status) => serde_json::json!(status),
                    Err(e) => serde_json::json!(format!("{e:?}")),
                };
                serde_json::json!({ "own": shown(own), "elsewhere": shown(elsewhere) })
            }
            other => return Err(fail(format!("no action {other}"))),
        };
        Ok(out.to_string())
    }
}

fn fields_with_version() -> Fields {
    let fields = Fields::new();
    let _ = fields.append("version", b"2021-07-28");
    fields
}

impl triggers::Guest for Hostile {
    fn poll(_ctx: CallContext, request: PollRequest) -> Result<PollResponse, ConnectorError> {
        match request.trigger.as_str() {
            // A 12 MiB cursor, for the host to store.
            "huge-cursor" => Ok(PollResponse {
                events: Vec::new(),
                cursor: Some(serde_json::json!({ "blob": "c".repeat(12 << 20) }).to_string()),
                has_more: false,
            }),
            // Always "more", never a new cursor: a poll that would loop forever.
            "endless-more" => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or_default();
                Ok(PollResponse {
                    events: vec![Event { id: format!("e{nanos}"), occurred_at: None, data: "{}".into() }],
                    cursor: Some("\"same\"".into()),
                    has_more: true,
                })
            }
            // Far more events than a poll may return.
            "event-flood" => Ok(PollResponse {
                events: (0..FLOOD_EVENTS)
                    .map(|i| Event { id: format!("flood-{i}"), occurred_at: None, data: "{}".into() })
                    .collect(),
                cursor: Some("\"flooded\"".into()),
                has_more: false,
            }),
            // An event breaking the trigger's own output schema: `id` must be a string.
            "bad-event" => Ok(PollResponse {
                events: vec![Event { id: "bad-1".into(), occurred_at: None, data: r#"{"id": 42}"#.into() }],
                cursor: Some("\"after-bad\"".into()),
                has_more: false,
            }),
            other => Err(fail(format!("no trigger {other}"))),
        }
    }
}

impl options::Guest for Hostile {
    fn choices(_ctx: CallContext, key: String, field: String, _input: String) -> Result<Vec<Choice>, ConnectorError> {
        match (key.as_str(), field.as_str()) {
            ("pick", "thing") => Ok((0..200_000)
                .map(|i| Choice { value: format!("value-{i:08}"), label: format!("A choice of a flood, number {i}") })
                .collect()),
            _ => Ok(Vec::new()),
        }
    }
}
