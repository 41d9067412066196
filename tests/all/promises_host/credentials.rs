//! Credentials stay in the host: the guest can neither set nor read them, the
//! host sends the connection's only to its own origin, plain http goes only
//! to the hosts the operator lists, and OAuth tokens are refreshed before
//! they expire.

use crate::connections::OAuthWorld;
use crate::sandbox::{CREDENTIAL_HEADERS, strict_runtime};
use crate::support::*;
use serde_json::json;
use std::net::IpAddr;
use weft::egress::EgressDenial;
use weft::{CallError, Connection, HostConfig, Runtime, Secret};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_and_proxy_authorization_are_refused_like_authorization() {
    let world = World::new().await;
    let runtime = strict_runtime(|_| {});
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    let out = runtime.execute(&hostile, &world.connection(TOKEN), "set-authorization", &json!({})).await.expect("ran");
    for header in CREDENTIAL_HEADERS {
        for way in ["fromList", "append", "set"] {
            assert_eq!(out["refused"][header][way], true, "the guest set `{header}` through {way}: {out}");
        }
    }
    assert_eq!(out["status"], 200, "{out}");
    let sent: Vec<_> = world.sim.sim.requests().into_iter().filter(|r| r.path.ends_with("/tags")).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let headers = &sent[0].headers;
    assert_eq!(headers.get("authorization"), Some(&format!("Bearer {TOKEN}")), "only the host's credential");
    for header in ["cookie", "proxy-authorization"] {
        assert_eq!(headers.get(header), None, "the API saw a guest's `{header}`: {headers:?}");
    }
    assert!(!headers.values().any(|v| v.contains("forged-by-the-guest")), "{headers:?}");
}

/// The other origin the hostile manifest declares, on 127.0.0.1.
fn second_origin_port(manifest: &weft::ConnectorManifest) -> u16 {
    manifest
        .allowed_hosts
        .iter()
        .find_map(|h| h.strip_prefix("http://127.0.0.1:"))
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("the hostile manifest declares a second origin on 127.0.0.1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_credential_goes_only_to_the_connection_s_own_origin() {
    let world = World::new().await;
    let runtime = strict_runtime(|_| {});
    let hostile = runtime.load(weft_tests::hostile_component()).await.expect("hostile");
    let port = second_origin_port(&hostile.manifest);
    let elsewhere = ghl_sim::start(([127, 0, 0, 1], port).into())
        .await
        .unwrap_or_else(|e| panic!("the second probe origin needs 127.0.0.1:{port} free: {e}"));
    let out = runtime.execute(&hostile, &world.connection(TOKEN), "credential-elsewhere", &json!({})).await;
    let out = out.expect("ran");
    assert_eq!((out["own"].clone(), out["elsewhere"].clone()), (json!(200), json!(200)), "both answered: {out}");

    let home: Vec<_> = world.sim.sim.requests().into_iter().filter(|r| r.path == "/probe/echo-credential").collect();
    assert_eq!(home.len(), 1, "{home:?}");
    assert_eq!(home[0].headers.get("authorization"), Some(&format!("Bearer {TOKEN}")), "its own origin gets it");
    let away: Vec<_> = elsewhere.sim.requests().into_iter().filter(|r| r.path == "/probe/echo-credential").collect();
    assert!(!away.is_empty(), "the other allowed origin was reached");
    for request in &away {
        assert_eq!(request.headers.get("authorization"), None, "another origin got a credential: {request:?}");
    }
}

/// A host that may reach loopback, with names pointing at it.
fn named_runtime(http_hosts: &[&str]) -> Runtime {
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    config.egress.allow_http_hosts = http_hosts.iter().map(|h| h.to_string()).collect();
    let loopback: IpAddr = [127, 0, 0, 1].into();
    for name in ["ghl-sim.test", "elsewhere.test"] {
        config.static_hosts.insert(name.into(), vec![loopback]);
    }
    Runtime::new(config).expect("runtime")
}

fn at(world: &World, host: &str) -> Connection {
    let base = format!("http://{host}:{}", world.sim.addr.port());
    Connection::with_bearer_token(base, json!({ "locationId": LOCATION }), &Secret::new(TOKEN))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_goes_only_to_the_hosts_allow_http_hosts_lists() {
    let world = World::new().await;
    world.create_tags(&["over plain http"]);
    let listed = named_runtime(&["ghl-sim.test"]);
    let ghl = ghl(&listed).await;
    let out = listed.execute(&ghl, &at(&world, "ghl-sim.test"), "find-tags", &json!({})).await.expect("a listed host");
    assert_eq!(out["tags"][0]["tag"], "over plain http", "{out}");
    let reached = world.sim.sim.requests();
    assert_eq!(reached.len(), 1, "{reached:?}");
    assert_eq!(reached[0].headers.get("host"), Some(&format!("ghl-sim.test:{}", world.sim.addr.port())));

    let refused = |result: Result<serde_json::Value, CallError>, host: &str| match result {
        Err(CallError::EgressDenied(why @ EgressDenial::PlainHttp { .. })) => {
            let why = why.to_string();
            assert!(why.contains(host) && why.contains("allow_http_hosts"), "{why}");
        }
        other => panic!("{host}: expected a plain-http refusal, got {other:?}"),
    };
    refused(listed.execute(&ghl, &at(&world, "elsewhere.test"), "find-tags", &json!({})).await, "elsewhere.test");
    let unlisted = named_runtime(&[]);
    let ghl = self::ghl(&unlisted).await;
    refused(unlisted.execute(&ghl, &at(&world, "ghl-sim.test"), "find-tags", &json!({})).await, "ghl-sim.test");
    assert_eq!(world.sim.sim.requests().len(), 1, "no refused request reached the simulator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_about_to_expire_is_refreshed_before_it_is_used() {
    let ow = OAuthWorld::new().await;
    let sim = &ow.world.sim.sim;
    // A token with a day to live is used as it is.
    ow.connect("fresh", &SCOPES).await;
    ow.call("fresh").await.expect("a fresh token works");
    assert_eq!(sim.oauth_stats().refresh_calls, 0, "a fresh token is not refreshed");

    // A token with two minutes to live, well inside the host's margin, though
    // the API would still take it.
    sim.set_access_token_lifetime(Some(120));
    ow.connect("soon", &SCOPES).await;
    let stale = sim.tokens_for(LOCATION).expect("tokens").access_token;
    sim.set_access_token_lifetime(None);
    sim.clear_requests();
    ow.call("soon").await.expect("works");
    let stats = sim.oauth_stats();
    assert_eq!((stats.refresh_calls, stats.refresh_successes), (1, 1), "refreshed once, ahead of use: {stats:?}");
    let fresh = sim.tokens_for(LOCATION).expect("tokens").access_token;
    assert_ne!(fresh, stale);
    let seen: Vec<_> = sim
        .requests()
        .into_iter()
        .map(|r| (r.path.clone(), r.status, r.headers.get("authorization").cloned()))
        .collect();
    let tags = format!("/social-media-posting/{LOCATION}/tags");
    match seen.as_slice() {
        [(refresh, 200, _), (api, 200, Some(auth))] if refresh == "/oauth/token" && *api == tags => {
            assert_eq!(*auth, format!("Bearer {fresh}"), "the request used the refreshed token");
        }
        _ => panic!("expected a refresh, then one API request with the new token: {seen:?}"),
    }

    ow.call("soon").await.expect("works");
    assert_eq!(sim.oauth_stats().refresh_calls, 1, "the refreshed token has a day to live: no second refresh");
}
