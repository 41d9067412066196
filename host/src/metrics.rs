//! Counters for `/metrics`, in the Prometheus text format. A handful of
//! families is all an operator needs; a map behind a mutex is plenty.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Family {
    help: &'static str,
    kind: &'static str,
    values: BTreeMap<Labels, f64>,
}

/// The host's counters, rendered for `/metrics` in the Prometheus text format.
#[derive(Default)]
pub struct Metrics {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    fn add(&self, name: &'static str, kind: &'static str, help: &'static str, labels: Labels, by: f64) {
        let mut families = self.families.lock().unwrap_or_else(|p| p.into_inner());
        let family = families.entry(name).or_insert_with(|| Family { help, kind, values: BTreeMap::new() });
        *family.values.entry(labels).or_insert(0.0) += by;
    }

    /// Counts one trigger poll of `connector`; `outcome` is `ok`, `seeded` or `failed`.
    pub fn poll(&self, connector: &str, outcome: &str) {
        let labels = vec![("connector", connector.to_string()), ("outcome", outcome.to_string())];
        self.add("weft_polls_total", "counter", "Trigger polls by connector and outcome.", labels, 1.0);
    }

    /// Counts new events of `connector` committed to the outbox.
    pub fn events(&self, connector: &str, count: usize) {
        let labels = vec![("connector", connector.to_string())];
        self.add("weft_events_total", "counter", "New events committed to the outbox.", labels, count as f64);
    }

    /// Counts one failed connector call by its error code.
    pub fn call_error(&self, kind: &str) {
        let labels = vec![("kind", kind.to_string())];
        self.add("weft_call_errors_total", "counter", "Failed connector calls by error kind.", labels, 1.0);
    }

    /// Counts one call that ran into per-call limit `limit`; `outcome` is
    /// `failed` (the call ended) or `swallowed` (the connector carried on).
    pub fn limit_hit(&self, limit: &str, outcome: &str) {
        let labels = vec![("limit", limit.to_string()), ("outcome", outcome.to_string())];
        self.add("weft_limits_hit_total", "counter", "Calls that ran into a per-call limit.", labels, 1.0);
    }

    /// Counts guest log lines dropped by the per-call cap.
    pub fn log_lines_dropped(&self, count: u32) {
        let help = "Connector log lines dropped by the per-call cap.";
        self.add("weft_log_lines_dropped_total", "counter", help, Vec::new(), f64::from(count));
    }

    /// Counts one delivery attempt; `outcome` is `delivered` or `failed`.
    pub fn delivery(&self, outcome: &str) {
        let labels = vec![("outcome", outcome.to_string())];
        self.add("weft_deliveries_total", "counter", "Delivery attempts by outcome.", labels, 1.0);
    }

    /// Counts one MCP tool call of `connector`; `outcome` is `ok` or an error code.
    pub fn tool_call(&self, connector: &str, outcome: &str) {
        let labels = vec![("connector", connector.to_string()), ("outcome", outcome.to_string())];
        self.add("weft_mcp_tool_calls_total", "counter", "MCP tool calls by connector and outcome.", labels, 1.0);
    }

    /// Adds one timed connector call (`what`: `action`, `poll` or `options`), instantiation included.
    pub fn call_time(&self, what: &str, elapsed: Duration) {
        let labels = vec![("call", what.to_string())];
        let help = "Time spent in connector calls (instantiation included), in seconds.";
        self.add("weft_call_seconds_sum", "counter", help, labels.clone(), elapsed.as_secs_f64());
        self.add("weft_call_seconds_count", "counter", "Connector calls timed.", labels, 1.0);
    }

    /// Adds one timed instantiation of a component.
    pub fn instantiate_time(&self, elapsed: Duration) {
        let help = "Time spent instantiating components, in seconds.";
        self.add("weft_instantiate_seconds_sum", "counter", help, Vec::new(), elapsed.as_secs_f64());
        self.add("weft_instantiate_seconds_count", "counter", "Instantiations timed.", Vec::new(), 1.0);
    }

    /// Counts how late a poll started against its schedule, in buckets
    /// (`weft_schedule_lag_seconds_bucket{le}`, cumulative, with `_sum` and `_count`).
    pub fn schedule_lag(&self, lag: Duration) {
        const BUCKETS: [&str; 12] = ["0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"];
        let seconds = lag.as_secs_f64();
        let help = "Polls by how late they started against their schedule, cumulative by upper bound in seconds.";
        for bound in BUCKETS {
            if bound == "+Inf" || bound.parse::<f64>().is_ok_and(|b| seconds <= b) {
                self.add("weft_schedule_lag_seconds_bucket", "counter", help, vec![("le", bound.to_string())], 1.0);
            }
        }
        let sum_help = "Total schedule lag of the polls counted, in seconds.";
        self.add("weft_schedule_lag_seconds_sum", "counter", sum_help, Vec::new(), seconds);
        self.add(
            "weft_schedule_lag_seconds_count",
            "counter",
            "Polls whose schedule lag was counted.",
            Vec::new(),
            1.0,
        );
    }

    /// The text exposition; `extra` adds gauges read at scrape time.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let families = self.families.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        for (name, family) in families.iter() {
            let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} {}", family.help, family.kind);
            for (labels, value) in &family.values {
                let labels: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                    .collect();
                let labels = if labels.is_empty() { String::new() } else { format!("{{{}}}", labels.join(",")) };
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        }
        for (name, help, value) in extra {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        out
    }
}
