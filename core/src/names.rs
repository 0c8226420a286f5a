//! Near-miss field names (contract, "Warnings": names are case-sensitive — say which one was
//! meant). `refTransID`, `reftransid`, `ref_trans_id` and `refTransld` all point at
//! `refTransId`; `call_state` and `callState` at `call-state`.

/// Folds a name for comparison: ASCII lowercase, separators dropped.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Levenshtein distance, bounded: anything above `max` is reported as `max + 1`.
fn distance(a: &[char], b: &[char], max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()].min(max + 1)
}

/// The known name that `unknown` most likely meant, if any.
pub fn near_miss(unknown: &str, known: &[&'static str]) -> Option<&'static str> {
    if unknown.chars().count() > 64 {
        return None;
    }
    let u = fold(unknown);
    if let Some(k) = known.iter().find(|k| fold(k) == u) {
        return Some(k);
    }
    let uc: Vec<char> = u.chars().collect();
    // Short names would match too much at distance 2.
    let max = if uc.len() >= 8 { 2 } else { 1 };
    known
        .iter()
        .map(|k| (distance(&uc, &fold(k).chars().collect::<Vec<_>>(), max), *k))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTIFY: &[&str] = &[
        "responseState",
        "refTransId",
        "deploymentId",
        "responseTime",
        "additionalInfo",
    ];
    const VOICE: &[&str] = &[
        "transaction-id",
        "call-state",
        "call-source",
        "drop-code",
        "a-party",
        "b-party",
    ];

    #[test]
    fn suggests_what_was_meant() {
        let cases = [
            ("refTransID", NOTIFY, Some("refTransId")),
            ("reftransid", NOTIFY, Some("refTransId")),
            ("ref_trans_id", NOTIFY, Some("refTransId")),
            ("refTransld", NOTIFY, Some("refTransId")),
            ("deploymentID", NOTIFY, Some("deploymentId")),
            ("responseStatus", NOTIFY, Some("responseState")),
            ("additionalinfo", NOTIFY, Some("additionalInfo")),
            ("call_state", VOICE, Some("call-state")),
            ("callSource", VOICE, Some("call-source")),
            ("transactionId", VOICE, Some("transaction-id")),
            ("colour", NOTIFY, None),
            ("x", VOICE, None),
            ("c-party", VOICE, Some("a-party")),
        ];
        for (input, known, want) in cases {
            assert_eq!(near_miss(input, known), want, "{input}");
        }
    }
}
