//! `--emit-workspace`: the simulated line as Yieldline workspace files — `line.toml`,
//! the territory CSV and the event log CSV — so the rest of Yieldline can measure,
//! chart and watch a simulated line like a real one.

use std::io::Write;

use crate::output::EventKind;
use crate::{STATION_IDS, SimError, SimOutput};

/// Writes the workspace files of a run recorded with `record_events`:
///
/// - `line_toml`: the six stations (operator `human`, `automation` or `hybrid` from
///   the scenario's capacities; `capacity_per_day` = human + automation at the ramp's
///   peak) and `[guardrails]` — the scenario's, or Yieldline's defaults when the policy
///   ran without guardrails, so that `watch` flags the violations;
/// - `territory_csv`: `contact_id,account_id,fit_tier` (`c<n>`, `a<n>`, 1–3);
/// - `events_csv`: Yieldline's event CSV, one unit per contact, times in UTC with
///   stations laid out hour by hour (research 08:00 … qualified 13:00), `entered` at
///   :00, `touch` at :10, `optout` at :15 and dispositions at :20.
pub fn write_workspace_files(
    out: &SimOutput,
    mut line_toml: impl Write,
    mut territory_csv: impl Write,
    mut events_csv: impl Write,
) -> Result<(), SimError> {
    if out.territory.is_empty() && out.scenario.scenario.accounts > 0 {
        return Err(SimError::EventsNotRecorded);
    }
    let sc = &out.scenario;
    let cal = sc.calendar().ok_or_else(|| SimError::InvalidOption {
        name: "scenario.start",
        message: "not a date".into(),
    })?;

    // line.toml
    // The ramp's peak over the reported days (the capacity the line has, whether or
    // not the opt-out brake held some of it back).
    let peak = out
        .days
        .iter()
        .map(|d| sc.policy.multiplier(d.day))
        .fold(sc.policy.multiplier(0), f64::max);
    writeln!(line_toml, "[line]")?;
    writeln!(line_toml, "name = {}", toml_str(&sc.scenario.name))?;
    writeln!(line_toml, "unit = \"contact\"")?;
    writeln!(line_toml, "timezone = \"UTC\"")?;
    writeln!(
        line_toml,
        "working_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]"
    )?;
    writeln!(line_toml, "target_per_day = {}", sc.scenario.target_per_day)?;
    for (id, st) in STATION_IDS.iter().zip(sc.stations.as_array()) {
        let auto = (f64::from(st.automation_capacity) * peak).round() as u64;
        let human = u64::from(st.human_capacity);
        let operator = match (human > 0, auto > 0) {
            (true, true) => "hybrid",
            (false, true) => "automation",
            _ => "human",
        };
        let cost = if human > 0 {
            st.human_cost_minutes
        } else {
            st.automation_cost_minutes
        };
        writeln!(line_toml, "\n[[station]]")?;
        writeln!(line_toml, "id = \"{id}\"")?;
        writeln!(line_toml, "operator = \"{operator}\"")?;
        writeln!(line_toml, "capacity_per_day = {}", human + auto)?;
        writeln!(line_toml, "cost_minutes = {cost}")?;
    }
    let g = sc.policy.guardrails.clone().unwrap_or_default();
    writeln!(line_toml, "\n[guardrails]")?;
    writeln!(
        line_toml,
        "max_touches_per_contact_30d = {}",
        g.max_touches_per_contact_30d
    )?;
    writeln!(
        line_toml,
        "max_active_contacts_per_account = {}",
        g.max_active_contacts_per_account
    )?;
    writeln!(
        line_toml,
        "cooldown_days_after_fail = {}",
        g.cooldown_days_after_fail
    )?;
    writeln!(line_toml, "max_optout_rate = {}", g.max_optout_rate)?;

    // territory.csv
    writeln!(territory_csv, "contact_id,account_id,fit_tier")?;
    for t in &out.territory {
        writeln!(territory_csv, "c{},a{},{}", t.contact, t.account, t.tier)?;
    }

    // events.csv
    writeln!(
        events_csv,
        "event_id,ts,unit_id,account_id,station,kind,reason,resume_on,referral_unit_id,channel,operator_id,operator_kind,arm,cost_minutes"
    )?;
    let mut date_cache = (u32::MAX, String::new());
    for (i, e) in out.events.iter().enumerate() {
        if date_cache.0 != e.day {
            date_cache = (e.day, cal.date(e.day).to_string());
        }
        let station = STATION_IDS
            .get(usize::from(e.station))
            .copied()
            .unwrap_or("research");
        let reason = e.reason.map_or("", |r| r.as_str());
        let resume = e
            .resume_day
            .map(|d| cal.date(d).to_string())
            .unwrap_or_default();
        let channel = e.channel.map_or("", |c| c.as_str());
        let (op_id, op_kind) = if e.automated {
            ("auto-sequencer", "automation")
        } else {
            ("sdr-team", "human")
        };
        let cost = if e.kind == EventKind::Entered {
            String::new()
        } else {
            format!("{}", e.cost_minutes)
        };
        writeln!(
            events_csv,
            "e{:09},{}T{:02}:{:02}:00Z,c{},a{},{},{},{},{},,{},{},{},,{}",
            i + 1,
            date_cache.1,
            e.minute / 60,
            e.minute % 60,
            e.contact,
            e.account,
            station,
            e.kind.as_str(),
            reason,
            resume,
            channel,
            op_id,
            op_kind,
            cost
        )?;
    }
    Ok(())
}

fn toml_str(s: &str) -> String {
    let mut o = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if c.is_control() => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}
