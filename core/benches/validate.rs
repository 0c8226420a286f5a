//! Validations per second on a mixed corpus (every shared fixture body under 4 KiB: valid and
//! invalid, both APIs), against the `jsonschema` crate validating the same contract written as
//! JSON Schema (`schemas/`), parse included on both sides.
//!
//! Then the same per group of fixtures by expected code (`1100`, `1101`, `voice-ok`, ...), so
//! that a change shows which paths it moved, and at the end a table of the ratios
//! jsonschema / core read back from criterion's estimates of this run.
//!
//! Run: `cargo xtask bench` (or `cargo bench -p txstate-core --bench validate`).

// A benchmark reports on standard output.
#![allow(clippy::print_stdout)]

#[path = "support/corpus.rs"]
mod support;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput};
use serde_json::Value;
use support::{corpus, demo_catalog, typical_notify, Body};
use txstate_core::{validate, Api, Options};

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(name);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("json");
    jsonschema::validator_for(&schema).expect("valid schema")
}

/// Core and jsonschema on `bodies`; with `full`, also core with the verdict rendered to JSON,
/// jsonschema with every error rendered (what the server and a partner's code would do), and
/// serde_json checking that the bodies are JSON and nothing else (no value built, nothing
/// validated: a floor for any validator that reads the whole body).
fn bench_group(c: &mut Criterion, name: &str, bodies: &[Body], opts: &Options<'_>, full: bool) {
    let notify_schema = schema("notify.schema.json");
    let voice_schema = schema("voice.schema.json");
    let schema_of = |api: &Api| match api {
        Api::Notify => &notify_schema,
        Api::Voice => &voice_schema,
    };
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(bodies.len() as u64));
    if !full {
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(2));
    }
    g.bench_function("txstate-core", |b| {
        b.iter(|| {
            for (_, api, body) in bodies {
                black_box(validate(*api, black_box(body), opts));
            }
        })
    });
    g.bench_function("jsonschema-is-valid", |b| {
        b.iter(|| {
            for (_, api, body) in bodies {
                let ok = serde_json::from_slice::<Value>(black_box(body))
                    .map(|i| schema_of(api).is_valid(&i));
                black_box(ok.ok());
            }
        })
    });
    if full {
        g.bench_function("serde-json-syntax-only", |b| {
            b.iter(|| {
                for (_, _, body) in bodies {
                    let read = serde_json::from_slice::<serde::de::IgnoredAny>(black_box(body));
                    black_box(read.is_ok());
                }
            })
        });
        // The deferred message rendering is paid here.
        g.bench_function("txstate-core-verdict-json", |b| {
            let mut out = Vec::with_capacity(4096);
            b.iter(|| {
                for (_, api, body) in bodies {
                    out.clear();
                    let v = validate(*api, black_box(body), opts);
                    serde_json::to_writer(&mut out, &v).expect("serializes");
                    black_box(&out);
                }
            })
        });
        g.bench_function("jsonschema-all-errors", |b| {
            b.iter(|| {
                for (_, api, body) in bodies {
                    let errors = serde_json::from_slice::<Value>(black_box(body)).map(|i| {
                        let errors = schema_of(api).iter_errors(&i);
                        errors.map(|e| e.to_string()).collect::<Vec<_>>()
                    });
                    black_box(errors.ok());
                }
            })
        });
    }
    g.finish();
}

/// The mean time of one benchmark of this run, in ns, from criterion's estimates.
fn mean_ns(group: &str, bench: &str) -> Option<f64> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target
        .join("criterion")
        .join(group)
        .join(bench)
        .join("new/estimates.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn main() {
    let corpus = corpus();
    let catalog = demo_catalog();
    let opts = Options {
        catalog: Some(&catalog),
        now_ms: Some(1_700_000_000_000),
        ..Options::default()
    };
    let mut groups: Vec<&str> = corpus.iter().map(|(g, _, _)| g.as_str()).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut rows = vec![("mixed-corpus".to_owned(), corpus.clone())];
    for g in groups {
        let bodies = corpus.iter().filter(|(n, _, _)| n == g).cloned().collect();
        rows.push((format!("code-{g}"), bodies));
    }
    rows.push(("typical-notify".to_owned(), typical_notify()));

    let mut c = Criterion::default().configure_from_args();
    for (i, (name, bodies)) in rows.iter().enumerate() {
        bench_group(&mut c, name, bodies, &opts, i == 0);
    }
    c.final_summary();

    // Same run, same machine: the ratio is the figure to compare across runs.
    println!("\nns a body, core vs jsonschema is_valid (same run):");
    println!(
        "{:<14} {:>7} {:>10} {:>12} {:>7}",
        "group", "bodies", "core", "jsonschema", "ratio"
    );
    for (group, bodies) in &rows {
        let n = bodies.len() as f64;
        let per = |bench: &str| mean_ns(group, bench).map(|t| t / n);
        if let (Some(core), Some(js)) = (per("txstate-core"), per("jsonschema-is-valid")) {
            println!(
                "{group:<14} {n:>7} {core:>10.0} {js:>12.0} {:>6.2}x",
                js / core
            );
        }
    }
    let n = corpus.len() as f64;
    let per = |bench: &str| mean_ns("mixed-corpus", bench).map(|t| t / n);
    if let (Some(floor), Some(js)) = (per("serde-json-syntax-only"), per("jsonschema-is-valid")) {
        println!(
            "mixed-corpus: serde_json's syntax check alone {floor:.0} ns a body, {:.2}x faster than \
             jsonschema (core at 5x jsonschema would be {:.0} ns)",
            js / floor,
            js / 5.0
        );
    }
}
