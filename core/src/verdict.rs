//! The verdict: what validation of one request body concludes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::codes::{Api, Code, StatusProfile};
use crate::notify::NotifyPayload;
use crate::voice::VoicePayload;

/// One problem found in a payload. The first one in the API's check order decides the verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field name as the contract spells it (`additionalInfo.responseCode` for a key inside
    /// additionalInfo), or `body` for the body as a whole.
    pub field: String,
    /// The code this problem alone would get.
    pub code: Code,
    /// What is wrong, for a person.
    pub message: String,
}

/// A non-fatal finding: it never changes the code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The field the warning is about (as in [`FieldError::field`]).
    pub field: String,
    /// What was noticed, for a person.
    pub message: String,
}

/// The payload as the server stores it, once validation has passed.
// The voice payload is the larger by far, and one is built per accepted request: boxing it
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Normalized {
    /// A notify payload.
    Notify(NotifyPayload),
    /// A voice payload.
    Voice(VoicePayload),
}

/// The verdict on one request body. Serialized with exactly these camelCase names; the wasm
/// package returns this shape and the server answers from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// The API validated.
    pub api: Api,
    /// Whether the request would be processed.
    pub ok: bool,
    /// The in-body code: 1100 for an accepted notification, `None` for a processed voice update.
    pub code: Option<Code>,
    /// The HTTP status under the chosen profile.
    pub http_status: u16,
    /// The in-body description.
    pub description: Cow<'static, str>,
    /// Every problem found, in check order.
    pub errors: Vec<FieldError>,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
    /// The payload as stored, when `ok`.
    pub normalized: Option<Normalized>,
}

/// Description of a processed voice update (it carries no code).
pub const VOICE_PROCESSED: &str = "The request has been processed";

/// Gathers the findings of one validation and turns them into a [`Verdict`].
#[derive(Debug)]
pub(crate) struct Findings {
    api: Api,
    rank: fn(Code) -> u8,
    errors: Vec<(u8, FieldError)>,
    pub(crate) warnings: Vec<Warning>,
}

impl Findings {
    /// `rank` gives a code's place in the API's check order.
    pub(crate) fn new(api: Api, rank: fn(Code) -> u8) -> Self {
        Self {
            api,
            rank,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a problem.
    pub(crate) fn error(&mut self, field: &str, code: Code, message: String) {
        let rank = (self.rank)(code);
        self.errors.push((
            rank,
            FieldError {
                field: field.to_owned(),
                code,
                message,
            },
        ));
    }

    pub(crate) fn warn(&mut self, field: &str, message: String) {
        self.warnings.push(Warning {
            field: field.to_owned(),
            message,
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The verdict: the first error in check order decides; without errors, `success` with
    /// the `normalized` payload.
    pub(crate) fn finish(
        mut self,
        profile: StatusProfile,
        success: Option<Code>,
        normalized: Option<Normalized>,
    ) -> Verdict {
        // Stable: problems of the same rank stay in field order.
        self.errors.sort_by_key(|(rank, _)| *rank);
        let errors: Vec<FieldError> = self.errors.into_iter().map(|(_, e)| e).collect();
        match errors.first().map(|e| e.code) {
            Some(code) => Verdict {
                api: self.api,
                ok: false,
                code: Some(code),
                http_status: code.http_status(profile),
                description: describe(code, &errors),
                errors,
                warnings: self.warnings,
                normalized: None,
            },
            None => Verdict {
                api: self.api,
                ok: true,
                code: success,
                http_status: 200,
                description: Cow::Borrowed(success.map_or(VOICE_PROCESSED, Code::description)),
                errors,
                warnings: self.warnings,
                normalized,
            },
        }
    }
}

/// 499's description names the exact reason (contract: "the exact reason is in the
/// description"); every other code keeps the table's text.
fn describe(code: Code, errors: &[FieldError]) -> Cow<'static, str> {
    match (code, errors.first()) {
        (Code::RequestFailed, Some(first)) => {
            Cow::Owned(format!("{}: {}", code.description(), first.message))
        }
        _ => Cow::Borrowed(code.description()),
    }
}
