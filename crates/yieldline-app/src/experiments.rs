//! Randomized experiments: definitions, assignment and analysis (DESIGN §6).

use jiff::Timestamp;
use jiff::civil::Date;
use yieldline_core::calendar::{day_start, local_date};
use yieldline_core::dispatch::RunningExperiment;
use yieldline_core::event::parse_ts;
use yieldline_core::experiment::{
    Analysis, ArmDef, ExperimentDef, Guardrail, RandomizationUnit, analyze, parse_weights,
    split_list,
};
use yieldline_core::line::{Line, UnitKind};

use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;

/// Parses an instant: RFC 3339 with offset, a date (local midnight in the line's zone),
/// or `now`.
pub fn parse_time(line: &Line, param: &str, text: &str) -> AppResult<Timestamp> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("now") {
        return Ok(Timestamp::now());
    }
    if let Ok(d) = t.parse::<Date>() {
        return Ok(day_start(line, d));
    }
    parse_ts(t).map(|(ts, _)| ts).map_err(|e| {
        AppError::invalid(
            param,
            format!(
                "{param}: {e}: use RFC 3339 (2025-06-02T09:00:00-04:00), a date (2025-06-02) or `now`"
            ),
        )
    })
}

/// What `experiment create` is asked.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExperimentRequest {
    /// Experiment id (letters, digits, '.', '_', '-').
    pub id: String,
    /// The station where the arms differ.
    pub station: String,
    /// Arm names, comma-separated; the first is the control unless `control` says otherwise.
    pub arms: String,
    /// Relative weights, comma-separated, one per arm (default: equal).
    #[serde(default)]
    pub weights: Option<String>,
    /// What is randomized: `account` (default), `contact` or `week`.
    #[serde(default)]
    pub unit: Option<String>,
    /// Assignment salt (default: the id).
    #[serde(default)]
    pub salt: Option<String>,
    /// Start: RFC 3339, a date, or `now` (default).
    #[serde(default)]
    pub start: Option<String>,
    /// The control arm (default: the first).
    #[serde(default)]
    pub control: Option<String>,
    /// Guardrails `METRIC:MARGIN`.
    #[serde(default)]
    pub guardrails: Vec<String>,
    /// An arm whose units get no touch at the station.
    #[serde(default)]
    pub holdout: Option<String>,
    /// The later station measuring comparisons with the holdout.
    #[serde(default)]
    pub holdout_metric: Option<String>,
    /// Mixing variance τ² of the always-valid p-value.
    #[serde(default)]
    pub tau2: Option<f64>,
}

/// Builds and validates a definition.
pub fn definition(line: &Line, req: &ExperimentRequest) -> AppResult<ExperimentDef> {
    let names = split_list(&req.arms);
    let weights = match &req.weights {
        Some(w) => parse_weights(w).map_err(|e| AppError::invalid("weights", e.to_string()))?,
        None => vec![1.0; names.len()],
    };
    if weights.len() != names.len() {
        return Err(AppError::invalid(
            "weights",
            format!(
                "{} weights for {} arms: give one weight per arm (arms {}, weights {})",
                weights.len(),
                names.len(),
                req.arms,
                req.weights.as_deref().unwrap_or("")
            ),
        ));
    }
    let guardrails = req
        .guardrails
        .iter()
        .map(|g| Guardrail::parse(g))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::invalid("guardrail", e.to_string()))?;
    let unit = match req.unit.as_deref() {
        None => RandomizationUnit::Account,
        Some(u) => RandomizationUnit::parse(u).ok_or_else(|| {
            AppError::invalid("unit", format!("unit {u:?}: use account, contact or week"))
        })?,
    };
    let def = ExperimentDef {
        id: req.id.clone(),
        station: req.station.clone(),
        control: req
            .control
            .clone()
            .or_else(|| names.first().cloned())
            .unwrap_or_default(),
        arms: names
            .into_iter()
            .zip(weights)
            .map(|(name, weight)| ArmDef { name, weight })
            .collect(),
        unit,
        salt: req.salt.clone().unwrap_or_else(|| req.id.clone()),
        start: parse_time(line, "start", req.start.as_deref().unwrap_or("now"))?,
        stop: None,
        guardrails,
        holdout: req.holdout.clone(),
        holdout_metric: req.holdout_metric.clone(),
        tau2: req.tau2.unwrap_or(yieldline_core::experiment::DEFAULT_TAU2),
    };
    def.validate(line)?;
    Ok(def)
}

/// Defines and stores a new experiment.
pub fn create(ws: &Workspace, req: &ExperimentRequest) -> AppResult<ExperimentDef> {
    let def = definition(&ws.line, req)?;
    if !ws.store.insert_experiment(&def)? {
        return Err(AppError::conflict(format!(
            "an experiment {:?} already exists: choose another id (see `yieldline experiment list`)",
            def.id
        )));
    }
    Ok(def)
}

/// Every experiment of the workspace, by start then id.
pub fn list(ws: &Workspace) -> AppResult<Vec<ExperimentDef>> {
    Ok(ws.store.experiments()?)
}

/// Whether an experiment is `scheduled`, `running` or `stopped` at `now`.
pub fn status(def: &ExperimentDef, now: Timestamp) -> &'static str {
    if def.start > now {
        "scheduled"
    } else if def.is_running(now) {
        "running"
    } else {
        "stopped"
    }
}

/// The experiment `id`, or a clear error listing the known ones.
pub fn get(ws: &Workspace, id: &str) -> AppResult<ExperimentDef> {
    if let Some(d) = ws.store.experiment(id)? {
        return Ok(d);
    }
    let known: Vec<String> = ws.store.experiments()?.into_iter().map(|e| e.id).collect();
    Err(AppError::not_found(format!(
        "unknown experiment {id:?} ({})",
        if known.is_empty() {
            "the workspace has none: create one with `yieldline experiment create`".to_owned()
        } else {
            format!("the workspace has: {}", known.join(", "))
        }
    )))
}

/// Stops a running experiment at `at` (RFC 3339, a date, or `now`).
pub fn stop(ws: &Workspace, id: &str, at: &str) -> AppResult<ExperimentDef> {
    let mut d = get(ws, id)?;
    if let Some(s) = d.stop {
        return Err(AppError::conflict(format!(
            "experiment {id:?} was already stopped at {s}"
        )));
    }
    let at = parse_time(&ws.line, "at", at)?;
    if at < d.start {
        return Err(AppError::invalid(
            "at",
            format!(
                "cannot stop experiment {id:?} at {at}: it starts at {}",
                d.start
            ),
        ));
    }
    d.stop = Some(at);
    d.validate(&ws.line)?;
    ws.store.update_experiment(&d)?;
    Ok(d)
}

/// Analyses an experiment as of `as_of`.
pub fn analysis(ws: &Workspace, id: &str, as_of: Timestamp) -> AppResult<Analysis> {
    let def = get(ws, id)?;
    let data = ws.store.experiment_data(&def, as_of)?;
    Ok(analyze(&def, &ws.line, &data, as_of)?)
}

/// One assigned unit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assignment {
    /// The unit id.
    pub unit_id: String,
    /// Its account.
    pub account_id: String,
    /// Its arm.
    pub arm: String,
}

/// The first CSV field of a line (quotes understood), trimmed.
fn first_field(text: &str) -> Option<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let rec = r.records().next()?.ok()?;
    rec.get(0).map(|f| f.trim().to_owned())
}

/// Whether a CSV row's first field looks like a header.
fn is_header(field: &str) -> bool {
    matches!(
        field.trim().to_ascii_lowercase().as_str(),
        "id" | "unit_id" | "unit" | "contact_id" | "contact" | "account_id" | "account"
    )
}

/// Assigns the units listed in `text` (one id per line, or a CSV whose first column is
/// the id, header optional; `source` names it in errors) to the experiment's arms, for
/// units worked on `date`.
pub fn assign(
    ws: &Workspace,
    id: &str,
    source: &str,
    text: &str,
    date: Date,
) -> AppResult<Vec<Assignment>> {
    let def = get(ws, id)?;
    let mut ids: Vec<(u64, String)> = Vec::new();
    for (i, row) in text.lines().enumerate() {
        let Some(first) = first_field(row) else {
            continue;
        };
        if first.is_empty() || (i == 0 && is_header(&first)) {
            continue;
        }
        ids.push((i as u64 + 1, first));
    }
    let keys: Vec<String> = ids.iter().map(|(_, id)| id.clone()).collect();
    let accounts = match ws.line.unit {
        UnitKind::Contact => ws.store.contact_accounts(&keys)?,
        UnitKind::Account => keys.iter().map(|k| (k.clone(), k.clone())).collect(),
    };
    let mut rows = Vec::with_capacity(ids.len());
    for (line_no, unit) in &ids {
        let account = accounts.get(unit).map(String::as_str);
        let Some(arm) = def.arm_of(unit, account, date) else {
            return Err(AppError::input(format!(
                "{source}:{line_no}: contact {unit:?} is not in the territory, so its account (the randomization unit) is unknown: import it with `yieldline import territory` first"
            )));
        };
        rows.push(Assignment {
            unit_id: unit.clone(),
            account_id: account.unwrap_or_default().to_owned(),
            arm: arm.name.clone(),
        });
    }
    Ok(rows)
}

/// The experiments running on `date` (at its local start), in the form dispatch needs.
pub fn running(ws: &Workspace, date: Date) -> AppResult<Vec<RunningExperiment>> {
    let at = day_start(&ws.line, date);
    Ok(ws
        .store
        .experiments()?
        .into_iter()
        .filter(|d| d.is_running(at))
        .filter_map(|def| {
            let station = ws.line.station_index(&def.station)?;
            Some(RunningExperiment { station, def })
        })
        .collect())
}

/// Today in the line's time zone.
pub fn today(line: &Line) -> Date {
    local_date(line, Timestamp::now())
}
