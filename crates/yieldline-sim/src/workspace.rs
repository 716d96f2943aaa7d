//! `--emit-workspace` and `yieldline demo`: a recorded run as Yieldline workspace files —
//! `line.toml` (serde/toml), the territory CSV and the event log CSV (the `csv` crate) —
//! so the rest of Yieldline can measure, chart and watch a simulated line like a real
//! one. Every writer takes an [`std::io::Write`]: opening files is the caller's (the
//! CLI's) business, so this library does no file I/O.

use std::fmt::Write as _;
use std::io::Write;

use jiff::tz::TimeZone;
use serde::Serialize;
use yieldline_core::event::{EVENT_FIELDS, TERRITORY_FIELDS};
use yieldline_core::experiment::ExperimentDef;
use yieldline_core::line::{Guardrails as LineGuardrails, UnitKind};

use crate::ids::{account_id, contact_id, push_account_id, push_contact_id};
use crate::names::{domain, email_local, person};
use crate::scenario::ExperimentParams;
use crate::template::{station_id, template_line};
use crate::{Scenario, SimError, SimOutput, splitmix64};

/// How the event log's `event_id`s are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventIds {
    /// `ev-000001`, `ev-000002`, … in time order.
    #[default]
    Sequential,
    /// `ev-` and 16 hex digits of a bijective hash of the position and this salt: ids
    /// that look random, like the UUIDs most CRMs export (the worst case for an index).
    Hashed(u64),
}

/// Options of [`write_events_csv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventsCsv {
    /// How ids are written.
    pub ids: EventIds,
    /// Write at most this many events (the first ones, in time order).
    pub limit: Option<usize>,
}

#[derive(Serialize)]
struct LineFile {
    line: LineHead,
    station: Vec<StationOut>,
    guardrails: LineGuardrails,
}

#[derive(Serialize)]
struct LineHead {
    name: String,
    unit: UnitKind,
    timezone: String,
    working_days: Vec<String>,
    target_per_day: f64,
}

#[derive(Serialize)]
struct StationOut {
    id: String,
    operator: &'static str,
    capacity_per_day: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_yield: Option<f64>,
    cost_minutes: f64,
}

impl Scenario {
    /// The `line.toml` of the simulated line: the template's stations (ids, order,
    /// target yields, unit), each with the operator its capacities imply (`human`,
    /// `automation` or `hybrid`), `capacity_per_day` = human + automated capacity at
    /// the ramp's peak over the reported days and the cost of its main operator; the
    /// scenario's name, zone, working days and target; and `[guardrails]` — the
    /// scenario's, or Yieldline's defaults when the policy ran without guardrails, so
    /// that `watch` flags the violations.
    pub fn line_toml(&self) -> Result<String, SimError> {
        let template = template_line().map_err(|e| SimError::InvalidOption {
            name: "stations",
            message: e.to_owned(),
        })?;
        let peak = (0..self.scenario.days)
            .map(|d| self.policy.multiplier(d))
            .fold(self.policy.multiplier(0), f64::max);
        let station = template
            .stations
            .iter()
            .zip(self.stations.as_array())
            .map(|(t, st)| {
                let auto = (f64::from(st.automation_capacity) * peak).round() as u64;
                let human = u64::from(st.human_capacity);
                StationOut {
                    id: t.id.clone(),
                    operator: match (human > 0, auto > 0) {
                        (true, true) => "hybrid",
                        (false, true) => "automation",
                        _ => "human",
                    },
                    capacity_per_day: human + auto,
                    target_yield: t.target_yield,
                    cost_minutes: if human > 0 {
                        st.human_cost_minutes
                    } else {
                        st.automation_cost_minutes
                    },
                }
            })
            .collect();
        let g = self.policy.guardrails.clone().unwrap_or_default();
        let file = LineFile {
            line: LineHead {
                name: self.scenario.name.clone(),
                unit: template.unit,
                timezone: self.line.timezone.clone(),
                working_days: self.line.working_days.clone(),
                target_per_day: self.scenario.target_per_day,
            },
            station,
            guardrails: LineGuardrails {
                max_touches_per_contact_30d: g.max_touches_per_contact_30d,
                max_active_contacts_per_account: g.max_active_contacts_per_account,
                cooldown_days_after_fail: g.cooldown_days_after_fail,
                max_optout_rate: g.max_optout_rate,
            },
        };
        Ok(format!(
            "# Simulated line {:?} (yieldline-sim): the line template's stations with the scenario's capacities.\n{}",
            self.scenario.name,
            toml::to_string(&file)?
        ))
    }
}

/// The stored definition of the scenario's experiment: its window from local midnight
/// of `start_day` to local midnight of `end_day` (not stopped when `end_day` is 0).
pub(crate) fn experiment_definition(
    sc: &Scenario,
    x: &ExperimentParams,
) -> Result<ExperimentDef, SimError> {
    let cal = sc.calendar()?;
    let tz = zone(sc)?;
    let warmup = sc.scenario.warmup_days;
    let midnight = |day: u32| {
        cal.date(warmup + day)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|e| SimError::InvalidOption {
                name: "experiment",
                message: e.to_string(),
            })
    };
    let stop = match x.end_day {
        0 => None,
        d => Some(midnight(d)?),
    };
    x.definition(midnight(x.start_day)?, stop)
        .map_err(|e| SimError::InvalidOption {
            name: "experiment",
            message: e.to_string(),
        })
}

fn zone(sc: &Scenario) -> Result<TimeZone, SimError> {
    TimeZone::get(&sc.line.timezone).map_err(|e| SimError::InvalidOption {
        name: "line.timezone",
        message: e.to_string(),
    })
}

/// Writes the workspace files of a run recorded with `record_events`: `line.toml`
/// ([`Scenario::line_toml`]), the territory ([`write_territory_csv`]) and the event
/// log with sequential ids ([`write_events_csv`]).
pub fn write_workspace_files(
    out: &SimOutput,
    mut line_toml: impl Write,
    territory_csv: impl Write,
    events_csv: impl Write,
) -> Result<(), SimError> {
    if out.territory.is_empty() && out.scenario.scenario.accounts > 0 {
        return Err(SimError::EventsNotRecorded);
    }
    line_toml.write_all(out.scenario.line_toml()?.as_bytes())?;
    line_toml.flush()?;
    write_territory_csv(out, territory_csv)?;
    write_events_csv(out, events_csv, EventsCsv::default())
}

/// Writes the territory: `contact_id,account_id,fit_tier,first_name,last_name,email,
/// title` (`con-00001`, `acc-0001`, tiers 1–3, names and `first.last@<company>.example`
/// addresses, unique within each company).
pub fn write_territory_csv(out: &SimOutput, w: impl Write) -> Result<(), SimError> {
    let seed = out.scenario.scenario.seed;
    let mut w = csv::Writer::from_writer(w);
    w.write_record(TERRITORY_FIELDS)?;
    let mut used: Vec<String> = Vec::new();
    let mut account = None;
    let mut company = String::new();
    for t in &out.territory {
        if account != Some(t.account) {
            account = Some(t.account);
            used.clear();
            company = domain(seed, t.account);
        }
        let (first, last, title) = person(seed, t.contact);
        let email = format!("{}@{company}", email_local(first, last, &mut used));
        w.write_record([
            contact_id(t.contact).as_str(),
            &account_id(t.account),
            &t.tier.to_string(),
            first,
            last,
            &email,
            title,
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the event log in Yieldline's event CSV: one unit per contact, stamped in the
/// line's zone with its offset (`2025-06-02T09:41:07-04:00`), `operator_id` `rep-N`
/// (each account's rep) or `seq-1` (the automated sequencer), the arm's name on the
/// touch-station events of an experiment's visits, and each event's effort
/// ([`Scenario::event_cost`]).
pub fn write_events_csv(out: &SimOutput, w: impl Write, opts: EventsCsv) -> Result<(), SimError> {
    if out.territory.is_empty() && out.scenario.scenario.accounts > 0 {
        return Err(SimError::EventsNotRecorded);
    }
    let sc = &out.scenario;
    let cal = sc.calendar()?;
    let tz = zone(sc)?;
    let arms: Vec<&str> = sc
        .experiment
        .iter()
        .flat_map(|x| x.arms.iter().map(|a| a.name.as_str()))
        .collect();
    let reps = sc.policy.reps.max(1);
    let mut w = csv::Writer::from_writer(w);
    w.write_record(EVENT_FIELDS)?;
    // Per day: "YYYY-MM-DD" and the offset in business hours ("Z" in UTC).
    let mut day_cache: (u32, String, String) = (u32::MAX, String::new(), String::new());
    let (mut id, mut ts, mut unit, mut acc) =
        (String::new(), String::new(), String::new(), String::new());
    let (mut resume, mut referral, mut op, mut cost) =
        (String::new(), String::new(), String::new(), String::new());
    let limit = opts.limit.unwrap_or(usize::MAX);
    for (i, e) in out.events.iter().take(limit).enumerate() {
        if day_cache.0 != e.day {
            let date = cal.date(e.day);
            let offset = date
                .at(12, 0, 0, 0)
                .to_zoned(tz.clone())
                .map_or(0, |z| z.offset().seconds());
            day_cache = (e.day, date.to_string(), offset_text(offset));
        }
        id.clear();
        match opts.ids {
            EventIds::Sequential => write!(id, "ev-{:06}", i + 1),
            EventIds::Hashed(salt) => write!(id, "ev-{:016x}", splitmix64(i as u64 ^ salt)),
        }
        .map_err(fmt_error)?;
        ts.clear();
        let s = e.second;
        write!(
            ts,
            "{}T{:02}:{:02}:{:02}{}",
            day_cache.1,
            s / 3600,
            s / 60 % 60,
            s % 60,
            day_cache.2
        )
        .map_err(fmt_error)?;
        unit.clear();
        push_contact_id(&mut unit, e.contact);
        acc.clear();
        push_account_id(&mut acc, e.account);
        resume.clear();
        if let Some(d) = e.resume_day {
            write!(resume, "{}", cal.date(d)).map_err(fmt_error)?;
        }
        referral.clear();
        if let Some(r) = e.referral {
            push_contact_id(&mut referral, r);
        }
        op.clear();
        let operator_kind = if e.automated {
            op.push_str("seq-1");
            "automation"
        } else {
            write!(op, "rep-{}", e.account % reps + 1).map_err(fmt_error)?;
            "human"
        };
        cost.clear();
        if let Some(c) = sc.event_cost(e) {
            write!(cost, "{c}").map_err(fmt_error)?;
        }
        let arm = e
            .arm
            .and_then(|k| arms.get(usize::from(k)).copied())
            .unwrap_or("");
        w.write_record([
            id.as_str(),
            &ts,
            &unit,
            &acc,
            station_id(usize::from(e.station)),
            e.kind.as_str(),
            e.reason.map_or("", |r| r.as_str()),
            &resume,
            &referral,
            e.channel.map_or("", |c| c.as_str()),
            &op,
            operator_kind,
            arm,
            &cost,
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn fmt_error(_: std::fmt::Error) -> SimError {
    SimError::Io(std::io::Error::other("formatting failed"))
}

/// `Z`, or `±HH:MM`, of a UTC offset in seconds.
fn offset_text(seconds: i32) -> String {
    if seconds == 0 {
        return "Z".to_owned();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let m = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}
