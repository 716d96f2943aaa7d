//! Suppression: the permanent list of contacts, e-mail addresses and domains that must
//! never be touched again (DESIGN §2, §9, §12), and the one-way hashes that stand in
//! for erased persons.
//!
//! # Matching
//! Every spelling is compared in its canonical form ([`crate::identity`]): addresses
//! and domains by [`canonical_email`] and [`canonical_domain`] (display names, `mailto:`,
//! invisible characters and a trailing dot dropped; NFKC and full case folding), contact
//! and account ids by [`id_match_key`] (case-insensitive: suppressing `c1` blocks `C1`).
//! With [`PlusTags::MatchUntagged`] (the default) a tagged address matches its untagged
//! form and the reverse. Entries stored under older, looser rules are canonicalised
//! when the list is built, so `bob@example.com.` stored with its dot blocks
//! `bob@example.com`. A contact entry that is an address blocks the address too. The
//! failure mode is over-blocking, never under-blocking.
//!
//! A contact is blocked by [`SuppressionList::blocks`]; an account (the unit of an
//! `unit = "account"` line) by [`SuppressionList::blocks_account`]: its id, any of its
//! domains or its contacts' domains, or every one of its known contacts.
//!
//! # Erased persons and the salt
//! `erase` removes a person's data but must still recognise them when a later import
//! brings them back. It keeps [`person_hash`] of the canonical key of each contact id
//! and e-mail ([`person_key`]: the canonical address, or the id's match key): SHA-256
//! of `salt + ":" + key`, with a random salt per workspace stored in the workspace's
//! database. For a tagged address the hash of its untagged form is kept too. Hashes
//! made before canonical keys (of the trimmed, lower-cased value) are still recognised.
//! Without a salt the hash of an e-mail address would be the same in every workspace
//! and every other tool that hashes addresses (a linkable identifier), and reversible
//! with precomputed tables of known addresses. The salt makes every workspace's hashes
//! unrelated and any dictionary attack specific to one workspace. It cannot stop
//! someone who holds the database (and so the salt) from testing a guess — recognising
//! the person on re-import is the very point of the hash.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::event::{Event, EventKind};
pub use crate::identity::domain_of;
use crate::identity::{
    PlusTags, canonical_domain, canonical_email, clean, fold, id_match_key, person_key, untagged,
};

/// Prefix of the key that replaces an erased person's contact (unit) id in the store:
/// `erased:` followed by the [`person_hash`] of the original id.
pub const ERASED_PREFIX: &str = "erased:";

/// The canonical key every suppression comparison of a personal value uses
/// ([`person_key`]: the canonical address for an address, else the id's match key).
pub fn normalize(value: &str) -> String {
    person_key(value)
}

/// One-way hash of a personal value: SHA-256 (lower-case hex) of `salt + ":" +` its
/// canonical key ([`person_key`]).
pub fn person_hash(salt: &str, value: &str) -> String {
    hash_key(salt, &person_key(value))
}

/// SHA-256 (lower-case hex) of `salt + ":" + key`.
fn hash_key(salt: &str, key: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b":");
    h.update(key.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// Every hash an erasure keeps for `value`: [`person_hash`], and for a tagged address
/// the hash of its untagged form.
pub fn person_hashes(salt: &str, value: &str) -> Vec<String> {
    let key = person_key(value);
    let mut out = vec![hash_key(salt, &key)];
    if let Some(base) = untagged(&key) {
        out.push(hash_key(salt, &base));
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
    /// A contact id (matched case-insensitively).
    Contact,
    /// An e-mail address (canonical form).
    Email,
    /// A whole domain (canonical form): every address at it or at a subdomain of it.
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

/// Validates and canonicalises a domain ([`canonical_domain`]): `Example.COM.` →
/// `example.com`.
pub fn parse_domain(input: &str) -> Result<String, String> {
    canonical_domain(input).map_err(|e| e.to_string())
}

/// Validates and canonicalises an e-mail address ([`canonical_email`]):
/// `Ann <Ann@Example.com.>` → `ann@example.com`.
pub fn parse_email(input: &str) -> Result<String, String> {
    canonical_email(input).map_err(|e| e.to_string())
}

/// The key an address is matched under: its canonical form, or for text that is not a
/// valid address (an entry or a record stored under looser rules) the folded text, so
/// that it still matches itself.
fn address_key(raw: &str) -> Option<String> {
    canonical_email(raw).ok().or_else(|| {
        let f = fold(&clean(raw));
        (!f.is_empty()).then_some(f)
    })
}

/// The key a domain is matched under (canonical, else folded and without a trailing dot).
fn domain_key(raw: &str) -> Option<String> {
    canonical_domain(raw).ok().or_else(|| {
        let f = fold(&clean(raw));
        let f = f.trim_end_matches('.');
        (!f.is_empty()).then(|| f.to_owned())
    })
}

/// A known contact of a unit, as dispatch passes it to [`SuppressionList::blocks_account`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownContact {
    /// The contact's id.
    pub id: String,
    /// Its e-mail address, if known (any spelling).
    pub email: Option<String>,
}

/// Everything that must never be touched: suppressed contact ids, e-mail addresses,
/// domains, and the hashes of erased persons with the workspace's salt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuppressionList {
    /// [`id_match_key`]s of suppressed contact ids.
    contacts: HashSet<String>,
    /// Canonical suppressed addresses.
    emails: HashSet<String>,
    /// Their untagged forms (for [`PlusTags::MatchUntagged`]).
    email_bases: HashSet<String>,
    /// Canonical suppressed domains.
    domains: HashSet<String>,
    erased: HashSet<String>,
    salt: String,
    plus_tags: PlusTags,
}

impl SuppressionList {
    /// A list from its parts, in any spelling: contact ids, addresses and domains are
    /// canonicalised (see the [module docs](self)); `erased_hashes` are [`person_hash`]es
    /// made with `salt`. `+tag`s match by the default rule ([`PlusTags::MatchUntagged`];
    /// see [`SuppressionList::with_plus_tags`]).
    pub fn new(
        contacts: impl IntoIterator<Item = String>,
        emails: impl IntoIterator<Item = String>,
        domains: impl IntoIterator<Item = String>,
        erased_hashes: impl IntoIterator<Item = String>,
        salt: impl Into<String>,
    ) -> Self {
        let mut list = Self {
            salt: salt.into(),
            ..Self::default()
        };
        for c in contacts {
            let key = id_match_key(&c);
            if key.is_empty() {
                continue;
            }
            if key.contains('@') {
                // A contact id that is an address suppresses the address too.
                list.add_email(&c);
            }
            list.contacts.insert(key);
        }
        for e in emails {
            list.add_email(&e);
        }
        list.domains
            .extend(domains.into_iter().filter_map(|d| domain_key(&d)));
        list.erased.extend(
            erased_hashes
                .into_iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty()),
        );
        list
    }

    fn add_email(&mut self, raw: &str) {
        if let Some(key) = address_key(raw) {
            self.email_bases
                .insert(untagged(&key).unwrap_or_else(|| key.clone()));
            self.emails.insert(key);
        }
    }

    /// The list with `rule` for `+tag` sub-addresses (`[identity] plus_tags`).
    pub fn with_plus_tags(mut self, rule: PlusTags) -> Self {
        self.plus_tags = rule;
        self
    }

    /// The `+tag` rule in force.
    pub fn plus_tags(&self) -> PlusTags {
        self.plus_tags
    }

    /// Whether a contact must never be touched: its id (case-insensitively), its e-mail,
    /// its e-mail's domain (the part after the last `@`, or any parent domain of it), or
    /// the hash of its id or e-mail is suppressed. Every value may be in any spelling. A
    /// contact id that is itself an address is checked as an address too, and an id
    /// already replaced by erasure (`erased:…`) is always blocked.
    pub fn blocks(&self, contact_id: &str, email: Option<&str>) -> bool {
        let id = id_match_key(contact_id);
        if id.starts_with(ERASED_PREFIX) || self.contacts.contains(&id) {
            return true;
        }
        if id.contains('@') && self.blocks_address(contact_id) {
            return true;
        }
        let email = email.filter(|e| !clean(e).is_empty());
        if let Some(e) = email
            && self.blocks_address(e)
        {
            return true;
        }
        self.is_erased(contact_id) || email.is_some_and(|e| self.is_erased(e))
    }

    /// Whether an account — the unit of an `unit = "account"` line — must never be
    /// touched: its id is suppressed (as a contact entry, case-insensitively) or erased;
    /// or one of `domains` (the account's own, e.g. its website's) or of its contacts'
    /// e-mail domains is suppressed; or it has known contacts and every one of them is
    /// blocked ([`SuppressionList::blocks`]). An account with no known contact is
    /// judged by its id and `domains` alone.
    pub fn blocks_account(
        &self,
        account_id: &str,
        contacts: &[KnownContact],
        domains: &[String],
    ) -> bool {
        let id = id_match_key(account_id);
        if id.starts_with(ERASED_PREFIX)
            || self.contacts.contains(&id)
            || (id.contains('@') && self.blocks_address(account_id))
            || self.is_erased(account_id)
        {
            return true;
        }
        if domains.iter().any(|d| self.blocks_domain(d)) {
            return true;
        }
        let contact_domain_blocked = contacts.iter().any(|c| {
            c.email
                .as_deref()
                .and_then(address_key)
                .is_some_and(|k| domain_of(&k).is_some_and(|d| self.blocks_domain_key(d)))
        });
        contact_domain_blocked
            || (!contacts.is_empty()
                && contacts
                    .iter()
                    .all(|c| self.blocks(&c.id, c.email.as_deref())))
    }

    /// Whether an address (any spelling) is suppressed: itself, by its `+tag` rule, or
    /// by its domain or a parent domain.
    pub fn blocks_address(&self, email: &str) -> bool {
        let Some(key) = address_key(email) else {
            return false;
        };
        if self.emails.contains(&key) {
            return true;
        }
        if self.plus_tags == PlusTags::MatchUntagged {
            let base = untagged(&key);
            if self.email_bases.contains(base.as_deref().unwrap_or(&key)) {
                return true;
            }
        }
        domain_of(&key).is_some_and(|d| self.blocks_domain_key(d))
    }

    /// Whether a domain (any spelling) or a parent domain of it is suppressed.
    pub fn blocks_domain(&self, domain: &str) -> bool {
        domain_key(domain).is_some_and(|d| self.blocks_domain_key(&d))
    }

    fn blocks_domain_key(&self, domain: &str) -> bool {
        let mut domain = domain.trim_end_matches('.');
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

    /// The hashes `value` may have been erased under: of its canonical key, of its
    /// untagged form (with [`PlusTags::MatchUntagged`]), and of the trimmed, lower-cased
    /// value (hashes made before canonical keys).
    fn candidate_hashes(&self, value: &str) -> Vec<String> {
        let key = person_key(value);
        let mut out = vec![hash_key(&self.salt, &key)];
        if self.plus_tags == PlusTags::MatchUntagged
            && let Some(base) = untagged(&key)
        {
            out.push(hash_key(&self.salt, &base));
        }
        let legacy = value.trim().to_lowercase();
        if legacy != key {
            out.push(hash_key(&self.salt, &legacy));
        }
        out
    }

    /// Whether the hash of `value` (a contact id or e-mail, any spelling) is an erased
    /// person's.
    pub fn is_erased(&self, value: &str) -> bool {
        !self.erased.is_empty()
            && self
                .candidate_hashes(value)
                .iter()
                .any(|h| self.erased.contains(h))
    }

    /// The key an erased person's contact id is stored under ([`erased_key`]), if
    /// `contact_id` hashes to an erased person.
    pub fn erased_key_of(&self, contact_id: &str) -> Option<String> {
        if self.erased.is_empty() {
            return None;
        }
        self.candidate_hashes(contact_id)
            .into_iter()
            .find(|h| self.erased.contains(h))
            .map(|h| erased_key(&h))
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
        // Malformed input: `identity::tests::malformed_addresses_and_domains_are_refused`.
        assert!(parse_email("ann@").is_err());
        assert!(parse_domain("a..com").is_err());
    }

    #[test]
    fn a_suppressed_domain_blocks_every_ordinary_spelling_of_its_addresses() {
        let list = SuppressionList::new(vec![], vec![], s(&["example.com"]), vec![], "salt");
        for spelling in [
            "ann@example.com.",
            "ann@example.com\u{200B}",
            "\u{FEFF}ann@example.com",
            "Ann <ann@example.com>",
            "\"Example, Ann\" <ANN@EXAMPLE.COM.>",
            "mailto:ann@example.com",
            "ａｎｎ@ｅｘａｍｐｌｅ.ｃｏｍ",
            "ann@eu.example.com.",
        ] {
            assert!(list.blocks("c1", Some(spelling)), "{spelling:?}");
            assert!(list.blocks(spelling, None), "an id that is {spelling:?}");
        }
        assert!(!list.blocks("c1", Some("ann@example.org")));
    }

    #[test]
    fn entries_in_any_spelling_are_canonicalised() {
        // `suppress add --email bob@example.com.` used to store the dot and block nothing.
        let list = SuppressionList::new(
            vec![],
            s(&[
                "bob@example.com.",
                "Ann <Ann@Example.org>",
                "\u{00C4}ndrea.Olund@Example.se",
            ]),
            s(&["Example.NET.\u{200B}"]),
            vec![],
            "salt",
        );
        assert!(list.blocks("c1", Some("bob@example.com")));
        assert!(list.blocks("c2", Some("ann@example.org")));
        assert!(list.blocks("c3", Some("x@example.net")));
        // Non-ASCII letters are folded: Ä and ä are one letter.
        assert!(list.blocks("c4", Some("ändrea.olund@example.se")));
        assert!(list.blocks("c4", Some("A\u{0308}NDREA.OLUND@EXAMPLE.SE")));
        assert_eq!(
            parse_email("bob@example.com.").as_deref(),
            Ok("bob@example.com")
        );
        assert_eq!(
            parse_email("\u{00C4}ndrea.Olund@Example.se").as_deref(),
            Ok("\u{00E4}ndrea.olund@example.se")
        );
    }

    #[test]
    fn contact_ids_match_case_insensitively_and_fold_unicode() {
        let list = SuppressionList::new(
            s(&["c1", "\u{00C4}BC", "Ann@Example.com"]),
            vec![],
            vec![],
            vec![],
            "salt",
        );
        assert!(list.blocks("C1", None));
        assert!(list.blocks(" c1\u{200B}", None));
        assert!(list.blocks("Ｃ１", None));
        assert!(list.blocks("äbc", None));
        // A contact entry that is an address blocks that address under any id.
        assert!(list.blocks("c77", Some("ann@example.com")));
    }

    #[test]
    fn plus_tags_match_the_untagged_form_both_ways_unless_distinct() {
        let tagged = SuppressionList::new(vec![], s(&["bob+news@x.com"]), vec![], vec![], "s");
        let plain = SuppressionList::new(vec![], s(&["ann@x.com"]), vec![], vec![], "s");
        assert!(tagged.blocks("c", Some("bob@x.com")));
        assert!(tagged.blocks("c", Some("Bob+Other@X.com.")));
        assert!(plain.blocks("c", Some("ann+promo@x.com")));
        assert!(!plain.blocks("c", Some("anne@x.com")));
        let tagged = tagged.with_plus_tags(PlusTags::Distinct);
        let plain = plain.with_plus_tags(PlusTags::Distinct);
        assert_eq!(tagged.plus_tags(), PlusTags::Distinct);
        assert!(tagged.blocks("c", Some("BOB+news@x.com")));
        assert!(!tagged.blocks("c", Some("bob@x.com")));
        assert!(!plain.blocks("c", Some("ann+promo@x.com")));
    }

    #[test]
    fn an_account_is_blocked_by_its_domain_or_when_every_contact_is() {
        let contact = |id: &str, email: Option<&str>| KnownContact {
            id: id.into(),
            email: email.map(Into::into),
        };
        let people = [
            contact("c1", Some("ann@acme.example")),
            contact("c2", Some("Bob <BOB@acme.example.>")),
            contact("c3", None),
        ];
        let list = SuppressionList::new(
            s(&["C3"]),
            s(&["ann@acme.example", "bob@acme.example"]),
            vec![],
            vec![],
            "s",
        );
        assert!(
            list.blocks_account("a1", &people, &[]),
            "every contact is suppressed"
        );
        assert!(
            !list.blocks_account(
                "a1",
                &people[..2]
                    .iter()
                    .cloned()
                    .chain([contact("c4", None)])
                    .collect::<Vec<_>>(),
                &[]
            )
        );
        assert!(
            !list.blocks_account("a1", &[], &[]),
            "nothing known, nothing suppressed"
        );
        let by_domain = SuppressionList::new(vec![], vec![], s(&["acme.example"]), vec![], "s");
        assert!(by_domain.blocks_account("a1", &[contact("c9", Some("zed@ACME.example."))], &[]));
        assert!(by_domain.blocks_account("a1", &[], &["acme.example".into()]));
        assert!(by_domain.blocks_account("a1", &[], &["eu.Acme.Example".into()]));
        assert!(!by_domain.blocks_account("a1", &[contact("c9", Some("zed@other.example"))], &[]));
        let by_id = SuppressionList::new(s(&["A1"]), vec![], vec![], vec![], "s");
        assert!(by_id.blocks_account("a1", &[], &[]));
        assert!(
            by_id.blocks_account("erased:00", &[], &[]) && !by_id.blocks_account("a2", &[], &[])
        );
    }

    #[test]
    fn erasure_hashes_are_of_canonical_keys_and_older_hashes_still_match() {
        let salt = "pepper";
        assert_eq!(
            person_hash(salt, "Ann <ANN@example.com.>"),
            person_hash(salt, "ann@example.com")
        );
        assert_eq!(person_hash(salt, "C9\u{200B}"), person_hash(salt, "c9"));
        let hashes = person_hashes(salt, "bob+news@x.com");
        assert_eq!(hashes.len(), 2);
        assert_eq!(hashes[1], person_hash(salt, "bob@x.com"));
        let list = SuppressionList::new(vec![], vec![], vec![], hashes, salt);
        assert!(list.blocks("new", Some("bob@x.com")));
        assert!(list.blocks("new", Some("bob+other@x.com")));
        // A hash made before canonical keys: of the trimmed, lower-cased value.
        let legacy = hash_key(salt, &"Straße@x.de".to_lowercase());
        let list = SuppressionList::new(vec![], vec![], vec![], vec![legacy.clone()], salt);
        assert!(list.is_erased("Straße@x.de"));
        assert_eq!(list.erased_key_of("Straße@x.de"), Some(erased_key(&legacy)));
    }
}
