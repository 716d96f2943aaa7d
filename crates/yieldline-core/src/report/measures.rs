//! One definition each of the figures that report, plan, watch and simulate all quote:
//! burned share, days of fresh territory and production per day.

use crate::line::{Line, UnitKind};

/// Working days, ending on the day measured, over which fresh consumption is taken for
/// [`days_of_fresh_territory`] — the same window whatever period a report covers, so
/// report, plan and watch quote one figure for one day.
pub const FRESH_RATE_WORKING_DAYS: u32 = 60;

/// What the line's units are, in words (`"contacts"` or `"accounts"`): what a burned
/// share or a fresh count counts.
pub fn unit_word(line: &Line) -> &'static str {
    match line.unit {
        UnitKind::Contact => "contacts",
        UnitKind::Account => "accounts",
    }
}

/// Burned share: burned units over all units known (the territory's and the log's), of
/// the line's unit; `None` with no unit.
pub fn burned_share(burned: u64, units: u64) -> Option<f64> {
    (units > 0).then(|| burned as f64 / units as f64)
}

/// Fresh units consumed per working day: units first entering the first station over
/// `working_days`; `None` over no working day.
pub fn fresh_consumed_per_day(consumed: u64, working_days: u32) -> Option<f64> {
    (working_days > 0).then(|| consumed as f64 / f64::from(working_days))
}

/// Days of fresh territory: fresh units left over fresh units consumed per working day
/// (`None` when nothing is consumed: the territory does not run out at that rate).
pub fn days_of_fresh_territory(fresh: u64, consumed_per_day: Option<f64>) -> Option<f64> {
    consumed_per_day
        .filter(|r| *r > 0.0)
        .map(|r| fresh as f64 / r)
}

/// Production per day: final-station passes per working day; `None` over no working day.
pub fn production_per_day(final_passes: u64, working_days: u32) -> Option<f64> {
    (working_days > 0).then(|| final_passes as f64 / f64::from(working_days))
}
