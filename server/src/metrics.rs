//! Prometheus metrics (`GET /metrics`), registered and encoded by `prometheus-client` in the
//! OpenMetrics text format: requests by endpoint and code, request latency, both writers'
//! batch sizes and commit latency, SQLite's log flushes and checkpoints, the database
//! connections, build info, and whether each deployment is over its action's alert threshold.
//!
//! Histograms are our own lock-free [`AtomicHistogram`] (plugged into the registry through
//! `EncodeMetric`): `prometheus-client`'s histogram takes a write lock on every observation,
//! and request latency is observed on every request of the hot path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::metrics::{MetricType, TypedMetric};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A histogram with fixed upper bounds, observed with atomics only (clones share it).
#[derive(Clone, Debug)]
pub struct AtomicHistogram(Arc<HistogramCells>);

#[derive(Debug)]
struct HistogramCells {
    bounds: &'static [f64],
    /// Per bucket (not cumulative); the last one is `+Inf`.
    buckets: Vec<AtomicU64>,
    sum_micro: AtomicU64,
}

impl AtomicHistogram {
    fn new(bounds: &'static [f64]) -> Self {
        AtomicHistogram(Arc::new(HistogramCells {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micro: AtomicU64::new(0),
        }))
    }

    fn observe(&self, v: f64) {
        let cells = &self.0;
        let i = cells.bounds.partition_point(|b| *b < v);
        cells.buckets[i].fetch_add(1, Ordering::Relaxed);
        cells
            .sum_micro
            .fetch_add((v * 1e6) as u64, Ordering::Relaxed);
    }
}

impl TypedMetric for AtomicHistogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for AtomicHistogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let cells = &self.0;
        let buckets: Vec<(f64, u64)> = cells
            .bounds
            .iter()
            .copied()
            .chain([f64::MAX])
            .zip(&cells.buckets)
            .map(|(b, n)| (b, n.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = cells.sum_micro.load(Ordering::Relaxed) as f64 / 1e6;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
const SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Which writer committed a batch.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Writer {
    /// SQLite's group-commit writer.
    Sqlite = 0,
    /// A PostgreSQL write transaction.
    Postgres = 1,
}

impl Writer {
    fn name(self) -> &'static str {
        match self {
            Writer::Sqlite => "sqlite",
            Writer::Postgres => "postgres",
        }
    }
}

/// A histogram family with one series per value of one label (a [`Writer`], a checkpoint's
/// mode): a sub-registry per value would repeat the family's TYPE line, which OpenMetrics and
/// Prometheus refuse.
#[derive(Debug)]
struct Labelled<const N: usize> {
    name: &'static str,
    help: &'static str,
    label: &'static str,
    series: [(&'static str, AtomicHistogram); N],
}

impl<const N: usize> Collector for Labelled<N> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family =
            encoder.encode_descriptor(self.name, self.help, None, MetricType::Histogram)?;
        for (value, histogram) in &self.series {
            histogram.encode(family.encode_family(&[(self.label, *value)])?)?;
        }
        Ok(())
    }
}

/// A SQLite checkpoint's mode (store/sqlite_sync.rs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checkpoint {
    /// Copies what it can without holding the writer back (the database file's flush after it
    /// included).
    Passive = 0,
    /// Copies the rest and rewinds the log; the writer waits for it.
    Restart = 1,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    status: u16,
    code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeploymentLabels {
    deployment_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// The database's connections at one moment (read at scrape time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open and idle.
    pub idle: u64,
    /// Connections open and lent out.
    pub in_use: u64,
    /// Requests waiting for a connection.
    pub waiting: u64,
    /// The most connections the pool opens (0: no fixed limit).
    pub max: u64,
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: AtomicHistogram,
    batch_size: [AtomicHistogram; 2],
    commit_latency: [AtomicHistogram; 2],
    log_flush: AtomicHistogram,
    checkpoints: [AtomicHistogram; 2],
    connections: Family<StateLabels, Gauge>,
    connections_max: Gauge,
    connections_waiting: Gauge,
    alerting: Family<DeploymentLabels, Gauge>,
    webhooks: Family<StateLabels, Counter>,
    admitted_ahead: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "txstate_requests",
            "Requests of the two endpoints, by endpoint, HTTP status and in-body code (0: none)",
            requests.clone(),
        );
        let latency = AtomicHistogram::new(SECONDS);
        registry.register(
            "txstate_request_seconds",
            "Time to answer a request of the two endpoints",
            latency.clone(),
        );
        let pair = |bounds| [AtomicHistogram::new(bounds), AtomicHistogram::new(bounds)];
        let batch_size = pair(SIZES);
        let commit_latency = pair(SECONDS);
        let writers = |h: &[AtomicHistogram; 2]| {
            [Writer::Sqlite, Writer::Postgres].map(|w| (w.name(), h[w as usize].clone()))
        };
        registry.register_collector(Box::new(Labelled {
            name: "txstate_write_batch_size",
            help: "Writes committed per transaction (SQLite: its group commit; PostgreSQL: a batch of notifications, or one write)",
            label: "writer",
            series: writers(&batch_size),
        }));
        registry.register_collector(Box::new(Labelled {
            name: "txstate_write_batch_seconds",
            help: "Time from a write transaction's start to its commit (SQLite: it stays open, taking writes, while the log is flushed)",
            label: "writer",
            series: writers(&commit_latency),
        }));
        let log_flush = AtomicHistogram::new(SECONDS);
        registry.register(
            "txstate_sqlite_log_flush_seconds",
            "SQLite: time a flush of the write-ahead log to disk took (fdatasync; every acknowledged write waited for one)",
            log_flush.clone(),
        );
        let checkpoints = pair(SECONDS);
        registry.register_collector(Box::new(Labelled {
            name: "txstate_sqlite_checkpoint_seconds",
            help: "SQLite: time a checkpoint took (passive: the database file's flush after it included; restart: the writer waits for it)",
            label: "mode",
            series: [
                ("passive", checkpoints[Checkpoint::Passive as usize].clone()),
                ("restart", checkpoints[Checkpoint::Restart as usize].clone()),
            ],
        }));
        let connections = Family::<StateLabels, Gauge>::default();
        registry.register(
            "txstate_db_connections",
            "Database connections open, by state (idle, in_use)",
            connections.clone(),
        );
        let connections_max = Gauge::default();
        registry.register(
            "txstate_db_connections_max",
            "The most database connections this server opens (0: no fixed limit)",
            connections_max.clone(),
        );
        let connections_waiting = Gauge::default();
        registry.register(
            "txstate_db_connections_waiting",
            "Requests waiting for a database connection",
            connections_waiting.clone(),
        );
        let alerting = Family::<DeploymentLabels, Gauge>::default();
        registry.register(
            "txstate_deployment_alerting",
            "1 while the deployment's failure rate over the last hour is above its action's alert threshold",
            alerting.clone(),
        );
        let webhooks = Family::<StateLabels, Counter>::default();
        registry.register(
            "txstate_alert_webhooks",
            "Alert webhook deliveries by this server, by outcome (sent, failed)",
            webhooks.clone(),
        );
        let admitted_ahead = Counter::default();
        registry.register(
            "txstate_throttle_admitted_ahead",
            "PostgreSQL: requests admitted by the throttle with an admission taken ahead, without a database call of their own",
            admitted_ahead.clone(),
        );
        registry.register(
            "txstate_build",
            "This server's build",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Metrics {
            registry,
            requests,
            latency,
            batch_size,
            commit_latency,
            log_flush,
            checkpoints,
            connections,
            connections_max,
            connections_waiting,
            alerting,
            webhooks,
            admitted_ahead,
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
        self.requests
            .get_or_create(&RequestLabels {
                endpoint,
                status,
                code,
            })
            .inc();
        self.latency.observe(latency.as_secs_f64());
    }

    /// One write transaction of `size` writes committed by `writer`.
    pub fn observe_batch(&self, writer: Writer, size: usize, took: Duration) {
        self.batch_size[writer as usize].observe(size as f64);
        self.commit_latency[writer as usize].observe(took.as_secs_f64());
    }

    /// One flush of SQLite's write-ahead log to disk.
    pub fn observe_log_flush(&self, took: Duration) {
        self.log_flush.observe(took.as_secs_f64());
    }

    /// One SQLite checkpoint.
    pub fn observe_checkpoint(&self, mode: Checkpoint, took: Duration) {
        self.checkpoints[mode as usize].observe(took.as_secs_f64());
    }

    /// Sets whether a deployment is over its alert threshold.
    pub fn set_alerting(&self, deployment_id: &str, alerting: bool) {
        self.alerting
            .get_or_create(&DeploymentLabels {
                deployment_id: deployment_id.to_owned(),
            })
            .set(i64::from(alerting));
    }

    /// Forgets a deployment that no longer exists.
    pub fn forget_deployment(&self, deployment_id: &str) {
        self.alerting.remove(&DeploymentLabels {
            deployment_id: deployment_id.to_owned(),
        });
    }

    /// One alert webhook delivered (`true`) or given up on (`false`).
    pub fn observe_webhook(&self, delivered: bool) {
        let state = if delivered { "sent" } else { "failed" };
        self.webhooks.get_or_create(&StateLabels { state }).inc();
    }

    /// `n` requests admitted with admissions taken ahead.
    pub fn observe_admitted_ahead(&self, n: usize) {
        self.admitted_ahead.inc_by(n as u64);
    }

    /// The text format, with the database's connections as they are now.
    pub fn render(&self, pool: PoolStatus) -> String {
        self.connections
            .get_or_create(&StateLabels { state: "idle" })
            .set(pool.idle as i64);
        self.connections
            .get_or_create(&StateLabels { state: "in_use" })
            .set(pool.in_use as i64);
        self.connections_max.set(pool.max as i64);
        self.connections_waiting.set(pool.waiting as i64);
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode the metrics");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_count_each_observation_once_in_its_bucket() {
        let m = Metrics::default();
        m.observe_request("notify", 200, 1100, Duration::from_micros(300));
        m.observe_request("notify", 200, 1100, Duration::from_millis(3));
        m.observe_request("voice", 500, 1002, Duration::from_secs(10));
        m.observe_batch(Writer::Postgres, 1, Duration::from_millis(2));
        m.set_alerting("API_1", true);
        m.observe_admitted_ahead(3);
        m.observe_admitted_ahead(1);
        let text = m.render(PoolStatus {
            idle: 3,
            in_use: 1,
            waiting: 0,
            max: 16,
        });
        for line in [
            "txstate_requests_total{endpoint=\"notify\",status=\"200\",code=\"1100\"} 2",
            "txstate_request_seconds_bucket{le=\"0.0005\"} 1",
            "txstate_request_seconds_bucket{le=\"0.005\"} 2",
            "txstate_request_seconds_bucket{le=\"2.5\"} 2",
            "txstate_request_seconds_bucket{le=\"+Inf\"} 3",
            "txstate_request_seconds_count 3",
            "txstate_write_batch_size_count{writer=\"postgres\"} 1",
            "txstate_write_batch_size_count{writer=\"sqlite\"} 0",
            "txstate_deployment_alerting{deployment_id=\"API_1\"} 1",
            "txstate_db_connections{state=\"idle\"} 3",
            "txstate_db_connections_max 16",
            "txstate_throttle_admitted_ahead_total 4",
            "txstate_build_info{version=\"",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    /// OpenMetrics (and Prometheus's parser): each family described once, its samples
    /// together after its description.
    #[test]
    fn each_family_is_described_once_with_its_samples_together() {
        let m = Metrics::default();
        m.observe_batch(Writer::Sqlite, 3, Duration::from_millis(1));
        m.observe_batch(Writer::Postgres, 1, Duration::from_millis(2));
        m.observe_log_flush(Duration::from_micros(400));
        m.observe_checkpoint(Checkpoint::Passive, Duration::from_millis(3));
        m.observe_checkpoint(Checkpoint::Passive, Duration::from_millis(4));
        m.observe_checkpoint(Checkpoint::Restart, Duration::from_millis(30));
        let text = m.render(PoolStatus::default());
        let mut seen = std::collections::HashSet::new();
        let mut current = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap_or_default().to_owned();
                assert!(seen.insert(name.clone()), "{name} described twice:\n{text}");
                current = name;
            } else if !line.starts_with('#') {
                assert!(
                    line.starts_with(current.as_str()),
                    "{line} is not under its own family's description:\n{text}"
                );
            }
        }
        for writer in ["sqlite", "postgres"] {
            let series = format!("txstate_write_batch_seconds_count{{writer=\"{writer}\"}} 1");
            assert!(text.contains(&series), "{series} missing from\n{text}");
        }
        for series in [
            "txstate_sqlite_log_flush_seconds_bucket{le=\"0.0005\"} 1",
            "txstate_sqlite_checkpoint_seconds_bucket{le=\"0.005\",mode=\"passive\"} 2",
            "txstate_sqlite_checkpoint_seconds_count{mode=\"passive\"} 2",
            "txstate_sqlite_checkpoint_seconds_bucket{le=\"0.025\",mode=\"restart\"} 0",
            "txstate_sqlite_checkpoint_seconds_bucket{le=\"0.05\",mode=\"restart\"} 1",
        ] {
            assert!(text.contains(series), "{series} missing from\n{text}");
        }
    }
}
