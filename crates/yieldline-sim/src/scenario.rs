//! Scenario files: the territory, the response model, the stations and the policy,
//! parsed from TOML with unknown keys rejected and validated like a config (every
//! problem reported, each naming its key and line).

use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};

use crate::SimError;
use crate::calendar::{Calendar, Date};

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
    /// How the territory is generated.
    pub territory: TerritoryParams,
    /// How contacts respond to touches.
    pub response: ResponseParams,
    /// Capacity and effort per station.
    pub stations: Stations,
    /// How the line is run: sequences, rests, the automation ramp, guardrails.
    pub policy: Policy,
}

/// `[scenario]`: identity, reproducibility and sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenarioMeta {
    /// Scenario name, echoed in outputs. Default `"default"`.
    pub name: String,
    /// Master seed of every random stream. Default `1`.
    pub seed: u64,
    /// Number of accounts in the territory. Default `5000`.
    pub accounts: u32,
    /// Number of simulated working days (Monday–Friday). Default `260` (a year).
    pub days: u32,
    /// Date of day 0 (`YYYY-MM-DD`); a weekend start moves to the next Monday.
    /// Default `"2025-01-06"`.
    pub start: String,
    /// Number of account shards (each with its own random stream and share of daily
    /// capacity); `0` = automatic, `clamp(accounts / 4000, 1, 256)`. Results depend on
    /// the shard count, never on the thread count. Default `0`.
    pub shards: u32,
    /// Working days simulated before day 0 under the ramp's day-0 multiplier and not
    /// reported, so that day 0 starts from a line in its usual state rather than an
    /// empty one (they run on the working days before `start`). Default `0`.
    pub warmup_days: u32,
    /// Final-station passes per working day the line aims for; only written into the
    /// emitted `line.toml`. Default `12`.
    pub target_per_day: u32,
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
            target_per_day: 12,
        }
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
        }
    }
}

/// Capacity and effort of one station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StationParams {
    /// Dispositions (touches at `first-touch`) humans can do per working day.
    pub human_capacity: u32,
    /// Automated dispositions / touches per day before the ramp multiplier.
    pub automation_capacity: u32,
    /// Effort of one human disposition or touch, in minutes.
    pub human_cost_minutes: f64,
    /// Effort of one automated disposition or touch, in minutes.
    pub automation_cost_minutes: f64,
}

impl StationParams {
    fn new(human: u32, automation: u32, human_cost: f64, automation_cost: f64) -> Self {
        StationParams {
            human_capacity: human,
            automation_capacity: automation,
            human_cost_minutes: human_cost,
            automation_cost_minutes: automation_cost,
        }
    }
}

impl Default for StationParams {
    fn default() -> Self {
        StationParams::new(100, 0, 5.0, 0.5)
    }
}

/// `[stations.<id>]`: one table per station of the fixed six-station line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stations {
    /// Researching a fresh contact. Default human 60, automation 0.
    pub research: StationParams,
    /// Touches of outreach sequences. Default human 150, automation 0.
    #[serde(rename = "first-touch")]
    pub first_touch: StationParams,
    /// Handling replies. Default human 60.
    pub reply: StationParams,
    /// Booking meetings from interested replies. Default human 40.
    #[serde(rename = "meeting-booked")]
    pub meeting_booked: StationParams,
    /// Holding meetings. Default human 30.
    #[serde(rename = "meeting-held")]
    pub meeting_held: StationParams,
    /// Qualifying held meetings. Default human 30.
    pub qualified: StationParams,
}

impl Default for Stations {
    fn default() -> Self {
        Stations {
            research: StationParams::new(60, 0, 6.0, 0.2),
            first_touch: StationParams::new(150, 0, 4.0, 0.1),
            reply: StationParams::new(60, 0, 5.0, 0.5),
            meeting_booked: StationParams::new(40, 0, 5.0, 0.5),
            meeting_held: StationParams::new(30, 0, 45.0, 45.0),
            qualified: StationParams::new(30, 0, 10.0, 10.0),
        }
    }
}

impl Stations {
    /// The stations in line order.
    pub fn as_array(&self) -> [&StationParams; 6] {
        [
            &self.research,
            &self.first_touch,
            &self.reply,
            &self.meeting_booked,
            &self.meeting_held,
            &self.qualified,
        ]
    }

    fn as_array_mut(&mut self) -> [&mut StationParams; 6] {
        [
            &mut self.research,
            &mut self.first_touch,
            &mut self.reply,
            &mut self.meeting_booked,
            &mut self.meeting_held,
            &mut self.qualified,
        ]
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
    /// Calendar days a "not now" reply is recycled for. Default `60`.
    pub not_now_days: u32,
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
    fn default() -> Self {
        Guardrails {
            max_touches_per_contact_30d: 6,
            max_active_contacts_per_account: 3,
            cooldown_days_after_fail: 90,
            max_optout_rate: 0.003,
            freeze_scaleup_below_marginal: 0.0,
        }
    }
}

impl Scenario {
    /// Parses and validates a scenario file. All problems are reported at once, each
    /// with its dotted key and line.
    pub fn from_toml_str(text: &str) -> Result<Scenario, SimError> {
        let doc = DeTable::parse(text).map_err(|e| {
            SimError::InvalidScenario(vec![Issue {
                key: "(syntax)".into(),
                line: e.span().map(|s| line_of(text, s.start)),
                message: e.message().trim().to_string(),
            }])
        })?;
        let mut issues = Vec::new();
        let mut shape = Scenario::default();
        shape.policy.guardrails = Some(Guardrails::default());
        let schema = toml::Value::try_from(&shape).map_err(|e| {
            SimError::InvalidScenario(vec![Issue {
                key: "(schema)".into(),
                line: None,
                message: e.to_string(),
            }])
        })?;
        if let toml::Value::Table(schema) = &schema {
            check_table(text, doc.get_ref(), schema, "", &mut issues);
        }
        if !issues.is_empty() {
            issues.sort_by_key(|i| i.line);
            return Err(SimError::InvalidScenario(issues));
        }
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            SimError::InvalidScenario(vec![Issue {
                key: "(document)".into(),
                line: e.span().map(|s| line_of(text, s.start)),
                message: e.message().trim().to_string(),
            }])
        })?;
        let mut issues = scenario.problems();
        if issues.is_empty() {
            Ok(scenario)
        } else {
            for issue in &mut issues {
                issue.line = find_line(text, doc.get_ref(), &issue.key);
            }
            issues.sort_by_key(|i| i.line);
            Err(SimError::InvalidScenario(issues))
        }
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
        for st in self.stations.as_array_mut() {
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

    pub(crate) fn start_date(&self) -> Option<Date> {
        Date::parse(&self.scenario.start)
    }

    /// The simulation calendar: its day 0 is the first warm-up day, so reported day
    /// `d` is calendar day `d + warmup_days`.
    pub(crate) fn calendar(&self) -> Option<Calendar> {
        let start = Calendar::new(self.start_date()?).date(0);
        let mut days = start.to_days();
        let mut left = self.scenario.warmup_days;
        while left > 0 {
            days -= 1;
            if Date::from_days(days).weekday() < 5 {
                left -= 1;
            }
        }
        Some(Calendar::new(Date::from_days(days)))
    }

    fn problems(&self) -> Vec<Issue> {
        let mut v = Checker(Vec::new());
        let m = &self.scenario;
        v.range_u("scenario.accounts", m.accounts, 1, 50_000_000);
        v.range_u("scenario.days", m.days, 1, 10_000);
        v.range_u("scenario.shards", m.shards, 0, 4096);
        v.range_u("scenario.warmup_days", m.warmup_days, 0, 1000);
        if self.start_date().is_none() {
            v.push("scenario.start", "must be a date written YYYY-MM-DD");
        }
        let t = &self.territory;
        v.range_u("territory.contacts_min", t.contacts_min, 1, 32);
        v.range_u("territory.contacts_max", t.contacts_max, 1, 32);
        if t.contacts_min > t.contacts_max {
            v.push("territory.contacts_max", "must be at least contacts_min");
        }
        for (i, s) in t.tier_shares.iter().enumerate() {
            v.prob(&format!("territory.tier_shares[{i}]"), *s);
        }
        let sum: f64 = t.tier_shares.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            v.push(
                "territory.tier_shares",
                &format!("must sum to 1, sums to {sum}"),
            );
        }
        for (i, p) in t.tier_mean_propensity.iter().enumerate() {
            if !(*p > 0.0 && *p < 1.0) {
                v.push(
                    &format!("territory.tier_mean_propensity[{i}]"),
                    "must be strictly between 0 and 1",
                );
            }
        }
        for (i, q) in t.qualify_rate.iter().enumerate() {
            v.prob(&format!("territory.qualify_rate[{i}]"), *q);
        }
        v.positive(
            "territory.propensity_concentration",
            t.propensity_concentration,
        );
        v.non_negative("territory.fit_noise", t.fit_noise);
        let r = &self.response;
        for (k, x) in [
            ("fatigue_slope", r.fatigue_slope),
            ("heat_slope", r.heat_slope),
            ("automation_heat_weight", r.automation_heat_weight),
            ("risk_fatigue_slope", r.risk_fatigue_slope),
            ("risk_heat_slope", r.risk_heat_slope),
            ("risk_free_heat", r.risk_free_heat),
            ("automation_risk_multiplier", r.automation_risk_multiplier),
        ] {
            v.non_negative(&format!("response.{k}"), x);
        }
        v.positive("response.heat_half_life_days", r.heat_half_life_days);
        for (k, x) in [
            ("optout_base", r.optout_base),
            ("hostile_base", r.hostile_base),
            ("research_yield_human", r.research_yield_human),
            ("research_yield_automation", r.research_yield_automation),
            ("bounce_rate_human_research", r.bounce_rate_human_research),
            (
                "bounce_rate_automation_research",
                r.bounce_rate_automation_research,
            ),
            ("reply_positive", r.reply_positive),
            ("reply_not_now", r.reply_not_now),
            ("reply_wrong_person", r.reply_wrong_person),
            ("booking_rate", r.booking_rate),
            ("show_rate", r.show_rate),
            ("automation_show_factor", r.automation_show_factor),
        ] {
            v.prob(&format!("response.{k}"), x);
        }
        for (i, x) in r.automation_relevance.iter().enumerate() {
            v.prob(&format!("response.automation_relevance[{i}]"), *x);
        }
        if r.reply_positive + r.reply_not_now + r.reply_wrong_person > 1.0 + 1e-9 {
            v.push(
                "response.reply_wrong_person",
                "reply_positive + reply_not_now + reply_wrong_person must not exceed 1",
            );
        }
        v.range_u(
            "response.optouts_to_burn_account",
            r.optouts_to_burn_account,
            1,
            255,
        );
        v.range_u("response.meeting_lead_days", r.meeting_lead_days, 0, 250);
        v.range_u(
            "response.risk_free_touches_30d",
            r.risk_free_touches_30d,
            0,
            TOUCH_MEMORY as u32,
        );
        for (id, st) in crate::STATION_IDS.iter().zip(self.stations.as_array()) {
            v.range_u(
                &format!("stations.{id}.human_capacity"),
                st.human_capacity,
                0,
                100_000_000,
            );
            v.range_u(
                &format!("stations.{id}.automation_capacity"),
                st.automation_capacity,
                0,
                100_000_000,
            );
            v.non_negative(
                &format!("stations.{id}.human_cost_minutes"),
                st.human_cost_minutes,
            );
            v.non_negative(
                &format!("stations.{id}.automation_cost_minutes"),
                st.automation_cost_minutes,
            );
        }
        let p = &self.policy;
        v.range_u(
            "policy.human_sequence_touches",
            p.human_sequence_touches,
            1,
            50,
        );
        v.range_u(
            "policy.automation_sequence_touches",
            p.automation_sequence_touches,
            1,
            50,
        );
        v.range_u("policy.touch_interval_days", p.touch_interval_days, 1, 250);
        v.range_u(
            "policy.rest_days_after_no_response",
            p.rest_days_after_no_response,
            1,
            3650,
        );
        v.range_u(
            "policy.max_sequences_per_contact",
            p.max_sequences_per_contact,
            1,
            50,
        );
        v.range_u("policy.not_now_days", p.not_now_days, 1, 3650);
        if p.automation_ramp.is_empty() {
            v.push("policy.automation_ramp", "needs at least one point");
        }
        for (i, pt) in p.automation_ramp.iter().enumerate() {
            if !(pt.multiplier >= 0.0 && pt.multiplier <= 1000.0) {
                v.push(
                    &format!("policy.automation_ramp[{i}].multiplier"),
                    "must be between 0 and 1000",
                );
            }
            if i > 0 && pt.day <= p.automation_ramp[i - 1].day {
                v.push(
                    &format!("policy.automation_ramp[{i}].day"),
                    "days must be strictly increasing",
                );
            }
        }
        if let Some(g) = &p.guardrails {
            v.range_u(
                "policy.guardrails.max_touches_per_contact_30d",
                g.max_touches_per_contact_30d,
                1,
                TOUCH_MEMORY as u32,
            );
            v.range_u(
                "policy.guardrails.max_active_contacts_per_account",
                g.max_active_contacts_per_account,
                1,
                255,
            );
            v.range_u(
                "policy.guardrails.cooldown_days_after_fail",
                g.cooldown_days_after_fail,
                0,
                3650,
            );
            v.prob("policy.guardrails.max_optout_rate", g.max_optout_rate);
            v.prob(
                "policy.guardrails.freeze_scaleup_below_marginal",
                g.freeze_scaleup_below_marginal,
            );
        }
        v.0
    }
}

fn scale(x: u32, factor: f64) -> u32 {
    (f64::from(x) * factor)
        .round()
        .clamp(0.0, f64::from(u32::MAX)) as u32
}

struct Checker(Vec<Issue>);

impl Checker {
    fn push(&mut self, key: &str, message: &str) {
        self.0.push(Issue {
            key: key.to_string(),
            line: None,
            message: message.to_string(),
        });
    }
    fn range_u(&mut self, key: &str, x: u32, lo: u32, hi: u32) {
        if x < lo || x > hi {
            self.push(key, &format!("must be between {lo} and {hi}, is {x}"));
        }
    }
    fn prob(&mut self, key: &str, x: f64) {
        if !(0.0..=1.0).contains(&x) {
            self.push(key, &format!("must be between 0 and 1, is {x}"));
        }
    }
    fn positive(&mut self, key: &str, x: f64) {
        if !(x > 0.0 && x.is_finite()) {
            self.push(key, &format!("must be a positive number, is {x}"));
        }
    }
    fn non_negative(&mut self, key: &str, x: f64) {
        if !(x >= 0.0 && x.is_finite()) {
            self.push(key, &format!("must be zero or more, is {x}"));
        }
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn kind_of_schema(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a number",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date-time",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// Checks the document's keys and value kinds against the schema (the serialized
/// default scenario), collecting every unknown key and every wrong kind.
fn check_table(
    text: &str,
    doc: &DeTable<'_>,
    schema: &toml::Table,
    path: &str,
    issues: &mut Vec<Issue>,
) {
    for (k, v) in doc {
        let key = k.get_ref().as_ref();
        let full = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        match schema.get(key) {
            None => {
                let known: Vec<&str> = schema.keys().map(String::as_str).collect();
                issues.push(Issue {
                    key: full,
                    line: Some(line_of(text, k.span().start)),
                    message: format!("unknown key; expected one of: {}", known.join(", ")),
                });
            }
            Some(s) => check_value(text, v, s, &full, issues),
        }
    }
}

fn check_value(
    text: &str,
    v: &toml::Spanned<DeValue<'_>>,
    schema: &toml::Value,
    path: &str,
    issues: &mut Vec<Issue>,
) {
    let line = Some(line_of(text, v.span().start));
    let mut wrong = || {
        issues.push(Issue {
            key: path.to_string(),
            line,
            message: format!(
                "must be {}, found {}",
                kind_of_schema(schema),
                v.get_ref().type_str()
            ),
        });
    };
    match (schema, v.get_ref()) {
        (toml::Value::Table(s), DeValue::Table(t)) => check_table(text, t, s, path, issues),
        (toml::Value::Array(s), DeValue::Array(a)) => {
            if let Some(first) = s.first() {
                for (i, item) in a.iter().enumerate() {
                    check_value(text, item, first, &format!("{path}[{i}]"), issues);
                }
            }
        }
        (toml::Value::String(_), DeValue::String(_))
        | (toml::Value::Boolean(_), DeValue::Boolean(_)) => {}
        (toml::Value::Float(_), DeValue::Float(_) | DeValue::Integer(_)) => {}
        (toml::Value::Integer(_), DeValue::Integer(i)) => {
            let ok = i64::from_str_radix(i.as_str(), i.radix())
                .is_ok_and(|n| (0..=i64::MAX).contains(&n));
            if !ok {
                issues.push(Issue {
                    key: path.to_string(),
                    line,
                    message: format!("must be a non-negative integer, found {}", i.as_str()),
                });
            }
        }
        _ => wrong(),
    }
}

/// Line of the deepest part of a dotted key path (`a.b[2].c`) present in the document.
fn find_line(text: &str, doc: &DeTable<'_>, key: &str) -> Option<usize> {
    let mut best = None;
    let mut table = Some(doc);
    let mut value: Option<&toml::Spanned<DeValue<'_>>> = None;
    for part in key.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let t = table?;
        let (k, v) = t.get_key_value(name)?;
        best = Some(line_of(text, k.span().start));
        value = Some(v);
        if let Some(i) = index {
            let item = v.get_ref().as_array()?.get(i)?;
            best = Some(line_of(text, item.span().start));
            value = Some(item);
        }
        table = value.and_then(|v| v.get_ref().as_table());
    }
    let _ = value;
    best
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
        let keys: Vec<(String, Option<usize>)> =
            got.iter().map(|i| (i.key.clone(), i.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("scenario.accounts".to_string(), Some(2)),
                ("scenario.bogus".to_string(), Some(3)),
                ("policy.touch_interval".to_string(), Some(6)),
                (
                    "policy.guardrails.max_touches_per_contact_30d".to_string(),
                    Some(8)
                ),
            ]
        );
        assert!(got[1].message.contains("unknown key"), "{}", got[1].message);
    }

    #[test]
    fn reports_every_range_problem_with_lines() {
        let text = "[territory]\ntier_shares = [0.5, 0.5, 0.5]\nqualify_rate = [0.5, 1.5, 0.2]\n\n[policy]\nautomation_ramp = [\n  { day = 10, multiplier = 1.0 },\n  { day = 5, multiplier = 2.0 },\n]\n[policy.guardrails]\nmax_touches_per_contact_30d = 40\n";
        let got = issues(text);
        let keys: Vec<(String, Option<usize>)> =
            got.iter().map(|i| (i.key.clone(), i.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("territory.tier_shares".to_string(), Some(2)),
                ("territory.qualify_rate[1]".to_string(), Some(3)),
                ("policy.automation_ramp[1].day".to_string(), Some(8)),
                (
                    "policy.guardrails.max_touches_per_contact_30d".to_string(),
                    Some(11)
                ),
            ]
        );
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
