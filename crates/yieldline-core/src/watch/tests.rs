//! Each watch signal: a log that triggers it and one that narrowly does not.

use std::borrow::Cow;

use jiff::civil::Date;

use super::*;
use crate::event::{Event, RawEvent};
use crate::facts::{Interner, log_from_events};
use crate::report::{Period, report};

const LINE: &str = "[line]\nname='w'\ntimezone='UTC'\ntarget_per_day=1\n\
[[station]]\nid='first-touch'\noperator='automation'\ncapacity_per_day=1000\n\
[[station]]\nid='meeting-booked'\noperator='human'\ncapacity_per_day=100\n\
[[station]]\nid='meeting-held'\noperator='human'\ncapacity_per_day=100\n\
[[station]]\nid='qualified'\noperator='human'\ncapacity_per_day=100\n";

const AS_OF: Date = Date::constant(2025, 6, 27);

/// Builds logs with events `days_before` the end of `AS_OF` (noon UTC).
#[derive(Default)]
struct Log {
    events: Vec<Event>,
}

impl Log {
    fn push(
        &mut self,
        unit: &str,
        station: &str,
        kind: &str,
        days_before: i64,
        extra: &[(&str, &str)],
    ) {
        let day = AS_OF
            .checked_sub(jiff::Span::new().days(days_before))
            .expect("date");
        let mut r = RawEvent {
            event_id: Some(Cow::Owned(format!("e{:07}", self.events.len()))),
            ts: Some(Cow::Owned(format!("{day}T12:00:00Z"))),
            unit_id: Some(Cow::Owned(unit.to_owned())),
            account_id: Some(Cow::Owned(format!("a-{unit}"))),
            station: Some(Cow::Owned(station.to_owned())),
            kind: Some(Cow::Owned(kind.to_owned())),
            ..RawEvent::default()
        };
        for (k, v) in extra {
            let v = Some(Cow::Owned((*v).to_owned()));
            match *k {
                "reason" => r.reason = v,
                "channel" => r.channel = v,
                "operator_kind" => r.operator_kind = v,
                _ => unreachable!("{k}"),
            }
        }
        let line = Line::from_toml("line.toml", LINE).expect("line");
        self.events
            .push(r.validate(&line, jiff::Timestamp::now()).expect("valid"));
    }
    fn touch(&mut self, unit: &str, days_before: i64, automated: bool) {
        let op = if automated { "automation" } else { "human" };
        self.push(
            unit,
            "first-touch",
            "touch",
            days_before,
            &[("channel", "email"), ("operator_kind", op)],
        );
    }
    fn visit(&mut self, unit: &str, station: &str, days_before: i64, passed: bool) {
        self.push(unit, station, "entered", days_before, &[]);
        if passed {
            self.push(unit, station, "passed", days_before, &[]);
        } else {
            self.push(
                unit,
                station,
                "failed",
                days_before,
                &[("reason", "no_response")],
            );
        }
    }
    fn run(&self, territory: usize) -> Watch {
        self.run_on(LINE, territory)
    }
    /// Runs with outside evidence (drift, running experiments).
    fn run_with(&self, territory: usize, ctx: &WatchContext) -> Watch {
        let line = Line::from_toml("line.toml", LINE).expect("line");
        let mut units = Interner::default();
        let log = log_from_events(&line, &self.events, &mut units);
        let territory: Vec<u32> = (0..territory)
            .map(|i| units.intern(&format!("t{i}")))
            .collect();
        let from = AS_OF.checked_sub(jiff::Span::new().days(83)).expect("date");
        let r = report(
            &line,
            &log,
            &territory,
            Period {
                from: Some(from),
                to: Some(AS_OF),
            },
        )
        .expect("report");
        watch_with(&line, &log, &r, AS_OF, WatchParams::default(), ctx)
    }
    /// Runs on another line definition (with the same station ids, and maybe more).
    fn run_on(&self, line_toml: &str, territory: usize) -> Watch {
        let line = Line::from_toml("line.toml", line_toml).expect("line");
        let mut units = Interner::default();
        let log = log_from_events(&line, &self.events, &mut units);
        let territory: Vec<u32> = (0..territory)
            .map(|i| units.intern(&format!("t{i}")))
            .collect();
        let from = AS_OF.checked_sub(jiff::Span::new().days(83)).expect("date");
        let r = report(
            &line,
            &log,
            &territory,
            Period {
                from: Some(from),
                to: Some(AS_OF),
            },
        )
        .expect("report");
        watch(&line, &log, &r, AS_OF, WatchParams::default())
    }
}

fn status(w: &Watch, name: &str) -> Status {
    w.signal(name).expect("signal").status
}

#[test]
fn marginal_yield_alarms_when_extra_automation_adds_almost_nothing() {
    let build = |recent_output: usize| {
        let mut l = Log::default();
        for i in 0..100 {
            l.touch(&format!("p{i}"), 40, true);
        }
        for i in 0..300 {
            l.touch(&format!("r{i}"), 10, true);
        }
        for i in 0..10 {
            l.visit(&format!("po{i}"), "qualified", 40, true);
        }
        for i in 0..recent_output {
            l.visit(&format!("ro{i}"), "qualified", 10, true);
        }
        l.run(0)
    };
    // Touches ×3, output 10 → 11: marginal 1/200 = 0.005 against 0.1 on average.
    let w = build(11);
    assert_eq!(
        status(&w, "marginal_yield_of_automation"),
        Status::Alarm,
        "{:?}",
        w.signal("marginal_yield_of_automation")
    );
    assert_eq!(w.health, "red");
    assert!(w.action.contains("freeze"));
    // Output 10 → 30: the increment pays as well as the average.
    let w = build(30);
    assert_eq!(status(&w, "marginal_yield_of_automation"), Status::Ok);
}

#[test]
fn depletion_alarms_when_first_visit_yield_falls() {
    let build = |late_passes: usize| {
        let mut l = Log::default();
        for week in 0..12i64 {
            let passes = if week >= 8 { late_passes } else { 30 };
            for i in 0..100 {
                let unit = format!("w{week}u{i}");
                l.touch(&unit, (11 - week) * 7 + 1, true);
                l.visit(&unit, "first-touch", (11 - week) * 7 + 1, i < passes);
            }
        }
        l.run(0)
    };
    let w = build(10);
    assert_eq!(
        status(&w, "low_hanging_fruit_depletion"),
        Status::Alarm,
        "{:?}",
        w.signal("low_hanging_fruit_depletion")
    );
    let w = build(29);
    assert_eq!(
        status(&w, "low_hanging_fruit_depletion"),
        Status::Ok,
        "{:?}",
        w.signal("low_hanging_fruit_depletion")
    );
}

#[test]
fn running_out_of_the_best_fit_tier_alone_is_amber_with_widen_the_territory() {
    let mut l = Log::default();
    for week in 0..12i64 {
        let passes = if week >= 8 { 10 } else { 30 };
        for i in 0..100 {
            let unit = format!("w{week}u{i}");
            l.touch(&unit, (11 - week) * 7 + 1, true);
            l.visit(&unit, "first-touch", (11 - week) * 7 + 1, i < passes);
        }
    }
    let w = l.run(0);
    assert_eq!(status(&w, "low_hanging_fruit_depletion"), Status::Alarm);
    // Nothing harmful is in progress: amber, and the action is about the territory.
    assert_eq!(w.health, "amber", "{:?}", w.signals);
    assert!(
        w.action.contains("widen or enrich the territory"),
        "{}",
        w.action
    );
    assert!(!w.action.contains("run an experiment"), "{}", w.action);
}

#[test]
fn no_territory_imported_is_territory_unknown_not_a_burn_alarm() {
    let mut l = Log::default();
    for i in 0..800 {
        l.visit(&format!("t{i}"), "first-touch", 60, false);
    }
    for i in 0..600 {
        l.push(&format!("t{i}"), "first-touch", "optout", 5, &[]);
    }
    let w = l.run(0);
    let s = w.signal("territory_burn").expect("signal");
    assert_eq!(s.status, Status::Ok, "{s:?}");
    assert!(s.message.starts_with("territory unknown"), "{}", s.message);
    assert_eq!(s.figures["territory_known"], false);
    assert_eq!(w.brake, None);
}

#[test]
fn a_running_experiment_replaces_the_advice_to_run_one() {
    let mut l = Log::default();
    for i in 0..100 {
        l.touch(&format!("p{i}"), 40, true);
    }
    for i in 0..300 {
        l.touch(&format!("r{i}"), 10, true);
    }
    for i in 0..10 {
        l.visit(&format!("po{i}"), "qualified", 40, true);
    }
    for i in 0..16 {
        l.visit(&format!("ro{i}"), "qualified", 10, true);
    }
    // Touches ×3, output 10 → 16: marginal 0.03 against 0.1 on average (warn).
    let w = l.run(0);
    assert_eq!(status(&w, "marginal_yield_of_automation"), Status::Warn);
    assert!(
        w.action
            .contains("run an experiment on station first-touch"),
        "{}",
        w.action
    );
    let ctx = WatchContext {
        experiments: vec![("first-touch".into(), "auto-ft".into())],
        ..WatchContext::default()
    };
    let w = l.run_with(0, &ctx);
    assert!(!w.action.contains("run an experiment"), "{}", w.action);
    assert!(
        w.action
            .contains("let the experiment running at first-touch (auto-ft) reach its verdict"),
        "{}",
        w.action
    );
}

#[test]
fn a_yield_shift_on_the_control_chart_is_a_signal_and_an_action() {
    let shift = |signalled_on: &str| DriftShift {
        station: "reply".into(),
        chart: "ewma".into(),
        run_start: "2025-04-28".into(),
        signalled_on: signalled_on.into(),
        before: 0.41,
        after: 0.29,
    };
    let l = Log::default();
    let ctx = WatchContext {
        drift: Some(vec![shift("2025-06-26")]),
        ..WatchContext::default()
    };
    let w = l.run_with(0, &ctx);
    let s = w.signal("yield_drift").expect("signal");
    assert_eq!(s.status, Status::Warn, "{s:?}");
    assert!(
        s.message
            .contains("reply's yield shifted down from 41.0 % to 29.0 % since 2025-04-28"),
        "{}",
        s.message
    );
    assert_eq!(w.health, "amber");
    assert!(
        w.action
            .contains("find what changed at reply around 2025-04-28"),
        "{}",
        w.action
    );
    // A shift the chart stopped signalling two months ago is history, not news.
    let ctx = WatchContext {
        drift: Some(vec![shift("2025-04-30")]),
        ..WatchContext::default()
    };
    assert_eq!(status(&l.run_with(0, &ctx), "yield_drift"), Status::Ok);
}

#[test]
fn on_the_cohort_basis_dilution_compares_entry_cohorts_old_enough_to_judge() {
    let mut l = Log::default();
    // Entry cohorts 70 and 40 days back: booked 20 → 40, held 80 % in both.
    for i in 0..20 {
        l.visit(&format!("pb{i}"), "meeting-booked", 70, true);
        l.visit(&format!("ph{i}"), "meeting-held", 70, i < 16);
    }
    for i in 0..40 {
        l.visit(&format!("rb{i}"), "meeting-booked", 40, true);
        l.visit(&format!("rh{i}"), "meeting-held", 40, i < 32);
    }
    // Ten days back, 80 bookings and 40 held visits all lost at once: too young for a
    // 30-day cohort, but they fill the period basis's recent window.
    for i in 0..80 {
        l.visit(&format!("yb{i}"), "meeting-booked", 10, true);
    }
    for i in 0..40 {
        l.visit(&format!("yh{i}"), "meeting-held", 10, false);
    }
    assert_eq!(status(&l.run(0), "quality_dilution"), Status::Alarm);
    let ctx = WatchContext {
        basis: Some(Basis::cohort(30, "test")),
        ..WatchContext::default()
    };
    let w = l.run_with(0, &ctx);
    let s = w.signal("quality_dilution").expect("signal");
    assert_eq!(s.status, Status::Ok, "{s:?}");
    assert_eq!(
        (
            s.figures["booked_prior"].clone(),
            s.figures["booked_recent"].clone()
        ),
        (20.into(), 40.into())
    );
    assert_eq!(w.basis.horizon_days, Some(30));
}

#[test]
fn burn_alarms_on_a_rising_burned_share() {
    let build = |recent_burns: usize| {
        let mut l = Log::default();
        for i in 0..800 {
            l.visit(&format!("t{i}"), "first-touch", 60, false);
        }
        for i in 0..recent_burns {
            l.push(&format!("t{i}"), "first-touch", "optout", 5, &[]);
        }
        l.run(20_000)
    };
    // 600 of 20,000 burned in 28 days: +3 points.
    assert_eq!(status(&build(600), "territory_burn"), Status::Alarm);
    // 60 (+0.3 points), and 19,200 fresh units left at 800 per 60 days: fine.
    let w = build(60);
    assert_eq!(
        status(&w, "territory_burn"),
        Status::Ok,
        "{:?}",
        w.signal("territory_burn")
    );
}

#[test]
fn saturation_alarms_on_contacts_over_the_touch_cap() {
    let build = |extra: i64| {
        let mut l = Log::default();
        for i in 0..10 {
            for t in 0..6 {
                l.touch(&format!("c{i}"), 1 + t, false);
            }
        }
        for t in 0..extra {
            l.touch("c0", 20 + t, false);
        }
        l.run(0)
    };
    assert_eq!(status(&build(1), "saturation"), Status::Alarm);
    assert_eq!(status(&build(0), "saturation"), Status::Ok);
}

#[test]
fn quality_dilution_alarms_when_more_meetings_are_worse_ones() {
    let build = |recent_held: usize| {
        let mut l = Log::default();
        for i in 0..20 {
            l.visit(&format!("pb{i}"), "meeting-booked", 40, true);
            l.visit(&format!("ph{i}"), "meeting-held", 40, i < 16);
        }
        for i in 0..40 {
            l.visit(&format!("rb{i}"), "meeting-booked", 10, true);
            l.visit(&format!("rh{i}"), "meeting-held", 10, i < recent_held);
        }
        l.run(0)
    };
    // Booked 20 → 40; held 80 % → 40 %.
    assert_eq!(status(&build(16), "quality_dilution"), Status::Alarm);
    // Held 80 % → 77.5 %: no real fall.
    assert_eq!(status(&build(31), "quality_dilution"), Status::Ok);
}

#[test]
fn quality_dilution_finds_the_meeting_stations_by_role_not_position() {
    // A station after `qualified` (a hand-off): by position the last three would be
    // held, qualified and hand-off; the roles say which are booked, held and qualified.
    let with_roles =
        LINE.replace(
            "id='meeting-booked'\noperator='human'",
            "id='meeting-booked'\nrole='booked'\noperator='human'",
        )
        .replace(
            "id='meeting-held'\noperator='human'",
            "id='meeting-held'\nrole='held'\noperator='human'",
        )
        .replace(
            "id='qualified'\noperator='human'",
            "id='qualified'\nrole='qualified'\noperator='human'",
        ) + "[[station]]\nid='handoff'\noperator='human'\ncapacity_per_day=100\n";
    let mut l = Log::default();
    for i in 0..20 {
        l.visit(&format!("pb{i}"), "meeting-booked", 40, true);
        l.visit(&format!("ph{i}"), "meeting-held", 40, i < 16);
    }
    for i in 0..40 {
        l.visit(&format!("rb{i}"), "meeting-booked", 10, true);
        l.visit(&format!("rh{i}"), "meeting-held", 10, i < 16);
    }
    let w = l.run_on(&with_roles, 0);
    let s = w.signal("quality_dilution").expect("signal");
    assert_eq!(s.status, Status::Alarm, "{s:?}");
    assert_eq!(s.figures["booked_recent"], 40);
    // Without roles the same five-station line is read by position, as before.
    let by_position =
        LINE.to_owned() + "[[station]]\nid='handoff'\noperator='human'\ncapacity_per_day=100\n";
    let w = l.run_on(&by_position, 0);
    assert_eq!(
        w.signal("quality_dilution").expect("signal").figures["booked_recent"],
        16
    );
}

#[test]
fn buyer_harm_alarms_above_the_optout_limit() {
    let build = |optouts: usize| {
        let mut l = Log::default();
        for i in 0..1000 {
            l.touch(&format!("h{i}"), 3, true);
        }
        for i in 0..optouts {
            // Both records of one opt-out: they count once.
            l.push(&format!("h{i}"), "first-touch", "optout", 2, &[]);
            l.push(
                &format!("h{i}"),
                "first-touch",
                "failed",
                2,
                &[("reason", "optout")],
            );
        }
        l.run(0)
    };
    // 4 / 1000 = 0.4 % > 0.3 %.
    assert_eq!(status(&build(4), "buyer_harm"), Status::Alarm);
    // 1 / 1000 = 0.1 % < half the limit.
    let w = build(1);
    assert_eq!(status(&w, "buyer_harm"), Status::Ok);
    let json = serde_json::to_string(&w).expect("json");
    assert!(json.contains("\"health\"") && !json.contains("NaN"));
}

/// Table test: whatever the weekly first-visit yields, the depletion text agrees with
/// the figures it quotes — "is below" only when the latest week is below the baseline,
/// and the week it names signalled below it.
#[test]
fn depletion_text_agrees_with_its_figures() {
    let table: [[usize; 4]; 4] = [
        [10, 10, 10, 10],
        [10, 10, 10, 60],
        [10, 10, 45, 45],
        [30, 30, 30, 5],
    ];
    for late in table {
        let mut l = Log::default();
        for week in 0..12i64 {
            let passes = if week >= 8 {
                late[(week - 8) as usize]
            } else {
                30
            };
            for i in 0..100 {
                let unit = format!("w{week}u{i}");
                l.touch(&unit, (11 - week) * 7 + 1, true);
                l.visit(&unit, "first-touch", (11 - week) * 7 + 1, i < passes);
            }
        }
        let w = l.run(0);
        let s = w.signal("low_hanging_fruit_depletion").expect("signal");
        let f = &s.figures;
        let center = f["center"].as_f64().expect("center");
        let latest = f["latest_week_yield"].as_f64().expect("latest");
        let says_below = s.message.contains("is below") || s.message.contains("falling below");
        assert!(
            !says_below || latest < center,
            "{late:?}: {} (centre {center}, latest {latest})",
            s.message
        );
        if s.status != Status::Ok {
            let y = f["signal_week_yield"].as_f64().expect("signal week");
            assert!(y < center, "{late:?}: {}", s.message);
            assert!(
                s.message.contains(&format!("{:.1} %", latest * 100.0)),
                "{}",
                s.message
            );
        }
    }
}
