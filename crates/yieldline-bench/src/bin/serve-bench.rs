//! `serve-bench`: the HTTP API under load. Builds a workspace of 1 M generated events
//! (the scale benchmark's generator), starts the server in this process on 127.0.0.1,
//! and drives `GET report`, `GET drift` and `GET watch` with `wrk` from 64 connections,
//! paced at 1,000 requests/s (a Lua `delay()` of 64 ms per connection), then unpaced
//! (the most it serves); then measures HTTP ingest (`POST events`, CSV) in events/s.
//!
//!     apt-get install wrk        # Debian's wrk 4 (the load generator; not a build dependency)
//!     cargo run --release -p yieldline-bench --bin serve-bench -- [--quick] [--events N]
//!
//! `--quick`: 10 s per run and a 100,000-event ingest body (else 30 s and 1,000,000).
//! Results go to standard output as a table and to `target/serve-bench/results.json`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use yieldline_app::Workspace;
use yieldline_app::tokens::{self, Role};
use yieldline_server::{Limits, ServerState, start};

#[path = "../loggen.rs"]
#[allow(dead_code)]
mod loggen;

/// One wrk run.
#[derive(Debug, Serialize)]
struct Run {
    route: String,
    paced_rps: Option<u32>,
    connections: u32,
    seconds: u32,
    requests: u64,
    throughput_rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: u64,
    first_request_ms: f64,
}

const CONNECTIONS: u32 = 64;
const PACED_RPS: u32 = 1_000;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let events: u64 = match args.iter().position(|a| a == "--events") {
        Some(i) => args
            .get(i + 1)
            .context("--events N")?
            .parse()
            .context("--events N")?,
        None => 1_000_000,
    };
    let seconds: u32 = if quick { 10 } else { 30 };
    let ingest_events: u64 = if quick { 100_000 } else { 1_000_000 };
    if Command::new("wrk").arg("--version").output().is_err() {
        bail!("wrk is not installed: `apt-get install wrk` (Debian), then run again");
    }
    let load_before = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let out = PathBuf::from("target/serve-bench");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;

    // 1. A workspace of `events` generated events, imported in-process.
    let ws_dir = out.join("bench");
    std::fs::create_dir_all(&ws_dir)?;
    std::fs::write(ws_dir.join("line.toml"), yieldline_core::line::TEMPLATE)?;
    let csv = out.join("events.csv");
    let t = Instant::now();
    loggen::generate(events, 1, BufWriter::new(std::fs::File::create(&csv)?))?;
    eprintln!(
        "generated {events} events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let ws = Workspace::open(&ws_dir)?;
    let t = Instant::now();
    let imported = yieldline_import::import_events(
        &*ws.store,
        &ws.line,
        &csv,
        yieldline_import::Format::Csv,
        yieldline_import::Options::default(),
        &mut |_| {},
    )?;
    eprintln!(
        "imported {} events in {:.1} s",
        imported.record.imported,
        t.elapsed().as_secs_f64()
    );
    let token = tokens::create(&ws, Role::Analyst, Some("bench"), "serve-bench")?.secret;
    drop(ws);

    // 2. The server, in this process.
    let state = ServerState::open(std::slice::from_ref(&ws_dir), Limits::default())?;
    let server = start("127.0.0.1:0", state)?;
    let base = format!("{}/api/v1/workspaces/bench", server.url());
    let script = out.join("bench.lua");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(3600)))
        .build()
        .into();

    let mut runs = Vec::new();
    for route in ["report", "drift", "watch"] {
        // The first request computes (a cold cache); the rest are served from the cache.
        let t = Instant::now();
        let r = agent
            .get(format!("{base}/{route}"))
            .header("Authorization", format!("Bearer {token}"))
            .call()?;
        if r.status() != 200 {
            bail!("GET {route}: {}", r.status());
        }
        let first_ms = t.elapsed().as_secs_f64() * 1e3;
        for paced in [Some(PACED_RPS), None] {
            let mut run = wrk(&script, &format!("{base}/{route}"), &token, paced, seconds)?;
            run.route = format!("GET {route}");
            run.first_request_ms = first_ms;
            eprintln!("{run:?}");
            runs.push(run);
        }
    }

    // 3. HTTP ingest: a CSV body of new events (another seed: other event ids).
    let body_path = out.join("ingest.csv");
    loggen::generate(
        ingest_events,
        2,
        BufWriter::new(std::fs::File::create(&body_path)?),
    )?;
    let body = std::fs::read(&body_path)?;
    let t = Instant::now();
    let mut r = agent
        .post(format!("{base}/events"))
        .header("Authorization", format!("Bearer {token}"))
        .content_type("text/csv")
        .send(&body[..])?;
    let ingest_s = t.elapsed().as_secs_f64();
    let summary: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string()?)?;
    let ingest_imported = summary["imported"].as_u64().unwrap_or(0);
    if r.status() != 200 || ingest_imported == 0 {
        bail!("POST events: {} {summary}", r.status());
    }
    server.stop()?;

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "serve-bench: {events} events, {CONNECTIONS} connections, {seconds} s per run, 2 worker threads; load average before: {}, after: {}",
        load_before.trim(),
        load.trim()
    );
    println!(
        "| route | pacing | requests/s | p50 ms | p99 ms | max ms | errors | first (cold) ms |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for r in &runs {
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.0} |",
            r.route,
            r.paced_rps
                .map_or_else(|| "none".to_owned(), |p| format!("{p}/s")),
            r.throughput_rps,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.errors,
            r.first_request_ms
        );
    }
    println!(
        "ingest: POST events, {} MB CSV, {ingest_imported} events in {ingest_s:.1} s = {:.0} events/s (upload, validation, one transaction)",
        body.len() / 1_000_000,
        ingest_imported as f64 / ingest_s
    );
    let results = serde_json::json!({
        "events": events,
        "connections": CONNECTIONS,
        "seconds": seconds,
        "runs": runs,
        "ingest": {"events": ingest_imported, "seconds": ingest_s, "events_per_s": ingest_imported as f64 / ingest_s},
        "loadavg_before": load_before.trim(),
        "loadavg_after": load.trim(),
    });
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&results)?,
    )?;
    Ok(())
}

/// Runs wrk against `url` (paced to `paced` requests/s overall, or as fast as it goes)
/// and reads the figures its `done()` hook prints.
fn wrk(script: &Path, url: &str, token: &str, paced: Option<u32>, seconds: u32) -> Result<Run> {
    let delay = paced.map_or(0, |rps| CONNECTIONS * 1000 / rps);
    let lua = format!(
        r#"wrk.headers["Authorization"] = "Bearer {token}"
{}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"#,
        if delay > 0 {
            format!("delay = function() return {delay} end")
        } else {
            String::new()
        }
    );
    std::fs::File::create(script)?.write_all(lua.as_bytes())?;
    let out = Command::new("wrk")
        .args(["-t", "2", "-c", &CONNECTIONS.to_string(), "-d"])
        .arg(format!("{seconds}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("-s")
        .arg(script)
        .arg(url)
        .output()
        .context("run wrk")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .with_context(|| format!("wrk printed no result: {text}"))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(f64::NAN))
        .collect();
    let [requests, duration_us, errors, p50, p99, max] = v[..] else {
        bail!("unexpected wrk result {line:?}");
    };
    Ok(Run {
        route: String::new(),
        paced_rps: paced,
        connections: CONNECTIONS,
        seconds,
        requests: requests as u64,
        throughput_rps: requests / (duration_us / 1e6),
        p50_ms: p50 / 1e3,
        p99_ms: p99 / 1e3,
        max_ms: max / 1e3,
        errors: errors as u64,
        first_request_ms: 0.0,
    })
}
