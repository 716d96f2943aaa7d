//! `yieldline experiment create|list|show|stop|assign|analyze`: randomized experiments
//! at one station (DESIGN §6).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;
use jiff::civil::Date;
use yieldline_app::experiments::{self, ExperimentRequest};
use yieldline_core::experiment::{Analysis, ExperimentDef, RandomizationUnit, fmt_p, iso_week};
use yieldline_core::line::Line;
use yieldline_core::text::csv_safe;

use crate::output::{self, num, pct};
use crate::workspace::Workspace;

/// Output format of experiment commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// A table for people.
    #[default]
    Table,
    /// JSON (the scripting contract).
    Json,
}

/// Randomization unit on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum UnitArg {
    /// The account: colleagues at one company share an arm (default).
    #[default]
    Account,
    /// The contact.
    Contact,
    /// The ISO calendar week (switchback): all units worked in a week share its arm.
    Week,
}

impl From<UnitArg> for RandomizationUnit {
    fn from(u: UnitArg) -> Self {
        match u {
            UnitArg::Account => RandomizationUnit::Account,
            UnitArg::Contact => RandomizationUnit::Contact,
            UnitArg::Week => RandomizationUnit::Week,
        }
    }
}

/// Experiment subcommands.
#[derive(Debug, Subcommand)]
pub enum ExperimentCmd {
    /// Define an experiment at a station and store it in the workspace.
    Create(CreateArgs),
    /// List the workspace's experiments.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Show one experiment's definition.
    Show {
        /// The experiment id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Stop an experiment: its analysis window ends at the stop.
    Stop {
        /// The experiment id.
        id: String,
        /// When it stopped (RFC 3339, a date YYYY-MM-DD meaning local midnight, or `now`).
        #[arg(long, default_value = "now")]
        at: String,
    },
    /// Assign units to arms: writes `unit_id,account_id,arm` CSV.
    ///
    /// The arm is a pure function of the experiment's salt and the unit's randomization
    /// id, recomputable anywhere: h = XXH3-64 (seed 0) of the UTF-8 bytes of
    /// `salt + ":" + id`; u = (h >> 11) / 2^53 in [0, 1); the arm is the first whose
    /// cumulative normalised weight exceeds u. In Python:
    /// `(xxhash.xxh3_64_intdigest(f"{salt}:{id}".encode()) >> 11) / 2**53`.
    /// The randomization id is the unit's account (from the territory) for `--unit
    /// account`, the contact id for `--unit contact`, and the ISO week `YYYY-Www` of
    /// `--date` for `--unit week`.
    Assign(AssignArgs),
    /// Analyse an experiment: per-arm yields, lift with intervals, always-valid p, verdict.
    Analyze(AnalyzeArgs),
}

/// Arguments of `yieldline experiment create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Experiment id (letters, digits, '.', '_', '-').
    #[arg(long)]
    pub id: String,
    /// The station where the arms differ.
    #[arg(long)]
    pub station: String,
    /// Arm names, comma-separated (e.g. `human,automated`); the first is the control
    /// unless --control says otherwise.
    #[arg(long)]
    pub arms: String,
    /// Relative weights, comma-separated, one per arm (default: equal).
    #[arg(long)]
    pub weights: Option<String>,
    /// What is randomized.
    #[arg(long, value_enum, default_value_t)]
    pub unit: UnitArg,
    /// Assignment salt (default: the experiment id).
    #[arg(long)]
    pub salt: Option<String>,
    /// Start (RFC 3339, a date YYYY-MM-DD meaning local midnight, or `now`); a past
    /// start analyses history.
    #[arg(long, default_value = "now")]
    pub start: String,
    /// The control arm (default: the first).
    #[arg(long)]
    pub control: Option<String>,
    /// Guardrail `METRIC:MARGIN` (repeatable): optout_rate, negative_rate or a later
    /// station id, with the largest acceptable worsening as a rate difference (0.003, or 0.3%).
    #[arg(long = "guardrail", value_name = "METRIC:MARGIN")]
    pub guardrails: Vec<String>,
    /// An arm whose units get no touch at the station (dispatch skips them); its
    /// comparisons use later-station rates per unit: the incremental effect of outreach.
    #[arg(long)]
    pub holdout: Option<String>,
    /// The later station whose per-unit rate measures comparisons with the holdout
    /// (default: the line's last station).
    #[arg(long)]
    pub holdout_metric: Option<String>,
    /// Mixing variance τ² of the always-valid p-value (default 1e-4: τ = one percentage
    /// point; set it near the square of the effect you expect).
    #[arg(long)]
    pub tau2: Option<f64>,
}

/// Arguments of `yieldline experiment assign`.
#[derive(Debug, Args)]
pub struct AssignArgs {
    /// The experiment id.
    pub id: String,
    /// Unit ids, one per line, or a CSV whose first column is the id (header optional);
    /// `-` reads standard input.
    pub input: PathBuf,
    /// The day the units are worked (for `--unit week`; default: today in the line's zone).
    #[arg(long)]
    pub date: Option<Date>,
    /// Write the CSV here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Arguments of `yieldline experiment analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The experiment id.
    pub id: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// Analyse as of this instant (RFC 3339, a date meaning local midnight, or `now`).
    #[arg(long, default_value = "now")]
    pub as_of: String,
}

/// Runs an experiment subcommand.
pub fn run(dir: &Path, cmd: ExperimentCmd) -> Result<()> {
    let ws = Workspace::open(dir)?;
    match cmd {
        ExperimentCmd::Create(args) => create(&ws, &args),
        ExperimentCmd::List { format } => list(&ws, format),
        ExperimentCmd::Show { id, format } => show(&ws, &id, format),
        ExperimentCmd::Stop { id, at } => stop(&ws, &id, &at),
        ExperimentCmd::Assign(args) => assign(&ws, &args),
        ExperimentCmd::Analyze(args) => analyze_cmd(&ws, &args),
    }
}

/// Parses an instant: RFC 3339 with offset, a date (local midnight), or `now`.
pub fn parse_time(line: &Line, text: &str) -> Result<Timestamp> {
    Ok(experiments::parse_time(line, "time", text)?)
}

fn load(ws: &Workspace, id: &str) -> Result<ExperimentDef> {
    Ok(experiments::get(ws, id)?)
}

impl CreateArgs {
    /// The application's request for these arguments.
    pub fn request(&self) -> ExperimentRequest {
        ExperimentRequest {
            id: self.id.clone(),
            station: self.station.clone(),
            arms: self.arms.clone(),
            weights: self.weights.clone(),
            unit: Some(RandomizationUnit::from(self.unit).as_str().to_owned()),
            salt: self.salt.clone(),
            start: Some(self.start.clone()),
            control: self.control.clone(),
            guardrails: self.guardrails.clone(),
            holdout: self.holdout.clone(),
            holdout_metric: self.holdout_metric.clone(),
            tau2: self.tau2,
        }
    }
}

fn create(ws: &Workspace, args: &CreateArgs) -> Result<()> {
    let def = experiments::create(ws, &args.request())?;
    eprintln!(
        "created experiment {} at {}: arms {}, control {}, randomized by {}, salt {:?}, from {}",
        def.id,
        def.station,
        def.arm_names().join(", "),
        def.control,
        def.unit.as_str(),
        def.salt,
        def.start
    );
    Ok(())
}

fn status(def: &ExperimentDef, now: Timestamp) -> &'static str {
    experiments::status(def, now)
}

fn list(ws: &Workspace, format: Format) -> Result<()> {
    let all = ws.store.experiments()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if format == Format::Json {
        return output::json(&mut out, &all);
    }
    if all.is_empty() {
        writeln!(
            out,
            "no experiments yet: `yieldline experiment create --id ID --station S --arms a,b`"
        )?;
        return Ok(());
    }
    let now = Timestamp::now();
    let mut t = output::table(&["id", "station", "arms", "unit", "start", "stop", "status"]);
    for d in &all {
        t.add_row(vec![
            d.id.clone(),
            d.station.clone(),
            arms_text(d),
            d.unit.as_str().to_owned(),
            local(&ws.line, d.start),
            d.stop
                .map_or_else(|| "–".to_owned(), |s| local(&ws.line, s)),
            status(d, now).to_owned(),
        ]);
    }
    writeln!(out, "{t}")?;
    Ok(())
}

fn arms_text(d: &ExperimentDef) -> String {
    let total: f64 = d.arms.iter().map(|a| a.weight).sum();
    d.arms
        .iter()
        .map(|a| {
            let mut s = format!("{} {:.0}%", a.name, a.weight / total * 100.0);
            if a.name == d.control {
                s.push_str(" (control)");
            }
            if d.holdout.as_deref() == Some(a.name.as_str()) {
                s.push_str(" (holdout)");
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn local(line: &Line, ts: Timestamp) -> String {
    ts.to_zoned(line.timezone.clone())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
}

fn show(ws: &Workspace, id: &str, format: Format) -> Result<()> {
    let d = load(ws, id)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if format == Format::Json {
        return output::json(&mut out, &d);
    }
    writeln!(out, "experiment  {}", d.id)?;
    writeln!(out, "station     {}", d.station)?;
    writeln!(out, "arms        {}", arms_text(&d))?;
    writeln!(
        out,
        "randomized  by {} (salt {:?})",
        d.unit.as_str(),
        d.salt
    )?;
    writeln!(out, "start       {}", local(&ws.line, d.start))?;
    writeln!(
        out,
        "stop        {}",
        d.stop
            .map_or_else(|| "– (running)".to_owned(), |s| local(&ws.line, s))
    )?;
    for g in &d.guardrails {
        writeln!(
            out,
            "guardrail   {} may not get worse by more than {:.2} pp",
            g.metric,
            g.margin * 100.0
        )?;
    }
    if let Some(m) = &d.holdout_metric {
        writeln!(out, "holdout by  {m} per unit")?;
    }
    writeln!(out, "tau2        {}", d.tau2)?;
    Ok(())
}

fn stop(ws: &Workspace, id: &str, at: &str) -> Result<()> {
    let d = experiments::stop(ws, id, at)?;
    if let Some(at) = d.stop {
        eprintln!("stopped experiment {id} at {at}");
    }
    Ok(())
}

fn assign(ws: &Workspace, args: &AssignArgs) -> Result<()> {
    let name = args.input.display().to_string();
    let mut text = String::new();
    if name == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
    } else {
        text =
            std::fs::read_to_string(&args.input).with_context(|| format!("cannot read {name}"))?;
    }
    if let Some(p) = &args.output {
        yieldline_app::check_output(
            "--output",
            p,
            &ws.protected_files(),
            std::slice::from_ref(&args.input),
        )?;
    }
    let date = args.date.unwrap_or_else(|| experiments::today(&ws.line));
    let def = load(ws, &args.id)?;
    let rows = experiments::assign(ws, &args.id, &name, &text, date)?;
    let sink: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = csv::Writer::from_writer(sink);
    w.write_record(["unit_id", "account_id", "arm"])?;
    for r in &rows {
        w.write_record([
            csv_safe(&r.unit_id).as_ref(),
            &csv_safe(&r.account_id),
            &csv_safe(&r.arm),
        ])?;
    }
    w.flush()?;
    if def.unit == RandomizationUnit::Week {
        eprintln!("switchback: week {} of {date}", iso_week(date));
    }
    Ok(())
}

/// Analyses an experiment of the workspace as of `as_of`.
pub fn analysis(ws: &Workspace, id: &str, as_of: Timestamp) -> Result<Analysis> {
    Ok(experiments::analysis(ws, id, as_of)?)
}

fn analyze_cmd(ws: &Workspace, args: &AnalyzeArgs) -> Result<()> {
    let as_of = parse_time(&ws.line, &args.as_of).context("--as-of")?;
    let a = analysis(ws, &args.id, as_of)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => output::json(&mut out, &a),
        Format::Table => print_analysis(&mut out, &ws.line, &a),
    }
}

fn ci(c: Option<[f64; 2]>) -> String {
    c.map_or_else(
        || "–".to_owned(),
        |[lo, hi]| format!("{:.2}–{:.2}%", lo * 100.0, hi * 100.0),
    )
}

fn pp(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |x| format!("{:+.2} pp", x * 100.0))
}

fn pp_ci(c: Option<[f64; 2]>) -> String {
    c.map_or_else(
        || "–".to_owned(),
        |[lo, hi]| format!("{:+.2} to {:+.2} pp", lo * 100.0, hi * 100.0),
    )
}

fn print_analysis(out: &mut impl Write, line: &Line, a: &Analysis) -> Result<()> {
    writeln!(
        out,
        "experiment {} at {} — {} to {}{} ({} working days), randomized by {}, variance {}",
        a.id,
        a.station,
        local(line, a.start),
        local(line, a.end),
        if a.stopped { " (stopped)" } else { "" },
        a.working_days,
        a.unit.as_str(),
        a.variance
    )?;
    let downstream: Vec<String> = a
        .arms
        .first()
        .map(|x| x.downstream.keys().cloned().collect())
        .unwrap_or_default();
    let mut header: Vec<String> = ["arm", "units", "disp.", "passed", "yield", "95% CI"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    // Downstream stations in line order.
    let ordered: Vec<String> = line
        .stations
        .iter()
        .map(|s| s.id.clone())
        .filter(|s| downstream.contains(s))
        .collect();
    header.extend(ordered.iter().cloned());
    header.extend(["opt-out".to_owned(), "negative".to_owned()]);
    let refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = output::table(&refs);
    for arm in &a.arms {
        let mut name = arm.name.clone();
        if arm.control {
            name.push_str(" (control)");
        }
        if arm.holdout {
            name.push_str(" (holdout)");
        }
        let mut row = vec![
            name,
            arm.units.to_string(),
            arm.dispositions.to_string(),
            arm.passed.to_string(),
            pct(arm.yield_),
            ci(arm.yield_ci),
        ];
        for s in &ordered {
            row.push(
                arm.downstream
                    .get(s)
                    .map_or_else(|| "–".to_owned(), |r| rate_pct(r.rate)),
            );
        }
        for g in ["optout_rate", "negative_rate"] {
            row.push(
                arm.guardrails
                    .get(g)
                    .map_or_else(|| "–".to_owned(), |r| rate_pct(r.rate)),
            );
        }
        t.add_row(row);
    }
    writeln!(out, "{t}")?;
    let mut t = output::table(&[
        "arm vs control",
        "metric",
        "diff",
        "95% CI",
        "lift",
        "lift 95% CI",
        "p",
        "P(beat)",
        "always-valid p",
    ]);
    for c in &a.comparisons {
        t.add_row(vec![
            format!("{} vs {}", c.arm, c.control),
            c.metric.clone(),
            pp(c.diff),
            pp_ci(c.diff_ci),
            c.lift
                .map_or_else(|| "–".to_owned(), |l| format!("{:+.1}%", l * 100.0)),
            c.lift_ci.map_or_else(
                || "–".to_owned(),
                |[lo, hi]| format!("{:+.1} to {:+.1}%", lo * 100.0, hi * 100.0),
            ),
            c.p_value.map_or_else(|| "–".to_owned(), fmt_p),
            num(c.chance_to_beat, 3),
            c.always_valid_p.map_or_else(|| "–".to_owned(), fmt_p),
        ]);
    }
    writeln!(out, "{t}")?;
    for c in &a.comparisons {
        for g in &c.guardrails {
            writeln!(
                out,
                "guardrail   {} vs {}: {} {} (95 % CI {}), margin {:.2} pp, {}: {}",
                c.arm,
                c.control,
                g.metric,
                pp(g.diff),
                pp_ci(g.diff_ci),
                g.margin * 100.0,
                if g.lower_is_better {
                    "lower is better"
                } else {
                    "higher is better"
                },
                if g.breached { "BREACHED" } else { "ok" }
            )?;
        }
        if let Some(n) = &c.note {
            writeln!(out, "note        {} vs {}: {n}", c.arm, c.control)?;
        }
    }
    writeln!(
        out,
        "split       sample-ratio check p = {}",
        a.srm_p.map_or_else(|| "–".to_owned(), fmt_p)
    )?;
    for w in &a.warnings {
        writeln!(out, "warning     {w}")?;
    }
    writeln!(
        out,
        "verdict     {}: {}",
        a.verdict.decision.to_uppercase(),
        a.verdict.reason
    )?;
    Ok(())
}

fn rate_pct(r: Option<f64>) -> String {
    r.map_or_else(|| "–".to_owned(), |x| format!("{:.2}%", x * 100.0))
}
