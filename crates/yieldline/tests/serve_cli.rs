//! End to end: the real `yieldline serve` binary on 127.0.0.1 with a random port, a
//! real HTTP client, demo-like workspaces and tokens made by `yieldline token create`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{HEADER, ok};
use serde_json::Value;

/// A running `yieldline serve`, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dirs: &[&Path]) -> Self {
        Self::start_with(dirs, &[])
    }

    fn start_with(dirs: &[&Path], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_yieldline"));
        cmd.envs(env.iter().copied());
        cmd.arg("serve").arg("--listen").arg("127.0.0.1:0");
        for d in dirs {
            cmd.arg("-w").arg(d);
        }
        let mut child = cmd
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start yieldline serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, url }
    }

    fn sigterm(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("kill");
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, content type, body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resp {
    status: u16,
    content_type: String,
    body: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// One request: `method` `url`, an optional bearer token, an optional body with its
/// content type, extra headers.
fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<(&str, &[u8])>,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let (ct, bytes) = body.unwrap_or(("", b""));
    if !ct.is_empty() {
        req = req.header("Content-Type", ct);
    }
    let req = req.body(bytes.to_vec()).expect("request");
    let mut resp = agent().run(req).expect("http");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_string()
        .expect("body");
    Resp {
        status,
        content_type,
        body,
    }
}

fn get(url: &str, token: Option<&str>) -> Resp {
    call("GET", url, token, None, &[])
}

fn token(dir: &Path, role: &str, name: &str) -> String {
    ok(dir, &["token", "create", "--role", role, "--name", name])
        .trim()
        .to_owned()
}

/// A small workspace: the template line and `n` units that enter research and pass or
/// fail; events ids prefixed by `prefix`.
fn small_workspace(dir: &Path, prefix: &str, n: usize) {
    ok(dir, &["init"]);
    let csv = events_csv(prefix, n);
    let f = dir.join("events.csv");
    std::fs::write(&f, csv).expect("write");
    ok(dir, &["import", "events", f.to_str().expect("utf8")]);
}

fn events_csv(prefix: &str, n: usize) -> String {
    let mut s = format!("{HEADER}\n");
    for i in 0..n {
        let day = 3 + (i % 20);
        s.push_str(&format!(
            "{prefix}{i}-e,2025-03-{day:02}T10:00:00-05:00,{prefix}u{i},{prefix}a{i},research,entered,,,,,,,,\n"
        ));
        let (kind, reason) = if i % 3 == 0 {
            ("failed", "no_response")
        } else {
            ("passed", "")
        };
        s.push_str(&format!(
            "{prefix}{i}-d,2025-03-{day:02}T15:00:00-05:00,{prefix}u{i},{prefix}a{i},research,{kind},{reason},,,,,,,\n"
        ));
    }
    s
}

struct Fixture {
    _tmp: tempfile::TempDir,
    alpha: PathBuf,
    beta: PathBuf,
}

/// `alpha`: the demo workspace; `beta`: a small one.
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tmp");
    let alpha = tmp.path().join("alpha");
    let beta = tmp.path().join("beta");
    std::fs::create_dir_all(&alpha).expect("mkdir");
    std::fs::create_dir_all(&beta).expect("mkdir");
    ok(&alpha, &["demo", "--format", "json"]);
    small_workspace(&beta, "b", 40);
    Fixture {
        _tmp: tmp,
        alpha,
        beta,
    }
}

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

/// A tiny deterministic generator (xorshift) for the randomized requests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Spellings of a workspace name in a URL.
fn spellings(name: &str) -> Vec<String> {
    let pct: String = name.bytes().map(|b| format!("%{b:02X}")).collect();
    let pct_lower: String = name.bytes().map(|b| format!("%{b:02x}")).collect();
    let first_pct = format!("%{:02X}{}", name.as_bytes()[0], &name[1..]);
    vec![
        name.to_owned(),
        name.to_uppercase(),
        format!("{}{}", name[..1].to_uppercase(), &name[1..]),
        pct,
        pct_lower,
        first_pct,
        format!("{name}%20"),
        format!("{name}%00"),
        format!("./{name}"),
        format!("x/../{name}"),
        format!("{name}%2F"),
        format!("{name};x"),
    ]
}

#[test]
fn a_token_of_one_workspace_gets_nothing_of_another() {
    let tmp = tempfile::tempdir().expect("tmp");
    let a = tmp.path().join("left");
    let b = tmp.path().join("right");
    for (d, p) in [(&a, "l"), (&b, "r")] {
        std::fs::create_dir_all(d).expect("mkdir");
        small_workspace(d, p, 10);
    }
    let a_admin = token(&a, "admin", "admin");
    let b_viewer = token(&b, "viewer", "v");
    let server = Server::start(&[&a, &b]);
    // B's token works on B (so B is there to leak).
    let own = get(
        &format!("{}/api/v1/workspaces/right/report", server.url),
        Some(&b_viewer),
    );
    assert_eq!(own.status, 200);
    let routes = [
        "report",
        "drift",
        "plan",
        "watch",
        "dispatch",
        "experiments",
        "experiments/x/analysis",
        "experiments/x/stop",
        "events",
        "territory",
        "suppressions",
        "suppressions/contact:ru1",
        "erasures",
    ];
    let methods = ["GET", "POST", "DELETE", "PUT", "PATCH"];
    let bodies: [(&str, &[u8]); 3] = [
        ("", b""),
        (
            "application/json",
            br#"{"who":"ru1","kind":"contact","target":"ru1","reason":"x"}"#,
        ),
        ("text/csv", b"contact_id,account_id\nz,z\n"),
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut successes = 0;
    let n = 1_000;
    for _ in 0..n {
        let i = (rng.next() % 12) as usize;
        let route = *rng.pick(&routes);
        let method = *rng.pick(&methods);
        let slash = if rng.next().is_multiple_of(4) {
            "/"
        } else {
            ""
        };
        let query = if rng.next().is_multiple_of(3) {
            "?date=2025-03-10"
        } else {
            ""
        };
        let (ct, body) = *rng.pick(&bodies);
        let body = (!ct.is_empty()).then_some((ct, body));
        let to_b = format!(
            "{}/api/v1/workspaces/{}/{route}{slash}{query}",
            server.url,
            spellings("right")[i]
        );
        let to_missing = format!(
            "{}/api/v1/workspaces/{}/{route}{slash}{query}",
            server.url,
            spellings("nowhere")[i]
        );
        let rb = call(method, &to_b, Some(&a_admin), body, &[]);
        let rm = call(method, &to_missing, Some(&a_admin), body, &[]);
        if (200..300).contains(&rb.status) {
            successes += 1;
        }
        assert_eq!(rb, rm, "{method} {to_b} differs from a missing workspace");
        assert!(
            !rb.body.contains("ru"),
            "{method} {to_b} leaks: {}",
            rb.body
        );
    }
    assert_eq!(successes, 0);
    // And B is untouched: nothing was imported, suppressed or erased there.
    let after = get(
        &format!("{}/api/v1/workspaces/right/report", server.url),
        Some(&b_viewer),
    );
    assert_eq!(after.body, own.body);
    let s = get(
        &format!("{}/api/v1/workspaces/right/suppressions", server.url),
        Some(&b_viewer),
    );
    assert_eq!(s.body.trim(), "[]");
}

fn event_count(dir: &Path) -> u64 {
    let store =
        yieldline_store::SqliteStore::open(&dir.join(yieldline_store::DB_FILE)).expect("store");
    yieldline_store::Store::event_count(&store).expect("count")
}

/// Sends a POST of `body` by hand, stopping after `send` bytes, and returns the stream.
fn post_raw(url: &str, path: &str, token: &str, body: &[u8], send: usize) -> TcpStream {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write");
    s.write_all(&body[..send]).expect("write");
    s
}

#[test]
fn a_server_killed_during_an_import_leaves_it_absent_or_whole() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("delta");
    std::fs::create_dir_all(&dir).expect("mkdir");
    small_workspace(&dir, "d", 10);
    let analyst = token(&dir, "analyst", "a");
    let base = event_count(&dir);
    let big = events_csv("k", 60_000); // 120,000 events
    let whole = base + 120_000;
    let mut outcomes = Vec::new();
    // Killed halfway through the upload, then at several moments after it.
    for delay_ms in [
        None,
        Some(0),
        Some(300),
        Some(1_000),
        Some(2_500),
        Some(5_000),
        Some(10_000),
        Some(20_000),
    ] {
        let mut server = Server::start(&[&dir]);
        let send = if delay_ms.is_none() {
            big.len() / 2
        } else {
            big.len()
        };
        let mut s = post_raw(
            &server.url,
            "/api/v1/workspaces/delta/events",
            &analyst,
            big.as_bytes(),
            send,
        );
        if let Some(ms) = delay_ms {
            std::thread::sleep(Duration::from_millis(ms));
        } else {
            std::thread::sleep(Duration::from_millis(100));
        }
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("wait");
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        let n = event_count(&dir);
        assert!(
            n == base || n == whole,
            "after a kill at {delay_ms:?}: {n} events (partial)"
        );
        eprintln!(
            "killed at {delay_ms:?}: {}",
            if n == whole { "whole" } else { "absent" }
        );
        outcomes.push(n == whole);
        if n == whole {
            break;
        }
    }
    // A server started again cleans the spool and imports the body whole.
    let server = Server::start(&[&dir]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(dir.join("tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
        > 0
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        std::fs::read_dir(dir.join("tmp"))
            .map(|d| d.count())
            .unwrap_or(0),
        0,
        "spooled bodies left behind"
    );
    let r = call(
        "POST",
        &format!("{}/api/v1/workspaces/delta/events", server.url),
        Some(&analyst),
        Some(("text/csv", big.as_bytes())),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(event_count(&dir), whole);
    assert!(!outcomes.is_empty());
}

#[test]
fn reads_never_wait_for_a_writer_and_a_busy_store_is_a_503_with_retry_after() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("eps");
    std::fs::create_dir_all(&dir).expect("mkdir");
    small_workspace(&dir, "e", 20);
    let analyst = token(&dir, "analyst", "a");
    let server = Server::start_with(&[&dir], &[("YIELDLINE_LOCK_TIMEOUT", "1")]);
    let base = format!("{}/api/v1/workspaces/eps", server.url);
    let report = get(&format!("{base}/report"), Some(&analyst));
    assert_eq!(report.status, 200);
    // Another process's writer holds the write lock for 4 s.
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let db = dir.join(yieldline_store::DB_FILE);
    let holder = std::thread::spawn(move || {
        let store = yieldline_store::SqliteStore::open(&db).expect("store");
        yieldline_store::Store::write_events(&store, &mut |_sink| {
            held_tx.send(()).expect("send");
            std::thread::sleep(Duration::from_secs(4));
            Ok(yieldline_store::Decision::Rollback)
        })
        .expect("write");
    });
    held_rx.recv().expect("held");
    let t0 = Instant::now();
    let during = get(&format!("{base}/report"), Some(&analyst));
    assert_eq!(during.status, 200);
    assert_eq!(during.body, report.body);
    assert!(
        t0.elapsed() < Duration::from_secs(2),
        "a read waited for the writer"
    );
    let body = br#"{"kind":"contact","target":"busy-1","reason":"test"}"#;
    let url = format!("{base}/suppressions");
    let mut req = ureq::http::Request::builder()
        .method("POST")
        .uri(&url)
        .header("Authorization", format!("Bearer {analyst}"))
        .header("Content-Type", "application/json");
    req = req.header("Accept", "application/json");
    let mut resp = agent()
        .run(req.body(body.to_vec()).expect("req"))
        .expect("http");
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let text = resp.body_mut().read_to_string().expect("body");
    let p: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(p["code"], "busy");
    assert!(!text.contains("database is locked"), "{text}");
    holder.join().expect("holder");
    // Once the writer is done, the same write goes through.
    let r = call(
        "POST",
        &url,
        Some(&analyst),
        Some(("application/json", body)),
        &[],
    );
    assert_eq!(r.status, 201, "{}", r.body);
}
