//! `check`: what is wrong with a workspace, named so a person can act on it.

use serde::Serialize;
use yieldline_core::visits::log_anomalies;

use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What part it concerns: `store`, `suppression` or `line`.
    pub area: &'static str,
    /// What is wrong, and what it means.
    pub message: String,
}

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Every problem, store first. Any problem makes `check` fail.
    pub problems: Vec<Problem>,
    /// Units whose events say what their entries do not (implied entries, units outside
    /// the territory). Listed, not failed: they are facts of the export, not damage.
    pub anomalies: Vec<UnitAnomaly>,
}

/// One unit's anomalies (see [`yieldline_core::visits`]: a touch or a disposition
/// without an open entry implies the entry; the unit is worked, never fresh).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitAnomaly {
    /// The unit's id.
    pub unit_id: String,
    /// Outcomes (touches, dispositions) that found no open entry, none coming later.
    pub outcome_without_entry: u64,
    /// Outcomes that found no open entry, an entry at that station coming later.
    pub outcome_before_entry: u64,
    /// The unit is not in the territory (reported only when a territory exists).
    pub unknown_unit: bool,
}

/// The anomalies of a whole workspace, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyCounts {
    /// Outcomes without an entry (the entry is implied).
    pub outcome_without_entry: u64,
    /// Outcomes before their station's entry (the entry is implied).
    pub outcome_before_entry: u64,
    /// Units that events name but the territory lacks (0 when there is no territory).
    pub unknown_units: u64,
}

impl AnomalyCounts {
    /// The counts over a list of units.
    pub fn of(units: &[UnitAnomaly]) -> Self {
        let mut c = Self::default();
        for u in units {
            c.outcome_without_entry += u.outcome_without_entry;
            c.outcome_before_entry += u.outcome_before_entry;
            c.unknown_units += u64::from(u.unknown_unit);
        }
        c
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Every unit of the workspace with an anomaly, in unit-id order.
pub fn anomalies(ws: &Workspace) -> AppResult<Vec<UnitAnomaly>> {
    let snap = ws.store.snapshot(&ws.line, true)?;
    let directory = snap.directory.unwrap_or_default();
    let mut out: Vec<UnitAnomaly> = log_anomalies(&snap.log, &snap.territory)
        .into_iter()
        .map(|a| UnitAnomaly {
            unit_id: directory
                .get(a.unit as usize)
                .map_or_else(|| format!("#{}", a.unit), |d| d.key.clone()),
            outcome_without_entry: a.anomalies.outcome_without_entry,
            outcome_before_entry: a.anomalies.outcome_before_entry,
            unknown_unit: a.unknown_unit,
        })
        .collect();
    out.sort_by(|a, b| a.unit_id.cmp(&b.unit_id));
    Ok(out)
}

/// Checks the store's records (the suppression log's chain, suppressions against
/// their log, the database file) and that every station the events name is in the
/// line.
pub fn check(ws: &Workspace) -> AppResult<Check> {
    let mut problems = Vec::new();
    for p in ws.store.integrity()? {
        let area = if p.contains("suppression") {
            "suppression"
        } else {
            "store"
        };
        problems.push(Problem { area, message: p });
    }
    for (station, events) in ws.store.stored_stations()? {
        if ws.line.station_index(&station).is_none() && events > 0 {
            problems.push(Problem {
                area: "line",
                message: format!(
                    "station {station:?} has {events} stored events but is not in line.toml: they are left out of every report (add the station back, or remove the events)"
                ),
            });
        }
    }
    Ok(Check {
        problems,
        anomalies: anomalies(ws)?,
    })
}

/// Removes a mistaken event (logged with who and why).
pub fn remove_event(
    ws: &Workspace,
    event_id: &str,
    by: &str,
    reason: &str,
) -> AppResult<(String, jiff::Timestamp)> {
    let id = event_id.trim();
    if id.is_empty() {
        return Err(AppError::invalid("id", "id: name the event to remove"));
    }
    let (by, reason) = (by.trim(), reason.trim());
    if by.is_empty() || reason.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "reason: say who removes the event and why",
        ));
    }
    ws.store
        .remove_event(id, by, reason)?
        .ok_or_else(|| AppError::not_found(format!("no event with id {id:?} in this workspace")))
}
