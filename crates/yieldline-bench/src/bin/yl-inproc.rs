//! `yl-inproc`: the work of `yieldline import events` and `yieldline report --format
//! json`, done in-process through the libraries, for profiling (`perf record`,
//! callgrind) without the CLI's argument parsing and output around it.
//!
//!     yl-inproc import WORKSPACE EVENTS.csv
//!     yl-inproc report WORKSPACE > report.json

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use yieldline_core::line::Line;
use yieldline_core::report::{Period, report};
use yieldline_store::{DB_FILE, SqliteStore, Store};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, ws) = match args.as_slice() {
        [cmd, ws, ..] => (cmd.as_str(), Path::new(ws)),
        _ => bail!("usage: yl-inproc import WORKSPACE EVENTS.csv | yl-inproc report WORKSPACE"),
    };
    let text = std::fs::read_to_string(ws.join("line.toml")).context("line.toml")?;
    let line = Line::from_toml("line.toml", &text)?;
    let store = SqliteStore::open(&ws.join(DB_FILE))?;
    let t = Instant::now();
    match (cmd, args.get(2)) {
        ("import", Some(csv)) => {
            let out = yieldline_import::import_events(
                &store,
                &line,
                Path::new(csv),
                yieldline_import::Format::Csv,
                yieldline_import::Options::default(),
                &mut |_| {},
            )?;
            eprintln!(
                "imported {} of {} in {:.3} s",
                out.record.imported,
                out.record.read,
                t.elapsed().as_secs_f64()
            );
        }
        ("report", None) => {
            let log = store.load_log(&line)?;
            let t_load = t.elapsed().as_secs_f64();
            let territory = store.territory_units(&line)?;
            let r = report(&line, &log, &territory, Period::default())?;
            let t_report = t.elapsed().as_secs_f64();
            serde_json::to_writer_pretty(std::io::stdout().lock(), &r)?;
            eprintln!(
                "load_log {t_load:.3} s, report {:.3} s, total {:.3} s",
                t_report - t_load,
                t.elapsed().as_secs_f64()
            );
        }
        _ => bail!("usage: yl-inproc import WORKSPACE EVENTS.csv | yl-inproc report WORKSPACE"),
    }
    Ok(())
}
