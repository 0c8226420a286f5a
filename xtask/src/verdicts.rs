//! `cargo xtask verdicts`: native core as a filter. Each stdin line is a case
//! `{api, body, now?, catalog?, profile?}` (catalog: a name in `fixtures/catalogs/`); each stdout
//! line is core's verdict as JSON. The wasm package's parity test compares its own verdicts
//! with these, byte for byte.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::Deserialize;
use txstate_core::{validate, Api, Catalog, Options, StatusProfile};

use crate::{root, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    api: Api,
    body: String,
    #[serde(default)]
    now: Option<i64>,
    #[serde(default)]
    catalog: Option<String>,
    #[serde(default)]
    profile: Option<StatusProfile>,
}

pub fn run() -> Result {
    let mut catalogs: BTreeMap<String, Catalog> = BTreeMap::new();
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        let case: Case = serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let catalog = match &case.catalog {
            Some(name) => {
                if !catalogs.contains_key(name) {
                    let path = root()
                        .join("fixtures/catalogs")
                        .join(format!("{name}.json"));
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let c = serde_json::from_str(&text)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    catalogs.insert(name.clone(), c);
                }
                catalogs.get(name)
            }
            None => None,
        };
        let opts = Options {
            catalog,
            now_ms: case.now,
            profile: case.profile.unwrap_or_default(),
        };
        let verdict = validate(case.api, case.body.as_bytes(), &opts);
        serde_json::to_writer(&mut out, &verdict).map_err(|e| e.to_string())?;
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}
