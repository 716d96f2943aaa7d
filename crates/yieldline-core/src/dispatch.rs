//! Dispatch: the day's work orders, per station, within capacity and guardrails.
//!
//! For a date `D` (state as of the start of `D` in the line's zone):
//! - **queues**: units with an open visit at a station, ordered by fit tier (1 first,
//!   unknown last), then by age in the queue (oldest entry first), then by unit key;
//! - **recycled units due**: units whose latest disposition is `recycled` with
//!   `resume_on ≤ D` and no entry since; they re-enter the station they left;
//! - **fresh intake** at the first station: territory units that never entered, best fit
//!   first, sized by the plan (`fresh_per_day`) and **paced** so that the expected
//!   arrivals at every downstream human station stay within what it can absorb:
//!   `fresh ≤ min_k (capacity_k − backlog_k / 5) / Π_{j<k} yield_j` over human (and
//!   hybrid) stations `k > 0`, where `backlog_k` is the station's open queue (worked off
//!   over five days);
//! - **buyer-harm brake**: when the watch's buyer-harm or burn signal is in alarm, the
//!   fresh intake and the orders at automation-operated stations are cut to half of what
//!   they would be (rounded down), and the affected orders say so;
//! - **never**: a suppressed unit (by [`DispatchInput::suppression`], in any spelling of
//!   its id or its contacts' addresses; on an account line, an account whose domain or
//!   every known contact is suppressed), a burned unit (opt-out, bounce, hostile reply), a
//!   contact at or over its touch cap in the last 30 days, a unit inside its cooldown
//!   after a failure, an account that would go over its active-contact cap, or a unit in an
//!   experiment's holdout arm at that station; and never more orders at a station than
//!   its capacity.
//!
//! The result is a pure function of its inputs: re-running dispatch for the same date and
//! store gives the same orders.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::calendar::{day_start, epoch_day};
use crate::event::EventKind;
use crate::experiment::ExperimentDef;
use crate::identity::id_match_key;
use crate::line::{Line, Operator, UnitKind};
use crate::report::FactLog;
use crate::suppression::{KnownContact, SuppressionList};
use crate::visits::{Pairing, unit_histories};

/// What dispatch knows of a unit besides its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitInfo {
    /// The unit's key (contact id, or account id for account lines).
    pub key: String,
    /// The unit's account.
    pub account: String,
    /// Fit tier (1 best), if known.
    pub fit_tier: Option<u8>,
    /// Whether the unit is in the territory (only territory units are fresh intake).
    pub in_territory: bool,
    /// Whether the caller already knows the unit must never be touched. Dispatch also
    /// checks [`DispatchInput::suppression`] itself.
    pub suppressed: bool,
    /// The people the unit stands for, as known from the territory: on a contact line
    /// the contact itself (its id and e-mail), on an account line every known contact of
    /// the account. Matched against the suppression list in any spelling.
    pub contacts: Vec<KnownContact>,
    /// The account's own domains, when known (e.g. from its website), on account lines;
    /// its contacts' e-mail domains count without being listed here.
    pub domains: Vec<String>,
}

/// An experiment running at a station on the dispatch date.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningExperiment {
    /// Index of the experiment's station in the line.
    pub station: usize,
    /// The experiment: its arms, assignment and holdout.
    pub def: ExperimentDef,
}

/// Inputs of dispatch besides the log.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchInput {
    /// The day to dispatch.
    pub date: Date,
    /// Fresh units per day the plan asks for.
    pub fresh_per_day: f64,
    /// Measured yield of each station (None when unknown), for pacing.
    pub yields: Vec<Option<f64>>,
    /// Whether the buyer-harm brake is on (watch alarm), and why.
    pub brake: Option<String>,
    /// Experiments running on the date.
    pub experiments: Vec<RunningExperiment>,
    /// The do-not-contact list (with the line's `+tag` rule): a unit it blocks is never
    /// in an order ([`SuppressionList::blocks`] for contacts,
    /// [`SuppressionList::blocks_account`] for accounts), and neither is a unit whose
    /// id matches a blocked unit's case-insensitively.
    pub suppression: SuppressionList,
}

/// One work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// The day.
    pub date: Date,
    /// Station id.
    pub station: String,
    /// The unit to work.
    pub unit_id: String,
    /// Its account.
    pub account_id: String,
    /// Who works it: the station's operator.
    pub operator_kind: String,
    /// Experiment arm, where an experiment runs at the station.
    pub arm: Option<String>,
    /// Why this unit was chosen.
    pub reason: String,
}

/// A day's work orders and the notes that explain their sizes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dispatch {
    /// The day.
    pub date: Date,
    /// Orders in station order, then queue order.
    pub orders: Vec<Order>,
    /// Fresh intake after pacing and the brake.
    pub fresh_intake: u64,
    /// How pacing, the brake and the guardrails shaped the orders.
    pub notes: Vec<String>,
    /// Units left out, by reason.
    pub excluded: HashMap<String, u64>,
}

/// Why dispatch cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// The unit directory does not cover the log.
    #[error("unit {0} of the log is not in the unit directory")]
    UnknownUnit(u32),
}

#[derive(Debug, Clone, Default)]
struct UnitState {
    /// Status facts (burned, open visits, the pending recycle): see [`crate::status`].
    status: crate::status::UnitState,
    touches_30d: u32,
    last_fail: Option<i64>,
}

const DAY_US: i64 = 86_400_000_000;

/// The arm of a unit in an experiment on `date` (see [`crate::experiment::assign_arm`]).
fn arm_of(exp: &RunningExperiment, unit: &UnitInfo, date: Date) -> Option<String> {
    exp.def
        .arm_of(&unit.key, Some(&unit.account), date)
        .map(|a| a.name.clone())
}

/// Builds the day's work orders.
pub fn dispatch(
    line: &Line,
    log: &FactLog,
    units: &[UnitInfo],
    input: &DispatchInput,
) -> Result<Dispatch, DispatchError> {
    let now = day_start(line, input.date).as_microsecond();
    let day = epoch_day(input.date);
    let window = now - 30 * DAY_US;
    let cooldown = i64::from(line.guardrails.cooldown_days_after_fail).saturating_mul(DAY_US);
    let suppressed = suppressed_units(line, units, &input.suppression);
    let mut state = vec![UnitState::default(); units.len()];

    for unit_facts in log.facts().chunk_by(|a, b| a.unit == b.unit) {
        let u = unit_facts[0].unit as usize;
        let st = state
            .get_mut(u)
            .ok_or(DispatchError::UnknownUnit(unit_facts[0].unit))?;
        let mut pairing = Pairing::default();
        for group in unit_histories(unit_facts) {
            pairing.clear();
            for f in group.iter().filter(|f| f.ts < now) {
                st.status.observe(f);
                pairing.step(f);
                match f.kind {
                    EventKind::Touch if f.ts >= window => st.touches_30d += 1,
                    EventKind::Failed => {
                        st.last_fail = Some(st.last_fail.map_or(f.ts, |l| l.max(f.ts)));
                    }
                    _ => {}
                }
            }
            st.status.close_history(group[0].station, &pairing);
        }
    }

    let mut excluded: HashMap<String, u64> = HashMap::new();
    let mut exclude = |why: &str| *excluded.entry(why.to_owned()).or_default() += 1;
    let touch_cap = line.guardrails.max_touches_per_contact_30d;
    let account_cap = line.guardrails.max_active_contacts_per_account as usize;
    // Active contacts per account: units with an open visit anywhere.
    let mut active: HashMap<&str, usize> = HashMap::new();
    for (u, st) in state.iter().enumerate() {
        if !st.status.open.is_empty() {
            *active.entry(units[u].account.as_str()).or_default() += 1;
        }
    }
    // Why a unit may not be worked today at all (None: it may).
    let blocked = |u: usize| -> Option<&'static str> {
        let st = &state[u];
        if suppressed[u] {
            Some("suppressed")
        } else if st.status.burned() {
            Some("burned")
        } else if st.touches_30d >= touch_cap {
            Some("at touch cap")
        } else if st.last_fail.is_some_and(|t| now - t < cooldown) {
            Some("cooling down")
        } else {
            None
        }
    };

    let n = line.stations.len();
    // Candidates per station: (unit, fit, age ts, reason).
    let mut queues: Vec<Vec<(usize, u8, i64, String)>> = vec![Vec::new(); n];
    for (u, st) in state.iter().enumerate() {
        if let Some(why) = blocked(u) {
            if !st.status.open.is_empty()
                || st
                    .status
                    .last_disposition
                    .is_some_and(|d| d.kind == EventKind::Recycled && d.resume_on <= day)
            {
                exclude(why);
            }
            continue;
        }
        let fit = units[u].fit_tier.unwrap_or(u8::MAX);
        for &(s, ts) in &st.status.open {
            queues[s].push((u, fit, ts, format!("in queue since {}", date_of(line, ts))));
        }
        if st.status.open.is_empty()
            && let Some(d) = st.status.pending_recycle()
            && !st.status.resting(day)
        {
            queues[d.station].push((
                u,
                fit,
                d.ts,
                format!(
                    "recycled, due {}",
                    crate::calendar::from_epoch_day(d.resume_on)
                ),
            ));
        }
    }

    let mut notes = Vec::new();
    let mut orders = Vec::new();
    let mut in_orders = vec![false; units.len()];
    // Distinct units of each account in today's orders.
    let mut ordered_per_account: HashMap<&str, usize> = HashMap::new();
    for (s, station) in line.stations.iter().enumerate() {
        let mut q = std::mem::take(&mut queues[s]);
        q.sort_by(|a, b| (a.1, a.2, &units[a.0].key).cmp(&(b.1, b.2, &units[b.0].key)));
        let mut cap = station.capacity_per_day.floor().max(0.0) as usize;
        let automated = station.operator == Operator::Automation;
        if automated && let Some(why) = &input.brake {
            cap /= 2;
            notes.push(format!(
                "{}: orders cut to half of capacity ({cap}) by the buyer-harm brake: {why}",
                station.id
            ));
        }
        let exp = input.experiments.iter().find(|e| e.station == s);
        let mut placed = 0;
        for (u, _, _, reason) in q {
            if placed >= cap {
                exclude("over station capacity (waits for tomorrow)");
                continue;
            }
            let account = units[u].account.as_str();
            if !in_orders[u]
                && ordered_per_account.get(account).copied().unwrap_or(0) >= account_cap
            {
                exclude("account at active-contact cap");
                continue;
            }
            let is_reentry = reason.starts_with("recycled");
            if is_reentry {
                let a = active.entry(units[u].account.as_str()).or_default();
                if *a >= account_cap {
                    exclude("account at active-contact cap");
                    continue;
                }
                *a += 1;
            }
            let arm = exp.and_then(|e| arm_of(e, &units[u], input.date));
            if let (Some(e), Some(a)) = (exp, &arm)
                && e.def.holdout.as_ref() == Some(a)
            {
                exclude("experiment holdout (no touch)");
                continue;
            }
            if !in_orders[u] {
                *ordered_per_account.entry(account).or_default() += 1;
            }
            in_orders[u] = true;
            placed += 1;
            orders.push(Order {
                date: input.date,
                station: station.id.clone(),
                unit_id: units[u].key.clone(),
                account_id: units[u].account.clone(),
                operator_kind: operator_name(station.operator).to_owned(),
                arm,
                reason,
            });
        }
    }

    // Fresh intake at the first station, paced by downstream human capacity.
    let mut fresh_target = input.fresh_per_day.max(0.0);
    let mut pace_note = None;
    let mut reach = 1.0;
    for (k, station) in line.stations.iter().enumerate() {
        if k > 0 {
            match input.yields.get(k - 1).copied().flatten() {
                Some(y) => reach *= y,
                None => break,
            }
            if station.operator != Operator::Automation && reach > 0.0 {
                let backlog = state
                    .iter()
                    .filter(|st| st.status.open.iter().any(|&(s, _)| s == k))
                    .count() as f64;
                let room = (station.capacity_per_day - backlog / 5.0).max(0.0);
                let limit = room / reach;
                if limit < fresh_target {
                    fresh_target = limit;
                    pace_note = Some(format!(
                        "fresh intake paced to {:.0} so that {} (capacity {:.0}, backlog {:.0}) is not flooded",
                        limit.floor(),
                        station.id,
                        station.capacity_per_day,
                        backlog
                    ));
                }
            }
        }
    }
    if let Some(note) = pace_note {
        notes.push(note);
    }
    let mut fresh = fresh_target.floor() as usize;
    if let Some(first) = line.stations.first() {
        if first.operator == Operator::Automation
            && let Some(why) = &input.brake
        {
            fresh /= 2;
            notes.push(format!(
                "fresh intake halved by the buyer-harm brake: {why}"
            ));
        }
        let used = orders.iter().filter(|o| o.station == first.id).count();
        let room = (first.capacity_per_day.floor().max(0.0) as usize).saturating_sub(used);
        if fresh > room {
            notes.push(format!(
                "fresh intake capped at {room} by {}'s remaining capacity",
                first.id
            ));
            fresh = room;
        }
        let mut candidates: Vec<usize> = (0..units.len())
            .filter(|&u| units[u].in_territory && !state[u].status.entered() && !in_orders[u])
            .collect();
        candidates.sort_by_key(|&u| {
            (
                units[u].fit_tier.unwrap_or(u8::MAX),
                &units[u].account,
                &units[u].key,
            )
        });
        let exp = input.experiments.iter().find(|e| e.station == 0);
        let mut taken = 0;
        for u in candidates {
            if taken >= fresh {
                break;
            }
            if let Some(why) = blocked(u) {
                exclude(why);
                continue;
            }
            let account = units[u].account.as_str();
            let a = active.get(account).copied().unwrap_or(0);
            if a >= account_cap
                || ordered_per_account.get(account).copied().unwrap_or(0) >= account_cap
            {
                exclude("account at active-contact cap");
                continue;
            }
            let arm = exp.and_then(|e| arm_of(e, &units[u], input.date));
            if let (Some(e), Some(arm)) = (exp, &arm)
                && e.def.holdout.as_ref() == Some(arm)
            {
                exclude("experiment holdout (no touch)");
                continue;
            }
            *active.entry(account).or_default() += 1;
            *ordered_per_account.entry(account).or_default() += 1;
            taken += 1;
            orders.push(Order {
                date: input.date,
                station: first.id.clone(),
                unit_id: units[u].key.clone(),
                account_id: units[u].account.clone(),
                operator_kind: operator_name(first.operator).to_owned(),
                arm,
                reason: format!(
                    "fresh, fit tier {}",
                    units[u]
                        .fit_tier
                        .map_or("unknown".into(), |t| t.to_string())
                ),
            });
        }
    }
    let fresh_intake = orders
        .iter()
        .filter(|o| o.reason.starts_with("fresh"))
        .count() as u64;
    Ok(Dispatch {
        date: input.date,
        orders,
        fresh_intake,
        notes,
        excluded,
    })
}

/// Which units must never be touched: the caller's verdict, the suppression list's
/// ([`SuppressionList::blocks`] on a contact line, [`SuppressionList::blocks_account`]
/// on an account line), and — since suppression matches ids case-insensitively — every
/// unit whose id matches a blocked unit's or a blocked contact's (`C1` in the events,
/// `c1` in the territory).
fn suppressed_units(line: &Line, units: &[UnitInfo], list: &SuppressionList) -> Vec<bool> {
    if list.is_empty() && !units.iter().any(|u| u.suppressed) {
        return vec![false; units.len()];
    }
    let mut blocked: Vec<bool> = units
        .iter()
        .map(|u| {
            u.suppressed
                || match line.unit {
                    UnitKind::Contact => {
                        list.blocks(&u.key, None)
                            || u.contacts
                                .iter()
                                .any(|c| list.blocks(&c.id, c.email.as_deref()))
                    }
                    UnitKind::Account => list.blocks_account(&u.key, &u.contacts, &u.domains),
                }
        })
        .collect();
    let mut keys: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (u, _) in units.iter().zip(&blocked).filter(|(_, b)| **b) {
        keys.insert(id_match_key(&u.key));
        if line.unit == UnitKind::Contact {
            keys.extend(u.contacts.iter().map(|c| id_match_key(&c.id)));
        }
    }
    if !keys.is_empty() {
        for (u, b) in units.iter().zip(blocked.iter_mut()) {
            if !*b && keys.contains(&id_match_key(&u.key)) {
                *b = true;
            }
        }
    }
    blocked
}

fn operator_name(o: Operator) -> &'static str {
    match o {
        Operator::Human => "human",
        Operator::Automation => "automation",
        Operator::Hybrid => "hybrid",
    }
}

fn date_of(line: &Line, ts: i64) -> Date {
    crate::calendar::local_date(
        line,
        jiff::Timestamp::from_microsecond(ts).unwrap_or_default(),
    )
}

#[cfg(test)]
mod suppression_tests;
#[cfg(test)]
mod tests;
