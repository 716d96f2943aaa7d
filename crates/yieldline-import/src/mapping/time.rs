//! Timestamps as tools export them: RFC 3339 with an offset (`Z`, `+00:00`, or
//! Salesforce's `+0000`), a space instead of the `T`, or no offset at all — then the
//! time is local to the export's time zone (an object's `timezone`, default the
//! line's). A local time that does not exist (a spring-forward gap) is moved forward
//! by the gap; a repeated one (the autumn fold) is the earlier instant — jiff's
//! "compatible" rule, the one RFC 5545 and java.time use. A date alone is the start
//! of that day in the zone.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// The instant a cell names, written back as RFC 3339 with its offset, or why not.
pub(crate) fn parse_time(text: &str, tz: &TimeZone) -> Result<(String, Timestamp), String> {
    let text = text.trim();
    let spaced = text.replacen(' ', "T", 1);
    for candidate in [text, spaced.as_str()] {
        if let Ok(ts) = candidate.parse::<Timestamp>() {
            return Ok((ts.to_string(), ts));
        }
    }
    let local = if let Ok(dt) = spaced.parse::<DateTime>() {
        dt.to_zoned(tz.clone())
    } else if let Ok(d) = text.parse::<Date>() {
        d.to_zoned(tz.clone())
    } else {
        return Err(format!(
            "{text:?} is not a timestamp: expected RFC 3339 (2025-03-04T09:30:00-05:00, \
             2025-03-04T14:30:00.000+0000), a local date-time (2025-03-04 09:30:00) or a date (2025-03-04)"
        ));
    };
    let zoned = local.map_err(|e| format!("{text:?}: {e}"))?;
    let ts = zoned.timestamp();
    Ok((ts.display_with_offset(zoned.offset()).to_string(), ts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_timestamps_parse_to_the_same_instant() {
        let ny = TimeZone::get("America/New_York").expect("tz");
        let want: Timestamp = "2025-03-04T14:30:00Z".parse().expect("ts");
        for text in [
            "2025-03-04T14:30:00Z",
            "2025-03-04T14:30:00.000+0000",
            "2025-03-04 14:30:00+00:00",
            "2025-03-04T09:30:00-05:00",
            "2025-03-04 09:30:00",
            "2025-03-04T09:30:00",
        ] {
            let (written, ts) = parse_time(text, &ny).expect(text);
            assert_eq!(ts, want, "{text}");
            assert_eq!(written.parse::<Timestamp>().expect("rfc 3339"), want);
        }
        let (_, day) = parse_time("2025-03-04", &ny).expect("date");
        assert_eq!(
            day,
            "2025-03-04T05:00:00Z".parse::<Timestamp>().expect("ts")
        );
        // The spring-forward gap moves forward; the autumn fold takes the earlier instant.
        let (_, gap) = parse_time("2025-03-09 02:30:00", &ny).expect("gap");
        assert_eq!(
            gap,
            "2025-03-09T07:30:00Z".parse::<Timestamp>().expect("ts")
        );
        let (_, fold) = parse_time("2025-11-02 01:30:00", &ny).expect("fold");
        assert_eq!(
            fold,
            "2025-11-02T05:30:00Z".parse::<Timestamp>().expect("ts")
        );
        let err = parse_time("03/04/2025", &ny).expect_err("not iso");
        assert!(err.contains("\"03/04/2025\" is not a timestamp"), "{err}");
    }
}
