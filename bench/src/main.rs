//! `weft-bench`: prints the figures as a markdown table and writes them,
//! with the method, the machine and the date, to docs/performance.md.
//!
//! ```sh
//! scripts/bench.sh            # everything (about 15 minutes)
//! scripts/bench.sh --quick    # smaller runs (about 4 minutes)
//! ```

mod cold;
mod hooks;
mod languages;
mod machine;
mod overhead;
mod poll;
mod processes;
mod report;
mod scale;
mod scale_pg;
mod stats;

use std::time::Duration;

struct Options {
    quick: bool,
    out: std::path::PathBuf,
    only: Option<String>,
    scale_seconds: Option<u64>,
}

fn options() -> Result<Options, String> {
    let mut o = Options { quick: false, out: "docs/performance.md".into(), only: None, scale_seconds: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--out" => o.out = args.next().ok_or("--out needs a path")?.into(),
            "--scale-seconds" => {
                o.scale_seconds =
                    Some(args.next().and_then(|s| s.parse().ok()).ok_or("--scale-seconds needs a number")?)
            }
            "overhead" | "poll" | "cold-start" | "scale" | "scale-pg" | "hooks" | "languages" => o.only = Some(arg),
            other => {
                return Err(format!(
                    "unknown argument `{other}`; use [overhead|poll|cold-start|scale|scale-pg|hooks|languages] [--quick] [--out FILE]"
                ));
            }
        }
    }
    Ok(o)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
    if args.get(1).map(String::as_str) == Some("cold-start-child") {
        let cache = match args.get(2).map(String::as_str) {
            Some("--cache-dir") => args.get(3).map(std::path::PathBuf::from),
            _ => None,
        };
        rt.block_on(cold::child(cache));
        return;
    }
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let wants = |name: &str| o.only.as_deref().is_none_or(|only| only == name);
    let mut figures = report::Figures::default();
    if wants("overhead") {
        eprintln!("measuring per-call overhead…");
        figures.overhead = Some(rt.block_on(overhead::run(if o.quick { 2_000 } else { 10_000 })));
    }
    if wants("poll") {
        eprintln!("measuring a new-tag poll, component and native…");
        figures.poll = Some(rt.block_on(poll::run(if o.quick { 200 } else { 1_000 }, 50)));
    }
    if wants("cold-start") {
        eprintln!("measuring cold start…");
        figures.cold = Some(cold::run());
    }
    if wants("languages") {
        eprintln!("measuring the same connector in Rust and in Python…");
        figures.languages = rt.block_on(languages::run(if o.quick { 200 } else { 1_000 }));
    }
    if wants("hooks") {
        eprintln!("measuring instant triggers: a webhook from the simulator to the receiver…");
        figures.hooks = Some(rt.block_on(hooks::run(if o.quick { 300 } else { 1_000 })));
    }
    if wants("scale") {
        let seconds = o.scale_seconds.unwrap_or(if o.quick { 20 } else { 120 });
        let counts: &[usize] = if o.quick { &[1_000, 10_000] } else { &[1_000, 10_000, 100_000] };
        for &count in counts {
            eprintln!("running {count} subscriptions: a minute of catching up, then {seconds} s measured…");
            figures.scale.push(rt.block_on(scale::run(count, Duration::from_secs(seconds))));
        }
    }
    if wants("scale-pg") {
        let seconds = o.scale_seconds.unwrap_or(if o.quick { 20 } else { 120 });
        let warm_up = Duration::from_secs(if o.quick { 30 } else { 60 });
        let counts: &[usize] = if o.quick { &[10_000] } else { &[10_000, 100_000] };
        for &count in counts {
            for workers in [1, 2, 4] {
                eprintln!("running {count} subscriptions on PostgreSQL with {workers} worker process(es)…");
                let run = scale_pg::run(count, workers, warm_up, Duration::from_secs(seconds));
                figures.pg_scale.push(rt.block_on(run));
            }
        }
    }
    let text = match o.only.as_deref() {
        // One part alone updates its own section and keeps the rest of the document.
        Some("languages") => {
            let old = std::fs::read_to_string(&o.out).unwrap_or_default();
            report::splice(&old, &report::languages(&figures.languages))
        }
        _ => report::render(&figures, o.quick),
    };
    println!("\n{text}");
    if let Some(dir) = o.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&o.out, text) {
        Ok(()) => eprintln!("wrote {}", o.out.display()),
        Err(e) => eprintln!("could not write {}: {e}", o.out.display()),
    }
}
