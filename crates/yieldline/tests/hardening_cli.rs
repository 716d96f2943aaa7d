//! End to end: writers that wait their turn, and outputs that cannot harm inputs.

mod common;
use common::*;

use std::fmt::Write as _;
use std::path::Path;

fn events_file(dir: &Path, name: &str, prefix: &str, n: usize) -> String {
    let mut text = format!("{HEADER}\n");
    for i in 0..n {
        let unit = format!("{prefix}{i}");
        let _ = writeln!(
            text,
            "{unit}-e,2025-03-04T09:00:00-05:00,{unit},acc-{unit},research,entered,,,,,,,,"
        );
        let _ = writeln!(
            text,
            "{unit}-p,2025-03-05T09:00:00-05:00,{unit},acc-{unit},research,passed,,,,,,,,"
        );
    }
    std::fs::write(dir.join(name), text).expect("write events");
    name.to_owned()
}

#[test]
fn parallel_imports_of_different_files_all_succeed() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["init"]);
    let files: Vec<String> = (0..4)
        .map(|i| events_file(d, &format!("e{i}.csv"), &format!("p{i}-"), 20_000))
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            std::process::Command::new(env!("CARGO_BIN_EXE_yieldline"))
                .current_dir(d)
                .args(["-w", ".", "import", "events", f])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    // Readers during the imports never fail.
    for _ in 0..3 {
        ok(d, &["report", "--format", "json"]);
    }
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "an import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let r = json(d, &["report", "--format", "json"]);
    assert_eq!(r["stations"][0]["passed"], 80_000, "{r}");
}

#[test]
fn outputs_may_not_overwrite_the_store_the_line_or_an_input() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["init"]);
    let f = events_file(d, "e.csv", "u", 5);
    ok(d, &["import", "events", &f]);
    let line_before = std::fs::read(d.join("line.toml")).expect("line");
    let db_before = std::fs::metadata(d.join("yieldline.db")).expect("db").len();
    fails_with(
        d,
        &[
            "dispatch",
            "--date",
            "2025-03-06",
            "--format",
            "csv",
            "--out",
            "yieldline.db",
        ],
        "workspace's own files",
    );
    fails_with(
        d,
        &[
            "dispatch",
            "--date",
            "2025-03-06",
            "--out",
            "./yieldline.db-wal",
        ],
        "workspace's own files",
    );
    fails_with(
        d,
        &["drift", "--station", "research", "--plot", "line.toml"],
        "workspace's own files",
    );
    fails_with(
        d,
        &["import", "events", &f, "--skip-bad", "--rejects", &f],
        "an input of this command",
    );
    assert_eq!(
        std::fs::read(d.join("line.toml")).expect("line"),
        line_before
    );
    assert_eq!(
        std::fs::metadata(d.join("yieldline.db")).expect("db").len(),
        db_before
    );
    assert!(
        std::fs::read_to_string(d.join(&f))
            .expect("input")
            .starts_with(HEADER)
    );
    // And the store still works.
    ok(d, &["report"]);
}
