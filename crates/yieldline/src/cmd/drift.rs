//! `yieldline drift`: control charts and run rules for every station's yield.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use yieldline_app::analysis::{ChartRequest, Drift, DriftRequest, StationChart};
use yieldline_spc::render_svg_of;

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
    /// Tables show every cell on one line, however wide (default: fitted to 100 columns).
    #[arg(long)]
    wide: bool,
}

impl DriftArgs {
    fn request(&self) -> DriftRequest {
        DriftRequest {
            station: self.station.clone(),
            chart: match self.chart {
                ChartArg::Auto => ChartRequest::Auto,
                ChartArg::P => ChartRequest::P,
                ChartArg::Laney => ChartRequest::Laney,
                ChartArg::Ewma => ChartRequest::Ewma,
            },
            baseline: self.baseline.clone(),
            weekly: self.period == PeriodArg::Week,
            from: self.from,
            to: self.to,
            lambda: Some(self.lambda),
            ewma_l: Some(self.ewma_l),
        }
    }
}

/// Runs `yieldline drift`.
pub fn run(dir: &Path, args: &DriftArgs) -> Result<()> {
    output::set_wide(args.wide);
    if (args.format == DriftFormat::Svg || args.plot.is_some()) && args.station.is_none() {
        bail!("an SVG chart is drawn for one station: add --station ID");
    }
    let ws = Workspace::open(dir)?;
    if let Some(plot) = &args.plot {
        yieldline_app::check_output("--plot", plot, &ws.protected_files(), &[])?;
    }
    let drift = yieldline_app::analysis::drift(&ws, &args.request())?;
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
        std::fs::write(path, svg(id, chart, args.period == PeriodArg::Week))
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
                out.write_all(svg(id, chart, args.period == PeriodArg::Week).as_bytes())?;
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

/// The chart's SVG, its title and legend naming the subgroups' grain.
fn svg(station: &str, chart: &yieldline_spc::ControlChart, weekly: bool) -> String {
    render_svg_of(station, chart, if weekly { "weekly" } else { "daily" })
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
    for s in &drift.stations {
        if let Some(note) = &s.note {
            writeln!(out, "note: {}: {note}", s.id)?;
        }
    }
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
    let not_charted: Vec<&str> = drift
        .stations
        .iter()
        .filter(|s| s.chart.is_none())
        .map(|s| s.id.as_str())
        .collect();
    if !any && not_charted.is_empty() {
        writeln!(
            out,
            "no signals: every station's yield is within its control limits"
        )?;
    } else if !any {
        // Never "every station is within its limits" when a station was not charted.
        writeln!(
            out,
            "no signals on the charts drawn; not charted (see the table for why): {}",
            not_charted.join(", ")
        )?;
    }
    Ok(())
}
