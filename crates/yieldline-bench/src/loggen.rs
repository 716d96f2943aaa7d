//! The benchmark's event log, made by the simulator: `bench-line.toml` (the line
//! template worked by people for two years) scaled to the number of events asked for,
//! run with events recorded, and written in Yieldline's CSV format.
//!
//! The log is what `yieldline demo` and `simulate --emit-workspace` write: the
//! template's stations in New York business hours, every kind of event (touches on
//! e-mail, phone and social, opt-outs, bounces, recycles with `resume_on`, referrals
//! with `referral_unit_id`), sorted by time as an export would be, and cut at exactly
//! the number of events asked for. Event ids look random (a bijective hash of the
//! event's position, like UUIDv4s): the worst case for a unique index, and what most
//! CRMs and event pipelines export.

use std::io::Write;

use yieldline_sim::template::STATIONS;
use yieldline_sim::{
    EventIds, EventsCsv, Scenario, SimError, SimOptions, SimOutput, simulate_with, write_events_csv,
};

/// The bench scenario (its `accounts` and capacities are scaled by [`generate`]).
const BENCH_SCENARIO: &str = include_str!("bench-line.toml");
/// Events per account of the bench scenario, measured (a first guess of the size;
/// [`generate`] grows the territory when a run falls short).
const EVENTS_PER_ACCOUNT: f64 = 16.5;

/// Counts of what was generated, for the benchmark's own sanity checks.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Generated {
    /// Events written.
    pub events: u64,
    /// Distinct units that have at least one event.
    pub units: u64,
}

/// The bench scenario sized for about `events` events, with `seed`.
fn scenario(events: u64, seed: u64, scale: f64) -> Result<Scenario, SimError> {
    let base = Scenario::from_toml_str(BENCH_SCENARIO)?;
    let accounts = ((events as f64 / EVENTS_PER_ACCOUNT * scale).ceil() as u32).max(50);
    let mut sc = base.scaled_to(accounts).with_seed(seed);
    // Tiny logs (tests) still need every station open.
    for s in 0..STATIONS {
        sc.stations[s].human_capacity = sc.stations[s].human_capacity.max(1);
    }
    Ok(sc)
}

/// Simulates until the log holds at least `events` events.
fn simulate_enough(events: u64, seed: u64) -> Result<SimOutput, SimError> {
    let mut scale = 1.0;
    loop {
        let out = simulate_with(
            &scenario(events, seed, scale)?,
            SimOptions {
                record_events: true,
            },
        )?;
        let got = out.events.len() as u64;
        if got >= events {
            return Ok(out);
        }
        scale *= 1.05 * events as f64 / got.max(1) as f64;
    }
}

/// Generates `events` events with `seed` and writes them as CSV to `out`.
pub fn generate(events: u64, seed: u64, out: impl Write) -> Result<Generated, SimError> {
    let sim = simulate_enough(events, seed)?;
    let n = events as usize;
    write_events_csv(
        &sim,
        out,
        EventsCsv {
            ids: EventIds::Hashed(seed),
            limit: Some(n),
        },
    )?;
    let mut seen = std::collections::HashSet::with_capacity(n / 4);
    for e in sim.events.iter().take(n) {
        seen.insert(e.contact);
    }
    Ok(Generated {
        events: n.min(sim.events.len()) as u64,
        units: seen.len() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_deterministic_and_valid() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let ga = generate(5_000, 7, &mut a).expect("gen");
        generate(5_000, 7, &mut b).expect("gen");
        assert_eq!(a, b);
        assert_eq!(ga.events, 5_000);
        let text = String::from_utf8(a).expect("utf8");
        assert_eq!(text.lines().count(), 5_001);
        let line =
            yieldline_core::line::Line::from_toml("line.toml", yieldline_core::line::TEMPLATE)
                .expect("line");
        let mut rdr = csv_lite(&text);
        let header: Vec<&str> = rdr.next().expect("header");
        assert_eq!(header, yieldline_core::event::EVENT_FIELDS);
        let mut ids = std::collections::HashSet::new();
        let mut kinds = std::collections::HashSet::new();
        for row in rdr {
            let raw = yieldline_core::event::RawEvent::from_row(&row);
            let e = raw
                .validate(&line, "2027-01-01T00:00:00Z".parse().expect("ts"))
                .expect("valid row");
            assert!(ids.insert(e.event_id.clone()), "duplicate id");
            kinds.insert(e.kind);
        }
        assert!(kinds.len() >= 5, "{kinds:?}");
    }

    fn csv_lite(text: &str) -> impl Iterator<Item = Vec<&str>> {
        text.lines().map(|l| l.split(',').collect())
    }
}
