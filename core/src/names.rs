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

/// The bit of a folded character in a name's character set ([`Known::chars`]): letters and
/// digits their own, any other character one of 28 shared bits. Characters that share a bit
/// only make the bound of [`apart`] lower, never wrong.
const fn bit(c: char) -> u64 {
    let n = c as u32;
    1 << match c {
        'a'..='z' => n - 'a' as u32,
        '0'..='9' => 26 + n - '0' as u32,
        _ => 36 + n % 28,
    }
}

/// The character set of a folded name.
fn chars(s: &[char]) -> u64 {
    s.iter().fold(0, |m, c| m | bit(*c))
}

/// A lower bound of the edit distance between two names from their character sets: each
/// character of one that the other lacks takes an edit of its own (a substitution or a
/// deletion), and an edit removes at most one character from each side. Two popcounts where
/// the banded distance costs a few hundred instructions a row: most known names are ruled
/// out here (callgrind: an unknown voice key ~5,900 instructions before).
fn apart(a: u64, b: u64) -> usize {
    (a & !b).count_ones().max((b & !a).count_ones()) as usize
}

/// A known name, folded once where its table is defined (a `const`), not on every call.
#[derive(Clone, Copy, Debug)]
pub struct Known {
    /// The name as the contract spells it.
    pub name: &'static str,
    folded: [u8; KNOWN_MAX],
    len: u8,
    /// The folded name's character set ([`bit`]).
    chars: u64,
}

impl Known {
    /// Folds `name` at compile time: lowercase, separators dropped. Every name of the contract
    /// is ASCII and short; one that is not fails the build.
    pub const fn new(name: &'static str) -> Known {
        let b = name.as_bytes();
        let mut folded = [0; KNOWN_MAX];
        let (mut i, mut n, mut chars) = (0, 0, 0);
        while i < b.len() {
            let c = b[i];
            assert!(c.is_ascii(), "a known name is ASCII");
            if !separator(c as char) {
                assert!(n < KNOWN_MAX, "a known name is at most 32 bytes");
                folded[n] = c.to_ascii_lowercase();
                chars |= bit(folded[n] as char);
                n += 1;
            }
            i += 1;
        }
        Known {
            name,
            folded,
            len: n as u8,
            chars,
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
    let u_chars = chars(u);
    let mut best: Option<(usize, &'static str)> = None;
    for k in known {
        let kf = k.folded();
        if kf.len().abs_diff(u.len()) > max || apart(u_chars, k.chars) > max {
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

    /// Names compared two by two: near ones, far ones, separators and a non-ASCII letter.
    const WORDS: &[&str] = &[
        "",
        "a",
        "ab",
        "ba",
        "aab",
        "abc",
        "cab",
        "refTransId",
        "reftransid",
        "refTransld",
        "responseState",
        "responseStatus",
        "callstate",
        "callsource",
        "xyz",
        "é",
        "e",
        "ee",
        "deploymentid",
        "transactionid",
        "drop-code",
        "dropcode2",
        "a.b_c",
    ];

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
        for a in WORDS {
            for b in WORDS {
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
    fn the_character_sets_bound_the_distance_from_below() {
        for a in WORDS {
            for b in WORDS {
                let (mut ab, mut bb) = ([' '; MAX], [' '; MAX]);
                let (fa, fb) = (fold(a, &mut ab).unwrap(), fold(b, &mut bb).unwrap());
                let fb8: Vec<u8> = fb.iter().map(|c| *c as u8).collect();
                let lower = apart(chars(fa), chars(fb));
                if b.is_ascii() {
                    assert!(lower <= distance(fa, &fb8, MAX), "{a} {b}");
                }
                assert_eq!(lower == 0, chars(fa) == chars(fb), "{a} {b}");
            }
        }
        // Every known name's set is its folded text's.
        for k in NOTIFY.iter().chain(VOICE) {
            let f: Vec<char> = k.folded().iter().map(|b| char::from(*b)).collect();
            assert_eq!(k.chars, chars(&f), "{}", k.name);
        }
    }

    /// [`near_miss`] without the character sets' bound: every name within the length band
    /// goes through the distance.
    fn near_miss_unbounded(unknown: &str, known: &[Known]) -> Option<&'static str> {
        let mut ubuf = [' '; MAX];
        let u = fold(unknown, &mut ubuf)?;
        let max = if u.len() >= 8 { 2 } else { 1 };
        let mut best: Option<(usize, &'static str)> = None;
        for k in known {
            let d = distance(u, k.folded(), max);
            if d <= max && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, k.name));
            }
        }
        best.map(|(_, k)| k)
    }

    proptest::proptest! {
        /// Names near the known ones (a known name with a few characters changed, dropped or
        /// added) get the same suggestion with the bound as without it.
        #[test]
        fn the_bound_changes_no_suggestion(
            which in 0usize..64,
            edits in proptest::collection::vec((0usize..32, 0u8..3, "[a-zA-Z0-9_é-]"), 0..4),
        ) {
            let tables: [&[Known]; 2] = [NOTIFY, VOICE];
            let table = tables[which % 2];
            let mut name: Vec<char> = table[which % table.len()].name.chars().collect();
            for (at, op, c) in edits {
                let at = at % (name.len() + 1);
                let c = c.chars().next().unwrap_or('x');
                match op {
                    0 if at < name.len() => name[at] = c,
                    1 if at < name.len() => { name.remove(at); }
                    _ => name.insert(at, c),
                }
            }
            let name: String = name.into_iter().collect();
            proptest::prop_assert_eq!(near_miss(&name, table), near_miss_unbounded(&name, table), "{}", name);
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
