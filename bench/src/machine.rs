//! What machine the figures come from, and what the process uses.

/// CPU model, cores and memory, from /proc.
pub(crate) fn describe() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("MemTotal")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    format!("{cpu}, {cores} cores, {:.0} GiB RAM", mem_kib as f64 / 1024.0 / 1024.0)
}

/// Resident memory of this process, in KiB.
pub(crate) fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines().find(|l| l.starts_with("VmRSS")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) this process used so far, in seconds.
pub(crate) fn cpu_seconds() -> f64 {
    process_cpu_seconds("self")
}

/// CPU seconds (user and system) of process `pid` (or `self`) so far.
pub(crate) fn process_cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command (which may contain spaces) start after ") ".
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 here.
    (ticks(11) + ticks(12)) / 100.0
}

/// Lifts GHL's rate limit (100 requests per 10 s per location) in the host
/// and the simulator: the benchmarks measure the sandbox and the scheduler,
/// and waiting out a budget would measure the budget. Budgets have tests of
/// their own.
pub(crate) fn unthrottled(config: &mut weft::HostConfig) {
    let settings = weft::ConnectorSettings {
        rate_limit: Some(weft_manifest::RateLimit {
            requests: 1_000_000_000,
            per_seconds: 10,
            daily: None,
            per: "locationId".into(),
        }),
        ..Default::default()
    };
    config.connectors.insert("ghl-social-planner".into(), settings);
}

/// The simulator's side of [`unthrottled`].
pub(crate) fn unthrottled_sim(sim: &ghl_sim::Sim) {
    let generous = ghl_sim::RateLimit { burst: 1_000_000_000, window_ms: 10_000, daily: u32::MAX / 2 };
    sim.set_rate_limit(generous).expect("a valid rate limit");
}
