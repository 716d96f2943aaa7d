//! End-to-end: the real `yieldline` binary importing tool exports with `--source`
//! (the fixtures of `crates/yieldline-import/tests/fixtures/sources/`).

mod common;

use common::*;

use std::path::{Path, PathBuf};

fn fixture(source: &str, file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../yieldline-import/tests/fixtures/sources")
        .join(source)
        .join(file)
        .display()
        .to_string()
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    dir
}

#[test]
fn a_salesforce_export_imports_once_and_reports_what_it_left_out() {
    let dir = workspace();
    let d = dir.path();
    let history = fixture("salesforce", "LeadHistory.csv");
    let tasks = fixture("salesforce", "Task.csv");
    let err = stderr_of(
        d,
        &[
            "import",
            "events",
            "--source",
            "salesforce",
            &history,
            &tasks,
        ],
    );
    assert!(err.contains("LeadHistory.csv: read 3, imported 3"), "{err}");
    assert!(
        err.contains("salesforce LeadHistory: 5 rows → 3 Yieldline events"),
        "{err}"
    );
    assert!(err.contains("Field=Rating (1)"), "{err}");
    assert!(err.contains("Task.csv: read 2, imported 2"), "{err}");
    let again = stderr_of(
        d,
        &[
            "import",
            "events",
            "--source",
            "salesforce",
            &history,
            &tasks,
        ],
    );
    assert!(
        again.contains("read 3, imported 0, skipped as duplicates 3"),
        "{again}"
    );
    let report = json(d, &["report", "--format", "json"]);
    let research = report["stations"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "research"))
        .cloned()
        .expect("research station");
    assert_eq!(research["passed"], 1, "{research}");
    assert_eq!(research["failed"], 1, "{research}");
}

#[test]
fn a_users_mapping_file_extends_a_source_and_unknown_exports_are_refused() {
    let dir = workspace();
    let d = dir.path();
    let mine: PathBuf = d.join("my-salesforce.toml");
    std::fs::write(
        &mine,
        "extends = \"salesforce\"\n[[object]]\nname = \"LeadHistory\"\n[object.states]\n\"Recycled\" = { recycled = 30 }\n",
    )
    .expect("write");
    let history = fixture("salesforce", "LeadHistory.csv");
    let err = stderr_of(
        d,
        &[
            "import",
            "events",
            "--source",
            &mine.display().to_string(),
            &history,
        ],
    );
    assert!(err.contains("read 4, imported 4"), "{err}");

    let other = d.join("contacts.csv");
    std::fs::write(&other, "Name,Phone\nAda,555\n").expect("write");
    fails_with(
        d,
        &[
            "import",
            "events",
            "--source",
            "hubspot",
            &other.display().to_string(),
        ],
        "the hubspot source does not know this export: its columns are Name, Phone. It knows: contact_property_history (contact_id, name, value, timestamp)",
    );
    fails_with(
        d,
        &["import", "events", "--source", "zoho", &history],
        "\"zoho\" is neither a source (salesforce, hubspot, outreach, salesloft, apollo, pipedrive) nor a mapping file",
    );
}
