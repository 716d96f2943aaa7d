//! Working-day calendar: simulated days are Monday–Friday days counted from a start
//! date; delays given in calendar days map onto the first working day on or after.

/// A civil date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut it = s.split('-');
        let y = it.next()?;
        let m = it.next()?;
        let d = it.next()?;
        if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        let day: u32 = d.parse().ok()?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Days since 1970-01-01.
    pub fn to_days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Day of week, 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        ((self.to_days() + 3).rem_euclid(7)) as u32
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Maps simulated working days to calendar offsets and back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Calendar {
    /// First working day on or after the scenario's start date.
    first: Date,
    /// Weekday of `first` (0 = Monday … 4 = Friday).
    shift: u32,
}

impl Calendar {
    /// The calendar whose day 0 is the first working day on or after `start`.
    pub fn new(start: Date) -> Calendar {
        let wd = start.weekday();
        let first = if wd >= 5 {
            Date::from_days(start.to_days() + i64::from(7 - wd))
        } else {
            start
        };
        Calendar {
            first,
            shift: first.weekday(),
        }
    }

    /// Calendar days from day 0 to working day `day`.
    pub fn cal(&self, day: u32) -> u32 {
        let a = day + self.shift;
        7 * (a / 5) + a % 5 - self.shift
    }

    /// The first working day whose calendar offset is at least `cal`.
    pub fn day_at_or_after(&self, cal: u32) -> u32 {
        let c = cal + self.shift;
        let (week, wd) = (c / 7, c % 7);
        let a = if wd >= 5 {
            5 * (week + 1)
        } else {
            5 * week + wd
        };
        a - self.shift
    }

    /// The date of working day `day`.
    pub fn date(&self, day: u32) -> Date {
        Date::from_days(self.first.to_days() + i64::from(self.cal(day)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_weekdays() {
        let d = Date::parse("2025-01-06").expect("date");
        assert_eq!(d.weekday(), 0);
        assert_eq!(Date::from_days(d.to_days()), d);
        assert_eq!(
            Date::parse("2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
        assert!(Date::parse("2025-02-29").is_none());
        assert!(Date::parse("2025-1-6").is_none());
    }

    #[test]
    fn working_days_skip_weekends() {
        // Wednesday start.
        let c = Calendar::new(Date::parse("2025-01-08").expect("date"));
        let dates: Vec<String> = (0..6).map(|d| c.date(d).to_string()).collect();
        assert_eq!(
            dates,
            [
                "2025-01-08",
                "2025-01-09",
                "2025-01-10",
                "2025-01-13",
                "2025-01-14",
                "2025-01-15"
            ]
        );
        for day in 0..40 {
            assert_eq!(c.day_at_or_after(c.cal(day)), day);
            assert!(c.cal(c.day_at_or_after(c.cal(day) + 1)) > c.cal(day));
        }
        // Saturday start moves to Monday.
        let s = Calendar::new(Date::parse("2025-01-11").expect("date"));
        assert_eq!(s.date(0).to_string(), "2025-01-13");
    }
}
