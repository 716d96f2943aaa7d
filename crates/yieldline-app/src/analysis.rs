//! The line's measurements: report, drift, plan, watch and dispatch, each one function
//! of a workspace and plain arguments, returning plain serde types.

use jiff::civil::Date;
use serde::Serialize;
use yieldline_core::calendar::period_bounds_micros;
use yieldline_core::conversion::{
    AsOf, Basis, BasisKind, CohortGrain, Conversion, Lag, conversion as conversion_of,
    entry_cohorts, lag, passed_curve, passed_within,
};
use yieldline_core::dispatch::{Dispatch, DispatchInput, UnitInfo, dispatch as dispatch_orders};
use yieldline_core::line::Line;
use yieldline_core::plan::{
    Plan, PlanInput, PlanYield, last_working_days_from, period_yields, plan_with,
    recycled_due_per_day,
};
use yieldline_core::report::{FactLog, Period, Report, report_as_of};
use yieldline_core::series::{Grain, station_series};
use yieldline_core::watch::{
    DriftShift, Watch, WatchContext, WatchParams, watch as watch_line, watch_with,
};
use yieldline_spc::{
    Baseline, ChartChoice, ChartKind, ControlChart, EwmaParams, Subgroup, analyze,
};

use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;

/// Working days measured by plan, watch and dispatch when no window is given.
pub const RECENT_WORKING_DAYS: u32 = 60;
/// Window of days ahead in which recycled units coming due are counted by the plan.
pub const DUE_HORIZON_DAYS: i32 = 28;
/// Monte Carlo runs of the plan that sizes dispatch's fresh intake.
pub const DISPATCH_PLAN_RUNS: u32 = 2_000;
/// Default working days of fresh territory below which the watch's burn signal warns.
pub const DEFAULT_HORIZON_DAYS: f64 = 90.0;

/// The line's measurements over `period` (default: first to last event day), the
/// period's cohorts followed to the latest event.
pub fn report(ws: &Workspace, period: Period) -> AppResult<Report> {
    report_at(ws, period, None)
}

/// The instant a cohort is followed to: the end of `as_of` in the line's zone, or the
/// latest event's instant.
pub fn as_of_instant(line: &Line, log: &FactLog, as_of: Option<Date>) -> AsOf {
    match as_of {
        Some(d) => AsOf::end_at(period_bounds_micros(line, d, d).1),
        None => AsOf::latest_event(log.span().map_or(0, |s| s.1)),
    }
}

/// [`report`], with the period's cohorts followed to the end of `as_of` (default: the
/// latest event's instant); events after it are not seen by the conversion figures.
pub fn report_at(ws: &Workspace, period: Period, as_of: Option<Date>) -> AppResult<Report> {
    let snap = ws.store.snapshot(&ws.line, false)?;
    let at = as_of_instant(&ws.line, &snap.log, as_of);
    Ok(report_as_of(
        &ws.line,
        &snap.log,
        &snap.territory,
        period,
        Some(at),
    )?)
}

/// The measurements plans and watches are made from: the report over `from..=to`,
/// where `to` defaults to the last event's day and `from` to
/// [`RECENT_WORKING_DAYS`] working days before it.
pub fn recent_report(
    line: &Line,
    log: &FactLog,
    territory: &[u32],
    from: Option<Date>,
    to: Option<Date>,
) -> AppResult<Report> {
    let (_, to) = Period { from, to }.resolve(line, log)?;
    let from = from.unwrap_or_else(|| last_working_days_from(line, to, RECENT_WORKING_DAYS));
    Ok(report_as_of(
        line,
        log,
        territory,
        Period {
            from: Some(from),
            to: Some(to),
        },
        Some(as_of_instant(line, log, Some(to))),
    )?)
}

/// Which yields `plan` and `watch` use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasisRequest {
    /// Cohort conversion when a station's outcomes lag differently, else period yields.
    #[default]
    Auto,
    /// Period yields (dispositions recorded in the window).
    Period,
    /// Cohort conversion at the horizon.
    Cohort,
}

/// Horizon of the cohort conversion a cohort-basis plan uses (days).
pub const PLAN_COHORT_HORIZON_DAYS: u32 = 90;
/// Horizon of the cohort conversion the watch's yield signals use on the cohort basis.
pub const WATCH_COHORT_HORIZON_DAYS: u32 = 30;
/// Entry days, before the horizon, of the cohort a cohort-basis plan reads: visits that
/// entered in the `horizon + COHORT_ENTRY_DAYS` days ending on the window's last day.
pub const COHORT_ENTRY_DAYS: i64 = 90;

/// The basis asked for, or chosen (cohort when a station's outcomes lag differently),
/// with the reason stated.
pub fn choose_basis(req: BasisRequest, measured: &Report, horizon_days: u32) -> Basis {
    let lagging: Vec<String> = measured
        .stations
        .iter()
        .filter(|s| s.lag.detected)
        .map(|s| {
            format!(
                "{} (passes after {:.1} days, failures after {:.1}, medians)",
                s.id,
                s.lag.median_days_to_pass.unwrap_or(f64::NAN),
                s.lag.median_days_to_fail.unwrap_or(f64::NAN)
            )
        })
        .collect();
    match req {
        BasisRequest::Cohort => Basis::cohort(
            horizon_days,
            format!(
                "asked for (--basis cohort): the share of entries passed within {horizon_days} days"
            ),
        ),
        BasisRequest::Period if lagging.is_empty() => {
            Basis::period("asked for (--basis period): passes over dispositions in the window")
        }
        BasisRequest::Period => Basis::period(format!(
            "asked for (--basis period), although outcomes lag differently at {}",
            lagging.join(", ")
        )),
        BasisRequest::Auto if lagging.is_empty() => Basis::period(
            "chosen: no station's outcomes lag differently, so period yields over the window read true",
        ),
        BasisRequest::Auto => Basis::cohort(
            horizon_days,
            format!(
                "chosen: outcomes lag differently at {}, so a period yield mixes cohorts; the share of entries passed within {horizon_days} days is used",
                lagging.join(", ")
            ),
        ),
    }
}

/// Each station's cohort-basis yield: the Aalen–Johansen share of the visits entered in
/// the `horizon + COHORT_ENTRY_DAYS` days ending on `to` that passed within `horizon`
/// days, followed to the end of `to` (`None` where the follow-up is shorter).
pub fn cohort_yields(
    line: &Line,
    log: &FactLog,
    to: Date,
    horizon_days: u32,
) -> AppResult<Vec<PlanYield>> {
    let as_of = as_of_instant(line, log, Some(to));
    let span_us = (i64::from(horizon_days) + COHORT_ENTRY_DAYS) * 86_400_000_000;
    let start = as_of.instant - span_us;
    let mut by_station = vec![Vec::new(); line.stations.len()];
    for v in yieldline_core::visits::visits(log, as_of.until) {
        if v.entered.is_some_and(|e| e >= start)
            && let Some(b) = by_station.get_mut(usize::from(v.station))
        {
            b.push(v);
        }
    }
    by_station
        .iter()
        .map(|cohort| {
            let got = passed_within(cohort, as_of, f64::from(horizon_days)).map_err(stats_error)?;
            Ok(match got {
                Some((f, n)) => {
                    let passed = (f * n as f64).round() as u64;
                    PlanYield {
                        yield_: Some(f),
                        passed,
                        not_passed: n.saturating_sub(passed),
                    }
                }
                None => PlanYield {
                    yield_: None,
                    passed: 0,
                    not_passed: 0,
                },
            })
        })
        .collect()
}

/// What `plan` is asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanRequest {
    /// Final-station passes wanted per working day (default: the line's target).
    pub target: Option<f64>,
    /// First day of the measurement window.
    pub from: Option<Date>,
    /// Last day of the measurement window.
    pub to: Option<Date>,
    /// Monte Carlo runs.
    pub runs: u32,
    /// Monte Carlo seed.
    pub seed: u64,
    /// Period yields or cohort conversion (default: chosen by lag).
    pub basis: BasisRequest,
}

impl Default for PlanRequest {
    fn default() -> Self {
        Self {
            target: None,
            from: None,
            to: None,
            runs: 10_000,
            seed: 1,
            basis: BasisRequest::Auto,
        }
    }
}

/// What a daily target takes at each station, and the chance of hitting it.
pub fn plan(ws: &Workspace, req: PlanRequest) -> AppResult<Plan> {
    let snap = ws.store.snapshot(&ws.line, false)?;
    let measured = recent_report(&ws.line, &snap.log, &snap.territory, req.from, req.to)?;
    plan_from(&ws.line, &snap.log, &measured, &req)
}

/// The plan from the measured report, on the basis asked for (or chosen by lag).
fn plan_from(line: &Line, log: &FactLog, measured: &Report, req: &PlanRequest) -> AppResult<Plan> {
    let mut basis = choose_basis(req.basis, measured, PLAN_COHORT_HORIZON_DAYS);
    let mut yields = period_yields(measured);
    if basis.basis == BasisKind::Cohort {
        let cohort = cohort_yields(line, log, measured.to, PLAN_COHORT_HORIZON_DAYS)?;
        let short: Vec<&str> = cohort
            .iter()
            .zip(&line.stations)
            .filter(|(y, _)| y.yield_.is_none())
            .map(|(_, s)| s.id.as_str())
            .collect();
        if short.is_empty() {
            yields = cohort;
        } else if req.basis == BasisRequest::Cohort {
            return Err(AppError::invalid(
                "basis",
                format!(
                    "basis cohort: at {} the entries of the last {} days were not followed for {PLAN_COHORT_HORIZON_DAYS} days (the log is too short, or nothing entered); use --basis period",
                    short.join(", "),
                    i64::from(PLAN_COHORT_HORIZON_DAYS) + COHORT_ENTRY_DAYS
                ),
            ));
        } else {
            basis = Basis::period(format!(
                "{}; but at {} no cohort was followed for {PLAN_COHORT_HORIZON_DAYS} days, so period yields are used",
                basis.reason,
                short.join(", ")
            ));
        }
    }
    let input = PlanInput {
        target: req.target.unwrap_or(line.target_per_day),
        recycled_due_per_day: recycled_due_per_day(line, log, measured.to, DUE_HORIZON_DAYS),
        runs: req.runs,
        seed: req.seed,
    };
    Ok(plan_with(line, measured, input, &yields, basis)?)
}

/// The toxic-automation watch as of `as_of` (default: the last event's day), on the asked
/// basis (`Auto` chooses as the plan does): on the cohort basis, first-visit depletion and quality
/// dilution compare entry cohorts passed within [`WATCH_COHORT_HORIZON_DAYS`] days.
pub fn watch_on(
    ws: &Workspace,
    as_of: Option<Date>,
    horizon_days: f64,
    basis: BasisRequest,
) -> AppResult<Watch> {
    if !(horizon_days.is_finite() && (1.0..=3650.0).contains(&horizon_days)) {
        return Err(AppError::invalid(
            "horizon",
            format!("horizon {horizon_days}: give a number of working days from 1 to 3650"),
        ));
    }
    let snap = ws.store.snapshot(&ws.line, false)?;
    let recent = recent_report(&ws.line, &snap.log, &snap.territory, None, as_of)?;
    let ctx = WatchContext {
        drift: Some(drift_shifts(&ws.line, &snap.log, recent.to)),
        experiments: crate::experiments::running(ws, recent.to)?
            .into_iter()
            .filter_map(|e| {
                let station = ws.line.stations.get(e.station)?.id.clone();
                Some((station, e.def.id))
            })
            .collect(),
        basis: Some(choose_basis(basis, &recent, WATCH_COHORT_HORIZON_DAYS)),
    };
    Ok(watch_with(
        &ws.line,
        &snap.log,
        &recent,
        recent.to,
        WatchParams { horizon_days },
        &ctx,
    ))
}

/// The watch dispatch's brake is taken from: the brake depends on the harm signals
/// only, so no drift or experiment evidence is gathered.
fn watch_from(line: &Line, log: &FactLog, recent: &Report, horizon_days: f64) -> Watch {
    watch_line(line, log, recent, recent.to, WatchParams { horizon_days })
}

/// The latest sustained shift of each station's yield on its daily EWMA chart (λ 0.2,
/// L 3, the default baseline: the first 30 days with dispositions), charted from the
/// first event's day to `to`: the drift evidence the watch weighs.
pub fn drift_shifts(line: &Line, log: &FactLog, to: Date) -> Vec<DriftShift> {
    let Ok((from, _)) = Period::default().resolve(line, log) else {
        return Vec::new();
    };
    if from > to {
        return Vec::new();
    }
    let series = station_series(line, log, from, to, Grain::Day, |_| true);
    let mut out = Vec::new();
    for (st, days) in line.stations.iter().zip(series) {
        let subgroups: Vec<Subgroup> = days
            .iter()
            .map(|d| Subgroup::new(d.date.to_string(), d.passed, d.dispositions))
            .collect();
        let Ok(chart) = analyze(
            &subgroups,
            Baseline::default(),
            ChartChoice::Forced(ChartKind::Ewma),
            EwmaParams::default(),
        ) else {
            continue;
        };
        let latest = chart.signals.iter().rev().find_map(|s| {
            Some(DriftShift {
                station: st.id.clone(),
                chart: chart.chart.as_str().to_owned(),
                run_start: s.run_start.clone()?,
                signalled_on: s.day.clone(),
                before: s.before?,
                after: s.after?,
            })
        });
        out.extend(latest);
    }
    out
}

/// The day's work orders for `date`, within capacity and guardrails.
pub fn dispatch(ws: &Workspace, date: Date) -> AppResult<Dispatch> {
    let snap = ws.store.snapshot(&ws.line, true)?;
    let log = &snap.log;
    let day_before = date.yesterday().unwrap_or(date);
    let recent = recent_report(&ws.line, log, &snap.territory, None, Some(day_before))?;
    let req = PlanRequest {
        runs: DISPATCH_PLAN_RUNS,
        ..PlanRequest::default()
    };
    // The events' last day: a dispatch after it sizes the day from stale data, or from
    // none (the usual case of a default date, today, on an old import).
    let last_day = log.span().map(|(_, t)| {
        yieldline_core::calendar::local_date(
            &ws.line,
            jiff::Timestamp::from_microsecond(t).unwrap_or_default(),
        )
    });
    let after_data = last_day.filter(|l| date > l.tomorrow().unwrap_or(*l));
    let plan = match plan_from(&ws.line, log, &recent, &req) {
        Ok(p) => p,
        Err(e) => {
            // The plan's own advice names options dispatch does not have.
            return Err(match after_data {
                Some(last) => AppError::invalid(
                    "date",
                    format!(
                        "cannot dispatch {date}: the events end on {last}, so the {RECENT_WORKING_DAYS} working days before {date} hold too little to size the day from; pass --date {} (the first working day after the events) or another day the events cover, or import the events since {last}",
                        next_working_day(&ws.line, last)
                    ),
                ),
                None => e.context("cannot size the fresh intake from the plan"),
            });
        }
    };
    let w = watch_from(&ws.line, log, &recent, DEFAULT_HORIZON_DAYS);
    let suppression = ws
        .store
        .suppression_list()?
        .with_plus_tags(ws.line.identity.plus_tags);
    let units: Vec<UnitInfo> = snap
        .directory
        .unwrap_or_default()
        .into_iter()
        .map(|u| UnitInfo {
            suppressed: false,
            key: u.key,
            account: u.account,
            fit_tier: u.fit_tier,
            in_territory: u.in_territory,
            contacts: u.contacts,
            domains: Vec::new(),
        })
        .collect();
    let input = DispatchInput {
        date,
        fresh_per_day: plan.fresh_per_day,
        yields: plan.stations.iter().map(|s| Some(s.yield_)).collect(),
        brake: w.brake,
        experiments: crate::experiments::running(ws, date)?,
        suppression,
    };
    let mut d = dispatch_orders(&ws.line, log, &units, &input)?;
    if let Some(last) = after_data {
        d.notes.insert(
            0,
            format!(
                "the events end on {last}: these orders for {date} are sized from the {RECENT_WORKING_DAYS} working days before {date}, without the days since {last} (import them, or pass --date {})",
                next_working_day(&ws.line, last)
            ),
        );
    }
    if !ws.line.is_working_day(date.weekday()) {
        d.notes.insert(
            0,
            format!(
                "{date} is a {}, not a working day of the line: these are the orders for a day the line does not work (pass --date with a working day)",
                date.strftime("%A")
            ),
        );
    }
    Ok(d)
}

/// The first working day of the line after `day`.
fn next_working_day(line: &Line, day: Date) -> Date {
    let mut d = day.tomorrow().unwrap_or(day);
    for _ in 0..7 {
        if line.is_working_day(d.weekday()) {
            break;
        }
        d = d.tomorrow().unwrap_or(d);
    }
    d
}

/// Chart selection of `drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartRequest {
    /// Laney p′ when the baseline is over-dispersed (σ_z > 1.2), else p.
    #[default]
    Auto,
    /// p-chart.
    P,
    /// Laney p′-chart.
    Laney,
    /// EWMA chart.
    Ewma,
}

/// What `drift` is asked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DriftRequest {
    /// Only this station.
    pub station: Option<String>,
    /// Chart type.
    pub chart: ChartRequest,
    /// Baseline window `FROM..TO` (dates); default: the first 30 subgroups.
    pub baseline: Option<String>,
    /// Weekly subgroups instead of daily.
    pub weekly: bool,
    /// First day charted.
    pub from: Option<Date>,
    /// Last day charted.
    pub to: Option<Date>,
    /// EWMA λ (default 0.2).
    pub lambda: Option<f64>,
    /// EWMA limit width L (default 3).
    pub ewma_l: Option<f64>,
}

/// One station's chart, or why it could not be drawn.
#[derive(Debug, Clone, Serialize)]
pub struct StationChart {
    /// Station id.
    pub id: String,
    /// The chart (absent when it could not be drawn).
    #[serde(flatten)]
    pub chart: Option<ControlChart>,
    /// Why the chart could not be drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the reader must know to read the chart right (e.g. a default baseline that
    /// covers the whole series).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The drift analysis of a line.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// Stations in line order.
    pub stations: Vec<StationChart>,
}

/// Parses a baseline window `FROM..TO`.
pub fn parse_baseline(s: &str) -> AppResult<(Date, Date)> {
    let bad = |m: String| AppError::invalid("baseline", m);
    let (a, b) = s.split_once("..").ok_or_else(|| {
        bad(format!(
            "baseline {s:?}: expected FROM..TO, e.g. 2025-06-02..2025-07-11"
        ))
    })?;
    let a: Date = a
        .trim()
        .parse()
        .map_err(|_| bad(format!("baseline: {a:?} is not a date (YYYY-MM-DD)")))?;
    let b: Date = b
        .trim()
        .parse()
        .map_err(|_| bad(format!("baseline: {b:?} is not a date (YYYY-MM-DD)")))?;
    if b < a {
        return Err(bad(format!("baseline {s}: the end is before the start")));
    }
    Ok((a, b))
}

/// Control charts and run rules for every station's yield (or one station's).
pub fn drift(ws: &Workspace, req: &DriftRequest) -> AppResult<Drift> {
    let line = &ws.line;
    if let Some(s) = &req.station
        && line.station_index(s).is_none()
    {
        let known: Vec<_> = line.stations.iter().map(|s| s.id.as_str()).collect();
        return Err(AppError::invalid(
            "station",
            format!("unknown station {s:?} (the line has: {})", known.join(", ")),
        ));
    }
    let lambda = req.lambda.unwrap_or(0.2);
    if !(lambda > 0.0 && lambda <= 1.0) {
        return Err(AppError::invalid(
            "lambda",
            format!("lambda {lambda}: give a number in (0, 1]"),
        ));
    }
    let l = req.ewma_l.unwrap_or(3.0);
    if !(l.is_finite() && l > 0.0 && l <= 10.0) {
        return Err(AppError::invalid(
            "ewma_l",
            format!("ewma-l {l}: give a number in (0, 10]"),
        ));
    }
    let baseline_dates = req.baseline.as_deref().map(parse_baseline).transpose()?;
    let log = ws.store.load_log(line)?;
    let (from, to) = Period {
        from: req.from,
        to: req.to,
    }
    .resolve(line, &log)?;
    let grain = if req.weekly { Grain::Week } else { Grain::Day };
    let series = station_series(line, &log, from, to, grain, |_| true);
    let choice = match req.chart {
        ChartRequest::Auto => ChartChoice::Auto,
        ChartRequest::P => ChartChoice::Forced(ChartKind::P),
        ChartRequest::Laney => ChartChoice::Forced(ChartKind::Laney),
        ChartRequest::Ewma => ChartChoice::Forced(ChartKind::Ewma),
    };
    let params = EwmaParams { lambda, l };
    let mut stations = Vec::new();
    for (st, days) in line.stations.iter().zip(series) {
        if req.station.as_ref().is_some_and(|s| *s != st.id) {
            continue;
        }
        let subgroups: Vec<Subgroup> = days
            .iter()
            .map(|d| Subgroup::new(d.date.to_string(), d.passed, d.dispositions))
            .collect();
        let baseline = match baseline_dates {
            None => Baseline::default(),
            Some((a, b)) => {
                let start = days.iter().position(|d| d.date >= a).unwrap_or(days.len());
                let end = days
                    .iter()
                    .rposition(|d| d.date <= b)
                    .map_or(start, |i| i + 1);
                Baseline::range(start..end.max(start))
            }
        };
        let (chart, error) = match analyze(&subgroups, baseline, choice, params) {
            Ok(chart) => (Some(chart), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let non_empty = subgroups.iter().filter(|s| s.n > 0).count();
        let note =
            (baseline_dates.is_none() && chart.is_some() && non_empty <= Baseline::DEFAULT_LEN)
                .then(|| baseline_covers_all(grain, non_empty));
        stations.push(StationChart {
            id: st.id.clone(),
            chart,
            error,
            note,
        });
    }
    Ok(Drift { stations })
}

/// The note of a chart whose default baseline is the whole series.
fn baseline_covers_all(grain: Grain, points: usize) -> String {
    let unit = match grain {
        Grain::Week => "weeks",
        Grain::Day => "days",
    };
    let first = Baseline::DEFAULT_LEN;
    format!(
        "the default baseline (the first {first} {unit} with dispositions) covers the whole series ({points} {unit}), so the chart measures the series against itself and can hide a drop a daily chart finds; pass --baseline FROM..TO with the {unit} before the change"
    )
}

/// What `conversion` is asked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConversionRequest {
    /// Only this station.
    pub station: Option<String>,
    /// How entry cohorts are cut.
    pub grain: CohortGrain,
    /// Follow the cohorts to the end of this day (default: the latest event's instant).
    pub as_of: Option<Date>,
    /// First entry day (default: the first event's day).
    pub from: Option<Date>,
    /// Last entry day (default: the last event's day).
    pub to: Option<Date>,
}

/// One entry cohort's conversion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohortConversion {
    /// First day of the cohort (the week's Monday, or the month's first day).
    pub cohort: Date,
    /// The conversion figures (see `yieldline_core::conversion`).
    #[serde(flatten)]
    pub conversion: Conversion,
    /// The share passed by each whole day of follow-up, `[day, share]`, up to 90 days.
    pub curve: Vec<(u32, f64)>,
}

/// One station's curves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationConversion {
    /// Station id.
    pub id: String,
    /// Whether its outcomes lag differently.
    pub lag: Lag,
    /// Entry cohorts in day order.
    pub cohorts: Vec<CohortConversion>,
}

/// Conversion curves per entry cohort.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversionCurves {
    /// The instant the cohorts are followed to.
    pub as_of: jiff::Timestamp,
    /// How cohorts are cut.
    pub cohort: CohortGrain,
    /// First entry day.
    pub from: Date,
    /// Last entry day.
    pub to: Date,
    /// Stations in line order.
    pub stations: Vec<StationConversion>,
}

/// Days of follow-up the conversion curves are drawn over.
pub const CURVE_DAYS: u32 = 90;

/// Conversion of each entry cohort at every station (or one), followed to the as-of
/// instant with censoring.
pub fn conversion(ws: &Workspace, req: &ConversionRequest) -> AppResult<ConversionCurves> {
    let line = &ws.line;
    if let Some(s) = &req.station
        && line.station_index(s).is_none()
    {
        let known: Vec<_> = line.stations.iter().map(|s| s.id.as_str()).collect();
        return Err(AppError::invalid(
            "station",
            format!("unknown station {s:?} (the line has: {})", known.join(", ")),
        ));
    }
    let log = ws.store.load_log(line)?;
    let (from, to) = Period {
        from: req.from,
        to: req.to,
    }
    .resolve(line, &log)?;
    let as_of = as_of_instant(line, &log, req.as_of);
    let bounds = period_bounds_micros(line, from, to);
    let all = yieldline_core::visits::visits(&log, as_of.until);
    let mut stations = Vec::new();
    for (i, st) in line.stations.iter().enumerate() {
        if req.station.as_ref().is_some_and(|s| *s != st.id) {
            continue;
        }
        let mut cohorts = Vec::new();
        for (day, visits) in entry_cohorts(line, &log, i, bounds, as_of, req.grain) {
            cohorts.push(CohortConversion {
                cohort: day,
                conversion: conversion_of(&visits, as_of).map_err(stats_error)?,
                curve: passed_curve(&visits, as_of, CURVE_DAYS).map_err(stats_error)?,
            });
        }
        let station_visits: Vec<_> = all
            .iter()
            .filter(|v| usize::from(v.station) == i)
            .copied()
            .collect();
        stations.push(StationConversion {
            id: st.id.clone(),
            lag: lag(&station_visits),
            cohorts,
        });
    }
    Ok(ConversionCurves {
        as_of: as_of.timestamp(),
        cohort: req.grain,
        from,
        to,
        stations,
    })
}

fn stats_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("cannot estimate conversion: {e}"))
}
