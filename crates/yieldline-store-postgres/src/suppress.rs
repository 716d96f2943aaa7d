//! Suppression, its hash-chained log, and erasure, on PostgreSQL: the same rules as the
//! SQLite store's (`yieldline_store` crate docs of its suppression module; the shared
//! parts are in `yieldline_store::shared`), every statement keyed by the workspace.

use std::collections::{BTreeSet, HashMap};

use yieldline_core::suppression::{
    ERASED_PREFIX, SuppressionKind, SuppressionList, erased_key, normalize, parse_domain,
    parse_email, person_hash, person_hashes,
};
use yieldline_store::shared::{
    LoggedRow, Person, REDACTED_REASON, is_reason_code, replay_in_force, table_against_log,
    verify_chain,
};
use yieldline_store::{
    Added, EraseOutcome, Erasure, StoreError, SuppressionEntry, SuppressionLogEntry,
};

use crate::{Tx, now};

fn kind_of(s: &str) -> Result<SuppressionKind, StoreError> {
    SuppressionKind::parse(s)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown suppression kind {s:?}")))
}

/// The workspace's salt.
pub(crate) fn salt(tx: &Tx<'_>, ws: &str) -> Result<String, StoreError> {
    tx.query_opt("SELECT salt FROM workspaces WHERE workspace = $1", &[&ws])?
        .map(|r| r.get(0))
        .ok_or_else(|| StoreError::Corrupt(format!("the workspace {ws:?} is not registered")))
}

/// Only the erased-person hashes (and the salt): what the import sinks need.
pub(crate) fn erasures(tx: &Tx<'_>, ws: &str) -> Result<SuppressionList, StoreError> {
    let hashes: Vec<String> = tx
        .query(
            "SELECT target FROM suppression WHERE workspace = $1 AND kind = 'erased'",
            &[&ws],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(SuppressionList::new(
        Vec::new(),
        Vec::new(),
        Vec::new(),
        hashes,
        salt(tx, ws)?,
    ))
}

/// Appends an entry to the log, chained to the one before.
fn log(
    tx: &Tx<'_>,
    ws: &str,
    action: &str,
    kind: SuppressionKind,
    target: &str,
    who: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let salt = salt(tx, ws)?;
    let last = tx.query_opt(
        "SELECT id, entry_hash FROM suppression_log WHERE workspace = $1 ORDER BY id DESC LIMIT 1",
        &[&ws],
    )?;
    let (id, prev) = match last {
        Some(r) => (r.get::<_, i64>(0) + 1, r.get::<_, String>(1)),
        None => (1, String::new()),
    };
    let at = now();
    let [kind0, th, wh, rh, hash] = yieldline_store::shared::seal(
        &salt,
        &prev,
        id,
        &at,
        action,
        kind.as_str(),
        target,
        who,
        reason,
    );
    tx.execute(
        "INSERT INTO suppression_log (workspace, id, at, action, kind, target, who, reason,
            kind0, target_hash, who_hash, reason_hash, prev_hash, entry_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &ws,
            &id,
            &at,
            &action,
            &kind.as_str(),
            &target,
            &who,
            &reason,
            &kind0,
            &th,
            &wh,
            &rh,
            &prev,
            &hash,
        ],
    )?;
    Ok(())
}

/// Adds an entry unless present; returns whether it was new (and logs it if so).
pub(crate) fn add(
    tx: &Tx<'_>,
    ws: &str,
    kind: SuppressionKind,
    target: &str,
    by: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let n = tx.execute(
        "INSERT INTO suppression (workspace, kind, target, added_at, added_by, reason)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace, kind, target) DO NOTHING",
        &[&ws, &kind.as_str(), &target, &now(), &by, &reason],
    )?;
    if n == 1 {
        log(tx, ws, "add", kind, target, by, reason)?;
    }
    Ok(n == 1)
}

fn logged_in_force(tx: &Tx<'_>, ws: &str) -> Result<BTreeSet<(String, String)>, StoreError> {
    let rows = tx.query(
        "SELECT action, kind, target FROM suppression_log WHERE workspace = $1 ORDER BY id",
        &[&ws],
    )?;
    Ok(replay_in_force(
        rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))),
    ))
}

/// Everything suppressed, for dispatch (entries deleted outside Yieldline stay in
/// force while the log says so).
pub(crate) fn list(tx: &Tx<'_>, ws: &str) -> Result<SuppressionList, StoreError> {
    let mut seen = BTreeSet::new();
    for r in tx.query(
        "SELECT kind, target FROM suppression WHERE workspace = $1",
        &[&ws],
    )? {
        seen.insert((r.get::<_, String>(0), r.get::<_, String>(1)));
    }
    seen.extend(logged_in_force(tx, ws)?);
    let (mut contacts, mut emails, mut domains, mut erased) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (kind, target) in seen {
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
        salt(tx, ws)?,
    ))
}

fn entry_of(r: &tokio_postgres::Row) -> Result<SuppressionEntry, StoreError> {
    Ok(SuppressionEntry {
        kind: kind_of(r.get(0))?,
        target: r.get(1),
        added_at: r.get(2),
        added_by: r.get(3),
        reason: r.get(4),
    })
}

/// Every entry, ordered by kind then target.
pub(crate) fn entries(tx: &Tx<'_>, ws: &str) -> Result<Vec<SuppressionEntry>, StoreError> {
    tx.query(
        "SELECT kind, target, added_at, added_by, reason FROM suppression WHERE workspace = $1
         ORDER BY kind COLLATE \"C\", target COLLATE \"C\"",
        &[&ws],
    )?
    .iter()
    .map(entry_of)
    .collect()
}

/// The log, oldest first.
pub(crate) fn log_entries(tx: &Tx<'_>, ws: &str) -> Result<Vec<SuppressionLogEntry>, StoreError> {
    tx.query(
        "SELECT id, at, action, kind, target, who, reason FROM suppression_log
         WHERE workspace = $1 ORDER BY id",
        &[&ws],
    )?
    .iter()
    .map(|r| {
        Ok(SuppressionLogEntry {
            id: r.get(0),
            at: r.get(1),
            action: r.get(2),
            kind: kind_of(r.get(3))?,
            target: r.get(4),
            who: r.get(5),
            reason: r.get(6),
        })
    })
    .collect()
}

/// Suppresses `target`, keeping an existing entry unchanged.
pub(crate) fn suppress(
    tx: &Tx<'_>,
    ws: &str,
    kind: SuppressionKind,
    target: &str,
    by: &str,
    reason: &str,
) -> Result<Added, StoreError> {
    if add(tx, ws, kind, target, by, reason)? {
        return Ok(Added::New);
    }
    let r = tx.query_one(
        "SELECT kind, target, added_at, added_by, reason FROM suppression
         WHERE workspace = $1 AND kind = $2 AND target = $3",
        &[&ws, &kind.as_str(), &target],
    )?;
    Ok(Added::Exists(entry_of(&r)?))
}

/// Removes an entry (an address or domain also in an older spelling) and logs it.
pub(crate) fn unsuppress(
    tx: &Tx<'_>,
    ws: &str,
    kind: SuppressionKind,
    target: &str,
    by: &str,
    reason: &str,
) -> Result<Option<SuppressionEntry>, StoreError> {
    let mut stored = target.to_owned();
    if matches!(kind, SuppressionKind::Email | SuppressionKind::Domain) {
        let key = |t: &str| match kind {
            SuppressionKind::Email => parse_email(t).ok(),
            _ => parse_domain(t).ok(),
        };
        let wanted = key(target);
        let targets: Vec<String> = tx
            .query(
                "SELECT target FROM suppression WHERE workspace = $1 AND kind = $2",
                &[&ws, &kind.as_str()],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !targets.iter().any(|t| t == target)
            && let Some(found) = targets
                .into_iter()
                .find(|t| wanted.is_some() && key(t) == wanted)
        {
            stored = found;
        }
    }
    let removed = tx.query_opt(
        "DELETE FROM suppression WHERE workspace = $1 AND kind = $2 AND target = $3
         RETURNING kind, target, added_at, added_by, reason",
        &[&ws, &kind.as_str(), &stored],
    )?;
    let Some(r) = removed else {
        return Ok(None);
    };
    let entry = entry_of(&r)?;
    log(tx, ws, "remove", kind, &entry.target, by, reason)?;
    Ok(Some(entry))
}

/// The chain, and the table against the log.
pub(crate) fn integrity(tx: &Tx<'_>, ws: &str) -> Result<Vec<String>, StoreError> {
    let rows: Vec<LoggedRow> = tx
        .query(
            "SELECT id, at, action, kind, target, who, reason, kind0, target_hash, who_hash,
                    reason_hash, prev_hash, entry_hash
             FROM suppression_log WHERE workspace = $1 ORDER BY id",
            &[&ws],
        )?
        .iter()
        .map(|r| LoggedRow {
            id: r.get(0),
            at: r.get(1),
            action: r.get(2),
            kind: r.get(3),
            target: r.get(4),
            who: r.get(5),
            reason: r.get(6),
            chain: [
                r.get(7),
                r.get(8),
                r.get(9),
                r.get(10),
                r.get(11),
                r.get(12),
            ],
        })
        .collect();
    let mut problems = verify_chain(&salt(tx, ws)?, &rows);
    let table: BTreeSet<(String, String)> = tx
        .query(
            "SELECT kind, target FROM suppression WHERE workspace = $1",
            &[&ws],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    problems.extend(table_against_log(&logged_in_force(tx, ws)?, &table));
    Ok(problems)
}

/// Finds the person named by `input` (a contact id or e-mail): every contact with one
/// of their ids or addresses in any spelling, and the units stored under them.
fn find_person(tx: &Tx<'_>, ws: &str, input: &str, lower: &str) -> Result<Person, StoreError> {
    type Row = (String, Option<String>, [Option<String>; 3]);
    let contacts: Vec<Row> = tx
        .query(
            "SELECT contact_id, email, first_name, last_name, title FROM contacts WHERE workspace = $1",
            &[&ws],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), [r.get(2), r.get(3), r.get(4)]))
        .collect();
    let mut person = Person::default();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut emails: BTreeSet<String> = BTreeSet::new();
    ids.insert(lower.to_owned());
    if input.contains('@') {
        emails.insert(lower.to_owned());
    }
    // Closure over "same id or same address, in any spelling", to a fixed point.
    let mut taken = vec![false; contacts.len()];
    loop {
        let mut grew = false;
        for (i, (id, email, rest)) in contacts.iter().enumerate() {
            let by_email = email.as_deref().map(normalize);
            let hit = ids.contains(&normalize(id))
                || by_email.as_ref().is_some_and(|e| emails.contains(e));
            if !hit || taken[i] {
                continue;
            }
            taken[i] = true;
            grew = true;
            person.keys.insert(id.clone());
            person.note(Some(id));
            if let (Some(raw), Some(canonical)) = (email, by_email) {
                person.note(Some(raw));
                person.keys.insert(raw.clone());
                emails.insert(canonical);
            }
            for v in rest {
                person.note(v.as_deref());
            }
        }
        if !grew {
            break;
        }
    }
    person.emails = emails;
    for r in tx.query("SELECT key FROM units WHERE workspace = $1", &[&ws])? {
        let key: String = r.get(0);
        let norm = normalize(&key);
        if norm == lower || person.emails.contains(&norm) {
            person.note(Some(&key));
            person.keys.insert(key);
        }
    }
    Ok(person)
}

/// Erases the person with contact id or e-mail `input` (see the SQLite store's rules).
pub(crate) fn erase(
    tx: &Tx<'_>,
    ws: &str,
    input: &str,
    by: &str,
    reason: &str,
) -> Result<EraseOutcome, StoreError> {
    let salt = salt(tx, ws)?;
    let lower = normalize(input);
    if lower.starts_with(ERASED_PREFIX) {
        return Ok(EraseOutcome::AlreadyErased);
    }
    let mut person = find_person(tx, ws, input, &lower)?;
    if person.keys.is_empty() {
        let erased = tx
            .query_opt(
                "SELECT 1 FROM suppression WHERE workspace = $1 AND kind = 'erased' AND target = $2",
                &[&ws, &person_hash(&salt, input)],
            )?
            .is_some();
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
        hashes.extend(all);
        for (table, column) in [("contacts", "contact_id"), ("units", "key")] {
            let both: bool = tx
                .query_one(
                    &format!(
                        "SELECT EXISTS (SELECT 1 FROM {table} WHERE workspace = $1 AND {column} = $2)
                            AND EXISTS (SELECT 1 FROM {table} WHERE workspace = $1 AND {column} = $3)"
                    ),
                    &[&ws, key, &anon],
                )?
                .get(0);
            if both {
                return Err(StoreError::Corrupt(format!(
                    "cannot anonymise: another id that differs from this one only in letter case was erased before (anonymous key {anon})"
                )));
            }
        }
        out.contacts += tx.execute(
            "UPDATE contacts SET contact_id = $3, first_name = NULL, last_name = NULL, email = NULL, title = NULL
             WHERE workspace = $1 AND contact_id = $2",
            &[&ws, key, &anon],
        )?;
        let unit = tx.query_opt(
            "UPDATE units SET key = $3 WHERE workspace = $1 AND key = $2 RETURNING id",
            &[&ws, key, &anon],
        )?;
        if let Some(unit) = unit.map(|r| r.get::<_, i64>(0)) {
            out.units += 1;
            let rows = tx.query(
                "SELECT seq, reason FROM events WHERE workspace = $1 AND unit = $2",
                &[&ws, &unit],
            )?;
            out.events += rows.len() as u64;
            let free: Vec<i64> = rows
                .iter()
                .filter(|r| {
                    r.get::<_, Option<String>>(1)
                        .is_some_and(|why| !is_reason_code(&why))
                })
                .map(|r| r.get(0))
                .collect();
            tx.execute(
                "UPDATE events SET reason = $3 WHERE workspace = $1 AND seq = ANY($2)",
                &[&ws, &free, &REDACTED_REASON],
            )?;
        }
        tx.execute(
            "UPDATE events SET referral_unit = $3 WHERE workspace = $1 AND referral_unit = $2",
            &[&ws, key, &anon],
        )?;
    }
    rewrite_suppression(tx, ws, &salt, &person, &mut hashes)?;
    let by = person.redact(by);
    let reason = person.redact(reason);
    for hash in &hashes {
        tx.execute(
            "INSERT INTO suppression (workspace, kind, target, added_at, added_by, reason)
             VALUES ($1, 'erased', $2, $3, $4, $5) ON CONFLICT (workspace, kind, target) DO NOTHING",
            &[&ws, hash, &now(), &by, &reason],
        )?;
        log(tx, ws, "erase", SuppressionKind::Erased, hash, by, reason)?;
    }
    out.hashes = hashes.into_iter().collect();
    out.personal_values = person.strings.iter().cloned().collect();
    Ok(EraseOutcome::Erased(out))
}

/// Earlier suppression entries and log rows that name the person: rewritten to hashes;
/// free text that mentions them: redacted.
fn rewrite_suppression(
    tx: &Tx<'_>,
    ws: &str,
    salt: &str,
    person: &Person,
    hashes: &mut BTreeSet<String>,
) -> Result<(), StoreError> {
    let names = |target: &str| {
        let norm = normalize(target);
        person.keys.iter().any(|k| normalize(k) == norm)
    };
    for r in tx.query(
        "SELECT kind, target, added_at, added_by, reason FROM suppression
         WHERE workspace = $1 AND kind IN ('contact', 'email')",
        &[&ws],
    )? {
        let (kind, target): (String, String) = (r.get(0), r.get(1));
        if !names(&target) {
            continue;
        }
        let (added_at, added_by, why): (String, String, String) = (r.get(2), r.get(3), r.get(4));
        let hash = person_hash(salt, &target);
        tx.execute(
            "DELETE FROM suppression WHERE workspace = $1 AND kind = $2 AND target = $3",
            &[&ws, &kind, &target],
        )?;
        tx.execute(
            "INSERT INTO suppression (workspace, kind, target, added_at, added_by, reason)
             VALUES ($1, 'erased', $2, $3, $4, $5) ON CONFLICT (workspace, kind, target) DO NOTHING",
            &[&ws, &hash, &added_at, &person.redact(&added_by), &person.redact(&why)],
        )?;
        hashes.insert(hash);
    }
    for r in tx.query(
        "SELECT id, kind, target, who, reason FROM suppression_log WHERE workspace = $1",
        &[&ws],
    )? {
        let (id, kind, target, who, why): (i64, String, String, String, String) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        if kind != "domain" && kind != "erased" && names(&target) {
            tx.execute(
                "UPDATE suppression_log SET kind = 'erased', target = $3, who = $4, reason = $5
                 WHERE workspace = $1 AND id = $2",
                &[
                    &ws,
                    &id,
                    &person_hash(salt, &target),
                    &person.redact(&who),
                    &person.redact(&why),
                ],
            )?;
        } else if person.mentioned_in(&who) || person.mentioned_in(&why) {
            tx.execute(
                "UPDATE suppression_log SET who = $3, reason = $4 WHERE workspace = $1 AND id = $2",
                &[&ws, &id, &person.redact(&who), &person.redact(&why)],
            )?;
        }
    }
    let mut redo: HashMap<(String, String), (String, String)> = HashMap::new();
    for r in tx.query(
        "SELECT kind, target, added_by, reason FROM suppression WHERE workspace = $1",
        &[&ws],
    )? {
        let (added_by, why): (String, String) = (r.get(2), r.get(3));
        if person.mentioned_in(&added_by) || person.mentioned_in(&why) {
            redo.insert(
                (r.get(0), r.get(1)),
                (
                    person.redact(&added_by).to_owned(),
                    person.redact(&why).to_owned(),
                ),
            );
        }
    }
    for ((kind, target), (added_by, why)) in redo {
        tx.execute(
            "UPDATE suppression SET added_by = $4, reason = $5
             WHERE workspace = $1 AND kind = $2 AND target = $3",
            &[&ws, &kind, &target, &added_by, &why],
        )?;
    }
    Ok(())
}
