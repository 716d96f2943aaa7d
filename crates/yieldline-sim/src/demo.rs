//! The demo workspace of `yieldline demo`: a scenario of this simulator, shipped as
//! `examples/demo.toml` and embedded here, run with events recorded.
//!
//! What it shows, so that every analysis has something to find: a mid-market line on
//! the template's six stations in New York business hours, already running when the
//! log starts (a warm-up that is not logged); referrals and "call me in Q3" recycles;
//! a finished experiment at the touch station, human against automated sequences,
//! randomized by account, where automation wins the station's own yield but loses
//! downstream (more opt-outs and refusals, fewer meetings held and qualified); and a
//! lasting drop of the reply station's yield at a scheduled day (a new message
//! template). At the end: open WIP, resting recycled units, burned units and fresh
//! territory left.

use crate::{Scenario, SimError, SimOptions, SimOutput, simulate_with};

/// The demo scenario (`examples/demo.toml`).
pub const DEMO_SCENARIO: &str = include_str!("../../../examples/demo.toml");

/// The demo scenario with `seed` (its own seed when `None`).
pub fn demo_scenario(seed: Option<u64>) -> Result<Scenario, SimError> {
    let sc = Scenario::from_toml_str(DEMO_SCENARIO)?;
    Ok(match seed {
        Some(s) => sc.with_seed(s),
        None => sc,
    })
}

/// Runs the demo scenario with `seed`, recording the territory and the event log.
pub fn run_demo(seed: Option<u64>) -> Result<SimOutput, SimError> {
    simulate_with(
        &demo_scenario(seed)?,
        SimOptions {
            record_events: true,
        },
    )
}
