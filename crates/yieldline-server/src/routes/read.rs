//! The routes that read: the analyses, experiments and suppression entries.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yieldline_app::analysis::{ChartRequest, DriftRequest, PlanRequest};
use yieldline_app::privacy::{self, EntryView};
use yieldline_app::render;
use yieldline_core::report::Period;

use super::{Access, Viewer, ok_json};
use crate::error::ApiError;
use crate::schemas::*;

// -- analyses -------------------------------------------------------------------------

/// The line's measurements over a period (default: first to last event day).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/report", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("from" = Option<String>, Query, format = Date, description = "First day (YYYY-MM-DD, in the line's time zone)"),
        ("to" = Option<String>, Query, format = Date, description = "Last day"),
        ("as_of" = Option<String>, Query, format = Date, description = "Follow cohorts to the end of this day (default: the latest event)"),
    ),
    responses((status = 200, description = "The report (as `report --format json`)", body = ReportBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn report(a: Access<Viewer>) -> Result<Response, ApiError> {
    let q = a.query(&["from", "to", "as_of"])?;
    let period = Period {
        from: q.date("from")?,
        to: q.date("to")?,
    };
    let as_of = q.date("as_of")?;
    Ok(ok_json(
        crate::reads::report(&a.served, period, as_of).await?,
    ))
}

/// Control charts and run rules for every station's yield (or one station's).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/drift", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("station" = Option<String>, Query, description = "Only this station"),
        ("chart" = Option<String>, Query, description = "auto (default), p, laney or ewma"),
        ("period" = Option<String>, Query, description = "day (default) or week"),
        ("baseline" = Option<String>, Query, description = "Baseline window FROM..TO (dates)"),
        ("from" = Option<String>, Query, format = Date, description = "First day charted"),
        ("to" = Option<String>, Query, format = Date, description = "Last day charted"),
    ),
    responses((status = 200, description = "The charts (as `drift --format json`)", body = DriftBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn drift(a: Access<Viewer>) -> Result<Response, ApiError> {
    let q = a.query(&["station", "chart", "period", "baseline", "from", "to"])?;
    let chart = match q.text("chart").as_deref() {
        None | Some("auto") => ChartRequest::Auto,
        Some("p") => ChartRequest::P,
        Some("laney") => ChartRequest::Laney,
        Some("ewma") => ChartRequest::Ewma,
        Some(other) => {
            return Err(ApiError::bad_param(
                "chart",
                format!("chart {other:?}: use auto, p, laney or ewma"),
            ));
        }
    };
    let weekly = match q.text("period").as_deref() {
        None | Some("day") => false,
        Some("week") => true,
        Some(other) => {
            return Err(ApiError::bad_param(
                "period",
                format!("period {other:?}: use day or week"),
            ));
        }
    };
    let req = DriftRequest {
        station: q.text("station"),
        chart,
        baseline: q.text("baseline"),
        weekly,
        from: q.date("from")?,
        to: q.date("to")?,
        lambda: Some(0.2),
        ewma_l: Some(3.0),
    };
    Ok(ok_json(crate::reads::drift(&a.served, req).await?))
}

/// What a daily target takes at each station, and a Monte Carlo chance of hitting it.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/plan", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("target" = Option<f64>, Query, description = "Final passes per working day (default: the line's target)"),
        ("from" = Option<String>, Query, format = Date, description = "First day measured"),
        ("to" = Option<String>, Query, format = Date, description = "Last day measured"),
        ("runs" = Option<u32>, Query, minimum = 1, maximum = 1000000, description = "Monte Carlo runs (default 10000)"),
        ("seed" = Option<u64>, Query, description = "Monte Carlo seed (default 1)"),
        ("basis" = Option<String>, Query, description = "auto (default), period or cohort: what the yields are measured on"),
    ),
    responses((status = 200, description = "The plan (as `plan --format json`)", body = PlanBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn plan(a: Access<Viewer>) -> Result<Response, ApiError> {
    let q = a.query(&["target", "from", "to", "runs", "seed", "basis"])?;
    let d = PlanRequest::default();
    let runs: u32 = q.number("runs", "a whole number")?.unwrap_or(d.runs);
    if !(1..=1_000_000).contains(&runs) {
        return Err(ApiError::bad_param(
            "runs",
            format!("runs {runs}: give 1 to 1000000"),
        ));
    }
    let target: Option<f64> = q.number("target", "a number")?;
    if target.is_some_and(|t| !t.is_finite()) {
        return Err(ApiError::bad_param(
            "target",
            "target: give a finite number",
        ));
    }
    let req = PlanRequest {
        target,
        from: q.date("from")?,
        to: q.date("to")?,
        runs,
        seed: q.number("seed", "a whole number")?.unwrap_or(d.seed),
        basis: q.basis()?,
    };
    Ok(ok_json(crate::reads::plan(&a.served, req).await?))
}

/// The toxic-automation watch.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/watch", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("as_of" = Option<String>, Query, format = Date, description = "The day to look back from (default: the last event's day)"),
        ("horizon" = Option<f64>, Query, description = "Working days of fresh territory below which the burn signal warns (default 90)"),
        ("basis" = Option<String>, Query, description = "auto (default), period or cohort: what depletion and dilution are measured on"),
    ),
    responses((status = 200, description = "The watch (as `watch --format json`)", body = WatchBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn watch(a: Access<Viewer>) -> Result<Response, ApiError> {
    let q = a.query(&["as_of", "horizon", "basis"])?;
    let basis = q.basis()?;
    let as_of = q.date("as_of")?;
    let horizon: f64 = q
        .number("horizon", "a number")?
        .unwrap_or(yieldline_app::analysis::DEFAULT_HORIZON_DAYS);
    Ok(ok_json(
        crate::reads::watch(&a.served, as_of, horizon, basis).await?,
    ))
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| {
            m.split(';')
                .next()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv"))
        })
}

/// The day's work orders (`Accept: text/csv` for the CLI's CSV).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/dispatch", tag = "analysis",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("date" = Option<String>, Query, format = Date, description = "The day (default: today in the line's time zone)"),
    ),
    responses((status = 200, description = "The orders (as `dispatch --format json`, or `--format csv` with `Accept: text/csv`)",
        content((DispatchBody = "application/json"), (String = "text/csv"))), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn dispatch(a: Access<Viewer>) -> Result<Response, ApiError> {
    let q = a.query(&["date"])?;
    let date = match q.date("date")? {
        Some(d) => d,
        None => yieldline_app::experiments::today(&a.served.ws.line),
    };
    let csv = wants_csv(&a.headers);
    let bytes = crate::reads::dispatch(&a.served, date, csv).await?;
    if csv {
        let mut r = (StatusCode::OK, bytes).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(r);
    }
    Ok(ok_json(bytes))
}

// -- experiments ----------------------------------------------------------------------

/// Every experiment, by start then id.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/experiments", tag = "experiments",
    params(("ws" = String, Path, description = "The workspace's name")),
    responses((status = 200, description = "The experiments (as `experiment list --format json`)", body = ExperimentList), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn experiments_list(a: Access<Viewer>) -> Result<Response, ApiError> {
    a.no_query()?;
    a.cached_json("experiments".into(), |ws| {
        render::json(&yieldline_app::experiments::list(ws)?)
    })
    .await
}

/// An experiment's analysis as of an instant (default: now).
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/experiments/{id}/analysis", tag = "experiments",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("id" = String, Path, description = "The experiment's id"),
        ("as_of" = Option<String>, Query, description = "RFC 3339, a date (local midnight) or `now` (default)"),
    ),
    responses((status = 200, description = "The analysis (as `experiment analyze ID --format json`)", body = AnalysisBody), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn experiment_analysis(a: Access<Viewer>) -> Result<Response, ApiError> {
    let q = a.query(&["as_of"])?;
    let as_of_text = q.text("as_of");
    let bytes = crate::reads::analysis(&a.served, a.id.clone(), as_of_text).await?;
    Ok(ok_json(bytes))
}

// -- suppression and erasure ----------------------------------------------------------

/// Every suppression entry, by kind then target.
#[utoipa::path(get, path = "/api/v1/workspaces/{ws}/suppressions", tag = "privacy",
    params(("ws" = String, Path, description = "The workspace's name")),
    responses((status = 200, description = "The entries (as `suppress list --format json`)", body = Vec<EntryView>), crate::openapi::ReadErrors),
    security(("bearer" = [])))]
pub async fn suppressions_list(a: Access<Viewer>) -> Result<Response, ApiError> {
    a.no_query()?;
    a.cached_json("suppressions".into(), |ws| {
        render::json(&privacy::entry_views(ws)?)
    })
    .await
}
