//! The sections of a scenario file and their defaults: `[scenario]`, `[line]`,
//! `[territory]`, `[response]`, `[[drift]]`, `[policy]` (with `[policy.guardrails]`)
//! and `[experiment]` (`[stations.<id>]` is in `stations.rs`).
//!
//! `[experiment]` is a randomized experiment at the touch station, simulated before it
//! is run (or, in the demo, the finished experiment the workspace shows). Units are
//! assigned to arms with Yieldline's own hash assignment
//! ([`yieldline_core::experiment::assign_arm`]) of the account (or contact) id, so an
//! emitted workspace's arms are what `yieldline experiment` would have dispatched. A
//! sequence started at the touch station on a working day in `[start_day, end_day)`
//! is in the experiment: it is worked by its arm's operator, and every event of that
//! visit carries the arm. The arm's effects are multipliers on the response model,
//! applied to its touches and, downstream, to the units its sequences produced.

use jiff::civil::Weekday;
use serde::{Deserialize, Serialize};
use yieldline_core::experiment::{ArmDef, ExperimentDef, Guardrail, RandomizationUnit};

use super::Stations;
use crate::template::{REPLY, TOUCH, station_id, template_line};

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
            station: station_id(REPLY).to_owned(),
            day: 0,
            yield_multiplier: 1.0,
            note: String::new(),
        }
    }
}

/// One point of the automated-volume schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RampPoint {
    /// Working day the multiplier is reached.
    pub day: u32,
    /// Multiplier of every station's automation capacity on that day.
    pub multiplier: f64,
}

/// `[policy]`: how the line is worked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Touches in a human sequence before it ends as `no_response`. Default `4`.
    pub human_sequence_touches: u32,
    /// Touches in an automated sequence. Default `6`.
    pub automation_sequence_touches: u32,
    /// Working days between touches of a sequence. Default `3`.
    pub touch_interval_days: u32,
    /// Calendar days a contact rests after a `no_response` sequence before the next
    /// one (the guardrail cooldown is a minimum). Default `30`.
    pub rest_days_after_no_response: u32,
    /// Sequences a contact gets at most; after the last one it is done. Default `3`.
    pub max_sequences_per_contact: u32,
    /// Calendar days a "not now" reply is recycled for ("call me in Q3"): the contact
    /// rests and re-enters the touch station when due. Default `60`.
    pub not_now_days: u32,
    /// When above `not_now_days`, the recycle delay is drawn uniformly from
    /// `not_now_days..=not_now_days_max` calendar days. Default `0` (always
    /// `not_now_days`).
    pub not_now_days_max: u32,
    /// Channels of human touches, as shares of e-mail, phone and social (they sum to
    /// 1). Default `[0.7, 0.3, 0.0]`.
    pub human_channels: [f64; 3],
    /// Channels of automated touches, as shares of e-mail, phone and social.
    /// Default `[1.0, 0.0, 0.0]`.
    pub automation_channels: [f64; 3],
    /// Whether automated capacity at the touch station enrols new sequences. `false`:
    /// automation only works an experiment's automated arms (their new sequences in
    /// the window, and their follow-ups), as when a line tries a sequencer on part of
    /// its territory. Default `true`.
    pub automation_starts_sequences: bool,
    /// Reps sharing the human work: each account belongs to one (`rep-1` … `rep-N` in
    /// the event log's `operator_id`). Default `6`.
    pub reps: u32,
    /// Automated-volume schedule: multipliers of every station's automation capacity,
    /// linear between points, flat before the first and after the last.
    /// Default `[{ day = 0, multiplier = 1.0 }]`.
    pub automation_ramp: Vec<RampPoint>,
    /// Guardrails; absent = none (sequences, rests and account coverage are then
    /// limited only by the policy above).
    pub guardrails: Option<Guardrails>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            human_sequence_touches: 4,
            automation_sequence_touches: 6,
            touch_interval_days: 3,
            rest_days_after_no_response: 30,
            max_sequences_per_contact: 3,
            not_now_days: 60,
            not_now_days_max: 0,
            human_channels: [0.7, 0.3, 0.0],
            automation_channels: [1.0, 0.0, 0.0],
            automation_starts_sequences: true,
            reps: 6,
            automation_ramp: vec![RampPoint {
                day: 0,
                multiplier: 1.0,
            }],
            guardrails: None,
        }
    }
}

impl Policy {
    /// The automation multiplier on working day `day`.
    pub fn multiplier(&self, day: u32) -> f64 {
        let r = &self.automation_ramp;
        let Some(first) = r.first() else { return 1.0 };
        if day <= first.day {
            return first.multiplier;
        }
        for w in r.windows(2) {
            if day <= w[1].day {
                let t = f64::from(day - w[0].day) / f64::from((w[1].day - w[0].day).max(1));
                return w[0].multiplier + t * (w[1].multiplier - w[0].multiplier);
            }
        }
        r.last().map_or(1.0, |p| p.multiplier)
    }
}

/// `[policy.guardrails]`: the limits of `line.toml`'s `[guardrails]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Guardrails {
    /// A touch that would exceed this many touches to one contact in 30 calendar days
    /// is not made: the sequence ends as `no_response`. At most 16. Default `6`.
    pub max_touches_per_contact_30d: u32,
    /// Contacts of one account in the line at once. Default `3`.
    pub max_active_contacts_per_account: u32,
    /// Minimum calendar days of rest after a failed sequence. Default `90`.
    pub cooldown_days_after_fail: u32,
    /// Bulk-sender opt-out limit (people opting out per touch), written to
    /// `line.toml` and enforced by the opt-out brake: before each working day, when the
    /// line's opt-out rate over the previous 20 working days (at least 200 touches)
    /// is above it, every station's automated capacity is halved once more (at most 6
    /// halvings); each day at or under it releases one halving. Default `0.003`.
    pub max_optout_rate: f64,
    /// Scale-up governor (the watch's "freeze the scale-up of automated volume"); `0`
    /// = off. Every 20 working days the line's automated touches and final output
    /// (qualified) over the trailing 20 working days are compared with the 20 before;
    /// when automated touches rose by at least 5 % and the added touches' marginal
    /// output (Δoutput ÷ Δautomated touches) is below this fraction of the previous
    /// window's output per automated touch, the ramp's multiplier is held where it is
    /// for the rest of the run (the ramp continues only while its increments pay; a
    /// scheduled fall still applies). Between 0 and 1. Default `0` (off).
    pub freeze_scaleup_below_marginal: f64,
}

impl Default for Guardrails {
    /// Yieldline's own defaults (those of `line.toml`), the governor off.
    fn default() -> Self {
        let g = yieldline_core::line::Guardrails::default();
        Guardrails {
            max_touches_per_contact_30d: g.max_touches_per_contact_30d,
            max_active_contacts_per_account: g.max_active_contacts_per_account,
            cooldown_days_after_fail: g.cooldown_days_after_fail,
            max_optout_rate: g.max_optout_rate,
            freeze_scaleup_below_marginal: 0.0,
        }
    }
}

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
