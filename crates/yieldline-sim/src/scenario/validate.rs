//! The semantic rules of a scenario (ranges and consistency), every problem with its
//! dotted key; [`super::check`] adds the lines.

use super::{Issue, Scenario, TOUCH_MEMORY};
use crate::SimError;
use crate::calendar::MAX_DELAY_DAYS;
use crate::template::{TOUCH, station_id, station_ids, template_line};

impl Scenario {
    pub(crate) fn problems(&self) -> Vec<Issue> {
        let mut v = Checker(Vec::new());
        let m = &self.scenario;
        v.range_u("scenario.accounts", m.accounts, 1, 50_000_000);
        v.range_u("scenario.days", m.days, 1, 10_000);
        v.range_u("scenario.shards", m.shards, 0, 4096);
        v.range_u("scenario.warmup_days", m.warmup_days, 0, 1000);
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
        let t = &self.territory;
        v.range_u("territory.contacts_min", t.contacts_min, 1, 32);
        v.range_u("territory.contacts_max", t.contacts_max, 1, 32);
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
        v.prob("response.referral_rate", r.referral_rate);
        if !(0.0..=2.0).contains(&r.yield_wobble) {
            v.push(
                "response.yield_wobble",
                &format!("must be between 0 and 2, is {}", r.yield_wobble),
            );
        }
        v.range_u(
            "response.risk_free_touches_30d",
            r.risk_free_touches_30d,
            0,
            TOUCH_MEMORY as u32,
        );
        for (id, st) in station_ids().iter().zip(self.stations.as_array()) {
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
            MAX_DELAY_DAYS,
        );
        v.range_u(
            "policy.max_sequences_per_contact",
            p.max_sequences_per_contact,
            1,
            50,
        );
        v.range_u("policy.not_now_days", p.not_now_days, 1, MAX_DELAY_DAYS);
        if p.not_now_days_max != 0 {
            v.range_u(
                "policy.not_now_days_max",
                p.not_now_days_max,
                p.not_now_days,
                MAX_DELAY_DAYS,
            );
        }
        v.shares("policy.human_channels", &p.human_channels);
        v.shares("policy.automation_channels", &p.automation_channels);
        v.range_u("policy.reps", p.reps, 1, 10_000);
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
                MAX_DELAY_DAYS,
            );
            v.prob("policy.guardrails.max_optout_rate", g.max_optout_rate);
            v.prob(
                "policy.guardrails.freeze_scaleup_below_marginal",
                g.freeze_scaleup_below_marginal,
            );
        }
        self.drift_problems(&mut v);
        self.experiment_problems(&mut v);
        v.0
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
            x.definition(jiff::Timestamp::UNIX_EPOCH, None)
                .map_err(|e| e.to_string())?
                .validate(line)
                .map_err(|e| e.to_string())
        });
        if let Err(message) = rules {
            v.push("experiment", &message);
        }
    }
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
