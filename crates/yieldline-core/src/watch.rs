//! The toxic-automation watch (DESIGN §8): seven signals, each with a status, the figures
//! behind it and one plain sentence, and a health verdict with the action it suggests.
//!
//! Health: **red** only when harm is in progress — a [`HARM_SIGNALS`] signal (buyer harm,
//! territory burn, saturation, automation that no longer adds output) in alarm; **amber**
//! when any signal warns or alarms (running out of the best-fit tier alone is amber, with
//! the action "widen or enrich the territory"); green otherwise. With no territory
//! imported the burn signal says "territory unknown" and never alarms. A suggested
//! experiment is replaced by "let it reach its verdict" when one already runs there.
//!
//! Windows: *recent* is the 28 days ending with `as_of`, *prior* the 28 days before.
//!
//! | signal | figures | warn | alarm |
//! |---|---|---|---|
//! | marginal yield of automation | automated touches and final output, recent vs prior; marginal = Δoutput/Δtouches against average = output/touch (prior) — a two-period incremental ratio | automated volume up > 10 % and marginal < 50 % of average | marginal < 20 % of average (the increment adds almost nothing) |
//! | low-hanging fruit depletion | weekly yield of *first visits* at the touch station (the station with the most touches), on a p/Laney chart (baseline: the first half of the weeks) | a downward signal in the last 8 weeks | a downward rule-1 or rule-2 signal in the last 4 weeks |
//! | territory burn | burned share now and 28 days ago; days to exhaustion | share up > 0.5 pt or exhaustion within the horizon (default 90 working days) | share up > 2 pt or exhaustion within a third of the horizon |
//! | saturation | contacts over `max_touches_per_contact_30d`, accounts over `max_active_contacts_per_account` | any | over-cap contacts > 1 % of contacts touched |
//! | quality dilution | booked passes, held and qualified yields, recent vs prior (the stations with roles `booked`, `held`, `qualified` in `line.toml`; on a line without roles, the last three) | booked up > 10 % and a downstream yield down (p < 0.2) | … down with p < 0.05 |
//! | buyer harm | people who opted out (an `optout` event or a `failed`/`optout`, counted once per person) per touch, last 30 days | above half of `max_optout_rate` | above `max_optout_rate` |
//! | yield drift | sustained shifts on each station's daily EWMA chart of its yield (the application layer's drift, passed in [`WatchContext`]) | a downward shift still signalled in the last 28 days | — |

use serde::Serialize;
use serde_json::Value;

use crate::calendar::period_bounds_micros;
use crate::conversion::{Basis, BasisKind};
use crate::event::EventKind;
use crate::line::Line;
use crate::report::{FLAG_AUTOMATED, FLAG_OPTOUT, FactLog, NO_STATION, Report};
use crate::status::UnitState;
use crate::visits::{unit_histories, visits};

/// A signal's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to worry about.
    Ok,
    /// Worth a look.
    Warn,
    /// Act now.
    Alarm,
}

/// One watch signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    /// Signal name.
    pub name: &'static str,
    /// Status.
    pub status: Status,
    /// The figures behind it.
    pub figures: Value,
    /// One plain sentence.
    pub message: String,
}

/// The watch's verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Watch {
    /// The day the watch looks back from.
    pub as_of: jiff::civil::Date,
    /// `green`, `amber` or `red`.
    pub health: &'static str,
    /// What to do.
    pub action: String,
    /// Why dispatch halves automated intake, when it does (`null` when the brake is
    /// off): the one decision dispatch applies.
    pub brake: Option<String>,
    /// The signals.
    pub signals: Vec<Signal>,
    /// Which yields the yield-based signals read (period or cohort), and why.
    pub basis: Basis,
    /// The stations whose outcomes lag differently, in sentences.
    pub lag_notes: Vec<String>,
}

impl Watch {
    /// The signal of that name.
    pub fn signal(&self, name: &str) -> Option<&Signal> {
        self.signals.iter().find(|s| s.name == name)
    }
}

/// Settings of the watch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WatchParams {
    /// Working days of fresh territory below which burn warns.
    pub horizon_days: f64,
}

impl Default for WatchParams {
    fn default() -> Self {
        Self { horizon_days: 90.0 }
    }
}

const DAY_US: i64 = 86_400_000_000;

/// Names of the signals, in output order.
pub const SIGNALS: [&str; 7] = [
    "marginal_yield_of_automation",
    "low_hanging_fruit_depletion",
    "territory_burn",
    "saturation",
    "quality_dilution",
    "buyer_harm",
    "yield_drift",
];

/// The signals whose alarm means harm in progress — to buyers, to the territory, or
/// automation that no longer adds output — and so a red verdict. Any other signal in
/// alarm (the best-fit tier running out, worse meetings, a yield shift) is amber: a
/// problem to act on, not damage being done.
pub const HARM_SIGNALS: [&str; 4] = [
    "buyer_harm",
    "territory_burn",
    "saturation",
    "marginal_yield_of_automation",
];

/// A sustained shift of a station's yield found by its control chart (the application
/// layer's drift analysis): the latest one signalled per station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftShift {
    /// Station id.
    pub station: String,
    /// Chart kind (`p`, `laney`, `ewma`).
    pub chart: String,
    /// First day of the run.
    pub run_start: String,
    /// Day the chart last signalled it.
    pub signalled_on: String,
    /// Pooled yield before the run.
    pub before: f64,
    /// Pooled yield over the run.
    pub after: f64,
}

/// What the watch is told besides the log: evidence computed elsewhere.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchContext {
    /// Sustained yield shifts from the control charts (`None`: not charted).
    pub drift: Option<Vec<DriftShift>>,
    /// Experiments running on the as-of day: (station id, experiment id).
    pub experiments: Vec<(String, String)>,
    /// The yields' basis (`None`: period yields). On the cohort basis at horizon `h`,
    /// first-visit depletion and quality dilution compare *entry* cohorts old enough to
    /// be judged — visits entered at least `h` days before the as-of day, passed within
    /// `h` days of entry over all of them — instead of dispositions recorded in a window.
    pub basis: Option<Basis>,
}

/// Runs the watch as of the end of `as_of`, with `report` measured over a recent window
/// ending on `as_of` (for the territory) and the territory's unit count, without outside
/// evidence (see [`watch_with`]).
pub fn watch(
    line: &Line,
    log: &FactLog,
    report: &Report,
    as_of: jiff::civil::Date,
    params: WatchParams,
) -> Watch {
    watch_with(line, log, report, as_of, params, &WatchContext::default())
}

/// [`watch`], taking the control charts' yield shifts and the running experiments into
/// account.
pub fn watch_with(
    line: &Line,
    log: &FactLog,
    report: &Report,
    as_of: jiff::civil::Date,
    params: WatchParams,
    ctx: &WatchContext,
) -> Watch {
    let (_, end) = period_bounds_micros(line, as_of, as_of);
    let recent_start = end - 28 * DAY_US;
    let prior_start = end - 56 * DAY_US;
    let n = line.stations.len();
    let last = n.saturating_sub(1);

    // One pass over the log for the windowed counts.
    let mut auto_touches = [0u64; 2]; // [prior, recent]
    let mut output = [0u64; 2];
    let mut touches_by_station = vec![0u64; n];
    // [window][passed, dispositions] (replaced by entry-cohort counts on the cohort basis)
    let mut station_counts = vec![[[0u64; 2]; 2]; n];
    let mut touches_30d = 0u64;
    let mut optouts_30d = 0u64;
    let window_30 = end - 30 * DAY_US;
    let mut over_cap_contacts = 0u64;
    let mut touched_contacts = 0u64;
    let mut burned_now = 0u64;
    let mut burned_before = 0u64;
    let cap = line.guardrails.max_touches_per_contact_30d;

    for unit_facts in log.facts().chunk_by(|a, b| a.unit == b.unit) {
        let mut unit_touches = 0u32;
        // An opt-out is often recorded twice (the `optout` event and the `failed`/`optout`
        // disposition): count people, not records.
        let mut opted_out_30d = false;
        let mut us = UnitState::default();
        for group in unit_histories(unit_facts) {
            for f in group.iter().filter(|f| f.ts < end) {
                us.observe(f);
                let w = if f.ts >= recent_start {
                    Some(1)
                } else if f.ts >= prior_start {
                    Some(0)
                } else {
                    None
                };
                match f.kind {
                    EventKind::Touch => {
                        if f.station != NO_STATION {
                            touches_by_station[usize::from(f.station)] += 1;
                        }
                        if let Some(w) = w
                            && f.flags & FLAG_AUTOMATED != 0
                        {
                            auto_touches[w] += 1;
                        }
                        if f.ts >= window_30 {
                            touches_30d += 1;
                            unit_touches += 1;
                        }
                    }
                    EventKind::Entered => {}
                    EventKind::Passed | EventKind::Failed | EventKind::Recycled => {
                        if let (Some(w), true) = (w, f.station != NO_STATION) {
                            let s = usize::from(f.station);
                            station_counts[s][w][1] += 1;
                            if f.kind == EventKind::Passed {
                                station_counts[s][w][0] += 1;
                                if s == last {
                                    output[w] += 1;
                                }
                            }
                        }
                    }
                    EventKind::Optout => {}
                }
                if f.ts >= window_30 && (f.kind == EventKind::Optout || f.flags & FLAG_OPTOUT != 0)
                {
                    opted_out_30d = true;
                }
            }
        }
        if opted_out_30d {
            optouts_30d += 1;
        }
        if unit_touches > 0 {
            touched_contacts += 1;
            if unit_touches > cap {
                over_cap_contacts += 1;
            }
        }
        if let Some(b) = us.burned_at {
            burned_now += 1;
            if b < recent_start {
                burned_before += 1;
            }
        }
    }

    let mut signals = Vec::with_capacity(SIGNALS.len());
    signals.push(marginal(auto_touches, output));
    let basis = ctx
        .basis
        .clone()
        .unwrap_or_else(|| Basis::period("period yields over the watch's windows"));
    let cohort_h = match basis.basis {
        BasisKind::Cohort => basis.horizon_days.map(f64::from),
        BasisKind::Period => None,
    };
    if let Some(h) = cohort_h {
        station_counts = cohort_counts(log, n, end, h);
    }
    signals.push(depletion(line, log, as_of, &touches_by_station, cohort_h));
    // Burned share: the report's (one definition: burned over the units known, of the
    // line's unit); 28 days ago over the same units.
    signals.push(if report.territory.territory_units == 0 {
        territory_unknown(burned_now, params)
    } else {
        let t = &report.territory;
        burn(
            t.burned_share.unwrap_or(0.0),
            crate::report::measures::burned_share(burned_before, t.units).unwrap_or(0.0),
            t.burned,
            t.units_are,
            t.days_of_fresh_territory,
            params,
        )
    });
    signals.push(saturation(
        line,
        over_cap_contacts,
        touched_contacts,
        report,
    ));
    signals.push(dilution(line, &station_counts));
    signals.push(harm(line, optouts_30d, touches_30d));
    signals.push(drift(ctx.drift.as_deref(), as_of));

    let health = health(&signals);
    let brake = brake(&signals);
    Watch {
        as_of,
        health,
        action: action(
            &signals,
            line,
            &touches_by_station,
            brake.is_some(),
            ctx,
            as_of,
        ),
        brake,
        signals,
        basis,
        lag_notes: report
            .stations
            .iter()
            .filter_map(|s| s.lag.note.as_ref().map(|n| format!("{}: {n}", s.id)))
            .collect(),
    }
}

/// Per station, `[prior, recent][passed within h days, visits]` over the visits that
/// entered 56 to 28 days and 28 to 0 days before `end − h` (the cohort basis of
/// quality dilution): every visit counted was followed for `h` days.
fn cohort_counts(log: &FactLog, n: usize, end: i64, h: f64) -> Vec<[[u64; 2]; 2]> {
    let mut counts = vec![[[0u64; 2]; 2]; n];
    let cut = end - (h * DAY_US as f64) as i64;
    for v in visits(log, end) {
        let (Some(e), Some(row)) = (v.entered, counts.get_mut(usize::from(v.station))) else {
            continue;
        };
        let w = if e >= cut - 28 * DAY_US && e < cut {
            1
        } else if e >= cut - 56 * DAY_US && e < cut - 28 * DAY_US {
            0
        } else {
            continue;
        };
        row[w][1] += 1;
        if v.disposal.is_some_and(|d| d.kind == EventKind::Passed)
            && v.days().is_some_and(|d| d <= h)
        {
            row[w][0] += 1;
        }
    }
    counts
}

/// Red when a [`HARM_SIGNALS`] signal is in alarm; amber when any signal warns or alarms;
/// green otherwise.
fn health(signals: &[Signal]) -> &'static str {
    if signals
        .iter()
        .any(|s| s.status == Status::Alarm && HARM_SIGNALS.contains(&s.name))
    {
        "red"
    } else if signals.iter().any(|s| s.status >= Status::Warn) {
        "amber"
    } else {
        "green"
    }
}

/// The signals that put dispatch's brake on (automated intake halved): harm in
/// progress to buyers or to the territory.
pub const BRAKE_SIGNALS: [&str; 2] = ["buyer_harm", "territory_burn"];

/// Dispatch's brake, decided here once: on when a [`BRAKE_SIGNALS`] signal is in alarm,
/// with those signals' sentences as the reason.
fn brake(signals: &[Signal]) -> Option<String> {
    signals
        .iter()
        .filter(|s| s.status == Status::Alarm && BRAKE_SIGNALS.contains(&s.name))
        .map(|s| s.message.clone())
        .reduce(|a, b| format!("{a}; {b}"))
}

fn action(
    signals: &[Signal],
    line: &Line,
    touches_by_station: &[u64],
    braked: bool,
    ctx: &WatchContext,
    as_of: jiff::civil::Date,
) -> String {
    let is = |name: &str, s: Status| signals.iter().any(|x| x.name == name && x.status >= s);
    // The station with the most touches (a validated line has at least one station).
    let touch_station = touches_by_station
        .iter()
        .enumerate()
        .max_by_key(|(_, t)| **t)
        .and_then(|(i, _)| line.stations.get(i))
        .map_or("", |s| s.id.as_str());
    let mut acts = Vec::new();
    if braked {
        acts.push(
            "freeze the scale-up of automated volume (dispatch's brake is on: automated intake is halved)"
                .to_string(),
        );
    } else if is("marginal_yield_of_automation", Status::Alarm) {
        acts.push(
            "freeze the scale-up of automated volume: the latest increment adds no output"
                .to_string(),
        );
    }
    if is("saturation", Status::Warn) {
        acts.push("rest over-touched accounts and enforce the touch cap".into());
    }
    if is("territory_burn", Status::Warn) {
        acts.push("slow the fresh intake or add territory before the fresh targets run out".into());
    }
    if is("low_hanging_fruit_depletion", Status::Warn) {
        acts.push(format!(
            "widen or enrich the territory: the best-fit targets at {touch_station} are used up"
        ));
    }
    if is("marginal_yield_of_automation", Status::Warn) {
        let running: Vec<&str> = ctx
            .experiments
            .iter()
            .filter(|(st, _)| st == touch_station)
            .map(|(_, id)| id.as_str())
            .collect();
        if running.is_empty() {
            acts.push(format!(
                "run an experiment on station {touch_station} (human vs automated) before adding volume"
            ));
        } else {
            acts.push(format!(
                "let the experiment running at {touch_station} ({}) reach its verdict before adding volume (`yieldline experiment analyze {}`)",
                running.join(", "),
                running[0]
            ));
        }
    }
    if is("quality_dilution", Status::Warn) {
        acts.push(
            "review qualification: more meetings are turning into fewer qualified ones".into(),
        );
    }
    if is("yield_drift", Status::Warn) {
        let stations: Vec<String> = recent_down(ctx.drift.as_deref().unwrap_or_default(), as_of)
            .iter()
            .map(|d| format!("{} around {}", d.station, d.run_start))
            .collect();
        acts.push(format!(
            "find what changed at {} (a template, a list, a rep) and undo or test it",
            stations.join(", ")
        ));
    }
    if acts.is_empty() {
        "keep going: no signal of toxic automation".into()
    } else {
        acts.join("; ")
    }
}

mod signals;
pub use signals::DRIFT_RECENT_DAYS;
use signals::{
    burn, depletion, dilution, drift, harm, marginal, recent_down, saturation, territory_unknown,
};

#[cfg(test)]
mod tests;
