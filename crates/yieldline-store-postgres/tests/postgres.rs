//! PostgreSQL-only checks (the behaviour shared with SQLite is in
//! `yieldline-store/tests/conformance.rs`): the schema is keyed for distribution, two
//! workspaces never see each other's rows, concurrent imports store every event exactly
//! once, a killed import loses and duplicates nothing, an erasure leaves no personal
//! data in live rows. They run when `YIELDLINE_TEST_PG_URL` names a database, else
//! print "SKIPPED: no PostgreSQL" and pass.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use yieldline_core::event::{Event, RawEvent};
use yieldline_core::line::{Line, TEMPLATE};
use yieldline_store::{Contact, EraseOutcome, Store, StoreError, StoreExt};
use yieldline_store_postgres::PgStore;

const URL_VAR: &str = "YIELDLINE_TEST_PG_URL";

fn url() -> Option<String> {
    let url = std::env::var(URL_VAR).ok();
    if url.is_none() {
        eprintln!("SKIPPED: no PostgreSQL (set {URL_VAR} to run this check)");
    }
    url
}

fn fresh_key(what: &str) -> String {
    format!(
        "{what}-{}-{}",
        std::process::id(),
        jiff::Timestamp::now().as_nanosecond()
    )
}

fn line() -> Line {
    Line::from_toml("line.toml", TEMPLATE).expect("template")
}

fn event(i: usize) -> Event {
    RawEvent {
        event_id: Some(format!("ev-{i}").into()),
        ts: Some(format!("2025-03-{:02}T10:00:00Z", 3 + i % 20).into()),
        unit_id: Some(format!("c{}", i / 2).into()),
        account_id: Some(format!("a{}", i / 20).into()),
        station: Some("research".into()),
        kind: Some(
            if i.is_multiple_of(2) {
                "entered"
            } else {
                "passed"
            }
            .into(),
        ),
        ..RawEvent::default()
    }
    .validate(&line(), jiff::Timestamp::now())
    .expect("valid")
}

fn import(store: &dyn Store, events: &[Event]) -> Result<(), StoreError> {
    store.import_events(|sink| {
        for e in events {
            sink.insert(e)?;
        }
        Ok(())
    })
}

/// Runs `f` on a raw client of the test database.
fn sql<T>(
    url: &str,
    f: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<T, tokio_postgres::Error>,
) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        f(&client).await.expect("query")
    })
}

#[test]
fn every_key_and_index_begins_with_the_workspace() {
    let Some(url) = url() else { return };
    PgStore::open(&url, &fresh_key("keys")).expect("store");
    let (constraints, indexes) = sql(&url, async |c| {
        let cons = c
            .query(
                "SELECT con.conname::text, con.contype::text, a.attname::text,
                        coalesce(fa.attname::text, '')
                 FROM pg_constraint con
                 JOIN pg_class t ON t.oid = con.conrelid
                 JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
                 LEFT JOIN pg_attribute fa ON fa.attrelid = con.confrelid AND fa.attnum = con.confkey[1]
                 WHERE con.contype IN ('p', 'u', 'f') AND t.relname <> 'yieldline_migrations'",
                &[],
            )
            .await?;
        let idx = c
            .query(
                "SELECT i.indexrelid::regclass::text, a.attname::text
                 FROM pg_index i
                 JOIN pg_class t ON t.oid = i.indrelid
                 JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                 WHERE t.relname <> 'yieldline_migrations'",
                &[],
            )
            .await?;
        Ok((cons, idx))
    });
    assert!(constraints.len() >= 20, "found {}", constraints.len());
    let mut wrong = Vec::new();
    for r in &constraints {
        let (name, kind, first, foreign_first): (String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if first != "workspace" || (kind == "f" && foreign_first != "workspace") {
            wrong.push(format!("{kind} {name} begins with {first}/{foreign_first}"));
        }
    }
    for r in &indexes {
        let (name, first): (String, String) = (r.get(0), r.get(1));
        if first != "workspace" {
            wrong.push(format!("index {name} begins with {first}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn two_workspaces_in_one_database_never_see_each_others_rows() {
    let Some(url) = url() else { return };
    let a = PgStore::open(&url, &fresh_key("team-a")).expect("a");
    let b = PgStore::open(&url, &fresh_key("team-b")).expect("b");
    let events: Vec<Event> = (0..40).map(event).collect();
    import(&a, &events).expect("a imports");
    a.suppress(
        yieldline_core::suppression::SuppressionKind::Domain,
        "example.com",
        "ops",
        "asked",
    )
    .expect("suppress");
    a.insert_token("ci", "viewer", "hash-1", "ops")
        .expect("token");
    assert_eq!(b.event_count().expect("count"), 0);
    assert!(b.load_log(&line()).expect("log").is_empty());
    assert!(b.suppression_entries().expect("entries").is_empty());
    assert!(b.token_by_hash("hash-1").expect("token").is_none());
    // The same event ids in the other workspace are new there, not duplicates.
    import(&b, &events[..10]).expect("b imports");
    assert_eq!(b.event_count().expect("count"), 10);
    assert_eq!(a.event_count().expect("count"), 40);
}

#[test]
fn concurrent_overlapping_imports_store_every_event_exactly_once() {
    let Some(url) = url() else { return };
    let key = fresh_key("concurrent");
    let writers: Vec<_> = (0..8)
        .map(|t| {
            let (url, key) = (url.clone(), key.clone());
            std::thread::spawn(move || {
                // A store per thread: its own connections, as another process would.
                let store = PgStore::open(&url, &key)?;
                let mine: Vec<Event> = (t * 250..t * 250 + 750).map(event).collect();
                import(&store, &mine)
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (url, key) = (url.clone(), key.clone());
            std::thread::spawn(move || -> Result<(), StoreError> {
                let store = PgStore::open(&url, &key)?;
                for _ in 0..10 {
                    store.load_log(&line())?;
                    store.event_count()?;
                }
                Ok(())
            })
        })
        .collect();
    for w in writers {
        w.join()
            .expect("writer")
            .expect("no error reaches the user");
    }
    for r in readers {
        r.join().expect("reader").expect("reads never fail");
    }
    let store = PgStore::open(&url, &key).expect("store");
    // Threads t import ids t*250 .. t*250+750: the union is 0 .. 2500.
    assert_eq!(store.event_count().expect("count"), 2_500);
    let seqs: BTreeSet<i64> = store
        .load_log(&line())
        .expect("log")
        .facts()
        .iter()
        .map(|f| f.seq)
        .collect();
    assert_eq!(
        seqs.len(),
        2_500,
        "every event once, with its own sequence number"
    );
}

/// The child of the kill test: imports `YL_CHILD_EVENTS` events into `YL_CHILD_KEY`.
#[test]
#[ignore = "run by killed_imports_lose_and_duplicate_nothing as a child process"]
fn child_import() {
    let (Some(url), Ok(key), Ok(n)) = (
        url(),
        std::env::var("YL_CHILD_KEY"),
        std::env::var("YL_CHILD_EVENTS"),
    ) else {
        return;
    };
    let n: usize = n.parse().expect("count");
    let store = PgStore::open(&url, &key).expect("store");
    let events: Vec<Event> = (0..n).map(event).collect();
    import(&store, &events).expect("import");
}

#[test]
fn killed_imports_lose_and_duplicate_nothing() {
    let Some(url) = url() else { return };
    let key = fresh_key("kill");
    let store = PgStore::open(&url, &key).expect("store");
    let committed: Vec<Event> = (0..1_000).map(event).collect();
    import(&store, &committed).expect("first import");
    let n = 60_000;
    let exe = std::env::current_exe().expect("test binary");
    let mut outcomes = Vec::new();
    for delay_ms in [0, 100, 300, 700, 1_500] {
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", "child_import", "--ignored", "--nocapture"])
            .env("YL_CHILD_KEY", &key)
            .env("YL_CHILD_EVENTS", n.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("child");
        // Killed inside its transaction: once it holds the workspace's write lock.
        let started = std::time::Instant::now();
        while sql(&url, async |c| {
            let n: i64 = c
                .query_one(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted",
                    &[],
                )
                .await?
                .get(0);
            Ok(n)
        }) == 0
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the child never began"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGKILL: no chance to roll back or clean up.
        child.kill().expect("kill -9");
        let _ = child.wait();
        let count = store.event_count().expect("count");
        assert!(
            count == 1_000 || count == n as u64,
            "after a kill at {delay_ms} ms: {count} events (want 1000 or {n})"
        );
        outcomes.push((delay_ms, count));
        if count == n as u64 {
            break;
        }
    }
    eprintln!("(kill after ms, events stored): {outcomes:?}");
    // The import run to its end stores everything once.
    let all: Vec<Event> = (0..n).map(event).collect();
    import(&store, &all).expect("import after the kills");
    assert_eq!(
        store.event_count().expect("count"),
        n as u64,
        "{outcomes:?}"
    );
    let seqs: BTreeSet<i64> = store
        .load_log(&line())
        .expect("log")
        .facts()
        .iter()
        .map(|f| f.seq)
        .collect();
    assert_eq!(seqs.len(), n);
}

#[test]
fn erasure_leaves_no_personal_data_in_any_text_column() {
    let Some(url) = url() else { return };
    let key = fresh_key("erase");
    let store = PgStore::open(&url, &key).expect("store");
    store
        .import_territory(|sink| -> Result<(), StoreError> {
            for (id, email, first, last, title) in [
                (
                    "zq-17",
                    "zelda.quixote@example.com",
                    "Zelda",
                    "Quixote-Smythe",
                    "Head of Zeldas",
                ),
                ("bo-2", "bob@example.org", "Bob", "Builder", "Engineer"),
            ] {
                sink.upsert(&Contact {
                    contact_id: id.into(),
                    account_id: "acc-1".into(),
                    fit_tier: Some(1),
                    first_name: Some(first.into()),
                    last_name: Some(last.into()),
                    email: Some(email.into()),
                    title: Some(title.into()),
                })?;
            }
            Ok(())
        })
        .expect("territory");
    let mut e = event(0);
    e.unit_id = "zq-17".into();
    let mut f = event(1);
    f.unit_id = "zq-17".into();
    f.kind = yieldline_core::event::EventKind::Failed;
    f.reason = Some("Zelda Quixote-Smythe asked us to stop".into());
    let mut g = event(2);
    g.referral_unit_id = Some("zq-17".into());
    import(&store, &[e, f, g]).expect("events");
    store
        .suppress(
            yieldline_core::suppression::SuppressionKind::Email,
            "zelda.quixote@example.com",
            "ops",
            "Zelda asked",
        )
        .expect("suppress");
    let out = store
        .erase("zelda.quixote@example.com", "dpo", "request from zq-17")
        .expect("erase");
    assert!(matches!(out, EraseOutcome::Erased(_)), "{out:?}");
    store.compact().expect("compact");
    // Every text column of every table, in this workspace's rows.
    let hits = sql(&url, async |c| {
        let cols = c
            .query(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND data_type = 'text'
                   AND column_name <> 'workspace' AND table_name <> 'yieldline_migrations'",
                &[],
            )
            .await?;
        let mut hits = Vec::new();
        for col in &cols {
            let (t, col): (String, String) = (col.get(0), col.get(1));
            let n: i64 = c
                .query_one(
                    &format!(
                        "SELECT count(*) FROM {t} WHERE workspace = $1
                           AND (lower({col}) LIKE '%zelda%' OR lower({col}) LIKE '%zq-17%'
                                OR lower({col}) LIKE '%quixote%')"
                    ),
                    &[&key],
                )
                .await?
                .get(0);
            if n > 0 {
                hits.push(format!("{t}.{col}: {n}"));
            }
        }
        Ok((cols.len(), hits))
    });
    assert!(hits.0 > 30, "only {} text columns scanned", hits.0);
    assert!(hits.1.is_empty(), "personal data left: {:?}", hits.1);
    // Bob, not erased, is still there (the scan could find a name).
    let bob = store.territory_contacts().expect("contacts");
    assert!(bob.iter().any(|c| c.first_name.as_deref() == Some("Bob")));
}

#[test]
fn the_store_survives_a_dropped_store_inside_a_runtime() {
    let Some(url) = url() else { return };
    let store = Arc::new(PgStore::open(&url, &fresh_key("runtime")).expect("store"));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        // As `serve` does: calls from blocking tasks, then the store dropped in a task.
        let s = Arc::clone(&store);
        let n = tokio::task::spawn_blocking(move || s.event_count())
            .await
            .expect("task")
            .expect("count");
        assert_eq!(n, 0);
        assert_eq!(store.event_count().expect("from an async task too"), 0);
        drop(store);
    });
}
