//! Suppression and erasure in the SQLite store (DESIGN §2, §9, §12).
//!
//! Tables (migration "suppression"): `suppression` holds one entry per suppressed
//! contact id, e-mail address, domain or erased-person hash, with who added it, when and
//! why; `suppression_log` is the append-only history of every addition, removal and
//! erasure; `privacy_salt` holds the workspace's random salt for
//! [`yieldline_core::suppression::person_hash`] (why a salt: see that module).
//!
//! # What `erase` does
//! In one transaction, for the person found by contact id or e-mail:
//! - every contact id and e-mail of theirs (found by its canonical form, however the
//!   store spells it) is hashed into `erased` suppression entries: the hash of its
//!   canonical key, and for a tagged address that of its untagged form too;
//! - their territory rows lose first/last name, e-mail and title, and every key that
//!   named them (`contacts.contact_id`, `units.key`, `events.referral_unit`) is replaced
//!   by `erased:<hash>` — the interned integer unit id stays, so every fact, and so every
//!   report, is unchanged;
//! - free-text `reason`s on their events (anything that is not a plain reason code such
//!   as `no_response`) become `redacted`;
//! - earlier suppression entries and log rows naming them are rewritten to their hash
//!   (the one rewrite the otherwise append-only log allows), free text that mentions
//!   them becomes `[redacted]`; the erasure is logged with the hash only.
//!
//! Then [`SqliteStore::compact`] checkpoints the WAL, `VACUUM`s the file and truncates
//! the WAL, so the old bytes are gone from disk (`secure_delete` is also on during the
//! erasure, zeroing freed space).
//!
//! Later imports keep the person out: event import stores an erased person's events
//! under the anonymous key (never the id), and territory import skips their rows
//! ([`crate::Inserted::Erased`]).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use yieldline_core::event::Event;
use yieldline_core::suppression::{
    ERASED_PREFIX, SuppressionKind, SuppressionList, erased_key, is_optout, normalize,
    parse_domain, parse_email, person_hash, person_hashes,
};

use crate::shared::{Person, REDACTED_REASON, is_reason_code};
use crate::{Contact, StoreError};

/// Who is recorded for suppression entries made by an event import.
pub const IMPORT_ACTOR: &str = "import";

/// One suppression entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionEntry {
    /// What it names.
    pub kind: SuppressionKind,
    /// The contact id, canonical address or domain, or (erased) the hash.
    pub target: String,
    /// When it was added (RFC 3339, UTC).
    pub added_at: String,
    /// Who added it.
    pub added_by: String,
    /// Why.
    pub reason: String,
}

/// One row of the append-only suppression log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionLogEntry {
    /// Sequence number.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// `add`, `remove` or `erase`.
    pub action: String,
    /// Kind of the entry acted on.
    pub kind: SuppressionKind,
    /// The entry's target.
    pub target: String,
    /// Who acted.
    pub who: String,
    /// Why.
    pub reason: String,
}

/// Result of adding a suppression entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The entry is new.
    New,
    /// The target was already suppressed: the existing entry, unchanged.
    Exists(SuppressionEntry),
}

/// What an erasure changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erasure {
    /// Territory contact rows anonymised.
    pub contacts: u64,
    /// Interned units re-keyed.
    pub units: u64,
    /// Events of the person (kept, anonymous).
    pub events: u64,
    /// The hashes now in suppression (of each contact id and e-mail).
    pub hashes: Vec<String>,
    /// The personal values that were removed (ids, e-mails, names, in lower case), so
    /// the caller can find them in files outside the store. Never stored.
    pub personal_values: Vec<String>,
}

/// Result of [`SqliteStore::erase`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EraseOutcome {
    /// No contact, e-mail or unit matches.
    Unknown,
    /// The id or e-mail was erased before: nothing left to remove.
    AlreadyErased,
    /// The person was erased.
    Erased(Erasure),
}

/// Result of [`SqliteStore::compact`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compaction {
    /// Whether the WAL was fully checkpointed and truncated (false when another
    /// connection held it: the old pages then remain in the WAL until the next
    /// checkpoint).
    pub wal_truncated: bool,
}

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

fn kind_of(s: &str) -> Result<SuppressionKind, StoreError> {
    SuppressionKind::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown suppression kind {s:?}")))
}

/// The workspace's salt.
pub(crate) fn salt(conn: &Connection) -> Result<String, StoreError> {
    conn.query_row("SELECT salt FROM privacy_salt WHERE id = 1", [], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| StoreError::Corrupt("the workspace has no privacy salt".into()))
}

/// Only the erased-person hashes (and the salt): what the import sinks need.
pub(crate) fn erasures(conn: &Connection) -> Result<SuppressionList, StoreError> {
    let mut stmt = conn.prepare("SELECT target FROM suppression WHERE kind = 'erased'")?;
    let hashes = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SuppressionList::new(
        Vec::new(),
        Vec::new(),
        Vec::new(),
        hashes,
        salt(conn)?,
    ))
}

fn log(
    tx: &Connection,
    action: &str,
    kind: SuppressionKind,
    target: &str,
    who: &str,
    reason: &str,
) -> Result<(), StoreError> {
    crate::chain::append(
        tx,
        &salt(tx)?,
        &now(),
        action,
        kind.as_str(),
        target,
        who,
        reason,
    )
}

/// The entries the log says are in force (see [`crate::shared::replay_in_force`]).
fn logged_in_force(conn: &Connection) -> Result<BTreeSet<(String, String)>, StoreError> {
    let mut stmt = conn.prepare("SELECT action, kind, target FROM suppression_log ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::shared::replay_in_force(rows))
}

/// The suppression tables' integrity: the log's chain, and the table against the log.
pub(crate) fn integrity(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut problems = crate::chain::verify(conn)?;
    let live = logged_in_force(conn)?;
    let mut stmt = conn.prepare("SELECT kind, target FROM suppression")?;
    let table: BTreeSet<(String, String)> = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<_, _>>()?;
    problems.extend(crate::shared::table_against_log(&live, &table));
    Ok(problems)
}

/// Adds an entry unless present; returns whether it was new (and logs it if so).
fn add(
    tx: &Connection,
    kind: SuppressionKind,
    target: &str,
    by: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let n = tx
        .prepare_cached(
            "INSERT INTO suppression (kind, target, added_at, added_by, reason) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, target) DO NOTHING",
        )?
        .execute(params![kind.as_str(), target, now(), by, reason])?;
    if n == 1 {
        log(tx, "add", kind, target, by, reason)?;
    }
    Ok(n == 1)
}

/// The import-time privacy rules of the event sink: erased persons' events are stored
/// under their anonymous key, and opt-outs add the contact to suppression.
pub(crate) struct EventPrivacy<'t> {
    tx: &'t Connection,
    erased: SuppressionList,
    erased_units: HashSet<i64>,
}

impl<'t> EventPrivacy<'t> {
    pub(crate) fn new(tx: &'t Transaction<'t>) -> Result<Self, StoreError> {
        Ok(Self {
            tx,
            erased: erasures(tx)?,
            erased_units: HashSet::new(),
        })
    }

    /// Whether anyone was erased (when not, every other method is a no-op).
    pub(crate) fn has_erasures(&self) -> bool {
        self.erased.has_erasures()
    }

    /// The key to intern a unit id under: its anonymous key if the person was erased.
    pub(crate) fn unit_key<'k>(&self, unit_id: &'k str) -> Cow<'k, str> {
        match self.erased.erased_key_of(unit_id) {
            Some(k) => Cow::Owned(k),
            None => Cow::Borrowed(unit_id),
        }
    }

    /// Records that the interned unit `id` was stored under `key`.
    pub(crate) fn note_unit(&mut self, id: i64, key: &str) {
        if key.starts_with(ERASED_PREFIX) {
            self.erased_units.insert(id);
        }
    }

    /// The referral unit id to store.
    pub(crate) fn referral<'k>(&self, referral: Option<&'k str>) -> Option<Cow<'k, str>> {
        referral.map(|r| self.unit_key(r))
    }

    /// The reason to store for an event of `unit`: free text about an erased person is
    /// redacted.
    pub(crate) fn reason<'k>(&self, unit: i64, reason: Option<&'k str>) -> Option<&'k str> {
        match reason {
            Some(r)
                if !self.erased_units.is_empty()
                    && self.erased_units.contains(&unit)
                    && !is_reason_code(r) =>
            {
                Some(REDACTED_REASON)
            }
            other => other,
        }
    }

    /// After a new event is stored: an opt-out suppresses its contact (by `import`,
    /// reason `optout event <event_id>`). An erased person is suppressed by hash already.
    pub(crate) fn on_new(&mut self, e: &Event, unit: i64) -> Result<(), StoreError> {
        if !is_optout(e) || self.erased_units.contains(&unit) {
            return Ok(());
        }
        add(
            self.tx,
            SuppressionKind::Contact,
            e.unit_id.trim(),
            IMPORT_ACTOR,
            &format!("optout event {}", e.event_id),
        )?;
        Ok(())
    }
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

/// Everything suppressed, for dispatch: contact ids, addresses, domains and the erased
/// persons' hashes with the workspace's salt.
pub(crate) fn list(conn: &Connection) -> Result<SuppressionList, StoreError> {
    {
        let mut stmt = conn.prepare("SELECT kind, target FROM suppression")?;
        let mut rows = stmt.query([])?;
        let (mut contacts, mut emails, mut domains, mut erased) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut seen = BTreeSet::new();
        while let Some(r) = rows.next()? {
            let kind: String = r.get(0)?;
            let target: String = r.get(1)?;
            seen.insert((kind.clone(), target.clone()));
            match kind_of(&kind)? {
                SuppressionKind::Contact => contacts.push(target),
                SuppressionKind::Email => emails.push(target),
                SuppressionKind::Domain => domains.push(target),
                SuppressionKind::Erased => erased.push(target),
            }
        }
        // An entry deleted outside Yieldline stays in force while the log says so.
        for (kind, target) in logged_in_force(conn)? {
            if seen.contains(&(kind.clone(), target.clone())) {
                continue;
            }
            match kind_of(&kind)? {
                SuppressionKind::Contact => contacts.push(target),
                SuppressionKind::Email => emails.push(target),
                SuppressionKind::Domain => domains.push(target),
                SuppressionKind::Erased => erased.push(target),
            }
        }
        Ok(SuppressionList::new(
            contacts,
            emails,
            domains,
            erased,
            salt(conn)?,
        ))
    }
}

/// Every suppression entry, ordered by kind then target.
pub(crate) fn entries(conn: &Connection) -> Result<Vec<SuppressionEntry>, StoreError> {
    {
        let mut stmt = conn.prepare(
            "SELECT kind, target, added_at, added_by, reason FROM suppression ORDER BY kind, target",
        )?;
        let rows = stmt.query_map([], entry)?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, target, added_at, added_by, reason) = row?;
            out.push(SuppressionEntry {
                kind: kind_of(&kind)?,
                target,
                added_at,
                added_by,
                reason,
            });
        }
        Ok(out)
    }
}

/// The suppression log, oldest first.
pub(crate) fn log_entries(conn: &Connection) -> Result<Vec<SuppressionLogEntry>, StoreError> {
    {
        let mut stmt = conn.prepare(
            "SELECT id, at, action, kind, target, who, reason FROM suppression_log ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind: String = r.get(3)?;
            out.push(SuppressionLogEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                action: r.get(2)?,
                kind: kind_of(&kind)?,
                target: r.get(4)?,
                who: r.get(5)?,
                reason: r.get(6)?,
            });
        }
        Ok(out)
    }
}

/// Suppresses `target` (already validated and normalised by the caller), recording who
/// and why. An existing entry is kept unchanged.
pub(crate) fn suppress(
    tx: &Connection,
    kind: SuppressionKind,
    target: &str,
    by: &str,
    reason: &str,
) -> Result<Added, StoreError> {
    {
        let added = if add(tx, kind, target, by, reason)? {
            Added::New
        } else {
            let (kind, target, added_at, added_by, reason) = tx.query_row(
                "SELECT kind, target, added_at, added_by, reason FROM suppression WHERE kind = ?1 AND target = ?2",
                params![kind.as_str(), target],
                entry,
            )?;
            Added::Exists(SuppressionEntry {
                kind: kind_of(&kind)?,
                target,
                added_at,
                added_by,
                reason,
            })
        };
        Ok(added)
    }
}

/// Removes an entry and logs the removal; `None` if there was no such entry.
pub(crate) fn unsuppress(
    tx: &Connection,
    kind: SuppressionKind,
    target: &str,
    by: &str,
    reason: &str,
) -> Result<Option<SuppressionEntry>, StoreError> {
    {
        // An address or domain stored in an older spelling (`bob@example.com.`) is found
        // by its canonical form; contact ids are removed only as written.
        let mut stored = target.to_owned();
        if matches!(kind, SuppressionKind::Email | SuppressionKind::Domain) {
            let mut stmt = tx.prepare("SELECT target FROM suppression WHERE kind = ?1")?;
            let key = |t: &str| match kind {
                SuppressionKind::Email => parse_email(t).ok(),
                _ => parse_domain(t).ok(),
            };
            let wanted = key(target);
            let targets: Vec<String> = stmt
                .query_map([kind.as_str()], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if !targets.iter().any(|t| t == target)
                && let Some(found) = targets
                    .into_iter()
                    .find(|t| wanted.is_some() && key(t) == wanted)
            {
                stored = found;
            }
        }
        let removed = tx
            .query_row(
                "DELETE FROM suppression WHERE kind = ?1 AND target = ?2
                 RETURNING kind, target, added_at, added_by, reason",
                params![kind.as_str(), stored],
                entry,
            )
            .optional()?;
        let Some((kind_text, target, added_at, added_by, old_reason)) = removed else {
            return Ok(None);
        };
        log(tx, "remove", kind, &target, by, reason)?;
        Ok(Some(SuppressionEntry {
            kind: kind_of(&kind_text)?,
            target,
            added_at,
            added_by,
            reason: old_reason,
        }))
    }
}

/// Every territory contact with its attributes, ordered by contact id.
pub(crate) fn territory_contacts(conn: &Connection) -> Result<Vec<Contact>, StoreError> {
    {
        let mut stmt = conn.prepare(
            "SELECT contact_id, account_id, fit_tier, first_name, last_name, email, title
             FROM contacts ORDER BY contact_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let tier: Option<i64> = r.get(2)?;
            Ok(Contact {
                contact_id: r.get(0)?,
                account_id: r.get(1)?,
                fit_tier: tier.and_then(|t| u8::try_from(t).ok()),
                first_name: r.get(3)?,
                last_name: r.get(4)?,
                email: r.get(5)?,
                title: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// Erases the person with contact id or e-mail `input` inside the write transaction
/// `tx` (see the module docs).
pub(crate) fn erase_in_tx(
    tx: &Connection,
    input: &str,
    by: &str,
    reason: &str,
) -> Result<EraseOutcome, StoreError> {
    let salt = salt(tx)?;
    let lower = normalize(input);
    if lower.starts_with(ERASED_PREFIX) {
        return Ok(EraseOutcome::AlreadyErased);
    }
    let mut person = Person::default();
    {
        // The contacts named by the id or address given, then every other contact with
        // one of their addresses (the same person under another id).
        let mut stmt = tx.prepare(
            "SELECT contact_id, email, first_name, last_name, title FROM contacts
             WHERE contact_id = ?1 OR email = ?2",
        )?;
        // Stored addresses by canonical form: rows written before canonical forms (or by
        // another tool) may spell an address otherwise (`Ändrea.Olund@…`).
        let mut spellings: HashMap<String, Vec<String>> = HashMap::new();
        {
            let mut all =
                tx.prepare("SELECT DISTINCT email FROM contacts WHERE email IS NOT NULL")?;
            let mut rows = all.query([])?;
            while let Some(r) = rows.next()? {
                let raw: String = r.get(0)?;
                let canonical = normalize(&raw);
                if canonical != raw {
                    spellings.entry(canonical).or_default().push(raw);
                }
            }
        }
        let mut seen = BTreeSet::new();
        let mut queue = vec![(input.to_owned(), lower.clone())];
        // Every spelling of the id or address that differs only in letter case (or
        // surrounding space) is the same person.
        {
            let mut all = tx.prepare("SELECT contact_id, email FROM contacts")?;
            let mut rows = all.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let email: Option<String> = r.get(1)?;
                if normalize(&id) == lower && id != input {
                    queue.push((id, String::new()));
                }
                if let Some(e) = email
                    && normalize(&e) == lower
                    && e != lower
                {
                    queue.push((String::new(), e));
                }
            }
        }
        for raw in spellings.get(&lower).into_iter().flatten() {
            queue.push((String::new(), raw.clone()));
        }
        while let Some((id, email)) = queue.pop() {
            let mut rows = stmt.query(params![id, email])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                if !seen.insert(id.clone()) {
                    continue;
                }
                let email: Option<String> = r.get(1)?;
                person.keys.insert(id.clone());
                person.note(Some(&id));
                if let Some(e) = email {
                    person.note(Some(&e));
                    let canonical = normalize(&e);
                    if person.emails.insert(canonical.clone()) {
                        for raw in spellings.get(&canonical).into_iter().flatten() {
                            queue.push((String::new(), raw.clone()));
                        }
                        queue.push((String::new(), canonical));
                    }
                    person.keys.insert(e);
                }
                for i in 2..5 {
                    person.note(r.get::<_, Option<String>>(i)?.as_deref());
                }
            }
        }
    }
    if input.contains('@') {
        person.emails.insert(lower.clone());
    }
    // Units known from events (with or without a territory row): by the id given, or
    // stored under one of their addresses in any letter case.
    let mut unit_keys: Vec<String> = Vec::new();
    {
        let mut stmt = tx.prepare("SELECT key FROM units")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let key: String = r.get(0)?;
            let norm = normalize(&key);
            if norm == lower || person.emails.contains(&norm) {
                unit_keys.push(key);
            }
        }
    }
    for k in unit_keys {
        person.note(Some(&k));
        person.keys.insert(k);
    }
    if person.keys.is_empty() {
        let hash = person_hash(&salt, input);
        let erased: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM suppression WHERE kind = 'erased' AND target = ?1)",
            [&hash],
            |r| r.get(0),
        )?;
        return Ok(if erased {
            EraseOutcome::AlreadyErased
        } else {
            EraseOutcome::Unknown
        });
    }
    for email in person.emails.clone() {
        person.note(Some(&email));
        person.keys.insert(email);
    }

    let mut out = Erasure::default();
    let mut hashes = BTreeSet::new();
    for key in &person.keys {
        let mut all = person_hashes(&salt, key);
        let hash = all.remove(0);
        let anon = erased_key(&hash);
        hashes.insert(hash);
        // A tagged address's untagged form is kept too: it stays blocked.
        hashes.extend(all);
        let clash = |table: &str, column: &str| -> Result<bool, StoreError> {
            let both: bool = tx.query_row(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = ?1) AND EXISTS (SELECT 1 FROM {table} WHERE {column} = ?2)"
                ),
                params![key, anon],
                |r| r.get(0),
            )?;
            Ok(both)
        };
        if clash("contacts", "contact_id")? || clash("units", "key")? {
            return Err(StoreError::Corrupt(format!(
                "cannot anonymise: another id that differs from this one only in letter case was erased before (anonymous key {anon})"
            )));
        }
        out.contacts += tx.execute(
            "UPDATE contacts SET contact_id = ?2, first_name = NULL, last_name = NULL, email = NULL, title = NULL
             WHERE contact_id = ?1",
            params![key, anon],
        )? as u64;
        let unit: Option<i64> = tx
            .query_row(
                "UPDATE units SET key = ?2 WHERE key = ?1 RETURNING id",
                params![key, anon],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(unit) = unit {
            out.units += 1;
            out.events +=
                tx.query_row("SELECT count(*) FROM events WHERE unit = ?1", [unit], |r| {
                    r.get::<_, i64>(0)
                })? as u64;
            let mut stmt = tx
                .prepare("SELECT seq, reason FROM events WHERE unit = ?1 AND reason IS NOT NULL")?;
            let free: Vec<i64> = stmt
                .query_map([unit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?
                .filter_map(|row| match row {
                    Ok((seq, reason)) if !is_reason_code(&reason) => Some(Ok(seq)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<_, _>>()?;
            for seq in free {
                tx.execute(
                    "UPDATE events SET reason = ?2 WHERE seq = ?1",
                    params![seq, REDACTED_REASON],
                )?;
            }
        }
        tx.execute(
            "UPDATE events SET referral_unit = ?2 WHERE referral_unit = ?1",
            params![key, anon],
        )?;
    }
    // Earlier suppression entries and log rows that name the person: rewritten to hashes.
    let named: Vec<(String, String, String, String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT kind, target, added_at, added_by, reason FROM suppression WHERE kind IN ('contact', 'email')",
        )?;
        stmt.query_map([], entry)?.collect::<Result<_, _>>()?
    };
    for (kind, target, added_at, added_by, old_reason) in named {
        let norm = normalize(&target);
        let names_them = person.keys.iter().any(|k| normalize(k) == norm);
        if !names_them {
            continue;
        }
        let hash = person_hash(&salt, &target);
        tx.execute(
            "DELETE FROM suppression WHERE kind = ?1 AND target = ?2",
            params![kind, target],
        )?;
        tx.execute(
            "INSERT INTO suppression (kind, target, added_at, added_by, reason) VALUES ('erased', ?1, ?2, ?3, ?4)
             ON CONFLICT (kind, target) DO NOTHING",
            params![hash, added_at, person.redact(&added_by), person.redact(&old_reason)],
        )?;
        hashes.insert(hash);
    }
    {
        let mut stmt = tx.prepare("SELECT id, kind, target, who, reason FROM suppression_log")?;
        let rows: Vec<(i64, String, String, String, String)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        for (id, kind, target, who, why) in rows {
            let names_them = kind != "domain"
                && kind != "erased"
                && person
                    .keys
                    .iter()
                    .any(|k| normalize(k) == normalize(&target));
            if names_them {
                tx.execute(
                    "UPDATE suppression_log SET kind = 'erased', target = ?2, who = ?3, reason = ?4 WHERE id = ?1",
                    params![id, person_hash(&salt, &target), person.redact(&who), person.redact(&why)],
                )?;
            } else if person.mentioned_in(&who) || person.mentioned_in(&why) {
                tx.execute(
                    "UPDATE suppression_log SET who = ?2, reason = ?3 WHERE id = ?1",
                    params![id, person.redact(&who), person.redact(&why)],
                )?;
            }
        }
    }
    // Free text of any other entry (a domain's reason, say) that names the person.
    {
        let mut stmt = tx.prepare("SELECT kind, target, added_by, reason FROM suppression")?;
        let rows: Vec<(String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        for (kind, target, added_by, why) in rows {
            if person.mentioned_in(&added_by) || person.mentioned_in(&why) {
                tx.execute(
                    "UPDATE suppression SET added_by = ?3, reason = ?4 WHERE kind = ?1 AND target = ?2",
                    params![kind, target, person.redact(&added_by), person.redact(&why)],
                )?;
            }
        }
    }
    let by = person.redact(by);
    let reason = person.redact(reason);
    for hash in &hashes {
        tx.execute(
            "INSERT INTO suppression (kind, target, added_at, added_by, reason) VALUES ('erased', ?1, ?2, ?3, ?4)
             ON CONFLICT (kind, target) DO NOTHING",
            params![hash, now(), by, reason],
        )?;
        log(tx, "erase", SuppressionKind::Erased, hash, by, reason)?;
    }
    out.hashes = hashes.into_iter().collect();
    out.personal_values = person.strings.iter().cloned().collect();
    Ok(EraseOutcome::Erased(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Inserted, SqliteStore, Store, StoreExt};
    use yieldline_core::event::RawEvent;
    use yieldline_core::line::{Line, TEMPLATE};

    fn line() -> Line {
        Line::from_toml("line.toml", TEMPLATE).expect("template")
    }

    fn event(id: &str, unit: &str, kind: &str, reason: Option<&str>) -> Event {
        RawEvent {
            event_id: Some(id.into()),
            ts: Some("2025-03-03T09:00:00Z".into()),
            unit_id: Some(unit.to_owned().into()),
            account_id: Some("a1".into()),
            station: Some("research".into()),
            kind: Some(kind.to_owned().into()),
            reason: reason.map(|r| r.to_owned().into()),
            ..RawEvent::default()
        }
        .validate(&line(), jiff::Timestamp::now())
        .expect("valid")
    }

    fn contact(id: &str, email: &str) -> Contact {
        Contact {
            contact_id: id.into(),
            account_id: "a1".into(),
            first_name: Some("Zelda".into()),
            last_name: Some("Quixote".into()),
            email: Some(email.into()),
            ..Contact::default()
        }
    }

    #[test]
    fn optouts_suppress_and_erasure_keeps_facts_and_blocks_reimport() {
        let store = SqliteStore::open_in_memory().expect("store");
        store
            .import_territory(|s| -> Result<_, StoreError> {
                s.upsert(&contact("c1", "zelda@example.com"))?;
                s.upsert(&contact("c2", "bob@example.com"))
            })
            .expect("territory");
        let events = [
            event("e1", "c1", "entered", None),
            event("e2", "c1", "failed", Some("Zelda said no thanks")),
            event("e3", "c2", "optout", None),
            event("e4", "c2", "failed", Some("optout")),
        ];
        store
            .import_events(|s| -> Result<_, StoreError> {
                events.iter().try_for_each(|e| s.insert(e).map(drop))
            })
            .expect("events");
        let entries = store.suppression_entries().expect("entries");
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(
            (entries[0].target.as_str(), entries[0].added_by.as_str()),
            ("c2", "import")
        );
        assert_eq!(entries[0].reason, "optout event e3");

        let before = store.load_log(&line()).expect("log").facts().to_vec();
        let out = store
            .erase("ZELDA@example.com", "dpo", "request 7")
            .expect("erase");
        let EraseOutcome::Erased(e) = out else {
            panic!("{out:?}")
        };
        assert_eq!(
            (e.contacts, e.units, e.events, e.hashes.len()),
            (1, 1, 2, 2)
        );
        assert_eq!(store.load_log(&line()).expect("log").facts(), &before[..]);
        let list = store.suppression_list().expect("list");
        assert!(list.blocks("c1", None) && list.blocks("x", Some("zelda@example.com")));
        let reason: String = store
            .connection()
            .query_row("SELECT reason FROM events WHERE event_id = 'e2'", [], |r| {
                r.get(0)
            })
            .expect("reason");
        assert_eq!(reason, "redacted");
        assert_eq!(
            store.erase("c1", "dpo", "again").expect("again"),
            EraseOutcome::AlreadyErased
        );
        assert_eq!(
            store.erase("nobody", "dpo", "").expect("unknown"),
            EraseOutcome::Unknown
        );

        // Re-imports store nothing personal and keep the facts.
        let again = store
            .import_territory(|s| -> Result<_, StoreError> {
                s.upsert(&contact("c1", "zelda@example.com"))
            })
            .expect("territory again");
        assert_eq!(again, Inserted::Erased);
        let new_id = store
            .import_territory(|s| -> Result<_, StoreError> {
                s.upsert(&contact("c9", "Zelda@Example.com"))
            })
            .expect("new id, same address");
        assert_eq!(new_id, Inserted::Erased);
        let dup = store
            .import_events(|s| -> Result<_, StoreError> {
                s.insert(&events[1])?;
                s.insert(&event("e5", "c1", "passed", None))
            })
            .expect("events again");
        assert_eq!(dup, Inserted::New);
        let keys: Vec<String> = store
            .connection()
            .prepare("SELECT key FROM units")
            .expect("prep")
            .query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("keys");
        assert!(!keys.iter().any(|k| k == "c1"), "{keys:?}");
        let log = store.load_log(&line()).expect("log");
        assert_eq!(log.len(), before.len() + 1);
        assert!(
            log.facts()
                .iter()
                .filter(|f| f.unit == before[0].unit)
                .count()
                == 3
        );
        assert!(
            store
                .suppression_log()
                .expect("log")
                .iter()
                .any(|l| l.action == "erase")
        );
    }

    #[test]
    fn the_migration_suppresses_optouts_imported_before_it() {
        use crate::schema::MIGRATIONS;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(crate::DB_FILE);
        let ours = MIGRATIONS
            .iter()
            .position(|m| m.contains("CREATE TABLE suppression"))
            .expect("the suppression migration");
        {
            let conn = Connection::open(&path).expect("open");
            for (i, sql) in MIGRATIONS[..ours].iter().enumerate() {
                conn.execute_batch(sql).expect("migrate");
                conn.pragma_update(None, "user_version", i as i64 + 1)
                    .expect("version");
            }
            conn.execute_batch(
                "INSERT INTO units (id, key) VALUES (1, 'c1'), (2, 'c2'), (3, 'c3');
                 INSERT INTO events (event_id, digest, ts, ts_offset, unit, account, station, kind, flags, reason)
                 VALUES ('e1', 0, 0, 0, 1, 1, 1, 5, 0, NULL), ('e2', 0, 0, 0, 2, 1, 1, 3, 2, 'optout'),
                        ('e3', 0, 0, 0, 3, 1, 1, 3, 2, 'bounced'), ('e4', 0, 1, 0, 1, 1, 1, 5, 0, NULL);",
            )
            .expect("old events");
        }
        let store = SqliteStore::open(&path).expect("migrated");
        let got: Vec<_> = store
            .suppression_entries()
            .expect("entries")
            .into_iter()
            .map(|e| (e.target, e.added_by, e.reason))
            .collect();
        let want = [
            ("c1", "import", "optout event e1"),
            ("c2", "import", "optout event e2"),
        ];
        assert_eq!(
            got,
            want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
        );
        assert_eq!(store.suppression_log().expect("log").len(), 2);
        let salt = super::salt(&store.connection()).expect("salt");
        assert_eq!(salt.len(), 64);
    }

    #[test]
    fn suppress_and_unsuppress_are_logged() {
        let store = SqliteStore::open_in_memory().expect("store");
        assert_eq!(
            store
                .suppress(SuppressionKind::Domain, "example.com", "ann", "asked")
                .expect("add"),
            Added::New
        );
        assert!(matches!(
            store.suppress(SuppressionKind::Domain, "example.com", "bob", "again").expect("add"),
            Added::Exists(SuppressionEntry { ref added_by, .. }) if added_by == "ann"
        ));
        assert!(
            store
                .unsuppress(SuppressionKind::Domain, "nope.com", "ann", "x")
                .expect("rm")
                .is_none()
        );
        let removed = store
            .unsuppress(SuppressionKind::Domain, "example.com", "cto", "mistake")
            .expect("rm");
        assert_eq!(removed.map(|r| r.reason).as_deref(), Some("asked"));
        let log = store.suppression_log().expect("log");
        let actions: Vec<_> = log
            .iter()
            .map(|l| (l.action.as_str(), l.who.as_str()))
            .collect();
        assert_eq!(actions, [("add", "ann"), ("remove", "cto")]);
        assert!(store.suppression_list().expect("list").is_empty());
    }

    #[test]
    fn erase_by_email_finds_non_ascii_addresses_in_any_spelling() {
        let store = SqliteStore::open_in_memory().expect("store");
        // As territory import stored addresses before canonical forms: ASCII-lower-cased
        // only, so the Ä stayed upper-case.
        store
            .import_territory(|s| -> Result<_, StoreError> {
                s.upsert(&contact("c1", "\u{00C4}ndrea.olund@example.se"))?;
                s.upsert(&contact("c2", "bob@example.com"))
            })
            .expect("territory");
        let events = [
            event("e1", "c1", "entered", None),
            // The events know her by address, in yet another spelling.
            event("e2", "\u{00C4}NDREA.Olund@Example.SE", "entered", None),
        ];
        store
            .import_events(|s| -> Result<_, StoreError> {
                events.iter().try_for_each(|e| s.insert(e).map(drop))
            })
            .expect("events");
        let out = store
            .erase("\u{00C4}ndrea.Olund@example.se", "dpo", "request 8")
            .expect("erase");
        let EraseOutcome::Erased(e) = out else {
            panic!("erase found no one: {out:?}")
        };
        assert_eq!((e.contacts, e.units), (1, 2), "{e:?}");
        let list = store.suppression_list().expect("list");
        assert!(list.blocks("new-id", Some("ändrea.olund@example.se")));
        assert!(list.blocks("c1", None));
        assert!(!list.blocks("c2", Some("bob@example.com")));
        let keys: Vec<String> = store
            .connection()
            .prepare("SELECT key FROM units")
            .expect("prep")
            .query_map([], |r| r.get(0))
            .expect("q")
            .collect::<Result<_, _>>()
            .expect("keys");
        assert!(
            keys.iter().all(|k| k.starts_with(ERASED_PREFIX)),
            "{keys:?}"
        );
    }

    #[test]
    fn erasing_a_tagged_address_keeps_the_untagged_form_blocked() {
        let store = SqliteStore::open_in_memory().expect("store");
        store
            .import_territory(|s| -> Result<_, StoreError> {
                s.upsert(&contact("c1", "zed+crm@example.com"))
            })
            .expect("territory");
        let out = store.erase("c1", "dpo", "request 9").expect("erase");
        assert!(matches!(out, EraseOutcome::Erased(_)), "{out:?}");
        let list = store.suppression_list().expect("list");
        assert!(list.blocks("c7", Some("Zed@Example.com")));
        assert!(list.blocks("c8", Some("zed+other@example.com")));
    }

    #[test]
    fn an_entry_stored_in_an_older_spelling_can_be_removed_by_its_canonical_form() {
        let store = SqliteStore::open_in_memory().expect("store");
        // `suppress add --email bob@example.com.` kept the dot before canonical forms.
        store
            .suppress(SuppressionKind::Email, "bob@example.com.", "ann", "asked")
            .expect("add");
        assert!(
            store
                .suppression_list()
                .expect("list")
                .blocks("c1", Some("bob@example.com")),
            "the old entry blocks the address"
        );
        let removed = store
            .unsuppress(SuppressionKind::Email, "bob@example.com", "cto", "mistake")
            .expect("rm");
        assert_eq!(
            removed.map(|r| r.target).as_deref(),
            Some("bob@example.com.")
        );
        assert!(store.suppression_list().expect("list").is_empty());
    }
}
