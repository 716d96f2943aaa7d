//! The line definition (`line.toml`): stations, operators, capacities, targets and
//! guardrails, parsed and validated with every problem reported at its line.

use std::fmt;
use std::ops::Range;

use jiff::Timestamp;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::identity::PlusTags;
use crate::report::NO_STATION;

/// Most stations a line may have. Station indexes are stored in 16 bits
/// ([`crate::report::Fact::station`]), so the limit keeps every index far from
/// [`NO_STATION`]; no real line comes close.
pub const MAX_STATIONS: usize = 1_000;
const _: () = assert!(MAX_STATIONS < NO_STATION as usize);

/// Largest `target_per_day` and `capacity_per_day` (units per working day).
pub const MAX_PER_DAY: f64 = 1_000_000.0;
/// Largest `cost_minutes` of a station: one week of minutes per disposition.
pub const MAX_COST_MINUTES: f64 = 10_080.0;
/// Range of `guardrails.max_touches_per_contact_30d`.
pub const TOUCHES_30D_RANGE: std::ops::RangeInclusive<i64> = 1..=1_000;
/// Range of `guardrails.max_active_contacts_per_account`.
pub const ACTIVE_CONTACTS_RANGE: std::ops::RangeInclusive<i64> = 1..=10_000;
/// Range of `guardrails.cooldown_days_after_fail`: up to ten years.
pub const COOLDOWN_DAYS_RANGE: std::ops::RangeInclusive<i64> = 0..=3_650;
/// Range of `import.earliest`.
pub const EARLIEST_RANGE: std::ops::RangeInclusive<Date> =
    Date::constant(1900, 1, 1)..=Date::constant(2100, 12, 31);
/// Range of `import.latest_days_ahead`: up to ten years.
pub const LATEST_DAYS_AHEAD_RANGE: std::ops::RangeInclusive<i64> = 0..=3_650;
/// Default `import.earliest`: no prospecting log predates 2000.
pub const DEFAULT_EARLIEST: Date = Date::constant(2000, 1, 1);
/// Default `import.latest_days_ahead`: one year after the import.
pub const DEFAULT_LATEST_DAYS_AHEAD: u32 = 365;
/// How far a recycled unit's `resume_on` may lie after the latest plausible instant.
pub const RESUME_DAYS_AFTER_LATEST: i64 = 3_650;

/// What moves through the line: a contact (default) or a whole account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// A person at a company.
    Contact,
    /// A company.
    Account,
}

/// Who does a station's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operator {
    /// People (reps, researchers).
    Human,
    /// A sequencer, an enrichment service, a dialer.
    Automation,
    /// People with automation assisting.
    Hybrid,
}

impl Operator {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "human" => Some(Self::Human),
            "automation" => Some(Self::Automation),
            "hybrid" => Some(Self::Hybrid),
            _ => None,
        }
    }
}

/// What a station stands for in the line, where the watch needs to know
/// (`role = "booked"` in `line.toml`). A line without roles is read by position: its last
/// three stations are booked, held and qualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A meeting is booked.
    Booked,
    /// The meeting took place.
    Held,
    /// The meeting qualified the opportunity.
    Qualified,
}

impl Role {
    /// Every role, in line order.
    pub const ALL: [Role; 3] = [Role::Booked, Role::Held, Role::Qualified];

    /// The role's name in `line.toml`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Booked => "booked",
            Role::Held => "held",
            Role::Qualified => "qualified",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// One step of the line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Station {
    /// Stable id, `[a-z0-9-]+`.
    pub id: String,
    /// Who does the work.
    pub operator: Operator,
    /// Dispositions the station can make per working day.
    pub capacity_per_day: f64,
    /// The yield the station is expected to reach, if set.
    pub target_yield: Option<f64>,
    /// Effort per disposition, in minutes, for cost figures.
    pub cost_minutes: f64,
    /// What the station stands for, if declared.
    pub role: Option<Role>,
}

/// Limits that protect buyers and the territory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guardrails {
    /// Touches one contact may receive in any 30 days.
    pub max_touches_per_contact_30d: u32,
    /// Contacts of one account that may be in the line at once.
    pub max_active_contacts_per_account: u32,
    /// Days a unit rests after a failed disposition before it may be worked again.
    pub cooldown_days_after_fail: u32,
    /// Largest acceptable opt-out share of touches (0.003 = the bulk-sender limit).
    pub max_optout_rate: f64,
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            max_touches_per_contact_30d: 6,
            max_active_contacts_per_account: 3,
            cooldown_days_after_fail: 90,
            max_optout_rate: 0.003,
        }
    }
}

/// A validated line definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The line's name.
    pub name: String,
    /// What moves through the line.
    pub unit: UnitKind,
    /// IANA name of the zone in which days are cut.
    pub timezone_name: String,
    /// The zone in which days are cut.
    pub timezone: TimeZone,
    /// Working weekdays, Monday first.
    pub working_days: Vec<Weekday>,
    /// Final-station passes wanted per working day.
    pub target_per_day: f64,
    /// Stations in line order.
    pub stations: Vec<Station>,
    /// Guardrails (defaults where absent).
    pub guardrails: Guardrails,
    /// How identities match (`[identity]`).
    pub identity: IdentityRules,
    /// The plausible time window of imported events (`[import]`).
    pub import: ImportRules,
}

/// How identities match (`[identity]` in `line.toml`; see [`crate::identity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct IdentityRules {
    /// How `+tag` sub-addresses match in suppression (default: match the untagged form).
    pub plus_tags: PlusTags,
}

/// The window of plausible event instants (`[import]` in `line.toml`): an event outside
/// it is a bad row, so one typo in a year cannot stretch every default period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportRules {
    /// The first plausible day (default 2000-01-01), in the line's zone.
    pub earliest: Date,
    /// The instant `earliest` starts in the line's zone.
    pub earliest_instant: Timestamp,
    /// Days after the import's instant still plausible (default 365): scheduled events
    /// may be exported ahead, a century ahead is a typo.
    pub latest_days_ahead: u32,
}

impl Default for ImportRules {
    fn default() -> Self {
        Self {
            earliest: DEFAULT_EARLIEST,
            earliest_instant: DEFAULT_EARLIEST
                .to_zoned(TimeZone::UTC)
                .map_or(Timestamp::UNIX_EPOCH, |z| z.timestamp()),
            latest_days_ahead: DEFAULT_LATEST_DAYS_AHEAD,
        }
    }
}

impl ImportRules {
    /// The latest plausible instant for an import made at `now`.
    pub fn latest(&self, now: Timestamp) -> Timestamp {
        now.checked_add(jiff::SignedDuration::from_hours(
            24 * i64::from(self.latest_days_ahead),
        ))
        .unwrap_or(Timestamp::MAX)
    }

    /// The latest plausible `resume_on` for an import made at `now`: the latest
    /// plausible instant's (UTC) date plus [`RESUME_DAYS_AFTER_LATEST`].
    pub fn latest_resume(&self, now: Timestamp) -> Date {
        let last = self.latest(now).to_zoned(TimeZone::UTC).date();
        last.checked_add(jiff::Span::new().days(RESUME_DAYS_AFTER_LATEST))
            .unwrap_or(Date::MAX)
    }
}

impl Line {
    /// Index of the station with this id.
    pub fn station_index(&self, id: &str) -> Option<usize> {
        self.stations.iter().position(|s| s.id == id)
    }

    /// The station holding `role`: the one that declares it, or — on a line where no
    /// station declares a role — by position (booked, held, qualified are the last
    /// three stations, when the line has at least three).
    pub fn station_with_role(&self, role: Role) -> Option<usize> {
        if self.stations.iter().any(|s| s.role.is_some()) {
            return self.stations.iter().position(|s| s.role == Some(role));
        }
        let n = self.stations.len();
        (n >= 3).then(|| match role {
            Role::Booked => n - 3,
            Role::Held => n - 2,
            Role::Qualified => n - 1,
        })
    }

    /// Whether this weekday is a working day of the line.
    pub fn is_working_day(&self, day: Weekday) -> bool {
        self.working_days.contains(&day)
    }

    /// Parses and validates `line.toml` text. `file` is used in error messages only.
    pub fn from_toml(file: &str, text: &str) -> Result<Line, LineError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            LineError {
                file: file.to_owned(),
                what: "line definition",
                problems: vec![Problem {
                    line,
                    key: String::new(),
                    message: e.message().trim().to_owned(),
                }],
            }
        })?;
        let mut v = Validator {
            text,
            problems: Vec::new(),
        };
        let line = v.validate(raw);
        match line {
            Some(line) if v.problems.is_empty() => Ok(line),
            _ => Err(LineError {
                file: file.to_owned(),
                what: "line definition",
                problems: v.problems,
            }),
        }
    }
}

/// One problem found in a line definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// 1-based line in the file, when known.
    pub line: Option<usize>,
    /// The offending key, e.g. `station[2].capacity_per_day`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in a configuration file (`line.toml`, an XES mapping, …).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ConfigError {
    /// The file the text came from.
    pub file: String,
    /// What the file is, for the message (e.g. "line definition").
    pub what: &'static str,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
}

/// Every problem found in a line definition.
pub type LineError = ConfigError;

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{}: {n} problem{} in the {}",
            self.file,
            if n == 1 { "" } else { "s" },
            self.what
        )?;
        for p in &self.problems {
            write!(f, "\n  {}", self.file)?;
            if let Some(l) = p.line {
                write!(f, ":{l}")?;
            }
            if p.key.is_empty() {
                write!(f, ": {}", p.message)?;
            } else {
                write!(f, ": {}: {}", p.key, p.message)?;
            }
        }
        Ok(())
    }
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A number in a TOML configuration file: an integer or a float.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum Num {
    /// Written as an integer.
    Int(i64),
    /// Written as a float.
    Float(f64),
}

impl Num {
    /// The value as a float.
    pub fn get(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    line: RawLine,
    #[serde(default)]
    station: Vec<Spanned<RawStation>>,
    guardrails: Option<RawGuardrails>,
    identity: Option<RawIdentity>,
    import: Option<RawImport>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    plus_tags: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    earliest: Option<Spanned<String>>,
    latest_days_ahead: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    name: Spanned<String>,
    unit: Option<Spanned<String>>,
    timezone: Spanned<String>,
    working_days: Option<Vec<Spanned<String>>>,
    target_per_day: Spanned<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStation {
    id: Spanned<String>,
    operator: Spanned<String>,
    capacity_per_day: Spanned<Num>,
    target_yield: Option<Spanned<Num>>,
    cost_minutes: Option<Spanned<Num>>,
    role: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardrails {
    max_touches_per_contact_30d: Option<Spanned<i64>>,
    max_active_contacts_per_account: Option<Spanned<i64>>,
    cooldown_days_after_fail: Option<Spanned<i64>>,
    max_optout_rate: Option<Spanned<Num>>,
}

struct Validator<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn problem(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            line: Some(line_of(self.text, span.start)),
            key: key.into(),
            message: message.into(),
        });
    }

    fn validate(&mut self, raw: RawFile) -> Option<Line> {
        let l = raw.line;
        let name = l.name.get_ref().trim().to_owned();
        if name.is_empty() {
            self.problem(l.name.span(), "line.name", "must not be empty");
        }
        let unit = match l.unit.as_ref().map(|u| (u.get_ref().as_str(), u.span())) {
            None | Some(("contact", _)) => UnitKind::Contact,
            Some(("account", _)) => UnitKind::Account,
            Some((other, span)) => {
                self.problem(
                    span,
                    "line.unit",
                    format!("unknown unit {other:?}: expected \"contact\" or \"account\""),
                );
                UnitKind::Contact
            }
        };
        let tz_name = l.timezone.get_ref().clone();
        let timezone = match TimeZone::get(&tz_name) {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.problem(
                    l.timezone.span(),
                    "line.timezone",
                    format!(
                        "unknown time zone {tz_name:?}: use an IANA name such as \"Europe/Berlin\""
                    ),
                );
                None
            }
        };
        let working_days = match &l.working_days {
            None => vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
            Some(days) => {
                let mut out = Vec::new();
                for d in days {
                    match parse_weekday(d.get_ref()) {
                        Some(w) if out.contains(&w) => {
                            self.problem(d.span(), "line.working_days", format!("{:?} listed twice", d.get_ref()))
                        }
                        Some(w) => out.push(w),
                        None => self.problem(
                            d.span(),
                            "line.working_days",
                            format!("unknown weekday {:?}: expected mon, tue, wed, thu, fri, sat or sun", d.get_ref()),
                        ),
                    }
                }
                if days.is_empty() {
                    self.problems.push(Problem {
                        line: None,
                        key: "line.working_days".into(),
                        message: "must list at least one weekday".into(),
                    });
                }
                out.sort_by_key(|w| w.to_monday_zero_offset());
                out
            }
        };
        let target = l.target_per_day.get_ref().get();
        if !(target.is_finite() && (0.0..=MAX_PER_DAY).contains(&target)) {
            self.problem(
                l.target_per_day.span(),
                "line.target_per_day",
                format!("must be a number from 0 to {MAX_PER_DAY}, got {target}"),
            );
        }

        if raw.station.is_empty() {
            self.problems.push(Problem {
                line: None,
                key: "station".into(),
                message: "the line needs at least one [[station]]".into(),
            });
        }
        if raw.station.len() > MAX_STATIONS {
            self.problem(
                raw.station[MAX_STATIONS].span(),
                "station",
                format!(
                    "the line has {} stations; at most {MAX_STATIONS} are supported",
                    raw.station.len()
                ),
            );
        }
        let mut stations: Vec<Station> = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for (i, s) in raw.station.iter().enumerate() {
            let s = s.get_ref();
            let key = |k: &str| format!("station[{}].{k}", i + 1);
            let id = s.id.get_ref().clone();
            if !is_station_id(&id) {
                self.problem(
                    s.id.span(),
                    key("id"),
                    format!("malformed station id {id:?}: use lowercase letters, digits and '-'"),
                );
            } else if !ids.insert(id.clone()) {
                self.problem(
                    s.id.span(),
                    key("id"),
                    format!("duplicate station id {id:?}"),
                );
            }
            let operator = match Operator::parse(s.operator.get_ref()) {
                Some(o) => o,
                None => {
                    self.problem(
                        s.operator.span(),
                        key("operator"),
                        format!(
                            "unknown operator {:?}: expected human, automation or hybrid",
                            s.operator.get_ref()
                        ),
                    );
                    Operator::Human
                }
            };
            let capacity = s.capacity_per_day.get_ref().get();
            if !(capacity.is_finite() && capacity > 0.0 && capacity <= MAX_PER_DAY) {
                self.problem(
                    s.capacity_per_day.span(),
                    key("capacity_per_day"),
                    format!("must be a positive number up to {MAX_PER_DAY}, got {capacity}"),
                );
            }
            let target_yield = s.target_yield.as_ref().map(|t| {
                let y = t.get_ref().get();
                if !(0.0..=1.0).contains(&y) {
                    self.problem(
                        t.span(),
                        key("target_yield"),
                        format!("a yield must lie in [0, 1], got {y}"),
                    );
                }
                y
            });
            let cost_minutes = match &s.cost_minutes {
                None => 0.0,
                Some(c) => {
                    let v = c.get_ref().get();
                    if !(v.is_finite() && (0.0..=MAX_COST_MINUTES).contains(&v)) {
                        self.problem(
                            c.span(),
                            key("cost_minutes"),
                            format!("must be a number from 0 to {MAX_COST_MINUTES}, got {v}"),
                        );
                    }
                    v
                }
            };
            let role = s
                .role
                .as_ref()
                .and_then(|r| match Role::parse(r.get_ref()) {
                    None => {
                        self.problem(
                            r.span(),
                            key("role"),
                            format!(
                                "unknown role {:?}: expected booked, held or qualified",
                                r.get_ref()
                            ),
                        );
                        None
                    }
                    Some(role) if stations.iter().any(|st| st.role == Some(role)) => {
                        self.problem(
                            r.span(),
                            key("role"),
                            format!("role {:?} is already held by another station", r.get_ref()),
                        );
                        None
                    }
                    Some(role) => Some(role),
                });
            stations.push(Station {
                id,
                operator,
                capacity_per_day: capacity,
                target_yield,
                cost_minutes,
                role,
            });
        }

        let mut guardrails = Guardrails::default();
        if let Some(g) = &raw.guardrails {
            count(
                self,
                &g.max_touches_per_contact_30d,
                "guardrails.max_touches_per_contact_30d",
                &mut guardrails.max_touches_per_contact_30d,
                TOUCHES_30D_RANGE,
            );
            count(
                self,
                &g.max_active_contacts_per_account,
                "guardrails.max_active_contacts_per_account",
                &mut guardrails.max_active_contacts_per_account,
                ACTIVE_CONTACTS_RANGE,
            );
            count(
                self,
                &g.cooldown_days_after_fail,
                "guardrails.cooldown_days_after_fail",
                &mut guardrails.cooldown_days_after_fail,
                COOLDOWN_DAYS_RANGE,
            );
            if let Some(r) = &g.max_optout_rate {
                let v = r.get_ref().get();
                if (0.0..=1.0).contains(&v) {
                    guardrails.max_optout_rate = v;
                } else {
                    self.problem(
                        r.span(),
                        "guardrails.max_optout_rate",
                        format!("a rate must lie in [0, 1], got {v}"),
                    );
                }
            }
        }

        let mut identity = IdentityRules::default();
        if let Some(plus) = raw.identity.as_ref().and_then(|i| i.plus_tags.as_ref()) {
            match PlusTags::parse(plus.get_ref()) {
                Some(p) => identity.plus_tags = p,
                None => self.problem(
                    plus.span(),
                    "identity.plus_tags",
                    format!(
                        "unknown rule {:?}: expected \"match-untagged\" or \"distinct\"",
                        plus.get_ref()
                    ),
                ),
            }
        }

        let mut import = ImportRules::default();
        if let Some(i) = &raw.import {
            if let Some(e) = &i.earliest {
                match e.get_ref().trim().parse::<Date>() {
                    Ok(d) if EARLIEST_RANGE.contains(&d) => import.earliest = d,
                    Ok(d) => self.problem(
                        e.span(),
                        "import.earliest",
                        format!(
                            "{d} is outside {} to {}",
                            EARLIEST_RANGE.start(),
                            EARLIEST_RANGE.end()
                        ),
                    ),
                    Err(_) => self.problem(
                        e.span(),
                        "import.earliest",
                        format!("{:?} is not a date YYYY-MM-DD", e.get_ref()),
                    ),
                }
            }
            count(
                self,
                &i.latest_days_ahead,
                "import.latest_days_ahead",
                &mut import.latest_days_ahead,
                LATEST_DAYS_AHEAD_RANGE,
            );
        }
        if let Some(tz) = &timezone {
            import.earliest_instant = import
                .earliest
                .to_zoned(tz.clone())
                .map_or(import.earliest_instant, |z| z.timestamp());
        }

        Some(Line {
            name,
            unit,
            timezone_name: tz_name,
            timezone: timezone?,
            working_days,
            target_per_day: target,
            stations,
            guardrails,
            identity,
            import,
        })
    }
}

/// Checks an optional whole-number setting against its range, storing it in `slot`.
fn count(
    v: &mut Validator<'_>,
    value: &Option<Spanned<i64>>,
    key: &str,
    slot: &mut u32,
    range: std::ops::RangeInclusive<i64>,
) {
    if let Some(value) = value {
        let x = *value.get_ref();
        match u32::try_from(x) {
            Ok(u) if range.contains(&x) => *slot = u,
            _ => v.problem(
                value.span(),
                key,
                format!(
                    "must be a whole number from {} to {}, got {x}",
                    range.start(),
                    range.end()
                ),
            ),
        }
    }
}

/// Whether `id` is a well-formed station id: `[a-z0-9-]+`.
pub fn is_station_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Parses a weekday's short English name (`mon` … `sun`).
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// The commented `line.toml` template for a standard outbound line, written by `yieldline init`.
pub const TEMPLATE: &str = include_str!("line_template.toml");

#[cfg(test)]
mod tests;
