//! Renderings every interface shares byte for byte: the JSON contract (pretty JSON
//! with a trailing newline, as `--format json` prints and the HTTP API serves) and the
//! CSV forms that both the CLI and the server write.

use std::io::Write;

use serde::Serialize;
use yieldline_core::dispatch::Dispatch;
use yieldline_core::text::csv_safe;

use crate::error::{AppError, AppResult};

/// Writes `value` as pretty JSON with a trailing newline.
pub fn write_json(out: &mut dyn Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// `value` as the bytes [`write_json`] writes.
pub fn json(value: &impl Serialize) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    write_json(&mut out, value)
        .map_err(|e| AppError::internal(format!("cannot render JSON: {e}")))?;
    Ok(out)
}

/// The columns of dispatch's CSV.
pub const DISPATCH_COLUMNS: [&str; 7] = [
    "date",
    "station",
    "unit_id",
    "account_id",
    "operator_kind",
    "arm",
    "reason",
];

/// Writes the day's work orders as CSV ([`DISPATCH_COLUMNS`], one row per order).
pub fn write_dispatch_csv(out: &mut dyn Write, d: &Dispatch) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(DISPATCH_COLUMNS)?;
    for o in &d.orders {
        // Ids, arms and reasons are text from outside: neutralised as formulas.
        w.write_record([
            o.date.to_string().as_str(),
            &csv_safe(&o.station),
            &csv_safe(&o.unit_id),
            &csv_safe(&o.account_id),
            &csv_safe(&o.operator_kind),
            &csv_safe(o.arm.as_deref().unwrap_or_default()),
            &csv_safe(&o.reason),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The day's work orders as the bytes [`write_dispatch_csv`] writes.
pub fn dispatch_csv(d: &Dispatch) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    write_dispatch_csv(&mut out, d)
        .map_err(|e| AppError::internal(format!("cannot render CSV: {e}")))?;
    Ok(out)
}
