//! Suppression: the permanent list of contacts, e-mail addresses and domains that must
//! never be touched again (DESIGN §2, §9, §12), and the one-way hashes that stand in
//! for erased persons.
//!
//! Matching is case-insensitive throughout: contact ids, addresses and domains are
//! compared trimmed and lower-cased, so over-blocking (`C1` when `c1` is suppressed) is
//! the failure mode, never under-blocking.
//!
//! # Erased persons and the salt
//! `erase` removes a person's data but must still recognise them when a later import
//! brings them back. It keeps [`person_hash`] of the lower-cased, trimmed contact id and
//! e-mail: SHA-256 of `salt + ":" + value`, with a random salt per workspace stored in
//! the workspace's database. Without a salt the hash of an e-mail address would be the
//! same in every workspace and every other tool that hashes addresses (a linkable
//! identifier), and reversible with precomputed tables of known addresses. The salt
//! makes every workspace's hashes unrelated and any dictionary attack specific to one
//! workspace. It cannot stop someone who holds the database (and so the salt) from
//! testing a guess — recognising the person on re-import is the very point of the hash.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::event::{Event, EventKind};

/// Prefix of the key that replaces an erased person's contact (unit) id in the store:
/// `erased:` followed by the [`person_hash`] of the original id.
pub const ERASED_PREFIX: &str = "erased:";

/// The trimmed, lower-cased form every suppression comparison uses.
pub fn normalize(value: &str) -> String {
    value.trim().to_lowercase()
}

/// One-way hash of a personal value: SHA-256 (lower-case hex) of `salt + ":" +` the
/// trimmed, lower-cased value.
pub fn person_hash(salt: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b":");
    h.update(normalize(value).as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The key stored in place of an erased contact id whose hash is `hash`.
pub fn erased_key(hash: &str) -> String {
    format!("{ERASED_PREFIX}{hash}")
}

/// Whether an event records an opt-out: kind `optout`, or `failed` with reason `optout`.
pub fn is_optout(e: &Event) -> bool {
    e.kind == EventKind::Optout
        || (e.kind == EventKind::Failed && e.reason.as_deref() == Some("optout"))
}

/// What a suppression entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// A contact id.
    Contact,
    /// An e-mail address (lower-case).
    Email,
    /// A whole domain (lower-case): every address at it or at a subdomain of it.
    Domain,
    /// An erased person: the [`person_hash`] of their contact id or e-mail.
    Erased,
}

impl SuppressionKind {
    /// All kinds.
    pub const ALL: [Self; 4] = [Self::Contact, Self::Email, Self::Domain, Self::Erased];

    /// The kind's name as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Email => "email",
            Self::Domain => "domain",
            Self::Erased => "erased",
        }
    }

    /// Parses a kind's name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The domain of an address: the part after the last `@` (None without an `@`).
pub fn domain_of(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, d)| d)
}

/// Validates and normalises a domain (`Example.COM` → `example.com`): labels of
/// letters, digits and `-` (not at either end), at least two labels, at most 253
/// characters.
pub fn parse_domain(input: &str) -> Result<String, String> {
    let d = normalize(input);
    let d = d.strip_suffix('.').unwrap_or(&d).to_owned();
    if d.is_empty() {
        return Err("the domain is empty".into());
    }
    if d.contains('@') {
        return Err(format!(
            "{input:?} is not a domain (write it without a local part or '@', e.g. example.com)"
        ));
    }
    if d.len() > 253 || !d.contains('.') {
        return Err(format!(
            "{input:?} is not a domain (expected a name like example.com)"
        ));
    }
    for label in d.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return Err(format!(
                "{input:?} is not a domain (label {label:?} is not valid)"
            ));
        }
    }
    Ok(d)
}

/// Validates and normalises an e-mail address (trimmed, lower-case): a non-empty local
/// part without spaces, an `@`, and a valid domain ([`parse_domain`]).
pub fn parse_email(input: &str) -> Result<String, String> {
    let e = normalize(input);
    let Some((local, domain)) = e.rsplit_once('@') else {
        return Err(format!("{input:?} is not an e-mail address (no '@')"));
    };
    if local.is_empty() || local.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{input:?} is not an e-mail address (bad local part)"
        ));
    }
    parse_domain(domain)
        .map_err(|_| format!("{input:?} is not an e-mail address (bad domain {domain:?})"))?;
    Ok(e)
}

/// Everything that must never be touched: suppressed contact ids, e-mail addresses,
/// domains, and the hashes of erased persons with the workspace's salt.
#[derive(Debug, Clone, Default)]
pub struct SuppressionList {
    contacts: HashSet<String>,
    emails: HashSet<String>,
    domains: HashSet<String>,
    erased: HashSet<String>,
    salt: String,
}

impl SuppressionList {
    /// A list from its parts. Contact ids, addresses and domains are normalised
    /// (trimmed, lower-cased); `erased_hashes` are [`person_hash`]es made with `salt`.
    pub fn new(
        contacts: impl IntoIterator<Item = String>,
        emails: impl IntoIterator<Item = String>,
        domains: impl IntoIterator<Item = String>,
        erased_hashes: impl IntoIterator<Item = String>,
        salt: impl Into<String>,
    ) -> Self {
        let norm = |it: &mut dyn Iterator<Item = String>| -> HashSet<String> {
            it.map(|s| normalize(&s))
                .filter(|s| !s.is_empty())
                .collect()
        };
        Self {
            contacts: norm(&mut contacts.into_iter()),
            emails: norm(&mut emails.into_iter()),
            domains: norm(&mut domains.into_iter()),
            erased: norm(&mut erased_hashes.into_iter()),
            salt: salt.into(),
        }
    }

    /// Whether a contact must never be touched: its id, its e-mail, its e-mail's domain
    /// (the part after the last `@`, or any parent domain of it), or the hash of its id
    /// or e-mail is suppressed. A contact id that is itself an address is checked as an
    /// address too, and an id already replaced by erasure (`erased:…`) is always blocked.
    pub fn blocks(&self, contact_id: &str, email: Option<&str>) -> bool {
        let id = normalize(contact_id);
        if id.starts_with(ERASED_PREFIX) || self.contacts.contains(&id) {
            return true;
        }
        if id.contains('@') && self.blocks_address(&id) {
            return true;
        }
        let email = email.map(normalize).filter(|e| !e.is_empty());
        if let Some(e) = &email
            && self.blocks_address(e)
        {
            return true;
        }
        if self.erased.is_empty() {
            return false;
        }
        self.is_erased(&id) || email.as_deref().is_some_and(|e| self.is_erased(e))
    }

    fn blocks_address(&self, email: &str) -> bool {
        if self.emails.contains(email) {
            return true;
        }
        let Some(mut domain) = domain_of(email) else {
            return false;
        };
        loop {
            if self.domains.contains(domain) {
                return true;
            }
            match domain.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => domain = parent,
                _ => return false,
            }
        }
    }

    /// Whether the hash of `value` (a contact id or e-mail) is an erased person's.
    pub fn is_erased(&self, value: &str) -> bool {
        !self.erased.is_empty() && self.erased.contains(&person_hash(&self.salt, value))
    }

    /// The key an erased person's contact id is stored under ([`erased_key`]), if
    /// `contact_id` hashes to an erased person.
    pub fn erased_key_of(&self, contact_id: &str) -> Option<String> {
        if self.erased.is_empty() {
            return None;
        }
        let hash = person_hash(&self.salt, contact_id);
        self.erased.contains(&hash).then(|| erased_key(&hash))
    }

    /// Whether any person has been erased.
    pub fn has_erasures(&self) -> bool {
        !self.erased.is_empty()
    }

    /// The workspace's salt for [`person_hash`].
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// Number of entries (contacts, addresses, domains and erased hashes).
    pub fn len(&self) -> usize {
        self.contacts.len() + self.emails.len() + self.domains.len() + self.erased.len()
    }

    /// Whether nothing is suppressed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn person_hash_is_salted_normalised_sha256() {
        let h = person_hash("salt", "  Ann@Example.COM ");
        assert_eq!(h, person_hash("salt", "ann@example.com"));
        assert_eq!(h.len(), 64);
        assert!(
            h.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(h, person_hash("other-salt", "ann@example.com"));
        // Known vector: `printf 's:a' | sha256sum`.
        assert_eq!(
            person_hash("s", " A "),
            "d4315d83a95dfaeb79ecc9d4f5b2d61804e88aaaacb41d855977b993286435c4"
        );
    }

    #[test]
    fn contacts_and_emails_match_case_insensitively() {
        let list =
            SuppressionList::new(s(&["C-1"]), s(&["Bob@Example.com"]), vec![], vec![], "salt");
        assert!(list.blocks("c-1", None));
        assert!(list.blocks(" C-1 ", Some("someone@else.org")));
        assert!(list.blocks("c2", Some("BOB@example.COM")));
        assert!(
            list.blocks("bob@example.com", None),
            "an id that is an address is checked as one"
        );
        assert!(!list.blocks("c2", Some("bobby@example.com")));
        assert!(!list.blocks("c2", None));
        assert_eq!(list.len(), 2);
        assert!(!list.is_empty());
        assert!(SuppressionList::default().is_empty());
    }

    #[test]
    fn domains_match_the_part_after_the_last_at_and_subdomains() {
        let list = SuppressionList::new(vec![], vec![], s(&["Example.com"]), vec![], "salt");
        assert!(list.blocks("c1", Some("ann@example.com")));
        assert!(list.blocks("c1", Some("ANN@EXAMPLE.COM")));
        assert!(
            list.blocks("c1", Some("\"a@b\"@example.com")),
            "the last '@' decides"
        );
        assert!(
            list.blocks("c1", Some("ann@eu.example.com")),
            "subdomains are blocked"
        );
        assert!(!list.blocks("c1", Some("ann@example.com.evil.org")));
        assert!(!list.blocks("c1", Some("ann@notexample.com")));
        assert!(!list.blocks("c1", Some("example.com@other.org")));
        assert!(!list.blocks("c1", None));
    }

    #[test]
    fn erased_hashes_match_ids_and_emails() {
        let salt = "pepper";
        let list = SuppressionList::new(
            vec![],
            vec![],
            vec![],
            vec![
                person_hash(salt, "c9"),
                person_hash(salt, "eve@example.org"),
            ],
            salt,
        );
        assert!(list.blocks("C9", None));
        assert!(list.blocks("new-id", Some(" Eve@Example.ORG")));
        assert!(!list.blocks("c8", Some("adam@example.org")));
        assert!(
            list.blocks(&erased_key(&person_hash(salt, "c9")), None),
            "an erased key is never worked"
        );
        assert_eq!(
            list.erased_key_of("c9"),
            Some(format!("erased:{}", person_hash(salt, "c9")))
        );
        assert_eq!(list.erased_key_of("c8"), None);
        assert!(list.is_erased("EVE@example.org"));
        // The same hashes under another salt match nothing.
        let other = SuppressionList::new(
            vec![],
            vec![],
            vec![],
            vec![person_hash(salt, "c9")],
            "salt2",
        );
        assert!(!other.blocks("c9", None));
    }

    #[test]
    fn emails_and_domains_are_validated() {
        assert_eq!(
            parse_email(" Ann@Example.com ").as_deref(),
            Ok("ann@example.com")
        );
        assert_eq!(parse_domain("Example.COM.").as_deref(), Ok("example.com"));
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "an n@example.com",
            "ann@exa mple.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
        for bad in [
            "",
            "com",
            "@example.com",
            "-a.com",
            "a-.com",
            "a..com",
            "ex ample.com",
            "a@b.com",
        ] {
            assert!(parse_domain(bad).is_err(), "{bad:?}");
        }
    }
}
