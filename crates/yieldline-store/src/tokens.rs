//! API token storage (the `api_tokens` table, migration 7): each token is kept only as
//! the hash its holder's secret hashes to, with a name and a role. The store neither
//! makes nor checks secrets: `yieldline_app::tokens` does.

use rusqlite::{Connection, OptionalExtension, params};

use crate::{StoreError, TokenRecord};

fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    Ok(TokenRecord {
        name: r.get(0)?,
        role: r.get(1)?,
        hash: r.get(2)?,
        created_at: r.get(3)?,
        created_by: r.get(4)?,
    })
}

/// Stores a new token; `false` (nothing changed) when its name or hash is taken.
pub(crate) fn insert(
    conn: &Connection,
    name: &str,
    role: &str,
    hash: &str,
    by: &str,
) -> Result<bool, StoreError> {
    let n = conn.execute(
        "INSERT INTO api_tokens (name, role, hash, created_at, created_by)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        params![name, role, hash, now(), by],
    )?;
    Ok(n == 1)
}

/// Every token, by name.
pub(crate) fn all(conn: &Connection) -> Result<Vec<TokenRecord>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT name, role, hash, created_at, created_by FROM api_tokens ORDER BY name")?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Removes the token `name`; `false` when there is none.
pub(crate) fn revoke(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM api_tokens WHERE name = ?1", params![name])? == 1)
}

/// The token whose hash is `hash`, if any.
pub(crate) fn by_hash(conn: &Connection, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT name, role, hash, created_at, created_by FROM api_tokens WHERE hash = ?1",
        )?
        .query_row(params![hash], row)
        .optional()?)
}
