//! Reading a tabular export through a source mapping: the file's header tells the
//! object, each row becomes zero or more Yieldline events, handed to the importer's
//! transaction like native rows (same validation, same store path, all or nothing).
//!
//! Event ids are `SOURCE:OBJECT:RECORD:WHAT` — the tool's record id (its columns
//! joined by `|`) and, for a rule, the time column it fires on (`time` for the
//! object's own), for a status history `passed`, `entered`, `failed` or `recycled` —
//! so re-importing an export changes nothing and a longer one adds only what is new.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use yieldline_core::event::{EventKind, RawEvent};
use yieldline_core::values::{TimeRules, parse_timestamp};

use super::rule::{Happened, Rule, StationRef, Target, resume_on};
use super::tabular::{Object, SourceMapping, State};
use crate::csv_events::Check;
use crate::xes::{Emit, listing};
use crate::{ImportError, Parsed};

/// What a source import read, and what it left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSummary {
    /// The source.
    pub source: String,
    /// The export object the header was recognised as.
    pub object: String,
    /// Rows read.
    pub rows: u64,
    /// Yieldline events produced (handed to the store or rejected).
    pub emitted: u64,
    /// Columns of the file the object does not read (ignored).
    pub ignored_columns: Vec<String>,
    /// Rows left out by the object's filter, per column=value.
    pub filtered: BTreeMap<String, u64>,
    /// Rows whose values no rule or state maps, per value.
    pub unmapped: BTreeMap<String, u64>,
    /// Rows of values the mapping ignores on purpose, per value.
    pub ignored: BTreeMap<String, u64>,
    /// Status changes that do not move the unit forward (same station, backwards, a
    /// failure whose station is unknown), per old → new value.
    pub out_of_place: BTreeMap<String, u64>,
    /// Rows with no account: the unit stands for its own account.
    pub account_from_unit: u64,
}

impl SourceSummary {
    /// Human-readable lines for the import's report.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{} {}: {} rows → {} Yieldline events",
            self.source, self.object, self.rows, self.emitted
        )];
        if !self.ignored_columns.is_empty() {
            out.push(format!(
                "ignored {} columns the mapping does not read: {}",
                self.ignored_columns.len(),
                self.ignored_columns.join(", ")
            ));
        }
        for (what, counts) in [
            ("rows left out by the object's filter", &self.filtered),
            ("rows of values no rule or state maps", &self.unmapped),
            ("rows of values the mapping ignores", &self.ignored),
            (
                "status changes that do not move the unit forward (same or earlier station, or a failure at an unknown station)",
                &self.out_of_place,
            ),
        ] {
            let (n, text) = listing(counts);
            if n > 0 {
                out.push(format!("skipped {n} {what}: {text}"));
            }
        }
        if self.account_from_unit > 0 {
            out.push(format!(
                "{} rows name no account: the unit stands for its own account",
                self.account_from_unit
            ));
        }
        out
    }
}

/// Reads a CSV (`,` `;` or tab, told by the header line) or JSON Lines export
/// (told by a first `{`) and hands every mapped event to `emit`.
pub(crate) fn read_events<R: Read>(
    input: R,
    path: &Path,
    mapping: &SourceMapping,
    check: &Check<'_>,
    zone_given: bool,
    emit: &mut Emit<'_>,
) -> Result<SourceSummary, ImportError> {
    let mut input = BufReader::with_capacity(1 << 16, input);
    let io = |source| ImportError::Io {
        file: path.to_owned(),
        source,
    };
    let head = input.fill_buf().map_err(io)?;
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let mut ctx = Ctx {
        path,
        mapping,
        check,
        zone_given,
        time: check.time.clone(),
        summary: SourceSummary {
            source: mapping.name.clone(),
            ..SourceSummary::default()
        },
    };
    if first == Some(b'{') {
        read_jsonl(input, &mut ctx, emit)?;
    } else {
        let end = head.iter().position(|b| *b == b'\n').unwrap_or(head.len());
        let delimiter = [b',', b';', b'\t']
            .into_iter()
            .max_by_key(|d| head[..end].iter().filter(|b| *b == d).count())
            .unwrap_or(b',');
        read_csv(input, delimiter, &mut ctx, emit)?;
    }
    Ok(ctx.summary)
}

struct Ctx<'a> {
    path: &'a Path,
    mapping: &'a SourceMapping,
    check: &'a Check<'a>,
    /// Whether the import's zone was given by the user (it wins over the object's).
    zone_given: bool,
    /// The rules the recognised object's times are read under.
    time: TimeRules,
    summary: SourceSummary,
}

impl<'a> Ctx<'a> {
    /// The object a header names, with the file's missing and ignored columns checked.
    fn object(&mut self, header: &[String]) -> Result<&'a Object, ImportError> {
        let Some(object) = self.mapping.recognise(header) else {
            return Err(ImportError::Header {
                file: self.path.to_owned(),
                message: format!(
                    "the {} source does not know this export: its columns are {}. It knows: {}. \
                     Export one of these objects, or write a mapping file (README: Sources)",
                    self.mapping.name,
                    header.join(", "),
                    self.mapping.known_objects()
                ),
            });
        };
        let has = |c: &str| header.iter().any(|h| h.trim().eq_ignore_ascii_case(c));
        let missing: Vec<&str> = object
            .required
            .iter()
            .map(|&c| object.cols[c].as_str())
            .filter(|c| !has(c))
            .collect();
        if !missing.is_empty() {
            return Err(ImportError::Header {
                file: self.path.to_owned(),
                message: format!(
                    "this {} {} export lacks the column(s) {} that the mapping reads",
                    self.mapping.name,
                    object.name,
                    missing.join(", ")
                ),
            });
        }
        self.summary.object = object.name.clone();
        self.summary.ignored_columns = header
            .iter()
            .filter(|h| !object.cols.iter().any(|c| c.eq_ignore_ascii_case(h.trim())))
            .cloned()
            .collect();
        if self.check.strict && !self.summary.ignored_columns.is_empty() {
            return Err(ImportError::Header {
                file: self.path.to_owned(),
                message: format!(
                    "--strict: this {} {} export has columns the mapping does not read: {}",
                    self.mapping.name,
                    object.name,
                    self.summary.ignored_columns.join(", ")
                ),
            });
        }
        if let Some((zone, name)) = &object.timezone
            && !self.zone_given
        {
            self.time.zone = zone.clone();
            self.time.zone_name = name.clone();
        }
        Ok(object)
    }
}

fn read_csv<R: Read>(
    input: R,
    delimiter: u8,
    ctx: &mut Ctx<'_>,
    emit: &mut Emit<'_>,
) -> Result<(), ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(input);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| ImportError::Header {
            file: ctx.path.to_owned(),
            message: format!("cannot read the CSV header: {e}"),
        })?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let object = ctx.object(&header)?;
    let index: Vec<Option<usize>> = object
        .cols
        .iter()
        .map(|c| header.iter().position(|h| h.trim().eq_ignore_ascii_case(c)))
        .collect();
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                if let csv::ErrorKind::Io(err) = e.kind() {
                    return Err(ImportError::Io {
                        file: ctx.path.to_owned(),
                        source: std::io::Error::new(err.kind(), err.to_string()),
                    });
                }
                let line = e.position().map_or(0, |p| p.line());
                emit(
                    Err((None, format!("unreadable CSV row: {e}"))),
                    line,
                    &String::new,
                )?;
                continue;
            }
        }
        let line_no = rec.position().map_or(0, |p| p.line());
        if rec.len() != header.len() {
            ctx.summary.rows += 1;
            ctx.summary.emitted += 1;
            let text = rec.iter().collect::<Vec<_>>().join(",");
            emit(
                Err((
                    None,
                    format!(
                        "the row has {} fields, the header has {}",
                        rec.len(),
                        header.len()
                    ),
                )),
                line_no,
                &|| text.clone(),
            )?;
            continue;
        }
        let values: Vec<Option<&str>> = index
            .iter()
            .map(|i| {
                i.and_then(|i| rec.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            })
            .collect();
        let rec = &rec;
        map_row(
            ctx,
            object,
            &values,
            line_no,
            &|| rec.iter().collect::<Vec<_>>().join(","),
            emit,
        )?;
    }
    Ok(())
}

/// A JSON value as a cell: strings as they are, numbers and booleans written out,
/// null and empty strings absent.
fn cell(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A key of a JSON object, any case; a dotted name (`person.id`) walks nested objects.
fn lookup<'v>(
    obj: &'v serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'v serde_json::Value> {
    if let Some(v) = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
    {
        return Some(v);
    }
    let (head, rest) = name.split_once('.')?;
    match lookup(obj, head)? {
        serde_json::Value::Object(inner) => lookup(inner, rest),
        _ => None,
    }
}

/// The column names of a JSON object: its keys, and `key.inner` for nested objects.
fn json_header(
    obj: &serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    out: &mut Vec<String>,
) {
    for (k, v) in obj {
        let name = format!("{prefix}{k}");
        if let serde_json::Value::Object(inner) = v {
            json_header(inner, &format!("{name}."), out);
        } else {
            out.push(name);
        }
    }
}

fn read_jsonl<R: BufRead>(
    mut input: R,
    ctx: &mut Ctx<'_>,
    emit: &mut Emit<'_>,
) -> Result<(), ImportError> {
    let mut buf = String::new();
    let mut line_no = 0u64;
    let mut object: Option<&Object> = None;
    loop {
        buf.clear();
        let n = input
            .read_line(&mut buf)
            .map_err(|source| ImportError::Io {
                file: ctx.path.to_owned(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = buf.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        let map: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                ctx.summary.rows += 1;
                ctx.summary.emitted += 1;
                emit(
                    Err((None, format!("not a JSON object: {e}"))),
                    line_no,
                    &|| text.to_owned(),
                )?;
                continue;
            }
        };
        let object = match object {
            Some(o) => o,
            None => {
                let mut header = Vec::new();
                json_header(&map, "", &mut header);
                let o = ctx.object(&header)?;
                object = Some(o);
                o
            }
        };
        let owned: Vec<Option<String>> = object
            .cols
            .iter()
            .map(|c| lookup(&map, c).and_then(cell))
            .collect();
        let values: Vec<Option<&str>> = owned.iter().map(Option::as_deref).collect();
        map_row(ctx, object, &values, line_no, &|| text.to_owned(), emit)?;
    }
    Ok(())
}

/// One event a row stands for, before its ids and fields are filled in.
struct Planned<'r> {
    what: &'r str,
    station: usize,
    kind: EventKind,
    reason: Option<&'r str>,
    resume_days: Option<i64>,
    rule: Option<&'r Rule>,
    time: Option<usize>,
}

/// Maps one row (the object's columns' values) to its events.
fn map_row(
    ctx: &mut Ctx<'_>,
    object: &Object,
    values: &[Option<&str>],
    line_no: u64,
    text: &dyn Fn() -> String,
    emit: &mut Emit<'_>,
) -> Result<(), ImportError> {
    ctx.summary.rows += 1;
    for (c, keep) in &object.filter {
        let value = values[*c].unwrap_or("");
        if !keep.iter().any(|k| k.eq_ignore_ascii_case(value)) {
            *ctx.summary
                .filtered
                .entry(format!("{}={value}", object.cols[*c]))
                .or_default() += 1;
            return Ok(());
        }
    }
    let bad = |ctx: &mut Ctx<'_>, emit: &mut Emit<'_>, col: usize, message: String| {
        ctx.summary.emitted += 1;
        emit(
            Err((Some(object.cols[col].clone()), message)),
            line_no,
            text,
        )
    };
    let mut planned: Vec<Planned<'_>> = Vec::new();
    if let Some(h) = &object.history {
        let Some(new) = values[h.new] else {
            *ctx.summary
                .unmapped
                .entry(format!("{}=(empty)", object.cols[h.new]))
                .or_default() += 1;
            return Ok(());
        };
        let state_of = |v: &str| match h.values.target(v) {
            Target::Rule(i) => Some(Ok(&h.states[i])),
            Target::Ignored => Some(Err(())),
            Target::Unmapped => None,
        };
        let new_state = match state_of(new) {
            Some(Ok(s)) => s,
            Some(Err(())) => {
                *ctx.summary
                    .ignored
                    .entry(format!("{}={new}", object.cols[h.new]))
                    .or_default() += 1;
                return Ok(());
            }
            None => {
                *ctx.summary
                    .unmapped
                    .entry(format!("{}={new}", object.cols[h.new]))
                    .or_default() += 1;
                return Ok(());
            }
        };
        // Where the unit was: the old value's station; without an old-value column,
        // the station before the new one in the line.
        let old_station = match h.old {
            Some(c) => values[c].and_then(state_of).and_then(|s| match s {
                Ok(State::Station(s)) => Some(*s),
                _ => None,
            }),
            None => match new_state {
                State::Station(s) => s.checked_sub(1),
                _ => None,
            },
        };
        let misfit = |ctx: &mut Ctx<'_>| {
            let old = h.old.and_then(|c| values[c]).unwrap_or("");
            *ctx.summary
                .out_of_place
                .entry(format!("{old} → {new}"))
                .or_default() += 1;
        };
        match new_state {
            State::Station(s) => match old_station {
                Some(o) if o >= *s => {
                    misfit(ctx);
                    return Ok(());
                }
                Some(o) => {
                    planned.push(plan("passed", o, EventKind::Passed, object.time));
                    planned.push(plan("entered", *s, EventKind::Entered, object.time));
                }
                None => planned.push(plan("entered", *s, EventKind::Entered, object.time)),
            },
            State::Failed { reason, at } => match old_station.or(*at) {
                Some(o) => planned.push(Planned {
                    reason: Some(reason),
                    ..plan("failed", o, EventKind::Failed, object.time)
                }),
                None => {
                    misfit(ctx);
                    return Ok(());
                }
            },
            State::Recycled { days, at } => match old_station.or(*at) {
                Some(o) => planned.push(Planned {
                    resume_days: Some(*days),
                    ..plan("recycled", o, EventKind::Recycled, object.time)
                }),
                None => {
                    misfit(ctx);
                    return Ok(());
                }
            },
        }
    } else {
        let activity = object.activity.and_then(|c| values[c]).unwrap_or("");
        let outcome = object.outcome.and_then(|c| values[c]).unwrap_or("");
        let mut ignored = false;
        for g in &object.groups {
            let rule = match g.activities.target(activity) {
                Target::Rule(slot) => match g.outcomes[slot].target(outcome) {
                    Target::Rule(r) if object.unless[r].and_then(|c| values[c]).is_none() => {
                        &object.rules[r]
                    }
                    _ => continue,
                },
                Target::Ignored => {
                    ignored = true;
                    continue;
                }
                Target::Unmapped => continue,
            };
            let time = g.time.or(object.time);
            // A rule on its own time column fires only when that column has a value.
            if g.time.is_some() && time.and_then(|c| values[c]).is_none() {
                continue;
            }
            let StationRef::At(station) = rule.station else {
                continue;
            };
            planned.push(Planned {
                what: if g.time.is_some() {
                    g.time_name.as_str()
                } else {
                    "time"
                },
                station,
                kind: rule.kind,
                reason: None,
                resume_days: None,
                rule: Some(rule),
                time,
            });
        }
        if planned.is_empty() {
            let value = match (object.activity, object.outcome) {
                (Some(a), Some(o)) => format!(
                    "{}={activity}, {}={outcome}",
                    object.cols[a], object.cols[o]
                ),
                (Some(a), None) => format!("{}={activity}", object.cols[a]),
                (None, Some(o)) => format!("{}={outcome}", object.cols[o]),
                (None, None) => "(no time value)".to_owned(),
            };
            let counts = if ignored {
                &mut ctx.summary.ignored
            } else {
                &mut ctx.summary.unmapped
            };
            *counts.entry(value).or_default() += 1;
            return Ok(());
        }
    }

    // The row's identity: unit, account, record id.
    let Some(unit) = values[object.unit] else {
        return bad(
            ctx,
            emit,
            object.unit,
            "is required: the unit (contact) id".into(),
        );
    };
    let account = match object.account.and_then(|c| values[c]) {
        Some(a) => a,
        None => {
            ctx.summary.account_from_unit += 1;
            unit
        }
    };
    let mut record = String::new();
    for (i, c) in object.record_id.iter().enumerate() {
        let Some(part) = values[*c] else {
            return bad(
                ctx,
                emit,
                *c,
                "is required: the tool's record id, from which the event id is made".into(),
            );
        };
        if i > 0 {
            record.push('|');
        }
        record.push_str(part);
    }
    let owner = object.owner.and_then(|c| values[c]);
    for p in planned {
        let Some(tcol) = p.time else { continue };
        let Some(ts_cell) = values[tcol] else {
            bad(ctx, emit, tcol, "is required: the time of the event".into())?;
            continue;
        };
        let (ts, offset) = match parse_timestamp(ts_cell, &ctx.time) {
            Ok(t) => t,
            Err(m) => {
                bad(ctx, emit, tcol, m)?;
                continue;
            }
        };
        let ts_text = match jiff::tz::Offset::from_seconds(offset) {
            Ok(o) => ts.display_with_offset(o).to_string(),
            Err(_) => ts.to_string(),
        };
        let event_id = format!("{}:{}:{record}:{}", ctx.mapping.name, object.name, p.what);
        let happened = Happened {
            event_id: &event_id,
            ts_text: &ts_text,
            ts,
            unit,
            account,
            operator: owner,
        };
        let events = match p.rule {
            Some(rule) => rule.events(p.station, &ctx.mapping.stations, &happened, ctx.check.line),
            None => p
                .resume_days
                .map(|d| resume_on(ctx.check.line, ts, d))
                .transpose()
                .map(|resume| {
                    (
                        RawEvent {
                            event_id: Some(event_id.as_str().into()),
                            ts: Some(ts_text.as_str().into()),
                            unit_id: Some(unit.into()),
                            account_id: Some(account.into()),
                            station: Some(ctx.mapping.stations[p.station].as_str().into()),
                            kind: Some(p.kind.as_str().into()),
                            reason: p.reason.map(Into::into),
                            resume_on: resume.map(Into::into),
                            operator_id: owner.map(Into::into),
                            ..RawEvent::default()
                        },
                        None,
                    )
                }),
        };
        match events {
            Ok((first, second)) => {
                for raw in std::iter::once(first).chain(second) {
                    ctx.summary.emitted += 1;
                    let parsed: Parsed = crate::validated(Ok(raw), ctx.check.line, ctx.check.now);
                    emit(parsed, line_no, text)?;
                }
            }
            Err(m) => bad(ctx, emit, tcol, m)?,
        }
    }
    Ok(())
}

fn plan(
    what: &'static str,
    station: usize,
    kind: EventKind,
    time: Option<usize>,
) -> Planned<'static> {
    Planned {
        what,
        station,
        kind,
        reason: None,
        resume_days: None,
        rule: None,
        time,
    }
}
