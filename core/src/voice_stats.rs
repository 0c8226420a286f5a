//! The voice dashboard figures (contract: "Dashboard ... for voice, calls by drop code and call
//! state, answered rate, call durations, attempts").
//!
//! [`VoiceStats`] is made of sums only, so the server can keep it up to date per deployment as
//! calls arrive and are replaced ([`VoiceStats::add`] / [`VoiceStats::remove`]) without ever
//! rescanning calls; [`VoiceStats::dashboard`] turns it into what the UI shows.
//!
//! Decision: a call is answered when its call-state is 5 (answered/connected) or 6 (trombone).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lists::{meaning, ANSWERED_STATES, CALL_SOURCES, CALL_STATES, DROP_CODES};
use crate::payload::VoicePayload;
use crate::report::percent;
use crate::time::DateTime;

/// Upper bounds (exclusive, in seconds) of the duration buckets; the last bucket is open.
pub const DURATION_BUCKETS_S: [u64; 7] = [5, 15, 30, 60, 120, 300, 600];

/// What the figures need of one call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallFacts {
    /// drop-code
    pub drop_code: String,
    /// call-state
    pub call_state: String,
    /// call-source
    pub call_source: String,
    /// call-endtime − call-starttime, in milliseconds.
    pub duration_ms: u64,
    /// times-attempted, if given.
    pub times_attempted: Option<u32>,
}

impl CallFacts {
    /// The facts of a validated payload.
    pub fn of(p: &VoicePayload<'_>) -> CallFacts {
        let ms = |s: &str| DateTime::parse_voice(s).map(|(dt, _)| dt.epoch_ms());
        let duration_ms = match (ms(&p.call_starttime), ms(&p.call_endtime)) {
            (Some(start), Some(end)) if end >= start => (end - start) as u64,
            _ => 0,
        };
        CallFacts {
            drop_code: p.drop_code.to_string(),
            call_state: p.call_state.to_string(),
            call_source: p.call_source.to_string(),
            duration_ms,
            times_attempted: p.times_attempted.as_deref().and_then(|t| t.parse().ok()),
        }
    }

    /// Whether the call was answered (call-state 5 or 6).
    pub fn answered(&self) -> bool {
        ANSWERED_STATES.contains(&self.call_state.as_str())
    }

    fn bucket(&self) -> usize {
        let s = self.duration_ms / 1000;
        DURATION_BUCKETS_S
            .iter()
            .position(|b| s < *b)
            .unwrap_or(DURATION_BUCKETS_S.len())
    }
}

/// Sums over a set of calls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoiceStats {
    /// Calls.
    pub calls: u64,
    /// Answered calls.
    pub answered: u64,
    /// Calls by drop code.
    pub by_drop_code: BTreeMap<String, u64>,
    /// Calls by call state.
    pub by_call_state: BTreeMap<String, u64>,
    /// Calls by call source.
    pub by_call_source: BTreeMap<String, u64>,
    /// Sum of durations, ms.
    pub duration_total_ms: u64,
    /// Calls per duration bucket ([`DURATION_BUCKETS_S`], plus one open bucket).
    pub duration_buckets: Vec<u64>,
    /// Sum of times-attempted over the calls that gave it.
    pub attempts_total: u64,
    /// Calls that gave times-attempted.
    pub attempts_reported: u64,
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str, add: bool) {
    if add {
        *map.entry(key.to_owned()).or_default() += 1;
    } else if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

impl VoiceStats {
    fn apply(&mut self, c: &CallFacts, add: bool) {
        let step = |n: &mut u64, by: u64| *n = if add { *n + by } else { n.saturating_sub(by) };
        step(&mut self.calls, 1);
        if c.answered() {
            step(&mut self.answered, 1);
        }
        bump(&mut self.by_drop_code, &c.drop_code, add);
        bump(&mut self.by_call_state, &c.call_state, add);
        bump(&mut self.by_call_source, &c.call_source, add);
        step(&mut self.duration_total_ms, c.duration_ms);
        self.duration_buckets
            .resize(DURATION_BUCKETS_S.len() + 1, 0);
        step(&mut self.duration_buckets[c.bucket()], 1);
        if let Some(t) = c.times_attempted {
            step(&mut self.attempts_total, u64::from(t));
            step(&mut self.attempts_reported, 1);
        }
    }

    /// Counts a call in.
    pub fn add(&mut self, c: &CallFacts) {
        self.apply(c, true);
    }

    /// Counts a call out (it was replaced by a newer update).
    pub fn remove(&mut self, c: &CallFacts) {
        self.apply(c, false);
    }

    /// Adds another set of sums (e.g. every deployment's, for the total).
    pub fn merge(&mut self, other: &VoiceStats) {
        self.calls += other.calls;
        self.answered += other.answered;
        for (mine, theirs) in [
            (&mut self.by_drop_code, &other.by_drop_code),
            (&mut self.by_call_state, &other.by_call_state),
            (&mut self.by_call_source, &other.by_call_source),
        ] {
            for (k, v) in theirs {
                *mine.entry(k.clone()).or_default() += v;
            }
        }
        self.duration_total_ms += other.duration_total_ms;
        self.duration_buckets
            .resize(DURATION_BUCKETS_S.len() + 1, 0);
        for (mine, theirs) in self
            .duration_buckets
            .iter_mut()
            .zip(&other.duration_buckets)
        {
            *mine += theirs;
        }
        self.attempts_total += other.attempts_total;
        self.attempts_reported += other.attempts_reported;
    }

    /// The figures the dashboard shows.
    pub fn dashboard(&self) -> VoiceDashboard {
        let named = |map: &BTreeMap<String, u64>,
                     list: &[(&'static str, &'static str)]|
         -> Vec<NamedCount> {
            // In the list's order, then values the list does not have.
            let mut out: Vec<NamedCount> = list
                .iter()
                .filter_map(|(v, _)| map.get(*v).map(|n| (v, n)))
                .map(|(v, n)| NamedCount {
                    value: (*v).to_owned(),
                    name: meaning(list, v).unwrap_or_default().to_owned(),
                    count: *n,
                    percent: percent(*n, self.calls),
                })
                .collect();
            out.extend(
                map.iter()
                    .filter(|(v, _)| meaning(list, v).is_none())
                    .map(|(v, n)| NamedCount {
                        value: v.clone(),
                        name: "Unknown".to_owned(),
                        count: *n,
                        percent: percent(*n, self.calls),
                    }),
            );
            out
        };
        let mut buckets = self.duration_buckets.clone();
        buckets.resize(DURATION_BUCKETS_S.len() + 1, 0);
        let duration_buckets = buckets
            .iter()
            .enumerate()
            .map(|(i, n)| DurationBucket {
                from_s: if i == 0 { 0 } else { DURATION_BUCKETS_S[i - 1] },
                to_s: DURATION_BUCKETS_S.get(i).copied(),
                count: *n,
            })
            .collect();
        VoiceDashboard {
            calls: self.calls,
            answered: self.answered,
            answered_rate: percent(self.answered, self.calls),
            average_duration_ms: self.duration_total_ms.checked_div(self.calls).unwrap_or(0),
            average_attempts: if self.attempts_reported == 0 {
                0.0
            } else {
                (self.attempts_total as f64 * 100.0 / self.attempts_reported as f64).round() / 100.0
            },
            by_drop_code: named(&self.by_drop_code, DROP_CODES),
            by_call_state: named(&self.by_call_state, CALL_STATES),
            by_call_source: named(&self.by_call_source, CALL_SOURCES),
            duration_buckets,
        }
    }
}

/// A count of calls with one value of a list, and its meaning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NamedCount {
    /// The value (`2005`, `5`, ...).
    pub value: String,
    /// Its meaning (`Success, call completed`, ...).
    pub name: String,
    /// How many calls.
    pub count: u64,
    /// Share of all calls, percent.
    pub percent: f64,
}

/// Calls whose duration falls in `[fromS, toS)`; `toS` is `null` for the open bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DurationBucket {
    /// Lower bound, seconds.
    pub from_s: u64,
    /// Upper bound (exclusive), seconds.
    pub to_s: Option<u64>,
    /// How many calls.
    pub count: u64,
}

/// The voice dashboard of one deployment (or of the unassigned calls, or of all).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VoiceDashboard {
    /// Calls.
    pub calls: u64,
    /// Answered calls.
    pub answered: u64,
    /// Answered calls, percent of calls.
    pub answered_rate: f64,
    /// Mean duration, ms.
    pub average_duration_ms: u64,
    /// Mean times-attempted over the calls that gave it.
    pub average_attempts: f64,
    /// By drop code, named.
    pub by_drop_code: Vec<NamedCount>,
    /// By call state, named.
    pub by_call_state: Vec<NamedCount>,
    /// By call source, named.
    pub by_call_source: Vec<NamedCount>,
    /// Duration histogram.
    pub duration_buckets: Vec<DurationBucket>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(drop: &str, state: &str, source: &str, secs: u64, attempts: Option<u32>) -> CallFacts {
        CallFacts {
            drop_code: drop.into(),
            call_state: state.into(),
            call_source: source.into(),
            duration_ms: secs * 1000,
            times_attempted: attempts,
        }
    }

    #[test]
    fn figures_from_calls() {
        let mut s = VoiceStats::default();
        s.add(&call("2005", "5", "2", 40, Some(1)));
        s.add(&call("1002", "2", "2", 0, Some(3)));
        s.add(&call("2005", "6", "3", 700, None));
        s.add(&call("2002", "3", "1", 10, None));
        let d = s.dashboard();
        assert_eq!((d.calls, d.answered, d.answered_rate), (4, 2, 50.0));
        assert_eq!(d.average_duration_ms, 187_500);
        assert_eq!(d.average_attempts, 2.0);
        assert_eq!(d.by_drop_code[0].value, "2005");
        assert_eq!(d.by_drop_code[0].name, "Success, call completed");
        assert_eq!(d.by_drop_code[0].count, 2);
        let counts: Vec<u64> = d.duration_buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![1, 1, 0, 1, 0, 0, 0, 1]);
        assert_eq!(d.duration_buckets.last().and_then(|b| b.to_s), None);
    }

    #[test]
    fn remove_undoes_add_and_merge_adds_up() {
        let a = call("2005", "5", "2", 40, Some(2));
        let b = call("1001", "1", "1", 3, None);
        let mut s = VoiceStats::default();
        s.add(&a);
        s.add(&b);
        s.remove(&a);
        let mut only_b = VoiceStats::default();
        only_b.add(&b);
        assert_eq!(s, only_b);
        let mut total = VoiceStats::default();
        total.merge(&s);
        total.merge(&only_b);
        assert_eq!(total.calls, 2);
        assert_eq!(total.by_drop_code.get("1001"), Some(&2));
    }

    #[test]
    fn facts_of_a_payload_measure_the_duration() {
        let p = VoicePayload {
            transaction_id: "VOC_1".into(),
            call_starttime: "2014-08-26 08:00:58.211".into(),
            call_endtime: "2014-08-26 08:00:59.200".into(),
            call_source: "3".into(),
            trombone_starttime: None,
            trombone_endtime: None,
            dtmf_digits: None,
            voice_tag: None,
            call_state: "6".into(),
            drop_code: "2005".into(),
            drop_reason: None,
            message: None,
            voice_recorded: None,
            times_attempted: Some("2".into()),
            a_party: None,
            b_party: None,
        };
        let c = CallFacts::of(&p);
        assert_eq!(
            (c.duration_ms, c.times_attempted, c.answered()),
            (989, Some(2), true)
        );
    }
}
