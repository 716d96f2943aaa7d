//! Running one command and measuring its wall time and peak resident memory.
//!
//! Peak RSS comes from `getrusage(RUSAGE_CHILDREN).ru_maxrss` (through `nix`, because
//! the workspace forbids `unsafe`, so no raw `libc` call). That figure is the largest
//! peak of any *waited-for* descendant of the calling process, so it is only a
//! per-command figure in a process that has run nothing else: the bench therefore
//! re-executes itself as a small "measurer" process (`__measure`) per command, which
//! spawns the command, waits for it, and writes `{wall_s, peak_rss_kib}` to a file.
//! Unlike polling `/proc/<pid>/status` `VmHWM`, this cannot miss a peak reached just
//! before exit, and it includes the command's own children (e.g. none for `yieldline`,
//! DuckDB's threads are in-process anyway).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// Name of the hidden sub-command that measures a child.
pub const MEASURE_ARG: &str = "__measure";

/// What one command cost.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Cost {
    /// Wall-clock seconds from spawn to exit.
    pub wall_s: f64,
    /// Peak resident set size, KiB.
    pub peak_rss_kib: u64,
    /// CPU seconds (user + system) the command used: less sensitive than the wall
    /// time to other work on the machine.
    pub cpu_s: f64,
}

impl Cost {
    /// Peak RSS in MiB.
    pub fn rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// Entry point of the measurer process: `__measure RESULT_FILE PROGRAM ARGS...`.
pub fn measurer_main(args: &[String]) -> Result<()> {
    let [result, program, rest @ ..] = args else {
        bail!("usage: {MEASURE_ARG} RESULT_FILE PROGRAM [ARGS...]");
    };
    let t = Instant::now();
    let status = Command::new(program)
        .args(rest)
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    let wall_s = t.elapsed().as_secs_f64();
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?;
    // Linux reports ru_maxrss in KiB.
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    let cost = Cost {
        wall_s,
        peak_rss_kib: usage.max_rss().max(0) as u64,
        cpu_s: secs(usage.user_time()) + secs(usage.system_time()),
    };
    std::fs::write(result, serde_json::to_vec(&cost)?)?;
    if !status.success() {
        bail!("{program} failed: {status}");
    }
    Ok(())
}

/// Runs `program args` under a fresh measurer process; stdout goes to `stdout_to`
/// (or is inherited), stdin comes from `stdin_from` (or is null).
pub fn run(
    scratch: &Path,
    program: &Path,
    args: &[&str],
    stdin_from: Option<&Path>,
    stdout_to: Option<&Path>,
) -> Result<Cost> {
    let me = std::env::current_exe().context("cannot find the bench's own executable")?;
    let result = scratch.join(".measure.json");
    let _ = std::fs::remove_file(&result);
    let mut cmd = Command::new(me);
    cmd.arg(MEASURE_ARG).arg(&result).arg(program).args(args);
    cmd.stdin(match stdin_from {
        Some(p) => Stdio::from(
            std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?,
        ),
        None => Stdio::null(),
    });
    if let Some(p) = stdout_to {
        cmd.stdout(Stdio::from(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ));
    }
    let status = cmd.status().context("cannot run the measurer")?;
    if !status.success() {
        bail!("{} {} failed ({status})", program.display(), args.join(" "));
    }
    let cost: Cost = serde_json::from_slice(&std::fs::read(&result)?)?;
    let _ = std::fs::remove_file(&result);
    Ok(cost)
}
