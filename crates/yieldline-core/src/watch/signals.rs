//! The watch's signals, one function each: the figures, the status and the sentence.

use serde_json::{Value, json};
use yieldline_spc::{Baseline, ChartChoice, EwmaParams, Subgroup as SpcSubgroup, analyze};
use yieldline_stats::twosample::ztest_pooled;

use super::{DAY_US, DriftShift, SIGNALS, Signal, Status, WatchParams};
use crate::calendar::{epoch_day, from_epoch_day, period_bounds_micros};
use crate::event::EventKind;
use crate::line::{Line, Role};
use crate::report::{FactLog, Report};
use crate::visits::{histories, visits_of};

/// Days before `as_of` within which a chart's signal counts as current.
pub const DRIFT_RECENT_DAYS: i64 = 28;

/// The control charts' evidence: a station whose yield shifted down and whose chart
/// still signalled it within the last [`DRIFT_RECENT_DAYS`] days warns.
pub(super) fn drift(shifts: Option<&[DriftShift]>, as_of: jiff::civil::Date) -> Signal {
    let Some(shifts) = shifts else {
        return Signal {
            name: SIGNALS[6],
            status: Status::Ok,
            figures: json!({ "charted": false }),
            message: "the stations' yields were not charted".into(),
        };
    };
    let down = recent_down(shifts, as_of);
    let status = if down.is_empty() {
        Status::Ok
    } else {
        Status::Warn
    };
    Signal {
        name: SIGNALS[6],
        status,
        figures: json!({ "charted": true, "shifts_down": down, "recent_days": DRIFT_RECENT_DAYS }),
        message: if down.is_empty() {
            format!(
                "no station's yield has shifted down on its control chart in the last {DRIFT_RECENT_DAYS} days"
            )
        } else {
            down.iter()
                .map(|d| {
                    format!(
                        "{}'s yield shifted down from {:.1} % to {:.1} % since {} ({} chart, still signalled on {})",
                        d.station,
                        d.before * 100.0,
                        d.after * 100.0,
                        d.run_start,
                        d.chart,
                        d.signalled_on
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        },
    }
}

/// The downward shifts still signalled within [`DRIFT_RECENT_DAYS`] days of `as_of`.
pub(super) fn recent_down(shifts: &[DriftShift], as_of: jiff::civil::Date) -> Vec<&DriftShift> {
    let since = as_of
        .checked_sub(jiff::Span::new().days(DRIFT_RECENT_DAYS))
        .unwrap_or(as_of)
        .to_string();
    shifts
        .iter()
        .filter(|d| d.after < d.before && d.signalled_on.as_str() > since.as_str())
        .collect()
}

/// The burn signal when no territory is imported: the burned share and the days to
/// exhaustion have no denominator, so nothing alarms.
pub(super) fn territory_unknown(burned: u64, params: WatchParams) -> Signal {
    Signal {
        name: SIGNALS[2],
        status: Status::Ok,
        figures: json!({
            "territory_known": false, "burned": burned, "burned_share": null,
            "days_to_exhaustion": null, "horizon_days": params.horizon_days,
        }),
        message: format!(
            "territory unknown: no territory is imported, so its burned share and how long it lasts cannot be judged ({burned} units in the log are burned); import it with `yieldline import territory`"
        ),
    }
}

pub(super) fn marginal(auto: [u64; 2], output: [u64; 2]) -> Signal {
    let (t0, t1) = (auto[0] as f64, auto[1] as f64);
    let (o0, o1) = (output[0] as f64, output[1] as f64);
    let growth = if t0 > 0.0 {
        t1 / t0 - 1.0
    } else if t1 > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let average = (t0 > 0.0).then(|| o0 / t0);
    let marginal = (t1 > t0).then(|| (o1 - o0) / (t1 - t0));
    let ratio = match (marginal, average) {
        (Some(m), Some(a)) if a > 0.0 => Some(m / a),
        _ => None,
    };
    let scaled_up = growth > 0.10;
    let status = match ratio {
        Some(r) if scaled_up && r < 0.2 => Status::Alarm,
        Some(r) if scaled_up && r < 0.5 => Status::Warn,
        _ => Status::Ok,
    };
    let message = match (status, ratio) {
        (Status::Ok, _) if !scaled_up => format!(
            "automated volume {} ({} → {} touches over 28 days), so there is no scale-up to judge",
            if growth < -0.10 { "fell" } else { "is steady" },
            auto[0],
            auto[1]
        ),
        (_, Some(r)) => format!(
            "automated touches rose {:.0} % ({} → {}); each extra touch yielded {:.4} outputs against {:.4} on average ({:.0} % of average)",
            growth * 100.0,
            auto[0],
            auto[1],
            marginal.unwrap_or(0.0),
            average.unwrap_or(0.0),
            r * 100.0
        ),
        _ => "not enough automated volume to judge the increment".into(),
    };
    Signal {
        name: SIGNALS[0],
        status,
        figures: json!({
            "automated_touches_prior": auto[0], "automated_touches_recent": auto[1],
            "output_prior": output[0], "output_recent": output[1],
            "volume_growth": finite(growth), "marginal_output_per_touch": marginal, "average_output_per_touch": average,
            "marginal_to_average": ratio,
        }),
        message,
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

pub(super) fn depletion(
    line: &Line,
    log: &FactLog,
    as_of: jiff::civil::Date,
    touches_by_station: &[u64],
    cohort_h: Option<f64>,
) -> Signal {
    let station = touches_by_station
        .iter()
        .enumerate()
        .max_by_key(|(i, t)| (**t, usize::MAX - i))
        .filter(|(_, t)| **t > 0)
        .map_or(1.min(line.stations.len().saturating_sub(1)), |(i, _)| i);
    let st_id = line.stations.get(station).map_or("", |s| s.id.as_str());
    // Weekly first-visit dispositions at the station.
    let (_, end) = period_bounds_micros(line, as_of, as_of);
    let mut weeks: std::collections::BTreeMap<i32, (u64, u64)> = std::collections::BTreeMap::new();
    let mut visits = Vec::new();
    for history in histories(log).filter(|h| usize::from(h[0].station) == station) {
        // The unit's first visit at the station: its first disposition there.
        visits.clear();
        visits_of(history, end, &mut visits);
        if let Some(h) = cohort_h {
            // Cohort basis: the first entry, if followed for h days; passed within h.
            let Some((v, e)) = visits
                .iter()
                .filter_map(|v| v.entered.map(|e| (v, e)))
                .min_by_key(|(_, e)| *e)
            else {
                continue;
            };
            if e + (h * DAY_US as f64) as i64 > end {
                continue;
            }
            let day = crate::calendar::local_date(
                line,
                jiff::Timestamp::from_microsecond(e).unwrap_or_default(),
            );
            let w = weeks
                .entry(epoch_day(crate::series::week_start(day)))
                .or_default();
            w.1 += 1;
            if v.disposal.is_some_and(|d| d.kind == EventKind::Passed)
                && v.days().is_some_and(|d| d <= h)
            {
                w.0 += 1;
            }
            continue;
        }
        if let Some(d) = visits.first().and_then(|v| v.disposal) {
            let day = crate::calendar::local_date(
                line,
                jiff::Timestamp::from_microsecond(d.ts).unwrap_or_default(),
            );
            let week = epoch_day(crate::series::week_start(day));
            let e = weeks.entry(week).or_default();
            e.1 += 1;
            if d.kind == EventKind::Passed {
                e.0 += 1;
            }
        }
    }
    let subgroups: Vec<SpcSubgroup> = weeks
        .iter()
        .map(|(w, (p, n))| SpcSubgroup::new(from_epoch_day(*w).to_string(), *p, *n))
        .collect();
    let half = (subgroups.len() / 2).max(1);
    let chart = (subgroups.len() >= 6)
        .then(|| {
            analyze(
                &subgroups,
                Baseline::range(0..half),
                ChartChoice::Auto,
                EwmaParams::default(),
            )
            .ok()
        })
        .flatten();
    let Some(chart) = chart else {
        return Signal {
            name: SIGNALS[1],
            status: Status::Ok,
            figures: json!({ "station": st_id, "weeks": subgroups.len() }),
            message: format!(
                "too few weeks of first visits at {st_id} to chart their yield (need 6)"
            ),
        };
    };
    let k = chart.points.len();
    let below = |day: &str| {
        chart
            .points
            .iter()
            .position(|p| p.day == day)
            .is_some_and(|i| chart.points[i].yield_ < chart.center)
    };
    let recent = |i: usize, w: usize| i + w >= k;
    let pos = |day: &str| chart.points.iter().position(|p| p.day == day).unwrap_or(0);
    let alarm = chart
        .signals
        .iter()
        .any(|s| (s.rule == 1 || s.rule == 2) && below(&s.day) && recent(pos(&s.day), 4));
    let warn = chart
        .signals
        .iter()
        .any(|s| below(&s.day) && recent(pos(&s.day), 8));
    let status = if alarm {
        Status::Alarm
    } else if warn {
        Status::Warn
    } else {
        Status::Ok
    };
    let first = chart.points.first().map_or(0.0, |p| p.yield_);
    let latest = chart.points.last().map_or(0.0, |p| p.yield_);
    // The latest week that signalled below the centre, with its own yield: the text
    // quotes what it claims.
    let signal_week = chart
        .signals
        .iter()
        .rev()
        .find(|s| below(&s.day))
        .map(|s| (s.day.clone(), chart.points[pos(&s.day)].yield_));
    let c = chart.center * 100.0;
    let message = match (status, &signal_week) {
        (Status::Ok, _) | (_, None) => {
            format!("first-visit yield at {st_id} holds near its baseline {c:.1} %")
        }
        (_, Some((week, y))) if latest < chart.center => format!(
            "first-visit yield at {st_id} is below its baseline {c:.1} % (week of {week}: {:.1} %; latest week {:.1} %): the easy targets are used up",
            y * 100.0,
            latest * 100.0
        ),
        (_, Some((week, y))) => format!(
            "first-visit yield at {st_id} fell below its baseline {c:.1} % in the week of {week} ({:.1} %) and is back at {:.1} % in the latest week: watch whether the easy targets are running out",
            y * 100.0,
            latest * 100.0
        ),
    };
    Signal {
        name: SIGNALS[1],
        status,
        figures: json!({
            "station": st_id, "chart": chart.chart.as_str(), "center": chart.center,
            "first_week_yield": first, "latest_week_yield": latest, "weeks": k,
            "downward_signals": chart.signals.iter().filter(|s| below(&s.day)).count(),
            "signal_week": signal_week.as_ref().map(|w| &w.0),
            "signal_week_yield": signal_week.as_ref().map(|w| w.1),
        }),
        message,
    }
}

pub(super) fn burn(
    share_now: f64,
    share_before: f64,
    burned: u64,
    units_are: &str,
    dte: Option<f64>,
    params: WatchParams,
) -> Signal {
    let rise = share_now - share_before;
    let h = params.horizon_days;
    let status = if rise > 0.02 || dte.is_some_and(|d| d < h / 3.0) {
        Status::Alarm
    } else if rise > 0.005 || dte.is_some_and(|d| d < h) {
        Status::Warn
    } else {
        Status::Ok
    };
    Signal {
        name: SIGNALS[2],
        status,
        figures: json!({
            "territory_known": true, "units_are": units_are,
            "burned": burned, "burned_share": share_now, "burned_share_28d_ago": share_before,
            "days_to_exhaustion": dte, "horizon_days": h,
        }),
        message: format!(
            "{:.1} % of the territory's {units_are} are burned (was {:.1} % 28 days ago); {}",
            share_now * 100.0,
            share_before * 100.0,
            dte.map_or_else(
                || "no fresh territory is being consumed".into(),
                |d| format!("fresh territory lasts {d:.0} working days")
            )
        ),
    }
}

pub(super) fn saturation(line: &Line, over_cap: u64, touched: u64, report: &Report) -> Signal {
    let share = if touched > 0 {
        over_cap as f64 / touched as f64
    } else {
        0.0
    };
    let in_line = report.territory.in_line;
    let status = if share > 0.01 {
        Status::Alarm
    } else if over_cap > 0 {
        Status::Warn
    } else {
        Status::Ok
    };
    Signal {
        name: SIGNALS[3],
        status,
        figures: json!({
            "contacts_over_touch_cap": over_cap, "contacts_touched_30d": touched, "share": share,
            "max_touches_per_contact_30d": line.guardrails.max_touches_per_contact_30d,
            "units_in_line": in_line,
        }),
        message: format!(
            "{over_cap} of {touched} contacts touched in the last 30 days got more than {} touches",
            line.guardrails.max_touches_per_contact_30d
        ),
    }
}

pub(super) fn dilution(line: &Line, counts: &[[[u64; 2]; 2]]) -> Signal {
    let Some(booked_at) = line.station_with_role(Role::Booked) else {
        return Signal {
            name: SIGNALS[4],
            status: Status::Ok,
            figures: json!({}),
            message: "no station is the booked one (declare role = \"booked\" in line.toml, or give the line three stations): no booked/held/qualified to compare"
                .into(),
        };
    };
    let booked = counts[booked_at];
    let (b0, b1) = (booked[0][0], booked[1][0]);
    let booked_up = b0 > 0 && b1 as f64 > b0 as f64 * 1.10;
    let mut worst_p = 1.0f64;
    let mut figures = serde_json::Map::new();
    figures.insert("booked_prior".into(), json!(b0));
    figures.insert("booked_recent".into(), json!(b1));
    let downstream = [Role::Held, Role::Qualified]
        .into_iter()
        .filter_map(|r| line.station_with_role(r).map(|s| (r.name(), s)));
    for (name, s) in downstream {
        let [prior, recent] = counts[s];
        let y0 = (prior[1] > 0).then(|| prior[0] as f64 / prior[1] as f64);
        let y1 = (recent[1] > 0).then(|| recent[0] as f64 / recent[1] as f64);
        figures.insert(format!("{name}_yield_prior"), json!(y0));
        figures.insert(format!("{name}_yield_recent"), json!(y1));
        if let (Some(a), Some(b)) = (y0, y1)
            && b < a
            && let Ok(z) = ztest_pooled(recent[0], recent[1], prior[0], prior[1])
        {
            worst_p = worst_p.min(z.p_value);
        }
    }
    figures.insert("p_value".into(), json!(worst_p));
    let status = if booked_up && worst_p < 0.05 {
        Status::Alarm
    } else if booked_up && worst_p < 0.2 {
        Status::Warn
    } else {
        Status::Ok
    };
    Signal {
        name: SIGNALS[4],
        status,
        figures: Value::Object(figures),
        message: if status == Status::Ok {
            format!(
                "meetings booked {b0} → {b1} over 28 days without a significant fall in held or qualified share"
            )
        } else {
            format!(
                "meetings booked rose {b0} → {b1} while the held or qualified share fell (p = {worst_p:.3}): more meetings, worse ones"
            )
        },
    }
}

pub(super) fn harm(line: &Line, optouts: u64, touches: u64) -> Signal {
    let rate = (touches > 0).then(|| optouts as f64 / touches as f64);
    let limit = line.guardrails.max_optout_rate;
    let status = match rate {
        Some(r) if r > limit => Status::Alarm,
        Some(r) if r > limit / 2.0 => Status::Warn,
        _ => Status::Ok,
    };
    Signal {
        name: SIGNALS[5],
        status,
        figures: json!({ "optouts_30d": optouts, "touches_30d": touches, "optout_rate": rate, "max_optout_rate": limit }),
        message: match rate {
            Some(r) => format!(
                "{optouts} people opted out for {touches} touches in the last 30 days: {:.2} % against the {:.2} % limit",
                r * 100.0,
                limit * 100.0
            ),
            None => "no touches in the last 30 days".into(),
        },
    }
}
