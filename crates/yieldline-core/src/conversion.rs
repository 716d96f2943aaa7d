//! Cohort conversion with censoring: of the visits that *entered* a station in a period,
//! what share passed (or failed) within 7, 14, 30, 60 and 90 days, each visit followed to
//! an as-of instant.
//!
//! Definitions (the `stations[].conversion` object of `report --format json`):
//! - the **cohort** is every visit (see [`crate::visits`]) whose `entered` falls in the
//!   period's local days and before the as-of instant;
//! - the **as-of instant** is the latest event's `ts` in the log, or the end of an
//!   `--as-of` day in the line's zone; facts after it are not seen, so a visit disposed
//!   after it is open (censored) there;
//! - a visit's **time** is `(disposition ts − entry ts) / 86 400 s`, or `(as-of − entry
//!   ts) / 86 400 s` for an open one;
//! - `passed`, `failed` and `recycled` are **competing** outcomes: `passed_by[h]` and
//!   `failed_by[h]` are their Aalen–Johansen cumulative incidences at `h` days, with 95 %
//!   log(−log) intervals on Aalen's variance; `median_days_to_disposition` is the
//!   Kaplan–Meier median time to any disposition (`null` when fewer than half are disposed
//!   by the end of follow-up). The estimators are [`yieldline_stats::survival`]'s;
//! - a horizon longer than the cohort's longest follow-up (`as-of − earliest entry`) is
//!   `null`: the estimate carries no information there. Every figure is `null` when no
//!   visit entered.
//!
//! **Lag** ([`Lag`]): over every visit of the station disposed by the as-of instant,
//! whatever its entry day, the median days to a pass against the median days to a
//! failure. When one outcome is recorded much later than the other (at least
//! [`LAG_MIN_DAYS`] days and [`LAG_MIN_RATIO`] times later, each median over at least
//! [`LAG_MIN_VISITS`] visits), period yields — counted by disposition day — mix cohorts:
//! a recent window sees the fast outcome of recent entries and the slow outcome of old
//! ones. Cohort conversion does not.

use jiff::Timestamp;
use serde::Serialize;
use yieldline_stats::StatsError;
use yieldline_stats::quantile::quantile_linear;
use yieldline_stats::survival::{Observation, aalen_johansen};

use crate::event::EventKind;
use crate::visits::{Visit, days_between};

/// The horizons conversion is read at, in days.
pub const HORIZONS_DAYS: [u32; 5] = [7, 14, 30, 60, 90];
/// Cause index of `passed` in the competing-risks estimate.
pub const CAUSE_PASSED: usize = 0;
/// Cause index of `failed`.
pub const CAUSE_FAILED: usize = 1;
/// Cause index of `recycled`.
pub const CAUSE_RECYCLED: usize = 2;
/// Significance level of the intervals (95 %).
pub const ALPHA: f64 = 0.05;
/// Lag: the slower outcome's median must exceed the faster one's by at least this many days…
pub const LAG_MIN_DAYS: f64 = 14.0;
/// … and be at least this many times as long.
pub const LAG_MIN_RATIO: f64 = 3.0;
/// Lag: disposed visits each median needs.
pub const LAG_MIN_VISITS: u64 = 10;

/// The instant a cohort is followed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    /// The instant (unix µs): open visits are censored here.
    pub instant: i64,
    /// Facts strictly before this (unix µs) are seen.
    pub until: i64,
}

impl AsOf {
    /// Followed to the latest event (`ts` unix µs): that event is seen.
    pub fn latest_event(ts: i64) -> Self {
        Self {
            instant: ts,
            until: ts.saturating_add(1),
        }
    }

    /// Followed to an instant, facts at or after it unseen (e.g. the end of a day).
    pub fn end_at(instant: i64) -> Self {
        Self {
            instant,
            until: instant,
        }
    }

    /// The instant as a timestamp.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::from_microsecond(self.instant).unwrap_or_default()
    }
}

/// One station's cohort conversion (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    /// The instant the cohort is followed to (RFC 3339).
    pub as_of: Timestamp,
    /// Visits in the cohort.
    pub visits: u64,
    /// Of those, still open at the as-of instant.
    pub open: u64,
    /// The horizons, in days.
    pub horizons_days: [u32; 5],
    /// Cumulative incidence of `passed` at each horizon.
    pub passed_by: Option<Vec<Option<f64>>>,
    /// Its 95 % intervals, `[lo, hi]`.
    pub passed_by_ci: Option<Vec<Option<[f64; 2]>>>,
    /// Cumulative incidence of `failed` at each horizon.
    pub failed_by: Option<Vec<Option<f64>>>,
    /// Kaplan–Meier median days to any disposition.
    pub median_days_to_disposition: Option<f64>,
}

/// One visit of a cohort as the estimator sees it.
pub fn observation(v: &Visit, as_of: AsOf) -> Option<Observation> {
    let entered = v.entered?;
    Some(match v.disposal {
        Some(d) => {
            let cause = match d.kind {
                EventKind::Passed => CAUSE_PASSED,
                EventKind::Failed => CAUSE_FAILED,
                _ => CAUSE_RECYCLED,
            };
            Observation::event(days_between(entered, d.ts).max(0.0), cause)
        }
        None => Observation::censored(days_between(entered, as_of.instant).max(0.0)),
    })
}

/// The conversion of one cohort of visits (`visits` entered before `as_of.until`, the
/// period filter already applied), read at the [`HORIZONS_DAYS`].
pub fn conversion(visits: &[Visit], as_of: AsOf) -> Result<Conversion, StatsError> {
    let obs: Vec<Observation> = visits
        .iter()
        .filter_map(|v| observation(v, as_of))
        .collect();
    conversion_of(&obs, follow_up_days(visits, as_of), as_of)
}

/// Days from the earliest entry of `visits` to the as-of instant (0 if none).
pub fn follow_up_days(visits: &[Visit], as_of: AsOf) -> f64 {
    visits
        .iter()
        .filter_map(|v| v.entered)
        .min()
        .map_or(0.0, |e| days_between(e, as_of.instant))
}

/// [`conversion`] from the cohort's observations and its longest follow-up in days.
pub fn conversion_of(
    obs: &[Observation],
    follow_up: f64,
    as_of: AsOf,
) -> Result<Conversion, StatsError> {
    let open = obs.iter().filter(|o| o.outcome.is_none()).count() as u64;
    let mut c = Conversion {
        as_of: as_of.timestamp(),
        visits: obs.len() as u64,
        open,
        horizons_days: HORIZONS_DAYS,
        passed_by: None,
        passed_by_ci: None,
        failed_by: None,
        median_days_to_disposition: None,
    };
    let Some(est) = aalen_johansen(obs, 3)? else {
        return Ok(c);
    };
    let hs: Vec<f64> = HORIZONS_DAYS.iter().map(|&h| f64::from(h)).collect();
    let known = |h: f64| h <= follow_up;
    let passed = est.cif_at(CAUSE_PASSED, &hs)?;
    let ci = est.cif_intervals_at(CAUSE_PASSED, &hs, ALPHA)?;
    let failed = est.cif_at(CAUSE_FAILED, &hs)?;
    c.passed_by = Some(
        hs.iter()
            .zip(&passed)
            .map(|(&h, &p)| known(h).then_some(p))
            .collect(),
    );
    c.passed_by_ci = Some(
        hs.iter()
            .zip(&ci)
            .map(|(&h, i)| known(h).then_some([i.lo, i.hi]))
            .collect(),
    );
    c.failed_by = Some(
        hs.iter()
            .zip(&failed)
            .map(|(&h, &f)| known(h).then_some(f))
            .collect(),
    );
    c.median_days_to_disposition = est.median();
    Ok(c)
}

/// The cumulative incidence of `passed` at `horizon_days` over a cohort, with the
/// number of visits it rests on: the cohort-basis yield of plan and watch. `None` when
/// the cohort is empty or its follow-up is shorter than the horizon.
pub fn passed_within(
    visits: &[Visit],
    as_of: AsOf,
    horizon_days: f64,
) -> Result<Option<(f64, u64)>, StatsError> {
    let obs: Vec<Observation> = visits
        .iter()
        .filter_map(|v| observation(v, as_of))
        .collect();
    let Some(est) = aalen_johansen(&obs, 3)? else {
        return Ok(None);
    };
    let follow_up = follow_up_days(visits, as_of);
    if follow_up < horizon_days {
        return Ok(None);
    }
    let f = est.cif_at(CAUSE_PASSED, &[horizon_days])?;
    Ok(f.first().map(|&p| (p, obs.len() as u64)))
}

/// The cumulative incidence of `passed` on each whole day `0..=max_days` that the
/// cohort's follow-up covers: the points of a conversion curve, `(day, share passed)`.
pub fn passed_curve(
    visits: &[Visit],
    as_of: AsOf,
    max_days: u32,
) -> Result<Vec<(u32, f64)>, StatsError> {
    let obs: Vec<Observation> = visits
        .iter()
        .filter_map(|v| observation(v, as_of))
        .collect();
    let Some(est) = aalen_johansen(&obs, 3)? else {
        return Ok(Vec::new());
    };
    let follow_up = follow_up_days(visits, as_of);
    let days: Vec<u32> = (0..=max_days)
        .take_while(|&d| f64::from(d) <= follow_up)
        .collect();
    let hs: Vec<f64> = days.iter().map(|&d| f64::from(d)).collect();
    let f = est.cif_at(CAUSE_PASSED, &hs)?;
    Ok(days.into_iter().zip(f).collect())
}

/// How entry cohorts are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CohortGrain {
    /// By the week of entry (Monday first), in the line's zone.
    #[default]
    Week,
    /// By the calendar month of entry.
    Month,
}

/// The visits of `station` that entered in `start..end` (unix µs) and before
/// `as_of.until`, grouped into entry cohorts: (first day of the cohort, its visits), in
/// day order.
pub fn entry_cohorts(
    line: &crate::line::Line,
    log: &crate::report::FactLog,
    station: usize,
    (start, end): (i64, i64),
    as_of: AsOf,
    grain: CohortGrain,
) -> Vec<(jiff::civil::Date, Vec<Visit>)> {
    let mut groups: std::collections::BTreeMap<jiff::civil::Date, Vec<Visit>> =
        std::collections::BTreeMap::new();
    for h in crate::visits::histories(log).filter(|h| usize::from(h[0].station) == station) {
        let mut vs = Vec::new();
        crate::visits::visits_of(h, as_of.until, &mut vs);
        for v in vs {
            let Some(e) = v.entered.filter(|&e| e >= start && e < end) else {
                continue;
            };
            let day = crate::calendar::local_date(
                line,
                Timestamp::from_microsecond(e).unwrap_or_default(),
            );
            let key = match grain {
                CohortGrain::Week => crate::series::week_start(day),
                CohortGrain::Month => day.first_of_month(),
            };
            groups.entry(key).or_default().push(v);
        }
    }
    groups.into_iter().collect()
}

/// Which yields a plan or a watch is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BasisKind {
    /// Period yields: passes over dispositions recorded in the window.
    Period,
    /// Cohort conversion: the share of the entries passed within a horizon.
    Cohort,
}

/// The yields' basis as stated in a plan or a watch: which, at what horizon, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Basis {
    /// Period or cohort.
    pub basis: BasisKind,
    /// The cohort horizon in days (cohort basis only).
    pub horizon_days: Option<u32>,
    /// Why this basis.
    pub reason: String,
}

impl Basis {
    /// The period basis with its reason.
    pub fn period(reason: impl Into<String>) -> Self {
        Self {
            basis: BasisKind::Period,
            horizon_days: None,
            reason: reason.into(),
        }
    }

    /// The cohort basis at `horizon_days`, with its reason.
    pub fn cohort(horizon_days: u32, reason: impl Into<String>) -> Self {
        Self {
            basis: BasisKind::Cohort,
            horizon_days: Some(horizon_days),
            reason: reason.into(),
        }
    }
}

/// Whether a station's outcomes are recorded with different lags (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lag {
    /// Median days from entry to a pass, over visits passed by the as-of instant.
    pub median_days_to_pass: Option<f64>,
    /// Median days from entry to a failure, over visits failed by the as-of instant.
    pub median_days_to_fail: Option<f64>,
    /// Passed visits the first median is over.
    pub passes: u64,
    /// Failed visits the second median is over.
    pub failures: u64,
    /// Whether the outcomes lag differently.
    pub detected: bool,
    /// What it means, when detected.
    pub note: Option<String>,
}

/// The lag of one station's outcomes over its disposed visits (any entry day).
pub fn lag(visits: &[Visit]) -> Lag {
    let mut times = LagTimes::default();
    for v in visits {
        times.add(v);
    }
    times.lag()
}

/// Days to a pass and to a failure of a station's disposed visits, collected one visit
/// at a time (see [`lag`]).
#[derive(Debug, Clone, Default)]
pub struct LagTimes {
    pass: Vec<f64>,
    fail: Vec<f64>,
}

impl LagTimes {
    /// Adds one visit (open ones and orphans are ignored).
    pub fn add(&mut self, v: &Visit) {
        match (v.days(), v.disposal.map(|d| d.kind)) {
            (Some(d), Some(EventKind::Passed)) => self.pass.push(d),
            (Some(d), Some(EventKind::Failed)) => self.fail.push(d),
            _ => {}
        }
    }

    /// The medians and the verdict.
    pub fn lag(mut self) -> Lag {
        self.pass.sort_unstable_by(f64::total_cmp);
        self.fail.sort_unstable_by(f64::total_cmp);
        let mp = quantile_linear(&self.pass, 0.5);
        let mf = quantile_linear(&self.fail, 0.5);
        let (np, nf) = (self.pass.len() as u64, self.fail.len() as u64);
        let mut out = Lag {
            median_days_to_pass: mp,
            median_days_to_fail: mf,
            passes: np,
            failures: nf,
            detected: false,
            note: None,
        };
        if let (Some(p), Some(f)) = (mp, mf)
            && np >= LAG_MIN_VISITS
            && nf >= LAG_MIN_VISITS
        {
            let (fast, slow, fast_name, slow_name) = if p <= f {
                (p, f, "passes", "failures")
            } else {
                (f, p, "failures", "passes")
            };
            if slow - fast >= LAG_MIN_DAYS && slow >= LAG_MIN_RATIO * fast {
                out.detected = true;
                out.note = Some(format!(
                    "outcomes lag differently: {fast_name} are recorded after {fast:.1} days (median), {slow_name} after {slow:.1}; a period yield counts recent {fast_name} against old {slow_name}, so read the cohort conversion"
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
