//! The body reader against serde_json on generated near-JSON: valid documents, then the same
//! with one byte inserted, removed or replaced (support/json_oracle.rs says what may differ).

#[path = "support/json_oracle.rs"]
mod json_oracle;

use proptest::prelude::*;
use serde_json::{Map, Value};

/// JSON values whose keys and strings favour what the reader treats specially.
fn value() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        "[a-b]",
        "responseState",
        "\\PC{0,12}",
        "[\\x00-\\x7f]{0,12}",
        Just("\u{1F600}\\\"\u{0}".to_owned()),
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text.clone().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One byte changed: inserted, removed or replaced by one of JSON's own characters.
fn mutated(doc: String) -> impl Strategy<Value = Vec<u8>> {
    let len = doc.len();
    let alphabet =
        prop::sample::select(b"{}[]\":,\\ 0123456789.eE+-tfnu\x00\x1f\x7f\xc2\xef".to_vec());
    (0..=len, alphabet, 0..4u8).prop_map(move |(at, byte, how)| {
        let mut b = doc.clone().into_bytes();
        match how {
            0 => b.insert(at, byte),
            1 if at < len => {
                b.remove(at);
            }
            2 if at < len => b[at] = byte,
            _ => {}
        }
        b
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn reader_agrees_with_serde_json(
        bytes in prop::collection::vec(value(), 1..4)
            .prop_map(|vs| {
                // Mostly objects (what bodies are), sometimes another value.
                let mut m = Map::new();
                for (i, v) in vs.iter().enumerate() {
                    m.insert(["a", "b", "responseState", "x"][i].to_owned(), v.clone());
                }
                if vs.len() == 3 { vs[0].to_string() } else { Value::Object(m).to_string() }
            })
            .prop_flat_map(mutated)
    ) {
        if let Err(e) = json_oracle::compare(&bytes) {
            prop_assert!(false, "{}\ninput: {:?}", e, String::from_utf8_lossy(&bytes));
        }
    }
}
