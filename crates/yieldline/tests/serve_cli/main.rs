//! End to end: the real `yieldline serve` binary on 127.0.0.1 with a random port, a
//! real HTTP client, demo-like workspaces and tokens made by `yieldline token create`.

#[path = "../common/mod.rs"]
mod common;
mod isolation;
mod support;

use common::{HEADER, ok};
use serde_json::Value;
use support::*;

#[test]
fn every_get_equals_the_cli_json_and_writes_invalidate_the_cache() {
    let f = fixture();
    let viewer = token(&f.alpha, "viewer", "v");
    let analyst = token(&f.alpha, "analyst", "a");
    let mut server = Server::start(&[&f.alpha, &f.beta]);
    let base = format!("{}/api/v1/workspaces/alpha", server.url);
    let cases: &[(&str, &[&str])] = &[
        ("report", &["report", "--format", "json"]),
        (
            "report?from=2025-07-01&to=2025-08-29",
            &[
                "report",
                "--from",
                "2025-07-01",
                "--to",
                "2025-08-29",
                "--format",
                "json",
            ],
        ),
        ("drift", &["drift", "--format", "json"]),
        (
            "drift?station=reply&chart=ewma&period=week&baseline=2025-06-02..2025-07-11",
            &[
                "drift",
                "--station",
                "reply",
                "--chart",
                "ewma",
                "--period",
                "week",
                "--baseline",
                "2025-06-02..2025-07-11",
                "--format",
                "json",
            ],
        ),
        (
            "plan?target=2&runs=500&seed=3",
            &[
                "plan", "--target", "2", "--runs", "500", "--seed", "3", "--format", "json",
            ],
        ),
        ("watch", &["watch", "--format", "json"]),
        (
            "watch?as_of=2025-09-30&horizon=30",
            &[
                "watch",
                "--as-of",
                "2025-09-30",
                "--horizon",
                "30",
                "--format",
                "json",
            ],
        ),
        (
            "dispatch?date=2025-10-20",
            &["dispatch", "--date", "2025-10-20", "--format", "json"],
        ),
        ("experiments", &["experiment", "list", "--format", "json"]),
        (
            "experiments/auto-first-touch/analysis?as_of=2025-10-01",
            &[
                "experiment",
                "analyze",
                "auto-first-touch",
                "--as-of",
                "2025-10-01",
                "--format",
                "json",
            ],
        ),
        ("suppressions", &["suppress", "list", "--format", "json"]),
    ];
    for (route, args) in cases {
        let cli = ok(&f.alpha, args);
        let http = get(&format!("{base}/{route}"), Some(&viewer));
        assert_eq!(http.status, 200, "{route}: {}", http.body);
        assert_eq!(http.content_type, "application/json", "{route}");
        let cli_json: Value = serde_json::from_str(&cli).expect("cli json");
        assert_eq!(
            http.json(),
            cli_json,
            "{route}: the server and the CLI disagree"
        );
        if !route.starts_with("dispatch") {
            // Maps aside (dispatch's `excluded`), the bytes are the CLI's.
            assert_eq!(http.body, cli, "{route}: not byte for byte");
        }
        // Asked again: the same answer, from the cache.
        assert_eq!(
            get(&format!("{base}/{route}"), Some(&viewer)).body,
            http.body
        );
    }
    // Dispatch as CSV is the CLI's CSV.
    let csv = call(
        "GET",
        &format!("{base}/dispatch?date=2025-10-20"),
        Some(&viewer),
        None,
        &[("Accept", "text/csv")],
    );
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert_eq!(
        csv.body,
        ok(
            &f.alpha,
            &["dispatch", "--date", "2025-10-20", "--format", "csv"]
        )
    );
    assert!(
        csv.body
            .starts_with("date,station,unit_id,account_id,operator_kind,arm,reason\n")
    );

    // A write changes the store's generation, so the cached report is recomputed.
    let before = get(&format!("{base}/report"), Some(&viewer)).json();
    let body = events_csv("new", 5);
    let r = call(
        "POST",
        &format!("{base}/events"),
        Some(&analyst),
        Some(("text/csv", body.as_bytes())),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["imported"], 10);
    let after = get(&format!("{base}/report"), Some(&viewer));
    assert_ne!(after.json(), before);
    assert_eq!(after.body, ok(&f.alpha, &["report", "--format", "json"]));
    // Posting the same body again changes nothing (idempotent).
    let again = call(
        "POST",
        &format!("{base}/events"),
        Some(&analyst),
        Some(("text/csv", body.as_bytes())),
        &[],
    );
    assert_eq!(
        (
            again.json()["imported"].clone(),
            again.json()["duplicates"].clone()
        ),
        (0.into(), 10.into())
    );
    // The summary carries the workspace's anomalies: an outcome posted without its
    // entry is counted (its entry implied), as `check` lists it.
    let before = r.json()["anomalies"]["outcome_without_entry"]
        .as_u64()
        .expect("the import summary counts the workspace's anomalies");
    let orphan = format!(
        "{HEADER}\norphan-d,2025-03-10T15:00:00-05:00,orphan-u,orphan-a,research,passed,,,,,,,,\n"
    );
    let r = call(
        "POST",
        &format!("{base}/events"),
        Some(&analyst),
        Some(("text/csv", orphan.as_bytes())),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = r.json()["anomalies"]["outcome_without_entry"].as_u64();
    assert_eq!(after, Some(before + 1), "{}", r.body);

    // SIGTERM drains and exits 0.
    let status = server.sigterm();
    assert!(status.success(), "{status:?}");
}

/// What each route needs, and the status each role gets.
struct RouteCase {
    method: &'static str,
    path: String,
    body: Option<(&'static str, Vec<u8>)>,
    needs: u8, // 0 viewer, 1 analyst, 2 admin
    ok: u16,
}

#[test]
fn the_role_matrix_and_errors() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("gamma");
    std::fs::create_dir_all(&dir).expect("mkdir");
    ok(&dir, &["demo", "--format", "json"]);
    let tokens = [
        token(&dir, "viewer", "viewer"),
        token(&dir, "analyst", "analyst"),
        token(&dir, "admin", "admin"),
    ];
    // Territory with people to erase, experiments to stop, suppressions to remove.
    let territory = dir.join("territory.csv");
    std::fs::write(
        &territory,
        "contact_id,account_id,email\ngu1,ga1,p1@example.com\ngu2,ga2,p2@example.com\ngu4,ga4,p4@example.com\n",
    )
    .expect("write");
    ok(
        &dir,
        &["import", "territory", territory.to_str().expect("utf8")],
    );
    for r in ["viewer", "analyst", "admin"] {
        ok(
            &dir,
            &[
                "experiment",
                "create",
                "--id",
                &format!("stop-{r}"),
                "--station",
                "research",
                "--arms",
                "a,b",
                "--start",
                "2025-03-01",
            ],
        );
        ok(
            &dir,
            &[
                "suppress",
                "add",
                "--contact",
                &format!("rm-{r}"),
                "--reason",
                "test",
            ],
        );
    }
    let server = Server::start(&[&dir]);
    let base = format!("{}/api/v1/workspaces/gamma", server.url);
    let cases = |role: &str, i: usize| -> Vec<RouteCase> {
        let exp = format!(
            r#"{{"id":"new-{role}","station":"research","arms":"a,b","start":"2025-03-01"}}"#
        );
        vec![
            RouteCase {
                method: "GET",
                path: "report".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "GET",
                path: "drift".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "GET",
                path: "plan?runs=200".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "GET",
                path: "watch".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "GET",
                path: "dispatch?date=2025-10-20".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "GET",
                path: "experiments".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "GET",
                path: "experiments/stop-viewer/analysis?as_of=2025-04-01".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "GET",
                path: "suppressions".into(),
                body: None,
                needs: 0,
                ok: 200,
            },
            RouteCase {
                method: "POST",
                path: "experiments".into(),
                body: Some(("application/json", exp.into_bytes())),
                needs: 1,
                ok: 201,
            },
            RouteCase {
                method: "POST",
                path: format!("experiments/stop-{role}/stop?at=2025-03-20"),
                body: None,
                needs: 1,
                ok: 200,
            },
            RouteCase {
                method: "POST",
                path: "events".into(),
                body: Some(("text/csv", events_csv(&format!("m{i}-"), 3).into_bytes())),
                needs: 1,
                ok: 200,
            },
            RouteCase {
                method: "POST",
                path: "territory".into(),
                body: Some((
                    "text/csv",
                    format!("contact_id,account_id\nt-{role},acc\n").into_bytes(),
                )),
                needs: 1,
                ok: 200,
            },
            RouteCase {
                method: "POST",
                path: "suppressions".into(),
                body: Some((
                    "application/json",
                    format!(r#"{{"kind":"contact","target":"add-{role}","reason":"test"}}"#)
                        .into_bytes(),
                )),
                needs: 1,
                ok: 201,
            },
            RouteCase {
                method: "DELETE",
                path: format!("suppressions/contact%3Arm-{role}?reason=test"),
                body: None,
                needs: 2,
                ok: 200,
            },
            RouteCase {
                method: "POST",
                path: "erasures".into(),
                body: Some((
                    "application/json",
                    format!(r#"{{"who":"gu{}"}}"#, [1, 2, 4][i]).into_bytes(),
                )),
                needs: 2,
                ok: 200,
            },
        ]
    };
    let mut checked = 0;
    for c in cases("viewer", 0) {
        let url = format!("{base}/{}", c.path);
        let body = c.body.as_ref().map(|(t, b)| (*t, b.as_slice()));
        for t in [
            None,
            Some("ylt_0000000000000000000000000000000000000000000000000000000000000000"),
            Some("nonsense"),
        ] {
            let r = call(c.method, &url, t, body, &[]);
            assert_eq!(
                r.status, 401,
                "{} {} with token {t:?}: {}",
                c.method, c.path, r.body
            );
            assert_eq!(r.content_type, "application/problem+json");
            assert_eq!(r.json()["code"], "unauthorized");
            checked += 1;
        }
    }
    for (i, role) in ["viewer", "analyst", "admin"].into_iter().enumerate() {
        for c in cases(role, i) {
            let url = format!("{base}/{}", c.path);
            let body = c.body.as_ref().map(|(t, b)| (*t, b.as_slice()));
            let r = call(c.method, &url, Some(&tokens[i]), body, &[]);
            let want = if i as u8 >= c.needs { c.ok } else { 403 };
            assert_eq!(
                r.status, want,
                "{} {} as {role}: {}",
                c.method, c.path, r.body
            );
            if want == 403 {
                assert_eq!(r.json()["code"], "forbidden");
                assert_eq!(r.content_type, "application/problem+json");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 15 * 3 + 15 * 3);

    // Errors: problem details with a stable code, naming the parameter, line and field.
    let admin = tokens[2].as_str();
    let r = get(&format!("{base}/report?from=yesterday"), Some(admin));
    assert_eq!(
        (
            r.status,
            r.json()["code"].clone(),
            r.json()["param"].clone()
        ),
        (400, "invalid_parameter".into(), "from".into())
    );
    let r = get(&format!("{base}/report?color=red"), Some(admin));
    assert_eq!((r.status, r.json()["param"].clone()), (400, "color".into()));
    let r = get(&format!("{base}/drift?station=nowhere"), Some(admin));
    assert_eq!(
        (r.status, r.json()["param"].clone()),
        (400, "station".into())
    );
    let r = get(&format!("{base}/watch?horizon=0"), Some(admin));
    assert_eq!(
        (r.status, r.json()["param"].clone()),
        (400, "horizon".into())
    );
    let bad = format!(
        "{HEADER}\nx1,2025-03-04T10:00:00-05:00,u,a,research,entered,,,,,,,,\nx2,not-a-time,u,a,research,passed,,,,,,,,\n"
    );
    let r = call(
        "POST",
        &format!("{base}/events"),
        Some(admin),
        Some(("text/csv", bad.as_bytes())),
        &[],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let p = r.json();
    assert_eq!(
        (p["code"].clone(), p["line"].clone(), p["param"].clone()),
        ("invalid_row".into(), 3.into(), "ts".into())
    );
    assert!(
        !r.body.contains(".http-upload-"),
        "the spool file leaks: {}",
        r.body
    );
    assert!(
        !r.body.contains("--skip-bad"),
        "a command-line hint in an HTTP answer: {}",
        r.body
    );
    assert!(
        get(&format!("{base}/report"), Some(admin))
            .body
            .contains("\"line\"")
    );
    let r = call(
        "POST",
        &format!("{base}/events"),
        Some(admin),
        Some(("text/plain", b"x")),
        &[],
    );
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (415, "unsupported_media_type".into())
    );
    let r = call(
        "POST",
        &format!("{base}/experiments"),
        Some(admin),
        Some((
            "application/json",
            b"{\"id\":\"x\",\"station\":\"research\",\"arms\":\"a,b\",\"colour\":1}",
        )),
        &[],
    );
    assert_eq!(
        (r.status, r.json()["param"].clone()),
        (422, "colour".into())
    );
    let r = call(
        "POST",
        &format!("{base}/experiments"),
        Some(admin),
        Some(("application/json", b"{not json")),
        &[],
    );
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (400, "invalid_json".into())
    );
    let dup = br#"{"id":"new-admin","station":"research","arms":"a,b"}"#;
    let r = call(
        "POST",
        &format!("{base}/experiments"),
        Some(admin),
        Some(("application/json", dup)),
        &[],
    );
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (409, "conflict".into())
    );
    let big = vec![b' '; 100 << 10];
    let r = call(
        "POST",
        &format!("{base}/suppressions"),
        Some(admin),
        Some(("application/json", &big)),
        &[],
    );
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (413, "payload_too_large".into())
    );
    let r = call("PUT", &format!("{base}/report"), Some(admin), None, &[]);
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (405, "method_not_allowed".into())
    );
    let r = get(&format!("{}/api/v1/openapi.json", server.url), None);
    assert_eq!(r.status, 200);
    assert!(r.json()["paths"]["/api/v1/workspaces/{ws}/report"].is_object());
    assert_eq!(get(&format!("{}/healthz", server.url), None).status, 200);
    // A revoked token stops working at once.
    ok(&dir, &["token", "revoke", "viewer"]);
    assert_eq!(get(&format!("{base}/report"), Some(&tokens[0])).status, 401);
    let listed: Value =
        serde_json::from_str(&ok(&dir, &["token", "list", "--format", "json"])).expect("json");
    let names: Vec<&str> = listed
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["admin", "analyst"]);
    assert!(!ok(&dir, &["token", "list"]).contains("ylt_"));
}
