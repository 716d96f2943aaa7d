//! Workspaces isolated from each other's tokens, imports that survive a kill, and
//! reads that never wait for a writer.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;
use serde_json::Value;

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
