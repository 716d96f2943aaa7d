//! The server under test and an HTTP client: start `yieldline serve`, call it, make
//! workspaces and tokens.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{HEADER, ok};

/// A running `yieldline serve`, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn start(dirs: &[&Path]) -> Self {
        Self::start_with(dirs, &[])
    }

    pub(crate) fn start_with(dirs: &[&Path], env: &[(&str, &str)]) -> Self {
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

    pub(crate) fn sigterm(&mut self) -> std::process::ExitStatus {
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
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

impl Resp {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// One request: `method` `url`, an optional bearer token, an optional body with its
/// content type, extra headers.
pub(crate) fn call(
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

pub(crate) fn get(url: &str, token: Option<&str>) -> Resp {
    call("GET", url, token, None, &[])
}

pub(crate) fn token(dir: &Path, role: &str, name: &str) -> String {
    ok(dir, &["token", "create", "--role", role, "--name", name])
        .trim()
        .to_owned()
}

/// A small workspace: the template line and `n` units that enter research and pass or
/// fail; events ids prefixed by `prefix`.
pub(crate) fn small_workspace(dir: &Path, prefix: &str, n: usize) {
    ok(dir, &["init"]);
    let csv = events_csv(prefix, n);
    let f = dir.join("events.csv");
    std::fs::write(&f, csv).expect("write");
    ok(dir, &["import", "events", f.to_str().expect("utf8")]);
}

pub(crate) fn events_csv(prefix: &str, n: usize) -> String {
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

pub(crate) struct Fixture {
    pub(crate) _tmp: tempfile::TempDir,
    pub(crate) alpha: PathBuf,
    pub(crate) beta: PathBuf,
}

/// `alpha`: the demo workspace; `beta`: a small one.
pub(crate) fn fixture() -> Fixture {
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
