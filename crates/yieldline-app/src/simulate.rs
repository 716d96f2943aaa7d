//! The simulator's link to a workspace: calibration from its own events.

use std::collections::HashMap;

use yieldline_core::touches::{touch_outcomes, touch_station};
use yieldline_sim::calibrate::{
    AccountObservation, Calibration, CalibrationInput, TouchObservation, calibrate,
};

use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;

/// Touches an account needs to count in the calibration of propensities.
pub const MIN_TOUCHES_PER_ACCOUNT: u64 = 5;

/// Fits the simulator's propensity distribution and fatigue to the workspace's touches
/// and replies at its touch station.
pub fn calibration(ws: &Workspace) -> AppResult<Calibration> {
    let snap = ws.store.snapshot(&ws.line, true)?;
    let log = &snap.log;
    let Some(station) = touch_station(log) else {
        return Err(AppError::input(format!(
            "{} has no touch events to calibrate from",
            ws.dir.display()
        )));
    };
    let directory = snap.directory.unwrap_or_default();
    let outcomes = touch_outcomes(log, station);
    let mut per_account: HashMap<&str, AccountObservation> = HashMap::new();
    for t in &outcomes {
        let account = directory
            .get(t.unit as usize)
            .map_or("", |u| u.account.as_str());
        let a = per_account.entry(account).or_insert(AccountObservation {
            touches: 0,
            replies: 0,
        });
        a.touches += 1;
        a.replies += u64::from(t.replied);
    }
    let input = CalibrationInput {
        accounts: per_account.into_values().collect(),
        touches: outcomes
            .iter()
            .map(|t| TouchObservation {
                prior_touches_30d: t.prior_touches_30d,
                replied: t.replied,
            })
            .collect(),
        min_touches: MIN_TOUCHES_PER_ACCOUNT,
    };
    calibrate(&input).map_err(|e| AppError::input(e.to_string()))
}
