//! Backend-neutral rules of the store, shared by every backend (SQLite here, PostgreSQL
//! in `yieldline-store-postgres`): the suppression log's hash chain, what erasure
//! redacts, and how the log's entries in force are replayed. Nothing here touches a
//! database: each backend reads the rows and hands them over.

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};
use yieldline_core::identity::{clean, fold};
use yieldline_core::suppression::person_hash;

/// What replaces free text that named an erased person.
pub const REDACTED: &str = "[redacted]";

/// What replaces an erased person's free-text event reasons.
pub const REDACTED_REASON: &str = "redacted";

/// Whether an event reason is a plain code (`no_response`, `optout`): kept by erasure.
pub fn is_reason_code(reason: &str) -> bool {
    !reason.is_empty()
        && reason.len() <= 64
        && reason
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// The fields of one suppression-log entry that the hash chain covers.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    /// The entry's id.
    pub id: i64,
    /// When it was written.
    pub at: &'a str,
    /// `add`, `remove` or `erase`.
    pub action: &'a str,
    /// Its kind as first written.
    pub kind0: &'a str,
    /// The salted hash of its target.
    pub target_hash: &'a str,
    /// The salted hash of who acted.
    pub who_hash: &'a str,
    /// The salted hash of its reason.
    pub reason_hash: &'a str,
}

/// The chain hash of an entry after the entry whose hash is `prev`.
pub fn entry_hash(prev: &str, l: &Link<'_>) -> String {
    let mut h = Sha256::new();
    let id = l.id.to_string();
    for field in [
        prev,
        &id,
        l.at,
        l.action,
        l.kind0,
        l.target_hash,
        l.who_hash,
        l.reason_hash,
    ] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    hex(&h.finalize())
}

/// The chained hash of a target (an erased person's target is a hash already).
pub fn target_hash(salt: &str, kind: &str, target: &str) -> String {
    if kind == "erased" {
        target.to_owned()
    } else {
        person_hash(salt, target)
    }
}

/// The chain columns of a new entry: `kind0, target_hash, who_hash, reason_hash,
/// entry_hash`, for the entry `id` written after the entry whose hash is `prev`.
#[allow(clippy::too_many_arguments)]
pub fn seal(
    salt: &str,
    prev: &str,
    id: i64,
    at: &str,
    action: &str,
    kind: &str,
    target: &str,
    who: &str,
    reason: &str,
) -> [String; 5] {
    let th = target_hash(salt, kind, target);
    let wh = person_hash(salt, who);
    let rh = person_hash(salt, reason);
    let hash = entry_hash(
        prev,
        &Link {
            id,
            at,
            action,
            kind0: kind,
            target_hash: &th,
            who_hash: &wh,
            reason_hash: &rh,
        },
    );
    [kind.to_owned(), th, wh, rh, hash]
}

/// One stored suppression-log row with its chain columns, as [`verify_chain`] reads it.
#[derive(Debug, Clone, Default)]
pub struct LoggedRow {
    /// id, at, action, kind, target, who, reason.
    pub id: i64,
    /// When.
    pub at: String,
    /// What was done.
    pub action: String,
    /// The entry's kind now.
    pub kind: String,
    /// The entry's target now.
    pub target: String,
    /// Who acted (now).
    pub who: String,
    /// Why (now).
    pub reason: String,
    /// kind0, target_hash, who_hash, reason_hash, prev_hash, entry_hash (empty when NULL).
    pub chain: [String; 6],
}

/// What the chain's checks find wrong with `rows` (in id order), in words.
pub fn verify_chain(salt: &str, rows: &[LoggedRow]) -> Vec<String> {
    const REDACTIONS: [&str; 2] = [REDACTED, REDACTED_REASON];
    let mut problems = Vec::new();
    let mut prev = String::new();
    for r in rows {
        let [kind0, th, wh, rh, p, h] = &r.chain;
        let entry = format!(
            "suppression log entry {} ({} {} at {})",
            r.id, r.action, r.kind, r.at
        );
        if *p != prev {
            problems.push(format!(
                "{entry}: it does not follow the entry before it: an entry was deleted or altered outside Yieldline"
            ));
        }
        let target_ok = if r.kind == "erased" {
            r.target == *th || person_hash(salt, &r.target) == *th
        } else {
            person_hash(salt, &r.target) == *th
        };
        if !target_ok {
            problems.push(format!("{entry}: its target was changed outside Yieldline"));
        }
        if !REDACTIONS.contains(&r.who.as_str()) && person_hash(salt, &r.who) != *wh {
            problems.push(format!("{entry}: who acted was changed outside Yieldline"));
        }
        if !REDACTIONS.contains(&r.reason.as_str()) && person_hash(salt, &r.reason) != *rh {
            problems.push(format!("{entry}: its reason was changed outside Yieldline"));
        }
        let link = Link {
            id: r.id,
            at: &r.at,
            action: &r.action,
            kind0,
            target_hash: th,
            who_hash: wh,
            reason_hash: rh,
        };
        if entry_hash(p, &link) != *h {
            problems.push(format!(
                "{entry}: its hash does not match its content: it was altered outside Yieldline"
            ));
        }
        prev = h.clone();
    }
    problems
}

/// The `(kind, target)` entries the log says are in force, replayed from its
/// `(action, kind, target)` rows in order: an add or erase puts a target in, a
/// removal takes it out.
pub fn replay_in_force(
    rows: impl IntoIterator<Item = (String, String, String)>,
) -> BTreeSet<(String, String)> {
    let mut live = BTreeSet::new();
    for (action, kind, target) in rows {
        let key = (kind, target);
        if action == "remove" {
            live.remove(&key);
        } else {
            live.insert(key);
        }
    }
    live
}

/// The problems between the suppression table and what its log says is in force.
pub fn table_against_log(
    live: &BTreeSet<(String, String)>,
    table: &BTreeSet<(String, String)>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (kind, target) in live.difference(table) {
        problems.push(format!(
            "the suppression of {kind} {target} is in force by the log, but its entry was deleted outside Yieldline (dispatch keeps it suppressed)"
        ));
    }
    for (kind, target) in table.difference(live) {
        problems.push(format!(
            "the suppression of {kind} {target} has no entry in the suppression log: it was added outside Yieldline"
        ));
    }
    problems
}

/// Personal values of a person being erased.
#[derive(Debug, Default)]
pub struct Person {
    /// Keys that may name them as a unit or contact: contact ids and e-mails.
    pub keys: BTreeSet<String>,
    /// Their e-mails (canonical).
    pub emails: BTreeSet<String>,
    /// Every personal string, folded, to redact from free text.
    pub strings: BTreeSet<String>,
}

impl Person {
    /// Notes a personal string (folded: NFKC and case folding, so `ÄNDREA` in free
    /// text is found for `Ändrea`; shorter than 2 characters is ignored).
    pub fn note(&mut self, s: Option<&str>) {
        let folded = s
            .map(|s| fold(&clean(s)))
            .filter(|s| s.chars().count() >= 2);
        if let Some(s) = folded {
            self.strings.insert(s);
        }
    }

    /// Whether `text` mentions any of the person's strings.
    pub fn mentioned_in(&self, text: &str) -> bool {
        let t = fold(text);
        self.strings.iter().any(|s| t.contains(s.as_str()))
    }

    /// `text`, or [`REDACTED`] when it mentions the person.
    pub fn redact<'a>(&self, text: &'a str) -> &'a str {
        if self.mentioned_in(text) {
            REDACTED
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_entry_verifies_and_a_changed_one_does_not() {
        let salt = "00";
        let c = seal(salt, "", 1, "t", "add", "domain", "x.com", "ops", "asked");
        let row = LoggedRow {
            id: 1,
            at: "t".into(),
            action: "add".into(),
            kind: "domain".into(),
            target: "x.com".into(),
            who: "ops".into(),
            reason: "asked".into(),
            chain: [
                c[0].clone(),
                c[1].clone(),
                c[2].clone(),
                c[3].clone(),
                String::new(),
                c[4].clone(),
            ],
        };
        assert!(verify_chain(salt, std::slice::from_ref(&row)).is_empty());
        let mut bad = row;
        bad.reason = "nobody asked".into();
        assert_eq!(verify_chain(salt, &[bad]).len(), 1);
    }

    #[test]
    fn reason_codes_are_kept_and_free_text_is_not() {
        assert!(is_reason_code("no_response"));
        assert!(!is_reason_code("Zelda said no"));
        assert!(!is_reason_code(""));
    }
}

/// Builds the unit directory (see `Store::unit_directory`) from what a backend reads:
/// the units the events name, by id; the territory units no event names, at the ids
/// the backend gave them; and the territory's contacts. Every backend assembles it
/// here, so the directory's rules (the best fit tier of an account's contacts, the
/// territory's account over the latest event's) are the same everywhere.
#[derive(Debug)]
pub struct DirectoryBuilder {
    dir: Vec<crate::UnitRecord>,
    index: std::collections::HashMap<String, usize>,
    unit: yieldline_core::line::UnitKind,
}

impl DirectoryBuilder {
    /// An empty directory for a line whose units are `unit`.
    pub fn new(unit: yieldline_core::line::UnitKind) -> Self {
        Self {
            dir: Vec::new(),
            index: std::collections::HashMap::new(),
            unit,
        }
    }

    fn slot(&mut self, id: usize) -> &mut crate::UnitRecord {
        if self.dir.len() <= id {
            self.dir.resize(id + 1, crate::UnitRecord::default());
        }
        &mut self.dir[id]
    }

    /// A unit the events name, at its interned id.
    pub fn unit(&mut self, id: i64, key: String) -> Result<(), crate::StoreError> {
        let id =
            usize::try_from(id).map_err(|_| crate::StoreError::Corrupt(format!("unit id {id}")))?;
        self.index.insert(key.clone(), id);
        self.slot(id).key = key;
        Ok(())
    }

    /// The account of a unit's latest event.
    pub fn latest_account(&mut self, id: i64, account: String) {
        if let Some(u) = usize::try_from(id).ok().and_then(|i| self.dir.get_mut(i)) {
            u.account = account;
        }
    }

    /// A territory unit at the id the backend gave it; ignored when an event names it.
    pub fn territory_unit(&mut self, key: String, id: usize) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.index.entry(key) {
            let key = slot.key().clone();
            slot.insert(id);
            self.slot(id).key = key;
        }
    }

    /// One territory contact: its unit (itself, or its account on account lines) is in
    /// the territory, with the territory's account, the best fit tier of its contacts,
    /// and (on contact lines) its e-mail address.
    pub fn contact(
        &mut self,
        contact: String,
        account: String,
        fit_tier: Option<u8>,
        email: Option<String>,
    ) {
        use yieldline_core::line::UnitKind;
        let key = match self.unit {
            UnitKind::Contact => &contact,
            UnitKind::Account => &account,
        };
        let Some(&i) = self.index.get(key.as_str()) else {
            return;
        };
        let on_contacts = self.unit == UnitKind::Contact;
        let u = &mut self.dir[i];
        u.in_territory = true;
        u.account.clone_from(&account);
        u.fit_tier = match (u.fit_tier, fit_tier) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if on_contacts {
            u.email.clone_from(&email);
        }
        u.contacts
            .push(yieldline_core::suppression::KnownContact { id: contact, email });
    }

    /// The directory, indexed by unit id.
    pub fn finish(self) -> Vec<crate::UnitRecord> {
        self.dir
    }
}
