//! Runs every shared fixture (`fixtures/` at the workspace root) through core.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use txstate_core::fixture::Fixture;
use txstate_core::{validate, Catalog, Code, Normalized, Options};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn load() -> Vec<(String, Fixture)> {
    let mut out = Vec::new();
    for api in ["notify", "voice"] {
        let dir = fixtures_dir().join(api);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).expect("readable fixture");
            let f: Fixture =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((
                format!(
                    "{api}/{}",
                    p.file_name().unwrap_or_default().to_string_lossy()
                ),
                f,
            ));
        }
    }
    out
}

fn catalogs() -> BTreeMap<String, Catalog> {
    let dir = fixtures_dir().join("catalogs");
    std::fs::read_dir(&dir)
        .expect("fixtures/catalogs")
        .map(|e| e.expect("dir entry").path())
        .map(|p| {
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).expect("readable catalog");
            (
                name,
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            )
        })
        .collect()
}

#[test]
fn every_fixture_gets_its_verdict() {
    let fixtures = load();
    let catalogs = catalogs();
    assert!(
        fixtures.len() >= 100,
        "at least 100 fixtures, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    let mut infos_compared = 0;
    for (name, f) in &fixtures {
        let catalog = f.catalog.as_ref().map(|c| {
            catalogs
                .get(c)
                .unwrap_or_else(|| panic!("{name}: no catalog {c}"))
        });
        let opts = Options {
            catalog,
            now_ms: f.now,
            profile: f.profile.unwrap_or_default(),
        };
        let v = validate(f.api, f.body.as_bytes(), &opts);
        let errors: Vec<&str> = v.errors.iter().map(|e| e.field.as_ref()).collect();
        let warnings: Vec<&str> = v.warnings.iter().map(|w| w.field.as_ref()).collect();
        if let Err(why) = f
            .expect
            .check(v.code, v.http_status, &errors, Some(&warnings))
        {
            failures.push(format!(
                "{name}: {why}\n    errors: {:?}\n    warnings: {:?}",
                v.errors, v.warnings
            ));
        }
        // Invariants of every verdict.
        let success = matches!(v.code, None | Some(Code::Notified));
        assert_eq!(v.ok, success, "{name}: ok iff success code");
        assert_eq!(v.ok, v.normalized.is_some(), "{name}: normalized iff ok");
        assert_eq!(v.ok, v.errors.is_empty(), "{name}: errors iff not ok");
        if let Some(first) = v.errors.first() {
            assert_eq!(Some(first.code), v.code, "{name}: the first error decides");
        }
        match (&v.normalized, f.api) {
            (Some(Normalized::Notify(p)), txstate_core::Api::Notify) => {
                // additionalInfo sent as a string is stored as serde_json decodes it, whether
                // core copied it while validating or left it in the body until read.
                // A byte order mark is accepted (contract decision); serde_json refuses it, and
                // nesting deeper than its limit (documented differences).
                let body = f.body.strip_prefix('\u{FEFF}').unwrap_or(&f.body);
                let sent: Option<serde_json::Value> = serde_json::from_str(body).ok();
                let info = sent.as_ref().and_then(|v| v.get("additionalInfo"));
                if let Some(s) = info.and_then(|i| i.as_str()) {
                    infos_compared += 1;
                    let stored = p.additional_info.as_ref().map(|i| i.text());
                    // A blank optional value is absent (contract decision).
                    let want = Some(s).filter(|s| !s.trim().is_empty());
                    assert_eq!(stored.as_deref(), want, "{name}: additionalInfo");
                }
            }
            (Some(Normalized::Voice(_)), txstate_core::Api::Voice) | (None, _) => {}
            _ => panic!("{name}: normalized payload of the wrong api"),
        }
    }
    assert!(
        infos_compared >= 10,
        "{infos_compared} additionalInfo compared"
    );
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
}

#[test]
fn fixtures_cover_every_validation_code() {
    let fixtures = load();
    for code in Code::ALL.iter().filter(|c| c.info().validation) {
        assert!(
            fixtures.iter().any(|(_, f)| f.expect.code == Some(*code)),
            "no fixture expects {}",
            code.number()
        );
    }
    assert!(fixtures
        .iter()
        .any(|(_, f)| f.api == txstate_core::Api::Voice && f.expect.code.is_none()));
}

/// The JSON Schemas in `schemas/` (served at `/schemas/…` and shipped in the npm package) never
/// refuse what core accepts: every fixture core processes is valid under its API's schema.
/// Core is stricter (calendar dates, additionalInfo's inner JSON, deployment rules), so many
/// of its refusals pass a schema; the test also checks the schemas are not vacuous.
#[test]
fn the_json_schemas_agree_with_core() {
    let schema = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../schemas")
            .join(name);
        let text = std::fs::read_to_string(path).expect("schema");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        jsonschema::validator_for(&value).expect("a valid draft 2020-12 schema")
    };
    let notify = schema("notify.schema.json");
    let voice = schema("voice.schema.json");
    let (mut accepted, mut both_refuse) = (0, 0);
    let mut disagreements = Vec::new();
    for (name, f) in load() {
        let Ok(body) = serde_json::from_str::<serde_json::Value>(&f.body) else {
            continue; // not JSON: nothing for a schema to say
        };
        let validator = match f.api {
            txstate_core::Api::Notify => &notify,
            txstate_core::Api::Voice => &voice,
        };
        let schema_ok = validator.is_valid(&body);
        let core_ok =
            f.expect.http_status == 200 && matches!(f.expect.code, None | Some(Code::Notified));
        if core_ok {
            accepted += 1;
            let errors: Vec<String> = validator
                .iter_errors(&body)
                .map(|e| e.to_string())
                .collect();
            if !schema_ok {
                disagreements.push(format!(
                    "{name}: core accepts, the schema refuses: {errors:?}"
                ));
            }
        } else if !schema_ok {
            both_refuse += 1;
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    assert!(accepted > 50, "{accepted} accepted fixtures");
    // Not vacuous: the schemas refuse a good share of what core refuses.
    assert!(
        both_refuse > 40,
        "only {both_refuse} refusals are also schema refusals"
    );
}
