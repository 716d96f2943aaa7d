//! Yieldline's day-by-day territory simulator.
//!
//! A territory of accounts (each with a few contacts and a latent reply propensity
//! drawn from a Beta distribution correlated with its fit tier) is worked by a
//! six-station line — research → first-touch → reply → meeting-booked →
//! meeting-held → qualified — under a policy: human capacity, an automated-volume
//! ramp and optional guardrails. Touch fatigue, account "heat", lower relevance of
//! automated touches and opt-out / hostile-reply risk that rises with both make the
//! *toxic automation* cycle emerge: early gains from the best-fit accounts, then
//! falling yields and a burned territory when automated volume keeps rising.
//!
//! The crate is a pure library: it reads no file and no clock. Scenarios come in as
//! TOML text ([`Scenario::from_toml_str`]), randomness comes from the scenario's
//! seed, and every writer takes an [`std::io::Write`].
//!
//! ```
//! use yieldline_sim::{Scenario, simulate};
//! let scenario = Scenario::default().with_accounts(300).with_days(40).with_seed(7);
//! let out = simulate(&scenario).expect("valid scenario");
//! assert_eq!(out.days.len(), 40);
//! ```
//!
//! The model, every parameter and its default are documented in the crate's
//! `README.md` and on the fields of [`Scenario`].

mod calendar;
pub mod calibrate;
mod engine;
pub mod output;
pub mod scenario;
pub mod svg;
pub mod workspace;

pub use calibrate::{
    AccountObservation, Calibration, CalibrationInput, TouchObservation, calibrate,
};
pub use engine::{SimOptions, simulate, simulate_with};
pub use output::{DayRecord, SimEvent, SimOutput, StationDay, Summary, TerritoryContact};
pub use scenario::{
    Guardrails, Issue, Policy, RampPoint, ResponseParams, Scenario, ScenarioMeta, StationParams,
    Stations, TerritoryParams,
};
pub use svg::render_svg;
pub use workspace::write_workspace_files;

/// The ids of the simulated line's stations, in line order.
pub const STATION_IDS: [&str; 6] = [
    "research",
    "first-touch",
    "reply",
    "meeting-booked",
    "meeting-held",
    "qualified",
];

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario has one or more problems; each names its key and, when the
    /// scenario came from a file, its line.
    #[error("invalid scenario: {}", format_issues(.0))]
    InvalidScenario(Vec<Issue>),
    /// A simulation option is out of range.
    #[error("invalid option {name}: {message}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Workspace files need the territory and the event log, which are only kept when
    /// the simulation ran with `record_events`.
    #[error(
        "the simulation did not record events; run it with SimOptions {{ record_events: true }}"
    )]
    EventsNotRecorded,
    /// Calibration input cannot support the fit.
    #[error("calibration: {0}")]
    Calibration(String),
    /// Writing output failed.
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    /// Serializing JSON failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

fn format_issues(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
