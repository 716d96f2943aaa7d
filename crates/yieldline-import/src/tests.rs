//! Import behaviour against a real SQLite store and real files.

use std::io::Write;

use yieldline_store::SqliteStore;

use super::*;

const HEADER: &str = "event_id,ts,unit_id,account_id,station,kind,reason,resume_on";

fn line() -> Line {
    Line::from_toml("line.toml", yieldline_core::line::TEMPLATE).expect("template")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    let mut f = File::create(&path).expect("create");
    f.write_all(text.as_bytes()).expect("write");
    path
}

fn import(store: &SqliteStore, path: &Path, skip_bad: bool) -> Result<Outcome, ImportError> {
    let format = Format::from_path(path).expect("format");
    import_events(
        store,
        &line(),
        path,
        format,
        Options {
            skip_bad,
            ..Options::default()
        },
        &mut |_| {},
    )
}

#[test]
fn a_good_file_imports_and_reimporting_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "events.csv",
        &format!(
            "{HEADER}\ne2,2025-03-03T10:00:00Z,c1,a1,research,passed,,\ne1,2025-03-03T09:00:00Z,c1,a1,research,entered,,\n"
        ),
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let first = import(&store, &path, false).expect("import");
    assert_eq!(
        (
            first.record.read,
            first.record.imported,
            first.record.duplicates
        ),
        (2, 2, 0)
    );
    let again = import(&store, &path, false).expect("re-import");
    assert_eq!(
        (
            again.record.read,
            again.record.imported,
            again.record.duplicates
        ),
        (2, 0, 2)
    );
    assert_eq!(store.event_count().expect("count"), 2);
}

#[test]
fn a_bad_row_refuses_the_file_naming_line_and_field() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "events.csv",
        &format!(
            "{HEADER}\ne1,2025-03-03T09:00:00Z,c1,a1,research,entered,,\ne2,2025-03-03T10:00:00Z,c1,a1,research,failed,,\n"
        ),
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let err = import(&store, &path, false).expect_err("bad row");
    let msg = err.to_string();
    assert!(msg.contains("events.csv:3: field `reason`"), "{msg}");
    assert_eq!(
        store.event_count().expect("count"),
        0,
        "nothing half-written"
    );
}

#[test]
fn skip_bad_imports_good_rows_and_returns_the_bad_ones() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "events.csv",
        &format!(
            "{HEADER}\ne1,2025-03-03T09:00:00Z,c1,a1,research,entered,,\ne2,yesterday,c1,a1,research,passed,,\ne3,2025-03-03T10:00:00Z,c1,a1,nowhere,passed,,\ne4,2025-03-03T11:00:00Z,c2,a1,research,recycled,,\n"
        ),
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let out = import(&store, &path, true).expect("import");
    assert_eq!(
        (out.record.read, out.record.imported, out.record.rejected),
        (4, 1, 3)
    );
    let got: Vec<_> = out
        .rejects
        .iter()
        .map(|r| (r.line, r.field.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        got,
        [
            (3, "ts".to_string()),
            (4, "station".into()),
            (5, "resume_on".into())
        ]
    );
    let mut buf = Vec::new();
    write_rejects(&mut buf, &out.rejects).expect("rejects");
    let text = String::from_utf8(buf).expect("utf8");
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.contains(",3,ts,") && l.contains("yesterday")),
        "{text}"
    );
}

#[test]
fn a_reused_event_id_with_other_content_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = write(
        dir.path(),
        "a.csv",
        &format!("{HEADER}\ne1,2025-03-03T09:00:00Z,c1,a1,research,entered,,\n"),
    );
    let b = write(
        dir.path(),
        "b.csv",
        &format!("{HEADER}\ne1,2025-03-04T09:00:00Z,c1,a1,research,entered,,\n"),
    );
    let store = SqliteStore::open_in_memory().expect("store");
    import(&store, &a, false).expect("first");
    let err = import(&store, &b, false).expect_err("conflict");
    assert!(
        err.to_string().contains("b.csv:2: field `event_id`"),
        "{err}"
    );
}

#[test]
fn headers_are_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "events.csv",
        "event_id,ts,unit,account_id,station,kind\n",
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let msg = import(&store, &path, false)
        .expect_err("header")
        .to_string();
    assert!(
        msg.contains("columns that are no field: \"unit\"")
            && msg.contains("required column \"unit_id\" is missing"),
        "{msg}"
    );
}

#[test]
fn json_lines_import_with_line_numbers() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "events.jsonl",
        "{\"event_id\":\"e1\",\"ts\":\"2025-03-03T09:00:00-05:00\",\"unit_id\":\"c1\",\"account_id\":\"a1\",\"station\":\"research\",\"kind\":\"entered\",\"cost_minutes\":4}\n\n{\"event_id\":\"e2\",\"ts\":\"2025-03-03T09:00:00Z\",\"unit_id\":\"c1\",\"account_id\":\"a1\",\"station\":\"research\",\"kind\":\"passed\",\"colour\":\"red\"}\n",
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    let err = import_events(&store, &line(), &path, Format::Jsonl, strict, &mut |_| {})
        .expect_err("unknown key under --strict");
    let msg = err.to_string();
    assert!(msg.contains("events.jsonl:3: field `colour`"), "{msg}");
    assert_eq!(store.event_count().expect("count"), 0);
    let out = import(&store, &path, false).expect("unknown keys are ignored");
    assert_eq!((out.record.read, out.record.imported), (2, 2));
    assert_eq!(out.ignored_columns, ["colour"]);
}

#[test]
fn territory_imports_update_and_validate() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "t.csv",
        "contact_id,account_id,fit_tier,email\nc1,a1,1,Ann@Example.com\nc2,a1,,\n",
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let out = import_territory(&store, &path, Options::default(), &mut |_| {}).expect("import");
    assert_eq!((out.record.imported, out.record.duplicates), (2, 0));
    let out = import_territory(&store, &path, Options::default(), &mut |_| {}).expect("again");
    assert_eq!((out.record.imported, out.record.duplicates), (0, 2));
    let changed = write(
        dir.path(),
        "t2.csv",
        "contact_id,account_id,fit_tier\nc1,a1,2\n",
    );
    let out = import_territory(&store, &changed, Options::default(), &mut |_| {}).expect("update");
    assert_eq!(out.record.updated, 1);
    let bad = write(
        dir.path(),
        "t3.csv",
        "contact_id,account_id,fit_tier\nc3,a1,0\n",
    );
    let msg = import_territory(&store, &bad, Options::default(), &mut |_| {})
        .expect_err("bad tier")
        .to_string();
    assert!(msg.contains("t3.csv:2: field `fit_tier`"), "{msg}");
    assert_eq!(store.contact_count().expect("count"), 2);
}

#[test]
fn an_implausible_year_is_a_bad_row_naming_field_value_and_range() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "events.csv",
        &format!(
            "{HEADER}\ne1,2025-03-03T09:00:00Z,c1,a1,research,entered,,\ne2,2205-03-03T10:00:00Z,c1,a1,research,passed,,\n"
        ),
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let msg = import(&store, &path, false)
        .expect_err("2205 is a typo")
        .to_string();
    assert!(
        msg.contains("events.csv:3: field `ts`: \"2205-03-03T10:00:00Z\" is outside the plausible range 2000-01-01 to"),
        "{msg}"
    );
    assert_eq!(store.event_count().expect("count"), 0);
    for (name, ts) in [
        ("y0.jsonl", "0000-01-01T00:00:00Z"),
        ("y9999.jsonl", "9999-01-01T00:00:00Z"),
    ] {
        let path = write(
            dir.path(),
            name,
            &format!(
                "{{\"event_id\":\"e1\",\"ts\":\"{ts}\",\"unit_id\":\"c1\",\"account_id\":\"a1\",\"station\":\"research\",\"kind\":\"entered\"}}\n"
            ),
        );
        let msg = import(&store, &path, false).expect_err(ts).to_string();
        assert!(msg.contains(&format!("{name}:1: field `ts`")), "{msg}");
    }
    let out = import(&store, &path, true).expect("skip bad");
    assert_eq!((out.record.imported, out.record.rejected), (1, 1));
}

#[test]
fn territory_ids_and_addresses_are_stored_canonical() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = write(
        dir.path(),
        "t.csv",
        "contact_id,account_id,email\n\u{FEFF}C1\u{200B},a1,Ann <ann@example.com.>\nc2,a1,\"\u{00C4}ndrea.Olund@Example.SE\"\nc3,a1,mailto:Bob+News@Example.com\nc4,a1,\u{200B}\n",
    );
    let store = SqliteStore::open_in_memory().expect("store");
    let out = import_territory(&store, &path, Options::default(), &mut |_| {}).expect("import");
    assert_eq!(out.record.imported, 4);
    let got: Vec<(String, Option<String>)> = store
        .territory_contacts()
        .expect("contacts")
        .into_iter()
        .map(|c| (c.contact_id, c.email))
        .collect();
    assert_eq!(
        got,
        [
            ("C1".to_owned(), Some("ann@example.com".to_owned())),
            (
                "c2".to_owned(),
                Some("\u{00E4}ndrea.olund@example.se".to_owned())
            ),
            ("c3".to_owned(), Some("bob+news@example.com".to_owned())),
            ("c4".to_owned(), None),
        ]
    );
    let bad = write(
        dir.path(),
        "bad.csv",
        "contact_id,account_id,email\nc5,a1,ann@localhost\n",
    );
    let msg = import_territory(&store, &bad, Options::default(), &mut |_| {})
        .expect_err("bad address")
        .to_string();
    assert!(
        msg.contains("bad.csv:2: field `email`: \"ann@localhost\" is not an e-mail address"),
        "{msg}"
    );
}
