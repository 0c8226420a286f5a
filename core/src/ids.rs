//! The platform's id shape (contract: "a prefix, `_`, 13-digit epoch milliseconds, 6 digits",
//! e.g. `NTS_1605176995001254571`). Core only formats and recognises it; the caller supplies
//! the clock and the six digits.

/// Formats `PREFIX_<13-digit epoch ms><6 digits>`. `seq` is taken modulo 1,000,000; an
/// `epoch_ms` of more than 13 digits keeps all of them. Every request gets one: the digits
/// are written directly (callgrind: `format!` with padding cost ~1,700 instructions).
pub fn platform_id(prefix: &str, epoch_ms: u64, seq: u32) -> String {
    let mut digits = [b'0'; 26];
    let mut end = digits.len();
    let mut put = |mut n: u64, width: usize| {
        let stop = end - width;
        while n > 0 || end > stop {
            end -= 1;
            digits[end] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(u64::from(seq % 1_000_000), 6);
    put(epoch_ms, 13);
    let mut id = String::with_capacity(prefix.len() + 1 + digits.len() - end);
    id.push_str(prefix);
    id.push('_');
    // Only ASCII digits were written.
    id.push_str(std::str::from_utf8(&digits[end..]).unwrap_or_default());
    id
}

/// Whether `s` has the platform's id shape: an upper-case alphanumeric prefix, `_`, 19 digits.
pub fn is_platform_id(s: &str) -> bool {
    match s.split_once('_') {
        Some((prefix, digits)) => {
            !prefix.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && digits.len() == 19
                && digits.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The digits written directly are what `format!` writes.
        #[test]
        fn platform_id_is_the_padded_format(ms in 0u64..=u64::MAX, seq: u32) {
            proptest::prop_assert_eq!(
                platform_id("NTS", ms, seq),
                format!("NTS_{ms:013}{:06}", seq % 1_000_000)
            );
        }
    }

    #[test]
    fn formats_and_recognises_the_shape() {
        let id = platform_id("NTS", 1_605_176_995_001, 254_571);
        assert_eq!(id, "NTS_1605176995001254571");
        assert!(is_platform_id(&id));
        assert!(is_platform_id("API_1605176965390000881"));
        assert!(is_platform_id("CC02_1605176995001254571"));
        assert_eq!(platform_id("VOC", 42, 7), "VOC_0000000000042000007");
        assert_eq!(platform_id("X", 0, 1_000_001), "X_0000000000000000001");
        assert_eq!(
            platform_id("X", 12_345_678_901_234, 999_999),
            "X_12345678901234999999"
        );
        for bad in [
            "NTS1605176995001254571",
            "nts_1605176995001254571",
            "NTS_160517699500125457",
            "_1605176995001254571",
        ] {
            assert!(!is_platform_id(bad), "{bad}");
        }
    }
}
