//! Eight bytes at a time in a `u64` (little-endian), for the readers of layer 1 (`json`,
//! `time`) and the checks above them. Each test flags bytes in their high bit; the lowest
//! flagged byte is exact (the borrows only run upwards), so [`first`] is the first byte that
//! matched.

const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// Flags the bytes of `w` below `n` (`n` at most 0x80).
pub(crate) fn bytes_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH
}

/// Flags the bytes of `w` equal to `b`.
pub(crate) fn bytes_eq(w: u64, b: u8) -> u64 {
    bytes_below(w ^ (ONES * u64::from(b)), 1)
}

/// The index of the first flagged byte of a non-zero mask.
pub(crate) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Eight bytes as a word (`w` has at least eight; the first eight are read).
pub(crate) fn word(w: &[u8]) -> u64 {
    let mut a = [0; 8];
    if let Some(w) = w.get(..8) {
        a.copy_from_slice(w);
    }
    u64::from_le_bytes(a)
}

/// `a == b`, for names of 8 to 16 bytes as two words each (the first and the last eight
/// bytes, overlapping): a `memcmp` call cost more than the comparison.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    match (a.len(), b.len()) {
        (n, m) if n == m && (8..=16).contains(&n) => {
            word(&a[..8]) == word(&b[..8]) && word(&a[n - 8..]) == word(&b[n - 8..])
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The word comparison of names says what `==` says, at every length around its range:
        /// equal, one byte apart, or of another length.
        #[test]
        fn same_is_eq(a in "[ab]{0,20}", at in 0usize..24, cut in proptest::bool::ANY) {
            let mut b = a.clone().into_bytes();
            match b.get_mut(at) {
                Some(c) if !cut => *c = if *c == b'a' { b'b' } else { b'a' },
                Some(_) => b.truncate(at),
                None => {}
            }
            prop_assert_eq!(super::same(a.as_bytes(), &b), a.as_bytes() == b.as_slice());
        }

        /// Each flag test finds the first byte a byte loop finds, for any bytes at any place
        /// (what the readers rely on: bytes above the first may be flagged by a borrow).
        #[test]
        fn flags_find_the_first_byte(bytes in prop::array::uniform8(any::<u8>()), n in 1u8..=0x80, b in any::<u8>()) {
            let w = u64::from_le_bytes(bytes);
            let first = |mask: u64| (mask != 0).then(|| super::first(mask));
            prop_assert_eq!(first(super::bytes_below(w, n)), bytes.iter().position(|c| *c < n));
            prop_assert_eq!(first(super::bytes_eq(w, b)), bytes.iter().position(|c| *c == b));
        }
    }
}
