//! Date-times of both APIs, parsed by hand: no clock, no time-zone database, exact formats.
//!
//! - notify `responseTime`: `yyyy-MM-dd HH:mm:ss`, or RFC 3339 normalised to UTC.
//! - voice times: `yyyy-MM-dd HH:mm:ss.SSS`, or without the milliseconds (with a warning).

use crate::swar;

/// A calendar date-time without a zone, to the millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    /// 1..=9999
    pub year: u16,
    /// 1..=12
    pub month: u8,
    /// 1..=31, checked against the month
    pub day: u8,
    /// 0..=23
    pub hour: u8,
    /// 0..=59
    pub minute: u8,
    /// 0..=59
    pub second: u8,
    /// 0..=999
    pub millis: u16,
}

/// Which voice time form was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// `yyyy-MM-dd HH:mm:ss.SSS`
    Millis,
    /// `yyyy-MM-dd HH:mm:ss`
    Seconds,
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl DateTime {
    /// Parses `yyyy-MM-dd?HH:mm:ss` (19 bytes) where `?` is one of `seps`. The digits and
    /// separators are checked eight bytes at a time, in three overlapping words (callgrind: a
    /// field at a time, each through a digit loop, was ~150 instructions a time, 7 % of a
    /// voice body; this ~100); a test holds it to the field-at-a-time reading.
    fn parse_base(b: &[u8], seps: &[u8]) -> Option<DateTime> {
        let b: &[u8; 19] = b.try_into().ok()?;
        // `yyyy-MM-`, `dd?HH:mm`, `HH:mm:ss`: where each word has digits, and its `-` and `:`
        // (the `?` is checked against `seps`), one byte of the mask each, the lowest first.
        const DIGITS: [u64; 3] = [
            0x00FF_FF00_FFFF_FFFF,
            0xFFFF_00FF_FF00_FFFF,
            0xFFFF_00FF_FF00_FFFF,
        ];
        const MARKS: [(u64, u64); 3] = [
            (0xFF00_00FF_0000_0000, 0x2D00_002D_0000_0000),
            (0x0000_FF00_0000_0000, 0x0000_3A00_0000_0000),
            (0x0000_FF00_00FF_0000, 0x0000_3A00_003A_0000),
        ];
        const HIGH: u64 = 0xF0F0_F0F0_F0F0_F0F0;
        const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
        let words = [0, 8, 11].map(|at| swar::word(&b[at..]));
        let mut bad = 0;
        for ((w, digits), (mask, marks)) in words.into_iter().zip(DIGITS).zip(MARKS) {
            // A digit is 0x30-0x39: high nibble 3, and a low nibble that 6 does not carry past
            // 15 (no carry leaves its byte).
            bad |= (w & HIGH & digits) ^ (0x3030_3030_3030_3030 & digits);
            bad |= ((w & LOW & digits) + (0x0606_0606_0606_0606 & digits)) & 0x1010_1010_1010_1010;
            bad |= (w & mask) ^ marks;
        }
        if bad != 0 || !seps.contains(&b[10]) {
            return None;
        }
        // Each byte the number of its digit and the next: at most 15 * 10 + 15 (a separator's
        // nibble), so nothing carries into the next byte.
        let pairs = words.map(|w| {
            let d = w & LOW;
            d * 10 + (d >> 8)
        });
        let two = |word: usize, at: u32| (pairs[word] >> (8 * at)) as u8;
        let dt = DateTime {
            year: u16::from(two(0, 0)) * 100 + u16::from(two(0, 2)),
            month: two(0, 5),
            day: two(1, 0),
            hour: two(1, 3),
            minute: two(1, 6),
            second: two(2, 6),
            millis: 0,
        };
        dt.in_calendar().then_some(dt)
    }

    /// Whether the date exists (year 1 on) and the time of day is in range.
    fn in_calendar(&self) -> bool {
        self.year >= 1
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour <= 23
            && self.minute <= 59
            && self.second <= 59
    }

    /// `yyyy-MM-dd HH:mm:ss` exactly.
    pub fn parse_plain(s: &str) -> Option<DateTime> {
        Self::parse_base(s.as_bytes(), b" ")
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS`, or the same without `.SSS`.
    pub fn parse_voice(s: &str) -> Option<(DateTime, Precision)> {
        let b = s.as_bytes();
        match b.len() {
            19 => Self::parse_base(b, b" ").map(|dt| (dt, Precision::Seconds)),
            23 if b[19] == b'.' => {
                let mut dt = Self::parse_base(&b[..19], b" ")?;
                dt.millis = u16::try_from(digits(&b[20..23])?).ok()?;
                Some((dt, Precision::Millis))
            }
            _ => None,
        }
    }

    /// RFC 3339 (`2020-11-12T10:29:55Z`, `...55.123+05:30`), converted to UTC. The fraction
    /// is kept to the millisecond.
    pub fn parse_rfc3339_utc(s: &str) -> Option<DateTime> {
        let b = s.as_bytes();
        if b.len() < 20 {
            return None;
        }
        let mut dt = Self::parse_base(&b[..19], b"Tt ")?;
        let mut rest = &b[19..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let ms = frac[..n.min(3)]
                .iter()
                .fold(0u16, |m, d| m * 10 + u16::from(d - b'0'));
            dt.millis = ms * 10u16.pow(3 - n.min(3) as u32);
            rest = &frac[n..];
        }
        let offset_min: i64 = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let h = i64::from(digits(&[*h1, *h2])?);
                let m = i64::from(digits(&[*m1, *m2])?);
                if h > 23 || m > 59 {
                    return None;
                }
                let off = h * 60 + m;
                if *sign == b'-' {
                    -off
                } else {
                    off
                }
            }
            _ => return None,
        };
        DateTime::from_epoch_ms(dt.epoch_ms() - offset_min * 60_000)
    }

    /// Milliseconds since 1970-01-01 00:00:00, taking the value as UTC.
    pub fn epoch_ms(&self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        ((days * 24 + i64::from(self.hour)) * 60 + i64::from(self.minute)) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millis)
    }

    /// The UTC date-time of an epoch millisecond, when it falls in years 1..=9999.
    pub fn from_epoch_ms(ms: i64) -> Option<DateTime> {
        let days = ms.div_euclid(86_400_000);
        let rem = ms.rem_euclid(86_400_000);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        if !(1..=9999).contains(&year) {
            return None;
        }
        Some(DateTime {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: (rem / 3_600_000) as u8,
            minute: (rem / 60_000 % 60) as u8,
            second: (rem / 1000 % 60) as u8,
            millis: (rem % 1000) as u16,
        })
    }

    /// `yyyy-MM-dd HH:mm:ss`
    pub fn format_seconds(&self) -> String {
        self.format(19)
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS`
    pub fn format_millis(&self) -> String {
        self.format(23)
    }

    /// The first `len` bytes of `yyyy-MM-dd HH:mm:ss.SSS`, digit by digit into a buffer
    /// (callgrind: `format!` took ~3,800 instructions for a voice time sent without
    /// milliseconds; this ~150). Fields too wide for their places (not a time that parsing
    /// makes) are written by `format!`, as they were.
    fn format(&self, len: usize) -> String {
        let fits = self.year <= 9999
            && self.millis <= 999
            && [self.month, self.day, self.hour, self.minute, self.second]
                .iter()
                .all(|n| *n <= 99);
        if !fits {
            let seconds = format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                self.year, self.month, self.day, self.hour, self.minute, self.second
            );
            return match len {
                19 => seconds,
                _ => format!("{seconds}.{:03}", self.millis),
            };
        }
        let mut b = *b"0000-00-00 00:00:00.000";
        let put = |out: &mut [u8], mut n: u16| {
            for d in out.iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(&mut b[0..4], self.year);
        put(&mut b[5..7], self.month.into());
        put(&mut b[8..10], self.day.into());
        put(&mut b[11..13], self.hour.into());
        put(&mut b[14..16], self.minute.into());
        put(&mut b[17..19], self.second.into());
        put(&mut b[20..23], self.millis);
        // ASCII digits and separators: the lossy conversion never replaces anything.
        String::from_utf8_lossy(&b[..len]).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field-at-a-time reading [`DateTime::parse_base`] replaced, which the word-at-a-time
    /// one is held to.
    fn parse_base_by_fields(b: &[u8], seps: &[u8]) -> Option<DateTime> {
        if b.len() != 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !seps.contains(&b[10])
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let dt = DateTime {
            year: u16::try_from(digits(&b[0..4])?).ok()?,
            month: u8::try_from(digits(&b[5..7])?).ok()?,
            day: u8::try_from(digits(&b[8..10])?).ok()?,
            hour: u8::try_from(digits(&b[11..13])?).ok()?,
            minute: u8::try_from(digits(&b[14..16])?).ok()?,
            second: u8::try_from(digits(&b[17..19])?).ok()?,
            millis: 0,
        };
        dt.in_calendar().then_some(dt)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// Times near the format — fields out of range, any byte at up to three places (the
        /// bytes either side of the digits, the separators', high bytes), 18 to 20 bytes — read
        /// the same both ways, with either set of separators.
        #[test]
        fn words_read_what_fields_read(
            fields in (0u16..=9999, 0u8..=13, 0u8..=32, 0u8..=24, 0u8..=60, 0u8..=60),
            changes in proptest::collection::vec((0usize..19, proptest::prelude::any::<u8>()), 0..3),
            sep in proptest::sample::select(vec![b' ', b'T', b't']),
            len in proptest::sample::select(vec![18usize, 19, 19, 19, 20]),
        ) {
            let (y, mo, d, h, mi, s) = fields;
            let text = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}0");
            let mut b = text.into_bytes();
            b[10] = sep;
            for (at, byte) in changes {
                b[at] = byte;
            }
            b.truncate(len);
            for seps in [&b" "[..], b"Tt "] {
                proptest::prop_assert_eq!(DateTime::parse_base(&b, seps), parse_base_by_fields(&b, seps), "{:?}", b);
            }
        }
    }

    /// A hand-built time whose fields do not fit their places is written whole, as `format!`
    /// writes it, at both precisions.
    #[test]
    fn wide_fields_are_written_whole() {
        let dt = DateTime {
            year: 12345,
            month: 1,
            day: 2,
            hour: 3,
            minute: 4,
            second: 5,
            millis: 1234,
        };
        assert_eq!(dt.format_seconds(), "12345-01-02 03:04:05");
        assert_eq!(dt.format_millis(), "12345-01-02 03:04:05.1234");
    }

    #[test]
    fn plain_form_checks_the_calendar() {
        let ok = [
            "2020-11-12 10:29:55",
            "2024-02-29 00:00:00",
            "2000-02-29 23:59:59",
        ];
        for s in ok {
            assert!(DateTime::parse_plain(s).is_some(), "{s}");
        }
        let bad = [
            "2023-02-29 00:00:00",
            "1900-02-29 00:00:00",
            "2020-13-01 00:00:00",
            "2020-04-31 00:00:00",
            "2020-11-12 24:00:00",
            "2020-11-12 10:60:00",
            "2020-11-12 10:29:60",
            "2020-11-12T10:29:55",
            "2020-11-12 10:29:5",
            "2020-11-12 10:29:55 ",
            "20201112 10:29:55",
            "0000-01-01 00:00:00",
            "2020-1a-12 10:29:55",
            "",
        ];
        for s in bad {
            assert!(DateTime::parse_plain(s).is_none(), "{s}");
        }
    }

    #[test]
    fn voice_form_with_and_without_millis() {
        let (dt, p) = DateTime::parse_voice("2014-08-26 08:00:58.211").expect("millis");
        assert_eq!((dt.millis, p), (211, Precision::Millis));
        let (_, p) = DateTime::parse_voice("2014-08-26 08:00:58").expect("seconds");
        assert_eq!(p, Precision::Seconds);
        for bad in [
            "2014-08-26 08:00:58.21",
            "2014-08-26 08:00:58,211",
            "2014-08-26 08:00:58.2110",
            "2014-08-26T08:00:58.211",
        ] {
            assert!(DateTime::parse_voice(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_is_normalised_to_utc() {
        let cases = [
            ("2020-11-12T10:29:55Z", "2020-11-12 10:29:55.000"),
            ("2020-11-12T10:29:55.5+05:30", "2020-11-12 04:59:55.500"),
            ("2020-11-12t23:30:00-01:00", "2020-11-13 00:30:00.000"),
            (
                "2021-01-01T00:00:00.123456+00:00",
                "2021-01-01 00:00:00.123",
            ),
        ];
        for (input, want) in cases {
            let dt = DateTime::parse_rfc3339_utc(input).expect(input);
            assert_eq!(dt.format_millis(), want, "{input}");
        }
        for bad in [
            "2020-11-12T10:29:55",
            "2020-11-12T10:29:55+0530",
            "2020-11-12T10:29:55.Z",
            "2020-11-12T10:29:55+24:00",
        ] {
            assert!(DateTime::parse_rfc3339_utc(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn epoch_round_trips() {
        let dt = DateTime::parse_plain("2020-11-12 10:29:55").expect("valid");
        assert_eq!(dt.epoch_ms(), 1_605_176_995_000);
        assert_eq!(DateTime::from_epoch_ms(dt.epoch_ms()), Some(dt));
        assert_eq!(
            DateTime::from_epoch_ms(0)
                .map(|d| d.format_seconds())
                .as_deref(),
            Some("1970-01-01 00:00:00")
        );
        let early = DateTime::parse_plain("0001-01-01 00:00:00").expect("year 1");
        assert_eq!(DateTime::from_epoch_ms(early.epoch_ms()), Some(early));
    }
}
