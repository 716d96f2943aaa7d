//! XES event logs (IEEE 1849, `.xes` or gzip-compressed `.xes.gz`) mapped onto
//! Yieldline events by a user-written mapping file.
//!
//! Process-mining logs record *activities* of *cases*; Yieldline records units
//! entering, being touched at and leaving *stations*. Which activity means what is a
//! decision only the user can make, so nothing is assumed: a mapping (TOML) names,
//! per activity, the station and the kind of event it stands for:
//!
//! ```toml
//! [xes]
//! unit = "trace"            # each trace (case) is one unit; its concept:name is unit_id
//! account = "trace"         # account_id: the trace id, or the name of a trace attribute
//! lifecycle = ["complete"]  # lifecycle:transition values imported (others are counted)
//! ignore = ["O_SELECTED"]   # activities deliberately left out (counted apart)
//!
//! [[rule]]
//! activity = "A_PARTLYSUBMITTED"  # exact, or a prefix ending in '*'
//! station = "submitted"           # a station id, or "*current"
//! kind = "passed"
//! enters = "pre-accepted"         # passed + entered at the next station, same instant
//! ```
//!
//! The reader streams: it holds one trace at a time (never the whole log), tracks per
//! trace the station the unit is at, and hands each Yieldline event to the importer's
//! transaction. Event ids are `trace_id:index` (the event's 0-based position among the
//! trace's `<event>` elements, `:entered` appended for the entry an `enters` rule
//! adds), so re-importing the same log with the same mapping changes nothing.
//!
//! The unit's place in the line: an `entered` event puts the unit at its station; a
//! disposition (`passed`, `failed`, `recycled`) applies only to a unit that is at that
//! station and takes it off; `station = "*current"` means the station the unit is at
//! (its latest entry without a disposition). Events that do not fit (a disposition at a
//! station the unit is not at, a repeated entry, `*current` when the unit is at no
//! station) are skipped and counted per activity, never silently. That makes a strictly
//! nested funnel easy to express: each station's pass `enters` the next, failures use
//! `*current`, and repeated activities (a second offer sent) fall out as counted skips.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use quick_xml::events::{BytesStart, Event as XmlEvent};
use serde::Deserialize;
use toml::Spanned;
#[cfg(test)]
use yieldline_core::event::Channel;
use yieldline_core::event::{EventKind, parse_ts};
use yieldline_core::line::{ConfigError, Line, Problem, line_of};

pub use crate::mapping::rule::CURRENT_STATION;
use crate::mapping::rule::{
    Happened, Matcher, RawRule, Rule, StationRef, Stations, Target, Validator, validate_rule,
};
use crate::{ImportError, Parsed};

/// Whether a path names an XES log by its extension (`.xes` or `.xes.gz`).
pub fn is_xes_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    name.ends_with(".xes") || name.ends_with(".xes.gz")
}

/// A validated XES mapping: how traces, events and activities become Yieldline events.
/// Built by [`XesMapping::from_toml`]; see the module documentation for the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XesMapping {
    /// The trace attribute holding the account id (`None`: the trace id itself).
    account_attribute: Option<String>,
    /// Lifecycle transitions imported, lowercase.
    lifecycle: Vec<String>,
    rules: Vec<Rule>,
    /// Activity patterns → what they map to (the engine tabular exports share).
    activities: Matcher,
    /// Station ids of the line, by index (for event fields).
    stations: Vec<String>,
}

/// Every problem found in a mapping file, each with its line and key.
pub type MappingError = ConfigError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    xes: Option<RawXes>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawXes {
    unit: Option<Spanned<String>>,
    account: Option<Spanned<String>>,
    lifecycle: Option<Spanned<Vec<Spanned<String>>>>,
    ignore: Option<Vec<Spanned<String>>>,
}

impl XesMapping {
    /// Parses and validates mapping text against the line (every station a rule names
    /// must be one of the line's). `file` is used in error messages only. Unknown keys,
    /// unknown stations, kinds and channels, missing `reason` on `failed`, and
    /// duplicate activities are errors naming the key and the line.
    pub fn from_toml(file: &str, text: &str, line: &Line) -> Result<Self, MappingError> {
        let raw: RawMapping = toml::from_str(text).map_err(|e| MappingError {
            file: file.to_owned(),
            what: "XES mapping",
            problems: vec![Problem {
                line: e.span().map(|s| line_of(text, s.start)),
                key: String::new(),
                message: e.message().trim().to_owned(),
            }],
        })?;
        let mut v = Validator::new(text);
        let mapping = validate(&mut v, raw, line);
        if v.problems.is_empty() {
            Ok(mapping)
        } else {
            Err(MappingError {
                file: file.to_owned(),
                what: "XES mapping",
                problems: v.problems,
            })
        }
    }

    /// What the mapping says about an activity: an exact rule first, else the longest
    /// matching prefix.
    fn target(&self, activity: &str) -> Target {
        self.activities.target(activity)
    }

    fn imports_lifecycle(&self, transition: &str) -> bool {
        self.lifecycle
            .iter()
            .any(|l| l.eq_ignore_ascii_case(transition))
    }
}

fn validate(v: &mut Validator<'_>, raw: RawMapping, line: &Line) -> XesMapping {
    let station_ids: Vec<String> = line.stations.iter().map(|s| s.id.clone()).collect();
    let mut account_attribute = None;
    let mut lifecycle = vec!["complete".to_owned()];
    let mut activities = Matcher::new(false);

    if let Some(x) = &raw.xes {
        if let Some(u) = &x.unit
            && u.get_ref() != "trace"
        {
            v.problem(
                u.span(),
                "xes.unit",
                format!(
                    "unknown unit {:?}: only \"trace\" is supported (each trace is one unit)",
                    u.get_ref()
                ),
            );
        }
        if let Some(a) = &x.account {
            let name = a.get_ref().trim();
            if name.is_empty() {
                v.problem(
                    a.span(),
                    "xes.account",
                    "must be \"trace\" or the name of a trace attribute",
                );
            } else if name != "trace" {
                account_attribute = Some(name.to_owned());
            }
        }
        if let Some(l) = &x.lifecycle {
            if l.get_ref().is_empty() {
                v.problem(
                    l.span(),
                    "xes.lifecycle",
                    "must list at least one lifecycle:transition value, e.g. [\"complete\"]",
                );
            }
            lifecycle = Vec::new();
            for t in l.get_ref() {
                let name = t.get_ref().trim().to_ascii_lowercase();
                if name.is_empty() {
                    v.problem(t.span(), "xes.lifecycle", "must not be empty");
                } else if lifecycle.contains(&name) {
                    v.problem(
                        t.span(),
                        "xes.lifecycle",
                        format!("{:?} listed twice", t.get_ref()),
                    );
                } else {
                    lifecycle.push(name);
                }
            }
        }
        for s in x.ignore.iter().flatten() {
            activities.add(v, s, "xes.ignore".into(), "activity", Target::Ignored);
        }
    }

    if raw.rule.is_empty() {
        v.problems.push(Problem {
            line: None,
            key: "rule".into(),
            message: "the mapping needs at least one [[rule]]".into(),
        });
    }
    let renames = HashMap::new();
    let stations = Stations {
        line,
        renames: &renames,
        current: true,
    };
    let mut rules = Vec::new();
    for (i, r) in raw.rule.iter().enumerate() {
        let span = r.span();
        let r = r.get_ref();
        let key = |k: &str| format!("rule[{}].{k}", i + 1);
        match &r.activity {
            Some(a) => activities.add(v, a, key("activity"), "activity", Target::Rule(i)),
            None => v.problem(span.clone(), key("activity"), "is required"),
        }
        for (k, s) in [
            ("outcome", &r.outcome),
            ("time", &r.time),
            ("unless", &r.unless),
        ] {
            if let Some(s) = s {
                v.problem(
                    s.span(),
                    key(k),
                    "applies to tabular exports (CSV, JSON Lines) only",
                );
            }
        }
        rules.push(validate_rule(v, r, &key, &stations));
    }
    activities.finish();
    XesMapping {
        account_attribute,
        lifecycle,
        rules,
        activities,
        stations: station_ids,
    }
}

/// What an XES import read, and what it left out and why (per activity or transition).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XesSummary {
    /// Traces read.
    pub traces: u64,
    /// `<event>` elements read inside traces.
    pub events: u64,
    /// Yieldline events produced (handed to the store or rejected).
    pub emitted: u64,
    /// Events skipped for their lifecycle:transition, per transition (lowercase).
    pub lifecycle_skipped: BTreeMap<String, u64>,
    /// Events whose activity no rule maps, per activity.
    pub unmapped: BTreeMap<String, u64>,
    /// Events of activities the mapping's `ignore` list names, per activity.
    pub ignored: BTreeMap<String, u64>,
    /// Events that did not fit the unit's place in the line, per activity: a
    /// disposition at a station the unit is not at, an entry at the station it is
    /// already at, or `*current` while the unit is at no station.
    pub out_of_place: BTreeMap<String, u64>,
    /// `<event>` elements outside any trace (not imported).
    pub outside_traces: u64,
}

pub(crate) fn listing(counts: &BTreeMap<String, u64>) -> (u64, String) {
    let mut v: Vec<(&String, &u64)> = counts.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let total = v.iter().map(|(_, n)| **n).sum();
    let text = v
        .iter()
        .map(|(k, n)| format!("{k} ({n})"))
        .collect::<Vec<_>>()
        .join(", ");
    (total, text)
}

impl XesSummary {
    /// Human-readable lines for the import's report: what was read and every group of
    /// skipped events, with counts per activity (largest first).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} traces, {} XES events → {} Yieldline events",
            self.traces, self.events, self.emitted
        )];
        let (n, text) = listing(&self.lifecycle_skipped);
        if n > 0 {
            out.push(format!(
                "skipped {n} events of lifecycle transitions not in the mapping's lifecycle list: {text}"
            ));
        }
        let (n, text) = listing(&self.unmapped);
        if n > 0 {
            out.push(format!(
                "skipped {n} events of activities not in the mapping: {text}"
            ));
        }
        let (n, text) = listing(&self.ignored);
        if n > 0 {
            out.push(format!(
                "ignored {n} events of activities the mapping ignores: {text}"
            ));
        }
        let (n, text) = listing(&self.out_of_place);
        if n > 0 {
            out.push(format!(
                "skipped {n} events that do not fit the unit's place in the line (disposition at a station it is not at, repeated entry, or *current at no station): {text}"
            ));
        }
        if self.outside_traces > 0 {
            out.push(format!(
                "skipped {} events outside any trace",
                self.outside_traces
            ));
        }
        out
    }
}

/// A reader that notes where each newline is, so byte positions reported by the XML
/// parser can be turned into line numbers while streaming. Only the newlines of the
/// read-ahead window are kept: positions are asked for in increasing order.
struct LineTracker<R> {
    inner: R,
    offset: u64,
    newlines: VecDeque<u64>,
    lines_before: u64,
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.newlines.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> LineTracker<R> {
    /// 1-based line of a byte position (positions must not decrease between calls).
    fn line_at(&mut self, pos: u64) -> u64 {
        while self.newlines.front().is_some_and(|&nl| nl < pos) {
            self.newlines.pop_front();
            self.lines_before += 1;
        }
        self.lines_before + 1
    }
}

/// One `<event>` of the current trace, as read.
#[derive(Debug, Default)]
struct XesEvent {
    index: usize,
    line: u64,
    activity: Option<String>,
    lifecycle: Option<String>,
    ts: Option<String>,
    ts_line: u64,
    resource: Option<String>,
}

/// The current trace, as read.
#[derive(Debug, Default)]
struct Trace {
    line: u64,
    id: Option<String>,
    account: Option<String>,
    events: Vec<XesEvent>,
}

/// Where an element sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Log,
    Trace,
    Event,
    Other,
}

/// The callback that stores (or rejects) one Yieldline event: parsed event or the
/// field and problem, the line, and the record's text for a rejects file.
pub(crate) type Emit<'h> =
    dyn FnMut(Parsed, u64, &dyn Fn() -> String) -> Result<(), ImportError> + 'h;

/// Reads an XES log (plain or gzip, told by its first bytes) and hands every mapped
/// event to `emit`, in document order, one trace at a time.
/// What mapped events are validated against: the line, and the import's instant (the
/// plausible window ends a fixed time after it).
#[derive(Clone, Copy)]
struct Check<'a> {
    line: &'a Line,
    now: jiff::Timestamp,
}

pub(crate) fn read_events<R: Read>(
    input: R,
    path: &Path,
    mapping: &XesMapping,
    line: &Line,
    now: jiff::Timestamp,
    emit: &mut Emit<'_>,
) -> Result<XesSummary, ImportError> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let head = input.fill_buf().map_err(|source| ImportError::Io {
        file: path.to_owned(),
        source,
    })?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if gzip {
        parse(
            flate2::read::MultiGzDecoder::new(input),
            path,
            mapping,
            Check { line, now },
            emit,
        )
    } else {
        parse(input, path, mapping, Check { line, now }, emit)
    }
}

fn malformed(path: &Path, line: u64, message: String) -> ImportError {
    ImportError::Malformed {
        file: path.to_owned(),
        line,
        message,
    }
}

fn parse<R: Read>(
    input: R,
    path: &Path,
    mapping: &XesMapping,
    check: Check<'_>,
    emit: &mut Emit<'_>,
) -> Result<XesSummary, ImportError> {
    let tracker = LineTracker {
        inner: input,
        offset: 0,
        newlines: VecDeque::new(),
        lines_before: 0,
    };
    let mut reader = quick_xml::Reader::from_reader(BufReader::with_capacity(1 << 16, tracker));
    reader.config_mut().trim_text(false);
    let decoder = reader.decoder();
    let mut buf = Vec::new();
    let mut stack: Vec<(Ctx, u64)> = Vec::new();
    let mut trace = Trace::default();
    let mut event = XesEvent::default();
    let mut summary = XesSummary::default();
    let mut saw_root = false;
    loop {
        buf.clear();
        let start = reader.buffer_position();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(quick_xml::Error::Io(e)) => {
                return Err(ImportError::Io {
                    file: path.to_owned(),
                    source: std::io::Error::new(e.kind(), e.to_string()),
                });
            }
            Err(e) => {
                let pos = reader.error_position();
                let at = reader.get_mut().get_mut().line_at(pos);
                return Err(malformed(path, at, format!("malformed XML: {e}")));
            }
        };
        match ev {
            XmlEvent::Start(_) | XmlEvent::Empty(_) => {
                let (e, empty) = match ev {
                    XmlEvent::Start(e) => (e, false),
                    XmlEvent::Empty(e) => (e, true),
                    _ => continue,
                };
                let name = e.local_name();
                let name = name.as_ref();
                let parent = stack.last().map(|(c, _)| *c);
                let at = reader.get_mut().get_mut().line_at(start);
                let ctx = match parent {
                    None => {
                        if name != b"log" {
                            return Err(malformed(
                                path,
                                at,
                                format!(
                                    "not an XES log: the root element is <{}>, expected <log>",
                                    String::from_utf8_lossy(name)
                                ),
                            ));
                        }
                        saw_root = true;
                        Ctx::Log
                    }
                    Some(Ctx::Log) if name == b"trace" => {
                        trace = Trace {
                            line: at,
                            ..Trace::default()
                        };
                        summary.traces += 1;
                        Ctx::Trace
                    }
                    Some(Ctx::Log) if name == b"event" => {
                        summary.outside_traces += 1;
                        Ctx::Other
                    }
                    Some(Ctx::Trace) if name == b"event" => {
                        event = XesEvent {
                            index: trace.events.len(),
                            line: at,
                            ..XesEvent::default()
                        };
                        summary.events += 1;
                        Ctx::Event
                    }
                    Some(Ctx::Trace) => {
                        if let Some((key, value)) = key_value(&e, decoder, path, at)? {
                            if key == "concept:name" {
                                trace.id = Some(value);
                            } else if mapping.account_attribute.as_deref() == Some(key.as_str()) {
                                trace.account = Some(value);
                            }
                        }
                        Ctx::Other
                    }
                    Some(Ctx::Event) => {
                        if let Some((key, value)) = key_value(&e, decoder, path, at)? {
                            match key.as_str() {
                                "concept:name" => event.activity = Some(value),
                                "lifecycle:transition" => event.lifecycle = Some(value),
                                "time:timestamp" => {
                                    event.ts = Some(value);
                                    event.ts_line = at;
                                }
                                "org:resource" => event.resource = Some(value),
                                _ => {}
                            }
                        }
                        Ctx::Other
                    }
                    Some(_) => Ctx::Other,
                };
                if empty {
                    close(
                        ctx,
                        &mut trace,
                        &mut event,
                        &mut summary,
                        mapping,
                        check,
                        emit,
                    )?;
                } else {
                    stack.push((ctx, at));
                }
            }
            XmlEvent::End(_) => {
                if let Some((ctx, _)) = stack.pop() {
                    close(
                        ctx,
                        &mut trace,
                        &mut event,
                        &mut summary,
                        mapping,
                        check,
                        emit,
                    )?;
                }
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    let end = reader.buffer_position();
    let at = reader.get_mut().get_mut().line_at(end);
    if let Some((ctx, opened)) = stack.last() {
        let what = match ctx {
            Ctx::Log => "<log>",
            Ctx::Trace => "<trace>",
            Ctx::Event => "<event>",
            Ctx::Other => "an element",
        };
        return Err(malformed(
            path,
            at,
            format!("unexpected end of file: {what} opened at line {opened} is not closed"),
        ));
    }
    if !saw_root {
        return Err(malformed(
            path,
            at,
            "not an XES log: no <log> element".into(),
        ));
    }
    Ok(summary)
}

/// The `key` and `value` attributes of an XES attribute element, if it has both.
fn key_value(
    e: &BytesStart<'_>,
    decoder: quick_xml::encoding::Decoder,
    path: &Path,
    at: u64,
) -> Result<Option<(String, String)>, ImportError> {
    let mut key = None;
    let mut value = None;
    for a in e.attributes() {
        let a = a.map_err(|err| malformed(path, at, format!("malformed XML attribute: {err}")))?;
        let slot = match a.key.local_name().as_ref() {
            b"key" => &mut key,
            b"value" => &mut value,
            _ => continue,
        };
        let text = a
            .decode_and_unescape_value(decoder)
            .map_err(|err| malformed(path, at, format!("malformed XML attribute value: {err}")))?;
        *slot = Some(text.into_owned());
    }
    Ok(key.zip(value))
}

/// Ends an element: an event joins its trace; a trace is mapped and emitted.
fn close(
    ctx: Ctx,
    trace: &mut Trace,
    event: &mut XesEvent,
    summary: &mut XesSummary,
    mapping: &XesMapping,
    check: Check<'_>,
    emit: &mut Emit<'_>,
) -> Result<(), ImportError> {
    match ctx {
        Ctx::Event => trace.events.push(std::mem::take(event)),
        Ctx::Trace => {
            let t = std::mem::take(trace);
            map_trace(&t, summary, mapping, check, emit)?;
        }
        Ctx::Log | Ctx::Other => {}
    }
    Ok(())
}

/// Maps one whole trace, in document order, tracking the station its unit is at.
fn map_trace(
    trace: &Trace,
    summary: &mut XesSummary,
    mapping: &XesMapping,
    check: Check<'_>,
    emit: &mut Emit<'_>,
) -> Result<(), ImportError> {
    let mut at: Option<usize> = None;
    for ev in &trace.events {
        let transition = ev.lifecycle.as_deref().unwrap_or("complete");
        if !mapping.imports_lifecycle(transition) {
            *summary
                .lifecycle_skipped
                .entry(transition.to_ascii_lowercase())
                .or_default() += 1;
            continue;
        }
        let text = || describe(trace, ev);
        let Some(activity) = ev.activity.as_deref() else {
            summary.emitted += 1;
            emit(
                Err((
                    Some("concept:name".into()),
                    "the event has no activity (concept:name)".into(),
                )),
                ev.line,
                &text,
            )?;
            continue;
        };
        let rule = match mapping.target(activity) {
            Target::Rule(i) => &mapping.rules[i],
            Target::Ignored => {
                *summary.ignored.entry(activity.to_owned()).or_default() += 1;
                continue;
            }
            Target::Unmapped => {
                *summary.unmapped.entry(activity.to_owned()).or_default() += 1;
                continue;
            }
        };
        // The event's own data first: a broken event is rejected, not skipped.
        let trace_id = trace.id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let Some(trace_id) = trace_id else {
            summary.emitted += 1;
            emit(
                Err((
                    Some("concept:name".into()),
                    format!(
                        "the trace opened at line {} has no id (concept:name)",
                        trace.line
                    ),
                )),
                ev.line,
                &text,
            )?;
            continue;
        };
        let account = match &mapping.account_attribute {
            None => Some(trace_id),
            Some(_) => trace
                .account
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
        };
        let Some(account) = account else {
            let name = mapping.account_attribute.clone().unwrap_or_default();
            summary.emitted += 1;
            emit(
                Err((
                    Some(name.clone()),
                    format!(
                        "the trace opened at line {} has no attribute {name:?} for the account",
                        trace.line
                    ),
                )),
                ev.line,
                &text,
            )?;
            continue;
        };
        let ts = match ev.ts.as_deref().map(str::trim) {
            None | Some("") => {
                summary.emitted += 1;
                emit(
                    Err((Some("time:timestamp".into()), "is required".into())),
                    ev.line,
                    &text,
                )?;
                continue;
            }
            Some(ts) => match parse_ts(ts) {
                Ok((t, _)) => (ts, t),
                Err(m) => {
                    summary.emitted += 1;
                    emit(Err((Some("time:timestamp".into()), m)), ev.ts_line, &text)?;
                    continue;
                }
            },
        };
        // Then the unit's place in the line.
        let station = match rule.station {
            StationRef::At(s) => s,
            StationRef::Current => match at {
                Some(s) => s,
                None => {
                    *summary.out_of_place.entry(activity.to_owned()).or_default() += 1;
                    continue;
                }
            },
        };
        let fits = match rule.kind {
            EventKind::Entered => at != Some(station),
            k if k.is_disposition() => at == Some(station),
            _ => true,
        };
        if !fits {
            *summary.out_of_place.entry(activity.to_owned()).or_default() += 1;
            continue;
        }
        let event_id = format!("{trace_id}:{}", ev.index);
        let happened = Happened {
            event_id: &event_id,
            ts_text: ts.0,
            ts: ts.1,
            unit: trace_id,
            account,
            operator: ev.resource.as_deref(),
        };
        let (raw, entry) = match rule.events(station, &mapping.stations, &happened, check.line) {
            Ok(pair) => pair,
            Err(message) => {
                summary.emitted += 1;
                emit(
                    Err((Some("time:timestamp".into()), message)),
                    ev.ts_line,
                    &text,
                )?;
                continue;
            }
        };
        summary.emitted += 1;
        emit(
            crate::validated(Ok(raw), check.line, check.now),
            ev.line,
            &text,
        )?;
        if rule.kind.is_disposition() {
            at = None;
        } else if rule.kind == EventKind::Entered {
            at = Some(station);
        }
        if let (Some(entry), Some(next)) = (entry, rule.enters) {
            summary.emitted += 1;
            emit(
                crate::validated(Ok(entry), check.line, check.now),
                ev.line,
                &text,
            )?;
            at = Some(next);
        }
    }
    Ok(())
}

/// The text of an XES event for a rejects file.
fn describe(trace: &Trace, ev: &XesEvent) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    format!(
        "trace={} event={} concept:name={} lifecycle:transition={} time:timestamp={} org:resource={}",
        opt(&trace.id),
        ev.index,
        opt(&ev.activity),
        opt(&ev.lifecycle),
        opt(&ev.ts),
        opt(&ev.resource)
    )
}

#[cfg(test)]
mod tests;
