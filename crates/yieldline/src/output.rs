//! Rendering results as tables, JSON and CSV.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;
use yieldline_core::line::{Line, Operator};
use yieldline_core::report::Report;

/// Writes any serialisable value as pretty JSON with a trailing newline
/// (the application layer's rendering, which the HTTP API serves too).
pub fn json(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    yieldline_app::render::write_json(out, value)?;
    Ok(())
}

/// A number with `digits` decimals, or `–` when absent.
pub fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{x:.digits$}"))
}

/// A share as a percentage with one decimal, or `–`.
pub fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{:.1}%", x * 100.0))
}

fn operator(o: Operator) -> &'static str {
    match o {
        Operator::Human => "human",
        Operator::Automation => "auto",
        Operator::Hybrid => "hybrid",
    }
}

/// Which yields were used, for `--basis period|cohort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum BasisArg {
    /// Cohort conversion when a station's outcomes lag differently, else period yields.
    #[default]
    Auto,
    /// Period yields: passes over dispositions recorded in the window.
    Period,
    /// Cohort conversion: the share of entries passed within the horizon.
    Cohort,
}

impl BasisArg {
    /// The application layer's request.
    pub fn request(self) -> yieldline_app::analysis::BasisRequest {
        use yieldline_app::analysis::BasisRequest;
        match self {
            BasisArg::Auto => BasisRequest::Auto,
            BasisArg::Period => BasisRequest::Period,
            BasisArg::Cohort => BasisRequest::Cohort,
        }
    }
}

/// The basis line of plan and watch tables, then one line per lagging station.
pub fn basis_lines(
    out: &mut impl Write,
    basis: &yieldline_core::conversion::Basis,
    lag_notes: &[String],
) -> Result<()> {
    use yieldline_core::conversion::BasisKind;
    let what = match (basis.basis, basis.horizon_days) {
        (BasisKind::Cohort, Some(h)) => format!("cohort conversion within {h} days"),
        (BasisKind::Cohort, None) => "cohort conversion".to_owned(),
        (BasisKind::Period, _) => "period yields".to_owned(),
    };
    writeln!(out, "basis        {what} — {}", basis.reason)?;
    for n in lag_notes {
        writeln!(out, "lag          {n}")?;
    }
    Ok(())
}

/// Columns a table is fitted to (cells wrapped) unless `--wide` was given.
pub const TABLE_WIDTH: u16 = 100;

static WIDE: AtomicBool = AtomicBool::new(false);

/// `--wide`: tables show every cell on one line, however wide (default: fitted to
/// [`TABLE_WIDTH`] columns).
pub fn set_wide(wide: bool) {
    WIDE.store(wide, Ordering::Relaxed);
}

/// Whether `--wide` was given.
pub fn is_wide() -> bool {
    WIDE.load(Ordering::Relaxed)
}

/// Left-aligns column `i` (text such as evidence reads from the left).
pub fn left(t: &mut Table, i: usize) {
    if let Some(c) = t.column_mut(i) {
        c.set_cell_alignment(CellAlignment::Left);
    }
}

/// A new table in the house style: fitted to [`TABLE_WIDTH`] columns unless `--wide`.
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if !WIDE.load(Ordering::Relaxed) {
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_width(TABLE_WIDTH);
    }
    t.set_header(header.iter().map(Cell::new));
    for i in 1..header.len() {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// The report as a terminal table: stations in line order, then a line summary.
pub fn report_table(out: &mut impl Write, line: &Line, r: &Report) -> Result<()> {
    writeln!(
        out,
        "{} — {} to {} ({} working days, {})",
        r.line, r.from, r.to, r.working_days, line.timezone_name
    )?;
    let marked = |id: &str| {
        let bottleneck = r.bottleneck.as_deref() == Some(id);
        let binding = r
            .binding_constraint
            .as_ref()
            .is_some_and(|b| b.station == id);
        match (bottleneck, binding) {
            (true, true) => format!("{id} ◀ bottleneck, binding"),
            (true, false) => format!("{id} ◀ bottleneck"),
            (false, true) => format!("{id} ◀ binding"),
            (false, false) => id.to_owned(),
        }
    };
    let ci = |c: Option<[f64; 2]>| {
        c.map_or_else(
            || "–".to_owned(),
            |[lo, hi]| format!("{:.1}–{:.1}%", lo * 100.0, hi * 100.0),
        )
    };
    let header = [
        "station",
        "op",
        "cap/day",
        "entered",
        "passed",
        "failed",
        "recycled",
        "yield",
        "95% CI",
        "target",
        "WIP",
        "cycle p50 h",
        "p90 h",
        "out/day",
        "util",
    ];
    let rows: Vec<[String; 15]> = r
        .stations
        .iter()
        .zip(&line.stations)
        .map(|(s, st)| {
            [
                marked(&s.id),
                operator(st.operator).to_owned(),
                num(Some(s.capacity_per_day), 0),
                s.entered.to_string(),
                s.passed.to_string(),
                s.failed.to_string(),
                s.recycled.to_string(),
                pct(s.yield_),
                ci(s.yield_ci),
                pct(s.target_yield),
                s.wip.to_string(),
                num(s.cycle_time_hours.p50, 1),
                num(s.cycle_time_hours.p90, 1),
                num(s.throughput_per_day, 1),
                pct(s.utilization),
            ]
        })
        .collect();
    // One table with --wide; else two of the same rows, to fit a 100-column terminal:
    // the flow, then the capacity and time.
    let parts: Vec<Vec<usize>> = if is_wide() {
        vec![(0..15).collect()]
    } else {
        vec![
            vec![0, 3, 4, 5, 6, 7, 8, 9],
            vec![0, 1, 2, 10, 11, 12, 13, 14],
        ]
    };
    for (k, cols) in parts.iter().enumerate() {
        let mut t = table(&cols.iter().map(|&c| header[c]).collect::<Vec<_>>());
        for (row, s) in rows.iter().zip(&r.stations) {
            t.add_row(cols.iter().map(|&c| {
                // The station's marks go with the capacity table when split.
                if c == 0 && k == 0 && parts.len() > 1 {
                    s.id.clone()
                } else {
                    row[c].clone()
                }
            }));
        }
        writeln!(out, "{t}")?;
    }
    let p = &r.production;
    writeln!(
        out,
        "production   {} per working day against a target of {} (gap {})",
        num(p.per_day, 2),
        num(Some(p.target_per_day), 2),
        num(p.gap, 2)
    )?;
    writeln!(
        out,
        "line         RTY {}, capacity {} per day; bottleneck (theoretical: capacity × later yields) {}; binding constraint on actual flow {}",
        pct(r.rty),
        num(r.line_capacity_per_day, 2),
        r.bottleneck.as_deref().unwrap_or("–"),
        r.binding_constraint.as_ref().map_or_else(
            || "–".to_owned(),
            |b| format!("{} (utilization {})", b.station, pct(Some(b.utilization)))
        )
    )?;
    writeln!(
        out,
        "tomorrow     breeding ratio {} ({} recycled + {} referrals for {} fresh units consumed)",
        num(r.breeding_ratio, 2),
        r.recycled,
        r.referrals,
        r.territory.fresh_consumed
    )?;
    let t = &r.territory;
    if t.territory_units == 0 {
        writeln!(
            out,
            "territory    unknown: no territory imported ({} in line, {} resting, {} burned, {} done among the units in the log)",
            t.in_line, t.resting, t.burned, t.done
        )?;
    } else {
        writeln!(
            out,
            "territory    {} fresh, {} in line, {} resting, {} burned, {} done ({}); fresh lasts {} working days at the intake of the last 60",
            t.fresh,
            t.in_line,
            t.resting,
            t.burned,
            t.done,
            t.units_are,
            num(t.days_of_fresh_territory, 0)
        )?;
    }
    writeln!(
        out,
        "effort       {} touches per unit, {} minutes per output",
        num(r.touches_per_unit, 1),
        num(r.cost_per_output_minutes, 0)
    )?;
    cohort_table(out, r)?;
    if r.events_at_unknown_stations > 0 {
        writeln!(
            out,
            "note         {} events are at stations line.toml no longer has; they are not measured",
            r.events_at_unknown_stations
        )?;
    }
    Ok(())
}

/// The period's cohorts: what the entries became by the period's end (open ones stated
/// and counted), and followed to the as-of instant with censoring; then lag notes.
fn cohort_table(out: &mut impl Write, r: &Report) -> Result<()> {
    let as_of = r.stations.first().map(|s| s.conversion.as_of);
    writeln!(
        out,
        "cohorts      visits entered in the period: yield = passed by its end over entered (open ones counted); ≤Nd = passed within N days, followed to {} (open now: censored there)",
        as_of.map_or_else(|| "–".to_owned(), |t| t.to_string())
    )?;
    let mut t = table(&[
        "station", "entered", "passed", "open", "yield", "≤7d", "≤30d", "≤90d", "open now",
        "median d",
    ]);
    let at = |v: &Option<Vec<Option<f64>>>, i: usize| {
        v.as_ref().and_then(|v| v.get(i).copied().flatten())
    };
    for s in &r.stations {
        let c = &s.conversion;
        t.add_row(vec![
            s.id.clone(),
            s.cohort.entered.to_string(),
            s.cohort.passed.to_string(),
            s.cohort.open.to_string(),
            pct(s.cohort.yield_),
            pct(at(&c.passed_by, 0)),
            pct(at(&c.passed_by, 2)),
            pct(at(&c.passed_by, 4)),
            c.open.to_string(),
            num(c.median_days_to_disposition, 1),
        ]);
    }
    writeln!(out, "{t}")?;
    for s in &r.stations {
        if let Some(note) = &s.lag.note {
            writeln!(out, "lag          {}: {note}", s.id)?;
        }
    }
    Ok(())
}

/// The report as CSV, one row per station.
pub fn report_csv(out: &mut impl Write, r: &Report) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "station",
        "entered",
        "passed",
        "failed",
        "recycled",
        "dispositions",
        "yield",
        "yield_lo",
        "yield_hi",
        "wip",
        "cycle_p50_hours",
        "cycle_p90_hours",
        "cycle_mean_hours",
        "throughput_per_day",
        "utilization",
    ])?;
    let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for s in &r.stations {
        w.write_record([
            yieldline_core::text::csv_safe(&s.id).into_owned(),
            s.entered.to_string(),
            s.passed.to_string(),
            s.failed.to_string(),
            s.recycled.to_string(),
            s.dispositions.to_string(),
            f(s.yield_),
            f(s.yield_ci.map(|c| c[0])),
            f(s.yield_ci.map(|c| c[1])),
            s.wip.to_string(),
            f(s.cycle_time_hours.p50),
            f(s.cycle_time_hours.p90),
            f(s.cycle_time_hours.mean),
            f(s.throughput_per_day),
            f(s.utilization),
        ])?;
    }
    w.flush()?;
    Ok(())
}
