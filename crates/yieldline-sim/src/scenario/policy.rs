//! `[policy]` and `[policy.guardrails]`: how the line is worked.

use serde::{Deserialize, Serialize};

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
