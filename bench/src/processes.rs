//! Processes the benchmarks start beside themselves: the simulator, and
//! the binaries `scripts/bench.sh` builds next to this one.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A child process killed when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `weft` and `ghl-sim` binaries built beside this one (`scripts/bench.sh` builds them).
pub(crate) fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("this binary");
    let path = exe.parent().expect("its directory").join(name);
    assert!(path.is_file(), "{} is missing: scripts/bench.sh builds it", path.display());
    path
}

/// The simulator in a process of its own (so its CPU is not counted as the
/// host's), with token `tok-bench` for location `loc-bench`; `extra` are
/// more arguments (`--tags 50`). Returns it and its base URL.
pub(crate) fn start_sim(extra: &[&str]) -> (Process, String) {
    let mut child = Command::new(sibling("ghl-sim"))
        .args(["--listen", "127.0.0.1:0", "--token", "tok-bench", "--location", "loc-bench"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ghl-sim");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("the sim's URL");
    (Process(child), line.trim().to_string())
}
