//! Differential fuzzing of the body reader: on any bytes, core's JSON reader and serde_json
//! agree, except where docs/decisions.md says they differ (the oracle lists those cases).
#![no_main]

#[path = "../../core/tests/support/json_oracle.rs"]
mod json_oracle;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = json_oracle::compare(data) {
        panic!("{e}\ninput: {:?}", String::from_utf8_lossy(data));
    }
});
