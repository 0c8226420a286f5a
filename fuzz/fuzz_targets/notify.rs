//! Fuzzes the notify validator: any bytes, with the demo catalog. A verdict must always come back,
//! keep its invariants and serialize.
#![no_main]

use libfuzzer_sys::fuzz_target;
use txstate_core::{validate, Api, Catalog, Code, Options};

fuzz_target!(|data: &[u8]| {
    let catalog: Catalog =
        serde_json::from_str(include_str!("../../fixtures/catalogs/demo.json")).expect("catalog");
    let opts = Options { catalog: Some(&catalog), now_ms: Some(1_700_000_000_000), ..Options::default() };
    let v = validate(Api::Notify, data, &opts);
    assert_eq!(v.ok, matches!(v.code, None | Some(Code::Notified)));
    assert_eq!(v.ok, v.normalized.is_some());
    assert!(serde_json::to_string(&v).is_ok());
});
