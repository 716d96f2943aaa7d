//! Days cut in the line's time zone, and working days.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::line::Line;

/// The local calendar date of an instant in the line's time zone.
pub fn local_date(line: &Line, ts: Timestamp) -> Date {
    line.timezone.to_datetime(ts).date()
}

/// The instant a local day starts in the line's time zone (midnight, or the first
/// instant after a daylight-saving gap at midnight).
pub fn day_start(line: &Line, date: Date) -> Timestamp {
    match date.to_zoned(line.timezone.clone()) {
        Ok(z) => z.timestamp(),
        // Only at the edges of jiff's supported range: fall back to UTC midnight, and
        // past that to the nearer end of the range (never from 9999 to year −9999).
        Err(_) => date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .unwrap_or(if date.year() > 0 {
                Timestamp::MAX
            } else {
                Timestamp::MIN
            }),
    }
}

/// `[start, end)` instants (unix microseconds) covering local dates `from..=to`.
pub fn period_bounds_micros(line: &Line, from: Date, to: Date) -> (i64, i64) {
    let start = day_start(line, from).as_microsecond();
    let end = match to.tomorrow() {
        Ok(next) => day_start(line, next).as_microsecond(),
        Err(_) => i64::MAX,
    };
    (start, end)
}

/// Number of dates in `from..=to` that fall on the line's working days.
pub fn working_days_between(line: &Line, from: Date, to: Date) -> u32 {
    if to < from {
        return 0;
    }
    let mut n = 0;
    let mut d = from;
    loop {
        if line.is_working_day(d.weekday()) {
            n += 1;
        }
        if d >= to {
            break;
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    n
}

/// The working days in `from..=to`, in order.
pub fn working_dates(line: &Line, from: Date, to: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        if line.is_working_day(d.weekday()) {
            out.push(d);
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    out
}

/// Days since 1970-01-01 of a civil date (for compact storage).
pub fn epoch_day(date: Date) -> i32 {
    let epoch = Date::constant(1970, 1, 1);
    // Dates are within jiff's range (years -9999..=9999), so this cannot overflow i32.
    date.since(epoch).map(|s| s.get_days()).unwrap_or(0)
}

/// The civil date `days` after 1970-01-01.
pub fn from_epoch_day(days: i32) -> Date {
    let epoch = Date::constant(1970, 1, 1);
    epoch
        .checked_add(jiff::Span::new().days(i64::from(days)))
        .unwrap_or(epoch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> Line {
        Line::from_toml("line.toml", crate::line::TEMPLATE).expect("template")
    }

    #[test]
    fn days_are_cut_in_the_line_zone_across_dst() {
        let line = ny();
        // 2025-03-09: New York springs forward; the day is 23 hours long.
        let d = Date::constant(2025, 3, 9);
        let (s, e) = period_bounds_micros(&line, d, d);
        assert_eq!((e - s) / 3_600_000_000, 23);
        // 2025-11-02: falls back; 25 hours.
        let d = Date::constant(2025, 11, 2);
        let (s, e) = period_bounds_micros(&line, d, d);
        assert_eq!((e - s) / 3_600_000_000, 25);
        // 03:30 UTC on 10 March is still 9 March in New York (UTC-4 after the change: 23:30).
        let ts: Timestamp = "2025-03-10T03:30:00Z".parse().expect("ts");
        assert_eq!(local_date(&line, ts), Date::constant(2025, 3, 9));
    }

    #[test]
    fn working_days_count_weekdays_only() {
        let line = ny();
        // Mon 2025-03-03 .. Sun 2025-03-16: two working weeks.
        assert_eq!(
            working_days_between(
                &line,
                Date::constant(2025, 3, 3),
                Date::constant(2025, 3, 16)
            ),
            10
        );
        assert_eq!(
            working_days_between(
                &line,
                Date::constant(2025, 3, 8),
                Date::constant(2025, 3, 9)
            ),
            0
        );
        assert_eq!(
            working_dates(
                &line,
                Date::constant(2025, 3, 7),
                Date::constant(2025, 3, 10)
            )
            .len(),
            2
        );
    }

    #[test]
    fn days_at_the_edges_of_the_range_saturate_towards_their_own_end() {
        let line = ny();
        // 9999-12-31 in New York starts after the last instant jiff can represent.
        assert_eq!(
            day_start(&line, Date::constant(9999, 12, 31)),
            Timestamp::MAX
        );
        assert_eq!(day_start(&line, Date::MIN), Timestamp::MIN);
    }

    #[test]
    fn epoch_days_round_trip() {
        for d in [
            Date::constant(1970, 1, 1),
            Date::constant(2025, 2, 28),
            Date::constant(1969, 12, 31),
        ] {
            assert_eq!(from_epoch_day(epoch_day(d)), d);
        }
        assert_eq!(epoch_day(Date::constant(1970, 1, 2)), 1);
    }
}
