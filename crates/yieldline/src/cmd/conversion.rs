//! `yieldline conversion`: conversion curves per entry cohort, followed to the as-of
//! instant with censoring. The figures come from `yieldline_app::analysis::conversion`;
//! this module only renders them.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use yieldline_app::analysis::{ConversionCurves, ConversionRequest, StationConversion};
use yieldline_core::conversion::CohortGrain;

use crate::output::{self, num, pct};
use crate::workspace::Workspace;

/// Output formats of `conversion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ConversionFormat {
    /// Tables for people.
    #[default]
    Table,
    /// JSON.
    Json,
    /// CSV, one row per cohort and horizon.
    Csv,
    /// The curves of one station (--station) as SVG.
    Svg,
}

/// How entry cohorts are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CohortArg {
    /// By week of entry.
    #[default]
    Week,
    /// By month of entry.
    Month,
}

/// Arguments of `yieldline conversion`.
#[derive(Debug, Args)]
pub struct ConversionArgs {
    /// Only this station.
    #[arg(long)]
    station: Option<String>,
    /// How entry cohorts are cut.
    #[arg(long, value_enum, default_value_t)]
    cohort: CohortArg,
    /// Follow the cohorts to the end of this day (default: the latest event's instant).
    #[arg(long)]
    as_of: Option<Date>,
    /// First entry day (default: the first event's day).
    #[arg(long)]
    from: Option<Date>,
    /// Last entry day (default: the last event's day).
    #[arg(long)]
    to: Option<Date>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: ConversionFormat,
    /// Tables show every cell on one line, however wide (default: fitted to 100 columns).
    #[arg(long)]
    wide: bool,
}

/// Runs `yieldline conversion`.
pub fn run(dir: &Path, args: &ConversionArgs) -> Result<()> {
    output::set_wide(args.wide);
    if args.format == ConversionFormat::Svg && args.station.is_none() {
        bail!("--format svg draws one station's curves: give --station");
    }
    let ws = Workspace::open(dir)?;
    let c = yieldline_app::analysis::conversion(
        &ws,
        &ConversionRequest {
            station: args.station.clone(),
            grain: match args.cohort {
                CohortArg::Week => CohortGrain::Week,
                CohortArg::Month => CohortGrain::Month,
            },
            as_of: args.as_of,
            from: args.from,
            to: args.to,
        },
    )?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ConversionFormat::Json => output::json(&mut out, &c),
        ConversionFormat::Csv => csv(out, &c),
        ConversionFormat::Table => table(&mut out, &c),
        ConversionFormat::Svg => {
            let st = c.stations.first().map(|s| svg(s, &c));
            out.write_all(st.unwrap_or_default().as_bytes())?;
            Ok(())
        }
    }
}

fn at(v: &Option<Vec<Option<f64>>>, i: usize) -> Option<f64> {
    v.as_ref().and_then(|v| v.get(i).copied().flatten())
}

fn table(out: &mut impl Write, c: &ConversionCurves) -> Result<()> {
    writeln!(
        out,
        "conversion of the visits entered {} to {}, by {} of entry, followed to {} (open visits censored there)",
        c.from,
        c.to,
        match c.cohort {
            CohortGrain::Week => "week",
            CohortGrain::Month => "month",
        },
        c.as_of
    )?;
    for s in &c.stations {
        writeln!(out, "\n{}", s.id)?;
        let mut t = output::table(&[
            "cohort",
            "visits",
            "open",
            "≤7d",
            "≤14d",
            "≤30d",
            "≤60d",
            "≤90d",
            "failed ≤90d",
            "median d",
        ]);
        for k in &s.cohorts {
            let v = &k.conversion;
            let mut row = vec![
                k.cohort.to_string(),
                v.visits.to_string(),
                v.open.to_string(),
            ];
            row.extend((0..5).map(|i| pct(at(&v.passed_by, i))));
            row.push(pct(at(&v.failed_by, 4)));
            row.push(num(v.median_days_to_disposition, 1));
            t.add_row(row);
        }
        writeln!(out, "{t}")?;
        if let Some(note) = &s.lag.note {
            writeln!(out, "lag: {note}")?;
        }
    }
    writeln!(
        out,
        "\n≤Nd: share of the cohort passed within N days (Aalen–Johansen, failures and recycles competing); – where the follow-up is shorter"
    )?;
    Ok(())
}

fn csv(out: impl Write, c: &ConversionCurves) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "station",
        "cohort",
        "visits",
        "open",
        "horizon_days",
        "passed_by",
        "passed_lo",
        "passed_hi",
        "failed_by",
        "median_days_to_disposition",
    ])?;
    let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for s in &c.stations {
        for k in &s.cohorts {
            let v = &k.conversion;
            for (i, h) in v.horizons_days.iter().enumerate() {
                let ci = v
                    .passed_by_ci
                    .as_ref()
                    .and_then(|c| c.get(i).copied().flatten());
                w.write_record([
                    s.id.clone(),
                    k.cohort.to_string(),
                    v.visits.to_string(),
                    v.open.to_string(),
                    h.to_string(),
                    f(at(&v.passed_by, i)),
                    f(ci.map(|c| c[0])),
                    f(ci.map(|c| c[1])),
                    f(at(&v.failed_by, i)),
                    f(v.median_days_to_disposition),
                ])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// One station's cohort curves: share passed against days since entry, one step line per
/// cohort, darker for later cohorts.
fn svg(s: &StationConversion, c: &ConversionCurves) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 420.0, 60.0, 150.0, 40.0, 50.0);
    let days = f64::from(yieldline_app::analysis::CURVE_DAYS);
    let ymax = s
        .cohorts
        .iter()
        .flat_map(|k| k.curve.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max)
        .max(0.01);
    let ymax = (ymax * 10.0).ceil() / 10.0;
    let x = |d: f64| left + d / days * (w - left - right);
    let y = |p: f64| top + (1.0 - p / ymax) * (h - top - bottom);
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        o,
        r#"<text x="{left}" y="20" font-size="14">{}: share passed by days since entry, per entry cohort (followed to {})</text>"#,
        s.id, c.as_of
    );
    for i in 0..=5 {
        let p = ymax * f64::from(i) / 5.0;
        let _ = writeln!(
            o,
            r##"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
            w - right,
            left - 6.0,
            y(p) + 4.0,
            p * 100.0,
            yy = y(p)
        );
    }
    for d in [0.0, 7.0, 14.0, 30.0, 60.0, 90.0] {
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{d:.0}</text>"#,
            x(d),
            h - bottom + 18.0
        );
    }
    let _ = writeln!(
        o,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">days since entry</text>"#,
        x(days / 2.0),
        h - 10.0
    );
    let n = s.cohorts.len().max(1);
    for (i, k) in s.cohorts.iter().enumerate() {
        let shade = 200 - (160 * i / n) as u32;
        let colour = format!("rgb({shade},{},{})", shade / 2, 255 - shade / 2);
        let mut pts = String::new();
        let mut prev: Option<f64> = None;
        for &(d, p) in &k.curve {
            if let Some(q) = prev {
                let _ = write!(pts, "{:.1},{:.1} ", x(f64::from(d)), y(q));
            }
            let _ = write!(pts, "{:.1},{:.1} ", x(f64::from(d)), y(p));
            prev = Some(p);
        }
        let _ = writeln!(
            o,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{}"/>"#,
            pts.trim_end()
        );
        if i < 20 {
            let _ = writeln!(
                o,
                r#"<text x="{}" y="{}" fill="{colour}">{} ({} visits)</text>"#,
                w - right + 8.0,
                top + 14.0 * i as f64 + 10.0,
                k.cohort,
                k.conversion.visits
            );
        }
    }
    o.push_str("</svg>\n");
    o
}
