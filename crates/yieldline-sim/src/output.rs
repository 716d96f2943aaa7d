//! Simulation output: per-day records (JSON via serde, CSV via [`write_days_csv`]),
//! a summary of the run's cycle, and — when recorded — the territory and event log.

use std::io::Write;

use serde::{Deserialize, Serialize};
use yieldline_core::experiment::ExperimentDef;

use crate::template::station_ids;
use crate::{Scenario, SimError};

/// The result of one simulation run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimOutput {
    /// The scenario as run (shard count resolved), so the run can be reproduced.
    pub scenario: Scenario,
    /// Cycle figures of the run.
    pub summary: Summary,
    /// One record per simulated working day.
    pub days: Vec<DayRecord>,
    /// Every contact of the territory (only with `record_events`).
    #[serde(skip)]
    pub territory: Vec<TerritoryContact>,
    /// The event log, ordered by time (only with `record_events`).
    #[serde(skip)]
    pub events: Vec<SimEvent>,
    /// The scenario's experiment as Yieldline stores it (window in the line's zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<ExperimentDef>,
}

/// Flows through one station on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationDay {
    /// Station id.
    pub station: String,
    /// Units that entered the station.
    pub entered: u64,
    /// Units that passed.
    pub passed: u64,
    /// Units that failed.
    pub failed: u64,
    /// Units recycled ("not now").
    pub recycled: u64,
    /// passed / (passed + failed + recycled), absent when there was no disposition.
    #[serde(rename = "yield")]
    pub yield_: Option<f64>,
}

/// One simulated working day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRecord {
    /// Working-day index from 0.
    pub day: u32,
    /// Its date, `YYYY-MM-DD`.
    pub date: String,
    /// Automation capacity multiplier of the day: the ramp's, halved once per
    /// halving of the opt-out brake.
    pub automation_multiplier: f64,
    /// Halvings of automated capacity the opt-out brake applied that day (0 = off;
    /// always 0 without guardrails).
    #[serde(default)]
    pub brake_halvings: u32,
    /// Whether the scale-up governor (`freeze_scaleup_below_marginal`) held the
    /// ramp's multiplier below its schedule that day (always false without it).
    #[serde(default)]
    pub scaleup_frozen: bool,
    /// Touches made (human + automated).
    pub touches: u64,
    /// Touches made by automation.
    pub automated_touches: u64,
    /// Meetings qualified (final-station passes).
    pub qualified: u64,
    /// Replies that passed `first-touch` per touch made that day (0 without touches).
    pub yield_per_touch: f64,
    /// Burned accounts / all accounts, at the end of the day.
    pub burned_share: f64,
    /// Accounts never worked yet, at the end of the day.
    pub fresh_remaining: u64,
    /// Burned accounts, cumulative.
    pub burned_accounts: u64,
    /// Opt-outs that day.
    pub optouts: u64,
    /// Hostile replies (each burns its account) that day.
    pub hostile_replies: u64,
    /// Hard bounces that day.
    pub bounces: u64,
    /// Effort spent, in minutes.
    pub cost_minutes: f64,
    /// Flows per station, in line order.
    pub stations: Vec<StationDay>,
}

/// Figures describing the run's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// Total touches.
    pub touches: u64,
    /// Total qualified meetings.
    pub qualified: u64,
    /// Width of the centred moving average used below, in working days.
    pub smoothing_days: u32,
    /// Day of the peak of the moving average of qualified meetings per day.
    pub peak_day: u32,
    /// That peak (qualified per day, smoothed).
    pub peak_qualified_per_day: f64,
    /// Smoothed qualified per day over the final window.
    pub end_qualified_per_day: f64,
    /// Yield per touch over the first window.
    pub start_yield_per_touch: f64,
    /// Yield per touch over the final window.
    pub end_yield_per_touch: f64,
    /// Burned share at the end.
    pub final_burned_share: f64,
    /// Fresh accounts left at the end.
    pub final_fresh_remaining: u64,
    /// People who opted out per touch over the whole run.
    #[serde(default)]
    pub optout_rate: f64,
    /// People who opted out per touch over the final window.
    #[serde(default)]
    pub end_optout_rate: f64,
    /// Simulated working days before day 0 (not in these figures).
    #[serde(default)]
    pub warmup_days: u32,
    /// Whether the event log (and so an emitted workspace) includes the warm-up days.
    #[serde(default)]
    pub warmup_recorded: bool,
    /// Qualified meetings made during the warm-up (not in `qualified`).
    #[serde(default)]
    pub warmup_qualified: u64,
    /// Working days the figures count (day 0 to the last).
    #[serde(default)]
    pub working_days: u32,
    /// `qualified` per working day (`yieldline_core::report::measures::production_per_day`,
    /// the report's definition).
    #[serde(default)]
    pub qualified_per_day: Option<f64>,
    /// What `final_burned_share` counts: `"accounts"` (burned accounts / all accounts).
    #[serde(default)]
    pub burned_share_of: String,
}

impl Summary {
    /// Qualified meetings an emitted workspace's report counts over its whole log:
    /// `qualified`, plus the warm-up's when the log records it.
    pub fn qualified_in_log(&self) -> u64 {
        self.qualified
            + if self.warmup_recorded {
                self.warmup_qualified
            } else {
                0
            }
    }
}

/// A contact of the simulated territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerritoryContact {
    /// Contact number (`c<n>` in files).
    pub contact: u32,
    /// Account number (`a<n>` in files).
    pub account: u32,
    /// Fit tier, 1 (best) to 3.
    pub tier: u8,
}

/// Kind of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The unit entered the station.
    Entered,
    /// One outreach action.
    Touch,
    /// The unit passed the station.
    Passed,
    /// The unit failed (with a reason).
    Failed,
    /// "Not now": the unit leaves with a resume date.
    Recycled,
    /// The contact opted out.
    Optout,
}

impl EventKind {
    /// The event-log spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Entered => "entered",
            EventKind::Touch => "touch",
            EventKind::Passed => "passed",
            EventKind::Failed => "failed",
            EventKind::Recycled => "recycled",
            EventKind::Optout => "optout",
        }
    }
}

/// Reason of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    /// Sequence ended without reply, booking not confirmed, or meeting no-show.
    NoResponse,
    /// Meeting did not qualify, or the account was burned while the unit was in WIP.
    Disqualified,
    /// Hard bounce.
    Bounced,
    /// Refusal or hostile reply.
    Negative,
    /// Research or a reply showed it is not the right person.
    WrongPerson,
    /// The contact opted out.
    Optout,
}

impl FailReason {
    /// The event-log spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailReason::NoResponse => "no_response",
            FailReason::Disqualified => "disqualified",
            FailReason::Bounced => "bounced",
            FailReason::Negative => "negative",
            FailReason::WrongPerson => "wrong_person",
            FailReason::Optout => "optout",
        }
    }
}

/// Channel of a touch (shares per operator: `policy.human_channels`,
/// `policy.automation_channels`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail.
    Email,
    /// Phone call.
    Phone,
    /// Social network message.
    Social,
}

impl Channel {
    /// The event-log spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Phone => "phone",
            Channel::Social => "social",
        }
    }
}

/// One event of the simulated log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimEvent {
    /// Working day counted from the first warm-up day (= reported day + warm-up days).
    pub day: u32,
    /// Seconds after local midnight (the line's time zone); a contact's events of one
    /// day have strictly increasing times.
    pub second: u32,
    /// Contact (the unit).
    pub contact: u32,
    /// Account of the contact.
    pub account: u32,
    /// A colleague this outcome named, who is then researched (a referral).
    pub referral: Option<u32>,
    /// Working day the unit resumes (for `recycled`).
    pub resume_day: Option<u32>,
    /// Station index in line order (the template's stations).
    pub station: u8,
    /// What happened.
    pub kind: EventKind,
    /// Why it failed (for `failed`).
    pub reason: Option<FailReason>,
    /// Channel (for `touch`).
    pub channel: Option<Channel>,
    /// Whether automation did it.
    pub automated: bool,
    /// The experiment arm (index into the scenario's arms) of a visit at the touch
    /// station that is in the experiment.
    pub arm: Option<u8>,
}

impl Scenario {
    /// Effort of an event in minutes, as the emitted log records it: none for
    /// `entered`; a touch costs its operator's touch cost; other events at the touch
    /// station cost nothing (the touches carry it); elsewhere the station's cost.
    pub fn event_cost(&self, e: &SimEvent) -> Option<f64> {
        let st = usize::from(e.station);
        let cost = |s: usize| {
            let p = &self.stations[s];
            if e.automated {
                p.automation_cost_minutes
            } else {
                p.human_cost_minutes
            }
        };
        match e.kind {
            EventKind::Entered => None,
            EventKind::Optout => Some(0.0),
            EventKind::Touch => Some(cost(crate::template::TOUCH)),
            _ if st == crate::template::TOUCH => Some(0.0),
            _ => Some(cost(st)),
        }
    }
}

impl SimOutput {
    /// Writes the output as pretty JSON: `{ "scenario", "summary", "days" }`.
    pub fn write_json(&self, mut w: impl Write) -> Result<(), SimError> {
        serde_json::to_writer_pretty(&mut w, self)?;
        writeln!(w)?;
        Ok(())
    }
}

/// Writes the days as CSV: one row per day, per-station passes as
/// `passed_<station>` columns.
pub fn write_days_csv(out: &SimOutput, w: impl Write) -> Result<(), SimError> {
    let mut w = csv::Writer::from_writer(w);
    let mut header: Vec<String> = [
        "day",
        "date",
        "automation_multiplier",
        "touches",
        "automated_touches",
        "qualified",
        "yield_per_touch",
        "burned_share",
        "fresh_remaining",
        "burned_accounts",
        "optouts",
        "hostile_replies",
        "bounces",
        "cost_minutes",
        "brake_halvings",
        "scaleup_frozen",
    ]
    .map(String::from)
    .to_vec();
    header.extend(station_ids().iter().map(|id| format!("passed_{id}")));
    w.write_record(&header)?;
    for d in &out.days {
        let mut row = vec![
            d.day.to_string(),
            d.date.clone(),
            format!("{:.4}", d.automation_multiplier),
            d.touches.to_string(),
            d.automated_touches.to_string(),
            d.qualified.to_string(),
            format!("{:.6}", d.yield_per_touch),
            format!("{:.6}", d.burned_share),
            d.fresh_remaining.to_string(),
            d.burned_accounts.to_string(),
            d.optouts.to_string(),
            d.hostile_replies.to_string(),
            d.bounces.to_string(),
            format!("{:.1}", d.cost_minutes),
            d.brake_halvings.to_string(),
            u8::from(d.scaleup_frozen).to_string(),
        ];
        row.extend(d.stations.iter().map(|s| s.passed.to_string()));
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

/// Centred moving average of `xs` with window `win` (shrinking at the edges).
pub fn moving_average(xs: &[f64], win: usize) -> Vec<f64> {
    let half = win / 2;
    (0..xs.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(xs.len());
            xs[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect()
}

/// The run's shape from the days after the warm-up, with what the warm-up made.
pub(crate) fn summarize_run(
    days: &[DayRecord],
    warmup_days: u32,
    warmup_recorded: bool,
    warmup_qualified: u64,
) -> Summary {
    let mut s = summarize(days);
    s.warmup_days = warmup_days;
    s.warmup_recorded = warmup_recorded;
    s.warmup_qualified = warmup_qualified;
    s.working_days = days.len() as u32;
    s.qualified_per_day =
        yieldline_core::report::measures::production_per_day(s.qualified, s.working_days);
    s.burned_share_of = "accounts".into();
    s
}

pub(crate) fn summarize(days: &[DayRecord]) -> Summary {
    let n = days.len();
    if n == 0 {
        return Summary::default();
    }
    let win = (n / 10).clamp(1, 20);
    let q: Vec<f64> = days.iter().map(|d| d.qualified as f64).collect();
    let ma = moving_average(&q, win);
    let (peak_day, peak) =
        ma.iter().enumerate().fold(
            (0, f64::MIN),
            |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
        );
    let window_yield = |range: &[DayRecord]| {
        let t: u64 = range.iter().map(|d| d.touches).sum();
        let p: u64 = range
            .iter()
            .map(|d| d.stations.get(1).map_or(0, |s| s.passed))
            .sum();
        if t == 0 { 0.0 } else { p as f64 / t as f64 }
    };
    let optout_rate = |range: &[DayRecord]| {
        let t: u64 = range.iter().map(|d| d.touches).sum();
        let o: u64 = range.iter().map(|d| d.optouts).sum();
        if t == 0 { 0.0 } else { o as f64 / t as f64 }
    };
    let tail = &days[n - win..];
    let last = &days[n - 1];
    Summary {
        touches: days.iter().map(|d| d.touches).sum(),
        qualified: days.iter().map(|d| d.qualified).sum(),
        smoothing_days: win as u32,
        peak_day: peak_day as u32,
        peak_qualified_per_day: peak,
        end_qualified_per_day: tail.iter().map(|d| d.qualified as f64).sum::<f64>() / win as f64,
        start_yield_per_touch: window_yield(&days[..win]),
        end_yield_per_touch: window_yield(tail),
        final_burned_share: last.burned_share,
        final_fresh_remaining: last.fresh_remaining,
        optout_rate: optout_rate(days),
        end_optout_rate: optout_rate(tail),
        ..Summary::default()
    }
}
