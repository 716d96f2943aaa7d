//! Scenario files: the territory, the response model, the stations and the policy —
//! and what a demo or a planned change adds: referrals, recycles, scheduled yield
//! drifts, an experiment — parsed from TOML with unknown keys rejected and validated
//! like a config (every problem reported, each naming its key and line).
//!
//! The stations are those of Yieldline's line template ([`crate::template`]); the
//! emitted `line.toml` is that template with the scenario's name, zone, capacities
//! and guardrails ([`Scenario::line_toml`]).

mod check;
mod params;
mod stations;
mod validate;

use jiff::civil::{Date, Weekday};
use serde::Serialize;

use crate::SimError;
use crate::calendar::{Calendar, CalendarError};

pub use params::{
    ArmParams, Drift, ExperimentParams, Guardrails, LineParams, Policy, RampPoint, ResponseParams,
    Scenario, ScenarioMeta, TerritoryParams,
};
pub use stations::{StationParams, Stations};

/// How many recent touches per contact the simulator remembers; the 30-day touch
/// cap can therefore be at most this.
pub const TOUCH_MEMORY: usize = 16;

/// One problem found in a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Dotted key path, e.g. `policy.guardrails.max_touches_per_contact_30d`.
    pub key: String,
    /// 1-based line in the scenario file, when the scenario came from text and the
    /// key (or its table) appears in it.
    pub line: Option<usize>,
    /// What is wrong, lowercase, no trailing dot.
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

impl Scenario {
    /// Parses and validates a scenario file. All problems are reported at once, each
    /// with its dotted key and line.
    pub fn from_toml_str(text: &str) -> Result<Scenario, SimError> {
        check::parse(text)
    }

    /// Serializes the scenario back to TOML (every key, defaults included).
    pub fn to_toml_string(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// Sets the number of accounts.
    pub fn with_accounts(mut self, accounts: u32) -> Self {
        self.scenario.accounts = accounts;
        self
    }

    /// Sets the number of simulated working days.
    pub fn with_days(mut self, days: u32) -> Self {
        self.scenario.days = days;
        self
    }

    /// Sets the master seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.scenario.seed = seed;
        self
    }

    /// Sets the shard count (`0` = automatic).
    pub fn with_shards(mut self, shards: u32) -> Self {
        self.scenario.shards = shards;
        self
    }

    /// Multiplies every station capacity (human and automated) by `factor`, rounding;
    /// use it with [`Scenario::with_accounts`] to scale a scenario up or down while
    /// keeping its capacity-to-territory ratio.
    pub fn scale_capacity(mut self, factor: f64) -> Self {
        for st in self.stations.iter_mut() {
            st.human_capacity = scale(st.human_capacity, factor);
            st.automation_capacity = scale(st.automation_capacity, factor);
        }
        self
    }

    /// Scales accounts and capacities together to `accounts`.
    pub fn scaled_to(self, accounts: u32) -> Self {
        let factor = f64::from(accounts) / f64::from(self.scenario.accounts.max(1));
        self.scale_capacity(factor).with_accounts(accounts)
    }

    /// The shard count actually used.
    pub fn resolved_shards(&self) -> u32 {
        if self.scenario.shards > 0 {
            self.scenario.shards.min(self.scenario.accounts.max(1))
        } else {
            (self.scenario.accounts / 4000).clamp(1, 256)
        }
    }

    /// Semantic problems (ranges and consistency), without lines.
    pub fn validate(&self) -> Result<(), SimError> {
        let issues = self.problems();
        if issues.is_empty() {
            Ok(())
        } else {
            Err(SimError::InvalidScenario(issues))
        }
    }

    /// The date of day 0 as written, if it is a `YYYY-MM-DD` date.
    pub(crate) fn start_date(&self) -> Option<Date> {
        let s = &self.scenario.start;
        if s.len() != 10 {
            return None;
        }
        s.parse().ok()
    }

    /// The line's working weekdays, if every name is one.
    pub(crate) fn working_days(&self) -> Option<Vec<Weekday>> {
        self.line
            .working_days
            .iter()
            .map(|d| yieldline_core::line::parse_weekday(d))
            .collect()
    }

    /// The simulation calendar: its day 0 is the first warm-up day, so reported day
    /// `d` is simulated day `d + warmup_days`.
    pub(crate) fn calendar(&self) -> Result<Calendar, SimError> {
        let bad = |message: &str| SimError::InvalidOption {
            name: "scenario.start",
            message: message.to_owned(),
        };
        let start = self.start_date().ok_or_else(|| bad("not a date"))?;
        let working = self
            .working_days()
            .ok_or_else(|| bad("line.working_days names a day that is not one"))?;
        let m = &self.scenario;
        Calendar::new(start, m.warmup_days, m.warmup_days + m.days + 1, &working).map_err(|e| {
            match e {
                CalendarError::NoWorkingDays => bad("the line has no working days"),
                CalendarError::OutOfRange => {
                    bad("the run does not fit before the end of the calendar (year 9999)")
                }
            }
        })
    }
}

fn scale(x: u32, factor: f64) -> u32 {
    (f64::from(x) * factor)
        .round()
        .clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(text: &str) -> Vec<Issue> {
        match Scenario::from_toml_str(text) {
            Err(SimError::InvalidScenario(v)) => v,
            other => panic!("expected issues, got {other:?}"),
        }
    }

    /// The issues' keys and lines are `expected`, in order.
    fn assert_lines(got: &[Issue], expected: &[(&str, usize)]) {
        let keys: Vec<(&str, Option<usize>)> =
            got.iter().map(|i| (i.key.as_str(), i.line)).collect();
        let want: Vec<(&str, Option<usize>)> =
            expected.iter().map(|&(k, l)| (k, Some(l))).collect();
        assert_eq!(keys, want);
    }

    #[test]
    fn defaults_round_trip_through_toml() {
        let mut s = Scenario::default();
        s.policy.guardrails = Some(Guardrails::default());
        let back = Scenario::from_toml_str(&s.to_toml_string()).expect("parses");
        assert_eq!(back, s);
        assert_eq!(
            Scenario::from_toml_str("").expect("empty"),
            Scenario::default()
        );
    }

    #[test]
    fn reports_every_unknown_key_and_wrong_type_with_lines() {
        let text = "[scenario]\naccounts = \"many\"\nbogus = 1\n\n[policy]\ntouch_interval = 2\n[policy.guardrails]\nmax_touches_per_contact_30d = -3\n";
        let got = issues(text);
        assert_lines(
            &got,
            &[
                ("scenario.accounts", 2),
                ("scenario.bogus", 3),
                ("policy.touch_interval", 6),
                ("policy.guardrails.max_touches_per_contact_30d", 8),
            ],
        );
        assert!(got[1].message.contains("unknown key"), "{}", got[1].message);
    }

    #[test]
    fn reports_every_range_problem_with_lines() {
        let text = "[territory]\ntier_shares = [0.5, 0.5, 0.5]\nqualify_rate = [0.5, 1.5, 0.2]\n\n[policy]\nautomation_ramp = [\n  { day = 10, multiplier = 1.0 },\n  { day = 5, multiplier = 2.0 },\n]\n[policy.guardrails]\nmax_touches_per_contact_30d = 40\n";
        let got = issues(text);
        let expected = [
            ("territory.tier_shares", 2),
            ("territory.qualify_rate[1]", 3),
            ("policy.automation_ramp[1].day", 8),
            ("policy.guardrails.max_touches_per_contact_30d", 11),
        ];
        assert_lines(&got, &expected);
        let msg = SimError::InvalidScenario(got).to_string();
        assert!(
            msg.contains(
                "line 11: policy.guardrails.max_touches_per_contact_30d: must be between 1 and 16"
            ),
            "{msg}"
        );
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let got = issues("[scenario]\nseed = 1\nname = \n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].line, Some(3));
    }

    #[test]
    fn ramp_interpolates() {
        let p = Policy {
            automation_ramp: vec![
                RampPoint {
                    day: 10,
                    multiplier: 1.0,
                },
                RampPoint {
                    day: 20,
                    multiplier: 3.0,
                },
            ],
            ..Policy::default()
        };
        assert_eq!(p.multiplier(0), 1.0);
        assert_eq!(p.multiplier(15), 2.0);
        assert_eq!(p.multiplier(99), 3.0);
    }
}
