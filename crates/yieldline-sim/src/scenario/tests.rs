//! Tests of scenario parsing and validation.

use super::*;

fn issues(text: &str) -> Vec<Issue> {
    match Scenario::from_toml_str(text) {
        Err(SimError::InvalidScenario(v)) => v,
        other => panic!("expected issues, got {other:?}"),
    }
}

#[test]
fn defaults_round_trip_through_toml() {
    let mut s = Scenario::default();
    s.policy.guardrails = Some(Guardrails::default());
    let back = Scenario::from_toml_str(&s.to_toml_string()).expect("parses");
    assert_eq!(back, s);
    assert_eq!(
        Scenario::from_toml_str("").expect("empty"),
        Scenario::default()
    );
}

#[test]
fn reports_every_unknown_key_and_wrong_type_with_lines() {
    let text = "[scenario]\naccounts = \"many\"\nbogus = 1\n\n[policy]\ntouch_interval = 2\n[policy.guardrails]\nmax_touches_per_contact_30d = -3\n";
    let got = issues(text);
    let keys: Vec<(String, Option<usize>)> = got.iter().map(|i| (i.key.clone(), i.line)).collect();
    assert_eq!(
        keys,
        vec![
            ("scenario.accounts".to_string(), Some(2)),
            ("scenario.bogus".to_string(), Some(3)),
            ("policy.touch_interval".to_string(), Some(6)),
            (
                "policy.guardrails.max_touches_per_contact_30d".to_string(),
                Some(8)
            ),
        ]
    );
    assert!(got[1].message.contains("unknown key"), "{}", got[1].message);
}

#[test]
fn reports_every_range_problem_with_lines() {
    let text = "[territory]\ntier_shares = [0.5, 0.5, 0.5]\nqualify_rate = [0.5, 1.5, 0.2]\n\n[policy]\nautomation_ramp = [\n  { day = 10, multiplier = 1.0 },\n  { day = 5, multiplier = 2.0 },\n]\n[policy.guardrails]\nmax_touches_per_contact_30d = 40\n";
    let got = issues(text);
    let keys: Vec<(String, Option<usize>)> = got.iter().map(|i| (i.key.clone(), i.line)).collect();
    assert_eq!(
        keys,
        vec![
            ("territory.tier_shares".to_string(), Some(2)),
            ("territory.qualify_rate[1]".to_string(), Some(3)),
            ("policy.automation_ramp[1].day".to_string(), Some(8)),
            (
                "policy.guardrails.max_touches_per_contact_30d".to_string(),
                Some(11)
            ),
        ]
    );
    let msg = SimError::InvalidScenario(got).to_string();
    assert!(
        msg.contains(
            "line 11: policy.guardrails.max_touches_per_contact_30d: must be between 1 and 16"
        ),
        "{msg}"
    );
}

#[test]
fn syntax_errors_name_their_line() {
    let got = issues("[scenario]\nseed = 1\nname = \n");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].line, Some(3));
}

#[test]
fn ramp_interpolates() {
    let p = Policy {
        automation_ramp: vec![
            RampPoint {
                day: 10,
                multiplier: 1.0,
            },
            RampPoint {
                day: 20,
                multiplier: 3.0,
            },
        ],
        ..Policy::default()
    };
    assert_eq!(p.multiplier(0), 1.0);
    assert_eq!(p.multiplier(15), 2.0);
    assert_eq!(p.multiplier(99), 3.0);
}
