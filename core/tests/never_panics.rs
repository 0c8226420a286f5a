//! Property tests: validation never panics, whatever the bytes, and always returns a verdict
//! that keeps its invariants.

use proptest::prelude::*;
use serde_json::{Map, Value};
use txstate_core::{notify, validate, voice, Api, Catalog, Code, Options, Verdict};

fn demo_catalog() -> Catalog {
    let text = include_str!("../../fixtures/catalogs/demo.json");
    serde_json::from_str(text).expect("demo catalog")
}

fn assert_invariants(v: &Verdict) {
    let success = matches!(v.code, None | Some(Code::Notified));
    assert_eq!(v.ok, success);
    assert_eq!(v.ok, v.errors.is_empty());
    assert_eq!(v.ok, v.normalized.is_some());
    if let Some(first) = v.errors.first() {
        assert_eq!(Some(first.code), v.code);
    }
    // The verdict always serializes (the server and the wasm package send it as JSON).
    assert!(serde_json::to_string(v).is_ok());
}

/// Values a partner might plausibly (or implausibly) send for a field.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop_oneof![
            Just("531".to_owned()),
            Just("532".to_owned()),
            Just("2005".to_owned()),
            Just("3".to_owned()),
            Just("2014-08-26 08:00:58.211".to_owned()),
            Just("2020-11-12T10:29:55Z".to_owned()),
            Just("{\"responseCode\":\"403\"}".to_owned()),
            Just("API_1605176965390000881".to_owned()),
            Just(String::new()),
            ".{0,40}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z]{1,12}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Objects built from the contract's field names (and near misses of them).
fn object(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let name = prop_oneof![
        4 => prop::sample::select(names).prop_map(str::to_owned),
        1 => prop::sample::select(names).prop_map(|n| n.to_uppercase()),
        1 => "[a-z_-]{1,15}",
    ];
    prop::collection::vec((name, value()), 0..12).prop_map(|kv| {
        let map: Map<String, Value> = kv.into_iter().collect();
        Value::Object(map).to_string()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), voice in any::<bool>()) {
        let api = if voice { Api::Voice } else { Api::Notify };
        let v = validate(api, &bytes, &Options::default());
        assert_invariants(&v);
    }

    #[test]
    fn notify_objects_never_panic(body in object(notify::FIELDS), now in proptest::option::of(0i64..4_000_000_000_000)) {
        let catalog = demo_catalog();
        let v = validate(Api::Notify, body.as_bytes(), &Options { catalog: Some(&catalog), now_ms: now, ..Options::default() });
        assert_invariants(&v);
    }

    #[test]
    fn voice_objects_never_panic(body in object(voice::FIELDS)) {
        let v = validate(Api::Voice, body.as_bytes(), &Options::default());
        assert_invariants(&v);
    }

    #[test]
    fn valid_payloads_survive_normalization(ref_id in "[A-Z0-9_]{1,64}", state in prop::sample::select(&["531", "532"][..])) {
        // A normalized payload is itself a valid payload with the same outcome.
        let catalog = demo_catalog();
        let opts = Options { catalog: Some(&catalog), ..Options::default() };
        let body = format!(r#"{{"responseState":"{state}","refTransId":"{ref_id}","deploymentId":"API_1605176965390000881"}}"#);
        let v = validate(Api::Notify, body.as_bytes(), &opts);
        prop_assert_eq!(v.code, Some(Code::Notified));
        let again = serde_json::to_string(&v.normalized).expect("serializes");
        let v2 = validate(Api::Notify, again.as_bytes(), &opts);
        prop_assert_eq!(v2.code, Some(Code::Notified));
    }
}
