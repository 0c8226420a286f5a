//! Prometheus metrics, rendered by hand in the text format (no dependency): requests by
//! endpoint and code, request latency, write batch sizes and commit latency.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A histogram with fixed upper bounds.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    sum_micro: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_micro: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, v: f64) {
        for (b, n) in self.bounds.iter().zip(&self.buckets) {
            if v <= *b {
                n.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sum_micro
            .fetch_add((v * 1e6) as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, n) in self.bounds.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micro.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
const SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16, u16), u64>>,
    latency: Histogram,
    batch_size: Histogram,
    commit_latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Mutex::new(BTreeMap::new()),
            latency: Histogram::new(SECONDS),
            batch_size: Histogram::new(SIZES),
            commit_latency: Histogram::new(SECONDS),
        }
    }
}

impl Metrics {
    /// One request of a partner endpoint answered (`code` 0 where the body had none).
    pub fn observe_request(
        &self,
        endpoint: &'static str,
        status: u16,
        code: u16,
        latency: Duration,
    ) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((endpoint, status, code)).or_default() += 1;
        }
        self.latency.observe(latency.as_secs_f64());
    }

    /// One write batch committed.
    pub fn observe_batch(&self, size: usize, took: Duration) {
        self.batch_size.observe(size as f64);
        self.commit_latency.observe(took.as_secs_f64());
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP txstate_requests_total Requests of the two endpoints, by endpoint, HTTP status and in-body code.\n# TYPE txstate_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((endpoint, status, code), n) in m.iter() {
                let _ = writeln!(out, "txstate_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\",code=\"{code}\"}} {n}");
            }
        }
        self.latency.render(
            &mut out,
            "txstate_request_seconds",
            "Time to answer a request of the two endpoints.",
        );
        self.batch_size.render(
            &mut out,
            "txstate_write_batch_size",
            "Writes committed per transaction (group commit).",
        );
        self.commit_latency.render(
            &mut out,
            "txstate_write_batch_seconds",
            "Time to run and commit one write batch.",
        );
        out
    }
}
