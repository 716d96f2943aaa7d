//! Mappings of tabular exports (CSV, JSON Lines): a *source* is a set of export
//! *objects*, each recognised by its header, each saying which columns hold the
//! record id, the unit, the account, the time, the owner, the activity and the
//! outcome, and how their values become events — by `[[object.rule]]` (the rule
//! vocabulary XES mappings use, see [`super::rule`]) or, for a status history, by
//! `[object.states]` (old value → new value at a time: a pass at the old state's
//! station and an entry at the new one's).
//!
//! ```toml
//! name = "my-crm"              # event ids start with it
//! extends = "salesforce"       # optional: a built-in source this file overrides
//! [stations]                   # optional: the source's station ids → the line's
//! "first-touch" = "outreach"
//!
//! [[object]]
//! name = "LeadHistory"
//! header = ["LeadId", "Field", "OldValue", "NewValue", "CreatedDate"]
//! record_id = ["Id"]           # the tool's record id: stable event ids
//! unit = "LeadId"
//! account = "AccountId"        # optional: default the unit (counted)
//! time = "CreatedDate"
//! owner = "CreatedById"        # optional: operator_id
//! timezone = "UTC"             # for times written without an offset (default: the
//!                              # import's --source-timezone, else the line's)
//! filter = { Field = ["Status"] }   # rows kept only with these values (others counted)
//! old = "OldValue"             # a status history: old and new value columns
//! new = "NewValue"
//! [object.states]
//! "Open - Not Contacted" = "research"                     # in this state: at this station
//! "Closed - Not Converted" = { failed = "disqualified" }  # a failure where it was
//! "Nurture" = { recycled = 90 }                           # recycled, resumes 90 days later
//! "Duplicate" = "*ignore"                                 # counted, not imported
//! ```
//!
//! A user's file with `extends` layers over the built-in source: an object of the
//! same name takes the user's keys first, the user's states win value by value, and a
//! user's rule replaces the built-in one with the same activity, outcome and time.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;
use yieldline_core::line::{ConfigError, Line, Problem, line_of};

use super::rule::{
    Matcher, RawRule, Rule, Stations, Target, Validator, resume_days, validate_rule,
};

/// The built-in sources: name and mapping text.
pub const SOURCES: [(&str, &str); 6] = [
    ("salesforce", include_str!("sources/salesforce.toml")),
    ("hubspot", include_str!("sources/hubspot.toml")),
    ("outreach", include_str!("sources/outreach.toml")),
    ("salesloft", include_str!("sources/salesloft.toml")),
    ("apollo", include_str!("sources/apollo.toml")),
    ("pipedrive", include_str!("sources/pipedrive.toml")),
];

/// The value of a state that is counted and not imported.
pub const IGNORE_STATE: &str = "*ignore";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: Option<Spanned<String>>,
    extends: Option<Spanned<String>>,
    #[serde(default)]
    stations: HashMap<String, String>,
    #[serde(default)]
    object: Vec<Spanned<RawObject>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObject {
    name: Spanned<String>,
    header: Option<Vec<Spanned<String>>>,
    record_id: Option<Spanned<Vec<String>>>,
    unit: Option<Spanned<String>>,
    account: Option<Spanned<String>>,
    time: Option<Spanned<String>>,
    owner: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    activity: Option<Spanned<String>>,
    outcome: Option<Spanned<String>>,
    filter: Option<BTreeMap<String, Vec<String>>>,
    old: Option<Spanned<String>>,
    new: Option<Spanned<String>>,
    states: Option<BTreeMap<String, Spanned<toml::Value>>>,
    ignore: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

/// What a status value means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum State {
    /// The unit is at this station.
    Station(usize),
    /// The unit failed where it was (or at `at` when the old state is unknown).
    Failed { reason: String, at: Option<usize> },
    /// The unit was recycled where it was, resuming `days` later.
    Recycled { days: i64, at: Option<usize> },
}

/// A status history: the old value's column (absent: the history records new values
/// only) and the new value's, and what each value means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct History {
    pub old: Option<usize>,
    pub new: usize,
    /// Value → `Target::Rule(i)` into `states`, or `Ignored`.
    pub values: Matcher,
    pub states: Vec<State>,
}

/// Rules sharing a time column: per row, the best match among them fires once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// The time column (index into the object's columns); `None`: the object's.
    pub time: Option<usize>,
    /// Its name, for event ids.
    pub time_name: String,
    /// Activity value → `Target::Rule(i)` into `outcomes`.
    pub activities: Matcher,
    /// Per activity pattern: outcome value → `Target::Rule(rule index)`.
    pub outcomes: Vec<Matcher>,
}

/// One export object of a source, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    pub name: String,
    /// The columns that identify the object, as written.
    pub header: Vec<String>,
    /// Every column the object reads, as written (index = column number below).
    pub cols: Vec<String>,
    /// Columns the file must have (indexes into `cols`).
    pub required: Vec<usize>,
    pub record_id: Vec<usize>,
    pub unit: usize,
    pub account: Option<usize>,
    pub time: Option<usize>,
    pub owner: Option<usize>,
    /// The zone the mapping states for times written without an offset, and its name
    /// (`None`: the import's, by default the line's).
    pub timezone: Option<(TimeZone, String)>,
    pub activity: Option<usize>,
    pub outcome: Option<usize>,
    /// Column → the values kept (lowercase).
    pub filter: Vec<(usize, Vec<String>)>,
    pub history: Option<History>,
    pub groups: Vec<Group>,
    pub rules: Vec<Rule>,
    /// Per rule: the column whose value stops it firing.
    pub unless: Vec<Option<usize>>,
}

/// A validated source mapping: its objects, recognised by their headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMapping {
    /// The source's name (event ids start with it).
    pub name: String,
    pub(crate) objects: Vec<Object>,
    /// Station ids of the line, by index.
    pub(crate) stations: Vec<String>,
}

/// The text of a built-in source.
pub fn builtin(name: &str) -> Option<&'static str> {
    SOURCES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn syntax(file: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    ConfigError {
        file: file.to_owned(),
        what: "source mapping",
        problems: vec![Problem {
            line: e.span().map(|s| line_of(text, s.start)),
            key: String::new(),
            message: e.message().trim().to_owned(),
        }],
    }
}

impl SourceMapping {
    /// A built-in source (`salesforce`, `hubspot`, …) for the line.
    pub fn builtin(name: &str, line: &Line) -> Result<Self, ConfigError> {
        let known = SOURCES.map(|(n, _)| n).join(", ");
        let text = builtin(name).ok_or_else(|| ConfigError {
            file: name.to_owned(),
            what: "source mapping",
            problems: vec![Problem {
                line: None,
                key: "source".into(),
                message: format!("unknown source {name:?}: expected one of {known}, or the path of a mapping file"),
            }],
        })?;
        Self::from_toml(&format!("{name} source (built in)"), text, line)
    }

    /// Parses and validates a mapping file's text against the line. A file that
    /// `extends` a built-in source is layered over it. `file` names it in errors.
    pub fn from_toml(file: &str, text: &str, line: &Line) -> Result<Self, ConfigError> {
        let user: RawSource = toml::from_str(text).map_err(|e| syntax(file, text, &e))?;
        let mut v = Validator::new(text);
        let mut layers = vec![user];
        if let Some(base) = layers[0].extends.clone() {
            match builtin(base.get_ref()) {
                Some(base_text) => {
                    let raw: RawSource = toml::from_str(base_text)
                        .map_err(|e| syntax(base.get_ref(), base_text, &e))?;
                    v.texts
                        .push((base_text, format!("({} source) ", base.get_ref())));
                    layers.push(raw);
                }
                None => v.problem(
                    base.span(),
                    "extends",
                    format!(
                        "unknown source {:?}: expected one of {}",
                        base.get_ref(),
                        SOURCES.map(|(n, _)| n).join(", ")
                    ),
                ),
            }
        }
        let name = layers[0]
            .name
            .as_ref()
            .map(|n| n.get_ref().trim().to_owned())
            .or_else(|| layers[0].extends.as_ref().map(|e| e.get_ref().clone()))
            .or_else(|| file.strip_suffix(" source (built in)").map(str::to_owned))
            .unwrap_or_else(|| "custom".to_owned());
        let mapping = validate(&mut v, name, &layers, line);
        if v.problems.is_empty() {
            Ok(mapping)
        } else {
            Err(ConfigError {
                file: file.to_owned(),
                what: "source mapping",
                problems: v.problems,
            })
        }
    }

    /// The object whose header a file has: every identifying column present (any
    /// case, surrounding spaces ignored); the one with the most such columns wins.
    pub(crate) fn recognise(&self, header: &[String]) -> Option<&Object> {
        let have: HashSet<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        self.objects
            .iter()
            .filter(|o| o.header.iter().all(|c| have.contains(&c.to_lowercase())))
            .max_by_key(|o| o.header.len())
    }

    /// The objects this source knows, with their identifying columns, for errors.
    pub fn known_objects(&self) -> String {
        self.objects
            .iter()
            .map(|o| format!("{} ({})", o.name, o.header.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A key's value from the first layer that has it, with the layer's index.
fn pick<'r, T>(
    layers: &[(usize, &'r RawObject)],
    get: impl Fn(&'r RawObject) -> Option<&'r T>,
) -> Option<(usize, &'r T)> {
    layers.iter().find_map(|(o, r)| get(r).map(|t| (*o, t)))
}

fn validate(
    v: &mut Validator<'_>,
    name: String,
    layers: &[RawSource],
    line: &Line,
) -> SourceMapping {
    let stations_ids: Vec<String> = line.stations.iter().map(|s| s.id.clone()).collect();
    let renames = layers[0].stations.clone();
    let stations = Stations {
        line,
        renames: &renames,
        current: false,
    };
    // Objects by name, each with its layers (user's first).
    let mut order: Vec<String> = Vec::new();
    let mut by_name: HashMap<String, Vec<(usize, &RawObject)>> = HashMap::new();
    for origin in (0..layers.len()).rev() {
        for o in &layers[origin].object {
            let key = o.get_ref().name.get_ref().trim().to_owned();
            if !by_name.contains_key(&key) {
                order.push(key.clone());
            }
            let entry = by_name.entry(key).or_default();
            if entry.iter().any(|(g, _)| *g == origin) {
                v.origin = origin;
                v.problem(
                    o.get_ref().name.span(),
                    "object.name",
                    format!("object {:?} is defined twice", o.get_ref().name.get_ref()),
                );
            }
            entry.insert(0, (origin, o.get_ref()));
        }
    }
    if order.is_empty() {
        v.origin = 0;
        v.general("object", "the mapping needs at least one [[object]]");
    }
    let objects = order
        .iter()
        .map(|n| validate_object(v, n, &by_name[n], &stations))
        .collect();
    v.origin = 0;
    SourceMapping {
        name,
        objects,
        stations: stations_ids,
    }
}

fn validate_object(
    v: &mut Validator<'_>,
    name: &str,
    layers: &[(usize, &RawObject)],
    stations: &Stations<'_>,
) -> Object {
    let key = |k: &str| format!("object[{name}].{k}");
    let mut cols: Vec<String> = Vec::new();
    let mut required = Vec::new();
    let need = |v: &mut Validator<'_>, k: &str, got: Option<(usize, &Spanned<String>)>| {
        got.map(|(o, s)| {
            if s.get_ref().trim().is_empty() {
                v.origin = o;
                v.problem(s.span(), key(k), "must name a column");
            }
            s.get_ref().clone()
        })
    };
    let first_origin = layers[0].0;
    let unit = need(v, "unit", pick(layers, |r| r.unit.as_ref()));
    let unit = match unit {
        Some(u) => col(&mut cols, &u),
        None => {
            v.origin = first_origin;
            v.general(
                key("unit"),
                "is required: the column of the unit (contact) id",
            );
            0
        }
    };
    required.push(unit);
    let record_id = match pick(layers, |r| r.record_id.as_ref()) {
        Some((o, ids))
            if ids.get_ref().iter().all(|c| !c.trim().is_empty()) && !ids.get_ref().is_empty() =>
        {
            let _ = o;
            ids.get_ref()
                .iter()
                .map(|c| col(&mut cols, c))
                .collect::<Vec<_>>()
        }
        Some((o, ids)) => {
            v.origin = o;
            v.problem(
                ids.span(),
                key("record_id"),
                "must list the columns of the tool's record id",
            );
            Vec::new()
        }
        None => {
            v.origin = first_origin;
            v.general(
                key("record_id"),
                "is required: the column(s) of the tool's record id, from which stable event ids are made",
            );
            Vec::new()
        }
    };
    required.extend(&record_id);
    let time = need(v, "time", pick(layers, |r| r.time.as_ref())).map(|c| col(&mut cols, &c));
    let account =
        need(v, "account", pick(layers, |r| r.account.as_ref())).map(|c| col(&mut cols, &c));
    let owner = need(v, "owner", pick(layers, |r| r.owner.as_ref())).map(|c| col(&mut cols, &c));
    let activity =
        need(v, "activity", pick(layers, |r| r.activity.as_ref())).map(|c| col(&mut cols, &c));
    required.extend(activity);
    let outcome =
        need(v, "outcome", pick(layers, |r| r.outcome.as_ref())).map(|c| col(&mut cols, &c));
    let old = need(v, "old", pick(layers, |r| r.old.as_ref())).map(|c| col(&mut cols, &c));
    let new = need(v, "new", pick(layers, |r| r.new.as_ref())).map(|c| col(&mut cols, &c));
    required.extend(old);
    required.extend(new);
    let timezone = pick(layers, |r| r.timezone.as_ref()).and_then(|(o, tz)| {
        let name = tz.get_ref().trim();
        match TimeZone::get(name) {
            Ok(t) => Some((t, name.to_owned())),
            Err(_) => {
                v.origin = o;
                v.problem(
                    tz.span(),
                    key("timezone"),
                    format!(
                        "unknown time zone {name:?}: expected an IANA name such as UTC or Europe/Paris"
                    ),
                );
                None
            }
        }
    });
    let filter: Vec<(usize, Vec<String>)> = pick(layers, |r| r.filter.as_ref())
        .map(|(_, f)| {
            f.iter()
                .map(|(c, vals)| {
                    (
                        col(&mut cols, c),
                        vals.iter().map(|x| x.trim().to_lowercase()).collect(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    required.extend(filter.iter().map(|(c, _)| *c));

    // Ignored values (of the activity or of the state), user's and source's.
    let ignores: Vec<(usize, &Spanned<String>)> = layers
        .iter()
        .flat_map(|(o, r)| r.ignore.iter().flatten().map(move |s| (*o, s)))
        .collect();

    let history = match new {
        None => {
            if let Some((o, s)) = pick(layers, |r| r.old.as_ref()) {
                v.origin = o;
                v.problem(
                    s.span(),
                    key("old"),
                    "needs `new`: the column of the new value",
                );
            }
            None
        }
        Some(new) => Some(validate_states(
            v, name, layers, &ignores, new, old, stations,
        )),
    };

    // Rules: the user's first, then the source's that the user's do not replace.
    let mut rules = Vec::new();
    let mut unless = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut taken: HashSet<(String, String, String)> = HashSet::new();
    let mut n = 0;
    for (origin, r) in layers {
        for rule in &r.rule {
            let raw = rule.get_ref();
            let low = |s: &Option<Spanned<String>>| {
                s.as_ref()
                    .map(|x| x.get_ref().trim().to_lowercase())
                    .unwrap_or_default()
            };
            let triple = (low(&raw.activity), low(&raw.outcome), low(&raw.time));
            let replaced = taken.contains(&triple);
            if *origin == layers[0].0 || !replaced {
                taken.insert(triple);
            }
            if replaced && *origin != layers[0].0 {
                continue;
            }
            n += 1;
            v.origin = *origin;
            let rkey = |k: &str| format!("object[{name}].rule[{n}].{k}");
            if history.is_some() {
                v.problem(
                    rule.span(),
                    rkey("kind"),
                    "a status history (`new`) maps values with [object.states], not rules",
                );
                continue;
            }
            let index = rules.len();
            rules.push(validate_rule(v, raw, &rkey, stations));
            unless.push(raw.unless.as_ref().map(|u| col(&mut cols, u.get_ref())));
            let (time, time_name) = match &raw.time {
                Some(t) => (
                    Some(col(&mut cols, t.get_ref())),
                    t.get_ref().trim().to_owned(),
                ),
                None => (None, String::new()),
            };
            let g = match groups.iter().position(|g| g.time == time) {
                Some(g) => g,
                None => {
                    groups.push(Group {
                        time,
                        time_name,
                        activities: Matcher::new(true),
                        outcomes: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[g];
            let act = match &raw.activity {
                Some(a) => {
                    if activity.is_none() {
                        v.problem(
                            a.span(),
                            rkey("activity"),
                            format!("object[{name}] names no `activity` column to match"),
                        );
                    }
                    a.get_ref().trim().to_lowercase()
                }
                None => "*".to_owned(),
            };
            let slot = match group.activities.target(&act) {
                Target::Rule(s) if group_has_pattern(group, &act) => s,
                _ => {
                    group.outcomes.push(Matcher::new(true));
                    let s = group.outcomes.len() - 1;
                    let (body, prefix) = match act.strip_suffix('*') {
                        Some(b) => (b.to_owned(), true),
                        None => (act.clone(), false),
                    };
                    group.activities.insert(body, prefix, Target::Rule(s));
                    group.activities.finish();
                    s
                }
            };
            match &raw.outcome {
                Some(out) => {
                    if outcome.is_none() {
                        v.problem(
                            out.span(),
                            rkey("outcome"),
                            format!("object[{name}] names no `outcome` column to match"),
                        );
                    }
                    group.outcomes[slot].add(
                        v,
                        out,
                        rkey("outcome"),
                        "outcome",
                        Target::Rule(index),
                    );
                }
                None => {
                    if group_any(&group.outcomes[slot]) {
                        v.problem(
                            rule.span(),
                            rkey("activity"),
                            "another rule already maps this activity with any outcome at this time",
                        );
                    }
                    group.outcomes[slot].insert(String::new(), true, Target::Rule(index));
                }
            }
            group.outcomes[slot].finish();
        }
    }
    for (o, s) in &ignores {
        if history.is_none() {
            v.origin = *o;
            let g = match groups.iter().position(|g| g.time.is_none()) {
                Some(g) => g,
                None => {
                    groups.push(Group {
                        time: None,
                        time_name: String::new(),
                        activities: Matcher::new(true),
                        outcomes: Vec::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[g]
                .activities
                .add(v, s, key("ignore"), "value", Target::Ignored);
            groups[g].activities.finish();
        }
    }
    if history.is_none() && rules.is_empty() {
        v.origin = first_origin;
        v.general(
            key("rule"),
            "the object needs [[object.rule]]s, or `new` and [object.states] for a status history",
        );
    }
    if (history.is_some()
        || groups
            .iter()
            .any(|g| g.time.is_none() && !g.outcomes.is_empty()))
        && time.is_none()
    {
        v.origin = first_origin;
        v.general(
            key("time"),
            "is required: the column of the event's time (or give every rule its own `time`)",
        );
    }
    required.extend(time);
    let header = match pick(layers, |r| r.header.as_ref()) {
        Some((_, h)) => h.iter().map(|c| c.get_ref().trim().to_owned()).collect(),
        None => {
            let mut h: Vec<String> = Vec::new();
            for c in &required {
                if !h.contains(&cols[*c]) {
                    h.push(cols[*c].clone());
                }
            }
            h
        }
    };
    for h in &header {
        col(&mut cols, h);
    }
    required.sort_unstable();
    required.dedup();
    v.origin = 0;
    Object {
        name: name.to_owned(),
        header,
        cols,
        required,
        record_id,
        unit,
        account,
        time,
        owner,
        timezone,
        activity,
        outcome,
        filter,
        history,
        groups,
        rules,
        unless,
    }
}

/// The index of a column among the object's, added if new (names compare in any case).
fn col(cols: &mut Vec<String>, c: &str) -> usize {
    let c = c.trim();
    match cols.iter().position(|x| x.eq_ignore_ascii_case(c)) {
        Some(i) => i,
        None => {
            cols.push(c.to_owned());
            cols.len() - 1
        }
    }
}

/// Whether a group already has exactly this activity pattern (not just a match).
fn group_has_pattern(group: &Group, act: &str) -> bool {
    match act.strip_suffix('*') {
        Some(b) => group.activities.has_prefix(b),
        None => group.activities.has_exact(act),
    }
}

/// Whether an outcome matcher already has its catch-all.
fn group_any(m: &Matcher) -> bool {
    m.has_prefix("")
}

fn validate_states(
    v: &mut Validator<'_>,
    name: &str,
    layers: &[(usize, &RawObject)],
    ignores: &[(usize, &Spanned<String>)],
    new: usize,
    old: Option<usize>,
    stations: &Stations<'_>,
) -> History {
    let key = |k: &str| format!("object[{name}].states.{k:?}");
    // Value (lowercase) → (origin, as written, value); the user's layer wins.
    let mut merged: BTreeMap<String, (usize, &String, &Spanned<toml::Value>)> = BTreeMap::new();
    for (origin, r) in layers.iter().rev() {
        for (k, val) in r.states.iter().flatten() {
            merged.insert(k.trim().to_lowercase(), (*origin, k, val));
        }
    }
    if merged.is_empty() {
        v.origin = layers[0].0;
        v.general(
            format!("object[{name}].states"),
            "a status history needs [object.states]: what each value means",
        );
    }
    let mut values = Matcher::new(true);
    let mut states = Vec::new();
    for (origin, k, val) in merged.values() {
        v.origin = *origin;
        let span = val.span();
        let station_of = |v: &mut Validator<'_>, s: &str, what: &str| {
            stations.resolve(
                v,
                &Spanned::new(span.clone(), s.to_owned()),
                &format!("{}{what}", key(k)),
            )
        };
        let state = match val.get_ref() {
            toml::Value::String(s) if s == IGNORE_STATE => {
                values.insert(k.trim().to_lowercase(), false, Target::Ignored);
                continue;
            }
            toml::Value::String(s) => station_of(v, s, "").map(State::Station),
            toml::Value::Table(t) => {
                let at = match t.get("at") {
                    Some(toml::Value::String(s)) => station_of(v, s, ".at"),
                    Some(_) => {
                        v.problem(span.clone(), key(k), "`at` must be a station id");
                        None
                    }
                    None => None,
                };
                let unknown: Vec<&String> = t
                    .keys()
                    .filter(|x| !["failed", "recycled", "at"].contains(&x.as_str()))
                    .collect();
                if !unknown.is_empty() {
                    v.problem(
                        span.clone(),
                        key(k),
                        format!("unknown key(s) {unknown:?}: expected failed, recycled or at"),
                    );
                }
                match (t.get("failed"), t.get("recycled")) {
                    (Some(toml::Value::String(r)), None) if !r.trim().is_empty() => {
                        Some(State::Failed {
                            reason: r.trim().to_owned(),
                            at,
                        })
                    }
                    (None, Some(toml::Value::Integer(d))) => {
                        resume_days(v, &Spanned::new(span.clone(), *d), &key(k))
                            .map(|days| State::Recycled { days, at })
                    }
                    _ => {
                        v.problem(span.clone(), key(k), "expected { failed = \"REASON\" } or { recycled = DAYS } (with an optional at = \"STATION\")");
                        None
                    }
                }
            }
            _ => {
                v.problem(span.clone(), key(k), format!("expected a station id, \"{IGNORE_STATE}\", {{ failed = \"REASON\" }} or {{ recycled = DAYS }}"));
                None
            }
        };
        if let Some(state) = state {
            values.insert(k.trim().to_lowercase(), false, Target::Rule(states.len()));
            states.push(state);
        }
    }
    for (o, s) in ignores {
        v.origin = *o;
        values.add(
            v,
            s,
            format!("object[{name}].ignore"),
            "value",
            Target::Ignored,
        );
    }
    values.finish();
    History {
        old,
        new,
        values,
        states,
    }
}
