//! The enumerated values of both APIs with their meanings (contract: API 1 and API 2 field
//! tables). The validators, the report, the voice figures and the UI's pick lists read them here.

/// `responseState`: `531` success, `532` failure.
pub const RESPONSE_STATES: &[(&str, &str)] = &[("531", "Success"), ("532", "Failure")];

/// `call-source` 3: a trombone call, whose trombone times are mandatory.
pub const CALL_SOURCE_TROMBONE: &str = "3";

/// `call-source`.
pub const CALL_SOURCES: &[(&str, &str)] = &[
    ("1", "Inbound"),
    ("2", "Outbound"),
    (CALL_SOURCE_TROMBONE, "Trombone"),
];

/// `call-state` 5: answered or connected.
pub const CALL_STATE_ANSWERED: &str = "5";
/// `call-state` 6: a trombone call.
pub const CALL_STATE_TROMBONE: &str = "6";
/// The call states of a call that was answered (the dashboards' "answered").
pub const ANSWERED_STATES: [&str; 2] = [CALL_STATE_ANSWERED, CALL_STATE_TROMBONE];

/// `call-state`.
pub const CALL_STATES: &[(&str, &str)] = &[
    ("1", "Expired or suspended"),
    ("2", "Initiated or dialled"),
    ("3", "In progress or alerting"),
    ("4", "Connecting"),
    (CALL_STATE_ANSWERED, "Answered or connected"),
    (CALL_STATE_TROMBONE, "Trombone call"),
];

/// `drop-code` 2005: success, call completed.
pub const DROP_CODE_COMPLETED: &str = "2005";

/// `drop-code`.
pub const DROP_CODES: &[(&str, &str)] = &[
    (DROP_CODE_COMPLETED, "Success, call completed"),
    ("1001", "Number unobtainable"),
    ("1002", "Line busy"),
    ("1003", "Number not in service"),
    ("1004", "Congestion on line"),
    ("1005", "Switched off"),
    ("1006", "Out of reach"),
    ("1007", "OBD timeout"),
    ("2000", "Alerting timed out"),
    ("2001", "Rejected"),
    ("2002", "No answer"),
    ("2003", "Subscriber busy"),
    ("2004", "User disconnected, call incomplete"),
    ("2006", "App-initiated reject, call incomplete"),
    ("2020", "Other failure reasons"),
];

/// `voice-recorded`.
pub const VOICE_RECORDED: &[(&str, &str)] =
    &[("Yes", "Voice mail recorded"), ("No", "No voice mail")];

/// The meaning of `value` in `list`.
pub fn meaning(list: &[(&'static str, &'static str)], value: &str) -> Option<&'static str> {
    list.iter().find(|(v, _)| *v == value).map(|(_, m)| *m)
}

/// The list's values, joined for messages: `1 (Inbound), 2 (Outbound), 3 (Trombone)`.
pub fn describe(list: &[(&str, &str)]) -> String {
    let items: Vec<String> = list.iter().map(|(v, m)| format!("{v} ({m})")).collect();
    items.join(", ")
}
