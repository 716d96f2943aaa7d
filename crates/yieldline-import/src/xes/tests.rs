//! XES reading and mapping on small logs written here.

use std::io::Write;
use std::path::PathBuf;

use yieldline_core::event::Event;
use yieldline_store::{SqliteStore, Store};

use super::*;
use crate::{Format, Options, Outcome, import_events};

const LINE: &str = r#"
[line]
name = "t"
timezone = "Europe/Amsterdam"
target_per_day = 1

[[station]]
id = "a"
operator = "automation"
capacity_per_day = 100

[[station]]
id = "b"
operator = "human"
capacity_per_day = 10

[[station]]
id = "c"
operator = "human"
capacity_per_day = 10
"#;

const MAPPING: &str = r#"
[xes]
lifecycle = ["complete"]
ignore = ["Noise"]

[[rule]]
activity = "Submit"
station = "a"
kind = "entered"

[[rule]]
activity = "Check"
station = "a"
kind = "passed"
enters = "b"

[[rule]]
activity = "Offer"
station = "b"
kind = "passed"
enters = "c"

[[rule]]
activity = "Approve"
station = "c"
kind = "passed"

[[rule]]
activity = "Decline"
station = "*current"
kind = "failed"
reason = "disqualified"

[[rule]]
activity = "W_*"
station = "*current"
kind = "touch"
channel = "other"

[[rule]]
activity = "W_Call"
station = "*current"
kind = "touch"
channel = "phone"
"#;

fn line() -> Line {
    Line::from_toml("line.toml", LINE).expect("line")
}

fn mapping(text: &str) -> XesMapping {
    XesMapping::from_toml("map.toml", text, &line()).expect("mapping")
}

/// One `<event>`: activity, lifecycle (or none), timestamp (or none).
fn ev(activity: &str, lifecycle: Option<&str>, ts: Option<&str>) -> String {
    let mut s = String::from("    <event>\n");
    s += &format!("      <string key=\"concept:name\" value=\"{activity}\"/>\n");
    if let Some(l) = lifecycle {
        s += &format!("      <string key=\"lifecycle:transition\" value=\"{l}\"/>\n");
    }
    s += "      <string key=\"org:resource\" value=\"112\"/>\n";
    if let Some(t) = ts {
        s += &format!("      <date key=\"time:timestamp\" value=\"{t}\"/>\n");
    }
    s + "    </event>\n"
}

fn done(activity: &str, minute: u32) -> String {
    ev(
        activity,
        Some("complete"),
        Some(&format!("2011-10-03T09:{minute:02}:00.000+02:00")),
    )
}

fn trace(id: &str, events: &[String]) -> String {
    format!(
        "  <trace>\n    <string key=\"concept:name\" value=\"{id}\"/>\n    <string key=\"customer\" value=\"cust-{id}\"/>\n{}  </trace>\n",
        events.concat()
    )
}

fn log(traces: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<log xes.version=\"1.0\" xmlns=\"http://www.xes-standard.org/\">\n  <global scope=\"event\">\n    <string key=\"concept:name\" value=\"UNKNOWN\"/>\n  </global>\n  <string key=\"concept:name\" value=\"a log\"/>\n{}</log>\n",
        traces.concat()
    )
}

/// Everything handed to the importer: events, or (field, message), with lines.
#[derive(Debug, Default)]
struct Got {
    events: Vec<Event>,
    rejects: Vec<(u64, Option<String>, String)>,
}

fn read(xes: &[u8], m: &XesMapping) -> Result<(Got, XesSummary), ImportError> {
    let mut got = Got::default();
    let summary = read_events(
        xes,
        Path::new("log.xes"),
        m,
        &line(),
        jiff::Timestamp::now(),
        &mut |parsed: Parsed, line_no: u64, _text: &dyn Fn() -> String| {
            match parsed {
                Ok(e) => got.events.push(e),
                Err((field, message)) => got.rejects.push((line_no, field, message)),
            }
            Ok(())
        },
    )?;
    Ok((got, summary))
}

fn brief(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| format!("{} {} {}", e.event_id, e.station, e.kind.as_str()))
        .collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).expect("gzip");
    enc.finish().expect("gzip")
}

/// The 1-based line of the `n`-th (0-based) occurrence of `needle`.
fn line_of_nth(text: &str, needle: &str, n: usize) -> u64 {
    let pos = text.match_indices(needle).nth(n).expect("occurrence").0;
    text[..pos].matches('\n').count() as u64 + 1
}

#[test]
fn a_nested_funnel_maps_with_stable_ids_plain_and_gzip_alike() {
    let text = log(&[trace(
        "t1",
        &[
            done("Submit", 0),
            done("Check", 1),
            done("W_Call", 2),
            done("Offer", 3),
            done("Approve", 4),
        ],
    )]);
    let m = mapping(MAPPING);
    let (plain, summary) = read(text.as_bytes(), &m).expect("plain");
    assert_eq!(
        brief(&plain.events),
        [
            "t1:0 a entered",
            "t1:1 a passed",
            "t1:1:entered b entered",
            "t1:2 b touch",
            "t1:3 b passed",
            "t1:3:entered c entered",
            "t1:4 c passed",
        ]
    );
    let e = &plain.events[3];
    assert_eq!(
        e.channel,
        Some(Channel::Phone),
        "the exact rule beats the W_* prefix"
    );
    assert_eq!(e.operator_id.as_deref(), Some("112"));
    assert_eq!((e.unit_id.as_str(), e.account_id.as_str()), ("t1", "t1"));
    assert_eq!(e.offset_seconds, 2 * 3600);
    assert_eq!((summary.traces, summary.events, summary.emitted), (1, 5, 7));

    let (zipped, again) = read(&gzip(&text), &m).expect("gzip");
    assert_eq!(zipped.events, plain.events);
    assert_eq!(again, summary);
}

#[test]
fn lifecycle_transitions_are_filtered_and_counted() {
    let ts = Some("2011-10-03T09:00:00+02:00");
    let text = log(&[trace(
        "t1",
        &[
            done("Submit", 0),
            ev("W_Fix", Some("schedule"), ts),
            ev("W_Fix", Some("START"), ts),
            ev("W_Fix", Some("COMPLETE"), ts),
            ev("W_Fix", None, ts),
        ],
    )]);
    let (got, summary) = read(text.as_bytes(), &mapping(MAPPING)).expect("read");
    // Matching is case-insensitive; an event without a transition counts as complete.
    assert_eq!(
        brief(&got.events),
        ["t1:0 a entered", "t1:3 a touch", "t1:4 a touch"]
    );
    assert_eq!(
        got.events[1].channel,
        Some(Channel::Other),
        "W_* prefix rule"
    );
    let skipped: Vec<_> = summary.lifecycle_skipped.into_iter().collect();
    assert_eq!(
        skipped,
        [("schedule".to_owned(), 1), ("start".to_owned(), 1)]
    );

    let both = MAPPING.replace(
        "lifecycle = [\"complete\"]",
        "lifecycle = [\"start\", \"complete\"]",
    );
    let (got, summary) = read(text.as_bytes(), &mapping(&both)).expect("read");
    assert_eq!(got.events.len(), 4);
    assert_eq!(summary.lifecycle_skipped.get("schedule"), Some(&1));
}

#[test]
fn current_station_follows_the_unit_and_misfits_are_counted() {
    let text = log(&[
        // Declined at b (after passing a), then a late call: no station any more.
        trace(
            "t1",
            &[
                done("Submit", 0),
                done("Check", 1),
                done("Decline", 2),
                done("W_Call", 3),
            ],
        ),
        // A second Check after a has been passed: not at a any more.
        trace(
            "t2",
            &[
                done("Submit", 0),
                done("Check", 1),
                done("Check", 2),
                done("Submit", 3),
                done("Submit", 4),
            ],
        ),
        // Declined before anything: no current station.
        trace("t3", &[done("Decline", 0)]),
    ]);
    let (got, summary) = read(text.as_bytes(), &mapping(MAPPING)).expect("read");
    assert_eq!(
        brief(&got.events),
        [
            "t1:0 a entered",
            "t1:1 a passed",
            "t1:1:entered b entered",
            "t1:2 b failed",
            "t2:0 a entered",
            "t2:1 a passed",
            "t2:1:entered b entered",
            "t2:3 a entered",
        ]
    );
    assert_eq!(got.events[3].reason.as_deref(), Some("disqualified"));
    let misfits: Vec<_> = summary.out_of_place.into_iter().collect();
    assert_eq!(
        misfits,
        [
            ("Check".to_owned(), 1),
            ("Decline".to_owned(), 1),
            ("Submit".to_owned(), 1),
            ("W_Call".to_owned(), 1),
        ]
    );
}

#[test]
fn unmapped_and_ignored_activities_are_counted_never_silent() {
    let text = log(&[trace(
        "t1",
        &[
            done("Submit", 0),
            done("O_CREATED", 1),
            done("O_CREATED", 2),
            done("Mystery", 3),
            done("Noise", 4),
        ],
    )]);
    let (got, summary) = read(text.as_bytes(), &mapping(MAPPING)).expect("read");
    assert_eq!(got.events.len(), 1);
    let lines = summary.lines().join("\n");
    assert!(
        lines.contains(
            "skipped 3 events of activities not in the mapping: O_CREATED (2), Mystery (1)"
        ),
        "{lines}"
    );
    assert!(
        lines.contains("ignored 1 events of activities the mapping ignores: Noise (1)"),
        "{lines}"
    );
}

#[test]
fn the_account_can_come_from_a_trace_attribute() {
    let text = log(&[trace("t1", &[done("Submit", 0)])]);
    let m = mapping(&MAPPING.replace("[xes]\n", "[xes]\naccount = \"customer\"\n"));
    let (got, _) = read(text.as_bytes(), &m).expect("read");
    assert_eq!(got.events[0].account_id, "cust-t1");

    let m = mapping(&MAPPING.replace("[xes]\n", "[xes]\naccount = \"branch\"\n"));
    let (got, _) = read(text.as_bytes(), &m).expect("read");
    assert_eq!(got.rejects.len(), 1);
    assert_eq!(got.rejects[0].1.as_deref(), Some("branch"));
}

#[test]
fn a_missing_or_bad_timestamp_is_rejected_with_its_line_and_field() {
    let text = log(&[trace(
        "t1",
        &[
            done("Submit", 0),
            ev("Check", Some("complete"), None),
            ev("Check", Some("complete"), Some("2011-10-03 09:00")),
        ],
    )]);
    let (got, _) = read(text.as_bytes(), &mapping(MAPPING)).expect("read");
    assert_eq!(
        got.events.len(),
        1,
        "the state does not move on a rejected event"
    );
    assert_eq!(got.rejects.len(), 2);
    let (l, field, msg) = &got.rejects[0];
    assert_eq!(*l, line_of_nth(&text, "<event>", 1));
    assert_eq!(
        (field.as_deref(), msg.as_str()),
        (Some("time:timestamp"), "is required")
    );
    let (l, field, _) = &got.rejects[1];
    assert_eq!(
        *l,
        line_of_nth(
            &text,
            "key=\"time:timestamp\" value=\"2011-10-03 09:00\"",
            0
        )
    );
    assert_eq!(field.as_deref(), Some("time:timestamp"));
}

#[test]
fn malformed_xml_names_the_line() {
    let bad = "<?xml version=\"1.0\"?>\n<log>\n  <trace>\n    <event>\n    </trace>\n</log>\n";
    let err = read(bad.as_bytes(), &mapping(MAPPING)).expect_err("mismatched");
    match &err {
        ImportError::Malformed { line, message, .. } => {
            assert_eq!(*line, 5, "{message}");
            assert!(message.contains("malformed XML"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().starts_with("log.xes:5: malformed XML"),
        "{err}"
    );

    let cut = "<log>\n  <trace>\n    <event>\n";
    let err = read(cut.as_bytes(), &mapping(MAPPING)).expect_err("truncated");
    assert!(
        err.to_string()
            .contains("<event> opened at line 3 is not closed"),
        "{err}"
    );

    let err = read(b"<html>\n</html>\n", &mapping(MAPPING)).expect_err("not xes");
    assert!(
        err.to_string().contains("log.xes:1: not an XES log"),
        "{err}"
    );

    let err = read(&gzip(bad), &mapping(MAPPING)).expect_err("gzip too");
    assert!(err.to_string().starts_with("log.xes:5:"), "{err}");
}

#[test]
fn mapping_problems_name_key_and_line() {
    let l = line();
    let err = |text: &str| {
        XesMapping::from_toml("map.toml", text, &l)
            .expect_err("invalid")
            .to_string()
    };
    let msg = err(
        "[xes]\nlifecycle = [\"complete\"]\n\n[[rule]]\nactivity = \"A\"\nstaton = \"a\"\nkind = \"entered\"\n",
    );
    assert!(
        msg.contains("map.toml:6:") && msg.contains("staton"),
        "{msg}"
    );
    let msg = err("[[rule]]\nactivity = \"A\"\nstation = \"nowhere\"\nkind = \"entered\"\n");
    assert!(
        msg.contains("map.toml:3: rule[1].station: unknown station \"nowhere\""),
        "{msg}"
    );
    let msg = err("[[rule]]\nactivity = \"A\"\nstation = \"*current\"\nkind = \"failed\"\n");
    assert!(
        msg.contains("map.toml:4: rule[1].reason: is required"),
        "{msg}"
    );
    let msg = err(
        "[[rule]]\nactivity = \"A\"\nstation = \"a\"\nkind = \"entered\"\n[[rule]]\nactivity = \"A\"\nstation = \"b\"\nkind = \"entered\"\n",
    );
    assert!(
        msg.contains("map.toml:6: rule[2].activity: activity \"A\" is already mapped at line 2"),
        "{msg}"
    );
    let msg =
        err("[[rule]]\nactivity = \"A\"\nstation = \"a\"\nkind = \"touch\"\nchannel = \"fax\"\n");
    assert!(
        msg.contains("map.toml:5: rule[1].channel: unknown channel \"fax\""),
        "{msg}"
    );
    let msg = err(
        "[[rule]]\nactivity = \"A\"\nstation = \"a\"\nkind = \"failed\"\nreason = \"x\"\nenters = \"b\"\n",
    );
    assert!(
        msg.contains("map.toml:6: rule[1].enters: applies to `passed` rules only"),
        "{msg}"
    );
    let msg = err(
        "[xes]\nunit = \"event\"\n[[rule]]\nactivity = \"A*B\"\nstation = \"a\"\nkind = \"entered\"\n",
    );
    assert!(
        msg.contains("map.toml:2: xes.unit") && msg.contains("map.toml:4: rule[1].activity"),
        "{msg}"
    );
    assert!(err("[xes]\n").contains("at least one [[rule]]"));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn import(
    store: &SqliteStore,
    path: &Path,
    m: &XesMapping,
    skip_bad: bool,
) -> Result<Outcome, ImportError> {
    import_events(
        store,
        &line(),
        path,
        Format::Xes(m),
        Options {
            skip_bad,
            ..Options::default()
        },
        &mut |_| {},
    )
}

#[test]
fn importing_into_a_store_is_idempotent_and_refuses_bad_events_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = log(&[
        trace(
            "t1",
            &[done("Submit", 0), done("Check", 1), done("Mystery", 2)],
        ),
        trace("t2", &[done("Submit", 5)]),
    ]);
    let path = write(dir.path(), "log.xes.gz", &gzip(&good));
    let m = mapping(MAPPING);
    let store = SqliteStore::open_in_memory().expect("store");
    let first = import(&store, &path, &m, false).expect("import");
    assert_eq!((first.record.read, first.record.imported), (4, 4));
    assert_eq!(first.xes.as_ref().map(|x| x.unmapped.len()), Some(1));
    let again = import(&store, &path, &m, false).expect("again");
    assert_eq!((again.record.imported, again.record.duplicates), (0, 4));
    assert_eq!(store.event_count().expect("count"), 4);

    let bad = log(&[trace(
        "t3",
        &[done("Submit", 0), ev("Check", Some("complete"), None)],
    )]);
    let path = write(dir.path(), "bad.xes", bad.as_bytes());
    let err = import(&store, &path, &m, false).expect_err("refused");
    let want = format!(
        "bad.xes:{}: field `time:timestamp`",
        line_of_nth(&bad, "<event>", 1)
    );
    assert!(err.to_string().contains(&want), "{err}");
    assert_eq!(
        store.event_count().expect("count"),
        4,
        "nothing of the file stored"
    );

    let out = import(&store, &path, &m, true).expect("skip bad");
    assert_eq!((out.record.imported, out.record.rejected), (1, 1));
    assert!(
        out.rejects[0]
            .record
            .contains("trace=t3 event=1 concept:name=Check"),
        "{:?}",
        out.rejects
    );
}

#[test]
fn xes_paths_are_recognised() {
    assert!(is_xes_path(Path::new("a/BPIC.xes")));
    assert!(is_xes_path(Path::new("bpic2012.XES.gz")));
    assert!(!is_xes_path(Path::new("events.csv")));
    assert!(!is_xes_path(Path::new("x.gz")));
}

#[test]
fn the_bpic2012_examples_are_valid() {
    let line = Line::from_toml(
        "bpic2012-line.toml",
        include_str!("../../../../examples/bpic2012-line.toml"),
    )
    .expect("line");
    let m = XesMapping::from_toml(
        "bpic2012-mapping.toml",
        include_str!("../../../../examples/bpic2012-mapping.toml"),
        &line,
    )
    .expect("mapping");
    assert_eq!(m.target("A_PARTLYSUBMITTED"), Target::Rule(1));
    assert_eq!(m.target("O_CREATED"), Target::Ignored);
    assert_eq!(m.target("A_SOMETHING_NEW"), Target::Unmapped);
}
