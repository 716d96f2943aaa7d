//! Yieldline's day-by-day territory simulator.
//!
//! A territory of accounts (each with a few contacts and a latent reply propensity
//! drawn from a Beta distribution correlated with its fit tier) is worked by the
//! stations of Yieldline's line template — research, the touch station, replies,
//! booking, meetings, qualification ([`template`]) — under a policy: human capacity,
//! an automated-volume ramp and optional guardrails. Touch fatigue, account "heat",
//! lower relevance of automated touches and opt-out / hostile-reply risk that rises
//! with both make the *toxic automation* cycle emerge: early gains from the best-fit
//! accounts, then falling yields and a burned territory when automated volume keeps
//! rising. A scenario can also name colleagues (referrals), recycle "not now" replies
//! for a while, change a station's yield on a given day (a new message template), and
//! run an experiment at the touch station with Yieldline's own assignment — which is
//! how `yieldline demo` builds its workspace ([`demo`]).
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
pub mod demo;
mod engine;
pub mod ids;
mod names;
pub mod output;
pub mod scenario;
pub mod svg;
pub mod template;
pub mod workspace;

pub use calibrate::{
    AccountObservation, Calibration, CalibrationInput, TouchObservation, calibrate,
};
pub use engine::{SimOptions, simulate, simulate_with};
pub use output::{DayRecord, SimEvent, SimOutput, StationDay, Summary, TerritoryContact};
pub use scenario::{
    ArmParams, Drift, ExperimentParams, Guardrails, Issue, LineParams, Policy, RampPoint,
    ResponseParams, Scenario, ScenarioMeta, StationParams, Stations, TerritoryParams,
};
pub use svg::render_svg;
pub use workspace::{
    EventIds, EventsCsv, write_events_csv, write_territory_csv, write_workspace_files,
};

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
    /// Writing CSV failed.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// Serializing TOML failed.
    #[error("toml: {0}")]
    Toml(#[from] toml::ser::Error),
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

/// SplitMix64's finalizer: the seeds of the random streams (shards, times of day,
/// the wobble), the names of the territory and hashed event ids.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
