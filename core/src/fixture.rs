//! The shared payload fixtures (`fixtures/` at the workspace root): each file one request body
//! with the verdict every part of the product must give it. Core, the wasm package and the
//! server all run the same files. This module only parses a fixture and compares a verdict
//! with its expectation; reading the files is the runners' business.

use serde::{Deserialize, Serialize};

use crate::codes::{Api, Code, StatusProfile};

/// One fixture file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// What the case shows.
    pub description: String,
    /// `notify` or `voice`.
    pub api: Api,
    /// The raw request body.
    pub body: String,
    /// The name of a catalog in `fixtures/catalogs/` (without `.json`), if the case has one.
    #[serde(default)]
    pub catalog: Option<String>,
    /// The caller's clock, epoch ms.
    #[serde(default)]
    pub now: Option<i64>,
    /// The status profile (default `webex`).
    #[serde(default)]
    pub profile: Option<StatusProfile>,
    /// The verdict expected.
    pub expect: Expect,
}

/// What a fixture expects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expect {
    /// The in-body code (`null` for a processed voice update).
    pub code: Option<Code>,
    /// The HTTP status.
    pub http_status: u16,
    /// The fields of the errors, in verdict order.
    pub error_fields: Vec<String>,
    /// The fields warned about, sorted.
    pub warnings: Vec<String>,
}

impl Expect {
    /// Compares what a part of the product answered with the expectation. `warning_fields` is
    /// `None` where the answer carries no warnings (the server's error body).
    pub fn check(
        &self,
        code: Option<Code>,
        http_status: u16,
        error_fields: &[&str],
        warning_fields: Option<&[&str]>,
    ) -> Result<(), String> {
        let mut problems = Vec::new();
        if code != self.code {
            problems.push(format!(
                "code {:?}, expected {:?}",
                code.map(Code::number),
                self.code.map(Code::number)
            ));
        }
        if http_status != self.http_status {
            problems.push(format!(
                "HTTP status {http_status}, expected {}",
                self.http_status
            ));
        }
        if error_fields != self.error_fields {
            problems.push(format!(
                "error fields {error_fields:?}, expected {:?}",
                self.error_fields
            ));
        }
        if let Some(w) = warning_fields {
            let mut w = w.to_vec();
            w.sort_unstable();
            if w != self.warnings {
                problems.push(format!("warnings {w:?}, expected {:?}", self.warnings));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}
