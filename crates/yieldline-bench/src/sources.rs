//! `yieldline-bench sources [--quick] [--rows N] [--out DIR]`: import speed of each
//! built-in source. Per source it writes an export of N rows (1 M by default; 100,000
//! with `--quick`) of one object whose every row is one touch, imports it with the
//! real `yieldline import events --source NAME` into a fresh workspace, and imports
//! the same events as a native event CSV (the peer, measured in the same run), then
//! prints rows/s and the ratio to the native import.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, ensure};

/// One source's export: file name, header, and row `i` (a touch of unit `i % UNITS`).
struct Export {
    source: &'static str,
    file: &'static str,
    header: &'static str,
    row: fn(u64, &str) -> String,
}

const UNITS: u64 = 50_000;

/// A timestamp for row `i` in 2025, RFC 3339 UTC (28 days a month, January to
/// November, working hours).
fn when(i: u64) -> String {
    let d = i * 7 % 308;
    format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        1 + d / 28,
        1 + d % 28,
        13 + i % 8,
        i % 60,
        i / 60 % 60
    )
}

const EXPORTS: [Export; 6] = [
    Export {
        source: "salesforce",
        file: "Task.csv",
        header: "Id,WhoId,AccountId,OwnerId,Subject,Type,TaskSubtype,Status,ActivityDate,CompletedDateTime,CallDisposition",
        row: |i, ts| {
            format!(
                "00T{i:012},00Q{:012},001{:012},005000000000001,Email: Hello,Email,Email,Completed,{},{ts},",
                i % UNITS,
                i % UNITS / 3,
                &ts[..10]
            )
        },
    },
    Export {
        source: "hubspot",
        file: "emails.csv",
        header: "hs_object_id,hs_timestamp,hs_email_direction,hs_email_status,hs_email_subject,hubspot_owner_id,associated_contact_id,associated_company_id",
        row: |i, ts| {
            format!(
                "{i},{ts},EMAIL,SENT,Hello,77,{},{}",
                i % UNITS,
                i % UNITS / 3
            )
        },
    },
    Export {
        source: "outreach",
        file: "mailings.csv",
        header: "id,prospectId,sequenceStateId,userId,mailingType,state,deliveredAt,openedAt,bouncedAt,subject",
        row: |i, ts| format!("{i},{},1,5,sequence,delivered,{ts},,,Hello", i % UNITS),
    },
    Export {
        source: "salesloft",
        file: "emails.jsonl",
        header: "",
        row: |i, ts| {
            format!(
                r#"{{"id":{i},"sent_at":"{ts}","status":"sent","bounced":false,"recipient":{{"id":{}}},"user":{{"id":9}},"cadence":{{"id":21}}}}"#,
                i % UNITS
            )
        },
    },
    Export {
        source: "apollo",
        file: "emailer_messages.csv",
        header: "id,contact_id,account_id,emailer_campaign_id,user_id,status,completed_at,subject",
        row: |i, ts| {
            format!(
                "m{i},c{},a{},s1,u1,delivered,{ts},Hello",
                i % UNITS,
                i % UNITS / 3
            )
        },
    },
    Export {
        source: "pipedrive",
        file: "activities.csv",
        header: "id,type,done,marked_as_done_time,deal_id,org_id,user_id,subject",
        row: |i, ts| {
            format!(
                "{i},call,true,{},{},{},3,Call",
                ts.replace('T', " ").trim_end_matches('Z'),
                i % UNITS,
                i % UNITS / 3
            )
        },
    },
];

/// The native peer: the same number of touches in Yieldline's own event CSV.
fn native_row(i: u64, ts: &str) -> String {
    format!(
        "e{i},{ts},u{},a{},first-touch,touch,,,,email,005000000000001,human,,",
        i % UNITS,
        i % UNITS / 3
    )
}

fn write_file(
    path: &Path,
    header: &str,
    rows: u64,
    row: &dyn Fn(u64, &str) -> String,
) -> Result<()> {
    let mut w = BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?,
    );
    if !header.is_empty() {
        writeln!(w, "{header}")?;
    }
    for i in 0..rows {
        let ts = when(i);
        writeln!(w, "{}", row(i, &ts))?;
    }
    w.flush()?;
    Ok(())
}

/// Imports a file into a fresh workspace; returns the seconds the import took.
fn import(yieldline: &Path, ws: &Path, file: &Path, source: Option<&str>) -> Result<f64> {
    if ws.exists() {
        std::fs::remove_dir_all(ws)?;
    }
    std::fs::create_dir_all(ws)?;
    let init = Command::new(yieldline)
        .arg("-w")
        .arg(ws)
        .arg("init")
        .output()?;
    ensure!(
        init.status.success(),
        "yieldline init failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let mut cmd = Command::new(yieldline);
    cmd.arg("-w").arg(ws).args(["import", "events"]);
    if let Some(s) = source {
        cmd.args(["--source", s]);
    }
    cmd.arg(file);
    let t = Instant::now();
    let out = cmd.output()?;
    let secs = t.elapsed().as_secs_f64();
    ensure!(
        out.status.success(),
        "import of {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(secs)
}

/// Runs the sources benchmark with the arguments after `sources`.
pub fn run(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    let value = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let rows: u64 = match value("--rows") {
        Some(n) => n.parse().context("--rows: a number of rows")?,
        None if quick => 100_000,
        None => 1_000_000,
    };
    let out = PathBuf::from(value("--out").map_or("bench-out/sources", String::as_str));
    std::fs::create_dir_all(&out)?;
    let yieldline = std::env::current_exe()?.with_file_name("yieldline");
    ensure!(
        yieldline.exists(),
        "{} is missing: build it first (cargo build --release -p yieldline)",
        yieldline.display()
    );
    let native = out.join("native.csv");
    let header = yieldline_core::event::EVENT_FIELDS.join(",");
    write_file(&native, &header, rows, &native_row)?;
    let native_s = import(&yieldline, &out.join("ws-native"), &native, None)?;
    println!(
        "{rows} rows per export; native event CSV import: {native_s:.2} s, {:.0} rows/s",
        rows as f64 / native_s
    );
    println!(
        "{:<11} {:>9} {:>12} {:>16}",
        "source", "seconds", "rows/s", "speed vs native"
    );
    for e in &EXPORTS {
        let file = out.join(format!("{}-{}", e.source, e.file));
        write_file(&file, e.header, rows, &e.row)?;
        let s = import(
            &yieldline,
            &out.join(format!("ws-{}", e.source)),
            &file,
            Some(e.source),
        )?;
        println!(
            "{:<11} {s:>9.2} {:>12.0} {:>15.2}x",
            e.source,
            rows as f64 / s,
            native_s / s
        );
    }
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    Ok(())
}
