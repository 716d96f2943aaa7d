//! End-to-end tests of `yieldline experiment …`: the real binary on a real store.

mod common;

use common::*;

use std::process::{Command, Stdio};

use serde_json::Value;

/// A workspace with the template line, a territory and a small log with arms at
/// first-touch: 40 contacts per arm, 4 vs 12 passes, and replies downstream.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    ok(dir.path(), &["init"]);
    let mut territory = String::from("contact_id,account_id\n");
    let mut events = vec![HEADER.to_owned()];
    let mut n = 0;
    for (arm, passes) in [("human", 4), ("auto", 12)] {
        for i in 0..40 {
            let c = format!("{arm}-c{i}");
            let a = format!("{arm}-a{}", i / 2);
            territory.push_str(&format!("{c},{a}\n"));
            let day = 3 + i % 5;
            let mut ev = |ts: String, station: &str, kind: &str, reason: &str, arm: &str| {
                n += 1;
                events.push(format!(
                    "e{n},{ts},{c},{a},{station},{kind},{reason},,,,,,{arm},"
                ));
            };
            ev(
                format!("2025-03-{day:02}T09:00:00-05:00"),
                "first-touch",
                "entered",
                "",
                arm,
            );
            if i < passes {
                ev(
                    format!("2025-03-{day:02}T15:00:00-05:00"),
                    "first-touch",
                    "passed",
                    "",
                    arm,
                );
                if i % 2 == 0 {
                    ev(
                        format!("2025-03-{:02}T10:00:00-05:00", day + 7),
                        "reply",
                        "passed",
                        "",
                        "",
                    );
                }
            } else if arm == "auto" && i == 39 {
                ev(
                    format!("2025-03-{day:02}T15:00:00-05:00"),
                    "first-touch",
                    "failed",
                    "optout",
                    arm,
                );
            } else {
                ev(
                    format!("2025-03-{day:02}T15:00:00-05:00"),
                    "first-touch",
                    "failed",
                    "no_response",
                    arm,
                );
            }
        }
    }
    std::fs::write(dir.path().join("territory.csv"), territory).expect("territory");
    std::fs::write(dir.path().join("events.csv"), events.join("\n") + "\n").expect("events");
    let path = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    ok(dir.path(), &["import", "territory", &path("territory.csv")]);
    ok(dir.path(), &["import", "events", &path("events.csv")]);
    dir
}

#[test]
fn create_list_show_stop_and_bad_inputs() {
    let ws = workspace();
    let d = ws.path();
    ok(
        d,
        &words(
            "experiment create --id exp-1 --station first-touch --arms human,auto --weights 50,50 \
             --unit contact --start 2025-03-01 --guardrail optout_rate:0.01 \
             --guardrail qualified:0.5% --tau2 0.0025",
        ),
    );
    let list: Value =
        serde_json::from_str(&ok(d, &["experiment", "list", "--format", "json"])).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], "exp-1");
    assert_eq!(list[0]["control"], "human");
    assert_eq!(list[0]["salt"], "exp-1");
    assert_eq!(list[0]["guardrails"][1]["margin"], 0.005);
    let table = ok(d, &["experiment", "list"]);
    assert!(
        table.contains("exp-1") && table.contains("running"),
        "{table}"
    );
    let show = ok(d, &["experiment", "show", "exp-1"]);
    assert!(show.contains("human 50% (control), auto 50%"), "{show}");
    assert!(
        show.contains("optout_rate may not get worse by more than 1.00 pp"),
        "{show}"
    );

    let create = "experiment create --id x --station reply";
    fails_each(
        d,
        &[
            (
                "experiment create --id exp-1 --station first-touch --arms a,b",
                "already exists",
            ),
            (
                "experiment create --id x --station nope --arms a,b",
                "unknown station \"nope\"",
            ),
            (
                &format!("{create} --arms a,b,c --weights 1,2"),
                "2 weights for 3 arms",
            ),
            (&format!("{create} --arms a,b --weights 0,0"), "positive"),
            (&format!("{create} --arms a"), "at least 2 arms"),
            (
                &format!("{create} --arms a,b --guardrail optout"),
                "bad guardrail",
            ),
            (
                &format!("{create} --arms a,b --guardrail clicks:0.1"),
                "unknown metric \"clicks\"",
            ),
            (
                &format!("{create} --arms a,b --holdout c"),
                "unknown arm \"c\"",
            ),
            (
                "experiment show nope",
                "unknown experiment \"nope\" (the workspace has: exp-1)",
            ),
            ("experiment analyze nope", "unknown experiment \"nope\""),
        ],
    );

    ok(d, &["experiment", "stop", "exp-1", "--at", "2025-03-20"]);
    let shown: Value =
        serde_json::from_str(&ok(d, &["experiment", "show", "exp-1", "--format", "json"]))
            .expect("json");
    assert!(
        shown["stop"]
            .as_str()
            .is_some_and(|s| s.starts_with("2025-03-20")),
        "{shown}"
    );
    fails_with(d, &["experiment", "stop", "exp-1"], "already stopped");
}

#[test]
fn analyze_json_on_a_small_log() {
    let ws = workspace();
    let d = ws.path();
    ok(
        d,
        &words(
            "experiment create --id exp --station first-touch --arms human,auto --unit contact --start 2025-03-01T00:00:00-05:00 --guardrail optout_rate:0.5",
        ),
    );
    let a: Value = serde_json::from_str(&ok(
        d,
        &words("experiment analyze exp --format json --as-of 2025-03-31"),
    ))
    .expect("json");
    assert_eq!(a["id"], "exp");
    assert_eq!(a["station"], "first-touch");
    assert_eq!(a["variance"], "binomial");
    let arms = a["arms"].as_array().expect("arms");
    assert_eq!(arms[0]["name"], "human");
    assert_eq!(
        (
            arms[0]["units"].as_u64(),
            arms[0]["dispositions"].as_u64(),
            arms[0]["passed"].as_u64()
        ),
        (Some(40), Some(40), Some(4))
    );
    assert_eq!(arms[1]["passed"], 12);
    assert_eq!(arms[0]["yield"], 0.1);
    assert_eq!(arms[1]["yield"], 0.3);
    assert!(arms[1]["yield_ci"].as_array().is_some_and(|c| c.len() == 2));
    assert_eq!(arms[1]["downstream"]["reply"]["count"], 6);
    assert_eq!(arms[1]["guardrails"]["optout_rate"]["count"], 1);
    let c = &a["comparisons"][0];
    assert_eq!(c["arm"], "auto");
    assert!((c["diff"].as_f64().expect("diff") - 0.2).abs() < 1e-12);
    for key in ["diff_ci", "lift_ci"] {
        assert!(
            c[key].as_array().is_some_and(|x| x.len() == 2),
            "{key}: {c}"
        );
    }
    assert!((c["lift"].as_f64().expect("lift") - 2.0).abs() < 1e-12);
    for key in ["p_value", "chance_to_beat", "always_valid_p"] {
        assert!(
            c[key].as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)),
            "{key}: {c}"
        );
    }
    assert_eq!(a["srm_p"], 1.0);
    let decision = a["verdict"]["decision"].as_str().expect("decision");
    assert!(
        ["ship", "roll back", "keep running"].contains(&decision),
        "{decision}"
    );
    assert!(
        a["verdict"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    let table = ok(
        d,
        &["experiment", "analyze", "exp", "--as-of", "2025-03-31"],
    );
    assert!(
        table.contains("auto vs human") && table.contains("verdict"),
        "{table}"
    );
}

#[test]
fn assign_from_a_file_and_stdin() {
    let ws = workspace();
    let d = ws.path();
    ok(
        d,
        &words("experiment create --id acc --station first-touch --arms a,b --salt s1"),
    );
    std::fs::write(
        d.join("ids.csv"),
        "contact_id,name\nhuman-c0,x\nhuman-c1,y\nauto-c7,z\n",
    )
    .expect("ids");
    let ids = d.join("ids.csv").to_string_lossy().into_owned();
    let out = ok(d, &["experiment", "assign", "acc", &ids]);
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], ["unit_id", "account_id", "arm"]);
    assert_eq!(rows.len(), 4);
    // Contacts of one account (human-a0) share the arm of their account.
    assert_eq!(rows[1][1], "human-a0");
    assert_eq!(rows[1][2], rows[2][2]);
    // The documented hash: xxh3_64("s1:human-a0") etc., computed with Python xxhash.
    // u("s1:human-a0") and u("s1:auto-a3") decide the arms with weights 1:1.
    let expected = |account: &str| {
        let h = xxh3(format!("s1:{account}").as_bytes());
        if ((h >> 11) as f64 / 2f64.powi(53)) < 0.5 {
            "a"
        } else {
            "b"
        }
    };
    assert_eq!(rows[1][2], expected("human-a0"));
    assert_eq!(rows[3][2], expected("auto-a3"));

    // Plain ids from standard input; an unknown contact names its line.
    let mut child = Command::new(env!("CARGO_BIN_EXE_yieldline"))
        .arg("-w")
        .arg(d)
        .args(["experiment", "assign", "acc", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"human-c0\n\nghost\n").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":3: contact \"ghost\" is not in the territory"),
        "{err}"
    );

    // By contact: no territory needed; switchback by week: one arm for the whole file.
    ok(
        d,
        &words("experiment create --id wk --station first-touch --arms a,b --unit week"),
    );
    std::fs::write(d.join("plain.txt"), "ghost\nhuman-c0\nauto-c1\n").expect("ids");
    let plain = d.join("plain.txt").to_string_lossy().into_owned();
    let out = ok(
        d,
        &["experiment", "assign", "wk", &plain, "--date", "2025-06-04"],
    );
    let arms: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap_or(""))
        .collect();
    assert_eq!(arms.len(), 3);
    assert!(arms.iter().all(|a| *a == arms[0]), "{out}");
    assert_eq!(
        arms[0],
        if ((xxh3(b"wk:2025-W23") >> 11) as f64 / 2f64.powi(53)) < 0.5 {
            "a"
        } else {
            "b"
        }
    );
}

/// XXH3-64 reference for the tests: fixed values computed with Python's `xxhash`
/// (`xxhash.xxh3_64_intdigest`) at authoring time.
fn xxh3(key: &[u8]) -> u64 {
    match key {
        b"s1:human-a0" => 0xb804_b4cb_2f9d_f277,
        b"s1:auto-a3" => 0x698a_a402_a1a9_20af,
        b"wk:2025-W23" => 0x3cea_1b7f_23cf_82c5,
        _ => panic!("no fixture for {}", String::from_utf8_lossy(key)),
    }
}

#[test]
fn the_demo_experiment_lifts_first_touch_but_rolls_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    ok(d, &["demo"]);
    let a: Value = serde_json::from_str(&ok(
        d,
        &words("experiment analyze auto-first-touch --format json"),
    ))
    .expect("json");
    assert_eq!(a["variance"], "cluster-robust (account)");
    let arms = a["arms"].as_array().expect("arms");
    let (human, auto) = (&arms[0], &arms[1]);
    assert_eq!(human["name"], "human");
    assert_eq!(auto["name"], "automated");
    let y = |arm: &Value| arm["yield"].as_f64().expect("yield");
    assert!(y(auto) > y(human), "automation lifts first-touch yield");
    let c = &a["comparisons"][0];
    assert!(c["diff_ci"][0].as_f64().expect("lo") > 0.0, "{c}");
    assert!(c["always_valid_p"].as_f64().expect("p") < 0.05, "{c}");
    let q = |arm: &Value| {
        arm["downstream"]["qualified"]["rate"]
            .as_f64()
            .expect("rate")
    };
    assert!(q(auto) < q(human), "but fewer units qualify");
    assert!(a["srm_p"].as_f64().expect("srm") > 0.001);
    assert_eq!(a["verdict"]["decision"], "roll back", "{}", a["verdict"]);
    let reason = a["verdict"]["reason"].as_str().expect("reason");
    assert!(
        reason.contains("qualified") && reason.contains("optout_rate"),
        "{reason}"
    );
    let table = ok(d, &["experiment", "analyze", "auto-first-touch"]);
    assert!(table.contains("ROLL BACK"), "{table}");
}
