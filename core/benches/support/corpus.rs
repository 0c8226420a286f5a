//! The benchmark corpus, shared by `benches/validate.rs` and `examples/corpus.rs`: every shared
//! fixture body up to 4 KiB, with the group of its expected code, and the demo catalog.

use std::path::Path;

use txstate_core::fixture::Fixture;
use txstate_core::{Api, Catalog};

/// One body: (group by expected code, API, body).
pub type Body = (String, Api, Vec<u8>);

/// The fixtures' bodies up to 4 KiB, in file order.
pub fn corpus() -> Vec<Body> {
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
                let group = match f.expect.code {
                    Some(code) => code.number().to_string(),
                    None if f.expect.http_status == 200 => "voice-ok".to_owned(),
                    None => "voice-other".to_owned(),
                };
                out.push((group, f.api, f.body.into_bytes()));
            }
        }
    }
    out
}

/// The bodies partners send day to day, valid notify as the contract shows them (the
/// "valid notify body" of the speed goal): the contract's example, the minimal one, a defined
/// responseCode, a plain responseTime. Group `typical-notify`.
pub const TYPICAL_NOTIFY: [&str; 4] = [
    "001-contract-example.json",
    "003-minimal-success.json",
    "004-success-with-defined-code.json",
    "006-response-time-plain.json",
];

/// The [`TYPICAL_NOTIFY`] bodies.
pub fn typical_notify() -> Vec<Body> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/notify");
    TYPICAL_NOTIFY
        .iter()
        .map(|name| {
            let f: Fixture =
                serde_json::from_str(&std::fs::read_to_string(dir.join(name)).expect("read"))
                    .expect("fixture");
            assert_eq!(f.expect.code.map(|c| c.number()), Some(1100), "{name}");
            ("typical-notify".to_owned(), f.api, f.body.into_bytes())
        })
        .collect()
}

/// The demo catalog the server starts with.
pub fn demo_catalog() -> Catalog {
    serde_json::from_str(include_str!("../../../fixtures/catalogs/demo.json")).expect("catalog")
}
