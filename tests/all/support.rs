//! A simulator per test, a connection to it, and ways to run calls through
//! the library and through the `weft` binary.

use ghl_sim::RunningSim;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use weft::{Connection, HostConfig, LoadedConnector, PollMeta, PollOutcome, Runtime, Secret};

pub(crate) const LOCATION: &str = "loc-e2e";
pub(crate) const TOKEN: &str = "pit-e2e-good-token";
pub(crate) const SCOPES: [&str; 3] =
    ["socialplanner/tag.readonly", "socialplanner/statistics.readonly", "socialplanner/account.readonly"];

/// A running simulator with a valid token, a temp dir and a connection file.
pub(crate) struct World {
    pub sim: RunningSim,
    pub dir: tempfile::TempDir,
    pub connection_file: PathBuf,
}

impl World {
    pub(crate) async fn new() -> World {
        let sim = ghl_sim::start("127.0.0.1:0".parse().expect("loopback address")).await.expect("start simulator");
        sim.sim.register_token(TOKEN, LOCATION, SCOPES);
        let dir = tempfile::tempdir().expect("temp dir");
        let connection_file = dir.path().join("connection.toml");
        std::fs::write(
            &connection_file,
            format!("base_url = \"{}\"\nlocation_id = \"{LOCATION}\"\ntoken_env = \"GHL_TOKEN\"\n", sim.base_url()),
        )
        .expect("write connection file");
        World { sim, dir, connection_file }
    }

    /// A connection to the simulator with `token`.
    pub(crate) fn connection(&self, token: &str) -> Connection {
        Connection::with_bearer_token(
            self.sim.base_url(),
            serde_json::json!({ "locationId": LOCATION }),
            &Secret::new(token),
        )
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Creates tags in the simulator, in order.
    pub(crate) fn create_tags(&self, names: &[&str]) -> Vec<ghl_sim::Tag> {
        names.iter().map(|n| self.sim.sim.create_tag(LOCATION, n)).collect()
    }
}

/// A host that may reach loopback, as a developer runs it against the simulator.
pub(crate) fn runtime() -> Runtime {
    let mut config = HostConfig::default();
    config.egress.allow_loopback = true;
    Runtime::new(config).expect("create runtime")
}

pub(crate) async fn ghl(runtime: &Runtime) -> LoadedConnector {
    runtime.load(weft_tests::ghl_component()).await.expect("load the GHL component")
}

/// A connector with the social planner's `new-tag` and `find-tags`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lang {
    /// The Rust connector (`connector/`).
    Rust,
    /// Its Python twin (`connectors/social-planner-py`), built with componentize-py.
    Python,
}

/// The connector `lang` names, loaded; both pass the same assertions.
pub(crate) async fn tags_connector(runtime: &Runtime, lang: Lang) -> LoadedConnector {
    match lang {
        Lang::Rust => ghl(runtime).await,
        Lang::Python => runtime.load(weft_tests::python_component()).await.expect("load the Python component"),
    }
}

/// Polls like a subscription does: seed first, then the given number of polls.
pub(crate) async fn poll(
    runtime: &Runtime,
    connector: &LoadedConnector,
    connection: &Connection,
    trigger: &str,
    input: Value,
    cursor: Option<String>,
    seed: bool,
) -> PollOutcome {
    runtime
        .poll(connector, connection, trigger, &input, cursor, PollMeta { seed, since: None })
        .await
        .unwrap_or_else(|e| panic!("poll {trigger}: {e}"))
}

/// Runs the `weft` binary with the simulator's token in `GHL_TOKEN`.
pub(crate) async fn weft(args: &[&str], token: &str) -> Output {
    weft_with(args, token, &[]).await
}

/// Runs the `weft` binary with extra environment variables. Compiled
/// components are cached in a directory shared by the tests.
pub(crate) async fn weft_with(args: &[&str], token: &str, env: &[(&str, &str)]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"));
    command.args(args).env("GHL_TOKEN", token).env_remove("RUST_LOG").env("WEFT_CACHE_DIR", shared_cache_dir());
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().await.expect("run weft")
}

fn shared_cache_dir() -> PathBuf {
    weft_tests::workspace_root().join("target").join("test-component-cache")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The JSON lines a `weft poll` printed.
pub(crate) fn lines(o: &Output) -> Vec<Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect()
}

pub(crate) fn component() -> &'static Path {
    weft_tests::ghl_component()
}

/// Polls `condition` every 50 ms until it holds or `deadline` passes; whether it held.
pub(crate) async fn eventually(deadline: std::time::Duration, mut condition: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + deadline;
    while !condition() {
        if tokio::time::Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    true
}

/// Steps `host` (poll what is due, deliver what is pending) until `condition`
/// holds, at most `max_steps` times; whether it held.
pub(crate) async fn step_until(
    host: &crate::subscriptions::Host,
    max_steps: usize,
    mut condition: impl FnMut() -> bool,
) -> bool {
    for _ in 0..max_steps {
        if condition() {
            return true;
        }
        host.step().await;
    }
    condition()
}

/// The store of a data directory, opened beside (or after) a `weft run`.
pub(crate) async fn open_store(data: &Path) -> weft::store::SqlStore {
    weft::store::SqlStore::open_file(&data.join("weft.db")).await.expect("open the store")
}

/// A `[[subscription]]` of `new-tag` on the simulator's connection file.
pub(crate) fn new_tag_entry(name: &str, start: &str, destination: &str, extra: &str) -> String {
    format!(
        "[[subscription]]\nname = \"{name}\"\ncomponent = \"{}\"\ntrigger = \"new-tag\"\nconnection = \"connection.toml\"\n\
         start = \"{start}\"\ndestination = \"{destination}\"\n{extra}\n",
        component().display()
    )
}

/// Writes a `weft run` setup in `dir` (`config` as weft.toml, the world's
/// connection file, `subscriptions`) and returns the arguments of `weft run`;
/// the data directory is `dir/data`.
pub(crate) fn weft_run_args(world: &World, dir: &Path, config: &str, subscriptions: &str) -> Vec<String> {
    let config_path = dir.join("weft.toml");
    std::fs::write(&config_path, config).expect("config");
    std::fs::copy(&world.connection_file, dir.join("connection.toml")).expect("connection file");
    let subs = dir.join("subscriptions.toml");
    std::fs::write(&subs, subscriptions).expect("subscriptions");
    let arg = |p: &Path| p.display().to_string();
    let data = dir.join("data");
    ["run", "--subscriptions", &arg(&subs), "--config", &arg(&config_path), "--data-dir", &arg(&data)]
        .map(String::from)
        .to_vec()
}

/// Starts the `weft` binary with `args`, its stderr appended to `log`, at `weft=info`.
pub(crate) fn spawn_weft(args: &[String], log: &Path) -> tokio::process::Child {
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log");
    tokio::process::Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .env("GHL_TOKEN", TOKEN)
        .env("RUST_LOG", "weft=info")
        .env("WEFT_CACHE_DIR", shared_cache_dir())
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start weft")
}

/// Sends `signal` (`INT`, `TERM`) to a child process, as a shell's `kill` does.
pub(crate) fn send_signal(child: &tokio::process::Child, signal: &str) {
    let pid = child.id().expect("the child is running").to_string();
    let status = std::process::Command::new("kill").args([&format!("-{signal}"), &pid]).status().expect("kill");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Checks `check` every 100 ms, for up to 20 s, until it holds; whether it did.
pub(crate) async fn wait_until(mut check: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A tool `scripts/test.sh` installs (pinned): the path in `$var`, else
/// `~/<default>`; fails, saying how to install it, when it is not there.
pub(crate) fn installed_tool(var: &str, default: &str, what: &str) -> PathBuf {
    let installed = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(default));
    assert!(
        installed.is_file(),
        "{what} is not installed at {}: run the suite with scripts/test.sh, which installs it",
        installed.display()
    );
    installed
}
