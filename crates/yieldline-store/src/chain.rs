//! The suppression log's hash chain (migration 7): each entry carries the previous
//! entry's hash, so an entry deleted or altered outside Yieldline is detected by
//! [`verify`].
//!
//! What is hashed must survive an erasure, which rewrites the rows that named the
//! person (their target becomes the person's salted hash, their free text `[redacted]`):
//! so the chain covers the salted hashes of the target, the actor and the reason
//! (columns `target_hash`, `who_hash`, `reason_hash`, fixed when the entry is written),
//! the entry's kind as first written (`kind0`), its id, time and action. An entry's
//! `entry_hash` is the SHA-256 of those fields, each length-prefixed, after the
//! previous entry's `entry_hash` (`prev_hash`; empty for the first entry).

use crate::StoreError;
use crate::shared::{LoggedRow, verify_chain};
use rusqlite::{Connection, params};

/// The migration (1-based) that adds the chain; its rows are hashed when it runs.
pub(crate) const MIGRATION: usize = 7;

fn last_hash(tx: &Connection) -> Result<String, StoreError> {
    let h: Option<Option<String>> = tx
        .query_row(
            "SELECT entry_hash FROM suppression_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(h.flatten().unwrap_or_default())
}

/// Appends an entry to the log, chained to the one before.
#[allow(clippy::too_many_arguments)]
pub(crate) fn append(
    tx: &Connection,
    salt: &str,
    at: &str,
    action: &str,
    kind: &str,
    target: &str,
    who: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let prev = last_hash(tx)?;
    tx.prepare_cached(
        "INSERT INTO suppression_log (at, action, kind, target, who, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![at, action, kind, target, who, reason])?;
    let id = tx.last_insert_rowid();
    seal(tx, salt, &prev, id, at, action, kind, target, who, reason)
}

#[allow(clippy::too_many_arguments)]
fn seal(
    tx: &Connection,
    salt: &str,
    prev: &str,
    id: i64,
    at: &str,
    action: &str,
    kind: &str,
    target: &str,
    who: &str,
    reason: &str,
) -> Result<(), StoreError> {
    let [kind0, th, wh, rh, hash] =
        crate::shared::seal(salt, prev, id, at, action, kind, target, who, reason);
    tx.prepare_cached(
        "UPDATE suppression_log SET kind0 = ?2, target_hash = ?3, who_hash = ?4, reason_hash = ?5,
            prev_hash = ?6, entry_hash = ?7 WHERE id = ?1",
    )?
    .execute(params![id, kind0, th, wh, rh, prev, hash])?;
    Ok(())
}

type Row = (i64, String, String, String, String, String, String);

fn rows(conn: &Connection) -> Result<Vec<Row>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, at, action, kind, target, who, reason FROM suppression_log ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Chains every entry of a log written before the chain existed, in id order.
pub(crate) fn rebuild(tx: &Connection) -> Result<(), StoreError> {
    let salt = crate::suppression::salt(tx)?;
    let mut prev = String::new();
    for (id, at, action, kind, target, who, reason) in rows(tx)? {
        seal(
            tx, &salt, &prev, id, &at, &action, &kind, &target, &who, &reason,
        )?;
        prev = tx.query_row(
            "SELECT entry_hash FROM suppression_log WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
    }
    Ok(())
}

/// Everything wrong with the chain, in words (empty when it holds).
pub(crate) fn verify(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let salt = crate::suppression::salt(conn)?;
    let mut stmt = conn.prepare(
        "SELECT id, at, action, kind, target, who, reason, kind0, target_hash, who_hash, reason_hash,
                prev_hash, entry_hash FROM suppression_log ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut logged = Vec::new();
    while let Some(r) = rows.next()? {
        let field = |i: usize| -> Result<String, StoreError> {
            Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
        };
        logged.push(LoggedRow {
            id: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            kind: r.get(3)?,
            target: r.get(4)?,
            who: r.get(5)?,
            reason: r.get(6)?,
            chain: [
                field(7)?,
                field(8)?,
                field(9)?,
                field(10)?,
                field(11)?,
                field(12)?,
            ],
        });
    }
    Ok(verify_chain(&salt, &logged))
}

#[cfg(test)]
mod tests {
    use yieldline_core::suppression::SuppressionKind;

    use crate::{SqliteStore, Store};

    fn store_with_entries() -> SqliteStore {
        let store = SqliteStore::open_in_memory().expect("store");
        for (kind, target) in [
            (SuppressionKind::Contact, "c1"),
            (SuppressionKind::Email, "ann@example.com"),
            (SuppressionKind::Domain, "initech.example"),
        ] {
            store.suppress(kind, target, "ops", "asked").expect("add");
        }
        store
            .unsuppress(SuppressionKind::Contact, "c1", "ops", "mistake")
            .expect("remove");
        store
    }

    #[test]
    fn an_untouched_log_verifies_and_survives_an_erasure() {
        let store = store_with_entries();
        assert_eq!(store.integrity().expect("check"), Vec::<String>::new());
        store
            .erase("ann@example.com", "dpo", "request")
            .expect("erase");
        assert_eq!(store.integrity().expect("check"), Vec::<String>::new());
    }

    #[test]
    fn a_suppression_deleted_with_sql_stays_in_force_and_is_reported() {
        let store = store_with_entries();
        store
            .connection()
            .execute("DELETE FROM suppression WHERE kind = 'domain'", [])
            .expect("tamper");
        assert!(
            store
                .suppression_list()
                .expect("list")
                .blocks("x", Some("bob@initech.example"))
        );
        let problems = store.integrity().expect("check");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("initech.example") && p.contains("deleted outside")),
            "{problems:?}"
        );
    }

    #[test]
    fn an_altered_or_deleted_log_entry_is_reported() {
        let store = store_with_entries();
        store
            .connection()
            .execute(
                "UPDATE suppression_log SET reason = 'nobody asked' WHERE id = 2",
                [],
            )
            .expect("tamper");
        let problems = store.integrity().expect("check");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("entry 2") && p.contains("reason")),
            "{problems:?}"
        );

        let store = store_with_entries();
        store
            .connection()
            .execute("DELETE FROM suppression_log WHERE id = 2", [])
            .expect("tamper");
        let problems = store.integrity().expect("check");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("entry 3") && p.contains("does not follow")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_migration_chains_a_log_written_before_it() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(crate::DB_FILE);
        {
            let store = SqliteStore::open(&path).expect("store");
            store
                .suppress(SuppressionKind::Domain, "example.com", "ops", "asked")
                .expect("add");
            store
                .connection()
                .execute_batch(
                    "UPDATE suppression_log SET kind0 = NULL, target_hash = NULL, who_hash = NULL,
                       reason_hash = NULL, prev_hash = NULL, entry_hash = NULL;
                     ALTER TABLE suppression_log DROP COLUMN kind0;
                     ALTER TABLE suppression_log DROP COLUMN target_hash;
                     ALTER TABLE suppression_log DROP COLUMN who_hash;
                     ALTER TABLE suppression_log DROP COLUMN reason_hash;
                     ALTER TABLE suppression_log DROP COLUMN prev_hash;
                     ALTER TABLE suppression_log DROP COLUMN entry_hash;
                     DROP TABLE event_removals; DROP TABLE api_tokens;
                     PRAGMA user_version = 6;",
                )
                .expect("downgrade");
        }
        let store = SqliteStore::open(&path).expect("migrated");
        assert_eq!(store.integrity().expect("check"), Vec::<String>::new());
        store
            .suppress(SuppressionKind::Contact, "c9", "ops", "asked")
            .expect("add");
        assert_eq!(store.integrity().expect("check"), Vec::<String>::new());
    }
}
