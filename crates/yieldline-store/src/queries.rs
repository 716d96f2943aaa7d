//! Read queries that feed the domain beyond the fact log.

use yieldline_core::line::Line;
use yieldline_core::suppression::KnownContact;

use rusqlite::Connection;

use crate::StoreError;
use crate::shared::DirectoryBuilder;

/// Everything known of one interned unit besides its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitRecord {
    /// The unit's key (contact id, or account id on account lines).
    pub key: String,
    /// Its account (from the territory, else from its latest event).
    pub account: String,
    /// Fit tier (the best of its contacts' on account lines).
    pub fit_tier: Option<u8>,
    /// Whether it is in the territory.
    pub in_territory: bool,
    /// Its e-mail address, when it is a territory contact with one.
    pub email: Option<String>,
    /// The territory contacts it stands for: itself on a contact line, every contact of
    /// the account on an account line (what suppression needs to judge it).
    pub contacts: Vec<KnownContact>,
}

/// The unit directory, indexed by unit id (so `dir[fact.unit]` describes a fact's
/// unit); territory units that no event names get the ids `territory_ids` gives them.
pub(crate) fn unit_directory(
    conn: &Connection,
    line: &Line,
) -> Result<Vec<UnitRecord>, StoreError> {
    let mut dir = DirectoryBuilder::new(line.unit);
    let mut stmt = conn.prepare("SELECT id, key FROM units ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        dir.unit(r.get(0)?, r.get(1)?)?;
    }
    for (key, id) in crate::sqlite::territory_ids(conn, line)? {
        dir.territory_unit(key, id as usize);
    }
    // The account of each unit's latest event, kept on its row by the imports.
    let mut stmt =
        conn.prepare("SELECT u.id, a.key FROM units u JOIN accounts a ON a.id = u.account")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        dir.latest_account(r.get(0)?, r.get(1)?);
    }
    let mut stmt = conn.prepare(
        "SELECT contact_id, account_id, fit_tier, email FROM contacts ORDER BY contact_id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let tier: Option<i64> = r.get(2)?;
        dir.contact(
            r.get(0)?,
            r.get(1)?,
            tier.and_then(|t| u8::try_from(t).ok()),
            r.get(3)?,
        );
    }
    Ok(dir.finish())
}

#[cfg(test)]
mod tests {
    use yieldline_core::event::RawEvent;
    use yieldline_core::line::{Line, TEMPLATE};

    use crate::{SqliteStore, Store, StoreError, StoreExt};

    #[test]
    fn each_unit_carries_the_account_of_its_latest_event() {
        let line = Line::from_toml("line.toml", TEMPLATE).expect("line");
        let ev = |id: &str, unit: &str, account: &str| {
            RawEvent {
                event_id: Some(id.into()),
                ts: Some("2025-03-03T09:00:00Z".into()),
                unit_id: Some(unit.into()),
                account_id: Some(account.into()),
                station: Some("research".into()),
                kind: Some("entered".into()),
                ..RawEvent::default()
            }
            .validate(&line, jiff::Timestamp::now())
            .expect("valid")
        };
        let store = SqliteStore::open_in_memory().expect("store");
        let first = [ev("e1", "c1", "a1"), ev("e2", "c2", "a1")];
        store
            .import_events(|sink| -> Result<_, StoreError> {
                first.iter().try_for_each(|e| sink.insert(e).map(drop))
            })
            .expect("import");
        // A later import moves c1 to another account; a duplicate changes nothing.
        let second = [ev("e3", "c1", "a2"), ev("e2", "c2", "a1")];
        store
            .import_events(|sink| -> Result<_, StoreError> {
                second.iter().try_for_each(|e| sink.insert(e).map(drop))
            })
            .expect("import");
        let dir = store.unit_directory(&line).expect("directory");
        let account = |key: &str| {
            dir.iter()
                .find(|u| u.key == key)
                .map(|u| u.account.as_str())
        };
        assert_eq!(account("c1"), Some("a2"));
        assert_eq!(account("c2"), Some("a1"));
    }
}
