//! Read queries that feed the domain beyond the fact log.

use std::collections::HashMap;

use yieldline_core::line::{Line, UnitKind};

use crate::{SqliteStore, Store, StoreError};

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
}

impl SqliteStore {
    /// The unit directory, indexed by interned unit id (so `dir[fact.unit]` describes a
    /// fact's unit). Territory units that never appeared in an event are interned first.
    pub fn unit_directory(&mut self, line: &Line) -> Result<Vec<UnitRecord>, StoreError> {
        self.territory_units(line)?;
        let conn = self.connection();
        let mut dir: Vec<UnitRecord> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        {
            let mut stmt = conn.prepare("SELECT id, key FROM units ORDER BY id")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let key: String = r.get(1)?;
                let id = usize::try_from(id)
                    .map_err(|_| StoreError::Corrupt(format!("unit id {id}")))?;
                if dir.len() <= id {
                    dir.resize(id + 1, UnitRecord::default());
                }
                index.insert(key.clone(), id);
                dir[id].key = key;
            }
        }
        {
            // The account of each unit's latest event.
            let mut stmt = conn.prepare(
                "SELECT e.unit, a.key FROM events e JOIN accounts a ON a.id = e.account
                 WHERE e.seq IN (SELECT max(seq) FROM events GROUP BY unit)",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                if let Some(u) = usize::try_from(id).ok().and_then(|i| dir.get_mut(i)) {
                    u.account = r.get(1)?;
                }
            }
        }
        let mut stmt =
            conn.prepare("SELECT contact_id, account_id, fit_tier, email FROM contacts")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let contact: String = r.get(0)?;
            let account: String = r.get(1)?;
            let tier: Option<i64> = r.get(2)?;
            let tier = tier.and_then(|t| u8::try_from(t).ok());
            let email: Option<String> = r.get(3)?;
            let key = match line.unit {
                UnitKind::Contact => &contact,
                UnitKind::Account => &account,
            };
            if let Some(&i) = index.get(key.as_str()) {
                let u = &mut dir[i];
                u.in_territory = true;
                u.account = account.clone();
                u.fit_tier = match (u.fit_tier, tier) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if line.unit == UnitKind::Contact {
                    u.email = email;
                }
            }
        }
        Ok(dir)
    }
}
