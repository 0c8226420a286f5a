//! Core's hand-written calendar (`time.rs`) held to jiff, the date library the Rust ecosystem
//! recommends since chrono's soft deprecation (docs/decisions.md says why core keeps its own):
//! epoch conversions both ways, which dates exist, RFC 3339 with offsets converted to UTC, and
//! the text a time is stored as.

use jiff::{civil, tz::TimeZone, Timestamp};
use proptest::prelude::*;
use txstate_core::time::DateTime;

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the years both APIs can carry.
const FIRST_MS: i64 = -62_135_596_800_000;
const LAST_MS: i64 = 253_402_300_799_999;

fn jiff_utc(ms: i64) -> civil::DateTime {
    TimeZone::UTC.to_datetime(Timestamp::from_millisecond(ms).expect("in jiff's range"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn epoch_milliseconds_both_ways(ms in FIRST_MS..=LAST_MS) {
        let ours = DateTime::from_epoch_ms(ms).expect("years 1..=9999");
        let theirs = jiff_utc(ms);
        prop_assert_eq!(
            (i32::from(ours.year), i32::from(ours.month), i32::from(ours.day)),
            (i32::from(theirs.year()), i32::from(theirs.month()), i32::from(theirs.day()))
        );
        prop_assert_eq!(
            (i32::from(ours.hour), i32::from(ours.minute), i32::from(ours.second), i32::from(ours.millis)),
            (i32::from(theirs.hour()), i32::from(theirs.minute()), i32::from(theirs.second()), i32::from(theirs.millisecond()))
        );
        prop_assert_eq!(ours.epoch_ms(), ms);
    }

    /// The stored text of a time, both precisions, as jiff writes it.
    #[test]
    fn formatted_as_jiff_formats(ms in FIRST_MS..=LAST_MS) {
        let ours = DateTime::from_epoch_ms(ms).expect("years 1..=9999");
        let theirs = jiff_utc(ms);
        prop_assert_eq!(ours.format_seconds(), theirs.strftime("%Y-%m-%d %H:%M:%S").to_string());
        prop_assert_eq!(ours.format_millis(), theirs.strftime("%Y-%m-%d %H:%M:%S%.3f").to_string());
    }

    /// Years that decide leap days (multiples of 4, 100 and 400) and month ends, mostly.
    #[test]
    fn the_same_dates_exist(
        y in prop_oneof![1i16..=9999, (1i16..=24).prop_map(|k| k * 400), (1i16..=99).prop_map(|k| k * 100), (1i16..=2499).prop_map(|k| k * 4)],
        m in 1i8..=12,
        d in prop_oneof![1i8..=31, 28i8..=31],
    ) {
        let text = format!("{y:04}-{m:02}-{d:02} 23:59:59");
        prop_assert_eq!(DateTime::parse_plain(&text).is_some(), civil::Date::new(y, m, d).is_ok(), "{}", text);
    }

    #[test]
    fn rfc3339_offsets_convert_to_the_same_instant(
        ms in 0i64..=4_102_444_800_000,
        frac in prop_oneof![Just(0usize), Just(1), Just(3)],
        offset_min in -(23 * 60 + 59)..=(23 * 60 + 59i32),
    ) {
        // An instant, written at a random offset with 0, 1 or 3 fraction digits.
        let ms = ms - ms % [1000, 100, 1, 1][frac];
        let local = jiff_utc(ms + i64::from(offset_min) * 60_000);
        let mut text = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            local.year(), local.month(), local.day(), local.hour(), local.minute(), local.second()
        );
        if frac > 0 {
            text.push_str(&format!(".{:03}", local.millisecond())[..=frac]);
        }
        let sign = if offset_min < 0 { '-' } else { '+' };
        text.push_str(&format!("{sign}{:02}:{:02}", offset_min.abs() / 60, offset_min.abs() % 60));
        let theirs: Timestamp = text.parse().expect("jiff reads RFC 3339");
        let ours = DateTime::parse_rfc3339_utc(&text).expect("core reads it");
        prop_assert_eq!(ours.epoch_ms(), theirs.as_millisecond(), "{}", text);
        prop_assert_eq!(ours.epoch_ms(), ms);
    }
}
