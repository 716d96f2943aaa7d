use super::*;

fn parse(text: &str) -> Result<Line, LineError> {
    Line::from_toml("line.toml", text)
}

#[test]
fn template_parses_with_six_stations() {
    let line = parse(TEMPLATE).expect("template is valid");
    let ids: Vec<_> = line.stations.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "research",
            "first-touch",
            "reply",
            "meeting-booked",
            "meeting-held",
            "qualified"
        ]
    );
    assert_eq!(line.working_days.len(), 5);
    assert_eq!(line.guardrails, Guardrails::default());
}

#[test]
fn roles_name_the_meeting_stations_and_a_line_without_roles_reads_positions() {
    let t = parse(TEMPLATE).expect("template");
    assert_eq!(t.station_with_role(Role::Booked), Some(3));
    assert_eq!(t.station_with_role(Role::Qualified), Some(5));
    // Roles declared away from the end are found where they are.
    let text = "[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=1\n\
        [[station]]\nid='a'\noperator='human'\ncapacity_per_day=1\nrole='booked'\n\
        [[station]]\nid='b'\noperator='human'\ncapacity_per_day=1\nrole='held'\n\
        [[station]]\nid='c'\noperator='human'\ncapacity_per_day=1\n\
        [[station]]\nid='d'\noperator='human'\ncapacity_per_day=1\n";
    let l = parse(text).expect("valid");
    assert_eq!(l.station_with_role(Role::Booked), Some(0));
    assert_eq!(l.station_with_role(Role::Held), Some(1));
    assert_eq!(l.station_with_role(Role::Qualified), None);
    let none = parse(
        &text
            .replace("role='booked'\n", "")
            .replace("role='held'\n", ""),
    )
    .expect("valid");
    assert_eq!(none.station_with_role(Role::Booked), Some(1));
    assert_eq!(none.station_with_role(Role::Qualified), Some(3));
    let bad = parse(&text.replace("role='held'", "role='booked'")).expect_err("duplicate role");
    assert_eq!(bad.problems[0].key, "station[2].role");
    let bad = parse(&text.replace("role='held'", "role='won'")).expect_err("unknown role");
    assert!(
        bad.problems[0].message.contains("unknown role \"won\""),
        "{bad}"
    );
}

#[test]
fn defaults_apply() {
    let line = parse(
        "[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=3\n[[station]]\nid='a'\noperator='human'\ncapacity_per_day=10\n",
    )
    .expect("valid");
    assert_eq!(line.unit, UnitKind::Contact);
    assert_eq!(line.stations[0].cost_minutes, 0.0);
    assert_eq!(line.stations[0].target_yield, None);
    assert_eq!(line.guardrails.max_optout_rate, 0.003);
    assert!(line.is_working_day(Weekday::Friday));
    assert!(!line.is_working_day(Weekday::Saturday));
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let text = "[line]\nname = 'x'\ntimezone = 'Mars/Olympus'\nworking_days = ['mon', 'funday']\ntarget_per_day = 3\n\n[[station]]\nid = 'a'\noperator = 'robot'\ncapacity_per_day = 0\ntarget_yield = 1.5\n\n[[station]]\nid = 'a'\noperator = 'human'\ncapacity_per_day = -4\n\n[[station]]\nid = 'Bad_Id'\noperator = 'human'\ncapacity_per_day = 5\n";
    let err = parse(text).expect_err("invalid");
    let got: Vec<_> = err
        .problems
        .iter()
        .map(|p| (p.line, p.key.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Some(3), "line.timezone"),
            (Some(4), "line.working_days"),
            (Some(9), "station[1].operator"),
            (Some(10), "station[1].capacity_per_day"),
            (Some(11), "station[1].target_yield"),
            (Some(14), "station[2].id"),
            (Some(16), "station[2].capacity_per_day"),
            (Some(19), "station[3].id"),
        ]
    );
    let shown = err.to_string();
    assert!(
        shown.contains("line.toml:14: station[2].id: duplicate station id \"a\""),
        "{shown}"
    );
}

#[test]
fn unknown_keys_are_errors_with_a_line() {
    let err = parse("[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=3\ncolour='red'\n[[station]]\nid='a'\noperator='human'\ncapacity_per_day=1\n")
        .expect_err("unknown key");
    assert_eq!(err.problems[0].line, Some(5));
    assert!(err.problems[0].message.contains("colour"), "{err}");
}

const MINIMAL: &str = "[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=3\n[[station]]\nid='a'\noperator='human'\ncapacity_per_day=1\n";

fn problems(text: &str) -> Vec<(Option<usize>, String, String)> {
    parse(text)
        .expect_err("invalid")
        .problems
        .into_iter()
        .map(|p| (p.line, p.key, p.message))
        .collect()
}

#[test]
fn absurd_guardrails_are_refused_with_key_line_and_range() {
    // 106751992 days × 86 400 000 000 µs overflows i64: the cooldown silently wrapped.
    let got = problems(&format!(
        "{MINIMAL}[guardrails]\ncooldown_days_after_fail = 106751992\nmax_touches_per_contact_30d = 5000\nmax_active_contacts_per_account = 0\nmax_optout_rate = nan\n"
    ));
    let keys: Vec<_> = got.iter().map(|(l, k, _)| (*l, k.as_str())).collect();
    assert_eq!(
        keys,
        [
            (Some(11), "guardrails.max_touches_per_contact_30d"),
            (Some(12), "guardrails.max_active_contacts_per_account"),
            (Some(10), "guardrails.cooldown_days_after_fail"),
            (Some(13), "guardrails.max_optout_rate"),
        ]
    );
    assert!(
        got[2].2.contains("from 0 to 3650, got 106751992"),
        "{}",
        got[2].2
    );
    // The largest accepted values are accepted.
    let line = parse(&format!(
        "{MINIMAL}[guardrails]\ncooldown_days_after_fail = 3650\nmax_touches_per_contact_30d = 1000\n"
    ))
    .expect("in range");
    assert_eq!(line.guardrails.cooldown_days_after_fail, 3650);
}

#[test]
fn capacities_targets_and_costs_are_bounded() {
    let text = "[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=1e9\n[[station]]\nid='a'\noperator='human'\ncapacity_per_day=inf\ncost_minutes=1e6\n[[station]]\nid='b'\noperator='human'\ncapacity_per_day=2000000\n";
    let keys: Vec<_> = problems(text).into_iter().map(|(l, k, _)| (l, k)).collect();
    assert_eq!(
        keys,
        [
            (Some(4), "line.target_per_day".to_owned()),
            (Some(8), "station[1].capacity_per_day".to_owned()),
            (Some(9), "station[1].cost_minutes".to_owned()),
            (Some(13), "station[2].capacity_per_day".to_owned()),
        ]
    );
}

#[test]
fn the_station_count_is_limited_so_no_index_is_truncated() {
    let mut text = String::from("[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=3\n");
    for i in 0..70_000 {
        text.push_str(&format!(
            "[[station]]\nid='s{i}'\noperator='human'\ncapacity_per_day=1\n"
        ));
    }
    let got = problems(&text);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1, "station");
    assert!(
        got[0].2.contains("70000 stations; at most 1000"),
        "{}",
        got[0].2
    );
    assert_eq!(got[0].0, Some(5 + 4 * MAX_STATIONS));
    let mut ok = String::from("[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=3\n");
    for i in 0..MAX_STATIONS {
        ok.push_str(&format!(
            "[[station]]\nid='s{i}'\noperator='human'\ncapacity_per_day=1\n"
        ));
    }
    assert_eq!(
        parse(&ok).expect("at the limit").stations.len(),
        MAX_STATIONS
    );
}

#[test]
fn identity_and_import_sections() {
    let line = parse(MINIMAL).expect("defaults");
    assert_eq!(line.identity.plus_tags, PlusTags::MatchUntagged);
    assert_eq!(line.import.earliest, Date::constant(2000, 1, 1));
    assert_eq!(line.import.latest_days_ahead, 365);
    let line = parse(&format!(
        "{MINIMAL}[identity]\nplus_tags = 'distinct'\n[import]\nearliest = '2015-06-01'\nlatest_days_ahead = 30\n"
    ))
    .expect("valid");
    assert_eq!(line.identity.plus_tags, PlusTags::Distinct);
    assert_eq!(line.import.earliest, Date::constant(2015, 6, 1));
    assert_eq!(
        line.import.earliest_instant,
        "2015-06-01T00:00:00Z".parse::<Timestamp>().expect("ts")
    );
    let now: Timestamp = "2025-01-01T00:00:00Z".parse().expect("ts");
    assert_eq!(
        line.import.latest(now),
        "2025-01-31T00:00:00Z".parse::<Timestamp>().expect("ts")
    );
    let keys: Vec<_> = problems(&format!(
        "{MINIMAL}[identity]\nplus_tags = 'strip'\n[import]\nearliest = '1850-01-01'\nlatest_days_ahead = 100000\n"
    ))
    .into_iter()
    .map(|(l, k, _)| (l, k))
    .collect();
    assert_eq!(
        keys,
        [
            (Some(10), "identity.plus_tags".to_owned()),
            (Some(12), "import.earliest".to_owned()),
            (Some(13), "import.latest_days_ahead".to_owned()),
        ]
    );
    assert!(
        problems(&format!("{MINIMAL}[import]\nearliest = 'soon'\n"))[0]
            .2
            .contains("not a date")
    );
}

#[test]
fn guardrails_are_validated() {
    let err = parse("[line]\nname='x'\ntimezone='UTC'\ntarget_per_day=3\n[[station]]\nid='a'\noperator='human'\ncapacity_per_day=1\n[guardrails]\nmax_touches_per_contact_30d=0\nmax_optout_rate=2\n")
        .expect_err("bad guardrails");
    let keys: Vec<_> = err
        .problems
        .iter()
        .map(|p| (p.line, p.key.clone()))
        .collect();
    assert_eq!(
        keys,
        [
            (
                Some(10),
                "guardrails.max_touches_per_contact_30d".to_string()
            ),
            (Some(11), "guardrails.max_optout_rate".to_string())
        ]
    );
}
