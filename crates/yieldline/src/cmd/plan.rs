//! `yieldline plan`: what a daily target takes, and the chance of hitting it.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use clap::Args;
use jiff::civil::Date;
use yieldline_app::analysis::PlanRequest;
use yieldline_core::plan::Plan;

use crate::OutputFormat;
use crate::output::{self, num, pct};
use crate::workspace::Workspace;

/// Arguments of `yieldline plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Final-station passes wanted per working day (default: the line's target_per_day).
    #[arg(long)]
    target: Option<f64>,
    /// First day of the measurement window (default: 60 working days before --to).
    #[arg(long)]
    from: Option<Date>,
    /// Last day of the measurement window (default: the last event's day).
    #[arg(long)]
    to: Option<Date>,
    /// Monte Carlo runs (simulated days).
    #[arg(long, default_value_t = 10_000)]
    runs: u32,
    /// Monte Carlo seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Yields: period (dispositions in the window) or cohort (share of entries passed within 90 days); default: cohort when outcomes lag differently.
    #[arg(long, value_enum, default_value_t)]
    basis: output::BasisArg,
    /// Output format (table or json).
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
    /// Tables show every cell on one line, however wide (default: fitted to 100 columns).
    #[arg(long)]
    wide: bool,
}

/// Runs `yieldline plan`.
pub fn run(dir: &Path, args: &PlanArgs) -> Result<()> {
    output::set_wide(args.wide);
    let ws = Workspace::open(dir)?;
    let p = yieldline_app::analysis::plan(
        &ws,
        PlanRequest {
            target: args.target,
            from: args.from,
            to: args.to,
            runs: args.runs,
            seed: args.seed,
            basis: args.basis.request(),
        },
    )?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        OutputFormat::Json => output::json(&mut out, &p),
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "station",
                "yield",
                "required_passes_per_day",
                "required_dispositions_per_day",
                "capacity_per_day",
                "capacity_ok",
                "extra_capacity_needed",
            ])?;
            for s in &p.stations {
                w.write_record([
                    s.id.clone(),
                    s.yield_.to_string(),
                    s.required_passes_per_day.to_string(),
                    s.required_dispositions_per_day.to_string(),
                    s.capacity_per_day.to_string(),
                    s.capacity_ok.to_string(),
                    s.extra_capacity_needed.to_string(),
                ])?;
            }
            w.flush()?;
            Ok(())
        }
        OutputFormat::Table => table(&mut out, &p),
    }
}

fn table(out: &mut impl Write, p: &Plan) -> Result<()> {
    writeln!(
        out,
        "plan for {} final passes per working day; now {} per day, measured over {} to {} ({} working days)",
        num(Some(p.target), 1),
        num(p.current_output_per_day, 2),
        p.window.from,
        p.window.to,
        p.window.working_days
    )?;
    let mut t = output::table(&[
        "station",
        "yield",
        "passes/day",
        "dispositions/day",
        "capacity",
        "ok",
        "extra needed",
    ]);
    for s in &p.stations {
        t.add_row(vec![
            s.id.clone(),
            pct(Some(s.yield_)),
            num(Some(s.required_passes_per_day), 1),
            num(Some(s.required_dispositions_per_day), 1),
            num(Some(s.capacity_per_day), 0),
            if s.capacity_ok {
                "yes".into()
            } else {
                "NO".into()
            },
            if s.capacity_ok {
                "–".into()
            } else {
                num(Some(s.extra_capacity_needed), 1)
            },
        ]);
    }
    writeln!(out, "{t}")?;
    output::basis_lines(out, &p.basis, &p.lag_notes)?;
    if p.territory_known {
        writeln!(
            out,
            "intake       {} fresh units per day ({} recycled units come due per day); {} fresh left, lasting {} working days at the current intake, {} at the planned one",
            num(Some(p.fresh_per_day), 1),
            num(Some(p.recycled_due_per_day), 1),
            p.fresh_available,
            num(p.days_to_exhaustion, 0),
            num(p.days_to_exhaustion_at_planned_intake, 0)
        )?;
    } else {
        writeln!(
            out,
            "intake       {} fresh units per day ({} recycled units come due per day); territory unknown",
            num(Some(p.fresh_per_day), 1),
            num(Some(p.recycled_due_per_day), 1),
        )?;
    }
    let mc = &p.monte_carlo;
    writeln!(
        out,
        "forward      over {} simulated days: output P10 {} / P50 {} / P90 {}, chance to hit the target {}",
        mc.runs,
        num(Some(mc.p10), 1),
        num(Some(mc.p50), 1),
        num(Some(mc.p90), 1),
        pct(Some(mc.chance_to_hit))
    )?;
    for n in &p.notes {
        writeln!(out, "note         {n}")?;
    }
    if !p.short_stations.is_empty() {
        writeln!(
            out,
            "short        capacity is short at: {}",
            p.short_stations.join(", ")
        )?;
    }
    Ok(())
}
