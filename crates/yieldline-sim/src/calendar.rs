//! The simulation's working-day calendar, on jiff: simulated day `d` is the `d`-th
//! working day (the line's working weekdays) counted from the first warm-up day, and
//! delays given in calendar days land on the first working day on or after.
//!
//! Everything is tabulated once per run (dates, calendar offsets, and for every
//! calendar offset the next working day), so the day loop only indexes vectors.

use jiff::civil::{Date, Weekday};

/// The longest delay, in calendar days, a scenario may ask for (rests, recycles,
/// cooldowns are validated against it): the table reaches that far past the last day.
pub(crate) const MAX_DELAY_DAYS: u32 = 3650;

/// Working days of a run and the calendar around them.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    /// Working date of each simulated day (and of the days after the run that delays
    /// can reach).
    dates: Vec<Date>,
    /// Calendar days from the first simulated day to each working day.
    cal: Vec<u32>,
    /// For each calendar offset, the first working day at or after it.
    next: Vec<u32>,
}

/// Why a calendar cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CalendarError {
    /// No working weekday at all.
    NoWorkingDays,
    /// The run (with its delays) does not fit before the end of jiff's calendar.
    OutOfRange,
}

impl Calendar {
    /// The calendar whose day `warmup` is the first working day on or after `start`,
    /// covering `days` simulated days (warm-up included) plus every delay up to
    /// [`MAX_DELAY_DAYS`] after them.
    pub fn new(
        start: Date,
        warmup: u32,
        days: u32,
        working: &[Weekday],
    ) -> Result<Calendar, CalendarError> {
        if working.is_empty() {
            return Err(CalendarError::NoWorkingDays);
        }
        let is_working = |d: Date| working.contains(&d.weekday());
        let mut first = start;
        while !is_working(first) {
            first = first.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
        }
        let mut left = warmup;
        while left > 0 {
            first = first.yesterday().map_err(|_| CalendarError::OutOfRange)?;
            if is_working(first) {
                left -= 1;
            }
        }
        let mut dates = Vec::with_capacity(days as usize + 8);
        let mut cal = Vec::with_capacity(days as usize + 8);
        let mut next = Vec::new();
        let mut d = first;
        let mut offset = 0u32;
        // Every calendar day until `days` working days have passed and then the longest
        // delay after the last of them, plus the working day that delay lands on.
        let mut limit = if days == 0 { MAX_DELAY_DAYS } else { u32::MAX };
        loop {
            next.push(dates.len() as u32);
            if is_working(d) {
                dates.push(d);
                cal.push(offset);
                if dates.len() == days as usize {
                    limit = offset + MAX_DELAY_DAYS;
                }
                if offset > limit {
                    break;
                }
            }
            d = d.tomorrow().map_err(|_| CalendarError::OutOfRange)?;
            offset += 1;
        }
        Ok(Calendar { dates, cal, next })
    }

    /// Calendar days from day 0 to working day `day`.
    pub fn cal(&self, day: u32) -> u32 {
        self.cal.get(day as usize).copied().unwrap_or(u32::MAX)
    }

    /// The first working day whose calendar offset is at least `cal`.
    pub fn day_at_or_after(&self, cal: u32) -> u32 {
        self.next
            .get(cal as usize)
            .copied()
            .unwrap_or(self.dates.len() as u32)
    }

    /// The date of working day `day` (the last tabulated one past the table's end).
    pub fn date(&self, day: u32) -> Date {
        let i = (day as usize).min(self.dates.len().saturating_sub(1));
        self.dates.get(i).copied().unwrap_or(Date::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MON_FRI: [Weekday; 5] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];

    #[test]
    fn working_days_skip_weekends() {
        // Wednesday start.
        let c = Calendar::new(Date::constant(2025, 1, 8), 0, 40, &MON_FRI).expect("calendar");
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
        let s = Calendar::new(Date::constant(2025, 1, 11), 0, 5, &MON_FRI).expect("calendar");
        assert_eq!(s.date(0).to_string(), "2025-01-13");
        // Warm-up days run on the working days before the start.
        let w = Calendar::new(Date::constant(2025, 1, 13), 3, 5, &MON_FRI).expect("calendar");
        assert_eq!(w.date(0).to_string(), "2025-01-08");
        assert_eq!(w.date(3).to_string(), "2025-01-13");
        // Delays reach the longest allowed rest past the last day.
        let last = w.cal(4);
        assert!(w.day_at_or_after(last + MAX_DELAY_DAYS) > 4);
    }

    #[test]
    fn other_working_weeks_and_the_calendar_edge() {
        let sat = [Weekday::Saturday];
        let c = Calendar::new(Date::constant(2025, 1, 6), 0, 3, &sat).expect("calendar");
        assert_eq!(c.date(0).to_string(), "2025-01-11");
        assert_eq!(c.cal(1), 7);
        assert_eq!(
            Calendar::new(Date::constant(2025, 1, 6), 0, 3, &[]).err(),
            Some(CalendarError::NoWorkingDays)
        );
        assert_eq!(
            Calendar::new(Date::constant(9999, 12, 1), 0, 100, &MON_FRI).err(),
            Some(CalendarError::OutOfRange)
        );
    }
}
