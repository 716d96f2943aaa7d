//! `yieldline drift`: control charts and run rules for every station's yield.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use serde::Serialize;
use yieldline_core::report::Period;
use yieldline_core::series::{Grain, station_series};
use yieldline_spc::{
    Baseline, ChartChoice, ChartKind, ControlChart, EwmaParams, Subgroup, analyze, render_svg,
};
use yieldline_store::Store;

use crate::output::{self, num, pct};
use crate::workspace::Workspace;

/// Output formats of `drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DriftFormat {
    /// Tables for people.
    #[default]
    Table,
    /// JSON.
    Json,
    /// CSV, one row per point.
    Csv,
    /// The control chart of one station (--station) as SVG.
    Svg,
}

/// Chart selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ChartArg {
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

/// Subgroup length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum PeriodArg {
    /// Daily subgroups (working days).
    #[default]
    Day,
    /// Weekly subgroups.
    Week,
}

/// Arguments of `yieldline drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Only this station.
    #[arg(long)]
    station: Option<String>,
    /// Chart type.
    #[arg(long, value_enum, default_value_t)]
    chart: ChartArg,
    /// Baseline window FROM..TO (dates); default: the first 30 subgroups with dispositions.
    #[arg(long, value_name = "FROM..TO")]
    baseline: Option<String>,
    /// Subgroup length.
    #[arg(long, value_enum, default_value_t)]
    period: PeriodArg,
    /// First day charted (default: the first event's day).
    #[arg(long)]
    from: Option<Date>,
    /// Last day charted (default: the last event's day).
    #[arg(long)]
    to: Option<Date>,
    /// EWMA smoothing λ in (0, 1].
    #[arg(long, default_value_t = 0.2)]
    lambda: f64,
    /// EWMA limit width L (in σ).
    #[arg(long, default_value_t = 3.0)]
    ewma_l: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: DriftFormat,
    /// Also write the station's control chart (needs --station) to this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
}

/// One station's chart, or why it could not be drawn.
#[derive(Debug, Serialize)]
pub struct StationChart {
    /// Station id.
    pub id: String,
    /// The chart (absent when it could not be drawn).
    #[serde(flatten)]
    pub chart: Option<ControlChart>,
    /// Why the chart could not be drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The drift analysis of a line.
#[derive(Debug, Serialize)]
pub struct Drift {
    /// Stations in line order.
    pub stations: Vec<StationChart>,
}

fn parse_baseline(s: &str) -> Result<(Date, Date)> {
    let (a, b) = s.split_once("..").with_context(|| {
        format!("--baseline {s:?}: expected FROM..TO, e.g. 2025-06-02..2025-07-11")
    })?;
    let a: Date = a
        .trim()
        .parse()
        .with_context(|| format!("--baseline: {a:?} is not a date"))?;
    let b: Date = b
        .trim()
        .parse()
        .with_context(|| format!("--baseline: {b:?} is not a date"))?;
    if b < a {
        bail!("--baseline {s}: the end is before the start");
    }
    Ok((a, b))
}

/// Computes the drift analysis for a workspace.
pub fn analyze_workspace(ws: &Workspace, args: &DriftArgs) -> Result<Drift> {
    let line = &ws.line;
    if let Some(s) = &args.station
        && line.station_index(s).is_none()
    {
        let known: Vec<_> = line.stations.iter().map(|s| s.id.as_str()).collect();
        bail!("unknown station {s:?} (the line has: {})", known.join(", "));
    }
    let log = ws.store.load_log(line)?;
    let (from, to) = Period {
        from: args.from,
        to: args.to,
    }
    .resolve(line, &log)?;
    let grain = match args.period {
        PeriodArg::Day => Grain::Day,
        PeriodArg::Week => Grain::Week,
    };
    let series = station_series(line, &log, from, to, grain, |_| true);
    let baseline_dates = args.baseline.as_deref().map(parse_baseline).transpose()?;
    let choice = match args.chart {
        ChartArg::Auto => ChartChoice::Auto,
        ChartArg::P => ChartChoice::Forced(ChartKind::P),
        ChartArg::Laney => ChartChoice::Forced(ChartKind::Laney),
        ChartArg::Ewma => ChartChoice::Forced(ChartKind::Ewma),
    };
    let params = EwmaParams {
        lambda: args.lambda,
        l: args.ewma_l,
    };
    let mut stations = Vec::new();
    for (st, days) in line.stations.iter().zip(series) {
        if args.station.as_ref().is_some_and(|s| *s != st.id) {
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
        match analyze(&subgroups, baseline, choice, params) {
            Ok(chart) => stations.push(StationChart {
                id: st.id.clone(),
                chart: Some(chart),
                error: None,
            }),
            Err(e) => stations.push(StationChart {
                id: st.id.clone(),
                chart: None,
                error: Some(e.to_string()),
            }),
        }
    }
    Ok(Drift { stations })
}

/// Runs `yieldline drift`.
pub fn run(dir: &Path, args: &DriftArgs) -> Result<()> {
    if (args.format == DriftFormat::Svg || args.plot.is_some()) && args.station.is_none() {
        bail!("an SVG chart is drawn for one station: add --station ID");
    }
    let ws = Workspace::open(dir)?;
    let drift = analyze_workspace(&ws, args)?;
    if args.station.is_some()
        && let Some(StationChart {
            id, error: Some(e), ..
        }) = drift.stations.first()
    {
        bail!("station {id}: {e}");
    }
    if let Some(path) = &args.plot
        && let Some(StationChart {
            id,
            chart: Some(chart),
            ..
        }) = drift.stations.first()
    {
        std::fs::write(path, render_svg(id, chart))
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        DriftFormat::Json => output::json(&mut out, &drift),
        DriftFormat::Svg => {
            if let Some(StationChart {
                id,
                chart: Some(chart),
                ..
            }) = drift.stations.first()
            {
                out.write_all(render_svg(id, chart).as_bytes())?;
            }
            Ok(())
        }
        DriftFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "station", "chart", "day", "n", "yield", "lcl", "ucl", "center", "flagged",
            ])?;
            for s in &drift.stations {
                if let Some(c) = &s.chart {
                    for p in &c.points {
                        w.write_record([
                            s.id.clone(),
                            c.chart.as_str().to_owned(),
                            p.day.clone(),
                            p.n.to_string(),
                            p.yield_.to_string(),
                            p.lcl.to_string(),
                            p.ucl.to_string(),
                            c.center.to_string(),
                            p.flagged.to_string(),
                        ])?;
                    }
                }
            }
            w.flush()?;
            Ok(())
        }
        DriftFormat::Table => table(&mut out, &drift),
    }
}

fn table(out: &mut impl Write, drift: &Drift) -> Result<()> {
    let mut t = output::table(&[
        "station", "chart", "σ_z", "centre", "points", "latest", "signals",
    ]);
    for s in &drift.stations {
        match &s.chart {
            Some(c) => {
                t.add_row(vec![
                    s.id.clone(),
                    c.chart.as_str().to_owned(),
                    num(c.sigma_z, 2),
                    pct(Some(c.center)),
                    c.points.len().to_string(),
                    pct(c.points.last().map(|p| p.yield_)),
                    c.signals.len().to_string(),
                ]);
            }
            None => {
                t.add_row(vec![
                    s.id.clone(),
                    "–".into(),
                    "–".into(),
                    "–".into(),
                    "0".into(),
                    "–".into(),
                    s.error.clone().unwrap_or_default(),
                ]);
            }
        }
    }
    writeln!(out, "{t}")?;
    let mut any = false;
    for s in &drift.stations {
        for sig in s.chart.iter().flat_map(|c| &c.signals) {
            if !any {
                writeln!(out, "signals:")?;
                any = true;
            }
            writeln!(
                out,
                "  {} {} rule {}: {}",
                s.id, sig.day, sig.rule, sig.message
            )?;
        }
    }
    if !any {
        writeln!(
            out,
            "no signals: every station's yield is within its control limits"
        )?;
    }
    Ok(())
}
