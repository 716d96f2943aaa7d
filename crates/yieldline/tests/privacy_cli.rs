//! End-to-end tests of suppression and erasure: the real `yieldline` binary on a real
//! workspace, with the store file checked byte by byte.

mod common;

use common::*;

use std::path::Path;

use serde_json::Value;
use yieldline_store::{DB_FILE, SqliteStore, Store};

const TERRITORY: &str = "\
contact_id,account_id,fit_tier,first_name,last_name,email,title
c1,a1,1,Zelda,Quixotic,Zelda.Quixotic@acme-widgets.com,Head of Purchasing
c2,a1,2,Bob,Builder,bob@acme-widgets.com,CTO
marguerite.vandersloot@globex.example,a2,1,Marguerite,Vandersloot,marguerite.vandersloot@globex.example,VP Sales
c4,a3,3,Ann,Other,ann@initech.example,Engineer
c5,a3,2,Carl,Other,carl@initech.example,Analyst
";

fn events() -> String {
    [
        HEADER,
        "e1,2025-03-03T09:00:00-05:00,c1,a1,research,entered,,,,,,,,",
        "e2,2025-03-03T11:00:00-05:00,c1,a1,research,passed,,,,,rep-1,human,,6",
        "e3,2025-03-03T11:00:00-05:00,c1,a1,first-touch,entered,,,,,,,,",
        "e4,2025-03-04T09:00:00-05:00,c1,a1,first-touch,touch,,,,email,seq-1,automation,,",
        "e5,2025-03-05T09:00:00-05:00,c1,a1,first-touch,failed,Zelda Quixotic wants a call in May,,,,,,,",
        "e6,2025-03-03T09:30:00-05:00,c2,a1,research,entered,,,,,,,,",
        "e7,2025-03-04T10:00:00-05:00,c2,a1,research,passed,,,marguerite.vandersloot@globex.example,,,,,",
        "e8,2025-03-04T10:00:00-05:00,marguerite.vandersloot@globex.example,a2,research,entered,,,,,,,,",
        "e9,2025-03-05T10:00:00-05:00,marguerite.vandersloot@globex.example,a2,research,recycled,,2025-06-01,,,,,,",
        "e10,2025-03-04T09:00:00-05:00,c4,a3,research,entered,,,,,,,,",
    ]
    .join("\n")
        + "\n"
}

fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    std::fs::write(dir.path().join("territory.csv"), TERRITORY).expect("territory");
    std::fs::write(dir.path().join("events.csv"), events()).expect("events");
    ok(dir.path(), &["import", "territory", "territory.csv"]);
    ok(dir.path(), &["import", "events", "events.csv"]);
    dir
}

fn report_json(dir: &Path) -> Value {
    serde_json::from_str(&ok(dir, &["report", "--format", "json"])).expect("json")
}

fn suppress_list(dir: &Path) -> Vec<Value> {
    let v: Value =
        serde_json::from_str(&ok(dir, &["suppress", "list", "--format", "json"])).expect("json");
    v.as_array().expect("array").clone()
}

/// The lower-cased bytes of the store's files (main, WAL, shared memory).
fn store_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("{DB_FILE}{suffix}"));
        if let Ok(bytes) = std::fs::read(&path) {
            all.extend(bytes.to_ascii_lowercase());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    let n = needle.to_ascii_lowercase();
    haystack.windows(n.len()).any(|w| w == n.as_bytes())
}

/// Personal data of the two persons erased in the test.
const ERASED_TRACES: [&str; 8] = [
    "zelda",
    "quixotic",
    "head of purchasing",
    "wants a call",
    "marguerite",
    "vandersloot",
    "globex.example",
    "vp sales",
];

fn open_store(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join(DB_FILE)).expect("open store")
}

#[test]
fn erase_keeps_reports_leaves_no_trace_and_survives_reimport() {
    let ws = workspace();
    let d = ws.path();
    let before = report_json(d);
    let bytes = store_bytes(d);
    for t in ERASED_TRACES {
        assert!(
            contains(&bytes, t),
            "{t:?} should be in the store before the erasure"
        );
    }

    // By e-mail (any case), and a person whose contact id is their address.
    let out = ok(
        d,
        &[
            "erase",
            "ZELDA.QUIXOTIC@acme-widgets.com",
            "--by",
            "dpo",
            "--reason",
            "ticket 42",
        ],
    );
    assert!(
        out.contains("1 territory contact(s) anonymised") && out.contains("VACUUM"),
        "{out}"
    );
    ok(
        d,
        &words("erase marguerite.vandersloot@globex.example --by dpo"),
    );

    assert_eq!(report_json(d), before, "the erasure changed a report");
    let bytes = store_bytes(d);
    for t in ERASED_TRACES {
        assert!(
            !contains(&bytes, t),
            "{t:?} is still in the store files after the erasure"
        );
    }
    assert!(
        contains(&bytes, "bob@acme-widgets.com"),
        "others' data stays (and the scan works)"
    );

    let entries = suppress_list(d);
    let erased: Vec<_> = entries.iter().filter(|e| e["kind"] == "erased").collect();
    assert_eq!(
        erased.len(),
        3,
        "hashes of c1, Zelda's address and Marguerite's id: {entries:?}"
    );
    assert!(
        erased
            .iter()
            .all(|e| e["target"].as_str().is_some_and(|t| t.len() == 64))
    );
    let log = ok(d, &["suppress", "log", "--format", "csv"]);
    assert!(
        log.lines().filter(|l| l.contains(",erase,erased,")).count() == 3,
        "{log}"
    );
    assert!(!log.to_ascii_lowercase().contains("zelda"), "{log}");

    // Erasing again is harmless; an unknown person is an error.
    let again = ok(d, &["erase", "c1"]);
    assert!(again.contains("erased before"), "{again}");
    let err = fails(d, &["erase", "nobody@nowhere.example"]);
    assert!(err.contains("no contact, e-mail address or unit"), "{err}");

    // Re-importing the original files brings nobody back.
    let territory = stderr_of(d, &["import", "territory", "territory.csv"]);
    assert!(territory.contains("skipped: erased 2"), "{territory}");
    let events_again = stderr_of(d, &["import", "events", "events.csv"]);
    assert!(
        events_again.contains("imported 0, skipped as duplicates 10"),
        "{events_again}"
    );
    assert_eq!(report_json(d), before, "the re-import changed a report");
    let bytes = store_bytes(d);
    for t in ERASED_TRACES {
        assert!(
            !contains(&bytes, t),
            "{t:?} was stored again by the re-import"
        );
    }

    // A later event for the erased contact is counted, anonymously, and they stay suppressed.
    std::fs::write(
        d.join("later.csv"),
        format!("{HEADER}\ne11,2025-03-06T09:00:00-05:00,c1,a1,research,entered,,,,,,,,\n"),
    )
    .expect("later");
    ok(d, &["import", "events", "later.csv"]);
    let after = report_json(d);
    assert_eq!(
        after["stations"][0]["entered"].as_u64(),
        before["stations"][0]["entered"].as_u64().map(|n| n + 1)
    );
    let store = open_store(d);
    let list = store.suppression_list().expect("list");
    assert!(list.blocks("c1", None));
    assert!(list.blocks("c99", Some("zelda.quixotic@acme-widgets.com")));
    assert!(list.blocks("marguerite.vandersloot@globex.example", None));
    assert!(!list.blocks("c2", Some("bob@acme-widgets.com")));
    let contacts = store.territory_contacts().expect("contacts");
    assert_eq!(contacts.len(), 5);
    let anonymous: Vec<_> = contacts
        .iter()
        .filter(|c| c.contact_id.starts_with("erased:"))
        .collect();
    assert_eq!(anonymous.len(), 2);
    assert!(
        anonymous
            .iter()
            .all(|c| c.email.is_none() && c.first_name.is_none() && c.title.is_none())
    );
    assert!(
        contacts
            .iter()
            .all(|c| !list.blocks(&c.contact_id, c.email.as_deref())
                || c.contact_id.starts_with("erased:"))
    );
    let line = yieldline_app::read_line(d).expect("line");
    let unit_c1 = store
        .unit_directory(&line)
        .expect("directory")
        .iter()
        .any(|u| u.key == "c1");
    assert!(
        !unit_c1,
        "the later event re-created the erased contact's id"
    );
}

#[test]
fn suppression_add_list_remove_and_optouts() {
    let ws = workspace();
    let d = ws.path();
    assert!(suppress_list(d).is_empty());

    let out = ok(
        d,
        &[
            "suppress",
            "add",
            "--email",
            "Bob@ACME-widgets.com",
            "--reason",
            "asked by phone",
            "--by",
            "ann",
        ],
    );
    assert!(
        out.contains("suppressed email bob@acme-widgets.com"),
        "{out}"
    );
    ok(
        d,
        &[
            "suppress",
            "add",
            "--domain",
            "Initech.example",
            "--reason",
            "legal hold",
        ],
    );
    ok(
        d,
        &[
            "suppress",
            "add",
            "--contact",
            "c1",
            "--reason",
            "hostile reply",
            "--by",
            "rep-2",
        ],
    );
    let dup = ok(
        d,
        &words("suppress add --contact c1 --reason again --by someone"),
    );
    assert!(
        dup.contains("already suppressed") && dup.contains("rep-2"),
        "{dup}"
    );

    let entries = suppress_list(d);
    assert_eq!(entries.len(), 3, "{entries:?}");
    let bob = entries
        .iter()
        .find(|e| e["kind"] == "email")
        .expect("email entry");
    assert_eq!(
        (bob["target"].as_str(), bob["added_by"].as_str()),
        (Some("bob@acme-widgets.com"), Some("ann"))
    );
    assert_eq!(bob["reason"], "asked by phone");
    assert!(
        bob["added_at"]
            .as_str()
            .is_some_and(|t| t.starts_with("20"))
    );
    let domain = entries
        .iter()
        .find(|e| e["kind"] == "domain")
        .expect("domain entry");
    assert_eq!(
        (domain["target"].as_str(), domain["added_by"].as_str()),
        (Some("initech.example"), Some("test-admin"))
    );
    let csv = ok(d, &["suppress", "list", "--format", "csv"]);
    assert!(
        csv.starts_with("kind,target,added_at,added_by,reason\n") && csv.lines().count() == 4,
        "{csv}"
    );
    assert!(ok(d, &["suppress", "list"]).contains("initech.example"));

    // The domain blocks every contact at it; the others only where listed.
    {
        let store = open_store(d);
        let list = store.suppression_list().expect("list");
        let blocked: Vec<String> = store
            .territory_contacts()
            .expect("contacts")
            .iter()
            .filter(|c| list.blocks(&c.contact_id, c.email.as_deref()))
            .map(|c| c.contact_id.clone())
            .collect();
        assert_eq!(blocked, ["c1", "c2", "c4", "c5"]);
    }

    // Bad input is refused with a clear message.
    assert!(
        fails(
            d,
            &[
                "suppress",
                "add",
                "--email",
                "not-an-address",
                "--reason",
                "x"
            ]
        )
        .contains("--email")
    );
    assert!(
        fails(
            d,
            &[
                "suppress",
                "add",
                "--email",
                "ann@localhost",
                "--reason",
                "x"
            ]
        )
        .contains("not an e-mail")
    );
    assert!(
        fails(
            d,
            &["suppress", "add", "--domain", "@initech", "--reason", "x"]
        )
        .contains("--domain")
    );
    assert!(
        fails(
            d,
            &[
                "suppress",
                "add",
                "--domain",
                "bad domain.com",
                "--reason",
                "x"
            ]
        )
        .contains("not a domain")
    );
    assert!(
        fails(
            d,
            &[
                "suppress",
                "add",
                "--contact",
                "c1",
                "--email",
                "a@b.com",
                "--reason",
                "x"
            ]
        )
        .contains("cannot be used")
    );
    fails(d, &["suppress", "add", "--contact", "c9"]);

    // Removal needs --force and is logged with who and why.
    let refused = fails(d, &words("suppress remove --contact c1 --reason mistake"));
    assert!(refused.contains("--force"), "{refused}");
    assert_eq!(suppress_list(d).len(), 3);
    let missing = fails(
        d,
        &words("suppress remove --contact c77 --reason x --force"),
    );
    assert!(missing.contains("not suppressed"), "{missing}");
    ok(
        d,
        &[
            "suppress",
            "remove",
            "--contact",
            "c1",
            "--force",
            "--reason",
            "entered by mistake",
            "--by",
            "lead",
        ],
    );
    assert_eq!(suppress_list(d).len(), 2);
    let log: Value =
        serde_json::from_str(&ok(d, &["suppress", "log", "--format", "json"])).expect("json");
    let last = log.as_array().and_then(|l| l.last()).expect("log rows");
    assert_eq!(
        (
            &last["action"],
            &last["target"],
            &last["who"],
            &last["reason"]
        ),
        (
            &Value::from("remove"),
            &Value::from("c1"),
            &Value::from("lead"),
            &Value::from("entered by mistake")
        )
    );

    // Imported opt-outs add entries; re-imports and later events change nothing.
    std::fs::write(
        d.join("optouts.csv"),
        format!(
            "{HEADER}\ne20,2025-03-06T09:00:00-05:00,c5,a3,first-touch,optout,,,,,,,,\ne21,2025-03-06T10:00:00-05:00,c2,a1,first-touch,failed,optout,,,,,,,\n"
        ),
    )
    .expect("optouts");
    ok(d, &["import", "events", "optouts.csv"]);
    let entries = suppress_list(d);
    let from_import: Vec<_> = entries
        .iter()
        .filter(|e| e["added_by"] == "import")
        .map(|e| {
            (
                e["target"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        from_import,
        [("c2", "optout event e21"), ("c5", "optout event e20")]
    );

    ok(d, &["import", "territory", "territory.csv"]);
    ok(d, &["import", "events", "events.csv", "optouts.csv"]);
    std::fs::write(
        d.join("later.csv"),
        format!(
            "{HEADER}\ne22,2025-03-07T09:00:00-05:00,c5,a3,research,entered,,,,,,,,\ne23,2025-03-07T10:00:00-05:00,c5,a3,research,passed,,,,,,,,\n"
        ),
    )
    .expect("later");
    ok(d, &["import", "events", "later.csv"]);
    assert_eq!(
        suppress_list(d),
        entries,
        "re-imports or later events changed the suppression list"
    );

    // Erasing a suppressed contact keeps it suppressed, by hash.
    ok(d, &["erase", "c5", "--by", "dpo"]);
    let entries = suppress_list(d);
    assert!(!entries.iter().any(|e| e["target"] == "c5"), "{entries:?}");
    assert!(
        entries
            .iter()
            .any(|e| e["kind"] == "erased" && e["reason"] == "optout event e20"),
        "{entries:?}"
    );
    assert!(
        open_store(d)
            .suppression_list()
            .expect("list")
            .blocks("c5", None)
    );
}
