//! A throw-away PostgreSQL cluster for one test: `initdb` into a temporary
//! directory, the server listening on a Unix socket only (no TCP port at
//! all), stopped when dropped. Debian's server binaries are found on `PATH`
//! or under `/usr/lib/postgresql/*/bin`; `scripts/test.sh` installs them
//! when missing. As root, the server runs as the `postgres` user, since
//! PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running cluster; dropped, it stops.
pub(crate) struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

pub(crate) fn server_binaries() -> PathBuf {
    if let Ok(path) = std::env::var("WEFT_PG_BIN") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file());
    if let Some(dir) = on_path {
        return dir;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.retain(|d| d.join("initdb").is_file());
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!("PostgreSQL's server binaries (initdb, pg_ctl) are missing: `apt-get install -y postgresql` (scripts/test.sh does)")
    })
}

impl Postgres {
    /// Starts a new cluster.
    pub(crate) fn start() -> Postgres {
        let bin = server_binaries();
        let as_postgres = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let dir = tempfile::tempdir().expect("a directory for the cluster");
        let pg = Postgres { dir, bin, as_postgres };
        std::fs::create_dir_all(pg.socket_dir()).expect("socket dir");
        if as_postgres {
            let status = Command::new("chown").args(["-R", "postgres:", &pg.path_arg(pg.dir.path())]).status();
            assert!(status.is_ok_and(|s| s.success()), "chown the cluster's directory to postgres");
        }
        pg.run(
            "initdb",
            &["-D", &pg.path_arg(&pg.data()), "-U", "weft", "--auth=trust", "--locale=C", "-E", "UTF8", "--no-sync"],
        );
        let options =
            format!("-c listen_addresses='' -k {} -c fsync=off -c max_connections=200", pg.socket_dir().display());
        pg.run(
            "pg_ctl",
            &[
                "-D",
                &pg.path_arg(&pg.data()),
                "-o",
                &options,
                "-l",
                &pg.path_arg(&pg.dir.path().join("log")),
                "-w",
                "start",
            ],
        );
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.path().join("socket")
    }

    fn path_arg(&self, p: &Path) -> String {
        p.display().to_string()
    }

    /// Server tool `tool`, run as `postgres` when we are root.
    fn tool(&self, tool: &str) -> Command {
        let program = self.bin.join(tool);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let output = self.tool(tool).args(args).output().unwrap_or_else(|e| panic!("running {tool}: {e}"));
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "{tool} failed: {}\n{}\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The URL of database `name`, created empty.
    pub(crate) async fn database(&self, name: &str) -> String {
        use sqlx::Executor;
        let admin = self.url("postgres");
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await.expect("connect to postgres");
        conn.execute(format!("CREATE DATABASE \"{name}\"").as_str()).await.expect("create database");
        self.url(name)
    }

    /// The URL of database `name` over the cluster's socket.
    pub(crate) fn url(&self, name: &str) -> String {
        format!("postgres://weft@localhost/{name}?host={}", self.socket_dir().display())
    }
}

/// When the suite runs on PostgreSQL (`WEFT_TEST_POSTGRES` names the socket
/// directory of a cluster `scripts/test.sh` started for the pass), the URL of
/// the database of the host whose data directory is `data` (made empty the
/// first time, found again when the host restarts); `None` on SQLite.
pub(crate) fn test_database(data: &Path) -> Option<String> {
    let socket = std::env::var("WEFT_TEST_POSTGRES").ok().filter(|s| !s.is_empty())?;
    let digest = <sha2::Sha256 as sha2::Digest>::digest(data.display().to_string().as_bytes());
    let name = format!("t{}", hex::encode(&digest[..8]));
    let beside = server_binaries().join("createdb");
    let createdb = if beside.is_file() { beside } else { PathBuf::from("createdb") };
    let output = Command::new(createdb).args(["-h", &socket, "-U", "weft", &name]).output().expect("run createdb");
    let complaint = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() || complaint.contains("already exists"), "createdb: {complaint}");
    Some(format!("postgres://weft@localhost/{name}?host={socket}"))
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let _ = self.tool("pg_ctl").args(["-D", data.as_str(), "-m", "immediate", "-w", "stop"]).output();
    }
}
