//! Events: one record per fact in the activity log (DESIGN §3.2), and the pure
//! validation that turns a raw record of text fields into a typed [`Event`].

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::identity::canonical_id;
use crate::line::{Line, RESUME_DAYS_AFTER_LATEST};
use crate::values::{TimeRules, parse_day, parse_timestamp};

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum EventKind {
    /// The unit entered a station's queue.
    Entered = 0,
    /// One outreach action on the unit (effort, not outcome).
    Touch = 1,
    /// The unit left the station successfully.
    Passed = 2,
    /// The unit left the station unsuccessfully (with a reason).
    Failed = 3,
    /// "Not now": the unit left with a date to resume on.
    Recycled = 4,
    /// The person asked never to be contacted again (records suppression only).
    Optout = 5,
}

impl EventKind {
    /// All kinds, in code order.
    pub const ALL: [EventKind; 6] = [
        Self::Entered,
        Self::Touch,
        Self::Passed,
        Self::Failed,
        Self::Recycled,
        Self::Optout,
    ];

    /// The kind's name as written in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Entered => "entered",
            Self::Touch => "touch",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Recycled => "recycled",
            Self::Optout => "optout",
        }
    }

    /// Parses a kind's name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind from its stored code.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }

    /// Whether the kind ends a visit at a station.
    pub fn is_disposition(self) -> bool {
        matches!(self, Self::Passed | Self::Failed | Self::Recycled)
    }
}

/// The channel of a touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// E-mail.
    Email,
    /// A call.
    Phone,
    /// A social network message.
    Social,
    /// Anything else.
    Other,
}

impl Channel {
    /// Parses a channel's name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "email" => Self::Email,
            "phone" => Self::Phone,
            "social" => Self::Social,
            "other" => Self::Other,
            _ => return None,
        })
    }

    /// The channel's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Social => "social",
            Self::Other => "other",
        }
    }
}

/// Who did the work recorded by an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OperatorKind {
    /// A person.
    Human,
    /// Automation.
    Automation,
}

impl OperatorKind {
    /// Parses an operator kind.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "human" => Some(Self::Human),
            "automation" => Some(Self::Automation),
            _ => None,
        }
    }

    /// The operator kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Human => "human",
            Self::Automation => "automation",
        }
    }
}

/// Failure reasons that burn a unit: it must never be worked again.
pub const BURN_REASONS: [&str; 3] = ["optout", "bounced", "negative"];

/// Whether a `failed` reason burns the unit.
pub fn is_burn_reason(reason: &str) -> bool {
    BURN_REASONS.contains(&reason)
}

/// A validated event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Unique id; re-importing a seen id is a no-op.
    pub event_id: String,
    /// When it happened.
    pub ts: Timestamp,
    /// The UTC offset the timestamp was written with, in seconds.
    pub offset_seconds: i32,
    /// The contact (or account) the event is about.
    pub unit_id: String,
    /// The unit's account.
    pub account_id: String,
    /// The station, an id from the line.
    pub station: String,
    /// What happened.
    pub kind: EventKind,
    /// Why a unit failed (required for `failed`).
    pub reason: Option<String>,
    /// When a recycled unit resumes (required for `recycled`).
    pub resume_on: Option<Date>,
    /// A new unit created by this outcome.
    pub referral_unit_id: Option<String>,
    /// The channel of a touch (required for `touch`).
    pub channel: Option<Channel>,
    /// The rep or automation that did the work.
    pub operator_id: Option<String>,
    /// Whether a person or automation did the work.
    pub operator_kind: Option<OperatorKind>,
    /// The experiment arm the unit was in.
    pub arm: Option<String>,
    /// Effort spent, in minutes.
    pub cost_minutes: Option<f64>,
}

/// The columns of a territory file (contacts), in the order Yieldline writes them:
/// `contact_id` and `account_id` required, the rest optional.
pub const TERRITORY_FIELDS: [&str; 7] = [
    "contact_id",
    "account_id",
    "fit_tier",
    "first_name",
    "last_name",
    "email",
    "title",
];

/// The fields of an event in the order of the CSV header Yieldline writes.
pub const EVENT_FIELDS: [&str; 14] = [
    "event_id",
    "ts",
    "unit_id",
    "account_id",
    "station",
    "kind",
    "reason",
    "resume_on",
    "referral_unit_id",
    "channel",
    "operator_id",
    "operator_kind",
    "arm",
    "cost_minutes",
];

/// One event as text fields, before validation (a CSV row or a JSON object).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent<'a> {
    /// See [`Event::event_id`].
    #[serde(borrow, default)]
    pub event_id: Option<Cow<'a, str>>,
    /// RFC 3339 timestamp with offset.
    #[serde(borrow, default)]
    pub ts: Option<Cow<'a, str>>,
    /// See [`Event::unit_id`].
    #[serde(borrow, default)]
    pub unit_id: Option<Cow<'a, str>>,
    /// See [`Event::account_id`].
    #[serde(borrow, default)]
    pub account_id: Option<Cow<'a, str>>,
    /// See [`Event::station`].
    #[serde(borrow, default)]
    pub station: Option<Cow<'a, str>>,
    /// See [`Event::kind`].
    #[serde(borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// See [`Event::reason`].
    #[serde(borrow, default)]
    pub reason: Option<Cow<'a, str>>,
    /// See [`Event::resume_on`]: `YYYY-MM-DD`.
    #[serde(borrow, default)]
    pub resume_on: Option<Cow<'a, str>>,
    /// See [`Event::referral_unit_id`].
    #[serde(borrow, default)]
    pub referral_unit_id: Option<Cow<'a, str>>,
    /// See [`Event::channel`].
    #[serde(borrow, default)]
    pub channel: Option<Cow<'a, str>>,
    /// See [`Event::operator_id`].
    #[serde(borrow, default)]
    pub operator_id: Option<Cow<'a, str>>,
    /// See [`Event::operator_kind`].
    #[serde(borrow, default)]
    pub operator_kind: Option<Cow<'a, str>>,
    /// See [`Event::arm`].
    #[serde(borrow, default)]
    pub arm: Option<Cow<'a, str>>,
    /// See [`Event::cost_minutes`]: a number.
    #[serde(default, deserialize_with = "de_number_or_string")]
    pub cost_minutes: Option<Cow<'a, str>>,
}

fn de_number_or_string<'de, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        Num(f64),
        Str(String),
    }
    Ok(match Option::<NumOrStr>::deserialize(d)? {
        None => None,
        Some(NumOrStr::Num(n)) => Some(Cow::Owned(n.to_string())),
        Some(NumOrStr::Str(s)) => Some(Cow::Owned(s)),
    })
}

/// Why a field of a raw event is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct FieldError {
    /// The field's name.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl fmt::Display) -> Self {
        Self {
            field,
            message: message.to_string(),
        }
    }
}

fn present<'v>(v: &'v Option<Cow<'_, str>>) -> Option<&'v str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn required<'v>(v: &'v Option<Cow<'_, str>>, field: &'static str) -> Result<&'v str, FieldError> {
    present(v).ok_or_else(|| FieldError::new(field, "is required"))
}

/// Parses an RFC 3339 timestamp that carries an explicit offset.
pub fn parse_ts(s: &str) -> Result<(Timestamp, i32), String> {
    let ts: Timestamp = s
        .parse()
        .map_err(|e| format!("{s:?} is not an RFC 3339 timestamp with offset ({e})"))?;
    // jiff's Timestamp parser accepts `Z` and numeric offsets; recover the offset written.
    let offset_seconds = offset_of(s).unwrap_or(0);
    Ok((ts, offset_seconds))
}

fn offset_of(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.last().is_some_and(|c| c.eq_ignore_ascii_case(&b'z')) {
        return Some(0);
    }
    if b.len() < 6 {
        return None;
    }
    let tail = &s[s.len() - 6..];
    let sign = match tail.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h: i32 = tail[1..3].parse().ok()?;
    let m: i32 = tail[4..6].parse().ok()?;
    Some(sign * (h * 3600 + m * 60))
}

/// Parses a calendar date `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|e| format!("{s:?} is not a date YYYY-MM-DD ({e})"))
}

/// A required id field in its canonical form ([`canonical_id`]): invisible characters
/// removed, trimmed, NFC.
fn required_id(v: &Option<Cow<'_, str>>, field: &'static str) -> Result<String, FieldError> {
    let id = canonical_id(required(v, field)?);
    if id.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    Ok(id.into_owned())
}

impl<'a> RawEvent<'a> {
    /// The raw event of a row whose fields are in [`EVENT_FIELDS`] order; empty
    /// fields, and fields past the row's end, are absent.
    pub fn from_row(fields: &[&'a str]) -> RawEvent<'a> {
        Self::from_fields(std::array::from_fn(|i| {
            fields
                .get(i)
                .filter(|s| !s.is_empty())
                .map(|s| Cow::Borrowed(*s))
        }))
    }

    /// The raw event of its fields in [`EVENT_FIELDS`] order.
    pub fn from_fields(fields: [Option<Cow<'a, str>>; EVENT_FIELDS.len()]) -> RawEvent<'a> {
        // Fields in declaration order, which is EVENT_FIELDS order.
        let mut f = fields.into_iter().map(|v| v.filter(|s| !s.is_empty()));
        let mut next = || f.next().flatten();
        RawEvent {
            event_id: next(),
            ts: next(),
            unit_id: next(),
            account_id: next(),
            station: next(),
            kind: next(),
            reason: next(),
            resume_on: next(),
            referral_unit_id: next(),
            channel: next(),
            operator_id: next(),
            operator_kind: next(),
            arm: next(),
            cost_minutes: next(),
        }
    }
}

impl RawEvent<'_> {
    /// Validates every field against the line and returns the typed event, or the
    /// first invalid field (fields are checked in header order).
    ///
    /// `now` is the instant of the import: `ts` must lie in the line's plausible window
    /// (`[import]`: from `earliest`, default 2000-01-01, to `latest_days_ahead` days after
    /// `now`, default 365), and `resume_on` from `earliest` to
    /// [`RESUME_DAYS_AFTER_LATEST`] days after that window's end. Unit, account and
    /// referral ids are stored in their canonical form
    /// ([`crate::identity::canonical_id`]).
    ///
    /// Timestamps and dates are read under the line's default [`TimeRules`] (its zone
    /// for offset-less values, ISO dates only); see [`RawEvent::validate_with`].
    pub fn validate(&self, line: &Line, now: Timestamp) -> Result<Event, FieldError> {
        self.validate_with(line, now, &TimeRules::of_line(line))
    }

    /// [`RawEvent::validate`] with the source's time rules (`--source-timezone`,
    /// `--date-format`): `ts` is read by [`parse_timestamp`], `resume_on` by
    /// [`parse_day`].
    pub fn validate_with(
        &self,
        line: &Line,
        now: Timestamp,
        time: &TimeRules,
    ) -> Result<Event, FieldError> {
        let event_id = required(&self.event_id, "event_id")?.to_owned();
        let ts_text = required(&self.ts, "ts")?;
        let (ts, offset_seconds) =
            parse_timestamp(ts_text, time).map_err(|m| FieldError::new("ts", m))?;
        let rules = &line.import;
        let latest = rules.latest(now);
        if ts < rules.earliest_instant || ts > latest {
            return Err(FieldError::new(
                "ts",
                format!(
                    "{ts_text:?} is outside the plausible range {} to {} (from [import] earliest to latest_days_ahead = {} days after this import, in line.toml): a typo in the year?",
                    rules.earliest,
                    latest.to_zoned(line.timezone.clone()).date(),
                    rules.latest_days_ahead
                ),
            ));
        }
        let unit_id = required_id(&self.unit_id, "unit_id")?;
        let account_id = required_id(&self.account_id, "account_id")?;
        let station = required(&self.station, "station")?;
        if line.station_index(station).is_none() {
            let known: Vec<_> = line.stations.iter().map(|s| s.id.as_str()).collect();
            return Err(FieldError::new(
                "station",
                format!(
                    "unknown station {station:?} (the line has: {})",
                    known.join(", ")
                ),
            ));
        }
        let kind_text = required(&self.kind, "kind")?;
        let kind = EventKind::parse(kind_text).ok_or_else(|| {
            FieldError::new(
                "kind",
                format!("unknown kind {kind_text:?}: expected entered, touch, passed, failed, recycled or optout"),
            )
        })?;
        let reason = present(&self.reason).map(str::to_owned);
        if kind == EventKind::Failed && reason.is_none() {
            return Err(FieldError::new(
                "reason",
                "is required for a `failed` event",
            ));
        }
        let resume_on = match present(&self.resume_on) {
            Some(d) => {
                let date =
                    parse_day(d, time.date_format).map_err(|m| FieldError::new("resume_on", m))?;
                let last = rules.latest_resume(now);
                if date < rules.earliest || date > last {
                    return Err(FieldError::new(
                        "resume_on",
                        format!(
                            "{d:?} is outside the plausible range {} to {last} (from [import] earliest to {RESUME_DAYS_AFTER_LATEST} days after the latest plausible event)",
                            rules.earliest
                        ),
                    ));
                }
                Some(date)
            }
            None if kind == EventKind::Recycled => {
                return Err(FieldError::new(
                    "resume_on",
                    "is required for a `recycled` event",
                ));
            }
            None => None,
        };
        let referral_unit_id = present(&self.referral_unit_id)
            .map(|r| canonical_id(r).into_owned())
            .filter(|r| !r.is_empty());
        let channel = match present(&self.channel) {
            Some(c) => Some(Channel::parse(c).ok_or_else(|| {
                FieldError::new(
                    "channel",
                    format!("unknown channel {c:?}: expected email, phone, social or other"),
                )
            })?),
            None => None,
        };
        let operator_id = present(&self.operator_id).map(str::to_owned);
        let operator_kind = match present(&self.operator_kind) {
            Some(o) => Some(OperatorKind::parse(o).ok_or_else(|| {
                FieldError::new(
                    "operator_kind",
                    format!("unknown operator kind {o:?}: expected human or automation"),
                )
            })?),
            None => None,
        };
        let arm = present(&self.arm).map(str::to_owned);
        let cost_minutes = match present(&self.cost_minutes) {
            Some(c) => {
                let v: f64 = c.parse().map_err(|_| {
                    FieldError::new("cost_minutes", format!("{c:?} is not a number"))
                })?;
                if !(v.is_finite() && v >= 0.0) {
                    return Err(FieldError::new(
                        "cost_minutes",
                        format!("must be a non-negative number, got {c}"),
                    ));
                }
                Some(v)
            }
            None => None,
        };
        Ok(Event {
            event_id,
            ts,
            offset_seconds,
            unit_id,
            account_id,
            station: station.to_owned(),
            kind,
            reason,
            resume_on,
            referral_unit_id,
            channel,
            operator_id,
            operator_kind,
            arm,
            cost_minutes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> Line {
        Line::from_toml("line.toml", crate::line::TEMPLATE).expect("template")
    }

    /// The import instant of these tests.
    fn now() -> Timestamp {
        "2025-06-01T12:00:00Z".parse().expect("ts")
    }

    fn raw(kind: &str) -> RawEvent<'static> {
        RawEvent {
            event_id: Some("e1".into()),
            ts: Some("2025-03-04T09:30:00-05:00".into()),
            unit_id: Some("c1".into()),
            account_id: Some("a1".into()),
            station: Some("reply".into()),
            kind: Some(kind.to_owned().into()),
            ..RawEvent::default()
        }
    }

    #[test]
    fn a_valid_event_keeps_its_offset() {
        let e = raw("passed").validate(&line(), now()).expect("valid");
        assert_eq!(e.offset_seconds, -5 * 3600);
        assert_eq!(e.ts.as_second(), 1_741_098_600);
        assert_eq!(e.kind, EventKind::Passed);
    }

    #[test]
    fn each_rule_names_its_field() {
        let l = line();
        let check = |r: RawEvent, field: &str| {
            let err = r.validate(&l, now()).expect_err("invalid");
            assert_eq!(err.field, field, "{err}");
        };
        check(
            RawEvent {
                ts: Some("2025-03-04 09h30".into()),
                ..raw("passed")
            },
            "ts",
        );
        check(
            RawEvent {
                ts: Some("04/03/2025 09:30".into()),
                ..raw("passed")
            },
            "ts",
        );
        check(
            RawEvent {
                station: Some("nope".into()),
                ..raw("passed")
            },
            "station",
        );
        check(raw("won"), "kind");
        check(raw("failed"), "reason");
        check(raw("recycled"), "resume_on");
        check(
            RawEvent {
                resume_on: Some("next week".into()),
                ..raw("recycled")
            },
            "resume_on",
        );
        check(
            RawEvent {
                channel: Some("fax".into()),
                ..raw("touch")
            },
            "channel",
        );
        check(
            RawEvent {
                cost_minutes: Some("-1".into()),
                ..raw("touch")
            },
            "cost_minutes",
        );
        check(
            RawEvent {
                event_id: Some("  ".into()),
                ..raw("touch")
            },
            "event_id",
        );
    }

    #[test]
    fn offset_less_times_take_the_source_zone() {
        let l = line();
        let local = RawEvent {
            ts: Some("2025-03-04T09:30:00".into()),
            resume_on: Some("04/05/2025".into()),
            ..raw("recycled")
        };
        // By default: the line's zone (the template's America/New_York), ISO dates only.
        let err = local.validate(&l, now()).expect_err("slashed resume_on");
        assert_eq!(err.field, "resume_on", "{err}");
        assert!(err.message.contains("--date-format"), "{err}");
        let e = RawEvent {
            resume_on: Some("2025-05-04".into()),
            ..local.clone()
        }
        .validate(&l, now())
        .expect("line zone");
        assert_eq!(
            (e.ts.as_second(), e.offset_seconds),
            (1_741_098_600, -18_000)
        );
        // With the source's rules: its zone and its day order.
        let berlin =
            TimeRules::in_zone("Europe/Berlin", crate::values::DateFormat::Dmy).expect("zone");
        let e = local
            .validate_with(&l, now(), &berlin)
            .expect("source zone");
        assert_eq!((e.ts.as_second(), e.offset_seconds), (1_741_077_000, 3_600));
        assert_eq!(e.resume_on, Some(Date::constant(2025, 5, 4)));
    }

    #[test]
    fn implausible_instants_and_resume_dates_are_bad_rows() {
        let l = line();
        let at = |ts: &str| RawEvent {
            ts: Some(ts.to_owned().into()),
            ..raw("passed")
        };
        for bad in [
            "2205-03-04T09:30:00-05:00",
            "9999-03-04T09:30:00Z",
            "0000-03-04T09:30:00Z",
            "1999-12-31T23:59:59Z",
            "2026-06-02T12:00:01Z",
        ] {
            let err = at(bad).validate(&l, now()).expect_err(bad);
            assert_eq!(err.field, "ts");
            assert!(
                err.message.contains(bad)
                    && err.message.contains("2000-01-01 to 2026-06-01")
                    && err.message.contains("latest_days_ahead = 365"),
                "{err}"
            );
        }
        // The window's edges are in it (2000-01-01 starts at midnight in the line's zone).
        at("2000-01-01T00:00:00-05:00")
            .validate(&l, now())
            .expect("earliest");
        at("2026-06-01T12:00:00Z")
            .validate(&l, now())
            .expect("latest");
        // The window follows [import] in line.toml.
        let narrow = Line::from_toml(
            "line.toml",
            &format!(
                "{}\n[import]\nearliest = '2025-01-01'\nlatest_days_ahead = 0\n",
                crate::line::TEMPLATE.replace(
                    "[import]\nearliest = \"2000-01-01\"\nlatest_days_ahead = 365",
                    ""
                )
            ),
        )
        .expect("line");
        assert!(at("2024-12-31T12:00:00Z").validate(&narrow, now()).is_err());
        assert!(at("2025-06-01T12:00:01Z").validate(&narrow, now()).is_err());
        at("2025-06-01T12:00:00Z")
            .validate(&narrow, now())
            .expect("now is plausible");

        let resume = |d: &str| RawEvent {
            resume_on: Some(d.to_owned().into()),
            ..raw("recycled")
        };
        for bad in ["9999-12-31", "1970-01-01", "2205-01-01"] {
            let err = resume(bad).validate(&l, now()).expect_err(bad);
            assert_eq!(err.field, "resume_on", "{err}");
            assert!(err.message.contains(bad), "{err}");
        }
        resume("2030-01-01").validate(&l, now()).expect("plausible");
    }

    #[test]
    fn ids_are_stored_canonical() {
        let e = RawEvent {
            unit_id: Some(" C1\u{200B}".into()),
            account_id: Some("\u{FEFF}A1 ".into()),
            referral_unit_id: Some("e\u{0301}".into()),
            ..raw("passed")
        }
        .validate(&line(), now())
        .expect("valid");
        assert_eq!(
            (e.unit_id.as_str(), e.account_id.as_str()),
            ("C1", "A1"),
            "letter case is kept"
        );
        assert_eq!(e.referral_unit_id.as_deref(), Some("\u{00E9}"));
        let err = RawEvent {
            unit_id: Some("\u{200B}".into()),
            ..raw("passed")
        }
        .validate(&line(), now())
        .expect_err("empty");
        assert_eq!(err.field, "unit_id");
    }

    #[test]
    fn rows_map_onto_fields_in_header_order() {
        let cells: Vec<String> = EVENT_FIELDS.iter().map(|f| format!("<{f}>")).collect();
        let mut row: Vec<&str> = cells.iter().map(String::as_str).collect();
        row[6] = "";
        let r = RawEvent::from_row(&row);
        assert_eq!(r.event_id.as_deref(), Some("<event_id>"));
        assert_eq!(r.station.as_deref(), Some("<station>"));
        assert_eq!(r.reason, None, "an empty cell is absent");
        assert_eq!(r.resume_on.as_deref(), Some("<resume_on>"));
        assert_eq!(r.cost_minutes.as_deref(), Some("<cost_minutes>"));
        assert_eq!(RawEvent::from_row(&row[..2]).unit_id, None);
    }

    #[test]
    fn kinds_round_trip_through_codes() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_code(k as u8), Some(k));
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::from_code(6), None);
    }
}
