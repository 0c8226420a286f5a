//! The verdict: what validation of one request body concludes.
//!
//! A verdict borrows from the body it judged (`Verdict<'a>`): ids and texts are not copied and
//! messages are rendered only when serialized or displayed. [`Verdict::into_owned`] detaches it.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::catalog::Catalog;
use crate::codes::{Api, Code, StatusProfile};
use crate::message::{Expectation, Got, Message};
pub use crate::payload::Normalized;

/// One problem found in a payload. The first one in the API's check order decides the verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldError<'a> {
    /// The field name as the contract spells it (`additionalInfo.responseCode` for a key inside
    /// additionalInfo), or `body` for the body as a whole.
    #[serde(borrow)]
    pub field: Cow<'a, str>,
    /// The code this problem alone would get.
    pub code: Code,
    /// What is wrong, for a person.
    pub message: Message<'a>,
}

/// A non-fatal finding: it never changes the code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning<'a> {
    /// The field the warning is about (as in [`FieldError::field`]).
    #[serde(borrow)]
    pub field: Cow<'a, str>,
    /// What was noticed, for a person.
    pub message: Message<'a>,
}

/// The in-body description: the code table's text, and for 499 the exact reason after it
/// (contract: "the exact reason is in the description").
#[derive(Clone, Debug, PartialEq)]
pub struct Description<'a> {
    /// The code table's description.
    pub text: Cow<'static, str>,
    /// The first problem's message, for 499.
    pub detail: Option<Message<'a>>,
}

impl fmt::Display for Description<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => write!(f, "{}: {d}", self.text),
            None => f.write_str(&self.text),
        }
    }
}

impl Serialize for Description<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Description<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Description {
            text: Cow::Owned(s),
            detail: None,
        })
    }
}

/// The verdict on one request body. Serialized with exactly these camelCase names; the wasm
/// package returns this shape and the server answers from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict<'a> {
    /// The API validated.
    pub api: Api,
    /// Whether the request would be processed.
    pub ok: bool,
    /// The in-body code: 1100 for an accepted notification, `None` for a processed voice update.
    pub code: Option<Code>,
    /// The HTTP status under the chosen profile.
    pub http_status: u16,
    /// The in-body description.
    #[serde(borrow)]
    pub description: Description<'a>,
    /// Every problem found, in check order.
    #[serde(borrow)]
    pub errors: Vec<FieldError<'a>>,
    /// Non-fatal findings.
    #[serde(borrow)]
    pub warnings: Vec<Warning<'a>>,
    /// The payload as stored, when `ok`.
    #[serde(borrow)]
    pub normalized: Option<Normalized<'a>>,
}

impl Verdict<'_> {
    /// The verdict with nothing borrowed from the body.
    pub fn into_owned(self) -> Verdict<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        Verdict {
            api: self.api,
            ok: self.ok,
            code: self.code,
            http_status: self.http_status,
            description: Description {
                text: self.description.text,
                detail: self.description.detail.map(Message::into_owned),
            },
            errors: self
                .errors
                .into_iter()
                .map(|e| FieldError {
                    field: own(e.field),
                    code: e.code,
                    message: e.message.into_owned(),
                })
                .collect(),
            warnings: self
                .warnings
                .into_iter()
                .map(|w| Warning {
                    field: own(w.field),
                    message: w.message.into_owned(),
                })
                .collect(),
            normalized: self.normalized.map(Normalized::into_owned),
        }
    }
}

/// What validation takes besides the body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'c> {
    /// Actions and deployments for the deployment rules; without it those rules are skipped
    /// and the verdict carries a warning saying so.
    pub catalog: Option<&'c Catalog>,
    /// The caller's clock, epoch milliseconds, for the "responseTime in the future" warning.
    pub now_ms: Option<i64>,
    /// How codes map to HTTP statuses.
    pub profile: StatusProfile,
}

/// Description of a processed voice update (it carries no code).
pub const VOICE_PROCESSED: &str = "The request has been processed";

/// Gathers the findings of one validation and turns them into a [`Verdict`].
#[derive(Debug)]
pub(crate) struct Findings<'a> {
    api: Api,
    errors: Vec<FieldError<'a>>,
    warnings: Vec<Warning<'a>>,
}

impl<'a> Findings<'a> {
    pub(crate) fn new(api: Api) -> Self {
        Self {
            api,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a problem.
    pub(crate) fn error(
        &mut self,
        field: impl Into<Cow<'a, str>>,
        code: Code,
        message: impl Into<Message<'a>>,
    ) {
        self.errors.push(FieldError {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    /// Records "`field` must be `expected`; got `got`".
    pub(crate) fn expected(
        &mut self,
        field: &'static str,
        code: Code,
        expected: Expectation,
        got: Got<'a>,
    ) {
        self.error(
            field,
            code,
            Message::Expected {
                field,
                expected,
                got,
            },
        );
    }

    /// Records a warning.
    pub(crate) fn warn(&mut self, field: impl Into<Cow<'a, str>>, message: impl Into<Message<'a>>) {
        self.warnings.push(Warning {
            field: field.into(),
            message: message.into(),
        });
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The verdict: the first error in check order decides; without errors, `success` with
    /// the payload `normalized` makes (called only then, and where the verdict is built, so
    /// that the payload is written into it rather than made apart and copied in).
    pub(crate) fn finish(
        mut self,
        profile: StatusProfile,
        success: Option<Code>,
        normalized: impl FnOnce() -> Option<Normalized<'a>>,
    ) -> Verdict<'a> {
        // Stable: problems of the same rank stay in field order.
        self.errors.sort_by_key(|e| e.code.check_order());
        let errors = self.errors;
        match errors.first() {
            Some(first) => {
                let code = first.code;
                let detail = (code == Code::RequestFailed).then(|| first.message.clone());
                Verdict {
                    api: self.api,
                    ok: false,
                    code: Some(code),
                    http_status: code.http_status(profile),
                    description: Description {
                        text: Cow::Borrowed(code.description()),
                        detail,
                    },
                    errors,
                    warnings: self.warnings,
                    normalized: None,
                }
            }
            None => Verdict {
                api: self.api,
                ok: true,
                code: success,
                http_status: 200,
                description: Description {
                    text: Cow::Borrowed(success.map_or(VOICE_PROCESSED, Code::description)),
                    detail: None,
                },
                errors,
                warnings: self.warnings,
                normalized: normalized(),
            },
        }
    }
}
