//! Planning: from a daily target to the inputs it needs (the backward plan), and a
//! Monte Carlo forward check of whether the line can actually deliver it.
//!
//! Backward plan, for target `N` final passes per working day and measured yields `y`:
//! - `required_passes_per_day[s] = N / Π_{k>s} y_k` (the passes station `s` must make so
//!   that, after the later stations' losses, `N` come out of the last one);
//! - `required_dispositions_per_day[s] = required_passes_per_day[s] / y_s`;
//! - `capacity_ok = required_dispositions_per_day ≤ capacity_per_day`, and the shortfall;
//! - `fresh_per_day = required_dispositions_per_day[first] − recycled_due_per_day` (recycled
//!   units coming due re-enter and need no fresh target);
//! - `days_to_exhaustion`: the report's days of fresh territory at the current intake
//!   (one definition with report and watch, `report::measures::days_of_fresh_territory`),
//!   and `days_to_exhaustion_at_planned_intake = fresh territory / fresh_per_day` (both
//!   `null` when no territory is imported: unknown, not exhausted).
//!
//! The yields are the report's period yields ([`plan`]) or any others with their basis
//! stated ([`plan_with`], e.g. cohort conversion on a line whose outcomes lag).
//!
//! Forward check: each run is one working day. Each station's yield is drawn from its
//! Beta(1 + passed, 1 + failed + recycled) posterior; arrivals at the first station are
//! Poisson with mean `fresh_per_day + recycled_due_per_day` (only the recycled ones when
//! an imported territory has no fresh unit left); each station disposes of at
//! most its capacity and passes a Binomial(disposed, yield) share on to the next. The
//! runs are split into fixed chunks, each with its own stream seeded from (seed, chunk),
//! so results are identical for a given seed whatever the number of threads.

use rand::SeedableRng;
use rand_distr::{Beta, Binomial, Distribution, Poisson};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use serde::Serialize;

use crate::conversion::Basis;
use crate::line::Line;
use crate::report::Report;

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The target is not a positive number up to [`crate::line::MAX_PER_DAY`].
    #[error(
        "the target must be a positive number of final passes per day, at most 1000000, got {0}"
    )]
    BadTarget(f64),
    /// The recycled units due per day are not a non-negative number.
    #[error("the recycled units due per day must be a non-negative number, got {0}")]
    BadRecycled(f64),
    /// A station has no dispositions in the period, so its yield is unknown.
    #[error(
        "station {0} has no dispositions in the period: its yield is unknown, so no plan can be made (widen --from/--to or import more events)"
    )]
    NoYield(String),
    /// A station's yield is zero: no input can produce the target.
    #[error("station {0} passed nothing in the period (yield 0): no input can reach the target")]
    ZeroYield(String),
    /// The run count is zero.
    #[error("the Monte Carlo needs at least one run")]
    NoRuns,
    /// The run count is over [`MAX_RUNS`].
    #[error(
        "{0} Monte Carlo runs is over the limit of {MAX_RUNS} (100,000 already pin the chance to hit within ±0.3 points)"
    )]
    TooManyRuns(u32),
}

/// Most Monte Carlo runs a plan may ask for (`plan --runs`, 1 to 1,000,000): every
/// interface gets the bound from [`plan`].
pub const MAX_RUNS: u32 = 1_000_000;

/// One station's part of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationPlan {
    /// Station id.
    pub id: String,
    /// Measured yield.
    #[serde(rename = "yield")]
    pub yield_: f64,
    /// Passes the station must make per working day.
    pub required_passes_per_day: f64,
    /// Dispositions the station must make per working day.
    pub required_dispositions_per_day: f64,
    /// The station's capacity.
    pub capacity_per_day: f64,
    /// Whether the capacity covers the required dispositions.
    pub capacity_ok: bool,
    /// Extra daily capacity needed (0 when it suffices).
    pub extra_capacity_needed: f64,
}

/// The forward check's distribution of daily output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonteCarlo {
    /// Simulated days.
    pub runs: u32,
    /// Seed of the simulation.
    pub seed: u64,
    /// 10th percentile of final passes per day.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Mean.
    pub mean: f64,
    /// Share of simulated days reaching the target.
    pub chance_to_hit: f64,
}

/// The days a plan's yields and output were measured over.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// First local day.
    pub from: jiff::civil::Date,
    /// Last local day.
    pub to: jiff::civil::Date,
    /// Working days in it.
    pub working_days: u32,
}

/// The plan for a daily target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Final passes wanted per working day.
    pub target: f64,
    /// The measurement window of the yields and the current output.
    pub window: Window,
    /// Final passes per working day now (over the window).
    pub current_output_per_day: Option<f64>,
    /// Whether a territory is imported (without one, how long it lasts is unknown).
    pub territory_known: bool,
    /// What the plan's figures mean for the target, in sentences (e.g. no fresh
    /// territory left).
    pub notes: Vec<String>,
    /// Which yields the plan is made of (period yields or cohort conversion), and why.
    pub basis: Basis,
    /// The stations whose outcomes lag differently, in sentences (see
    /// [`crate::conversion::Lag`]).
    pub lag_notes: Vec<String>,
    /// Stations in line order.
    pub stations: Vec<StationPlan>,
    /// Recycled units coming due per working day (they re-enter without fresh input).
    pub recycled_due_per_day: f64,
    /// Fresh territory units the first station needs per working day.
    pub fresh_per_day: f64,
    /// Fresh territory left.
    pub fresh_available: u64,
    /// Working days the fresh territory lasts at the current intake: the report's days
    /// of fresh territory (the figure report and watch quote).
    pub days_to_exhaustion: Option<f64>,
    /// Working days the fresh territory lasts at the planned `fresh_per_day`.
    pub days_to_exhaustion_at_planned_intake: Option<f64>,
    /// The capacity-bound station that limits output, if any is short.
    pub short_stations: Vec<String>,
    /// The forward check.
    pub monte_carlo: MonteCarlo,
}

/// Inputs of a plan besides the measured report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanInput {
    /// Final passes wanted per working day.
    pub target: f64,
    /// Recycled units coming due per working day.
    pub recycled_due_per_day: f64,
    /// Monte Carlo runs.
    pub runs: u32,
    /// Monte Carlo seed.
    pub seed: u64,
}

/// Observed counts of one station: what its yield posterior is drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StationCounts {
    /// Passed dispositions.
    pub passed: u64,
    /// Failed plus recycled dispositions.
    pub not_passed: u64,
    /// Daily capacity.
    pub capacity: f64,
}

/// A station's yield as a plan uses it, and the counts its Monte Carlo posterior is
/// drawn from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanYield {
    /// The yield (`None`: unknown).
    pub yield_: Option<f64>,
    /// Passes (or their cohort equivalent, yield × visits).
    pub passed: u64,
    /// The rest.
    pub not_passed: u64,
}

/// The report's period yields: `passed / dispositions` in the window.
pub fn period_yields(report: &Report) -> Vec<PlanYield> {
    report
        .stations
        .iter()
        .map(|s| PlanYield {
            yield_: s.yield_,
            passed: s.passed,
            not_passed: s.failed + s.recycled,
        })
        .collect()
}

/// Makes the plan from a report (measured yields and the territory) and the inputs, on
/// period yields.
pub fn plan(line: &Line, report: &Report, input: PlanInput) -> Result<Plan, PlanError> {
    plan_with(
        line,
        report,
        input,
        &period_yields(report),
        Basis::period("period yields over the measurement window"),
    )
}

/// [`plan`] on the given yields (one per station), stating their basis.
pub fn plan_with(
    line: &Line,
    report: &Report,
    input: PlanInput,
    basis_yields: &[PlanYield],
    basis: Basis,
) -> Result<Plan, PlanError> {
    if !(input.target.is_finite() && input.target > 0.0) {
        return Err(PlanError::BadTarget(input.target));
    }
    if input.runs == 0 {
        return Err(PlanError::NoRuns);
    }
    if input.runs > MAX_RUNS {
        return Err(PlanError::TooManyRuns(input.runs));
    }
    if input.target > crate::line::MAX_PER_DAY {
        return Err(PlanError::BadTarget(input.target));
    }
    if !(input.recycled_due_per_day.is_finite() && input.recycled_due_per_day >= 0.0) {
        return Err(PlanError::BadRecycled(input.recycled_due_per_day));
    }
    let mut yields = Vec::with_capacity(report.stations.len());
    for (i, s) in report.stations.iter().enumerate() {
        match basis_yields.get(i).and_then(|y| y.yield_) {
            None => return Err(PlanError::NoYield(s.id.clone())),
            Some(y) if y <= 0.0 => return Err(PlanError::ZeroYield(s.id.clone())),
            Some(y) => yields.push(y),
        }
    }
    let mut stations = Vec::with_capacity(yields.len());
    for (i, s) in report.stations.iter().enumerate() {
        let later: f64 = yields[i + 1..].iter().product();
        let passes = input.target / later;
        let dispositions = passes / yields[i];
        let capacity = line.stations[i].capacity_per_day;
        stations.push(StationPlan {
            id: s.id.clone(),
            yield_: yields[i],
            required_passes_per_day: passes,
            required_dispositions_per_day: dispositions,
            capacity_per_day: capacity,
            capacity_ok: dispositions <= capacity,
            extra_capacity_needed: (dispositions - capacity).max(0.0),
        });
    }
    let first = stations
        .first()
        .map_or(0.0, |s| s.required_dispositions_per_day);
    let fresh_per_day = (first - input.recycled_due_per_day).max(0.0);
    let fresh_available = report.territory.fresh;
    let territory_known = report.territory.territory_units > 0;
    let days_to_exhaustion_at_planned_intake =
        (territory_known && fresh_per_day > 0.0).then(|| fresh_available as f64 / fresh_per_day);
    let days_to_exhaustion = report
        .territory
        .days_of_fresh_territory
        .filter(|_| territory_known);
    let mut notes = Vec::new();
    if !territory_known {
        notes.push(
            "territory unknown: no territory is imported, so how long the fresh targets last cannot be said"
                .to_owned(),
        );
    } else if fresh_available == 0 && fresh_per_day > 0.0 {
        notes.push(format!(
            "no fresh territory is left: the target cannot be met from fresh targets (it needs {fresh_per_day:.1} a day; only the {:.1} recycled units coming due per day re-enter, and the forward check counts only them) — widen or enrich the territory",
            input.recycled_due_per_day
        ));
    }
    let counts: Vec<StationCounts> = basis_yields
        .iter()
        .zip(&line.stations)
        .map(|(y, st)| StationCounts {
            passed: y.passed,
            not_passed: y.not_passed,
            capacity: st.capacity_per_day,
        })
        .collect();
    // With no fresh territory left, only recycled units arrive.
    let fresh_arrivals = if territory_known && fresh_available == 0 {
        0.0
    } else {
        fresh_per_day
    };
    let monte_carlo = forward_check(
        &counts,
        fresh_arrivals + input.recycled_due_per_day,
        input.target,
        input.runs,
        input.seed,
    );
    Ok(Plan {
        target: input.target,
        window: Window {
            from: report.from,
            to: report.to,
            working_days: report.working_days,
        },
        current_output_per_day: report.production.per_day,
        territory_known,
        notes,
        basis,
        lag_notes: report
            .stations
            .iter()
            .filter_map(|s| s.lag.note.as_ref().map(|n| format!("{}: {n}", s.id)))
            .collect(),
        short_stations: stations
            .iter()
            .filter(|s| !s.capacity_ok)
            .map(|s| s.id.clone())
            .collect(),
        stations,
        recycled_due_per_day: input.recycled_due_per_day,
        fresh_per_day,
        fresh_available,
        days_to_exhaustion,
        days_to_exhaustion_at_planned_intake,
        monte_carlo,
    })
}

/// Recycled dispositions made by the end of `to` whose `resume_on` falls in the next
/// `horizon_days` calendar days after `to`, per working day of that window: the units
/// that will re-enter the line without fresh input.
pub fn recycled_due_per_day(
    line: &Line,
    log: &crate::report::FactLog,
    to: jiff::civil::Date,
    horizon_days: i32,
) -> f64 {
    let (_, end) = crate::calendar::period_bounds_micros(line, to, to);
    let first = crate::calendar::epoch_day(to) + 1;
    let last = first + horizon_days - 1;
    let due = log
        .facts()
        .iter()
        .filter(|f| {
            f.kind == crate::event::EventKind::Recycled
                && f.ts < end
                && (first..=last).contains(&f.resume_on)
        })
        .count();
    let window_end = crate::calendar::from_epoch_day(last);
    let days = crate::calendar::working_days_between(
        line,
        crate::calendar::from_epoch_day(first),
        window_end,
    );
    if days == 0 {
        0.0
    } else {
        due as f64 / f64::from(days)
    }
}

/// The first day of the last `n` working days ending on `to`.
pub fn last_working_days_from(line: &Line, to: jiff::civil::Date, n: u32) -> jiff::civil::Date {
    let mut d = to;
    let mut seen = 0;
    loop {
        if line.is_working_day(d.weekday()) {
            seen += 1;
            if seen >= n {
                return d;
            }
        }
        match d.yesterday() {
            Ok(prev) => d = prev,
            Err(_) => return d,
        }
    }
}

/// Runs per independent random stream.
const CHUNK: u32 = 1024;

/// Simulates `runs` working days of the line (see the module docs) and summarises the
/// daily final output against `target`.
pub fn forward_check(
    stations: &[StationCounts],
    arrivals_per_day: f64,
    target: f64,
    runs: u32,
    seed: u64,
) -> MonteCarlo {
    let chunks = runs.div_ceil(CHUNK);
    let posteriors: Vec<Option<Beta<f64>>> = stations
        .iter()
        .map(|s| Beta::new(1.0 + s.passed as f64, 1.0 + s.not_passed as f64).ok())
        .collect();
    let arrivals = (arrivals_per_day > 0.0)
        .then(|| Poisson::new(arrivals_per_day).ok())
        .flatten();
    let mut outputs: Vec<f64> = (0..chunks)
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut rng =
                Pcg64::seed_from_u64(seed ^ (u64::from(c) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let n = CHUNK.min(runs - c * CHUNK);
            let posteriors = &posteriors;
            (0..n)
                .map(|_| {
                    let mut flow = arrivals
                        .as_ref()
                        .map_or(0.0, |p| p.sample(&mut rng))
                        .floor();
                    for (s, post) in stations.iter().zip(posteriors) {
                        let y = post.as_ref().map_or(0.0, |b| b.sample(&mut rng));
                        let disposed = flow.min(s.capacity.floor()).max(0.0) as u64;
                        flow = Binomial::new(disposed, y.clamp(0.0, 1.0))
                            .map_or(0.0, |b| b.sample(&mut rng) as f64);
                    }
                    flow
                })
                .collect::<Vec<_>>()
        })
        .collect();
    outputs.sort_unstable_by(f64::total_cmp);
    let q = |p: f64| yieldline_stats::quantile::quantile_linear(&outputs, p).unwrap_or(0.0);
    let hits = outputs.iter().filter(|&&o| o >= target).count();
    MonteCarlo {
        runs,
        seed,
        p10: q(0.1),
        p50: q(0.5),
        p90: q(0.9),
        mean: yieldline_stats::quantile::mean(&outputs).unwrap_or(0.0),
        chance_to_hit: hits as f64 / f64::from(runs.max(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Cohort, CycleTime, Production, StationReport, Territory};

    fn station(id: &str, passed: u64, failed: u64) -> StationReport {
        let d = passed + failed;
        StationReport {
            id: id.into(),
            entered: d,
            passed,
            failed,
            recycled: 0,
            dispositions: d,
            yield_: (d > 0).then(|| passed as f64 / d as f64),
            yield_ci: None,
            wip: 0,
            cycle_time_hours: CycleTime {
                p50: None,
                p90: None,
                mean: None,
                visits: 0,
            },
            throughput_per_day: None,
            utilization: None,
            capacity_per_day: 0.0,
            target_yield: None,
            touches: 0,
            automated_touches: 0,
            optouts: 0,
            cost_minutes: 0.0,
            cohort: Cohort {
                entered: 0,
                passed: 0,
                disposed: 0,
                open: 0,
                yield_: None,
            },
            conversion: crate::conversion::conversion(&[], crate::conversion::AsOf::end_at(0))
                .expect("empty"),
            lag: crate::conversion::lag(&[]),
        }
    }

    fn fixture(caps: [f64; 3], counts: [(u64, u64); 3], fresh: u64) -> (Line, Report) {
        let text = format!(
            "[line]\nname='p'\ntimezone='UTC'\ntarget_per_day=10\n\
             [[station]]\nid='a'\noperator='human'\ncapacity_per_day={}\n\
             [[station]]\nid='b'\noperator='human'\ncapacity_per_day={}\n\
             [[station]]\nid='c'\noperator='human'\ncapacity_per_day={}\n",
            caps[0], caps[1], caps[2]
        );
        let line = Line::from_toml("line.toml", &text).expect("line");
        let report = Report {
            line: "p".into(),
            from: jiff::civil::Date::constant(2025, 1, 6),
            to: jiff::civil::Date::constant(2025, 3, 28),
            working_days: 60,
            stations: vec![
                station("a", counts[0].0, counts[0].1),
                station("b", counts[1].0, counts[1].1),
                station("c", counts[2].0, counts[2].1),
            ],
            rty: None,
            bottleneck: None,
            binding_constraint: None,
            line_capacity_per_day: None,
            production: Production {
                per_day: None,
                target_per_day: 10.0,
                gap: None,
                total: 0,
            },
            breeding_ratio: None,
            recycled: 0,
            referrals: 0,
            territory: Territory {
                fresh,
                in_line: 0,
                resting: 0,
                burned: 0,
                done: 0,
                territory_units: fresh,
                fresh_consumed: 0,
                days_to_exhaustion: None,
                days_of_fresh_territory: None,
                units_are: "contacts",
                units: fresh,
                burned_share: None,
                fresh_consumed_per_day: None,
            },
            touches_per_unit: None,
            cost_per_output_minutes: None,
            events_at_unknown_stations: 0,
        };
        (line, report)
    }

    #[test]
    fn backward_plan_is_exact_on_a_hand_computed_line() {
        // Yields 0.8, 0.25, 0.5. Target 10: c must pass 10 of 20; b must pass 20 of 80;
        // a must pass 80 of 100.
        let (line, report) = fixture(
            [120.0, 60.0, 30.0],
            [(800, 200), (250, 750), (500, 500)],
            5_000,
        );
        let p = plan(
            &line,
            &report,
            PlanInput {
                target: 10.0,
                recycled_due_per_day: 4.0,
                runs: 2_000,
                seed: 1,
            },
        )
        .expect("plan");
        let got: Vec<_> = p
            .stations
            .iter()
            .map(|s| {
                (
                    s.required_passes_per_day,
                    s.required_dispositions_per_day,
                    s.capacity_ok,
                )
            })
            .collect();
        assert_eq!(
            got,
            [(80.0, 100.0, true), (20.0, 80.0, false), (10.0, 20.0, true)]
        );
        assert_eq!(p.stations[1].extra_capacity_needed, 20.0);
        assert_eq!(p.short_stations, ["b"]);
        assert_eq!(p.fresh_per_day, 96.0);
        assert_eq!(p.days_to_exhaustion_at_planned_intake, Some(5_000.0 / 96.0));
        // Station b caps the flow at 60 × 0.25 × 0.5 = 7.5 per day: the target is mostly missed.
        assert!(
            p.monte_carlo.p50 < 10.0 && p.monte_carlo.chance_to_hit < 0.3,
            "{:?}",
            p.monte_carlo
        );
    }

    #[test]
    fn the_plan_states_its_window_and_output_and_when_fresh_targets_cannot_meet_the_target() {
        let (line, mut report) =
            fixture([120.0, 60.0, 30.0], [(800, 200), (250, 750), (500, 500)], 0);
        report.territory.territory_units = 40;
        report.production.per_day = Some(1.5);
        let input = PlanInput {
            target: 10.0,
            recycled_due_per_day: 4.0,
            runs: 100,
            seed: 1,
        };
        let p = plan(&line, &report, input).expect("plan");
        assert_eq!(
            (
                p.window.from.to_string(),
                p.window.to.to_string(),
                p.window.working_days
            ),
            ("2025-01-06".into(), "2025-03-28".into(), 60)
        );
        assert_eq!(p.current_output_per_day, Some(1.5));
        assert!(p.territory_known);
        assert_eq!(p.days_to_exhaustion_at_planned_intake, Some(0.0));
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains("the target cannot be met from fresh targets")),
            "{:?}",
            p.notes
        );
        // Only the 4 recycled units a day arrive: 4 × 0.8 × 0.25 × 0.5 = 0.4 a day.
        assert!(p.monte_carlo.mean < 1.0, "{:?}", p.monte_carlo);
        // No territory imported: unknown, not exhausted.
        report.territory.territory_units = 0;
        let p = plan(&line, &report, input).expect("plan");
        assert!(!p.territory_known);
        assert_eq!(p.days_to_exhaustion, None);
        assert!(p.notes[0].starts_with("territory unknown"), "{:?}", p.notes);
    }

    #[test]
    fn monte_carlo_median_converges_to_the_analytic_expectation_without_capacity_limits() {
        // Huge capacities; tight posteriors (large counts): output ~ Poisson(λ Π y).
        let stations = [
            StationCounts {
                passed: 80_000,
                not_passed: 20_000,
                capacity: 1e9,
            },
            StationCounts {
                passed: 25_000,
                not_passed: 75_000,
                capacity: 1e9,
            },
            StationCounts {
                passed: 50_000,
                not_passed: 50_000,
                capacity: 1e9,
            },
        ];
        let expected = 400.0 * 0.8 * 0.25 * 0.5; // 40 per day
        let mc = forward_check(&stations, 400.0, 40.0, 20_000, 7);
        // The median of a Poisson(40) is 40 (its mean minus about 1/3, rounded); allow one unit.
        assert!((mc.p50 - expected).abs() <= 1.0, "{mc:?}");
        assert!((mc.mean - expected).abs() < 0.3, "{mc:?}");
        // P10/P90 of Poisson(40) ≈ 32 / 48 (± the posterior's small extra spread).
        assert!(
            (mc.p10 - 32.0).abs() <= 1.5 && (mc.p90 - 48.0).abs() <= 1.5,
            "{mc:?}"
        );
    }

    #[test]
    fn seeds_reproduce_results_exactly_whatever_the_thread_count() {
        let stations = [StationCounts {
            passed: 30,
            not_passed: 70,
            capacity: 50.0,
        }];
        let a = forward_check(&stations, 60.0, 15.0, 5_000, 42);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let b = pool.install(|| forward_check(&stations, 60.0, 15.0, 5_000, 42));
        assert_eq!(a, b);
        assert_ne!(a, forward_check(&stations, 60.0, 15.0, 5_000, 43));
    }

    #[test]
    fn unknown_or_zero_yields_and_bad_targets_are_errors() {
        let (line, report) = fixture([10.0; 3], [(8, 2), (0, 0), (5, 5)], 10);
        let input = PlanInput {
            target: 1.0,
            recycled_due_per_day: 0.0,
            runs: 10,
            seed: 1,
        };
        assert_eq!(
            plan(&line, &report, input),
            Err(PlanError::NoYield("b".into()))
        );
        let (line, report) = fixture([10.0; 3], [(8, 2), (0, 5), (5, 5)], 10);
        assert_eq!(
            plan(&line, &report, input),
            Err(PlanError::ZeroYield("b".into()))
        );
        assert_eq!(
            plan(
                &line,
                &report,
                PlanInput {
                    target: 0.0,
                    ..input
                }
            ),
            Err(PlanError::BadTarget(0.0))
        );
    }

    #[test]
    fn run_counts_are_bounded_for_every_interface() {
        // `plan --runs 4294967295` used to run (for hours) instead of being refused.
        let (line, report) = fixture([10.0; 3], [(8, 2), (5, 5), (5, 5)], 10);
        let input = PlanInput {
            target: 1.0,
            recycled_due_per_day: 0.0,
            runs: u32::MAX,
            seed: 1,
        };
        assert_eq!(
            plan(&line, &report, input),
            Err(PlanError::TooManyRuns(u32::MAX))
        );
        let err = PlanError::TooManyRuns(u32::MAX).to_string();
        assert!(err.contains("limit of 1000000"), "{err}");
        assert_eq!(
            plan(&line, &report, PlanInput { runs: 0, ..input }),
            Err(PlanError::NoRuns)
        );
        assert!(plan(&line, &report, PlanInput { runs: 1, ..input }).is_ok());
        assert!(matches!(
            plan(
                &line,
                &report,
                PlanInput {
                    target: 1e12,
                    runs: 10,
                    ..input
                }
            ),
            Err(PlanError::BadTarget(_))
        ));
    }
}
