//! Helpers shared by the end-to-end tests: run the real `yieldline` binary in a
//! workspace directory (as its working directory and as `-w`).

#![allow(dead_code)] // each test binary uses a different subset

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The header of Yieldline's event CSV.
pub const HEADER: &str = "event_id,ts,unit_id,account_id,station,kind,reason,resume_on,referral_unit_id,channel,operator_id,operator_kind,arm,cost_minutes";

/// Runs `yieldline -w DIR ARGS…` with DIR as the working directory.
pub fn yieldline(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yieldline"))
        .current_dir(dir)
        .env("YIELDLINE_USER", "test-admin")
        .arg("-w")
        .arg(dir)
        .args(args)
        .output()
        .expect("run yieldline")
}

/// Runs a command that must succeed; returns what it wrote.
pub fn succeeds(dir: &Path, args: &[&str]) -> Output {
    let out = yieldline(dir, args);
    assert!(
        out.status.success(),
        "yieldline {args:?} failed: {}",
        stderr(&out)
    );
    out
}

/// Runs a command that must succeed; returns its standard output.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    String::from_utf8(succeeds(dir, args).stdout).expect("utf8")
}

/// Runs a command that must succeed; returns its standard error (summaries, notes).
pub fn stderr_of(dir: &Path, args: &[&str]) -> String {
    stderr(&succeeds(dir, args))
}

/// Runs a command that must succeed and print JSON.
pub fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&ok(dir, args)).expect("json")
}

/// Runs a command that must fail cleanly — exit 1 (a failure) or 2 (a usage error),
/// never a panic (101) — and returns its standard error.
pub fn fails(dir: &Path, args: &[&str]) -> String {
    let out = yieldline(dir, args);
    let err = stderr(&out);
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "yieldline {args:?} should fail with exit 1 or 2, got {:?}: {err}",
        out.status.code()
    );
    assert!(
        !err.contains("panicked"),
        "yieldline {args:?} panicked: {err}"
    );
    err
}

/// Runs a command that must fail with exit code 1 and a message containing `needle`.
pub fn fails_with(dir: &Path, args: &[&str], needle: &str) {
    let err = fails(dir, args);
    assert!(
        err.contains(needle),
        "yieldline {args:?}: {err:?} should contain {needle:?}"
    );
}

/// A command's standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A command line's words (split at white space; no quoting).
pub fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Runs each `(command line, needle)`: each must fail with a message containing
/// `needle` (see [`fails`]).
pub fn fails_each(dir: &Path, cases: &[(&str, &str)]) {
    for (line, needle) in cases {
        fails_with(dir, &words(line), needle);
    }
}

/// A new workspace (`init`) whose territory is `csv`, imported from `t.csv` in it.
pub fn workspace_with_territory(csv: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    std::fs::write(dir.path().join("t.csv"), csv).expect("territory");
    ok(dir.path(), &["import", "territory", "t.csv"]);
    dir
}
