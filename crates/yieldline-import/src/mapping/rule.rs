//! The rule vocabulary every mapping shares, XES logs and tabular exports alike: a
//! value pattern (an activity, a status, an outcome) and what it stands for — a
//! station, a kind of event, a reason, a channel, a resume delay, the station the
//! unit enters next — validated with every problem named by key and line, and the
//! Yieldline events a matched rule produces.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;
use yieldline_core::event::{Channel, EventKind, OperatorKind, RawEvent};
use yieldline_core::line::{Line, Num, Problem, line_of};

/// The station that `*current` names (XES: wherever the unit is).
pub const CURRENT_STATION: &str = "*current";

/// Collects the problems of one or more mapping texts (a user's file layered over a
/// built-in source), each problem with the line in the text it came from.
pub(crate) struct Validator<'a> {
    /// Per origin: the text, and a prefix for its problem keys (empty for the file
    /// the error is reported against).
    pub texts: Vec<(&'a str, String)>,
    /// The origin being validated.
    pub origin: usize,
    pub problems: Vec<Problem>,
}

impl<'a> Validator<'a> {
    /// A validator of one text.
    pub fn new(text: &'a str) -> Self {
        Self {
            texts: vec![(text, String::new())],
            origin: 0,
            problems: Vec::new(),
        }
    }

    /// Records a problem at a span of the current origin's text.
    pub fn problem(
        &mut self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) {
        let (text, prefix) = &self.texts[self.origin];
        self.problems.push(Problem {
            line: prefix.is_empty().then(|| line_of(text, span.start)),
            key: format!("{prefix}{}", key.into()),
            message: message.into(),
        });
    }

    /// Records a problem with no position.
    pub fn general(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let prefix = &self.texts[self.origin].1;
        self.problems.push(Problem {
            line: None,
            key: format!("{prefix}{}", key.into()),
            message: message.into(),
        });
    }
}

/// What a value pattern leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Rule(usize),
    Ignored,
    Unmapped,
}

/// Value patterns — exact, or a prefix written with a trailing `*` — and what each
/// leads to. An exact pattern beats a prefix; the longest prefix beats a shorter one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Matcher {
    /// Compare values case-insensitively (vendor picklists vary in case).
    fold: bool,
    exact: HashMap<String, Target>,
    /// Prefix patterns, longest first (after [`Matcher::finish`]).
    prefixes: Vec<(String, Target)>,
    /// Pattern (folded as compared) → line where it was first given.
    seen: HashMap<(String, bool), usize>,
}

impl Matcher {
    /// An empty matcher; `fold` compares values case-insensitively.
    pub fn new(fold: bool) -> Self {
        Self {
            fold,
            ..Self::default()
        }
    }

    fn key(&self, s: &str) -> String {
        if self.fold {
            s.to_lowercase()
        } else {
            s.to_owned()
        }
    }

    /// Adds a pattern as written in the mapping (validated: not empty, `*` only at
    /// the end, not given twice). `what` names the value in duplicate errors.
    pub fn add(
        &mut self,
        v: &mut Validator<'_>,
        s: &Spanned<String>,
        key: String,
        what: &str,
        target: Target,
    ) {
        let text = s.get_ref().trim();
        if text.is_empty() {
            v.problem(s.span(), key, "must not be empty");
            return;
        }
        if text.trim_end_matches('*').contains('*') || text.ends_with("**") {
            v.problem(
                s.span(),
                key,
                format!("{text:?}: '*' may only end a pattern (a prefix), once"),
            );
            return;
        }
        let (body, prefix) = match text.strip_suffix('*') {
            Some(p) => (p, true),
            None => (text, false),
        };
        let body = self.key(body);
        let here = line_of(v.texts[v.origin].0, s.span().start);
        if let Some(first) = self.seen.get(&(body.clone(), prefix)) {
            v.problem(
                s.span(),
                key,
                format!("{what} {text:?} is already mapped at line {first}"),
            );
            return;
        }
        self.seen.insert((body.clone(), prefix), here);
        self.insert(body, prefix, target);
    }

    /// Adds a pattern that needs no validation (a catch-all prefix `""`).
    pub fn insert(&mut self, body: String, prefix: bool, target: Target) {
        if prefix {
            self.prefixes.push((body, target));
        } else {
            self.exact.insert(body, target);
        }
    }

    /// Whether this exact pattern (as compared) is present.
    pub fn has_exact(&self, body: &str) -> bool {
        self.exact.contains_key(&self.key(body))
    }

    /// Whether this prefix pattern (as compared) is present.
    pub fn has_prefix(&self, body: &str) -> bool {
        let body = self.key(body);
        self.prefixes.iter().any(|(p, _)| *p == body)
    }

    /// Orders the prefixes longest first; call once every pattern is added.
    pub fn finish(&mut self) {
        self.prefixes.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
    }

    /// What a value leads to: an exact pattern first, else the longest prefix.
    pub fn target(&self, value: &str) -> Target {
        let folded;
        let value = if self.fold {
            folded = value.to_lowercase();
            folded.as_str()
        } else {
            value
        };
        if let Some(t) = self.exact.get(value) {
            return *t;
        }
        self.prefixes
            .iter()
            .find(|(p, _)| value.starts_with(p.as_str()))
            .map_or(Target::Unmapped, |(_, t)| *t)
    }
}

/// One `[[rule]]` as written. `activity` is required in XES mappings; `outcome`,
/// `time` (the rule's own time column: it fires when that has a value) and `unless`
/// (it does not fire when that column has a value) apply to tabular exports only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub activity: Option<Spanned<String>>,
    pub outcome: Option<Spanned<String>>,
    pub time: Option<Spanned<String>>,
    pub unless: Option<Spanned<String>>,
    pub station: Spanned<String>,
    pub kind: Spanned<String>,
    pub reason: Option<Spanned<String>>,
    pub channel: Option<Spanned<String>>,
    pub enters: Option<Spanned<String>>,
    pub resume_after_days: Option<Spanned<i64>>,
    pub operator_kind: Option<Spanned<String>>,
    pub cost_minutes: Option<Spanned<Num>>,
}

/// The station a rule's event is at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StationRef {
    /// The station the unit is at when the event happens (XES only).
    Current,
    /// A station of the line, by index.
    At(usize),
}

/// One validated rule: the event a matched value stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub station: StationRef,
    pub kind: EventKind,
    pub reason: Option<String>,
    pub channel: Option<Channel>,
    /// For `passed`: the station the unit enters next, at the same instant.
    pub enters: Option<usize>,
    /// For `recycled`: days after the event's (local) date the unit resumes.
    pub resume_after_days: Option<i64>,
    pub operator_kind: Option<OperatorKind>,
    /// Validated non-negative number, kept as text for the raw event.
    pub cost_minutes: Option<String>,
}

/// How station names in a mapping resolve to the line's stations: directly, or
/// through a renaming table (a built-in source names the standard line's stations;
/// a user's `[stations]` table maps them onto the user's own).
pub(crate) struct Stations<'a> {
    pub line: &'a Line,
    pub renames: &'a HashMap<String, String>,
    /// Whether `*current` is allowed (XES).
    pub current: bool,
}

impl Stations<'_> {
    /// The station a name in the mapping means, or a problem.
    pub fn resolve(&self, v: &mut Validator<'_>, s: &Spanned<String>, key: &str) -> Option<usize> {
        let name = s.get_ref().trim();
        let name = self.renames.get(name).map_or(name, String::as_str);
        match self.line.station_index(name) {
            Some(i) => Some(i),
            None => {
                let known = self
                    .line
                    .stations
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let current = if self.current {
                    format!("; or \"{CURRENT_STATION}\"")
                } else {
                    String::new()
                };
                let renamed = if name == s.get_ref().trim() {
                    String::new()
                } else {
                    format!(" (renamed from {:?} by [stations])", s.get_ref())
                };
                v.problem(
                    s.span(),
                    key,
                    format!(
                        "unknown station {name:?}{renamed} (the line has: {known}{current}{})",
                        if self.renames.is_empty() && !self.current {
                            "; a [stations] table in your mapping file renames a source's stations to yours"
                        } else {
                            ""
                        }
                    ),
                );
                None
            }
        }
    }
}

/// Validates what a rule says (everything but its patterns). `key` names a rule key
/// in problems, e.g. `rule[2].station`.
pub(crate) fn validate_rule(
    v: &mut Validator<'_>,
    r: &RawRule,
    key: &dyn Fn(&str) -> String,
    stations: &Stations<'_>,
) -> Rule {
    let kind = match EventKind::parse(r.kind.get_ref()) {
        Some(k) => k,
        None => {
            v.problem(
                r.kind.span(),
                key("kind"),
                format!(
                    "unknown kind {:?}: expected entered, touch, passed, failed, recycled or optout",
                    r.kind.get_ref()
                ),
            );
            EventKind::Touch
        }
    };
    let at = if r.station.get_ref() == CURRENT_STATION && stations.current {
        if kind == EventKind::Entered {
            v.problem(
                r.station.span(),
                key("station"),
                "an `entered` rule needs a station id: the unit enters a named station",
            );
        }
        StationRef::Current
    } else {
        StationRef::At(
            stations
                .resolve(v, &r.station, &key("station"))
                .unwrap_or(0),
        )
    };
    let reason = match (&r.reason, kind) {
        (Some(s), EventKind::Failed) if s.get_ref().trim().is_empty() => {
            v.problem(s.span(), key("reason"), "must not be empty");
            None
        }
        (Some(s), EventKind::Failed) => Some(s.get_ref().trim().to_owned()),
        (None, EventKind::Failed) => {
            v.problem(
                r.kind.span(),
                key("reason"),
                "is required for a `failed` rule, e.g. reason = \"disqualified\"",
            );
            None
        }
        (Some(s), _) => {
            v.problem(s.span(), key("reason"), "applies to `failed` rules only");
            None
        }
        (None, _) => None,
    };
    let channel = match (&r.channel, kind) {
        (Some(s), EventKind::Touch) => match Channel::parse(s.get_ref()) {
            Some(c) => Some(c),
            None => {
                v.problem(
                    s.span(),
                    key("channel"),
                    format!(
                        "unknown channel {:?}: expected email, phone, social or other",
                        s.get_ref()
                    ),
                );
                None
            }
        },
        (None, EventKind::Touch) => {
            v.problem(
                r.kind.span(),
                key("channel"),
                "is required for a `touch` rule: email, phone, social or other",
            );
            None
        }
        (Some(s), _) => {
            v.problem(s.span(), key("channel"), "applies to `touch` rules only");
            None
        }
        (None, _) => None,
    };
    let enters = match (&r.enters, kind) {
        (Some(s), EventKind::Passed) => stations.resolve(v, s, &key("enters")),
        (Some(s), _) => {
            v.problem(
                s.span(),
                key("enters"),
                "applies to `passed` rules only (the unit passes here and enters there)",
            );
            None
        }
        (None, _) => None,
    };
    let resume_after_days = match (&r.resume_after_days, kind) {
        (Some(d), EventKind::Recycled) => resume_days(v, d, &key("resume_after_days")),
        (None, EventKind::Recycled) => {
            v.problem(
                r.kind.span(),
                key("resume_after_days"),
                "is required for a `recycled` rule (days until the unit resumes)",
            );
            None
        }
        (Some(d), _) => {
            v.problem(
                d.span(),
                key("resume_after_days"),
                "applies to `recycled` rules only",
            );
            None
        }
        (None, _) => None,
    };
    let operator_kind = r.operator_kind.as_ref().and_then(|o| {
        let k = OperatorKind::parse(o.get_ref());
        if k.is_none() {
            v.problem(
                o.span(),
                key("operator_kind"),
                format!(
                    "unknown operator kind {:?}: expected human or automation",
                    o.get_ref()
                ),
            );
        }
        k
    });
    let cost_minutes = r.cost_minutes.as_ref().and_then(|c| {
        let x = c.get_ref().get();
        if x.is_finite() && x >= 0.0 {
            Some(x.to_string())
        } else {
            v.problem(
                c.span(),
                key("cost_minutes"),
                format!("must be a non-negative number, got {x}"),
            );
            None
        }
    });
    Rule {
        station: at,
        kind,
        reason,
        channel,
        enters,
        resume_after_days,
        operator_kind,
        cost_minutes,
    }
}

/// A resume delay in days, validated (0 to 3660).
pub(crate) fn resume_days(v: &mut Validator<'_>, d: &Spanned<i64>, key: &str) -> Option<i64> {
    if (0..=3660).contains(d.get_ref()) {
        Some(*d.get_ref())
    } else {
        v.problem(
            d.span(),
            key,
            format!(
                "must be a whole number of days from 0 to 3660, got {}",
                d.get_ref()
            ),
        );
        None
    }
}

/// Where and when a matched rule's event happened.
pub(crate) struct Happened<'a> {
    pub event_id: &'a str,
    /// The timestamp as written in the event (RFC 3339).
    pub ts_text: &'a str,
    pub ts: jiff::Timestamp,
    pub unit: &'a str,
    pub account: &'a str,
    pub operator: Option<&'a str>,
}

/// The resume date of a unit recycled at `ts`: its date in the line's zone plus `days`.
pub(crate) fn resume_on(line: &Line, ts: jiff::Timestamp, days: i64) -> Result<String, String> {
    let date = ts.to_zoned(line.timezone.clone()).date();
    date.checked_add(jiff::Span::new().days(days))
        .map(|d| d.to_string())
        .map_err(|e| format!("resume date out of range: {e}"))
}

impl Rule {
    /// The event a rule stands for at `station`, and the entry at the next station
    /// an `enters` rule adds (its id is the event's with `:entered` appended). The
    /// error is a resume date out of range.
    pub fn events<'a>(
        &self,
        station: usize,
        stations: &'a [String],
        at: &Happened<'a>,
        line: &Line,
    ) -> Result<(RawEvent<'a>, Option<RawEvent<'a>>), String> {
        let resume = match self.resume_after_days {
            Some(days) => Some(resume_on(line, at.ts, days)?),
            None => None,
        };
        let raw = RawEvent {
            event_id: Some(at.event_id.to_owned().into()),
            ts: Some(at.ts_text.into()),
            unit_id: Some(at.unit.into()),
            account_id: Some(at.account.into()),
            station: Some(stations[station].as_str().into()),
            kind: Some(self.kind.as_str().into()),
            reason: self.reason.clone().map(Into::into),
            resume_on: resume.map(Into::into),
            channel: self.channel.map(|c| c.as_str().into()),
            operator_id: at.operator.map(Into::into),
            operator_kind: self.operator_kind.map(|o| o.as_str().into()),
            cost_minutes: self.cost_minutes.clone().map(Into::into),
            ..RawEvent::default()
        };
        let entry = self.enters.map(|next| RawEvent {
            event_id: Some(format!("{}:entered", at.event_id).into()),
            station: Some(stations[next].as_str().into()),
            kind: Some(EventKind::Entered.as_str().into()),
            reason: None,
            resume_on: None,
            channel: None,
            cost_minutes: None,
            ..raw.clone()
        });
        Ok((raw, entry))
    }
}
