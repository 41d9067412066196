//! What the operator configures, through the `weft` binary: the `.cwasm`
//! cache directory's check, `WEFT_MASTER_KEY`, and each `WEFT_*` override.

use super::{ADMIN_KEY, CLIENT_ID, CLIENT_SECRET, arg, contains, database_bytes, raw};
use crate::serve::Server;
use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

async fn inspect_with_cache(dir: &Path) -> (String, bool) {
    let args = ["inspect", &arg(component()), "--cache-dir", &arg(dir)];
    let out = weft_with(&args, TOKEN, &[("RUST_LOG", "weft=info")]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    (stderr(&out), shown["granted"]["instances"]["precompiledFromCache"] == true)
}

fn entries(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .expect("cache dir")
        .map(|e| e.expect("entry").path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).expect("entry")))
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_directory_others_can_write_is_not_used_and_a_private_one_is() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cache");
    let (log, cached) = inspect_with_cache(&dir).await;
    assert!(!cached && log.contains("compiled component (cache miss)"), "{log}");
    let (log, cached) = inspect_with_cache(&dir).await;
    assert!(cached && log.contains("loaded precompiled component from the cache"), "a private one is used: {log}");
    let before = entries(&dir);
    assert_eq!(before.len(), 1, "one .cwasm");

    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod 0777");
    let (log, cached) = inspect_with_cache(&dir).await;
    assert!(!cached, "nothing is loaded from a directory others can write: {log}");
    assert!(log.contains("compiling without the cache") && log.contains("not writable by others"), "{log}");
    assert!(!log.contains("loaded precompiled"), "{log}");
    assert_eq!(entries(&dir), before, "nothing in it was read back, replaced or removed");

    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 0700");
    let (log, cached) = inspect_with_cache(&dir).await;
    assert!(cached, "private again, it is used again: {log}");
}

const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B: &str = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weft_master_key_seals_the_credentials_instead_of_a_key_file() {
    let world = World::new().await;
    let data = world.path("data");
    let (comp, data_arg) = (arg(component()), arg(&data));
    let env = |key: &'static str| {
        [("WEFT_DATA_DIR", data_arg.clone()), ("WEFT_ALLOW_LOOPBACK", "1".into()), ("WEFT_MASTER_KEY", key.into())]
    };
    let with = async |args: &[&str], key: &'static str| {
        let env = env(key);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        weft_with(args, TOKEN, &env).await
    };
    let base = world.sim.base_url();
    let connect =
        ["connect", &comp, "--name", "pit", "--token-env", "GHL_TOKEN", "--base-url", &base, "--location-id", LOCATION];
    let out = with(&connect, KEY_A).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(data.join("weft.db").is_file(), "the database is in the data directory");
    assert!(!data.join("master.key").exists(), "no key file when WEFT_MASTER_KEY is set");
    assert!(!contains(&database_bytes(&data), TOKEN), "the token is sealed");

    let test = ["connections", "test", &comp, "pit"];
    let out = with(&test, KEY_A).await;
    assert!(out.status.success() && stdout(&out).contains("ok: `pit` works"), "{}", stderr(&out));
    let out = with(&test, KEY_B).await;
    assert!(!out.status.success(), "another key cannot open it");
    assert!(stderr(&out).contains("which this host does not have"), "a clear error: {}", stderr(&out));
    let bad = with(&test, "AAAAAAAAAAAAAAAAAAAAAA==").await;
    assert!(
        stderr(&bad).contains("master key is unusable") && stderr(&bad).contains("32 are needed"),
        "{}",
        stderr(&bad)
    );
    assert!(!data.join("master.key").exists(), "still no key file");

    // Without the variable the host falls back to a key file of its own, which
    // cannot open what the variable's key sealed either.
    let out = with(&test, "").await;
    assert!(data.join("master.key").exists(), "without WEFT_MASTER_KEY a key file is created");
    assert!(!out.status.success() && stderr(&out).contains("which this host does not have"), "{}", stderr(&out));
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_weft_variable_overrides_its_config_key() {
    let world = World::new().await;
    world.sim.sim.register_oauth_app(CLIENT_ID, CLIENT_SECRET);
    let dir = tempfile::tempdir().expect("dir");
    let (config_data, env_data) = (dir.path().join("config-data"), dir.path().join("env-data"));
    let (empty, connectors) = (dir.path().join("empty"), dir.path().join("connectors"));
    std::fs::create_dir_all(&empty).expect("dir");
    std::fs::create_dir_all(&connectors).expect("dir");
    std::fs::copy(component(), connectors.join("ghl_social_planner.wasm")).expect("copy");
    let config = dir.path().join("weft.toml");
    let cache = weft_tests::workspace_root().join("target").join("test-component-cache");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\ncache_dir = \"{}\"\n[server]\nlisten = \"127.0.0.1:0\"\nconnectors_dir = \"{}\"\n\
             public_url = \"http://config-public.test\"\nlog_format = \"pretty\"\nadmin_key = \"config-admin-key\"\n\
             [egress]\nallow_loopback = false\n[connectors.ghl-social-planner.oauth]\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret = \"{CLIENT_SECRET}\"\nauthorize_url = \"{}/oauth/chooselocation\"\n",
            arg(&config_data),
            arg(&cache),
            arg(&empty),
            world.sim.base_url()
        ),
    )
    .expect("config");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let public = "http://env-public.test:8443";
    let env = [
        ("WEFT_LISTEN", listen.as_str()),
        ("WEFT_CONNECTORS_DIR", &arg(&connectors)),
        ("WEFT_PUBLIC_URL", public),
        ("WEFT_LOG_FORMAT", "json"),
        ("WEFT_ADMIN_KEY", ADMIN_KEY),
        ("WEFT_DATA_DIR", &arg(&env_data)),
        ("WEFT_ALLOW_LOOPBACK", "1"),
    ];
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let log = dir.path().join("serve.log");
    let server = Server::start_with_env(&config, log.clone(), &env).await;
    let mut wrong = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            wrong.push(what);
        }
    };

    check(server.url == format!("http://{listen}"), format!("WEFT_LISTEN: serving on {}", server.url));
    let admin_env =
        raw(&server, Method::POST, "/v1/workspaces", Some(ADMIN_KEY), Some(r#"{"name":"acme"}"#.into())).await;
    let admin_config = raw(&server, Method::GET, "/v1/workspaces", Some("config-admin-key"), None).await;
    check(
        admin_env.0 == StatusCode::CREATED && admin_config.0 == StatusCode::UNAUTHORIZED,
        format!("WEFT_ADMIN_KEY: env key {:?}, config key {:?}", admin_env, admin_config),
    );
    // The other checks go on with whichever admin key works, each on its own.
    let admin = if admin_env.0 == StatusCode::CREATED { ADMIN_KEY } else { "config-admin-key" };
    let _ = server.call(Method::POST, "/v1/workspaces", Some(admin), Some(json!({"name": "acme"}))).await;
    let (_, _, created) = server.call(Method::POST, "/v1/workspaces/acme/api-keys", Some(admin), Some(json!({}))).await;
    let key = created["key"].as_str().expect("a workspace key").to_string();
    let (_, _, listed) = server.call(Method::GET, "/v1/connectors", Some(&key), None).await;
    check(listed[0]["id"] == "ghl-social-planner", format!("WEFT_CONNECTORS_DIR: connectors {listed}"));
    check(
        env_data.join("weft.db").is_file() && !config_data.join("weft.db").exists(),
        format!("WEFT_DATA_DIR: env dir has a database {}", env_data.join("weft.db").is_file()),
    );
    let start = json!({"name": "oauth", "connector": "ghl-social-planner", "baseUrl": world.sim.base_url()});
    let (_, _, started) = server.call(Method::POST, "/v1/connections/oauth", Some(&key), Some(start)).await;
    let authorize = url::Url::parse(started["authorizeUrl"].as_str().unwrap_or("http://none.test")).expect("a URL");
    let redirect = authorize.query_pairs().find(|(k, _)| k == "redirect_uri").map(|(_, v)| v.into_owned());
    check(
        redirect.as_deref() == Some(&format!("{public}/v1/oauth/callback")),
        format!("WEFT_PUBLIC_URL: redirect {redirect:?} in {started}"),
    );
    let conn = json!({"name": "pit", "connector": "ghl-social-planner", "token": TOKEN, "baseUrl": world.sim.base_url(), "locationId": LOCATION});
    let _ = server.call(Method::POST, "/v1/connections", Some(&key), Some(conn)).await;
    let run = json!({"connection": "pit", "input": {}});
    let ran = server
        .call(Method::POST, "/v1/connectors/ghl-social-planner/actions/find-tags/run", Some(&key), Some(run))
        .await;
    check(ran.0 == StatusCode::OK, format!("WEFT_ALLOW_LOOPBACK: the call to the simulator answered {ran:?}"));
    let stopped = server.terminate().await;
    let text = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let json_lines = lines.iter().all(|l| serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()));
    check(!lines.is_empty() && json_lines, format!("WEFT_LOG_FORMAT: the log is not JSON lines:\n{text}"));
    assert!(stopped.success());
    assert!(wrong.is_empty(), "variables that did not override their key:\n{}", wrong.join("\n"));
}
