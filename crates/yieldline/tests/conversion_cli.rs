//! End-to-end: `report --as-of` and `conversion` on a hand-computed cohort.

mod common;

use common::*;

use serde_json::{Value, json as j};

/// Five contacts enter research on 2025-03-03 (noon UTC): passed after 2 and 10 days,
/// failed after 5, one still open, one passed after 25 days (after the as-of day).
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    let rows = [
        "e01,2025-03-03T12:00:00Z,c1,a1,research,entered,",
        "e02,2025-03-05T12:00:00Z,c1,a1,research,passed,",
        "e03,2025-03-03T12:00:00Z,c2,a2,research,entered,",
        "e04,2025-03-13T12:00:00Z,c2,a2,research,passed,",
        "e05,2025-03-03T12:00:00Z,c3,a3,research,entered,",
        "e06,2025-03-08T12:00:00Z,c3,a3,research,failed,disqualified",
        "e07,2025-03-03T12:00:00Z,c4,a4,research,entered,",
        "e08,2025-03-03T12:00:00Z,c5,a5,research,entered,",
        "e09,2025-03-28T12:00:00Z,c5,a5,research,passed,",
    ];
    let csv = format!(
        "event_id,ts,unit_id,account_id,station,kind,reason\n{}\n",
        rows.join("\n")
    );
    std::fs::write(dir.path().join("events.csv"), csv).expect("events");
    ok(dir.path(), &["import", "events", "events.csv"]);
    dir
}

fn close(v: &Value, x: f64) -> bool {
    v.as_f64().is_some_and(|a| (a - x).abs() <= 1e-9)
}

#[test]
fn report_as_of_and_conversion_give_the_hand_computed_cohort() {
    let ws = workspace();
    let d = ws.path();
    // Followed to the end of 2025-03-22 (New York, EDT): c5's pass is not seen yet.
    let r = json(
        d,
        &[
            "report",
            "--from",
            "2025-03-03",
            "--to",
            "2025-03-07",
            "--as-of",
            "2025-03-22",
            "--format",
            "json",
        ],
    );
    let c = &r["stations"][0]["conversion"];
    assert_eq!(c["as_of"], "2025-03-23T04:00:00Z");
    assert_eq!((c["visits"].clone(), c["open"].clone()), (j!(5), j!(2)));
    assert_eq!(c["horizons_days"], j!([7, 14, 30, 60, 90]));
    // KM: 4/5 after the pass at day 2, 3/5 after the failure at 5, 2/5 after the pass at
    // 10; F_pass(7) = 1/5, F_pass(14) = 1/5 + 3/5 · 1/3 = 2/5; F_fail = 1/5. Follow-up is
    // 19.7 days, so 30, 60 and 90 days are unknown.
    let p = &c["passed_by"];
    assert!(close(&p[0], 0.2) && close(&p[1], 0.4), "{p}");
    assert!(p[2].is_null() && p[3].is_null() && p[4].is_null(), "{p}");
    assert!(close(&c["failed_by"][1], 0.2), "{c}");
    assert!(close(&c["median_days_to_disposition"], 10.0), "{c}");
    let lo = &c["passed_by_ci"][0][0];
    assert!(
        lo.as_f64()
            .is_some_and(|x| (x - 0.00434184379990175).abs() < 1e-12),
        "{c}"
    );
    // The period cohort (entered 3–7 March) by the period's end: 1 passed, 4 still
    // open, and a yield of 1/5 with the open ones stated (it was 1/1 = 1.000).
    let k = &r["stations"][0]["cohort"];
    assert_eq!((k["passed"].clone(), k["open"].clone()), (j!(1), j!(4)));
    assert!(close(&k["yield"], 0.2), "{k}");

    // The same cohort, as a weekly curve.
    let v = json(
        d,
        &[
            "conversion",
            "--station",
            "research",
            "--as-of",
            "2025-03-22",
            "--format",
            "json",
        ],
    );
    let k = &v["stations"][0]["cohorts"][0];
    assert_eq!(k["cohort"], "2025-03-03");
    assert!(close(&k["passed_by"][1], 0.4), "{k}");
    let curve = k["curve"].as_array().expect("curve");
    assert_eq!(curve.len(), 20, "days 0..=19 of follow-up");
    assert!(close(&curve[1][1], 0.0) && close(&curve[2][1], 0.2) && close(&curve[10][1], 0.4));
    // Followed to the latest event (c5's pass on 28 March): one visit open.
    let v = json(d, &["conversion", "--format", "json"]);
    assert_eq!(v["stations"][0]["cohorts"][0]["open"], 1);
    let svg = ok(
        d,
        &["conversion", "--station", "research", "--format", "svg"],
    );
    assert!(
        svg.starts_with("<svg") && svg.contains("2025-03-03 (5 visits)"),
        "{svg}"
    );
    assert!(fails(d, &["conversion", "--format", "svg"]).contains("--station"));
    let table = ok(d, &["conversion", "--as-of", "2025-03-22"]);
    assert!(table.contains("40.0%"), "{table}");
}

/// A lead funnel whose wins are recorded 14 days after entry and losses only at a
/// 180-day timeout; intake falls from 20 a day to 2 a day after day 200, so the last
/// 60 working days see recent wins against the timeouts of the busy months.
fn lagging_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("line.toml"),
        "[line]\nname='leads'\ntimezone='UTC'\ntarget_per_day=1\n\
         [[station]]\nid='lead'\noperator='human'\ncapacity_per_day=80\n",
    )
    .expect("line");
    let t0: jiff::Timestamp = "2024-01-01T12:00:00Z".parse().expect("ts");
    let day = |d: i64| {
        t0.checked_add(jiff::SignedDuration::from_hours(24 * d))
            .expect("ts")
    };
    let last = 300;
    let mut csv = String::from("event_id,ts,unit_id,account_id,station,kind,reason\n");
    let mut n = 0u64;
    for d in 0..last {
        for _ in 0..if d < 200 { 20 } else { 2 } {
            n += 1;
            csv.push_str(&format!("e{n}a,{},u{n},a{n},lead,entered,\n", day(d)));
            let (after, kind, reason) = if n % 100 < 27 {
                (14, "passed", "")
            } else {
                (180, "failed", "no_response")
            };
            if d + after <= last {
                csv.push_str(&format!(
                    "e{n}b,{},u{n},a{n},lead,{kind},{reason}\n",
                    day(d + after)
                ));
            }
        }
    }
    std::fs::write(dir.path().join("events.csv"), csv).expect("events");
    ok(dir.path(), &["import", "events", "events.csv"]);
    dir
}

#[test]
fn a_lagging_line_is_said_so_and_plans_on_cohort_conversion() {
    let ws = lagging_workspace();
    let d = ws.path();
    let r = json(d, &["report", "--format", "json"]);
    let lag = &r["stations"][0]["lag"];
    assert_eq!(lag["detected"], true, "{lag}");
    assert!(close(&lag["median_days_to_pass"], 14.0) && close(&lag["median_days_to_fail"], 180.0));
    assert!(ok(d, &["report"]).contains("lag          lead: outcomes lag differently"));

    // The default chooses the cohort basis and says why; the yield is the share of
    // entries passed within 90 days (27 %), not the window's 3 % of dispositions.
    let p = json(d, &["plan", "--runs", "200", "--format", "json"]);
    assert_eq!(p["basis"]["basis"], "cohort", "{}", p["basis"]);
    assert_eq!(p["basis"]["horizon_days"], 90);
    assert!(
        p["basis"]["reason"]
            .as_str()
            .expect("reason")
            .contains("lag differently at lead")
    );
    let y = p["stations"][0]["yield"].as_f64().expect("yield");
    assert!((y - 0.27).abs() < 0.01, "cohort yield {y}");
    assert!(!p["lag_notes"].as_array().expect("notes").is_empty());
    let period = json(
        d,
        &[
            "plan", "--runs", "200", "--basis", "period", "--format", "json",
        ],
    );
    assert_eq!(period["basis"]["basis"], "period");
    let yp = period["stations"][0]["yield"].as_f64().expect("yield");
    assert!(yp < 0.06, "period yield {yp}");
    let need = |p: &Value| {
        p["stations"][0]["required_dispositions_per_day"]
            .as_f64()
            .expect("need")
    };
    assert!(
        need(&period) > 5.0 * need(&p),
        "{} vs {}",
        need(&period),
        need(&p)
    );

    let w = json(d, &["watch", "--format", "json"]);
    assert_eq!(w["basis"]["basis"], "cohort");
    assert_eq!(w["basis"]["horizon_days"], 30);
    assert!(!w["lag_notes"].as_array().expect("notes").is_empty());
    // No territory was imported: unknown, not a burn alarm, and not red for it.
    assert_ne!(w["health"], "red", "{w}");
    let table = ok(d, &["watch"]);
    assert!(
        table.contains("basis        cohort conversion within 30 days"),
        "{table}"
    );
}
