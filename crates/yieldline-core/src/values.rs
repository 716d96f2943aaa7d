//! Text values as exports write them: timestamps (with or without an offset, date-only,
//! slashed day-first or month-first dates), calendar dates and fit tiers, read under
//! stated rules. Every importer (the native formats and the vendor sources) reads its
//! values here, so one export means the same instants whichever path reads it.
//!
//! The timestamp rules ([`parse_timestamp`]):
//! - an ISO 8601 / RFC 3339 date-time **with** an offset (`Z`, `+01:00`, `-0500`) is that
//!   instant, and keeps the offset it was written with;
//! - a date-time **without** an offset (`2025-03-04T09:30`, `2025-03-04 09:30:00`) and a
//!   date alone (`2025-03-04`, read as its midnight) are local times in the source's time
//!   zone ([`TimeRules::zone`]: `--source-timezone`, default the line's zone);
//! - a local time that does not exist (the spring-forward gap) is shifted forward by the
//!   gap's length (02:30 in a gap from 02:00 to 03:00 is 03:30), and one that occurs twice
//!   (the fall-back fold) is the earlier of its two instants: jiff's
//!   [`Disambiguation::Compatible`], the rule of RFC 5545 and of JavaScript's Temporal;
//! - a slashed date (`04/03/2025`, optionally followed by a time) is read day-first or
//!   month-first only when told ([`DateFormat`]: `--date-format dmy|mdy`); by default it
//!   is refused with a message naming the option, since `04/03` is April or March;
//! - a plain number such as `45717` or `45717.5` is refused as an Excel serial date, with
//!   the day it would be, so the export can be redone with dates as text.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::tz::{Disambiguation, TimeZone};

/// How slashed dates (`a/b/yyyy`) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// ISO 8601 dates only (`yyyy-mm-dd`); a slashed date is refused.
    #[default]
    Iso,
    /// Day first: `04/03/2025` is 4 March 2025.
    Dmy,
    /// Month first: `04/03/2025` is 3 April 2025.
    Mdy,
}

impl DateFormat {
    /// Every format, as named on the command line.
    pub const ALL: [DateFormat; 3] = [Self::Iso, Self::Dmy, Self::Mdy];

    /// The name as written in `--date-format`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iso => "iso",
            Self::Dmy => "dmy",
            Self::Mdy => "mdy",
        }
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DateFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Self::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| format!("unknown date format {s:?}: expected iso, dmy or mdy"))
    }
}

/// The rules under which timestamps and dates of one source are read.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeRules {
    /// The zone of offset-less date-times and of date-only values.
    pub zone: TimeZone,
    /// The zone's name as the user gave it (for messages).
    pub zone_name: String,
    /// How slashed dates are read.
    pub date_format: DateFormat,
}

impl TimeRules {
    /// The default rules of a line: its time zone, ISO dates only.
    pub fn of_line(line: &crate::line::Line) -> Self {
        Self {
            zone: line.timezone.clone(),
            zone_name: line.timezone_name.clone(),
            date_format: DateFormat::Iso,
        }
    }

    /// Rules for a named IANA zone (`--source-timezone`), or why the name is unknown.
    pub fn in_zone(name: &str, date_format: DateFormat) -> Result<Self, String> {
        let zone = TimeZone::get(name.trim()).map_err(|_| {
            format!(
                "unknown time zone {name:?}: expected an IANA name such as Europe/Berlin, America/New_York or UTC"
            )
        })?;
        Ok(Self {
            zone,
            zone_name: name.trim().to_owned(),
            date_format,
        })
    }
}

/// What a timestamp may be written as, for messages.
fn timestamp_forms(rules: &TimeRules) -> String {
    let slashed = match rules.date_format {
        DateFormat::Iso => String::new(),
        DateFormat::Dmy => ", or day-first 04/03/2025 09:30".into(),
        DateFormat::Mdy => ", or month-first 03/04/2025 09:30".into(),
    };
    format!(
        "expected a date-time with offset like 2025-03-04T09:30:00-05:00, a local date-time like 2025-03-04 09:30 or a date like 2025-03-04 (both read in {}){slashed}",
        rules.zone_name
    )
}

/// Parses a timestamp under `rules` (see the module's rules): the instant and the UTC
/// offset, in seconds, that the text was written with or that the zone has then.
pub fn parse_timestamp(text: &str, rules: &TimeRules) -> Result<(Timestamp, i32), String> {
    let s = text.trim();
    if let Some(why) = excel_serial(s) {
        return Err(why);
    }
    if let Some(slashed) = slashed_date(s, rules.date_format)? {
        let (date, rest) = slashed;
        let time = match rest.trim() {
            "" => Time::midnight(),
            t => parse_clock(t).ok_or_else(|| {
                format!("{text:?} is not a timestamp: {}", timestamp_forms(rules))
            })?,
        };
        return local(date.to_datetime(time), rules, text);
    }
    let pieces = Pieces::parse(s)
        .map_err(|_| format!("{text:?} is not a timestamp: {}", timestamp_forms(rules)))?;
    let date = pieces.date();
    let dt = match pieces.time() {
        Some(t) => date.to_datetime(t),
        None => date.to_datetime(Time::midnight()),
    };
    match pieces.offset() {
        Some(PiecesOffset::Numeric(n)) => {
            let offset = n.offset();
            let ts = offset
                .to_timestamp(dt)
                .map_err(|_| format!("{text:?} is out of range"))?;
            Ok((ts, offset.seconds()))
        }
        Some(PiecesOffset::Zulu) => {
            let ts = jiff::tz::Offset::UTC
                .to_timestamp(dt)
                .map_err(|_| format!("{text:?} is out of range"))?;
            Ok((ts, 0))
        }
        // `-00:00` and any later kind of offset: the instant is in UTC.
        Some(_) => {
            let ts = jiff::tz::Offset::UTC
                .to_timestamp(dt)
                .map_err(|_| format!("{text:?} is out of range"))?;
            Ok((ts, 0))
        }
        // No offset: the zone the text names in brackets, else the source's zone.
        None => match pieces.time_zone_annotation() {
            Some(annotation) => {
                let zone = annotation
                    .to_time_zone()
                    .map_err(|_| format!("{text:?} names an unknown time zone"))?;
                let named = TimeRules {
                    zone,
                    zone_name: annotation_name(s),
                    date_format: rules.date_format,
                };
                local(dt, &named, text)
            }
            None => local(dt, rules, text),
        },
    }
}

/// The bracketed zone name of a timestamp text, for messages.
fn annotation_name(s: &str) -> String {
    s.rsplit_once('[')
        .map_or(s, |(_, tail)| tail.trim_end_matches(']'))
        .to_owned()
}

/// A local date-time in the rules' zone, gaps shifted forward and folds taken early.
fn local(dt: DateTime, rules: &TimeRules, text: &str) -> Result<(Timestamp, i32), String> {
    let zoned = rules
        .zone
        .to_ambiguous_zoned(dt)
        .disambiguate(Disambiguation::Compatible)
        .map_err(|_| format!("{text:?} is out of range in {}", rules.zone_name))?;
    Ok((zoned.timestamp(), zoned.offset().seconds()))
}

/// Parses a calendar date (`resume_on`): `yyyy-mm-dd`, or a slashed date under
/// `--date-format`. A date-time is not a date.
pub fn parse_day(text: &str, format: DateFormat) -> Result<Date, String> {
    let s = text.trim();
    if let Some(why) = excel_serial(s) {
        return Err(why);
    }
    let expected = match format {
        DateFormat::Iso => "expected a date YYYY-MM-DD",
        DateFormat::Dmy => "expected a date YYYY-MM-DD or day-first DD/MM/YYYY",
        DateFormat::Mdy => "expected a date YYYY-MM-DD or month-first MM/DD/YYYY",
    };
    if let Some((date, rest)) = slashed_date(s, format)? {
        if rest.trim().is_empty() {
            return Ok(date);
        }
        return Err(format!("{text:?} is not a date: {expected}"));
    }
    s.parse::<Date>()
        .map_err(|_| format!("{text:?} is not a date: {expected}"))
}

/// Why a plain number is refused as an Excel serial date, if the text is one.
fn excel_serial(s: &str) -> Option<String> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    // Excel's day 1 is 1900-01-01, and it counts a 29 February 1900 that never was, so
    // from day 61 on the day is 1899-12-30 plus the serial.
    let day = int.parse::<i64>().ok()?;
    let meant = (61..=2_958_465)
        .contains(&day)
        .then(|| Date::constant(1899, 12, 30).checked_add(jiff::Span::new().days(day)))
        .and_then(Result::ok);
    Some(match meant {
        Some(d) => format!(
            "{s:?} looks like an Excel serial date (day {day} is {d}): export the column as text dates such as {d} or {d}T09:30:00Z, or format the cells as dates before saving"
        ),
        None => format!("{s:?} is a number, not a date or timestamp"),
    })
}

/// A slashed date at the start of `s` (`a/b/yyyy`) and the text after it, read under
/// `format`; `Ok(None)` when `s` does not start with one.
fn slashed_date(s: &str, format: DateFormat) -> Result<Option<(Date, &str)>, String> {
    let end = s.find([' ', 'T', 't']).unwrap_or(s.len());
    let (head, rest) = s.split_at(end);
    let mut parts = head.split('/');
    let (Some(a), Some(b), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Ok(None);
    };
    let num = |p: &str, max_len: usize| {
        (!p.is_empty() && p.len() <= max_len && p.bytes().all(|c| c.is_ascii_digit()))
            .then(|| p.parse::<i16>().ok())
            .flatten()
    };
    let (Some(a), Some(b)) = (num(a, 2), num(b, 2)) else {
        return Ok(None);
    };
    let Some(year) = num(y, 4).filter(|_| y.len() == 4) else {
        return Err(format!(
            "{s:?} has a slashed date without a four-digit year: write the year in full (e.g. 04/03/2025) or use ISO dates (2025-03-04)"
        ));
    };
    let (day, month) = match format {
        DateFormat::Iso => {
            let hint = if a > 12 && b <= 12 {
                "it looks day-first: pass --date-format dmy".to_owned()
            } else if b > 12 && a <= 12 {
                "it looks month-first: pass --date-format mdy".to_owned()
            } else {
                format!(
                    "{a:02}/{b:02} could be day-first or month-first: pass --date-format dmy or --date-format mdy"
                )
            };
            return Err(format!(
                "{s:?} is a slashed date and only ISO dates (2025-03-04) are read by default; {hint}"
            ));
        }
        DateFormat::Dmy => (a, b),
        DateFormat::Mdy => (b, a),
    };
    let order = match format {
        DateFormat::Mdy => "month/day/year (--date-format mdy)",
        _ => "day/month/year (--date-format dmy)",
    };
    let date = i8::try_from(month)
        .ok()
        .zip(i8::try_from(day).ok())
        .and_then(|(m, d)| Date::new(year, m, d).ok())
        .ok_or_else(|| format!("{s:?} is not a valid {order} date"))?;
    Ok(Some((date, rest)))
}

/// A clock time after a slashed date: `HH:MM`, `HH:MM:SS` or with fractional seconds.
fn parse_clock(t: &str) -> Option<Time> {
    let t = t.trim_start_matches(['T', 't']).trim();
    if t.len() == 4 || t.len() == 7 {
        // `9:30`, `9:30:00`: one-digit hour.
        return format!("0{t}").parse().ok();
    }
    t.parse().ok()
}

/// Parses a territory fit tier: `1`–`9`, a letter `A`–`I` (`A` = 1, the best), or
/// `Tier N` (any case, spaces around and inside allowed).
pub fn parse_fit_tier(text: &str) -> Result<u8, String> {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower
        .strip_prefix("tier")
        .map_or(lower.as_str(), str::trim_start);
    let mut chars = body.chars();
    let tier = match (chars.next(), chars.next()) {
        (Some(c @ '1'..='9'), None) => Some(c as u8 - b'0'),
        (Some(c @ 'a'..='i'), None) => Some(c as u8 - b'a' + 1),
        _ => None,
    };
    tier.ok_or_else(|| {
        format!(
            "{text:?} is not a fit tier: expected 1 (best) to 9, a letter A (best) to I, or \"Tier N\""
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(zone: &str, format: DateFormat) -> TimeRules {
        TimeRules::in_zone(zone, format).expect("zone")
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("ts")
    }

    #[test]
    fn offsets_are_kept_as_written() {
        let r = rules("America/New_York", DateFormat::Iso);
        for (text, utc, offset) in [
            ("2025-03-04T09:30:00-05:00", "2025-03-04T14:30:00Z", -18_000),
            ("2025-03-04T09:30:00Z", "2025-03-04T09:30:00Z", 0),
            ("2025-03-04 09:30:00+0100", "2025-03-04T08:30:00Z", 3_600),
            (
                "2025-03-04T09:30:00.250+05:30",
                "2025-03-04T04:00:00.25Z",
                19_800,
            ),
            ("  2025-03-04T09:30:00z ", "2025-03-04T09:30:00Z", 0),
        ] {
            assert_eq!(parse_timestamp(text, &r), Ok((at(utc), offset)), "{text}");
        }
    }

    #[test]
    fn offset_less_values_take_the_source_zone() {
        let r = rules("Europe/Berlin", DateFormat::Iso);
        assert_eq!(
            parse_timestamp("2025-03-04T09:30", &r),
            Ok((at("2025-03-04T08:30:00Z"), 3_600))
        );
        assert_eq!(
            parse_timestamp("2025-07-04 09:30:00", &r),
            Ok((at("2025-07-04T07:30:00Z"), 7_200))
        );
        // A date alone is its midnight in the zone.
        assert_eq!(
            parse_timestamp("2025-03-04", &r),
            Ok((at("2025-03-03T23:00:00Z"), 3_600))
        );
        // A bracketed zone (RFC 9557) names the zone itself.
        assert_eq!(
            parse_timestamp("2025-03-04T09:30[Asia/Tokyo]", &r),
            Ok((at("2025-03-04T00:30:00Z"), 32_400))
        );
        let utc = rules("UTC", DateFormat::Iso);
        assert_eq!(
            parse_timestamp("2025-03-04", &utc),
            Ok((at("2025-03-04T00:00:00Z"), 0))
        );
    }

    #[test]
    fn gaps_shift_forward_and_folds_take_the_earlier_instant() {
        let r = rules("America/New_York", DateFormat::Iso);
        // 2025-03-09 02:00 EST jumps to 03:00 EDT: 02:30 does not exist.
        assert_eq!(
            parse_timestamp("2025-03-09T02:30:00", &r),
            Ok((at("2025-03-09T07:30:00Z"), -14_400)),
            "shifted forward by the one-hour gap: 03:30 EDT"
        );
        // 2025-11-02 02:00 EDT falls back to 01:00 EST: 01:30 happens twice.
        assert_eq!(
            parse_timestamp("2025-11-02T01:30:00", &r),
            Ok((at("2025-11-02T05:30:00Z"), -14_400)),
            "the earlier, EDT, instant"
        );
    }

    #[test]
    fn slashed_dates_need_a_stated_order() {
        let iso = rules("UTC", DateFormat::Iso);
        let err = parse_timestamp("04/03/2025", &iso).expect_err("ambiguous");
        assert!(
            err.contains("--date-format dmy or --date-format mdy") && err.contains("04/03/2025"),
            "{err}"
        );
        let err = parse_timestamp("25/03/2025 09:30", &iso).expect_err("iso only");
        assert!(
            err.contains("looks day-first: pass --date-format dmy"),
            "{err}"
        );
        let err = parse_day("03/25/2025", DateFormat::Iso).expect_err("iso only");
        assert!(
            err.contains("looks month-first: pass --date-format mdy"),
            "{err}"
        );

        let dmy = rules("UTC", DateFormat::Dmy);
        let mdy = rules("UTC", DateFormat::Mdy);
        assert_eq!(
            parse_timestamp("04/03/2025 09:30", &dmy),
            Ok((at("2025-03-04T09:30:00Z"), 0))
        );
        assert_eq!(
            parse_timestamp("04/03/2025 9:30:15", &mdy),
            Ok((at("2025-04-03T09:30:15Z"), 0))
        );
        assert_eq!(
            parse_day("4/3/2025", DateFormat::Dmy),
            Ok(Date::constant(2025, 3, 4))
        );
        assert_eq!(
            parse_day("4/3/2025", DateFormat::Mdy),
            Ok(Date::constant(2025, 4, 3))
        );
        let err = parse_timestamp("13/25/2025", &mdy).expect_err("no month 13");
        assert!(err.contains("month/day/year (--date-format mdy)"), "{err}");
        let err = parse_day("04/03/25", DateFormat::Dmy).expect_err("two-digit year");
        assert!(err.contains("four-digit year"), "{err}");
        // ISO dates are read whatever the slashed order.
        assert_eq!(
            parse_day("2025-03-04", DateFormat::Mdy),
            Ok(Date::constant(2025, 3, 4))
        );
    }

    #[test]
    fn excel_serials_are_named_never_a_parser_internal() {
        let r = rules("UTC", DateFormat::Iso);
        let err = parse_timestamp("45720", &r).expect_err("serial");
        assert!(
            err.contains("looks like an Excel serial date") && err.contains("2025-03-04"),
            "{err}"
        );
        let err = parse_timestamp("45720.3958", &r).expect_err("serial with time");
        assert!(err.contains("Excel serial date"), "{err}");
        let err = parse_day("45720", DateFormat::Iso).expect_err("serial");
        assert!(err.contains("Excel serial date"), "{err}");
        for bad in ["yesterday", "2025-13-01", "2025-03-04T25:00"] {
            let err = parse_timestamp(bad, &r).expect_err(bad);
            assert!(
                err.contains("is not a timestamp: expected") && !err.contains("invalid digit"),
                "{err}"
            );
        }
    }

    #[test]
    fn date_formats_and_zones_parse_by_name() {
        assert_eq!(" DMY ".parse(), Ok(DateFormat::Dmy));
        assert_eq!("iso".parse(), Ok(DateFormat::Iso));
        assert!("ymd".parse::<DateFormat>().is_err());
        let err = TimeRules::in_zone("Mars/Olympus", DateFormat::Iso).expect_err("zone");
        assert!(err.contains("IANA"), "{err}");
    }

    #[test]
    fn fit_tiers_take_digits_letters_and_tier_n() {
        for (text, tier) in [
            ("1", 1),
            (" 9 ", 9),
            ("A", 1),
            ("c", 3),
            ("I", 9),
            ("Tier 2", 2),
            ("tier3", 3),
            ("  TIER   4 ", 4),
            ("Tier B", 2),
        ] {
            assert_eq!(parse_fit_tier(text), Ok(tier), "{text}");
        }
        for bad in ["0", "10", "J", "Tier", "Tier 10", "gold", "1.5", ""] {
            let err = parse_fit_tier(bad).expect_err(bad);
            assert!(
                err.contains("1 (best) to 9") && err.contains("A (best) to I"),
                "{err}"
            );
        }
    }
}
