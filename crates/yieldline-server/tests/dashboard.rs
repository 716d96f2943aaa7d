//! The dashboard's HTML routes against the real server on a random port, without a
//! browser: sign-in, the session cookie's flags, CSRF refusal and role refusal. (The
//! pages themselves are tested in Chromium by tools/browser/run.sh.)

use std::time::Duration;

use yieldline_app::Workspace;
use yieldline_app::tokens::{self, Role};
use yieldline_server::{Limits, RunningServer, ServerState, start};

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn call(method: &str, url: &str, cookie: Option<&str>, body: Option<(&str, Vec<u8>)>) -> Resp {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let (ct, bytes) = body.unwrap_or(("", Vec::new()));
    if !ct.is_empty() {
        req = req.header("Content-Type", ct);
    }
    let mut resp = agent.run(req.body(bytes).expect("request")).expect("http");
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    Resp {
        status: resp.status().as_u16(),
        headers,
        body: resp.body_mut().read_to_string().expect("body"),
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    ws: Workspace,
    server: RunningServer,
}

/// A workspace with the template line, served, and a token of each role.
fn serve() -> (Fixture, [String; 3]) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("shop");
    std::fs::create_dir_all(&path).expect("mkdir");
    std::fs::write(path.join("line.toml"), yieldline_core::line::TEMPLATE).expect("line");
    let ws = Workspace::open(&path).expect("open");
    let secrets = [Role::Viewer, Role::Analyst, Role::Admin].map(|r| {
        tokens::create(&ws, r, Some(r.as_str()), "test")
            .expect("token")
            .secret
    });
    let state = ServerState::open(&[path], Limits::default()).expect("state");
    let server = start("127.0.0.1:0", state).expect("start");
    (
        Fixture {
            _dir: dir,
            ws,
            server,
        },
        secrets,
    )
}

/// `POST /login` with `secret` in the form.
fn post_login(url: &str, secret: &str) -> Resp {
    call(
        "POST",
        &format!("{url}/login"),
        None,
        Some((
            "application/x-www-form-urlencoded",
            format!("token={secret}").into_bytes(),
        )),
    )
}

/// Signs in with `secret`: the session cookie (`yl_session=…`).
fn sign_in(url: &str, secret: &str) -> String {
    let r = post_login(url, secret);
    assert_eq!(r.status, 303, "{}", r.body);
    let cookie = r.header("set-cookie").expect("a session cookie");
    cookie.split(';').next().expect("pair").trim().to_owned()
}

/// The CSRF token a page's forms carry.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF field")
        + "name=\"csrf\" value=\"".len();
    page[at..at + 64].to_owned()
}

fn multipart(csrf: Option<&str>, file: &str) -> (&'static str, Vec<u8>) {
    let b = "----yieldline-test";
    let mut body = String::new();
    if let Some(c) = csrf {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{c}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nevents\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"events.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{b}--\r\n"
    ));
    (
        "multipart/form-data; boundary=----yieldline-test",
        body.into_bytes(),
    )
}

/// `POST /import` of `file` as events, with `csrf` (or none) in the form.
fn post_import(url: &str, cookie: &str, csrf: Option<&str>, file: &str) -> Resp {
    call(
        "POST",
        &format!("{url}/import"),
        Some(cookie),
        Some(multipart(csrf, file)),
    )
}

/// `POST /logout` with `csrf` in the form.
fn post_logout(url: &str, cookie: &str, csrf: &str) -> Resp {
    call(
        "POST",
        &format!("{url}/logout"),
        Some(cookie),
        Some((
            "application/x-www-form-urlencoded",
            format!("csrf={csrf}").into_bytes(),
        )),
    )
}

const BAD_FILE: &str = "event_id,ts,unit_id,account_id,station,kind\n\
                        ev-1,2025-06-02T08:00:00-04:00,u-1,a-1,research,entered\n\
                        ev-2,not-a-time,u-1,a-1,research,entered\n";

fn store_generation(ws: &Workspace) -> u64 {
    ws.store.generation().expect("generation")
}

#[test]
fn sign_in_sets_a_strict_http_only_cookie_and_a_wrong_token_is_refused() {
    let (fx, [viewer, ..]) = serve();
    let url = fx.server.url();
    let to_login = call("GET", &format!("{url}/line"), None, None);
    assert_eq!(to_login.status, 303);
    assert_eq!(to_login.header("location"), Some("/login"));
    let form = call("GET", &format!("{url}/login"), None, None);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"token\""));
    let wrong = post_login(&url, "ylt_0000");
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("unknown or revoked token"));
    assert!(wrong.header("set-cookie").is_none());
    let r = post_login(&url, &viewer);
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/line"));
    let set = r.header("set-cookie").expect("cookie");
    let flags: Vec<&str> = set.split(';').map(str::trim).collect();
    assert!(flags[0].starts_with("yl_session=") && flags[0].len() == 11 + 64);
    assert!(flags.contains(&"HttpOnly"), "{set}");
    assert!(flags.contains(&"SameSite=Strict"), "{set}");
    assert!(flags.contains(&"Path=/"), "{set}");
    assert!(
        !flags.contains(&"Secure"),
        "no TLS, so no Secure flag: {set}"
    );
    let cookie = flags[0];
    let page = call("GET", &format!("{url}/watch"), Some(cookie), None);
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        page.headers
    );
    assert!(
        page.body.contains("shop · viewer (viewer)"),
        "{}",
        page.body
    );
    // A forged session id is no session.
    let forged = call(
        "GET",
        &format!("{url}/watch"),
        Some(&format!("yl_session={}", "0".repeat(64))),
        None,
    );
    assert_eq!(forged.status, 303);
    // Revoking the token ends its sessions.
    tokens::revoke(&fx.ws, "viewer").expect("revoke");
    let after = call("GET", &format!("{url}/watch"), Some(cookie), None);
    assert_eq!(after.status, 303);
    assert_eq!(after.header("location"), Some("/login"));
}

#[test]
fn posts_without_the_sessions_csrf_token_are_refused() {
    let (fx, [_, analyst, _]) = serve();
    let url = fx.server.url();
    let cookie = sign_in(&url, &analyst);
    let page = call("GET", &format!("{url}/import"), Some(&cookie), None);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("type=\"file\""));
    let csrf = csrf_of(&page.body);
    let generation = store_generation(&fx.ws);
    for bad in [None, Some("0".repeat(64))] {
        let r = post_import(&url, &cookie, bad.as_deref(), BAD_FILE);
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(r.body.contains("CSRF token"), "{}", r.body);
    }
    let logout = post_logout(&url, &cookie, "nope");
    assert_eq!(logout.status, 403);
    assert_eq!(store_generation(&fx.ws), generation, "nothing was written");
    // With the session's token the file is read: its bad row is named, nothing stored.
    let r = post_import(&url, &cookie, Some(&csrf), BAD_FILE);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("data-line=\"3\""), "{}", r.body);
    assert!(r.body.contains("data-field=\"ts\""), "{}", r.body);
    assert_eq!(store_generation(&fx.ws), generation, "nothing was written");
    let out = post_logout(&url, &cookie, &csrf);
    assert_eq!(out.status, 303);
    assert!(
        out.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0"))
    );
    let gone = call("GET", &format!("{url}/line"), Some(&cookie), None);
    assert_eq!(gone.status, 303, "signed out");
}

#[test]
fn a_viewer_sees_no_import_and_its_import_posts_are_refused() {
    let (fx, [viewer, ..]) = serve();
    let url = fx.server.url();
    let cookie = sign_in(&url, &viewer);
    let page = call("GET", &format!("{url}/experiments"), Some(&cookie), None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("href=\"/import\""), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let form = call("GET", &format!("{url}/import"), Some(&cookie), None);
    assert_eq!(form.status, 403);
    assert!(!form.body.contains("type=\"file\""));
    let generation = store_generation(&fx.ws);
    let good = "event_id,ts,unit_id,account_id,station,kind\n\
                ev-1,2025-06-02T08:00:00-04:00,u-1,a-1,research,entered\n";
    let r = post_import(&url, &cookie, Some(&csrf), good);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("needs analyst"), "{}", r.body);
    assert_eq!(store_generation(&fx.ws), generation, "nothing was written");
}
