//! `check`: what is wrong with a workspace, named so a person can act on it.

use serde::Serialize;

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
    /// Every problem, store first.
    pub problems: Vec<Problem>,
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
    Ok(Check { problems })
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
