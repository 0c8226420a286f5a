//! The platform's id shape (contract: "a prefix, `_`, 13-digit epoch milliseconds, 6 digits",
//! e.g. `NTS_1605176995001254571`). Core only formats and recognises it; the caller supplies
//! the clock and the six digits.

/// Formats `PREFIX_<13-digit epoch ms><6 digits>`. `seq` is taken modulo 1,000,000.
pub fn platform_id(prefix: &str, epoch_ms: u64, seq: u32) -> String {
    format!("{prefix}_{epoch_ms:013}{:06}", seq % 1_000_000)
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

    #[test]
    fn formats_and_recognises_the_shape() {
        let id = platform_id("NTS", 1_605_176_995_001, 254_571);
        assert_eq!(id, "NTS_1605176995001254571");
        assert!(is_platform_id(&id));
        assert!(is_platform_id("API_1605176965390000881"));
        assert!(is_platform_id("CC02_1605176995001254571"));
        assert_eq!(platform_id("VOC", 42, 7), "VOC_0000000000042000007");
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
