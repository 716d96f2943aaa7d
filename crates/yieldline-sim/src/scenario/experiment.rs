//! `[experiment]`: a randomized experiment at the touch station, simulated before it
//! is run (or, in the demo, the finished experiment the workspace shows).
//!
//! Units are assigned to arms with Yieldline's own hash assignment
//! ([`yieldline_core::experiment::assign_arm`]) of the account (or contact) id, so an
//! emitted workspace's arms are what `yieldline experiment` would have dispatched. A
//! sequence started at the touch station on a working day in `[start_day, end_day)`
//! is in the experiment: it is worked by its arm's operator, and every event of that
//! visit carries the arm. The arm's effects are multipliers on the response model,
//! applied to its touches and, downstream, to the units its sequences produced.

use serde::{Deserialize, Serialize};
use yieldline_core::experiment::{ArmDef, ExperimentDef, Guardrail, RandomizationUnit};

use crate::template::{TOUCH, station_id};

/// `[experiment]`: id, window, assignment and arms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExperimentParams {
    /// Experiment id (`[A-Za-z0-9._-]+`), as stored in the emitted workspace.
    /// Default `"experiment"`.
    pub id: String,
    /// The station where the arms differ; only the touch station (the template's
    /// second station) is simulated. Default: that station.
    pub station: String,
    /// Assignment salt. Default `""`: the experiment's id.
    pub salt: String,
    /// What is randomized: `"account"` (colleagues share an arm) or `"contact"`.
    /// Default `"account"`.
    pub unit: String,
    /// First reported working day of the experiment. Default `0`.
    pub start_day: u32,
    /// Reported working day the experiment stops (exclusive); `0` = it runs to the end
    /// of the simulation and is not stopped. Default `0`.
    pub end_day: u32,
    /// The control arm's name. Default `""`: the first arm.
    pub control: String,
    /// Guardrails of the stored definition (`METRIC:MARGIN`, e.g.
    /// `"optout_rate:0.005"` or `"qualified:0.001"`), checked by `experiment analyze`.
    /// Default none.
    pub guardrails: Vec<String>,
    /// The arms, in assignment order (at least two).
    pub arms: Vec<ArmParams>,
}

impl Default for ExperimentParams {
    fn default() -> Self {
        ExperimentParams {
            id: "experiment".into(),
            station: station_id(TOUCH).to_owned(),
            salt: String::new(),
            unit: "account".into(),
            start_day: 0,
            end_day: 0,
            control: String::new(),
            guardrails: Vec::new(),
            arms: Vec::new(),
        }
    }
}

/// `[[experiment.arms]]`: one arm and what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArmParams {
    /// The arm's name, as recorded in events' `arm` field.
    pub name: String,
    /// Relative assignment weight. Default `1`.
    pub weight: f64,
    /// Who works the arm's sequences, `"human"` or `"automation"` (with that
    /// operator's capacity, sequence length, relevance, heat and risk). Default
    /// `"human"`.
    pub operator: String,
    /// Multiplier of the per-touch reply chance. Default `1`.
    pub reply_multiplier: f64,
    /// Multiplier of the opt-out and hostile-reply risk of its touches. Default `1`.
    pub risk_multiplier: f64,
    /// Multiplier of the interested share of its units' replies (the rest become
    /// refusals, failed `negative`). Default `1`.
    pub positive_multiplier: f64,
    /// Multiplier of its units' booking rate. Default `1`.
    pub booking_multiplier: f64,
    /// Multiplier of its units' show rate. Default `1`.
    pub show_multiplier: f64,
    /// Multiplier of its units' qualification rate. Default `1`.
    pub qualify_multiplier: f64,
}

impl Default for ArmParams {
    fn default() -> Self {
        ArmParams {
            name: "arm".into(),
            weight: 1.0,
            operator: "human".into(),
            reply_multiplier: 1.0,
            risk_multiplier: 1.0,
            positive_multiplier: 1.0,
            booking_multiplier: 1.0,
            show_multiplier: 1.0,
            qualify_multiplier: 1.0,
        }
    }
}

impl ArmParams {
    /// Whether automation works the arm's sequences.
    pub fn automated(&self) -> bool {
        self.operator == "automation"
    }

    /// The multipliers, with their keys (for validation).
    pub(crate) fn multipliers(&self) -> [(&'static str, f64); 6] {
        [
            ("reply_multiplier", self.reply_multiplier),
            ("risk_multiplier", self.risk_multiplier),
            ("positive_multiplier", self.positive_multiplier),
            ("booking_multiplier", self.booking_multiplier),
            ("show_multiplier", self.show_multiplier),
            ("qualify_multiplier", self.qualify_multiplier),
        ]
    }
}

impl ExperimentParams {
    /// Every key present, for the schema of scenario files.
    pub(crate) fn schema_shape() -> Self {
        ExperimentParams {
            guardrails: vec!["optout_rate:0.005".into()],
            arms: vec![ArmParams::default()],
            ..ExperimentParams::default()
        }
    }

    /// The salt used: `salt`, or the id when it is empty.
    pub fn resolved_salt(&self) -> &str {
        if self.salt.is_empty() {
            &self.id
        } else {
            &self.salt
        }
    }

    /// The control arm used: `control`, or the first arm's name when it is empty.
    pub fn resolved_control(&self) -> &str {
        if self.control.is_empty() {
            self.arms.first().map_or("", |a| a.name.as_str())
        } else {
            &self.control
        }
    }

    /// The randomization unit, if `unit` names one the simulator supports.
    pub fn randomization_unit(&self) -> Option<RandomizationUnit> {
        match RandomizationUnit::parse(&self.unit)? {
            RandomizationUnit::Week => None,
            u => Some(u),
        }
    }

    /// The assignment weights, in arm order.
    pub fn weights(&self) -> Vec<f64> {
        self.arms.iter().map(|a| a.weight).collect()
    }

    /// The definition Yieldline stores for this experiment, with the window's instants
    /// given by the caller (local midnights of `start_day` and `end_day`).
    pub fn definition(
        &self,
        start: jiff::Timestamp,
        stop: Option<jiff::Timestamp>,
    ) -> Result<ExperimentDef, yieldline_core::experiment::ExperimentError> {
        Ok(ExperimentDef {
            id: self.id.clone(),
            station: self.station.clone(),
            arms: self
                .arms
                .iter()
                .map(|a| ArmDef {
                    name: a.name.clone(),
                    weight: a.weight,
                })
                .collect(),
            control: self.resolved_control().to_owned(),
            unit: self.randomization_unit().unwrap_or_default(),
            salt: self.resolved_salt().to_owned(),
            start,
            stop,
            guardrails: self
                .guardrails
                .iter()
                .map(|g| Guardrail::parse(g))
                .collect::<Result<_, _>>()?,
            holdout: None,
            holdout_metric: None,
            tau2: yieldline_core::experiment::DEFAULT_TAU2,
        })
    }
}
