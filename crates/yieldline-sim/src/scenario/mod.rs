//! Scenario files: the territory, the response model, the stations and the policy —
//! and what a demo or a planned change adds: referrals, recycles, scheduled yield
//! drifts, an experiment — parsed from TOML with unknown keys rejected and validated
//! like a config (every problem reported, each naming its key and line).
//!
//! The stations are those of Yieldline's line template ([`crate::template`]); the
//! emitted `line.toml` is that template with the scenario's name, zone, capacities
//! and guardrails ([`Scenario::line_toml`]).

mod check;
mod experiment;
mod policy;
mod stations;
#[cfg(test)]
mod tests;
mod validate;

use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

use crate::SimError;
use crate::calendar::{Calendar, CalendarError};
use crate::template::template_line;

pub use experiment::{ArmParams, ExperimentParams};
pub use policy::{Guardrails, Policy, RampPoint};
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

/// A complete simulation scenario. Every section and key is optional in the file;
/// absent keys take the defaults documented on each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Name, seed and sizes.
    pub scenario: ScenarioMeta,
    /// The emitted line's time zone and working days.
    pub line: LineParams,
    /// How the territory is generated.
    pub territory: TerritoryParams,
    /// How contacts respond to touches.
    pub response: ResponseParams,
    /// Capacity and effort per station.
    pub stations: Stations,
    /// How the line is run: sequences, rests, the automation ramp, guardrails.
    pub policy: Policy,
    /// `[[drift]]`: scheduled, lasting changes of a station's pass chance (a new
    /// message template, a new list source). Default none.
    pub drift: Vec<Drift>,
    /// `[experiment]`: an experiment at the touch station. Default none.
    pub experiment: Option<ExperimentParams>,
}

/// `[scenario]`: identity, reproducibility and sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioMeta {
    /// Scenario name, echoed in outputs and the emitted line's name.
    /// Default `"default"`.
    pub name: String,
    /// Master seed of every random stream. Default `1`.
    pub seed: u64,
    /// Number of accounts in the territory. Default `5000`.
    pub accounts: u32,
    /// Number of simulated working days. Default `260` (a year).
    pub days: u32,
    /// Date of day 0 (`YYYY-MM-DD`); a start on a day off moves to the next working
    /// day. Default `"2025-01-06"`.
    pub start: String,
    /// Number of account shards (each with its own random stream and share of daily
    /// capacity); `0` = automatic, `clamp(accounts / 4000, 1, 256)`. Results depend on
    /// the shard count, never on the thread count. Default `0`.
    pub shards: u32,
    /// Working days simulated before day 0 under the ramp's day-0 multiplier and not
    /// reported, so that day 0 starts from a line in its usual state rather than an
    /// empty one (they run on the working days before `start`). Default `0`.
    pub warmup_days: u32,
    /// Whether the event log includes the warm-up days. When `false` the log starts
    /// on day 0 as if the line had just been connected: every unit in a station then
    /// gets an `entered` at the opening hour of day 0, and earlier events are not
    /// logged. Default `true`.
    pub record_warmup: bool,
    /// Final-station passes per working day the line aims for; only written into the
    /// emitted `line.toml`. Default: the template's (`12`).
    pub target_per_day: f64,
}

impl Default for ScenarioMeta {
    fn default() -> Self {
        ScenarioMeta {
            name: "default".into(),
            seed: 1,
            accounts: 5000,
            days: 260,
            start: "2025-01-06".into(),
            shards: 0,
            warmup_days: 0,
            record_warmup: true,
            target_per_day: template_line().map_or(12.0, |l| l.target_per_day),
        }
    }
}

/// `[line]`: where and when the line works. The stations, their ids, targets and the
/// unit (contact) are the template's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LineParams {
    /// IANA time zone: days are cut and events are stamped in it. Default: the
    /// template's (`"America/New_York"`).
    pub timezone: String,
    /// Working weekdays (`"mon"` … `"sun"`): the simulated days. Default: the
    /// template's (Monday to Friday).
    pub working_days: Vec<String>,
}

impl Default for LineParams {
    fn default() -> Self {
        let (timezone, working_days) = match template_line() {
            Ok(l) => (
                l.timezone_name.clone(),
                l.working_days
                    .iter()
                    .map(|d| weekday_name(*d).to_owned())
                    .collect(),
            ),
            Err(_) => ("UTC".to_owned(), Vec::new()),
        };
        LineParams {
            timezone,
            working_days,
        }
    }
}

/// The short name `line.toml` uses for a weekday.
pub(crate) fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

/// `[territory]`: accounts, contacts, fit tiers and propensities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerritoryParams {
    /// Fewest contacts per account (uniform between min and max). Default `1`.
    pub contacts_min: u32,
    /// Most contacts per account. Default `6`.
    pub contacts_max: u32,
    /// Share of accounts in fit tier 1, 2, 3 (tier 1 = best fit); must sum to 1.
    /// Default `[0.2, 0.3, 0.5]`.
    pub tier_shares: [f64; 3],
    /// Mean of the Beta propensity distribution per tier: an account's per-touch
    /// reply probability to a relevant, unfatigued human touch.
    /// Default `[0.10, 0.05, 0.025]`.
    pub tier_mean_propensity: [f64; 3],
    /// α + β of the Beta propensity distributions (higher = less spread within a
    /// tier). Default `20`.
    pub propensity_concentration: f64,
    /// Standard deviation of the log-normal noise between an account's propensity and
    /// the fit score targeting sorts by inside a tier (`0` = perfect knowledge).
    /// Default `2`.
    pub fit_noise: f64,
    /// Chance that a held meeting qualifies, per tier. Default `[0.7, 0.5, 0.3]`.
    pub qualify_rate: [f64; 3],
}

impl Default for TerritoryParams {
    fn default() -> Self {
        TerritoryParams {
            contacts_min: 1,
            contacts_max: 6,
            tier_shares: [0.2, 0.3, 0.5],
            tier_mean_propensity: [0.10, 0.05, 0.025],
            propensity_concentration: 20.0,
            fit_noise: 2.0,
            qualify_rate: [0.7, 0.5, 0.3],
        }
    }
}

/// `[response]`: how a contact reacts to a touch, and what happens downstream.
///
/// With `n` = the contact's touches in the previous 30 calendar days and `h` = the
/// account's heat before the touch:
/// - reply: `propensity × relevance × exp(−fatigue_slope·n − heat_slope·h)`,
///   relevance = 1 for humans, `automation_relevance[tier]` for automation;
/// - opt-out: `optout_base × risk`, hostile reply: `hostile_base × risk`, with
///   `risk = exp(risk_fatigue_slope·max(0, n − risk_free_touches_30d) +
///   risk_heat_slope·max(0, h − risk_free_heat))`, × `automation_risk_multiplier`
///   for automated touches; each capped at 0.5. Buyers tolerate a short sequence and a
///   few colleagues being approached; the risk climbs past those levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResponseParams {
    /// Log-linear fall of the reply chance per prior touch in 30 days. Default `0.12`.
    pub fatigue_slope: f64,
    /// Log-linear fall of the reply chance per unit of account heat. Default `0.02`.
    pub heat_slope: f64,
    /// Heat added to the account by a human touch is 1, by an automated touch this.
    /// Default `1.5`.
    pub automation_heat_weight: f64,
    /// Half-life of account heat in calendar days: rested accounts recover.
    /// Default `45`.
    pub heat_half_life_days: f64,
    /// Relative reply chance of an automated touch, per fit tier: automation picks
    /// low-hanging fruit well and the high branches badly. Default `[0.9, 0.6, 0.35]`.
    pub automation_relevance: [f64; 3],
    /// Opt-out chance of a human touch to an unfatigued contact at a cold account.
    /// Default `0.0008` (a relevant human sequence then averages about 0.1 % per touch,
    /// the low end of what well-targeted cold outreach sees).
    pub optout_base: f64,
    /// Hostile-reply chance (burns the whole account) at baseline. Default `0.0005`.
    pub hostile_base: f64,
    /// Log-linear rise of opt-out / hostile risk per prior touch in 30 days beyond
    /// `risk_free_touches_30d`. Default `0.3` (×1.35 per extra touch: a contact on its
    /// ninth message in a month opts out about 4.5× as often as on its fifth).
    pub risk_fatigue_slope: f64,
    /// Prior touches in 30 days a contact takes before its opt-out / hostile risk
    /// starts rising with `risk_fatigue_slope`. Default `4` (a four-touch sequence
    /// is ordinary; frequency caps exist because the fifth+ touches in a month irritate).
    pub risk_free_touches_30d: u32,
    /// Account heat an account takes before the opt-out / hostile risk of its
    /// contacts starts rising with `risk_heat_slope`. Default `25` (about three
    /// contacts on six-touch automated sequences — the default guardrails' ceiling; a
    /// whole buying committee on eight-touch sequences goes far beyond it).
    pub risk_free_heat: f64,
    /// Log-linear rise of opt-out / hostile risk per unit of account heat beyond
    /// `risk_free_heat`. Default `0.12` (risk doubles for every ~6 units, i.e. about
    /// four more automated touches landing at the account within weeks).
    pub risk_heat_slope: f64,
    /// Risk multiplier of automated touches. Default `1.3` (templated messages are
    /// somewhat less welcome; most of automation's harm comes from the volume,
    /// frequency and account saturation it makes possible, modelled above).
    pub automation_risk_multiplier: f64,
    /// Opt-outs at one account that burn the account. Default `2`.
    pub optouts_to_burn_account: u32,
    /// Research pass rate (right person, usable address) when a human researches.
    /// Default `0.9`.
    pub research_yield_human: f64,
    /// Research pass rate of automated research / enrichment. Default `0.8`.
    pub research_yield_automation: f64,
    /// Hard-bounce chance of the first touch after human research. Default `0.01`.
    pub bounce_rate_human_research: f64,
    /// Hard-bounce chance of the first touch after automated research. Default `0.05`.
    pub bounce_rate_automation_research: f64,
    /// Share of (non-hostile) replies that are interested: pass to booking.
    /// Default `0.5`.
    pub reply_positive: f64,
    /// Share of replies that are "not now": recycled for `policy.not_now_days`.
    /// Default `0.2`.
    pub reply_not_now: f64,
    /// Share of replies pointing elsewhere: failed `wrong_person`. The rest are polite
    /// refusals: failed `negative` (the account is not burned). Default `0.1`.
    pub reply_wrong_person: f64,
    /// Chance an interested reply books a meeting. Default `0.8`.
    pub booking_rate: f64,
    /// Chance a booked meeting is held. Default `0.85`.
    pub show_rate: f64,
    /// Show-rate multiplier for meetings sourced by automated sequences. Default `0.8`.
    pub automation_show_factor: f64,
    /// Working days between booking and the meeting. Default `5`.
    pub meeting_lead_days: u32,
    /// Chance that a "wrong person" outcome (failed `wrong_person` at research or at
    /// the reply station) names a colleague: a fresh contact of the same account, who
    /// is then researched 1–3 working days later (the event carries
    /// `referral_unit_id`). Default `0`.
    pub referral_rate: f64,
    /// Day-to-day wobble of every station's pass chance: the standard deviation of an
    /// AR(1) shift of its log-odds (coefficient 0.7, the same every shard), so daily
    /// yields vary a little more than binomially, as real ones do. Default `0`.
    pub yield_wobble: f64,
}

impl Default for ResponseParams {
    fn default() -> Self {
        ResponseParams {
            fatigue_slope: 0.12,
            heat_slope: 0.02,
            automation_heat_weight: 1.5,
            heat_half_life_days: 45.0,
            automation_relevance: [0.9, 0.6, 0.35],
            optout_base: 0.0008,
            hostile_base: 0.0005,
            risk_fatigue_slope: 0.3,
            risk_free_touches_30d: 4,
            risk_free_heat: 25.0,
            risk_heat_slope: 0.12,
            automation_risk_multiplier: 1.3,
            optouts_to_burn_account: 2,
            research_yield_human: 0.9,
            research_yield_automation: 0.8,
            bounce_rate_human_research: 0.01,
            bounce_rate_automation_research: 0.05,
            reply_positive: 0.5,
            reply_not_now: 0.2,
            reply_wrong_person: 0.1,
            booking_rate: 0.8,
            show_rate: 0.85,
            automation_show_factor: 0.8,
            meeting_lead_days: 5,
            referral_rate: 0.0,
            yield_wobble: 0.0,
        }
    }
}

/// `[[drift]]`: from reported working day `day` on, the pass chance of `station` is
/// multiplied by `yield_multiplier` (research: its pass rate; the touch station: the
/// per-touch reply chance; replies: the interested share; booking, meetings,
/// qualification: their rates). Several drifts of one station multiply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Drift {
    /// The station's id.
    pub station: String,
    /// First reported working day of the change.
    pub day: u32,
    /// Multiplier of the pass chance from that day. Default `1`.
    pub yield_multiplier: f64,
    /// What changed, for people (e.g. "new message template"). Default `""`.
    pub note: String,
}

impl Default for Drift {
    fn default() -> Self {
        Drift {
            station: crate::template::station_id(crate::template::REPLY).to_owned(),
            day: 0,
            yield_multiplier: 1.0,
            note: String::new(),
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
