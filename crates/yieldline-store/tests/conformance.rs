//! The backend conformance suite: one set of checks written against the `Store`
//! interface alone (`&dyn Store`), run by every backend. Each check takes a fresh,
//! empty store from the backend's factory. SQLite runs it here, on a file (so reads go
//! through the read-only connection pool) and in memory; another backend adds one
//! `backend!` line with its factory.

use std::sync::Arc;

use yieldline_core::event::{Event, EventKind, RawEvent};
use yieldline_core::experiment::{ArmDef, ExperimentDef, RandomizationUnit, analyze};
use yieldline_core::line::{Line, TEMPLATE};
use yieldline_core::report::{Period, report};
use yieldline_core::suppression::SuppressionKind;
use yieldline_store::{
    Added, Contact, EraseOutcome, Inserted, SqliteStore, Store, StoreError, StoreExt,
};

fn line() -> Line {
    Line::from_toml("line.toml", TEMPLATE).expect("template")
}

fn event(id: &str, unit: &str, station: &str, kind: &str, ts: &str) -> Event {
    RawEvent {
        event_id: Some(id.into()),
        ts: Some(ts.into()),
        unit_id: Some(unit.into()),
        account_id: Some(format!("acc-{unit}").into()),
        station: Some(station.into()),
        kind: Some(kind.into()),
        reason: (kind == "failed").then(|| "no_response".into()),
        ..RawEvent::default()
    }
    .validate(&line(), jiff::Timestamp::now())
    .expect("valid event")
}

fn contact(id: &str, account: &str, email: &str) -> Contact {
    Contact {
        contact_id: id.into(),
        account_id: account.into(),
        fit_tier: Some(1),
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        email: Some(email.into()),
        title: None,
    }
}

fn import(store: &dyn Store, events: &[Event]) -> Result<Vec<Inserted>, StoreError> {
    store.import_events(|sink| events.iter().map(|e| sink.insert(e)).collect())
}

fn day(n: u32) -> String {
    format!("2025-03-{:02}T10:00:00-05:00", 3 + n)
}

/// A small log: unit `u{i}` enters research and passes or fails.
fn small_log(prefix: &str, n: usize) -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..n {
        let unit = format!("{prefix}{i}");
        out.push(event(
            &format!("{unit}-e"),
            &unit,
            "research",
            "entered",
            &day(0),
        ));
        let kind = if i % 3 == 0 { "failed" } else { "passed" };
        out.push(event(
            &format!("{unit}-d"),
            &unit,
            "research",
            kind,
            &day(1 + (i % 4) as u32),
        ));
    }
    out
}

// -- the checks ----------------------------------------------------------------------

fn import_is_all_or_nothing(store: &dyn Store) {
    let good = small_log("u", 5);
    let result: Result<(), StoreError> = store.import_events(|sink| {
        for e in &good {
            sink.insert(e)?;
        }
        Err(StoreError::Corrupt("the file's last row was bad".into()))
    });
    assert!(result.is_err());
    assert_eq!(
        store.event_count().expect("count"),
        0,
        "a failed import left events"
    );
    assert!(store.load_log(&line()).expect("log").is_empty());
    import(store, &good).expect("import");
    assert_eq!(store.event_count().expect("count"), 10);
}

fn reimport_is_idempotent_and_conflicts_are_refused(store: &dyn Store) {
    let log = small_log("u", 4);
    let first = import(store, &log).expect("first");
    assert!(first.iter().all(|i| *i == Inserted::New));
    let again = import(store, &log).expect("again");
    assert!(again.iter().all(|i| *i == Inserted::Duplicate));
    assert_eq!(store.event_count().expect("count"), 8);
    let mut changed = log[1].clone();
    changed.station = "first-touch".into();
    let err = import(store, &[changed]).expect_err("conflict");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert_eq!(store.event_count().expect("count"), 8);
}

fn content_with_separator_bytes_is_not_a_duplicate(store: &dyn Store) {
    // Fields joined with 0x1F would make these two rows' digests equal.
    let mut a = event("x1", "con-A\u{1f}acc-X", "research", "entered", &day(0));
    a.account_id = "acc-Y".into();
    import(store, &[a]).expect("first");
    let mut b = event("x1", "con-A", "research", "entered", &day(0));
    b.account_id = "acc-X\u{1f}acc-Y".into();
    let err = import(store, &[b]).expect_err("different content under one id");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
}

fn facts_come_back_in_pairing_order(store: &dyn Store) {
    // Imported out of order: the log is sorted by unit, station, time, event id.
    let mut log = small_log("u", 6);
    log.reverse();
    import(store, &log).expect("import");
    let facts = store.load_log(&line()).expect("log");
    let keys: Vec<(u32, u16, i64)> = facts
        .facts()
        .iter()
        .map(|f| (f.unit, f.station, f.ts))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let r = report(&line(), &facts, &[], Period::default()).expect("report");
    let research = &r.stations[0];
    assert_eq!(research.passed, 4);
    assert_eq!(research.failed, 2);
}

fn territory_units_share_the_log_id_space_and_reads_do_not_write(store: &dyn Store) {
    store
        .import_territory(|sink| -> Result<(), StoreError> {
            sink.upsert(&contact("u0", "acc-u0", "ann@example.com"))?;
            sink.upsert(&contact("t9", "acc-t9", "tom@example.com"))?;
            Ok(())
        })
        .expect("territory");
    import(store, &small_log("u", 2)).expect("events");
    let before = store.generation().expect("generation");
    let snap = store.snapshot(&line(), true).expect("snapshot");
    let dir = snap.directory.expect("directory");
    let mut keys: Vec<&str> = snap
        .territory
        .iter()
        .map(|&id| dir[id as usize].key.as_str())
        .collect();
    keys.sort();
    assert_eq!(keys, ["t9", "u0"]);
    assert!(dir.iter().filter(|u| u.key == "t9").count() == 1);
    // Reading twice gives the same ids and changes nothing.
    assert_eq!(
        store.territory_units(&line()).expect("units"),
        snap.territory
    );
    assert_eq!(
        store.generation().expect("generation"),
        before,
        "a read wrote"
    );
    assert_eq!(store.contact_count().expect("contacts"), 2);
}

fn two_arm_experiment() -> ExperimentDef {
    ExperimentDef {
        id: "exp-1".into(),
        station: "first-touch".into(),
        arms: vec![
            ArmDef {
                name: "human".into(),
                weight: 1.0,
            },
            ArmDef {
                name: "auto".into(),
                weight: 1.0,
            },
        ],
        control: "human".into(),
        unit: RandomizationUnit::Contact,
        salt: "s".into(),
        start: "2025-03-03T00:00:00Z".parse().expect("ts"),
        stop: None,
        guardrails: vec![],
        holdout: None,
        holdout_metric: None,
        tau2: 1e-4,
    }
}

fn experiments_round_trip(store: &dyn Store) {
    let def = two_arm_experiment();
    assert!(store.insert_experiment(&def).expect("insert"));
    assert!(!store.insert_experiment(&def).expect("taken"));
    assert_eq!(store.experiment("exp-1").expect("get"), Some(def.clone()));
    let mut stopped = def.clone();
    stopped.stop = Some("2025-04-01T00:00:00Z".parse().expect("ts"));
    assert!(store.update_experiment(&stopped).expect("update"));
    let mut earlier = two_arm_experiment();
    earlier.id = "exp-0".into();
    earlier.start = "2025-01-01T00:00:00Z".parse().expect("ts");
    assert!(store.insert_experiment(&earlier).expect("insert"));
    assert_eq!(store.experiments().expect("all"), vec![earlier, stopped]);
    assert!(store.experiment("nope").expect("get").is_none());
}

/// An event with an arm (empty for none) and a reason (empty for none).
fn tagged(
    id: &str,
    unit: &str,
    ts: &str,
    station: &str,
    kind: &str,
    reason: &str,
    arm: &str,
) -> Event {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned().into());
    RawEvent {
        event_id: Some(id.into()),
        ts: Some(ts.into()),
        unit_id: Some(unit.into()),
        account_id: Some("a1".into()),
        station: Some(station.into()),
        kind: Some(kind.into()),
        reason: opt(reason),
        arm: opt(arm),
        ..RawEvent::default()
    }
    .validate(&line(), jiff::Timestamp::now())
    .expect("valid event")
}

fn the_analysis_data_holds_arm_events_and_later_outcomes(store: &dyn Store) {
    let at = |d: &str| format!("2025-{d}:00Z");
    let evs = [
        tagged(
            "e1",
            "c1",
            &at("03-04T10:00"),
            "first-touch",
            "entered",
            "",
            "auto",
        ),
        tagged(
            "e2",
            "c1",
            &at("03-04T12:00"),
            "first-touch",
            "passed",
            "",
            "auto",
        ),
        tagged("e3", "c1", &at("03-06T12:00"), "reply", "passed", "", ""),
        tagged("e4", "c1", &at("03-06T12:00"), "reply", "touch", "", ""),
        tagged(
            "e5",
            "c2",
            &at("03-04T10:00"),
            "first-touch",
            "failed",
            "negative",
            "human",
        ),
        tagged("e6", "c3", &at("03-04T10:00"), "research", "passed", "", ""),
        tagged(
            "e7",
            "c2",
            &at("03-01T10:00"),
            "first-touch",
            "passed",
            "",
            "old-arm",
        ),
        tagged(
            "e8",
            "c1",
            &at("05-01T10:00"),
            "qualified",
            "passed",
            "",
            "",
        ),
    ];
    import(store, &evs).expect("import");
    let def = two_arm_experiment();
    let as_of: jiff::Timestamp = "2025-04-01T00:00:00Z".parse().expect("ts");
    let data = store.experiment_data(&def, as_of).expect("data");
    let mut got: Vec<(String, String, EventKind)> = data
        .events
        .iter()
        .map(|e| (e.unit.clone(), e.station.clone(), e.kind))
        .collect();
    got.sort_by(|a, b| (&a.0, &a.1, a.2).cmp(&(&b.0, &b.1, b.2)));
    let want: Vec<(String, String, EventKind)> = [
        ("c1", "first-touch", EventKind::Entered),
        ("c1", "first-touch", EventKind::Passed),
        ("c1", "reply", EventKind::Passed),
        ("c2", "first-touch", EventKind::Passed),
        ("c2", "first-touch", EventKind::Failed),
    ]
    .into_iter()
    .map(|(u, s, k)| (u.to_owned(), s.to_owned(), k))
    .collect();
    assert_eq!(got, want);
    let a = analyze(&def, &line(), &data, as_of).expect("analysis");
    assert_eq!((a.arms[1].units, a.arms[1].passed), (1, 1));
    assert_eq!(a.arms[1].downstream["reply"].count, 1);
    assert_eq!(a.arms[0].guardrails["negative_rate"].count, 1);

    store
        .import_territory(|sink| {
            sink.upsert(&Contact {
                contact_id: "c1".into(),
                account_id: "a9".into(),
                ..Contact::default()
            })
        })
        .expect("territory");
    let accounts = store
        .contact_accounts(&["c1".into(), "zz".into()])
        .expect("accounts");
    assert_eq!(accounts.get("c1").map(String::as_str), Some("a9"));
    assert!(!accounts.contains_key("zz"));
}

fn suppression_is_kept_and_removals_logged(store: &dyn Store) {
    let added = store
        .suppress(SuppressionKind::Domain, "example.com", "ops", "asked")
        .expect("add");
    assert_eq!(added, Added::New);
    assert!(matches!(
        store
            .suppress(SuppressionKind::Domain, "example.com", "ops", "again")
            .expect("again"),
        Added::Exists(_)
    ));
    let list = store.suppression_list().expect("list");
    assert!(list.blocks("c1", Some("ann@example.com")));
    assert!(!list.blocks("c2", Some("bob@other.org")));
    assert!(
        store
            .unsuppress(SuppressionKind::Domain, "other.org", "ops", "no such")
            .expect("remove nothing")
            .is_none()
    );
    store
        .unsuppress(SuppressionKind::Domain, "example.com", "ops", "mistake")
        .expect("remove")
        .expect("was there");
    let log = store.suppression_log().expect("log");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["add", "remove"]);
    assert!(store.suppression_entries().expect("entries").is_empty());
}

fn optout_events_suppress_their_unit(store: &dyn Store) {
    import(store, &[event("o1", "c7", "reply", "optout", &day(2))]).expect("optout");
    let list = store.suppression_list().expect("list");
    assert!(list.blocks("c7", None));
}

fn erasure_keeps_figures_and_removes_the_person(store: &dyn Store) {
    store
        .import_territory(|sink| -> Result<(), StoreError> {
            sink.upsert(&contact("u1", "acc-u1", "ann@example.com"))?;
            Ok(())
        })
        .expect("territory");
    import(store, &small_log("u", 3)).expect("events");
    let r0 = report(
        &line(),
        &store.load_log(&line()).expect("log"),
        &[],
        Period::default(),
    )
    .expect("report");
    match store
        .erase("ann@example.com", "dpo", "request 7")
        .expect("erase")
    {
        EraseOutcome::Erased(e) => assert_eq!(e.contacts, 1),
        other => panic!("not erased: {other:?}"),
    }
    store.compact().expect("compact");
    let r1 = report(
        &line(),
        &store.load_log(&line()).expect("log"),
        &[],
        Period::default(),
    )
    .expect("report");
    assert_eq!(r0.stations[0].passed, r1.stations[0].passed);
    let contacts = store.territory_contacts().expect("contacts");
    assert!(
        contacts
            .iter()
            .all(|c| c.email.is_none() && c.first_name.is_none())
    );
    assert!(
        !store
            .unit_directory(&line())
            .expect("dir")
            .iter()
            .any(|u| u.key == "u1")
    );
    assert_eq!(
        store
            .erase("ann@example.com", "dpo", "again")
            .expect("again"),
        EraseOutcome::AlreadyErased
    );
    // A re-import of the territory row does not bring the person back.
    store
        .import_territory(|sink| sink.upsert(&contact("u1", "acc-u1", "ann@example.com")))
        .expect("re-import");
    assert!(
        store
            .territory_contacts()
            .expect("contacts")
            .iter()
            .all(|c| c.contact_id != "u1")
    );
}

fn writes_from_many_threads_queue_and_reads_run_alongside(store: Arc<dyn Store>) {
    let handles: Vec<_> = (0..6)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let log = small_log(&format!("t{t}-"), 50);
                import(&*store, &log).map(|v| v.len())
            })
        })
        .collect();
    let reader = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for _ in 0..20 {
                store
                    .load_log(&line())
                    .expect("a read failed during imports");
            }
        })
    };
    for h in handles {
        assert_eq!(h.join().expect("thread").expect("import"), 100);
    }
    reader.join().expect("reader");
    assert_eq!(store.event_count().expect("count"), 600);
    assert_eq!(
        store.stored_stations().expect("stations"),
        vec![("research".to_owned(), 600)]
    );
}

fn the_import_history_is_kept(store: &dyn Store) {
    let rec = yieldline_store::ImportRecord {
        kind: "events".into(),
        source: "a.csv".into(),
        read: 3,
        imported: 2,
        duplicates: 1,
        ..Default::default()
    };
    store.log_import(&rec).expect("log");
    let h = store.imports().expect("history");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].record, rec);
}

fn the_generation_moves_with_every_write(store: &dyn Store) {
    let g0 = store.generation().expect("g");
    import(store, &small_log("u", 1)).expect("import");
    let g1 = store.generation().expect("g");
    assert!(g1 > g0);
    let _ = import(store, &[]);
    store
        .suppress(SuppressionKind::Contact, "c1", "ops", "why")
        .expect("suppress");
    assert!(store.generation().expect("g") > g1);
}

fn a_mistaken_event_can_be_removed(store: &dyn Store) {
    import(store, &small_log("u", 2)).expect("import");
    let removed = store.remove_event("u0-d", "ops", "typo").expect("remove");
    assert_eq!(removed.map(|(s, _)| s), Some("research".to_owned()));
    assert_eq!(store.event_count().expect("count"), 3);
    assert_eq!(store.load_log(&line()).expect("log").len(), 3);
    assert!(
        store
            .remove_event("u0-d", "ops", "again")
            .expect("remove")
            .is_none()
    );
    assert!(store.integrity().expect("integrity").is_empty());
}

fn tokens_are_kept_by_hash_and_revoked(store: &dyn Store) {
    assert!(store.tokens().expect("tokens").is_empty());
    assert!(
        store
            .insert_token("ci", "viewer", "aa11", "ops")
            .expect("insert")
    );
    assert!(
        store
            .insert_token("ops", "admin", "bb22", "ops")
            .expect("insert")
    );
    // A taken name or hash changes nothing.
    assert!(
        !store
            .insert_token("ci", "admin", "cc33", "ops")
            .expect("insert")
    );
    assert!(
        !store
            .insert_token("other", "admin", "aa11", "ops")
            .expect("insert")
    );
    let all = store.tokens().expect("tokens");
    let names: Vec<_> = all.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["ci", "ops"]);
    assert_eq!(all[0].role, "viewer");
    assert_eq!(all[0].created_by, "ops");
    let t = store.token_by_hash("bb22").expect("read").expect("found");
    assert_eq!((t.name.as_str(), t.role.as_str()), ("ops", "admin"));
    assert!(store.token_by_hash("cc33").expect("read").is_none());
    // Lookups are reads: they do not move the generation.
    let g = store.generation().expect("g");
    let _ = store.token_by_hash("aa11").expect("read");
    assert_eq!(store.generation().expect("g"), g);
    assert!(store.revoke_token("ci").expect("revoke"));
    assert!(!store.revoke_token("ci").expect("revoke"));
    assert!(store.token_by_hash("aa11").expect("read").is_none());
    assert_eq!(store.tokens().expect("tokens").len(), 1);
}

// -- the backends ----------------------------------------------------------------------

macro_rules! backend {
    ($name:ident, $make:expr) => {
        mod $name {
            use super::*;

            fn make() -> Option<(Option<tempfile::TempDir>, Arc<dyn Store>)> {
                $make()
            }

            macro_rules! check {
                ($check:ident) => {
                    #[test]
                    fn $check() {
                        let Some((_dir, store)) = make() else {
                            return;
                        };
                        super::$check(&*store);
                    }
                };
            }

            check!(import_is_all_or_nothing);
            check!(reimport_is_idempotent_and_conflicts_are_refused);
            check!(content_with_separator_bytes_is_not_a_duplicate);
            check!(facts_come_back_in_pairing_order);
            check!(territory_units_share_the_log_id_space_and_reads_do_not_write);
            check!(experiments_round_trip);
            check!(the_analysis_data_holds_arm_events_and_later_outcomes);
            check!(suppression_is_kept_and_removals_logged);
            check!(optout_events_suppress_their_unit);
            check!(erasure_keeps_figures_and_removes_the_person);
            check!(the_import_history_is_kept);
            check!(the_generation_moves_with_every_write);
            check!(a_mistaken_event_can_be_removed);
            check!(tokens_are_kept_by_hash_and_revoked);

            #[test]
            fn writes_from_many_threads_queue_and_reads_run_alongside() {
                let Some((_dir, store)) = make() else {
                    return;
                };
                super::writes_from_many_threads_queue_and_reads_run_alongside(store);
            }
        }
    };
}

fn sqlite_file() -> Option<(Option<tempfile::TempDir>, Arc<dyn Store>)> {
    let dir = tempfile::tempdir().expect("tmp");
    let store = SqliteStore::open(&dir.path().join(yieldline_store::DB_FILE)).expect("store");
    Some((Some(dir), Arc::new(store)))
}

fn sqlite_memory() -> Option<(Option<tempfile::TempDir>, Arc<dyn Store>)> {
    Some((
        None,
        Arc::new(SqliteStore::open_in_memory().expect("store")),
    ))
}

/// PostgreSQL at `YIELDLINE_TEST_PG_URL`, each check in a workspace key of its own
/// (new, so empty); without the variable, the check says so loudly and passes.
fn postgres() -> Option<(Option<tempfile::TempDir>, Arc<dyn Store>)> {
    let Ok(url) = std::env::var("YIELDLINE_TEST_PG_URL") else {
        eprintln!("SKIPPED: no PostgreSQL (set YIELDLINE_TEST_PG_URL to run this check on it)");
        return None;
    };
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let key = format!(
        "conformance-{}-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let store = yieldline_store_postgres::PgStore::open(&url, &key).expect("PostgreSQL store");
    Some((None, Arc::new(store)))
}

backend!(sqlite_on_a_file, sqlite_file);
backend!(sqlite_in_memory, sqlite_memory);
backend!(postgresql, postgres);
