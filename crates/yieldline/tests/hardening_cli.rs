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
    // No store yet: the imports also race to create it (WAL switch, migrations).
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
        ok(d, &["check"]);
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
        &words("dispatch --date 2025-03-06 --format csv --out yieldline.db"),
        "workspace's own files",
    );
    fails_with(
        d,
        &words("dispatch --date 2025-03-06 --out ./yieldline.db-wal"),
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

/// `yieldline check`, which must fail; its standard output.
fn check_fails(dir: &Path) -> String {
    let out = yieldline(dir, &["check"]);
    assert!(!out.status.success(), "check passed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sql(dir: &Path, statement: &str) {
    let conn = rusqlite::Connection::open(dir.join("yieldline.db")).expect("open");
    conn.execute_batch(statement).expect("tamper");
}

#[test]
fn tampering_is_detected_and_a_deleted_suppression_stays_in_force() {
    let dir = workspace_with_territory(
        "contact_id,account_id,fit_tier,email\nc1,a1,1,ann@initech.example\nc2,a2,1,bob@other.example\n",
    );
    let d = dir.path();
    let f = events_file(d, "e.csv", "u", 3);
    ok(d, &["import", "events", &f]);
    ok(
        d,
        &words("suppress add --domain initech.example --reason asked"),
    );
    ok(
        d,
        &["suppress", "add", "--contact", "c2", "--reason", "asked"],
    );
    assert!(ok(d, &["check"]).starts_with("ok"));

    sql(d, "DELETE FROM suppression WHERE kind = 'domain'");
    let msg = check_fails(d);
    assert!(
        msg.contains("initech.example") && msg.contains("deleted outside"),
        "{msg}"
    );
    // (That the deleted entry stays in force for dispatch is checked in the store:
    // `chain::tests::a_suppression_deleted_with_sql_stays_in_force_and_is_reported`.)

    sql(
        d,
        "UPDATE suppression_log SET who = 'someone else' WHERE id = (SELECT max(id) FROM suppression_log)",
    );
    assert!(check_fails(d).contains("who acted was changed"));

    sql(
        d,
        "UPDATE stations SET name = 'reserch' WHERE name = 'research'",
    );
    let msg = check_fails(d);
    assert!(
        msg.contains("\"reserch\" has 6 stored events but is not in line.toml"),
        "{msg}"
    );
}

#[test]
fn a_mistaken_event_is_removed_and_logged() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["init"]);
    let f = events_file(d, "e.csv", "u", 2);
    ok(d, &["import", "events", &f]);
    let out = ok(
        d,
        &[
            "events",
            "remove",
            "--id",
            "u1-p",
            "--reason",
            "typo in the export",
        ],
    );
    assert!(out.contains("removed event u1-p"), "{out}");
    let r = json(d, &["report", "--format", "json"]);
    assert_eq!(r["stations"][0]["passed"], 1, "{r}");
    assert!(
        fails(
            d,
            &["events", "remove", "--id", "u1-p", "--reason", "again"]
        )
        .contains("no event")
    );
}

#[test]
fn a_store_whose_version_was_tampered_with_gets_a_clear_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["init"]);
    ok(d, &["check"]);
    for version in ["0", "4"] {
        sql(d, &format!("PRAGMA user_version = {version}"));
        let msg = fails(d, &["report"]);
        assert!(msg.contains("changed outside Yieldline"), "{msg}");
    }
}

#[test]
fn erasure_reaches_free_text_case_variants_and_names_the_files_left() {
    let dir = workspace_with_territory(
        "contact_id,account_id,fit_tier,first_name,last_name,email\nC7,a1,1,Zelda,Quist,zelda.quist@initech.example\nc8,a2,1,Bob,Ray,bob@other.example\n",
    );
    let d = dir.path();
    ok(
        d,
        &[
            "suppress",
            "add",
            "--domain",
            "initech.example",
            "--reason",
            "Zelda Quist asked for her whole company",
        ],
    );
    let out = yieldline(d, &["erase", "c7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warn = stderr(&out);
    assert!(
        warn.contains("t.csv") && warn.contains("still names the person"),
        "{warn}"
    );
    let list = ok(d, &["suppress", "list", "--format", "csv"]);
    assert!(!list.to_lowercase().contains("zelda"), "{list}");
    assert!(
        list.contains("initech.example"),
        "the domain stays suppressed: {list}"
    );
    let log = ok(d, &["suppress", "log", "--format", "csv"]);
    assert!(!log.to_lowercase().contains("zelda"), "{log}");
    assert!(ok(d, &["check"]).starts_with("ok"));
}
