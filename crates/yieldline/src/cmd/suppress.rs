//! `yieldline suppress add|remove|list|log`: the permanent list of contacts, e-mail
//! addresses and domains never to be touched again (DESIGN §2, §12).

use std::borrow::Cow;
use std::path::Path;

use anyhow::{Result, bail};
use clap::{ArgGroup, Args, Subcommand};
use serde::Serialize;
use yieldline_app::privacy::{self, EntryView};
use yieldline_core::text::csv_safe;
use yieldline_store::{Added, SuppressionLogEntry};

use crate::OutputFormat;
use crate::output;
use crate::workspace::Workspace;

/// Subcommands of `yieldline suppress`.
#[derive(Debug, Subcommand)]
pub enum SuppressCmd {
    /// Suppress a contact id, an e-mail address or a whole domain (kept with who, when, why).
    Add(AddArgs),
    /// Remove an entry (needs --force; the removal is logged with who, when and why).
    Remove(RemoveArgs),
    /// List the suppressed entries.
    List(ListArgs),
    /// Show the append-only log of additions, removals and erasures.
    Log(ListArgs),
}

/// The entry to act on: exactly one of these.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["contact", "email", "domain", "hash"])))]
pub struct Target {
    /// A contact id.
    #[arg(long, value_name = "ID")]
    contact: Option<String>,
    /// An e-mail address.
    #[arg(long, value_name = "ADDR")]
    email: Option<String>,
    /// A whole domain (every address at it and at its subdomains), e.g. example.com.
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<String>,
    /// An erased person's hash (as shown by `suppress list`; for `remove` only).
    #[arg(long, value_name = "HASH", hide = true)]
    hash: Option<String>,
}

/// Arguments of `suppress add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    target: Target,
    /// Why (kept with the entry).
    #[arg(long, required = true)]
    reason: String,
    /// Who asks (default: $YIELDLINE_USER, else $USER).
    #[arg(long, value_name = "WHO")]
    by: Option<String>,
}

/// Arguments of `suppress remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    target: Target,
    /// Confirm the removal: suppression is permanent unless removed explicitly.
    #[arg(long)]
    force: bool,
    /// Why (kept in the log).
    #[arg(long, required = true)]
    reason: String,
    /// Who removes it (default: $YIELDLINE_USER, else $USER).
    #[arg(long, value_name = "WHO")]
    by: Option<String>,
}

/// Arguments of `suppress list` and `suppress log`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: OutputFormat,
}

/// Who is acting: `--by`, else `$YIELDLINE_USER`, else `$USER`.
pub fn actor(by: Option<&str>) -> Result<String> {
    let who = by
        .map(str::to_owned)
        .or_else(|| std::env::var("YIELDLINE_USER").ok())
        .or_else(|| std::env::var("USER").ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    if who.is_empty() {
        bail!("say who is acting with --by WHO (or set YIELDLINE_USER)");
    }
    Ok(who)
}

/// The target named on the command line.
fn target(t: &Target) -> Result<privacy::Target> {
    if let Some(id) = &t.contact {
        return Ok(privacy::Target::Contact(id.clone()));
    }
    if let Some(e) = &t.email {
        return Ok(privacy::Target::Email(e.clone()));
    }
    if let Some(d) = &t.domain {
        return Ok(privacy::Target::Domain(d.clone()));
    }
    if let Some(h) = &t.hash {
        return Ok(privacy::Target::Hash(h.clone()));
    }
    bail!("name what to suppress: --contact ID, --email ADDR or --domain DOMAIN")
}

/// Runs a `suppress` subcommand.
pub fn run(dir: &Path, cmd: SuppressCmd) -> Result<()> {
    match cmd {
        SuppressCmd::Add(a) => add(dir, &a),
        SuppressCmd::Remove(a) => remove(dir, &a),
        SuppressCmd::List(a) => list(dir, a.format),
        SuppressCmd::Log(a) => log(dir, a.format),
    }
}

fn add(dir: &Path, a: &AddArgs) -> Result<()> {
    let t = target(&a.target)?;
    if matches!(t, privacy::Target::Hash(_)) {
        bail!("--hash is for `suppress remove`: erased persons are added by `yieldline erase`");
    }
    let who = actor(a.by.as_deref())?;
    let ws = Workspace::open(dir)?;
    let (kind, target, added) = privacy::suppress(&ws, &t, &who, &a.reason)?;
    let why = a.reason.trim();
    match added {
        Added::New => println!("suppressed {} {target} (by {who}: {why})", kind.as_str()),
        Added::Exists(e) => println!(
            "{} {target} is already suppressed since {} by {} ({}); entry unchanged",
            kind.as_str(),
            e.added_at,
            e.added_by,
            e.reason
        ),
    }
    Ok(())
}

fn remove(dir: &Path, a: &RemoveArgs) -> Result<()> {
    let t = target(&a.target)?;
    let (kind, canonical) = t.canonical()?;
    if a.reason.trim().is_empty() {
        bail!("--reason must say why");
    }
    if !a.force {
        bail!(
            "refusing to remove the suppression of {} {canonical} without --force: suppression is permanent until removed explicitly (the removal is logged)",
            kind.as_str()
        );
    }
    let who = actor(a.by.as_deref())?;
    let ws = Workspace::open(dir)?;
    let why = a.reason.trim();
    let (kind, target, e) = privacy::unsuppress(&ws, &t, &who, why)?;
    println!(
        "removed the suppression of {} {target} (added {} by {}: {}); logged as removed by {who}: {why}",
        kind.as_str(),
        e.added_at,
        e.added_by,
        e.reason
    );
    Ok(())
}

fn list(dir: &Path, format: OutputFormat) -> Result<()> {
    let ws = Workspace::open(dir)?;
    let rows = privacy::entry_views(&ws)?;
    let footer = format!("{} suppressed", rows.len());
    print(&rows, format, Some(footer))
}

/// One log row as printed.
#[derive(Debug, Serialize)]
struct LogOut<'a> {
    id: i64,
    at: &'a str,
    action: &'a str,
    kind: &'a str,
    target: &'a str,
    who: &'a str,
    reason: &'a str,
}

impl<'a> From<&'a SuppressionLogEntry> for LogOut<'a> {
    fn from(e: &'a SuppressionLogEntry) -> Self {
        Self {
            id: e.id,
            at: &e.at,
            action: &e.action,
            kind: e.kind.as_str(),
            target: &e.target,
            who: &e.who,
            reason: &e.reason,
        }
    }
}

fn log(dir: &Path, format: OutputFormat) -> Result<()> {
    let ws = Workspace::open(dir)?;
    let entries = ws.store.suppression_log()?;
    let rows: Vec<LogOut<'_>> = entries.iter().map(LogOut::from).collect();
    print(&rows, format, None)
}

/// Prints `rows` as JSON, CSV or a table (then `footer`, if any).
fn print<T: Listed>(rows: &[T], format: OutputFormat, footer: Option<String>) -> Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        OutputFormat::Json => output::json(&mut out, &rows),
        OutputFormat::Csv => write_csv(&mut out, T::CSV_HEADER, rows),
        OutputFormat::Table => {
            let mut t = text_table(T::TABLE_HEADER);
            for r in rows {
                t.add_row(r.table_cells());
            }
            writeln!(out, "{t}")?;
            if let Some(f) = footer {
                writeln!(out, "{f}")?;
            }
            Ok(())
        }
    }
}

/// A table in the house style with every column left-aligned (all text).
fn text_table(header: &[&str]) -> comfy_table::Table {
    let mut t = output::table(header);
    for c in t.column_iter_mut() {
        c.set_cell_alignment(comfy_table::CellAlignment::Left);
    }
    t
}

/// A row of `suppress list` or `suppress log`.
trait Listed: Serialize {
    /// The CSV header.
    const CSV_HEADER: &'static [&'static str];
    /// The table's header.
    const TABLE_HEADER: &'static [&'static str];
    /// The table's cells.
    fn table_cells(&self) -> Vec<&str>;
    /// The CSV's first cell, when it has one the table does not show.
    fn csv_id(&self) -> Option<String> {
        None
    }
    /// The CSV cells: [`Listed::csv_id`], then the table's cells with text from outside
    /// neutralised as formulas ([`csv_safe`]).
    fn cells(&self) -> Vec<Cow<'_, str>> {
        let mut cells: Vec<Cow<'_, str>> = self.csv_id().map(Cow::Owned).into_iter().collect();
        cells.extend(self.table_cells().into_iter().map(csv_safe));
        cells
    }
}

impl Listed for EntryView {
    const CSV_HEADER: &'static [&'static str] =
        &["kind", "target", "added_at", "added_by", "reason"];
    const TABLE_HEADER: &'static [&'static str] = &["kind", "target", "added", "by", "reason"];

    fn table_cells(&self) -> Vec<&str> {
        vec![
            self.kind.as_str(),
            &self.target,
            &self.added_at,
            &self.added_by,
            &self.reason,
        ]
    }
}

impl Listed for LogOut<'_> {
    const CSV_HEADER: &'static [&'static str] =
        &["id", "at", "action", "kind", "target", "who", "reason"];
    const TABLE_HEADER: &'static [&'static str] =
        &["at", "action", "kind", "target", "who", "reason"];

    fn table_cells(&self) -> Vec<&str> {
        vec![
            self.at,
            self.action,
            self.kind,
            self.target,
            self.who,
            self.reason,
        ]
    }

    fn csv_id(&self) -> Option<String> {
        Some(self.id.to_string())
    }
}

/// CSV with a header row (written even when there are no rows).
fn write_csv<T: Listed>(out: &mut impl std::io::Write, header: &[&str], rows: &[T]) -> Result<()> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(out);
    w.write_record(header)?;
    for r in rows {
        w.write_record(r.cells().iter().map(|c| c.as_ref()))?;
    }
    w.flush()?;
    Ok(())
}
