//! The whole run from its shards: day records, and when recorded, the territory and
//! the time-ordered event log with global contact and account numbers.

use rayon::prelude::*;

use super::model::Model;
use super::shard::{Counters, FAI, PAS, REC, Shard};
use crate::output::{DayRecord, SimOutput, StationDay, TerritoryContact, summarize_run};
use crate::template::{QUALIFIED, TOUCH, station_id};
use crate::{Scenario, SimError};

pub(super) fn assemble(
    scenario: &Scenario,
    m: &Model,
    mut shards: Vec<Shard>,
    brake: &[(f64, u32, bool)],
) -> Result<SimOutput, SimError> {
    let n_acc = f64::from(scenario.scenario.accounts.max(1));
    let mut days = Vec::with_capacity(m.days as usize);
    let mut burned = 0u64;
    let mut started = 0u64;
    let mut warmup_qualified = 0u64;
    for (d, &(multiplier, halvings, frozen)) in brake.iter().enumerate() {
        let c = day_total(&shards, d);
        burned += u64::from(c.burned);
        started += u64::from(c.started);
        if d < m.warmup as usize {
            warmup_qualified += u64::from(c.st[QUALIFIED][PAS]);
            continue;
        }
        let stations =
            c.st.iter()
                .enumerate()
                .map(|(i, v)| {
                    let disp = v[PAS] + v[FAI] + v[REC];
                    StationDay {
                        station: station_id(i).to_string(),
                        entered: u64::from(v[super::shard::ENT]),
                        passed: u64::from(v[PAS]),
                        failed: u64::from(v[FAI]),
                        recycled: u64::from(v[REC]),
                        yield_: (disp > 0).then(|| f64::from(v[PAS]) / f64::from(disp)),
                    }
                })
                .collect();
        let touches = u64::from(c.touches);
        days.push(DayRecord {
            day: d as u32 - m.warmup,
            date: m.cal.date(d as u32).to_string(),
            automation_multiplier: multiplier,
            brake_halvings: halvings,
            scaleup_frozen: frozen,
            touches,
            automated_touches: u64::from(c.auto_touches),
            qualified: u64::from(c.st[QUALIFIED][PAS]),
            yield_per_touch: if touches == 0 {
                0.0
            } else {
                f64::from(c.st[TOUCH][PAS]) / touches as f64
            },
            burned_share: burned as f64 / n_acc,
            fresh_remaining: u64::from(scenario.scenario.accounts).saturating_sub(started),
            burned_accounts: burned,
            optouts: u64::from(c.optouts),
            hostile_replies: u64::from(c.hostile),
            bounces: u64::from(c.bounces),
            cost_minutes: c.cost,
            stations,
        });
    }
    let mut territory = Vec::new();
    let mut events = Vec::new();
    if shards.iter().any(|s| s.record) {
        territory.reserve(shards.iter().map(Shard::contacts).sum());
        events.reserve(shards.iter().map(|s| s.events.len()).sum());
        for s in &mut shards {
            for (ci, &a) in s.c_acc.iter().enumerate() {
                territory.push(TerritoryContact {
                    contact: s.contact_base + ci as u32,
                    account: s.acc_base + a,
                    tier: s.a_tier[a as usize] + 1,
                });
            }
            let (cb, ab) = (s.contact_base, s.acc_base);
            events.extend(std::mem::take(&mut s.events).into_iter().map(|mut e| {
                e.contact += cb;
                e.account += ab;
                e.referral = e.referral.map(|r| r + cb);
                e
            }));
        }
        // A contact's events of one day have strictly increasing times, so (day,
        // second, contact) orders the log totally, whatever the sort.
        events.par_sort_unstable_by_key(|e| (e.day, e.second, e.contact));
    }
    let mut echoed = scenario.clone();
    echoed.scenario.shards = m.n_shards as u32;
    let experiment = match &scenario.experiment {
        Some(x) => Some(crate::workspace::experiment_definition(scenario, x)?),
        None => None,
    };
    Ok(SimOutput {
        summary: summarize_run(&days, m.warmup, m.record_from == 0, warmup_qualified),
        scenario: echoed,
        days,
        territory,
        events,
        experiment,
    })
}

/// The counts of day `d`, summed over the shards.
fn day_total(shards: &[Shard], d: usize) -> Counters {
    let mut c = Counters::default();
    for s in shards {
        let x = &s.stats[d];
        for (cs, xs) in c.st.iter_mut().zip(x.st.iter()) {
            for (a, b) in cs.iter_mut().zip(xs.iter()) {
                *a += b;
            }
        }
        c.touches += x.touches;
        c.auto_touches += x.auto_touches;
        c.optouts += x.optouts;
        c.hostile += x.hostile;
        c.bounces += x.bounces;
        c.burned += x.burned;
        c.started += x.started;
        c.cost += x.cost;
    }
    c
}
