//! The API's cached reads: one cache key and one computation per read, called by the
//! JSON routes and by the dashboard alike, so a page shows the API's very bytes and
//! neither can fill the other's cache entry with something else.

use std::sync::Arc;

use axum::body::Bytes;
use jiff::civil::Date;
use yieldline_app::analysis::{BasisRequest, DriftRequest, PlanRequest, StationChart};
use yieldline_app::{AppError, render};
use yieldline_core::report::Period;

use crate::error::ApiError;
use crate::state::Served;

/// `GET report`: the period's report, cohorts followed to `as_of`.
pub async fn report(
    s: &Arc<Served>,
    period: Period,
    as_of: Option<Date>,
) -> Result<Bytes, ApiError> {
    let key = format!("report|{:?}|{:?}|{as_of:?}", period.from, period.to);
    s.cached(key, move |ws| {
        render::json(&yieldline_app::analysis::report_at(ws, period, as_of)?)
    })
    .await
}

/// `GET drift`: the charts; asked for one station that cannot be charted, its reason
/// is an invalid `station`.
pub async fn drift(s: &Arc<Served>, req: DriftRequest) -> Result<Bytes, ApiError> {
    let key = format!("drift|{req:?}");
    s.cached(key, move |ws| {
        let d = yieldline_app::analysis::drift(ws, &req)?;
        if req.station.is_some()
            && let Some(StationChart {
                id, error: Some(e), ..
            }) = d.stations.first()
        {
            return Err(AppError::invalid("station", format!("station {id}: {e}")));
        }
        render::json(&d)
    })
    .await
}

/// `GET plan`.
pub async fn plan(s: &Arc<Served>, req: PlanRequest) -> Result<Bytes, ApiError> {
    let key = format!("plan|{req:?}");
    s.cached(key, move |ws| {
        render::json(&yieldline_app::analysis::plan(ws, req)?)
    })
    .await
}

/// `GET watch`.
pub async fn watch(
    s: &Arc<Served>,
    as_of: Option<Date>,
    horizon: f64,
    basis: BasisRequest,
) -> Result<Bytes, ApiError> {
    let key = format!("watch|{as_of:?}|{horizon}|{basis:?}");
    s.cached(key, move |ws| {
        render::json(&yieldline_app::analysis::watch_on(
            ws, as_of, horizon, basis,
        )?)
    })
    .await
}

/// `GET dispatch`: the day's orders as JSON, or as the CLI's CSV.
pub async fn dispatch(s: &Arc<Served>, date: Date, csv: bool) -> Result<Bytes, ApiError> {
    let key = format!("dispatch|{date}|{csv}");
    s.cached(key, move |ws| {
        let d = yieldline_app::analysis::dispatch(ws, date)?;
        if csv {
            render::dispatch_csv(&d)
        } else {
            render::json(&d)
        }
    })
    .await
}

/// `GET experiments/{id}/analysis?as_of=TEXT`: cached when `as_of` names a fixed
/// instant; computed afresh for "now" (the default), whose answer moves with the clock.
pub async fn analysis(
    s: &Arc<Served>,
    id: String,
    as_of_text: Option<String>,
) -> Result<Bytes, ApiError> {
    let fixed = as_of_text
        .as_deref()
        .is_some_and(|t| !t.trim().eq_ignore_ascii_case("now"));
    let key = format!("analysis|{id}|{as_of_text:?}");
    let compute = move |ws: &yieldline_app::Workspace| {
        let as_of = yieldline_app::experiments::parse_time(
            &ws.line,
            "as_of",
            as_of_text.as_deref().unwrap_or("now"),
        )?;
        render::json(&yieldline_app::experiments::analysis(ws, &id, as_of)?)
    };
    if fixed {
        s.cached(key, compute).await
    } else {
        let s = s.clone();
        crate::state::blocking(move || Ok(Bytes::from(compute(&s.ws)?))).await
    }
}
