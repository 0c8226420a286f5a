//! Validations per second on a mixed corpus (every shared fixture body under 4 KiB: valid and
//! invalid, both APIs), against the `jsonschema` crate validating the same contract written as
//! JSON Schema (`schemas/`), parse included on both sides.
//!
//! Run: `cargo xtask bench` (or `cargo bench -p txstate-core --bench validate`).

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use txstate_core::fixture::Fixture;
use txstate_core::{validate, Api, Catalog, Options};

fn corpus() -> Vec<(Api, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut out = Vec::new();
    for api in ["notify", "voice"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(api))
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        for p in paths {
            let f: Fixture =
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("fixture");
            if f.body.len() <= 4096 {
                out.push((f.api, f.body.into_bytes()));
            }
        }
    }
    out
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../schemas")
        .join(name);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("json");
    jsonschema::validator_for(&schema).expect("valid schema")
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let catalog: Catalog =
        serde_json::from_str(include_str!("../../fixtures/catalogs/demo.json")).expect("catalog");
    let notify_schema = schema("notify.schema.json");
    let voice_schema = schema("voice.schema.json");
    let opts = Options {
        catalog: Some(&catalog),
        now_ms: Some(1_700_000_000_000),
        ..Options::default()
    };

    let mut g = c.benchmark_group("mixed-corpus");
    g.throughput(Throughput::Elements(corpus.len() as u64));
    g.bench_function("txstate-core", |b| {
        b.iter(|| {
            for (api, body) in &corpus {
                black_box(validate(*api, black_box(body), &opts));
            }
        })
    });
    // The same, with the verdict rendered to JSON (messages included), as the server and the
    // wasm package do: the deferred message rendering is paid here.
    g.bench_function("txstate-core-verdict-json", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            for (api, body) in &corpus {
                out.clear();
                let v = validate(*api, black_box(body), &opts);
                serde_json::to_writer(&mut out, &v).expect("serializes");
                black_box(&out);
            }
        })
    });
    g.bench_function("jsonschema-is-valid", |b| {
        b.iter(|| {
            for (api, body) in &corpus {
                let v = match api {
                    Api::Notify => &notify_schema,
                    Api::Voice => &voice_schema,
                };
                let ok = serde_json::from_slice::<Value>(black_box(body)).map(|i| v.is_valid(&i));
                black_box(ok.ok());
            }
        })
    });
    g.bench_function("jsonschema-all-errors", |b| {
        b.iter(|| {
            for (api, body) in &corpus {
                let v = match api {
                    Api::Notify => &notify_schema,
                    Api::Voice => &voice_schema,
                };
                let errors = serde_json::from_slice::<Value>(black_box(body))
                    .map(|i| v.iter_errors(&i).map(|e| e.to_string()).collect::<Vec<_>>());
                black_box(errors.ok());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
