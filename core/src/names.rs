//! Near-miss field names (contract, "Warnings": names are case-sensitive — say which one was
//! meant). `refTransID`, `reftransid`, `ref_trans_id` and `refTransld` all point at
//! `refTransId`; `call_state` and `callState` at `call-state`.

/// Longest name considered (longer unknown names are never near misses).
const MAX: usize = 64;

/// Whether a byte is a separator that folding drops.
const fn separator(c: char) -> bool {
    matches!(c, '-' | '_' | ' ' | '.')
}

/// Folds a sent name for comparison into `buf`: lowercase, separators dropped. `None` if too
/// long.
fn fold<'b>(s: &str, buf: &'b mut [char; MAX]) -> Option<&'b [char]> {
    let mut n = 0;
    // Almost every sent name is ASCII: byte by byte, the same result without Unicode's
    // lowercase tables.
    if s.is_ascii() {
        for b in s.bytes().filter(|b| !separator(char::from(*b))) {
            *buf.get_mut(n)? = char::from(b.to_ascii_lowercase());
            n += 1;
        }
        return Some(&buf[..n]);
    }
    for c in s
        .chars()
        .filter(|c| !separator(*c))
        .flat_map(char::to_lowercase)
    {
        *buf.get_mut(n)? = c;
        n += 1;
    }
    Some(&buf[..n])
}

/// Longest known name (the contract's longest is 14 bytes).
const KNOWN_MAX: usize = 32;

/// A known name, folded once where its table is defined (a `const`), not on every call.
#[derive(Clone, Copy, Debug)]
pub struct Known {
    /// The name as the contract spells it.
    pub name: &'static str,
    folded: [u8; KNOWN_MAX],
    len: u8,
}

impl Known {
    /// Folds `name` at compile time: lowercase, separators dropped. Every name of the contract
    /// is ASCII and short; one that is not fails the build.
    pub const fn new(name: &'static str) -> Known {
        let b = name.as_bytes();
        let mut folded = [0; KNOWN_MAX];
        let (mut i, mut n) = (0, 0);
        while i < b.len() {
            let c = b[i];
            assert!(c.is_ascii(), "a known name is ASCII");
            if !separator(c as char) {
                assert!(n < KNOWN_MAX, "a known name is at most 32 bytes");
                folded[n] = c.to_ascii_lowercase();
                n += 1;
            }
            i += 1;
        }
        Known {
            name,
            folded,
            len: n as u8,
        }
    }

    fn folded(&self) -> &[u8] {
        &self.folded[..usize::from(self.len)]
    }
}

/// Levenshtein distance between a folded sent name and a folded known one, bounded: anything
/// above `max` is reported as `max + 1`. Only the diagonal band `|i - j| <= max` can hold a
/// distance within `max`, so only it is computed, and a row whose cells all exceed `max` ends
/// the work. Rows are bytes (names are at most [`MAX`] long): cheap to set up.
fn distance(a: &[char], b: &[u8], max: usize) -> usize {
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    // Every cell is capped at `over`, at most MAX + 1.
    let over = (max + 1).min(MAX + 1) as u8;
    let max8 = over - 1;
    // The two rows are swapped as references: swapping the arrays copied 65 bytes three times
    // a row (callgrind: most of a near miss's cost).
    let (mut row_a, mut row_b) = ([over; MAX + 1], [over; MAX + 1]);
    let (mut prev, mut cur) = (&mut row_a, &mut row_b);
    for (j, p) in prev.iter_mut().enumerate().take(b.len().min(max) + 1) {
        *p = j as u8;
    }
    for (i, ca) in a.iter().enumerate() {
        let row = i + 1;
        let lo = row.saturating_sub(max);
        let hi = (row + max).min(b.len());
        cur[..=b.len()].fill(over);
        if lo == 0 {
            cur[0] = row.min(usize::from(over)) as u8;
        }
        let mut best = if lo == 0 { cur[0] } else { over };
        for j in lo.max(1)..=hi {
            let sub = prev[j - 1] + u8::from(*ca != char::from(b[j - 1]));
            let v = sub.min(prev[j] + 1).min(cur[j - 1] + 1).min(over);
            cur[j] = v;
            best = best.min(v);
        }
        if best > max8 {
            return max + 1;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    usize::from(prev[b.len()].min(over))
}

/// The known name that `unknown` most likely meant, if any. Allocates nothing.
pub fn near_miss(unknown: &str, known: &[Known]) -> Option<&'static str> {
    let mut ubuf = [' '; MAX];
    let u = fold(unknown, &mut ubuf)?;
    // Short names would match too much at distance 2.
    let max = if u.len() >= 8 { 2 } else { 1 };
    let mut best: Option<(usize, &'static str)> = None;
    for k in known {
        let kf = k.folded();
        if kf.len().abs_diff(u.len()) > max {
            continue;
        }
        if kf.len() == u.len() && kf.iter().zip(u).all(|(k, c)| char::from(*k) == *c) {
            return Some(k.name);
        }
        let d = distance(u, kf, max);
        if d <= max && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k.name));
        }
    }
    best.map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fields::{InfoField, NotifyField, VoiceField};

    const NOTIFY: &[Known] = &NotifyField::KNOWN;
    const VOICE: &[Known] = &VoiceField::KNOWN;

    #[test]
    fn banded_distance_matches_the_full_one() {
        fn full(a: &[char], b: &[u8]) -> usize {
            let mut prev: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.iter().enumerate() {
                let mut cur = vec![i + 1; b.len() + 1];
                for (j, cb) in b.iter().enumerate() {
                    cur[j + 1] = (prev[j] + usize::from(*ca != char::from(*cb)))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1);
                }
                prev = cur;
            }
            prev[b.len()]
        }
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "refTransId",
            "reftransid",
            "refTransld",
            "responseState",
            "responseStatus",
            "callstate",
            "callsource",
            "xyz",
        ];
        for a in words {
            for b in words {
                let (ac, bc): (Vec<char>, Vec<u8>) = (a.chars().collect(), b.bytes().collect());
                for max in 0..4 {
                    assert_eq!(
                        distance(&ac, &bc, max),
                        full(&ac, &bc).min(max + 1),
                        "{a} {b} {max}"
                    );
                }
            }
        }
    }

    #[test]
    fn known_names_fold_as_sent_names_do() {
        let tables: [&[Known]; 3] = [NOTIFY, VOICE, &InfoField::KNOWN];
        for table in tables {
            for k in table {
                let mut buf = [' '; MAX];
                let sent: Vec<u8> = fold(k.name, &mut buf)
                    .unwrap()
                    .iter()
                    .map(|c| *c as u8)
                    .collect();
                assert_eq!(k.folded(), sent, "{}", k.name);
                // A known name sent with another case or separators points at itself.
                assert_eq!(
                    near_miss(&k.name.to_uppercase().replace('-', "_"), table),
                    Some(k.name)
                );
            }
        }
    }

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
