//! The Action Deployment Response Summary (contract: API 1, "Inside additionalInfo", and "The
//! platform model"): one row per response state and response code, with the action's
//! description for that code, or NOT SPECIFIED.
//!
//! Decision: a code is matched only against the list of its own state (531 → success
//! responses, 532 → failure responses). A code sent with the opposite state is NOT SPECIFIED in
//! the report (and gets a warning at validation). Rows keep the code as sent, so support staff
//! see what partners send that the action does not define.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Action;
pub use crate::catalog::{match_response, ResponseMatch, NOT_SPECIFIED};
use crate::payload::ResponseState;

/// A stored count: how many notifications of a deployment have this state and code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeCount {
    /// 531 or 532.
    pub response_state: ResponseState,
    /// The responseCode as sent, if any.
    pub response_code: Option<String>,
    /// How many.
    pub count: u64,
}

/// One row of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SummaryRow {
    /// 531 or 532.
    pub response_state: ResponseState,
    /// The responseCode as sent; `None` where none was given.
    pub response_code: Option<String>,
    /// The action's description of the code, or [`NOT_SPECIFIED`].
    pub response_description: String,
    /// How many notifications.
    pub count: u64,
    /// Share of all the deployment's notifications, in percent, to two decimals.
    pub percent: f64,
}

/// Builds the report rows from stored counts. `action` is the deployment's action (without
/// one every row is NOT SPECIFIED). Rows: 531 before 532, then by count (largest first),
/// then by code; counts of the same state and code are added up; empty counts are dropped.
pub fn response_summary(
    action: Option<&Action>,
    counts: impl IntoIterator<Item = OutcomeCount>,
) -> Vec<SummaryRow> {
    let mut merged: BTreeMap<(ResponseState, Option<String>), u64> = BTreeMap::new();
    for c in counts {
        *merged
            .entry((c.response_state, c.response_code))
            .or_default() += c.count;
    }
    let total: u64 = merged.values().sum();
    let mut rows: Vec<SummaryRow> = merged
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|((state, code), count)| {
            let description = match (action, code.as_deref()) {
                (Some(action), Some(code)) => match match_response(action, state, code) {
                    ResponseMatch::Defined(d) => d.to_owned(),
                    ResponseMatch::OppositeList(_) | ResponseMatch::NotSpecified => {
                        NOT_SPECIFIED.to_owned()
                    }
                },
                _ => NOT_SPECIFIED.to_owned(),
            };
            SummaryRow {
                response_state: state,
                response_code: code,
                response_description: description,
                count,
                percent: percent(count, total),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        a.response_state
            .cmp(&b.response_state)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.response_code.cmp(&b.response_code))
    });
    rows
}

/// `part / total` in percent, rounded to two decimals; 0 when `total` is 0.
pub fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (part as f64 * 10_000.0 / total as f64).round() / 100.0
}

/// Whether a deployment's failure rate over the last hour is above its action's alert
/// threshold ("raise an alert if more than X % fail within an hour"). No threshold, no alert.
pub fn alerting(
    failures_last_hour: u64,
    total_last_hour: u64,
    threshold_percent: Option<f64>,
) -> bool {
    match threshold_percent {
        Some(t) if total_last_hour > 0 => percent(failures_last_hour, total_last_hour) > t,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ResponseDef;

    fn action() -> Action {
        let def = |code: &str, d: &str| ResponseDef {
            code: code.into(),
            description: d.into(),
        };
        Action {
            id: "a".into(),
            name: "Card issue".into(),
            target_system: String::new(),
            action_type: String::new(),
            response_type: None,
            max_tps: None,
            alert_threshold_percent: Some(10.0),
            description: String::new(),
            success_responses: vec![def("200", "Card issued")],
            failure_responses: vec![
                def("403", "Authentication failed"),
                def("500", "Issuer down"),
            ],
        }
    }

    fn count(state: ResponseState, code: Option<&str>, count: u64) -> OutcomeCount {
        OutcomeCount {
            response_state: state,
            response_code: code.map(str::to_owned),
            count,
        }
    }

    #[test]
    fn rows_name_defined_codes_and_say_not_specified_otherwise() {
        use ResponseState::{Failure, Success};
        let a = action();
        let rows = response_summary(
            Some(&a),
            [
                count(Success, Some("200"), 6),
                count(Failure, Some("403"), 2),
                count(Success, None, 1),
                count(Success, Some("403"), 1), // opposite list
                count(Failure, Some("999"), 1), // undefined
                count(Failure, Some("403"), 1), // merged with the row above
                count(Failure, Some("500"), 0), // dropped
            ],
        );
        let got: Vec<(&str, Option<&str>, &str, u64, f64)> = rows
            .iter()
            .map(|r| {
                (
                    r.response_state.as_str(),
                    r.response_code.as_deref(),
                    r.response_description.as_str(),
                    r.count,
                    r.percent,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("531", Some("200"), "Card issued", 6, 50.0),
                ("531", None, NOT_SPECIFIED, 1, 8.33),
                ("531", Some("403"), NOT_SPECIFIED, 1, 8.33),
                ("532", Some("403"), "Authentication failed", 3, 25.0),
                ("532", Some("999"), NOT_SPECIFIED, 1, 8.33),
            ]
        );
    }

    #[test]
    fn without_an_action_every_row_is_not_specified() {
        let rows = response_summary(None, [count(ResponseState::Success, Some("200"), 3)]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].response_description, NOT_SPECIFIED);
        assert_eq!(rows[0].percent, 100.0);
        assert!(response_summary(None, []).is_empty());
    }

    #[test]
    fn alert_only_above_the_threshold() {
        assert!(!alerting(1, 10, Some(10.0)));
        assert!(alerting(2, 10, Some(10.0)));
        assert!(!alerting(5, 5, None));
        assert!(!alerting(0, 0, Some(0.0)));
    }
}
