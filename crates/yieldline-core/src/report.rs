//! The line report: every measurement of DESIGN §4 over a period, computed from the
//! event log reduced to [`Fact`]s.
//!
//! Definitions (the public contract of `yieldline report --format json`):
//! - counts are events of that kind at that station whose instant falls in the period's
//!   local days; `dispositions = passed + failed + recycled`; `yield = passed / dispositions`
//!   with a 95 % Wilson score interval;
//! - a *visit* pairs a disposition with the latest not-yet-paired `entered` of the same
//!   unit at the same station, in time order (ties by `event_id`); `wip` counts `entered`
//!   events not paired by the end of the period; cycle times are over the paired visits
//!   whose disposition falls in the period;
//! - `cohort`: the visits that entered in the period and what became of them by its end;
//!   its `yield` is `passed / entered` (open visits count, with `open` stated);
//! - `conversion` and `lag`: the same cohort followed to the as-of instant with
//!   censoring, and whether outcomes lag differently (see [`crate::conversion`]);
//! - `rty`, `line_capacity_per_day`, `bottleneck`, `production`, `breeding_ratio` and
//!   `territory` as in the module's field docs.

use std::collections::HashMap;

use jiff::civil::Date;
use rayon::slice::ParallelSliceMut;
use serde::Serialize;
use yieldline_stats::proportion::{Interval, Z95, wilson};
use yieldline_stats::quantile::{mean, quantile_linear};
use yieldline_stats::survival::Observation;

use crate::calendar::{epoch_day, local_date, period_bounds_micros, working_days_between};
use crate::conversion::{AsOf, Conversion, Lag, LagTimes, conversion_of, observation};
use crate::event::EventKind;
use crate::line::Line;
use crate::status::{UnitState, UnitStatus};
use crate::visits::{Pairing, Step, days_between, histories, unit_histories, visits_of};

pub mod measures;

/// Station index of a fact whose station is not in the current line.
pub const NO_STATION: u16 = u16::MAX;

/// [`Fact::flags`]: the event names a referral (a new unit).
pub const FLAG_REFERRAL: u8 = 1;
/// [`Fact::flags`]: a `failed` with a burning reason (`optout`, `bounced`, `negative`).
pub const FLAG_BURN: u8 = 2;
/// [`Fact::flags`]: the work was done by automation.
pub const FLAG_AUTOMATED: u8 = 4;
/// [`Fact::flags`]: a `failed` with reason `optout` (the person asked not to be contacted).
pub const FLAG_OPTOUT: u8 = 8;
/// [`Fact::flags`]: a `failed` with reason `negative` (a hostile reply).
pub const FLAG_NEGATIVE: u8 = 16;

/// One event reduced to what the measurements need (32 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fact {
    /// Instant, unix microseconds.
    pub ts: i64,
    /// The store's sequence number of the event (stable; used to look up ids for ties).
    pub seq: i64,
    /// Interned unit id.
    pub unit: u32,
    /// Index of the station in the line, or [`NO_STATION`].
    pub station: u16,
    /// What happened.
    pub kind: EventKind,
    /// `FLAG_*` bits.
    pub flags: u8,
    /// Resume date of a recycle, days since 1970-01-01 (`i32::MIN` if none).
    pub resume_on: i32,
    /// Effort recorded on the event, minutes (negative if none).
    pub cost_minutes: f32,
}

/// The event log in visit order: by unit, station, instant, then `event_id`.
#[derive(Debug, Clone, Default)]
pub struct FactLog {
    facts: Vec<Fact>,
}

impl FactLog {
    /// Orders facts for pairing. Facts of one unit at one station with the same instant
    /// are ordered by `event_id`: `event_ids` is asked for the ids of just those facts'
    /// sequence numbers (rare in real logs, so the store need not load every id).
    pub fn new<E>(
        mut facts: Vec<Fact>,
        event_ids: impl FnOnce(&[i64]) -> Result<HashMap<i64, String>, E>,
    ) -> Result<Self, E> {
        facts.par_sort_unstable_by_key(|f| (f.unit, f.station, f.ts, f.seq));
        let mut tied = Vec::new();
        for run in facts.chunk_by(|a, b| (a.unit, a.station, a.ts) == (b.unit, b.station, b.ts)) {
            if run.len() > 1 {
                tied.extend(run.iter().map(|f| f.seq));
            }
        }
        if !tied.is_empty() {
            let ids = event_ids(&tied)?;
            for run in
                facts.chunk_by_mut(|a, b| (a.unit, a.station, a.ts) == (b.unit, b.station, b.ts))
            {
                if run.len() > 1 {
                    run.sort_by(|a, b| {
                        ids.get(&a.seq)
                            .cmp(&ids.get(&b.seq))
                            .then(a.seq.cmp(&b.seq))
                    });
                }
            }
        }
        Ok(Self { facts })
    }

    /// The facts in visit order.
    pub fn facts(&self) -> &[Fact] {
        &self.facts
    }

    /// Number of facts.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// The first and last instants in the log.
    pub fn span(&self) -> Option<(i64, i64)> {
        let min = self.facts.iter().map(|f| f.ts).min()?;
        let max = self.facts.iter().map(|f| f.ts).max()?;
        Some((min, max))
    }
}

/// Cycle-time summary of a station's paired visits, in hours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleTime {
    /// Median (linear interpolation between order statistics).
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Paired visits the figures are over.
    pub visits: u64,
}

/// Of the units that entered the station in the period, what became of them by the end
/// of the period. For their fate after it, with censoring, see [`Conversion`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    /// Visits that entered in the period.
    pub entered: u64,
    /// Of those, passed by the end of the period.
    pub passed: u64,
    /// Of those, disposed (any disposition) by the end of the period.
    pub disposed: u64,
    /// Of those, still open at the end of the period: not (yet) passed, so they count in
    /// the yield's denominator.
    pub open: u64,
    /// `passed / entered`: the share of the period's entries passed by its end. Open
    /// visits are counted, not dropped, so a cohort most of which is still open shows a
    /// low yield and its `open` count, never a perfect one.
    #[serde(rename = "yield")]
    pub yield_: Option<f64>,
}

/// One station's measurements over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationReport {
    /// The station id.
    pub id: String,
    /// `entered` events.
    pub entered: u64,
    /// `passed` dispositions.
    pub passed: u64,
    /// `failed` dispositions.
    pub failed: u64,
    /// `recycled` dispositions.
    pub recycled: u64,
    /// `passed + failed + recycled`.
    pub dispositions: u64,
    /// `passed / dispositions` (null when there are none).
    #[serde(rename = "yield")]
    pub yield_: Option<f64>,
    /// 95 % Wilson score interval of the yield, `[lo, hi]`.
    pub yield_ci: Option<[f64; 2]>,
    /// `entered` events not paired with a disposition by the end of the period.
    pub wip: u64,
    /// Entry-to-disposition time of the paired visits disposed in the period.
    pub cycle_time_hours: CycleTime,
    /// `passed / working_days`.
    pub throughput_per_day: Option<f64>,
    /// `dispositions / working_days / capacity_per_day`.
    pub utilization: Option<f64>,
    /// Daily capacity from the line.
    pub capacity_per_day: f64,
    /// Target yield from the line, if set.
    pub target_yield: Option<f64>,
    /// `touch` events.
    pub touches: u64,
    /// Touches done by automation.
    pub automated_touches: u64,
    /// `optout` events recorded at the station.
    pub optouts: u64,
    /// Effort in minutes: the events' own `cost_minutes`, else the station's per disposition.
    pub cost_minutes: f64,
    /// Of the visits entered in the period, what became of them.
    pub cohort: Cohort,
    /// Of the visits entered in the period, followed to the as-of instant with
    /// censoring: cumulative incidence of passes and failures by horizon.
    pub conversion: Conversion,
    /// Whether passes and failures are recorded with different lags.
    pub lag: Lag,
}

/// The station that binds the actual flow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BindingConstraint {
    /// Station id.
    pub station: String,
    /// Its utilization: dispositions per working day / capacity.
    pub utilization: f64,
}

/// Daily production against the target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Production {
    /// Final-station passes per working day.
    pub per_day: Option<f64>,
    /// The line's target.
    pub target_per_day: f64,
    /// `target_per_day − per_day`.
    pub gap: Option<f64>,
    /// Final-station passes in the period.
    pub total: u64,
}

/// The territory at the end of the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Territory {
    /// What the units are (`"contacts"` or `"accounts"`): what every count and share here
    /// counts.
    pub units_are: &'static str,
    /// Units known: the territory's and the log's.
    pub units: u64,
    /// `burned / units` ([`measures::burned_share`]).
    pub burned_share: Option<f64>,
    /// Fresh units that first entered the first station per working day over the
    /// [`measures::FRESH_RATE_WORKING_DAYS`] working days ending on the period's last day
    /// (whatever the period's start; from the first event's day when the log is shorter).
    pub fresh_consumed_per_day: Option<f64>,
    /// Territory units that never entered any station.
    pub fresh: u64,
    /// Units with an open visit at some station.
    pub in_line: u64,
    /// Units recycled and not yet due.
    pub resting: u64,
    /// Units that opted out, bounced or answered negatively.
    pub burned: u64,
    /// Units that entered the line and are none of the above (passed through or failed).
    pub done: u64,
    /// Territory units imported.
    pub territory_units: u64,
    /// Fresh units that first entered the first station in the period.
    pub fresh_consumed: u64,
    /// `fresh / (fresh_consumed / working_days)`: days of fresh territory at the period's
    /// own intake ([`measures::days_of_fresh_territory`] over the period); `null` when no
    /// territory is imported (the territory is unknown, not exhausted).
    pub days_to_exhaustion: Option<f64>,
    /// Days of fresh territory, the figure report, plan and watch all quote:
    /// `fresh / fresh_consumed_per_day` (the intake of the trailing window, whatever the
    /// period's start); `null` as `days_to_exhaustion`.
    pub days_of_fresh_territory: Option<f64>,
}

/// The line report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The line's name.
    pub line: String,
    /// First local day of the period.
    pub from: Date,
    /// Last local day of the period.
    pub to: Date,
    /// Dates in the period that fall on the line's working days.
    pub working_days: u32,
    /// Stations in line order.
    pub stations: Vec<StationReport>,
    /// Rolled throughput yield: the product of the station yields.
    pub rty: Option<f64>,
    /// The theoretical bottleneck: the station attaining `line_capacity_per_day` (what
    /// would limit output if every station worked at capacity).
    pub bottleneck: Option<String>,
    /// The binding constraint on actual flow: the station with the highest utilization
    /// (dispositions per working day / capacity) in the period.
    pub binding_constraint: Option<BindingConstraint>,
    /// `min_s capacity_s × Π_{k≥s} yield_k`.
    pub line_capacity_per_day: Option<f64>,
    /// Daily production against target.
    pub production: Production,
    /// `(recycled + referrals) / fresh units consumed` in the period.
    pub breeding_ratio: Option<f64>,
    /// Recycled dispositions in the period (all stations).
    pub recycled: u64,
    /// Events naming a referral in the period.
    pub referrals: u64,
    /// The territory at the end of the period.
    pub territory: Territory,
    /// Touches per unit that entered the first station in the period.
    pub touches_per_unit: Option<f64>,
    /// Minutes of effort per final-station pass.
    pub cost_per_output_minutes: Option<f64>,
    /// Events in the log at stations the line no longer has (not measured).
    pub events_at_unknown_stations: u64,
}

/// Why a report cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// No period given and no events to derive one from.
    #[error("the store has no events yet: import some, or give --from and --to")]
    NoEvents,
    /// `from` is after `to`.
    #[error("the period is empty: --from {from} is after --to {to}")]
    EmptyPeriod {
        /// Start.
        from: Date,
        /// End.
        to: Date,
    },
    /// The conversion estimate failed (a visit with an invalid time).
    #[error("cannot estimate cohort conversion: {0}")]
    Conversion(String),
}

/// The period a report covers; absent ends default to the first and last event day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    /// First local day.
    pub from: Option<Date>,
    /// Last local day.
    pub to: Option<Date>,
}

impl Period {
    /// Resolves absent ends against the log.
    pub fn resolve(self, line: &Line, log: &FactLog) -> Result<(Date, Date), ReportError> {
        let span = log.span();
        let day = |us: i64| {
            local_date(
                line,
                jiff::Timestamp::from_microsecond(us).unwrap_or_default(),
            )
        };
        let from = match (self.from, span) {
            (Some(d), _) => d,
            (None, Some((lo, _))) => day(lo),
            (None, None) => return Err(ReportError::NoEvents),
        };
        let to = match (self.to, span) {
            (Some(d), _) => d,
            (None, Some((_, hi))) => day(hi),
            (None, None) => return Err(ReportError::NoEvents),
        };
        if from > to {
            return Err(ReportError::EmptyPeriod { from, to });
        }
        Ok((from, to))
    }
}

#[derive(Default, Clone)]
struct Acc {
    entered: u64,
    passed: u64,
    failed: u64,
    recycled: u64,
    touches: u64,
    automated_touches: u64,
    optouts: u64,
    wip: u64,
    cost: f64,
    cycle_hours: Vec<f64>,
    cohort_entered: u64,
    cohort_passed: u64,
    cohort_disposed: u64,
}

/// Computes the line report over `period` from the ordered log and the territory's units,
/// following the period's cohorts to the latest event (see [`report_as_of`]).
pub fn report(
    line: &Line,
    log: &FactLog,
    territory: &[u32],
    period: Period,
) -> Result<Report, ReportError> {
    report_as_of(line, log, territory, period, None)
}

/// Each station's conversion of the visits entered in `start..end` (unix µs), followed
/// to `as_of`, and the lag of its outcomes over every visit disposed by then. One pass
/// over the log, keeping only each cohort visit's observation and each disposed visit's
/// time.
pub fn conversions(
    line: &Line,
    log: &FactLog,
    (start, end): (i64, i64),
    as_of: AsOf,
) -> Result<Vec<(Conversion, Lag)>, ReportError> {
    let n = line.stations.len();
    let mut obs: Vec<Vec<Observation>> = vec![Vec::new(); n];
    let mut earliest: Vec<Option<i64>> = vec![None; n];
    let mut lags: Vec<LagTimes> = vec![LagTimes::default(); n];
    let mut buf = Vec::new();
    for h in histories(log) {
        let s = usize::from(h[0].station);
        if s >= n {
            continue;
        }
        buf.clear();
        visits_of(h, as_of.until, &mut buf);
        for v in &buf {
            lags[s].add(v);
            if let Some(e) = v.entered.filter(|&e| e >= start && e < end)
                && let Some(o) = observation(v, as_of)
            {
                obs[s].push(o);
                earliest[s] = Some(earliest[s].map_or(e, |x| x.min(e)));
            }
        }
    }
    obs.into_iter()
        .zip(earliest)
        .zip(lags)
        .map(|((o, first), l)| {
            let follow_up = first.map_or(0.0, |e| days_between(e, as_of.instant));
            let c = conversion_of(&o, follow_up, as_of)
                .map_err(|e| ReportError::Conversion(e.to_string()))?;
            Ok((c, l.lag()))
        })
        .collect()
}

/// [`report`], with the cohorts followed to `as_of` (default: the latest event's
/// instant).
pub fn report_as_of(
    line: &Line,
    log: &FactLog,
    territory: &[u32],
    period: Period,
    as_of: Option<AsOf>,
) -> Result<Report, ReportError> {
    let (from, to) = period.resolve(line, log)?;
    let (start, end) = period_bounds_micros(line, from, to);
    let in_period = |ts: i64| ts >= start && ts < end;
    let to_day = epoch_day(to);
    let n_st = line.stations.len();
    let mut acc = vec![Acc::default(); n_st];

    let max_unit = log
        .facts()
        .iter()
        .map(|f| f.unit)
        .chain(territory.iter().copied())
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut states = vec![UnitState::default(); max_unit];
    let mut recycled_total = 0u64;
    let mut referrals = 0u64;
    let mut fresh_consumed = 0u64;
    // Fresh consumption over the trailing window of the one definition of days of
    // fresh territory.
    // (from the first event's day when the log is shorter).
    let first_day = log.span().map(|(t, _)| {
        local_date(
            line,
            jiff::Timestamp::from_microsecond(t).unwrap_or_default(),
        )
    });
    let rate_from =
        crate::plan::last_working_days_from(line, to, measures::FRESH_RATE_WORKING_DAYS)
            .max(first_day.unwrap_or(from).min(to));
    let rate_start = period_bounds_micros(line, rate_from, to).0;
    let mut fresh_consumed_recent = 0u64;
    let mut unknown = 0u64;
    let mut pairing = Pairing::default();

    for unit_facts in log.facts().chunk_by(|a, b| a.unit == b.unit) {
        let unit = unit_facts[0].unit as usize;
        let mut us = UnitState::default();
        let mut first_entry_at_first: Option<i64> = None;

        for group in unit_histories(unit_facts) {
            let st = group[0].station;
            pairing.clear();
            if st == NO_STATION {
                unknown += group.len() as u64;
                for f in group.iter().filter(|f| f.ts < end) {
                    us.observe(f);
                    pairing.step(f);
                }
                continue;
            }
            let s = usize::from(st);
            let a = &mut acc[s];
            let station = &line.stations[s];
            for f in group {
                let p = in_period(f.ts);
                if p {
                    if f.flags & FLAG_REFERRAL != 0 {
                        referrals += 1;
                    }
                    if f.cost_minutes >= 0.0 {
                        a.cost += f64::from(f.cost_minutes);
                    } else if f.kind.is_disposition() {
                        a.cost += station.cost_minutes;
                    }
                    match f.kind {
                        EventKind::Entered => {
                            a.entered += 1;
                            a.cohort_entered += 1;
                        }
                        EventKind::Touch => {
                            a.touches += 1;
                            if f.flags & FLAG_AUTOMATED != 0 {
                                a.automated_touches += 1;
                            }
                        }
                        EventKind::Optout => a.optouts += 1,
                        EventKind::Passed => a.passed += 1,
                        EventKind::Failed => a.failed += 1,
                        EventKind::Recycled => {
                            a.recycled += 1;
                            recycled_total += 1;
                        }
                    }
                }
                if f.kind == EventKind::Entered && s == 0 && first_entry_at_first.is_none() {
                    first_entry_at_first = Some(f.ts);
                }
                if f.ts >= end {
                    continue;
                }
                us.observe(f);
                if let Step::Disposed(Some(entered_ts)) = pairing.step(f) {
                    if p {
                        a.cycle_hours.push((f.ts - entered_ts) as f64 / 3.6e9);
                    }
                    // The visit entered in the period (it entered before the end).
                    if entered_ts >= start {
                        a.cohort_disposed += 1;
                        if f.kind == EventKind::Passed {
                            a.cohort_passed += 1;
                        }
                    }
                }
            }
            a.wip += pairing.open().len() as u64;
            us.close_history(st, &pairing);
        }

        if let Some(t) = first_entry_at_first {
            if in_period(t) {
                fresh_consumed += 1;
            }
            if t >= rate_start && t < end {
                fresh_consumed_recent += 1;
            }
        }
        states[unit] = us;
    }

    let mut terr = Territory {
        units_are: measures::unit_word(line),
        units: 0,
        burned_share: None,
        fresh_consumed_per_day: None,
        fresh: 0,
        in_line: 0,
        resting: 0,
        burned: 0,
        done: 0,
        territory_units: territory.len() as u64,
        fresh_consumed,
        days_to_exhaustion: None,
        days_of_fresh_territory: None,
    };
    let mut in_territory = vec![false; max_unit];
    for &u in territory {
        in_territory[u as usize] = true;
    }
    for (st, &t) in states.iter().zip(&in_territory) {
        match st.status(t, to_day) {
            Some(UnitStatus::Fresh) => terr.fresh += 1,
            Some(UnitStatus::InLine) => terr.in_line += 1,
            Some(UnitStatus::Resting) => terr.resting += 1,
            Some(UnitStatus::Burned) => terr.burned += 1,
            Some(UnitStatus::Done) => terr.done += 1,
            None => {}
        }
    }
    terr.units = terr.fresh + terr.in_line + terr.resting + terr.burned + terr.done;
    terr.burned_share = measures::burned_share(terr.burned, terr.units);
    terr.fresh_consumed_per_day = measures::fresh_consumed_per_day(
        fresh_consumed_recent,
        working_days_between(line, rate_from, to),
    );

    let as_of = as_of.unwrap_or_else(|| AsOf::latest_event(log.span().map_or(end, |s| s.1)));
    let conv = conversions(line, log, (start, end), as_of)?;

    let working_days = working_days_between(line, from, to);
    let wd = (working_days > 0).then_some(f64::from(working_days));
    let stations: Vec<StationReport> = line
        .stations
        .iter()
        .zip(acc)
        .zip(conv)
        .map(|((st, mut a), (conversion, lag))| {
            let dispositions = a.passed + a.failed + a.recycled;
            let yield_ = (dispositions > 0).then(|| a.passed as f64 / dispositions as f64);
            let yield_ci = wilson(a.passed, dispositions, Z95).map(|Interval { lo, hi }| [lo, hi]);
            a.cycle_hours.sort_unstable_by(f64::total_cmp);
            let cohort_disposed = a.cohort_disposed;
            StationReport {
                id: st.id.clone(),
                entered: a.entered,
                passed: a.passed,
                failed: a.failed,
                recycled: a.recycled,
                dispositions,
                yield_,
                yield_ci,
                wip: a.wip,
                cycle_time_hours: CycleTime {
                    p50: quantile_linear(&a.cycle_hours, 0.5),
                    p90: quantile_linear(&a.cycle_hours, 0.9),
                    mean: mean(&a.cycle_hours),
                    visits: a.cycle_hours.len() as u64,
                },
                throughput_per_day: wd.map(|d| a.passed as f64 / d),
                utilization: wd.map(|d| dispositions as f64 / d / st.capacity_per_day),
                capacity_per_day: st.capacity_per_day,
                target_yield: st.target_yield,
                touches: a.touches,
                automated_touches: a.automated_touches,
                optouts: a.optouts,
                cost_minutes: a.cost,
                cohort: Cohort {
                    entered: a.cohort_entered,
                    passed: a.cohort_passed,
                    disposed: cohort_disposed,
                    open: a.cohort_entered - cohort_disposed,
                    yield_: (a.cohort_entered > 0)
                        .then(|| a.cohort_passed as f64 / a.cohort_entered as f64),
                },
                conversion,
                lag,
            }
        })
        .collect();

    let yields: Option<Vec<f64>> = stations.iter().map(|s| s.yield_).collect();
    let rty = yields.as_ref().map(|ys| ys.iter().product());
    let (line_capacity_per_day, bottleneck) = match &yields {
        Some(ys) => {
            let mut best: Option<(f64, usize)> = None;
            for (i, st) in line.stations.iter().enumerate() {
                let cap = st.capacity_per_day * ys[i..].iter().product::<f64>();
                if best.is_none_or(|(b, _)| cap < b) {
                    best = Some((cap, i));
                }
            }
            (
                best.map(|b| b.0),
                best.map(|b| line.stations[b.1].id.clone()),
            )
        }
        None => (None, None),
    };
    let binding_constraint = stations
        .iter()
        .filter_map(|s| s.utilization.map(|u| (u, s)))
        .filter(|(u, _)| *u > 0.0)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(u, s)| BindingConstraint {
            station: s.id.clone(),
            utilization: u,
        });
    let final_passed = stations.last().map_or(0, |s| s.passed);
    let per_day = measures::production_per_day(final_passed, working_days);
    let production = Production {
        per_day,
        target_per_day: line.target_per_day,
        gap: per_day.map(|p| line.target_per_day - p),
        total: final_passed,
    };
    let breeding_ratio =
        (fresh_consumed > 0).then(|| (recycled_total + referrals) as f64 / fresh_consumed as f64);
    let known = terr.territory_units > 0;
    terr.days_to_exhaustion = known
        .then(|| {
            measures::days_of_fresh_territory(
                terr.fresh,
                measures::fresh_consumed_per_day(fresh_consumed, working_days),
            )
        })
        .flatten();
    terr.days_of_fresh_territory = known
        .then(|| measures::days_of_fresh_territory(terr.fresh, terr.fresh_consumed_per_day))
        .flatten();
    let first_entered = stations.first().map_or(0, |s| s.entered);
    let total_touches: u64 = stations.iter().map(|s| s.touches).sum();
    let total_cost: f64 = stations.iter().map(|s| s.cost_minutes).sum();

    Ok(Report {
        line: line.name.clone(),
        from,
        to,
        working_days,
        rty,
        bottleneck,
        binding_constraint,
        line_capacity_per_day,
        production,
        breeding_ratio,
        recycled: recycled_total,
        referrals,
        territory: terr,
        touches_per_unit: (first_entered > 0).then(|| total_touches as f64 / first_entered as f64),
        cost_per_output_minutes: (final_passed > 0).then(|| total_cost / final_passed as f64),
        events_at_unknown_stations: unknown,
        stations,
    })
}

#[cfg(test)]
mod tests;
