//! API 2 — Update voice deployment transaction status (contract: "API 2").
//!
//! Check order (contract decision, the code table's `check_order`): 1001 (unreadable body) →
//! 1002 (mandatory fields, the trombone times when call-source is 3) → 1001 (values). A valid
//! payload has no code.

use crate::check::{self, ApiRules, Checker, Value};
use crate::codes::{Api, Code};
use crate::fields::{Need, VoiceField as F};
use crate::json::{read_object_into, Body};
use crate::lists::{ANSWERED_STATES, CALL_SOURCE_TROMBONE, DROP_CODE_COMPLETED};
use crate::message::Message;
use crate::payload::Normalized;
pub use crate::payload::VoicePayload;
use crate::verdict::{Findings, Options, Verdict};

/// The request's field names, in the contract's order.
pub const FIELDS: &[&str; 16] = &F::NAMES;

/// What voice answers for the problems both APIs can have.
const RULES: ApiRules = ApiRules {
    missing: Code::MandatoryFieldMissing,
    not_listed: Code::InvalidInputJson,
    id_not_string: Code::InvalidInputJson,
    invalid: Code::InvalidInputJson,
    warn_empty_optional: false,
};

/// Validates a voice request body.
pub fn validate_voice<'a>(body: &'a [u8], opts: &Options<'_>) -> Verdict<'a> {
    let mut f = Findings::new(Api::Voice);
    let mut read = Body::new();
    if let Err(e) = read_object_into(body, FIELDS, &mut read) {
        f.error("body", Code::InvalidInputJson, Message::Body(e));
        return f.finish(opts.profile, None, || None);
    }
    let body = &read;
    let hints = check::unknown_fields(&mut f, &body.unknown, &F::KNOWN);
    let mut c = Checker::new(&mut f, &hints, RULES);
    // Every field in table order: call-source is checked before the trombone times it governs.
    let mut values: [Option<Value<'a>>; 16] = Default::default();
    for field in F::ALL {
        let spec = field.spec();
        let mandatory = match spec.need {
            Need::Mandatory => true,
            Need::WhenTrombone => text(&values, F::CallSource) == Some(CALL_SOURCE_TROMBONE),
            Need::Optional => false,
        };
        values[field.slot()] = c.value(spec, body.get(field.slot()), mandatory);
    }
    ordered(&mut c, &values, F::CallStartTime, F::CallEndTime);
    ordered(&mut c, &values, F::TromboneStartTime, F::TromboneEndTime);

    let source = text(&values, F::CallSource);
    let trombone_sent = [F::TromboneStartTime, F::TromboneEndTime]
        .into_iter()
        .find(|t| values[t.slot()].is_some());
    if let (Some(source), Some(sent)) = (source, trombone_sent) {
        if source != CALL_SOURCE_TROMBONE {
            f.warn(sent.name(), Message::Static("trombone times are only meaningful when call-source is 3 (trombone); they are kept as sent"));
        }
    }
    let state = text(&values, F::CallState);
    if text(&values, F::DropCode) == Some(DROP_CODE_COMPLETED)
        && state.is_some_and(|s| !ANSWERED_STATES.contains(&s))
    {
        f.warn(F::DropCode.name(), Message::Static("drop-code 2005 (call completed) normally comes with call-state 5 (answered) or 6 (trombone)"));
    }

    f.finish(opts.profile, None, || {
        payload(&mut values).map(Normalized::Voice)
    })
}

/// The stored text of a checked field.
fn text<'v>(values: &'v [Option<Value<'_>>; 16], field: F) -> Option<&'v str> {
    values[field.slot()].as_ref().and_then(Value::text)
}

/// `end` before `start` is 1001 on the end field.
fn ordered<'a>(c: &mut Checker<'_, '_, 'a>, values: &[Option<Value<'a>>; 16], start: F, end: F) {
    let time = |f: F| values[f.slot()].as_ref().and_then(Value::time);
    if let (Some(s), Some(e)) = (time(start), time(end)) {
        if e < s {
            let message = Message::EndBeforeStart {
                end_field: end.name(),
                end: e,
                start_field: start.name(),
                start: s,
            };
            c.invalid::<()>(end.name(), message);
        }
    }
}

/// The payload from the checked values, when every mandatory one is there.
fn payload<'a>(values: &mut [Option<Value<'a>>; 16]) -> Option<VoicePayload<'a>> {
    let mut take = |f: F| values[f.slot()].take().map(Value::into_text);
    Some(VoicePayload {
        transaction_id: take(F::TransactionId)?,
        call_starttime: take(F::CallStartTime)?,
        call_endtime: take(F::CallEndTime)?,
        call_source: take(F::CallSource)?,
        trombone_starttime: take(F::TromboneStartTime),
        trombone_endtime: take(F::TromboneEndTime),
        dtmf_digits: take(F::DtmfDigits),
        voice_tag: take(F::VoiceTag),
        call_state: take(F::CallState)?,
        drop_code: take(F::DropCode)?,
        drop_reason: take(F::DropReason),
        message: take(F::Message),
        voice_recorded: take(F::VoiceRecorded),
        times_attempted: take(F::TimesAttempted),
        a_party: take(F::AParty),
        b_party: take(F::BParty),
    })
}
