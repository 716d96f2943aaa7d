//! The semantic rules of a scenario (ranges and consistency), every problem with its
//! dotted key; [`super::check`] adds the lines.

use super::{Issue, Scenario, TOUCH_MEMORY};
use crate::SimError;
use crate::calendar::MAX_DELAY_DAYS;
use crate::template::{TOUCH, station_id, station_ids, template_line};

impl Scenario {
    pub(crate) fn problems(&self) -> Vec<Issue> {
        let mut v = Checker(Vec::new());
        let (m, t, r, p) = (
            &self.scenario,
            &self.territory,
            &self.response,
            &self.policy,
        );
        for (key, x, lo, hi) in self.counts() {
            v.range_u(key, x, lo, hi);
        }
        for (key, x, rule) in self.reals() {
            match rule {
                Real::Chance => v.prob(key, x),
                Real::Amount => v.non_negative(key, x),
            }
        }
        v.positive(
            "territory.propensity_concentration",
            t.propensity_concentration,
        );
        v.positive("response.heat_half_life_days", r.heat_half_life_days);
        if self.start_date().is_none() {
            v.push("scenario.start", "must be a date written YYYY-MM-DD");
        }
        if !(m.target_per_day.is_finite() && m.target_per_day > 0.0) {
            v.push("scenario.target_per_day", "must be a positive number");
        }
        if let Err(e) = template_line() {
            v.push("stations", e);
        }
        self.line_problems(&mut v);
        if t.contacts_min > t.contacts_max {
            v.push("territory.contacts_max", "must be at least contacts_min");
        }
        v.shares("territory.tier_shares", &t.tier_shares);
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
        for (i, x) in r.automation_relevance.iter().enumerate() {
            v.prob(&format!("response.automation_relevance[{i}]"), *x);
        }
        if r.reply_positive + r.reply_not_now + r.reply_wrong_person > 1.0 + 1e-9 {
            v.push(
                "response.reply_wrong_person",
                "reply_positive + reply_not_now + reply_wrong_person must not exceed 1",
            );
        }
        if !(0.0..=2.0).contains(&r.yield_wobble) {
            v.push(
                "response.yield_wobble",
                &format!("must be between 0 and 2, is {}", r.yield_wobble),
            );
        }
        for (id, st) in station_ids().iter().zip(self.stations.as_array()) {
            let key = |k: &str| format!("stations.{id}.{k}");
            v.range_u(&key("human_capacity"), st.human_capacity, 0, 100_000_000);
            v.range_u(
                &key("automation_capacity"),
                st.automation_capacity,
                0,
                100_000_000,
            );
            v.non_negative(&key("human_cost_minutes"), st.human_cost_minutes);
            v.non_negative(&key("automation_cost_minutes"), st.automation_cost_minutes);
        }
        v.shares("policy.human_channels", &p.human_channels);
        v.shares("policy.automation_channels", &p.automation_channels);
        if p.automation_ramp.is_empty() {
            v.push("policy.automation_ramp", "needs at least one point");
        }
        for (i, pt) in p.automation_ramp.iter().enumerate() {
            if !(0.0..=1000.0).contains(&pt.multiplier) {
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
        self.drift_problems(&mut v);
        self.experiment_problems(&mut v);
        v.0
    }

    /// The whole numbers to check: key, value, least, most.
    #[rustfmt::skip]
    fn counts(&self) -> Vec<(&'static str, u32, u32, u32)> {
        let (m, t, r, p) = (&self.scenario, &self.territory, &self.response, &self.policy);
        let touch_memory = TOUCH_MEMORY as u32;
        let mut counts = vec![
            ("scenario.accounts", m.accounts, 1, 50_000_000),
            ("scenario.days", m.days, 1, 10_000),
            ("scenario.shards", m.shards, 0, 4096),
            ("scenario.warmup_days", m.warmup_days, 0, 1000),
            ("territory.contacts_min", t.contacts_min, 1, 32),
            ("territory.contacts_max", t.contacts_max, 1, 32),
            ("response.optouts_to_burn_account", r.optouts_to_burn_account, 1, 255),
            ("response.meeting_lead_days", r.meeting_lead_days, 0, 250),
            ("response.risk_free_touches_30d", r.risk_free_touches_30d, 0, touch_memory),
            ("policy.human_sequence_touches", p.human_sequence_touches, 1, 50),
            ("policy.automation_sequence_touches", p.automation_sequence_touches, 1, 50),
            ("policy.touch_interval_days", p.touch_interval_days, 1, 250),
            ("policy.rest_days_after_no_response", p.rest_days_after_no_response, 1, MAX_DELAY_DAYS),
            ("policy.max_sequences_per_contact", p.max_sequences_per_contact, 1, 50),
            ("policy.not_now_days", p.not_now_days, 1, MAX_DELAY_DAYS),
            ("policy.reps", p.reps, 1, 10_000),
        ];
        if p.not_now_days_max != 0 {
            counts.push(("policy.not_now_days_max", p.not_now_days_max, p.not_now_days, MAX_DELAY_DAYS));
        }
        if let Some(g) = &p.guardrails {
            counts.extend([
                ("policy.guardrails.max_touches_per_contact_30d", g.max_touches_per_contact_30d, 1, touch_memory),
                ("policy.guardrails.max_active_contacts_per_account", g.max_active_contacts_per_account, 1, 255),
                ("policy.guardrails.cooldown_days_after_fail", g.cooldown_days_after_fail, 0, MAX_DELAY_DAYS),
            ]);
        }
        counts
    }

    /// The real numbers to check: key, value, rule.
    #[rustfmt::skip]
    fn reals(&self) -> Vec<(&'static str, f64, Real)> {
        let (t, r, p) = (&self.territory, &self.response, &self.policy);
        let mut reals = vec![
            ("territory.fit_noise", t.fit_noise, Real::Amount),
            ("response.fatigue_slope", r.fatigue_slope, Real::Amount),
            ("response.heat_slope", r.heat_slope, Real::Amount),
            ("response.automation_heat_weight", r.automation_heat_weight, Real::Amount),
            ("response.risk_fatigue_slope", r.risk_fatigue_slope, Real::Amount),
            ("response.risk_heat_slope", r.risk_heat_slope, Real::Amount),
            ("response.risk_free_heat", r.risk_free_heat, Real::Amount),
            ("response.automation_risk_multiplier", r.automation_risk_multiplier, Real::Amount),
            ("response.optout_base", r.optout_base, Real::Chance),
            ("response.hostile_base", r.hostile_base, Real::Chance),
            ("response.research_yield_human", r.research_yield_human, Real::Chance),
            ("response.research_yield_automation", r.research_yield_automation, Real::Chance),
            ("response.bounce_rate_human_research", r.bounce_rate_human_research, Real::Chance),
            ("response.bounce_rate_automation_research", r.bounce_rate_automation_research, Real::Chance),
            ("response.reply_positive", r.reply_positive, Real::Chance),
            ("response.reply_not_now", r.reply_not_now, Real::Chance),
            ("response.reply_wrong_person", r.reply_wrong_person, Real::Chance),
            ("response.booking_rate", r.booking_rate, Real::Chance),
            ("response.show_rate", r.show_rate, Real::Chance),
            ("response.automation_show_factor", r.automation_show_factor, Real::Chance),
            ("response.referral_rate", r.referral_rate, Real::Chance),
        ];
        if let Some(g) = &p.guardrails {
            reals.extend([
                ("policy.guardrails.max_optout_rate", g.max_optout_rate, Real::Chance),
                ("policy.guardrails.freeze_scaleup_below_marginal", g.freeze_scaleup_below_marginal, Real::Chance),
            ]);
        }
        reals
    }

    fn line_problems(&self, v: &mut Checker) {
        if jiff::tz::TimeZone::get(&self.line.timezone).is_err() {
            v.push(
                "line.timezone",
                &format!("unknown IANA time zone {:?}", self.line.timezone),
            );
        }
        if self.line.working_days.is_empty() {
            v.push("line.working_days", "needs at least one working day");
        }
        for (i, d) in self.line.working_days.iter().enumerate() {
            if yieldline_core::line::parse_weekday(d).is_none() {
                v.push(
                    &format!("line.working_days[{i}]"),
                    &format!("{d:?} is not a weekday (mon … sun)"),
                );
            }
        }
        if v.0.is_empty()
            && let Err(SimError::InvalidOption { message, .. }) = self.calendar()
        {
            v.push("scenario.start", &message);
        }
    }

    fn drift_problems(&self, v: &mut Checker) {
        for (i, d) in self.drift.iter().enumerate() {
            if !station_ids().contains(&d.station) {
                v.push(
                    &format!("drift[{i}].station"),
                    &format!(
                        "unknown station {:?}; expected one of: {}",
                        d.station,
                        station_ids().join(", ")
                    ),
                );
            }
            v.range_u(&format!("drift[{i}].day"), d.day, 0, self.scenario.days);
            if !(0.0..=100.0).contains(&d.yield_multiplier) {
                v.push(
                    &format!("drift[{i}].yield_multiplier"),
                    &format!("must be between 0 and 100, is {}", d.yield_multiplier),
                );
            }
        }
    }

    fn experiment_problems(&self, v: &mut Checker) {
        let Some(x) = &self.experiment else {
            return;
        };
        if x.station != station_id(TOUCH) {
            v.push(
                "experiment.station",
                &format!(
                    "only experiments at the touch station {:?} are simulated, not {:?}",
                    station_id(TOUCH),
                    x.station
                ),
            );
        }
        if x.randomization_unit().is_none() {
            v.push(
                "experiment.unit",
                &format!("must be \"account\" or \"contact\", is {:?}", x.unit),
            );
        }
        let days = self.scenario.days;
        v.range_u(
            "experiment.start_day",
            x.start_day,
            0,
            days.saturating_sub(1),
        );
        if x.end_day != 0 {
            v.range_u("experiment.end_day", x.end_day, x.start_day + 1, days);
        }
        if x.arms.len() > 250 {
            v.push("experiment.arms", "at most 250 arms");
        }
        for (i, a) in x.arms.iter().enumerate() {
            if !matches!(a.operator.as_str(), "human" | "automation") {
                v.push(
                    &format!("experiment.arms[{i}].operator"),
                    &format!("must be \"human\" or \"automation\", is {:?}", a.operator),
                );
            }
            for (k, m) in a.multipliers() {
                if !(0.0..=100.0).contains(&m) {
                    v.push(
                        &format!("experiment.arms[{i}].{k}"),
                        &format!("must be between 0 and 100, is {m}"),
                    );
                }
            }
        }
        // Yieldline's own rules for a stored experiment (id, arms, weights, control,
        // salt, guardrails), on the line the scenario emits.
        let rules = template_line().map_err(str::to_owned).and_then(|line| {
            x.definition(jiff::Timestamp::constant(1_735_689_600, 0), None)
                .map_err(|e| e.to_string())?
                .validate(line)
                .map_err(|e| e.to_string())
        });
        if let Err(message) = rules {
            v.push("experiment", &message);
        }
    }
}

/// What a real-valued key must be.
#[derive(Clone, Copy)]
enum Real {
    /// A chance, in [0, 1].
    Chance,
    /// An amount, zero or more.
    Amount,
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
    fn shares(&mut self, key: &str, xs: &[f64]) {
        for (i, x) in xs.iter().enumerate() {
            self.prob(&format!("{key}[{i}]"), *x);
        }
        let sum: f64 = xs.iter().sum();
        if (sum - 1.0).abs() > 1e-6 {
            self.push(key, &format!("must sum to 1, sums to {sum}"));
        }
    }
    fn non_negative(&mut self, key: &str, x: f64) {
        if !(x >= 0.0 && x.is_finite()) {
            self.push(key, &format!("must be zero or more, is {x}"));
        }
    }
}
