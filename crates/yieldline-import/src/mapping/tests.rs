//! Tests of the tabular mapping engine and the built-in sources, on fixtures written
//! from the vendors' field lists (`tests/fixtures/sources/`).

use std::path::{Path, PathBuf};

use yieldline_core::event::Event;
use yieldline_core::line::{Line, TEMPLATE};
use yieldline_core::values::{DateFormat, TimeRules};
use yieldline_store::{SqliteStore, Store};

use super::*;
use crate::csv_events::Check;
use crate::{Format, ImportError, Options, Outcome, Parsed, import_events};

fn line() -> Line {
    Line::from_toml("line.toml", TEMPLATE).expect("template line")
}

fn fixture(source: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sources")
        .join(source)
        .join(file)
}

/// Everything a file maps to: events as `id station kind`, rejects, and the summary.
struct Got {
    events: Vec<Event>,
    rejects: Vec<(u64, Option<String>, String)>,
    summary: SourceSummary,
}

fn brief(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| format!("{} {} {}", e.event_id, e.station, e.kind.as_str()))
        .collect()
}

fn read_bytes(bytes: &[u8], m: &SourceMapping) -> Result<Got, ImportError> {
    read_bytes_in(bytes, m, &TimeRules::of_line(&line()), false)
}

/// [`read_bytes`] under the import's time rules (`zone_given`: `--source-timezone`).
fn read_bytes_in(
    bytes: &[u8],
    m: &SourceMapping,
    time: &TimeRules,
    zone_given: bool,
) -> Result<Got, ImportError> {
    let mut events = Vec::new();
    let mut rejects = Vec::new();
    let line = line();
    let check = Check {
        line: &line,
        now: jiff::Timestamp::now(),
        time,
        strict: false,
    };
    let summary = read_events(
        bytes,
        Path::new("export.csv"),
        m,
        &check,
        zone_given,
        &mut |parsed: Parsed, line_no: u64, _text: &dyn Fn() -> String| {
            match parsed {
                Ok(e) => events.push(e),
                Err((field, message)) => rejects.push((line_no, field, message)),
            }
            Ok(())
        },
    )?;
    Ok(Got {
        events,
        rejects,
        summary,
    })
}

fn read_fixture(source: &str, file: &str) -> Got {
    let m = SourceMapping::builtin(source, &line()).expect("source");
    let bytes = std::fs::read(fixture(source, file)).expect("fixture");
    let got = read_bytes(&bytes, &m).expect("read");
    assert!(got.rejects.is_empty(), "{source}/{file}: {:?}", got.rejects);
    got
}

#[test]
fn every_builtin_source_is_valid_for_the_standard_line() {
    for (name, _) in SOURCES {
        let m = SourceMapping::builtin(name, &line()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.name, name);
        assert!(!m.objects.is_empty());
    }
    let err = SourceMapping::builtin("zoho", &line()).expect_err("unknown");
    assert!(err.to_string().contains("unknown source \"zoho\""), "{err}");
}

#[test]
fn salesforce_lead_history_is_a_pass_and_an_entry_and_every_leftover_is_counted() {
    let got = read_fixture("salesforce", "LeadHistory.csv");
    assert_eq!(
        brief(&got.events),
        [
            "salesforce:LeadHistory:017000000000001:passed research passed",
            "salesforce:LeadHistory:017000000000001:entered first-touch entered",
            "salesforce:LeadHistory:017000000000002:failed research failed",
        ]
    );
    assert_eq!(got.events[2].reason.as_deref(), Some("disqualified"));
    assert_eq!(
        got.events[0].operator_id.as_deref(),
        Some("005000000000001")
    );
    let s = &got.summary;
    assert_eq!(
        (s.object.as_str(), s.rows, s.emitted),
        ("LeadHistory", 5, 3)
    );
    assert_eq!(s.filtered.get("Field=Rating"), Some(&1));
    assert_eq!(
        s.out_of_place
            .get("Working - Contacted → Open - Not Contacted"),
        Some(&1)
    );
    assert_eq!(s.unmapped.get("NewValue=Recycled"), Some(&1));
    assert_eq!(s.ignored_columns, ["IsDeleted"]);
    let text = s.lines().join("\n");
    assert!(
        text.contains("ignored 1 columns the mapping does not read: IsDeleted"),
        "{text}"
    );
}

#[test]
fn salesforce_leads_and_tasks_map_with_their_vocabulary() {
    let leads = read_fixture("salesforce", "Lead.csv");
    assert_eq!(
        brief(&leads.events),
        [
            "salesforce:Lead:00Q000000000001:time research entered",
            "salesforce:Lead:00Q000000000002:time research entered",
        ]
    );
    // The instant is kept whatever the spelling of the offset (`+0000`).
    assert_eq!(leads.events[0].ts.to_string(), "2025-03-03T14:00:00Z");
    assert_eq!(leads.summary.account_from_unit, 2);
    assert_eq!(leads.events[0].account_id, "00Q000000000001");

    let tasks = read_fixture("salesforce", "Task.csv");
    assert_eq!(
        brief(&tasks.events),
        [
            "salesforce:Task:00T000000000001:time first-touch touch",
            "salesforce:Task:00T000000000002:time first-touch touch",
        ]
    );
    let channels: Vec<_> = tasks
        .events
        .iter()
        .map(|e| e.channel.map(|c| c.as_str()))
        .collect();
    assert_eq!(channels, [Some("email"), Some("phone")]);
    assert_eq!(tasks.summary.ignored.get("TaskSubtype=Task"), Some(&1));
    assert_eq!(tasks.summary.filtered.get("Status=Not Started"), Some(&1));
}

#[test]
fn hubspot_histories_of_new_values_pass_the_previous_station() {
    let got = read_fixture("hubspot", "contact_property_history.csv");
    assert_eq!(
        brief(&got.events),
        [
            "hubspot:contact_property_history:101|lifecyclestage|2025-03-03T14:00:00Z:entered research entered",
            "hubspot:contact_property_history:101|lifecyclestage|2025-03-05T14:00:00Z:passed research passed",
            "hubspot:contact_property_history:101|lifecyclestage|2025-03-05T14:00:00Z:entered first-touch entered",
            "hubspot:contact_property_history:102|lifecyclestage|2025-03-03T15:00:00Z:entered research entered",
            "hubspot:contact_property_history:102|hs_lead_status|2025-03-06T15:00:00Z:failed first-touch failed",
        ]
    );
    let emails = read_fixture("hubspot", "emails.csv");
    assert_eq!(
        brief(&emails.events),
        [
            "hubspot:emails:9001|101:time first-touch touch",
            "hubspot:emails:9002|102:time first-touch failed",
            "hubspot:emails:9003|101:time first-touch passed",
            "hubspot:emails:9003|101:time:entered reply entered",
        ]
    );
    assert_eq!(emails.events[1].reason.as_deref(), Some("bounced"));
    assert_eq!(emails.events[0].account_id, "501");
    let meetings = read_fixture("hubspot", "meetings.csv");
    assert_eq!(
        brief(&meetings.events),
        [
            "hubspot:meetings:7001|101:hs_createdate reply passed",
            "hubspot:meetings:7001|101:hs_createdate:entered meeting-booked entered",
            "hubspot:meetings:7001|101:time meeting-booked passed",
            "hubspot:meetings:7001|101:time:entered meeting-held entered",
        ]
    );
}

#[test]
fn outreach_sequence_states_fire_per_time_column_and_unless_a_reply() {
    let got = read_fixture("outreach", "sequenceStates.csv");
    assert_eq!(
        brief(&got.events),
        [
            "outreach:sequenceStates:1:createdAt research passed",
            "outreach:sequenceStates:1:createdAt:entered first-touch entered",
            "outreach:sequenceStates:1:repliedAt first-touch passed",
            "outreach:sequenceStates:1:repliedAt:entered reply entered",
            "outreach:sequenceStates:2:createdAt research passed",
            "outreach:sequenceStates:2:createdAt:entered first-touch entered",
            "outreach:sequenceStates:2:time first-touch failed",
            "outreach:sequenceStates:3:createdAt research passed",
            "outreach:sequenceStates:3:createdAt:entered first-touch entered",
        ]
    );
    let mailings = read_fixture("outreach", "mailings.csv");
    assert_eq!(
        brief(&mailings.events),
        ["outreach:mailings:31:deliveredAt first-touch touch"]
    );
}

#[test]
fn salesloft_json_lines_walk_nested_ids() {
    let got = read_fixture("salesloft", "cadence_memberships.jsonl");
    assert_eq!(
        brief(&got.events),
        [
            "salesloft:cadence_memberships:1:added_at research passed",
            "salesloft:cadence_memberships:1:added_at:entered first-touch entered",
            "salesloft:cadence_memberships:1:time first-touch failed",
            "salesloft:cadence_memberships:2:added_at research passed",
            "salesloft:cadence_memberships:2:added_at:entered first-touch entered",
        ]
    );
    assert_eq!(got.events[0].unit_id, "301");
    assert_eq!(got.events[0].operator_id.as_deref(), Some("9"));
    let emails = read_fixture("salesloft", "emails.jsonl");
    assert_eq!(
        brief(&emails.events),
        [
            "salesloft:emails:41:time first-touch touch",
            "salesloft:emails:42:time first-touch failed",
        ]
    );
}

#[test]
fn apollo_and_pipedrive_map_their_objects() {
    let messages = read_fixture("apollo", "emailer_messages.csv");
    assert_eq!(
        brief(&messages.events),
        [
            "apollo:emailer_messages:m1:time first-touch touch",
            "apollo:emailer_messages:m2:time first-touch failed",
        ]
    );
    assert_eq!(messages.summary.ignored.get("status=scheduled"), Some(&1));
    let statuses = read_fixture("apollo", "contact_campaign_statuses.csv");
    assert_eq!(
        brief(&statuses.events),
        [
            "apollo:contact_campaign_statuses:c1|s1:added_at research passed",
            "apollo:contact_campaign_statuses:c1|s1:added_at:entered first-touch entered",
            "apollo:contact_campaign_statuses:c1|s1:time first-touch passed",
            "apollo:contact_campaign_statuses:c1|s1:time:entered reply entered",
            "apollo:contact_campaign_statuses:c2|s1:added_at research passed",
            "apollo:contact_campaign_statuses:c2|s1:added_at:entered first-touch entered",
            "apollo:contact_campaign_statuses:c2|s1:time first-touch failed",
        ]
    );
    let deals = read_fixture("pipedrive", "deals.csv");
    assert_eq!(
        brief(&deals.events),
        ["pipedrive:deals:401:add_time reply entered"]
    );
    // Offset-less times are the object's zone (UTC for Pipedrive).
    assert_eq!(deals.events[0].ts.to_string(), "2025-03-03T14:00:00Z");
    let flow = read_fixture("pipedrive", "dealflow.csv");
    assert_eq!(
        brief(&flow.events),
        [
            "pipedrive:dealflow:5002:passed reply passed",
            "pipedrive:dealflow:5002:entered meeting-booked entered",
        ]
    );
    assert_eq!(flow.summary.filtered.get("field_key=add_time"), Some(&1));
}

#[test]
fn headers_match_in_any_case_and_semicolons_and_tabs_are_delimiters() {
    let m = SourceMapping::builtin("salesforce", &line()).expect("source");
    let text = std::fs::read_to_string(fixture("salesforce", "Task.csv")).expect("fixture");
    let (head, body) = text.split_once('\n').expect("header");
    let shouted = format!("{}\n{body}", head.to_uppercase().replace(',', " , "));
    let want = brief(&read_bytes(text.as_bytes(), &m).expect("read").events);
    assert_eq!(
        brief(&read_bytes(shouted.as_bytes(), &m).expect("read").events),
        want
    );
    for d in [";", "\t"] {
        let other = format!("\u{feff}{}", text.replace(',', d).replace('\n', "\r\n"));
        assert_eq!(
            brief(&read_bytes(other.as_bytes(), &m).expect("read").events),
            want,
            "{d:?}"
        );
    }
}

#[test]
fn an_unknown_header_lists_the_objects_the_source_knows() {
    let m = SourceMapping::builtin("salesforce", &line()).expect("source");
    let err = read_bytes(b"Name,Phone\nAda,555\n", &m)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains(
            "the salesforce source does not know this export: its columns are Name, Phone"
        ),
        "{err}"
    );
    assert!(
        err.contains("LeadHistory (LeadId, Field, OldValue, NewValue, CreatedDate)")
            && err.contains("Task (Id, WhoId, Status, TaskSubtype, CompletedDateTime)"),
        "{err}"
    );
}

#[test]
fn a_users_mapping_overrides_the_source_value_by_value() {
    let text = r#"extends = "salesforce"

[[object]]
name = "LeadHistory"

[object.states]
"Recycled" = { recycled = 30 }
"Closed - Not Converted" = { failed = "not_interested" }
"#;
    let m = SourceMapping::from_toml("mine.toml", text, &line()).expect("mapping");
    let bytes = std::fs::read(fixture("salesforce", "LeadHistory.csv")).expect("fixture");
    let got = read_bytes(&bytes, &m).expect("read");
    let b = brief(&got.events);
    assert_eq!(b.len(), 4, "{b:?}");
    assert_eq!(got.events[2].reason.as_deref(), Some("not_interested"));
    assert_eq!(
        b[3],
        "salesforce:LeadHistory:017000000000005:recycled research recycled"
    );
    assert_eq!(
        got.events[3].resume_on.map(|d| d.to_string()).as_deref(),
        Some("2025-04-06")
    );
    // The source's other states still hold.
    assert_eq!(
        b[1],
        "salesforce:LeadHistory:017000000000001:entered first-touch entered"
    );

    // A problem in the user's file names its line; stations can be renamed.
    let bad = "extends = \"salesforce\"\n[[object]]\nname = \"Task\"\n[[object.rule]]\nactivity = \"Email\"\nstation = \"outreach\"\nkind = \"touch\"\nchannel = \"email\"\n";
    let err = SourceMapping::from_toml("mine.toml", bad, &line())
        .expect_err("bad")
        .to_string();
    assert!(
        err.contains("mine.toml:6: object[Task].rule[1].station: unknown station \"outreach\""),
        "{err}"
    );
}

#[test]
fn a_line_without_the_standard_stations_is_told_to_rename_them() {
    let custom = TEMPLATE.replace("\"first-touch\"", "\"outreach\"");
    let l = Line::from_toml("line.toml", &custom).expect("line");
    let err = SourceMapping::builtin("outreach", &l)
        .expect_err("stations")
        .to_string();
    assert!(
        err.contains("(outreach source (built in))") || err.contains("outreach source (built in)"),
        "{err}"
    );
    assert!(
        err.contains("unknown station \"first-touch\"") && err.contains("[stations]"),
        "{err}"
    );
    // A [stations] table renames the source's stations onto the line's.
    let mine = "extends = \"outreach\"\n[stations]\n\"first-touch\" = \"outreach\"\n";
    let m = SourceMapping::from_toml("mine.toml", mine, &l).expect("renamed");
    assert!(m.stations.contains(&"outreach".to_owned()));
}

fn import(
    store: &SqliteStore,
    path: &Path,
    m: &SourceMapping,
    skip_bad: bool,
) -> Result<Outcome, ImportError> {
    import_events(
        store,
        &line(),
        path,
        Format::Source(m),
        Options {
            skip_bad,
            ..Options::default()
        },
        &mut |_| {},
    )
}

#[test]
fn imports_are_idempotent_a_longer_export_adds_only_what_is_new_and_bad_rows_refuse_the_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let m = SourceMapping::builtin("salesforce", &line()).expect("source");
    let store = SqliteStore::open_in_memory().expect("store");
    let full = std::fs::read_to_string(fixture("salesforce", "Task.csv")).expect("fixture");
    let short: String = full.lines().take(2).map(|l| format!("{l}\n")).collect();
    let path = dir.path().join("Task.csv");
    std::fs::write(&path, &short).expect("write");
    let first = import(&store, &path, &m, false).expect("import");
    assert_eq!((first.record.read, first.record.imported), (1, 1));
    std::fs::write(&path, &full).expect("write");
    let longer = import(&store, &path, &m, false).expect("longer");
    assert_eq!((longer.record.imported, longer.record.duplicates), (1, 1));
    let again = import(&store, &path, &m, false).expect("again");
    assert_eq!((again.record.imported, again.record.duplicates), (0, 2));
    assert_eq!(store.event_count().expect("count"), 2);
    assert_eq!(
        again.source.as_ref().map(|s| s.object.as_str()),
        Some("Task")
    );

    // A completed task without its person: the whole file is refused, naming the field.
    let bad = full.replace("00T000000000002,00Q000000000001", "00T000000000009,");
    std::fs::write(&path, &bad).expect("write");
    let err = import(&store, &path, &m, false)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("Task.csv:3: field `WhoId`: is required"),
        "{err}"
    );
    assert_eq!(
        store.event_count().expect("count"),
        2,
        "nothing of the file stored"
    );
    let out = import(&store, &path, &m, true).expect("skip bad");
    assert_eq!((out.record.rejected, out.record.duplicates), (1, 1));

    // A bad timestamp names its column and what would be valid.
    let bad = full.replace("2025-03-05T13:00:00.000+0000", "05/03/2025 13:00");
    std::fs::write(&path, &bad).expect("write");
    let err = import(&store, &path, &m, false)
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("field `CompletedDateTime`: \"05/03/2025 13:00\" is a slashed date")
            && err.contains("--date-format dmy"),
        "{err}"
    );
    // Under --date-format dmy it is 5 March, in the zone the source states (UTC), unless
    // the user gives a zone (--source-timezone), which wins.
    let in_rules = |zone: &str, zone_given: bool| {
        let time = TimeRules::in_zone(zone, DateFormat::Dmy).expect("zone");
        let got = read_bytes_in(bad.as_bytes(), &m, &time, zone_given).expect("dmy reads");
        got.events
            .iter()
            .find(|e| e.event_id.contains("00T000000000002"))
            .map(|e| e.ts.to_string())
    };
    assert_eq!(
        in_rules("Europe/Berlin", false).as_deref(),
        Some("2025-03-05T13:00:00Z")
    );
    assert_eq!(
        in_rules("Europe/Berlin", true).as_deref(),
        Some("2025-03-05T12:00:00Z")
    );

    // --strict refuses the columns the mapping does not read, naming them.
    let strict = import_events(
        &store,
        &line(),
        &path,
        Format::Source(&m),
        Options {
            strict: true,
            ..Options::default()
        },
        &mut |_| {},
    )
    .expect_err("strict")
    .to_string();
    assert!(
        strict.contains("--strict") && strict.contains("Subject"),
        "{strict}"
    );
}
