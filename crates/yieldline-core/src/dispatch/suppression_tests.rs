//! Dispatch never names a suppressed person, however their id, address or domain is
//! spelled — hand-checked cases for each finding of the hardening probe, and a property
//! test over random territories and random suppressions in random spellings.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};

use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

use super::*;
use crate::event::{Event, RawEvent};
use crate::facts::{Interner, log_from_events};
use crate::identity::{PlusTags, canonical_id};

fn line(unit: &str) -> Line {
    static LINES: std::sync::LazyLock<[Line; 2]> =
        std::sync::LazyLock::new(|| [parse_line("contact"), parse_line("account")]);
    LINES[usize::from(unit == "account")].clone()
}

fn parse_line(unit: &str) -> Line {
    let text = format!(
        "[line]\nname='s'\nunit='{unit}'\ntimezone='UTC'\ntarget_per_day=1\n\
         [[station]]\nid='research'\noperator='human'\ncapacity_per_day=100000\n\
         [[station]]\nid='first-touch'\noperator='automation'\ncapacity_per_day=100000\n\
         [guardrails]\nmax_touches_per_contact_30d=1000\nmax_active_contacts_per_account=10000\ncooldown_days_after_fail=0\n"
    );
    Line::from_toml("line.toml", &text).expect("line")
}

const DATE: Date = Date::constant(2025, 3, 10);

fn entered(id: usize, unit: &str, account: &str) -> Event {
    RawEvent {
        event_id: Some(Cow::Owned(format!("e{id}"))),
        ts: Some("2025-03-03T09:00:00Z".into()),
        unit_id: Some(Cow::Owned(unit.to_owned())),
        account_id: Some(Cow::Owned(account.to_owned())),
        station: Some("research".into()),
        kind: Some("entered".into()),
        ..RawEvent::default()
    }
    .validate(
        &line("contact"),
        "2025-06-01T00:00:00Z".parse().expect("ts"),
    )
    .expect("valid")
}

/// A unit of the directory before interning: key, account, contacts, whether it is in
/// the territory (fresh) or only in the events (queued at research).
struct Unit {
    key: String,
    account: String,
    contacts: Vec<KnownContact>,
    in_territory: bool,
}

/// Runs dispatch on `units` (event-only units get an `entered` at research) and
/// returns the ordered unit ids.
fn run(line: &Line, units: &[Unit], suppression: SuppressionList) -> Vec<String> {
    let events: Vec<Event> = units
        .iter()
        .filter(|u| !u.in_territory)
        .enumerate()
        .map(|(i, u)| entered(i, &u.key, &u.account))
        .collect();
    let mut interner = Interner::default();
    let log = log_from_events(line, &events, &mut interner);
    let info = |u: &Unit| UnitInfo {
        key: u.key.clone(),
        account: u.account.clone(),
        fit_tier: Some(1),
        in_territory: u.in_territory,
        suppressed: false,
        contacts: u.contacts.clone(),
        domains: vec![],
    };
    let mut dir: Vec<UnitInfo> = (0..interner.len() as u32)
        .map(|i| {
            let name = interner.name(i).expect("interned");
            info(units.iter().find(|u| u.key == name).expect("unit"))
        })
        .collect();
    dir.extend(
        units
            .iter()
            .filter(|u| interner.get(&u.key).is_none())
            .map(info),
    );
    let input = DispatchInput {
        date: DATE,
        fresh_per_day: 1e6,
        yields: vec![None; 2],
        brake: None,
        experiments: vec![],
        suppression,
    };
    let d = dispatch(line, &log, &dir, &input).expect("dispatch");
    d.orders.into_iter().map(|o| o.unit_id).collect()
}

fn contact(id: &str, email: Option<&str>) -> KnownContact {
    KnownContact {
        id: id.into(),
        email: email.map(Into::into),
    }
}

fn territory_contact(id: &str, account: &str, email: Option<&str>) -> Unit {
    Unit {
        key: id.into(),
        account: account.into(),
        contacts: vec![contact(id, email)],
        in_territory: true,
    }
}

fn list(contacts: &[&str], emails: &[&str], domains: &[&str]) -> SuppressionList {
    let v = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    SuppressionList::new(v(contacts), v(emails), v(domains), vec![], "salt")
}

#[test]
fn a_suppressed_domain_blocks_trailing_dots_invisible_spaces_and_display_names() {
    let l = line("contact");
    let units = [
        territory_contact("c1", "a1", Some("ann@example.com.")),
        territory_contact("c2", "a1", Some("bob@example.com\u{200B}")),
        territory_contact("c3", "a1", Some("Cy Young <cy@example.com>")),
        territory_contact("c4", "a1", Some("MAILTO:Di@Example.COM")),
        territory_contact("c5", "a2", Some("eve@example.org")),
    ];
    assert_eq!(run(&l, &units, list(&[], &[], &["example.com"])), ["c5"]);
}

#[test]
fn an_address_suppressed_with_a_trailing_dot_blocks_the_address() {
    let l = line("contact");
    let units = [
        territory_contact("c1", "a1", Some("bob@example.com")),
        territory_contact("c2", "a1", Some("bo@example.com")),
    ];
    // As `suppress add --email bob@example.com.` stored it before canonical forms.
    assert_eq!(
        run(&l, &units, list(&[], &["bob@example.com."], &[])),
        ["c2"]
    );
}

#[test]
fn a_unit_spelled_in_another_case_in_the_events_is_blocked_with_its_territory_contact() {
    let l = line("contact");
    let units = [
        territory_contact("c1", "a1", Some("bob@example.com")),
        // The events know the same CRM record as `C1`, without an address.
        Unit {
            key: "C1".into(),
            account: "a1".into(),
            contacts: vec![],
            in_territory: false,
        },
        territory_contact("c2", "a1", None),
    ];
    for suppression in [
        list(&["c1"], &[], &[]),
        list(&["C1"], &[], &[]),
        list(&[], &["Bob@Example.com"], &[]),
        list(&[], &[], &["example.com"]),
    ] {
        assert_eq!(
            run(&l, &units, suppression.clone()),
            ["c2"],
            "{suppression:?}"
        );
    }
}

#[test]
fn non_ascii_letters_are_folded() {
    let l = line("contact");
    let units = [
        territory_contact("c1", "a1", Some("\u{00C4}ndrea.Olund@example.se")),
        territory_contact("c2", "a1", Some("A\u{0308}NDREA.OLUND@EXAMPLE.SE")),
        territory_contact("c3", "a1", Some("ann@example.se")),
    ];
    assert_eq!(
        run(&l, &units, list(&[], &["ändrea.olund@example.se"], &[])),
        ["c3"]
    );
}

#[test]
fn an_account_unit_is_blocked_by_its_domain_or_all_its_contacts() {
    let l = line("account");
    let account = |id: &str, contacts: Vec<KnownContact>| Unit {
        key: id.into(),
        account: id.into(),
        contacts,
        in_territory: true,
    };
    let units = [
        // Every contact suppressed (by id, by address): never dispatched.
        account(
            "acme",
            vec![
                contact("c1", Some("ann@acme.example")),
                contact("c2", Some("bob@acme.example")),
            ],
        ),
        // The domain suppressed: never dispatched.
        account(
            "initech",
            vec![contact("c3", Some("Peter <peter@initech.example.>"))],
        ),
        // One contact of two suppressed: the account may still be worked.
        account(
            "globex",
            vec![
                contact("c5", Some("hank@globex.example")),
                contact("c6", Some("mindy@globex.example")),
            ],
        ),
        // Known only from its events, in another letter case than the territory's.
        Unit {
            key: "ACME".into(),
            account: "ACME".into(),
            contacts: vec![],
            in_territory: false,
        },
    ];
    let s = list(
        &["C1"],
        &["bob@acme.example.", "hank@globex.example"],
        &["initech.example"],
    );
    assert_eq!(run(&l, &units, s), ["globex"]);
}

// ---------------------------------------------------------------------------------
// The property test.

/// How a value is spelled: which letters are upper-case, which characters are written
/// full-width (NFKC folds them back), whether letters are decomposed (NFD), where a
/// zero-width character sits, and the wrappers around an address.
#[derive(Debug, Clone, Copy)]
struct Spelling {
    upper: u32,
    wide: u32,
    nfd: bool,
    invisible: Option<(u8, u8)>,
    padded: bool,
    display_name: bool,
    mailto: bool,
    trailing_dot: bool,
}

fn arb_spelling() -> impl Strategy<Value = Spelling> {
    (
        any::<u32>(),
        prop_oneof![3 => Just(0u32), 1 => any::<u32>()],
        any::<bool>(),
        proptest::option::of((any::<u8>(), 0u8..5)),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(upper, wide, nfd, invisible, (padded, display_name, mailto, trailing_dot))| {
                Spelling {
                    upper,
                    wide,
                    nfd,
                    invisible,
                    padded,
                    display_name,
                    mailto,
                    trailing_dot,
                }
            },
        )
}

/// `text` in this spelling (the characters only: case, width, decomposition, an
/// invisible character).
fn respell(text: &str, s: Spelling) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        let bit = 1u32 << (i % 32);
        let c: String = if s.upper & bit != 0 {
            c.to_uppercase().collect()
        } else {
            c.to_string()
        };
        for c in c.chars() {
            if s.wide & bit != 0 && ('!'..='~').contains(&c) {
                // Full-width forms: U+FF01 '！' … U+FF5E '～'.
                out.push(char::from_u32(0xFF01 + (c as u32 - 0x21)).unwrap_or(c));
            } else {
                out.push(c);
            }
        }
    }
    if s.nfd {
        out = out.nfd().collect();
    }
    if let Some((at, which)) = s.invisible {
        let z = crate::identity::INVISIBLE[usize::from(which) % 5];
        let n = out.chars().count();
        let pos = usize::from(at) % (n + 1);
        let (byte, _) = out.char_indices().nth(pos).unwrap_or((out.len(), ' '));
        out.insert(byte, z);
    }
    if s.padded {
        out = format!(" \t{out}\u{00A0}");
    }
    out
}

fn spell_email(local: &str, domain: &str, s: Spelling) -> String {
    let domain = if s.trailing_dot {
        format!("{domain}.")
    } else {
        domain.to_owned()
    };
    let mut e = respell(&format!("{local}@{domain}"), s);
    if s.mailto {
        e = format!("mailto:{e}");
    }
    if s.display_name {
        e = format!("\"Person, {}\" <{e}>", local.len());
    }
    e
}

/// One person of the random territory, in truth (canonical, lower-case) terms.
#[derive(Debug, Clone)]
struct Person {
    account: usize,
    id: String,
    local: String,
    tag: Option<String>,
    domain: String,
}

impl Person {
    /// The local part as the person has it, with their tag.
    fn tagged_local(&self) -> String {
        match &self.tag {
            Some(t) => format!("{}+{t}", self.local),
            None => self.local.clone(),
        }
    }
}

const NAMES: [&str; 6] = ["ann", "bob", "ändrea", "jürgen", "zoë", "chloé"];

/// What is suppressed, in truth terms, and how the entry is spelled.
#[derive(Debug, Clone)]
enum Entry {
    /// Person `p`'s id.
    Contact(usize, Spelling),
    /// Person `p`'s address: as they have it (0), untagged (1) or with another tag (2).
    Email(usize, u8, Spelling),
    /// Person `p`'s domain (0) or its parent (1).
    Domain(usize, u8, Spelling),
}

/// A contact's shape: index into [`NAMES`], its `+tag` (if any), whether its address
/// is at a subdomain (`eu.`), and whether at the domain shared by every account.
type ContactShape = (usize, Option<u8>, bool, bool);

#[derive(Debug, Clone)]
struct Case {
    account_line: bool,
    plus_tags: PlusTags,
    /// Contacts per account, and per contact: name, tag, sub-domain, shared domain.
    accounts: Vec<Vec<ContactShape>>,
    /// How each person's id and address are spelled in the territory, and in the events
    /// (a second unit with the same id in another spelling), if there.
    spellings: Vec<(Spelling, Spelling, Option<Spelling>)>,
    entries: Vec<Entry>,
}

fn arb_case() -> impl Strategy<Value = Case> {
    let person = (
        0usize..6,
        proptest::option::of(0u8..3),
        any::<bool>(),
        prop::bool::weighted(0.15),
    );
    (
        any::<bool>(),
        prop_oneof![3 => Just(PlusTags::MatchUntagged), 1 => Just(PlusTags::Distinct)],
        prop::collection::vec(prop::collection::vec(person, 1..4), 1..6),
    )
        .prop_flat_map(|(account_line, plus_tags, accounts)| {
            let n: usize = accounts.iter().map(Vec::len).sum();
            let spellings = prop::collection::vec(
                (
                    arb_spelling(),
                    arb_spelling(),
                    proptest::option::of(arb_spelling()),
                ),
                n,
            );
            let entry = prop_oneof![
                (0..n, arb_spelling()).prop_map(|(p, s)| Entry::Contact(p, s)),
                (0..n, 0u8..3, arb_spelling()).prop_map(|(p, v, s)| Entry::Email(p, v, s)),
                (0..n, 0u8..2, arb_spelling()).prop_map(|(p, v, s)| Entry::Domain(p, v, s)),
            ];
            (
                Just(account_line),
                Just(plus_tags),
                Just(accounts),
                spellings,
                prop::collection::vec(entry, 0..=n.min(6)),
            )
        })
        .prop_map(
            |(account_line, plus_tags, accounts, spellings, entries)| Case {
                account_line,
                plus_tags,
                accounts,
                spellings,
                entries,
            },
        )
}

fn people(case: &Case) -> Vec<Person> {
    let mut out = Vec::new();
    for (a, contacts) in case.accounts.iter().enumerate() {
        for (k, &(name, tag, sub, shared)) in contacts.iter().enumerate() {
            let base = if shared {
                "shared.example".to_owned()
            } else {
                format!("acc{a}.example")
            };
            out.push(Person {
                account: a,
                id: format!("c{a}x{k}"),
                local: format!("{}{a}{k}", NAMES[name]),
                tag: tag.map(|t| format!("t{t}")),
                domain: if sub { format!("eu.{base}") } else { base },
            });
        }
    }
    out
}

/// Which people the entries suppress, by the documented rules applied to the truth
/// (no canonicalisation involved): ids equal ignoring case, addresses equal (with the
/// tag removed under `match-untagged`), the domain or a parent of it.
fn suppressed_people(case: &Case, people: &[Person]) -> HashSet<usize> {
    let base = |p: &Person| format!("{}@{}", p.local, p.domain);
    let mut out = HashSet::new();
    for e in &case.entries {
        for (i, p) in people.iter().enumerate() {
            let hit = match *e {
                Entry::Contact(q, _) => people[q].id == p.id,
                Entry::Email(q, v, _) => {
                    let q = &people[q];
                    let (entry_base, entry_tag) = match v {
                        0 => (base(q), q.tag.clone()),
                        1 => (base(q), None),
                        _ => (base(q), Some("zz".to_owned())),
                    };
                    match case.plus_tags {
                        PlusTags::MatchUntagged => entry_base == base(p),
                        PlusTags::Distinct => entry_base == base(p) && entry_tag == p.tag,
                    }
                }
                Entry::Domain(q, v, _) => {
                    let d = &people[q].domain;
                    let d = if v == 1 {
                        d.split_once('.').map_or(d.as_str(), |(_, parent)| parent)
                    } else {
                        d.as_str()
                    };
                    p.domain == d || p.domain.ends_with(&format!(".{d}"))
                }
            };
            if hit {
                out.insert(i);
            }
        }
    }
    out
}

fn suppression_list(case: &Case, people: &[Person]) -> SuppressionList {
    let (mut contacts, mut emails, mut domains) = (Vec::new(), Vec::new(), Vec::new());
    for e in &case.entries {
        match *e {
            Entry::Contact(p, s) => contacts.push(respell(&people[p].id, s)),
            Entry::Email(p, v, s) => {
                let p = &people[p];
                let local = match v {
                    0 => p.tagged_local(),
                    1 => p.local.clone(),
                    _ => format!("{}+zz", p.local),
                };
                emails.push(spell_email(&local, &p.domain, s));
            }
            Entry::Domain(p, v, s) => {
                let d = &people[p].domain;
                let d = if v == 1 {
                    d.split_once('.').map_or(d.as_str(), |(_, parent)| parent)
                } else {
                    d.as_str()
                };
                let dot = if s.trailing_dot { "." } else { "" };
                domains.push(respell(&format!("{d}{dot}"), s));
            }
        }
    }
    SuppressionList::new(contacts, emails, domains, vec![], "salt").with_plus_tags(case.plus_tags)
}

/// Builds the directory as the store would (ids canonical, letter case kept; the
/// territory's addresses as spelled), runs dispatch and checks every order.
fn check(case: &Case) -> Result<(), TestCaseError> {
    let people = people(case);
    let barred = suppressed_people(case, &people);
    let list = suppression_list(case, &people);
    let line = line(if case.account_line {
        "account"
    } else {
        "contact"
    });
    let key = |p: usize| canonical_id(&respell(&people[p].id, case.spellings[p].0)).into_owned();
    let known = |p: usize| KnownContact {
        id: key(p),
        email: Some(spell_email(
            &people[p].tagged_local(),
            &people[p].domain,
            case.spellings[p].1,
        )),
    };
    let mut units: Vec<Unit> = Vec::new();
    // Which truth identity each unit key stands for: a person (contact line) or an
    // account (account line).
    let mut stands_for: Vec<(String, usize)> = Vec::new();
    if case.account_line {
        for a in 0..case.accounts.len() {
            let id = format!("Acc{a}");
            let members: Vec<usize> = (0..people.len())
                .filter(|&p| people[p].account == a)
                .collect();
            units.push(Unit {
                key: id.clone(),
                account: id.clone(),
                contacts: members.iter().map(|&p| known(p)).collect(),
                in_territory: true,
            });
            stands_for.push((id.clone(), a));
            if let Some(s) = members.first().and_then(|&p| case.spellings[p].2) {
                let variant = canonical_id(&respell(&id, s)).into_owned();
                if !variant.is_empty() && !stands_for.iter().any(|(k, _)| *k == variant) {
                    units.push(Unit {
                        key: variant.clone(),
                        account: variant.clone(),
                        contacts: vec![],
                        in_territory: false,
                    });
                    stands_for.push((variant, a));
                }
            }
        }
    } else {
        for (p, person) in people.iter().enumerate() {
            let account = format!("acc{}", person.account);
            units.push(Unit {
                key: key(p),
                account: account.clone(),
                contacts: vec![known(p)],
                in_territory: true,
            });
            stands_for.push((key(p), p));
            if let Some(s) = case.spellings[p].2 {
                let variant = canonical_id(&respell(&person.id, s)).into_owned();
                if !variant.is_empty() && !stands_for.iter().any(|(k, _)| *k == variant) {
                    units.push(Unit {
                        key: variant.clone(),
                        account,
                        contacts: vec![],
                        in_territory: false,
                    });
                    stands_for.push((variant, p));
                }
            }
        }
    }
    let orders = run(&line, &units, list);
    let ordered: BTreeSet<usize> = orders
        .iter()
        .map(|o| {
            stands_for
                .iter()
                .find(|(k, _)| k == o)
                .map(|(_, t)| *t)
                .ok_or_else(|| TestCaseError::fail(format!("unknown unit {o}")))
        })
        .collect::<Result<_, _>>()?;
    let expected: BTreeSet<usize> = if case.account_line {
        (0..case.accounts.len())
            .filter(|&a| {
                let members: Vec<usize> = (0..people.len())
                    .filter(|&p| people[p].account == a)
                    .collect();
                let all = members.iter().all(|p| barred.contains(p));
                // A suppressed domain of any member bars the account.
                let domain = case.entries.iter().any(|e| match *e {
                    Entry::Domain(q, v, _) => {
                        let d = &people[q].domain;
                        let d = if v == 1 {
                            d.split_once('.').map_or(d.as_str(), |(_, parent)| parent)
                        } else {
                            d.as_str()
                        };
                        members.iter().any(|&p| {
                            people[p].domain == d || people[p].domain.ends_with(&format!(".{d}"))
                        })
                    }
                    _ => false,
                });
                !(all || domain)
            })
            .collect()
    } else {
        (0..people.len()).filter(|p| !barred.contains(p)).collect()
    };
    // Never a suppressed person (no under-blocking), and — since the capacities are
    // unlimited — everyone else (the rules block nothing they do not state).
    for t in &ordered {
        prop_assert!(
            expected.contains(t),
            "{} {t} is suppressed but was dispatched: {orders:?}",
            if case.account_line {
                "account"
            } else {
                "person"
            }
        );
    }
    prop_assert_eq!(&ordered, &expected, "orders {:?}", orders);
    Ok(())
}

/// Sequences (random territory + random suppressions + one dispatch) per case.
const SEQUENCES_PER_CASE: usize = 4;
/// Cases: 2,500 × 4 = 10,000 random sequences.
const CASES: u32 = 2_500;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]
    #[test]
    fn no_suppressed_person_is_ever_dispatched(
        cases in prop::collection::vec(arb_case(), SEQUENCES_PER_CASE)
    ) {
        for case in &cases {
            check(case)?;
        }
    }
}
