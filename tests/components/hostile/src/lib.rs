//! A connector that attacks its host. See README.md for the list.
#![cfg(target_arch = "wasm32")]
// Generated bindings are `unsafe` FFI by nature.
#![allow(unsafe_code)]

wit_bindgen::generate!({
    path: "../../../wit",
    world: "connector",
    generate_all,
});

use exports::weft::connector::{actions, metadata, options, triggers};
use wasi::http::outgoing_handler;
use wasi::http::types::{Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use weft::connector::connector_types::{
    CallContext, Choice, ConnectorError, PollRequest, PollResponse, UpstreamFailure,
};

struct Hostile;
export!(Hostile);

const ACTIONS: [&str; 14] = [
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
];

fn any_schema() -> serde_json::Value {
    serde_json::json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"})
}

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
        serde_json::json!({
            "id": "weft-hostile", "version": "0.1.0", "name": "Hostile", "description": "Attacks its host.",
            "auth": [{"type": "bearer-token", "label": "Token", "help": "Any token."}],
            "allowedHosts": ["https://10.1.2.3", "https://internal.test"],
            "secrets": [{"name": "declared-secret", "help": "A secret it may read."}],
            "triggers": [], "actions": actions
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
                let listed = Fields::from_list(&[("authorization".into(), b"Bearer guest-forged".to_vec())]).is_err();
                let fields = Fields::new();
                let appended = fields.append("authorization", b"Bearer guest-forged").is_err();
                let set = fields.set("Authorization", &[b"Bearer guest-forged".to_vec()]).is_err();
                let (status, _) =
                    get(&format!("{base}/social-media-posting/{}/tags", location(&ctx)), fields_with_version())?;
                serde_json::json!({ "fromListRefused": listed, "appendRefused": appended, "setRefused": set, "status": status })
            }
            "read-authorization" => {
                let (status, headers) = get(&format!("{base}/_sim/echo-credential"), Fields::new())?;
                let names: Vec<String> = headers.into_iter().map(|(n, _)| n).collect();
                serde_json::json!({ "status": status, "headerNames": names })
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
    fn poll(_ctx: CallContext, _request: PollRequest) -> Result<PollResponse, ConnectorError> {
        Err(fail("no triggers"))
    }
}

impl options::Guest for Hostile {
    fn choices(_ctx: CallContext, _key: String, _field: String, _input: String) -> Result<Vec<Choice>, ConnectorError> {
        Ok(Vec::new())
    }
}
