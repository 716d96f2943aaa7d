//! Canonical identities: the one rule by which an e-mail address, a domain or a unit id
//! is compared, wherever it enters Yieldline (territory import, event import,
//! `suppress add`, `erase`, opt-out events, dispatch).
//!
//! # E-mail addresses ([`canonical_email`])
//! In this order:
//! 1. **Invisible characters** are removed wherever they are: U+200B ZERO WIDTH SPACE,
//!    U+200C ZERO WIDTH NON-JOINER, U+200D ZERO WIDTH JOINER, U+2060 WORD JOINER and
//!    U+FEFF ZERO WIDTH NO-BREAK SPACE (a byte-order mark) — see [`INVISIBLE`]; then
//!    surrounding Unicode `White_Space` is trimmed.
//! 2. A **display name** is dropped: `Ann Example <ann@example.com>` and
//!    `"Example, Ann" <ann@example.com>` are `ann@example.com` (the text inside the last
//!    `<…>` when the input ends with `>`).
//! 3. A **`mailto:`** prefix (any letter case) is dropped, with any `?query` after the
//!    address.
//! 4. **Unicode NFKC, then full case folding**, repeated until stable (so the result is
//!    a fixed point: canonicalising a canonical address changes nothing). `ＡＮＮ@ｅｘａｍｐｌｅ.ｃｏｍ`
//!    (full-width), `Ann@Example.COM` and `ann@example.com` are one address; `Ändrea` is
//!    `ändrea`, `STRASSE` and `straße` are both `strasse`.
//! 5. The address splits at its **last `@`**. The local part must be non-empty, without
//!    white space or control characters; the domain must pass [`canonical_domain`] (which
//!    drops **one trailing dot**: `ann@example.com.` is `ann@example.com`).
//!
//! Letter case in the local part is significant by RFC 5321, but no mail system in
//! practice delivers `Ann@` and `ann@` to different people, and for suppression
//! over-blocking is the safe failure, so addresses are case-folded whole.
//!
//! # Domains ([`canonical_domain`])
//! Invisible characters removed and white space trimmed as above, NFKC and case folding,
//! the ideographic full stops U+3002 and U+FF61 read as `.`, one trailing `.` dropped;
//! then at least two labels of letters, digits and `-` (not at either end of a label),
//! each at most 63 characters, at most 253 in all. Internationalised names are compared
//! in their Unicode form; an `xn--` (Punycode) spelling is not decoded, so it is a
//! different domain from its Unicode spelling.
//!
//! # `+tag`s ([`PlusTags`])
//! `ann+news@example.com` is `ann@example.com` with a sub-address. With the default
//! [`PlusTags::MatchUntagged`] (`[identity] plus_tags = "match-untagged"` in
//! `line.toml`), suppression matching compares addresses with the tag removed
//! ([`untagged`]): suppressing a tagged address blocks the untagged one and every other
//! tag of it, and suppressing the untagged address blocks every tagged form. Over-
//! blocking someone's second inbox is safe; reaching a person who opted out under a
//! tagged address is harm. [`PlusTags::Distinct`] (`plus_tags = "distinct"`) compares
//! whole addresses, for domains where `+` is an ordinary character of distinct
//! mailboxes. The canonical address itself always keeps its tag.
//!
//! # Unit ids ([`canonical_id`], [`id_match_key`])
//! CRM ids can be case-sensitive (a 15-character Salesforce id differs from another in
//! letter case only), so for **identity** — what is stored, interned and shown — an id
//! is only cleaned: invisible characters removed, surrounding white space trimmed, and
//! Unicode NFC (canonical composition, which changes no letter). **Suppression matching**
//! of ids is case-insensitive: two ids match when their [`id_match_key`]s (NFKC and full
//! case folding of the canonical id) are equal, so suppressing `c1` blocks `C1` too —
//! over-blocking, never under-blocking.

use std::borrow::Cow;

use caseless::default_case_fold_str;
use unicode_normalization::{UnicodeNormalization, is_nfc, is_nfkc};

/// Invisible characters removed from every address, domain and id, wherever they occur.
pub const INVISIBLE: [char; 5] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];

/// Why a text is not an e-mail address or a domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Nothing left after cleaning.
    #[error("{what} is empty")]
    Empty {
        /// `the e-mail address` or `the domain`.
        what: &'static str,
    },
    /// No `@` in an address.
    #[error("{input:?} is not an e-mail address (no '@')")]
    NoAt {
        /// The text given.
        input: String,
    },
    /// An unusable local part.
    #[error("{input:?} is not an e-mail address (bad local part)")]
    BadLocal {
        /// The text given.
        input: String,
    },
    /// An address whose domain is not a domain.
    #[error("{input:?} is not an e-mail address (bad domain {domain:?}: {why})")]
    BadAddressDomain {
        /// The text given.
        input: String,
        /// The domain part.
        domain: String,
        /// What is wrong with it.
        why: String,
    },
    /// A display name with an unclosed `<` or `>`.
    #[error("{input:?} is not an e-mail address (unbalanced '<' and '>')")]
    Unbalanced {
        /// The text given.
        input: String,
    },
    /// A domain with a local part.
    #[error("{input:?} is not a domain (write it without a local part or '@', e.g. example.com)")]
    DomainWithAt {
        /// The text given.
        input: String,
    },
    /// Not a domain name.
    #[error("{input:?} is not a domain ({why})")]
    BadDomain {
        /// The text given.
        input: String,
        /// What is wrong.
        why: String,
    },
}

/// How `+tag` sub-addresses match in suppression (`[identity] plus_tags` in `line.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlusTags {
    /// `ann+x@d` and `ann@d` match each other (and `ann+y@d`): the default, because
    /// over-blocking is safe and under-blocking is harm.
    #[default]
    MatchUntagged,
    /// Whole addresses are compared: `ann+x@d` and `ann@d` are different people.
    Distinct,
}

impl PlusTags {
    /// Parses `match-untagged` or `distinct`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "match-untagged" => Some(Self::MatchUntagged),
            "distinct" => Some(Self::Distinct),
            _ => None,
        }
    }

    /// The setting's name in `line.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MatchUntagged => "match-untagged",
            Self::Distinct => "distinct",
        }
    }
}

/// `s` with [`INVISIBLE`] characters removed and surrounding Unicode white space trimmed.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.contains(INVISIBLE) {
        let kept: String = s.chars().filter(|c| !INVISIBLE.contains(c)).collect();
        Cow::Owned(kept.trim().to_owned())
    } else {
        Cow::Borrowed(s.trim())
    }
}

/// NFKC and full case folding, repeated until stable (at most a few rounds; ASCII takes
/// the fast path of ASCII lower-casing, which is what both steps do to it).
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut cur: String = s.nfkc().collect();
    for _ in 0..4 {
        let folded = default_case_fold_str(&cur);
        let next: String = if is_nfkc(&folded) {
            folded
        } else {
            folded.nfkc().collect()
        };
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

/// The canonical form of a unit (contact or account) id for identity: [`clean`]ed and
/// in Unicode NFC. Letter case is kept (CRM ids can be case-sensitive).
pub fn canonical_id(s: &str) -> Cow<'_, str> {
    match clean(s) {
        Cow::Borrowed(b) if b.is_ascii() || is_nfc(b) => Cow::Borrowed(b),
        c => {
            if is_nfc(&c) {
                c
            } else {
                Cow::Owned(c.nfc().collect())
            }
        }
    }
}

/// The key under which ids match in suppression: [`fold`] of the [`canonical_id`]
/// (case-insensitive, compatibility characters folded).
pub fn id_match_key(s: &str) -> String {
    let mut key = fold(&canonical_id(s));
    // NFKC can turn a character into white space plus a combining mark (U+00B8 → " ̧"):
    // trim and fold again until stable, so a key is its own key.
    for _ in 0..4 {
        let cleaned = clean(&key);
        if cleaned == key.as_str() {
            break;
        }
        key = fold(&cleaned);
    }
    key
}

/// Drops a display name (`Name <addr>`) and a `mailto:` prefix, trimming as it goes.
fn strip_wrappers(s: &str) -> Result<&str, IdentityError> {
    let mut s = s;
    if let Some(inner) = s.strip_suffix('>') {
        let Some(open) = inner.rfind('<') else {
            return Err(IdentityError::Unbalanced {
                input: s.to_owned(),
            });
        };
        s = inner[open + 1..].trim();
    } else if s.contains('<') || s.contains('>') {
        return Err(IdentityError::Unbalanced {
            input: s.to_owned(),
        });
    }
    if s.len() >= 7 && s.is_char_boundary(7) && s[..7].eq_ignore_ascii_case("mailto:") {
        s = s[7..].trim();
        if let Some((addr, _query)) = s.split_once('?') {
            s = addr.trim();
        }
    }
    Ok(s)
}

/// The canonical form of an e-mail address (see the [module docs](self)): what is
/// stored, compared and hashed.
pub fn canonical_email(input: &str) -> Result<String, IdentityError> {
    // Fold first, so that what NFKC turns into `<`, `>`, `@` or `:` (full-width forms)
    // is read as such, and the result is a fixed point.
    let folded = fold(&clean(input));
    let bare = strip_wrappers(clean(&folded).as_ref())
        .map_err(|_| IdentityError::Unbalanced {
            input: input.to_owned(),
        })?
        .to_owned();
    if bare.is_empty() {
        return Err(IdentityError::Empty {
            what: "the e-mail address",
        });
    }
    let folded = bare;
    let Some((local, domain)) = folded.rsplit_once('@') else {
        return Err(IdentityError::NoAt {
            input: input.to_owned(),
        });
    };
    if local.is_empty()
        || local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    {
        return Err(IdentityError::BadLocal {
            input: input.to_owned(),
        });
    }
    let domain = domain_labels(domain).map_err(|why| IdentityError::BadAddressDomain {
        input: input.to_owned(),
        domain: domain.to_owned(),
        why,
    })?;
    Ok(format!("{local}@{domain}"))
}

/// The canonical form of a domain (see the [module docs](self)).
pub fn canonical_domain(input: &str) -> Result<String, IdentityError> {
    let cleaned = clean(input);
    if cleaned.is_empty() {
        return Err(IdentityError::Empty { what: "the domain" });
    }
    if cleaned.contains('@') {
        return Err(IdentityError::DomainWithAt {
            input: input.to_owned(),
        });
    }
    domain_labels(&fold(&cleaned)).map_err(|why| IdentityError::BadDomain {
        input: input.to_owned(),
        why,
    })
}

/// Validates an already folded domain: ideographic stops as `.`, one trailing `.`
/// dropped, label rules.
fn domain_labels(folded: &str) -> Result<String, String> {
    let mut d: String = if folded.contains(['\u{3002}', '\u{FF61}']) {
        folded.replace(['\u{3002}', '\u{FF61}'], ".")
    } else {
        folded.to_owned()
    };
    if d.ends_with('.') {
        d.pop();
    }
    if d.is_empty() {
        return Err("it is empty".into());
    }
    if d.chars().count() > 253 || !d.contains('.') {
        return Err("expected a name like example.com".into());
    }
    for label in d.split('.') {
        let ok = !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return Err(format!("label {label:?} is not valid"));
        }
    }
    Ok(d)
}

/// The untagged form of a canonical address (`ann+news@d` → `ann@d`), or `None` when it
/// has no tag. A local part that starts with `+` has no tag to drop.
pub fn untagged(canonical: &str) -> Option<String> {
    let (local, domain) = canonical.rsplit_once('@')?;
    match local.find('+') {
        Some(i) if i > 0 => Some(format!("{}@{domain}", &local[..i])),
        _ => None,
    }
}

/// The key a canonical address matches under with `rule`: the address itself, or its
/// untagged form with [`PlusTags::MatchUntagged`].
pub fn email_match_key(canonical: &str, rule: PlusTags) -> Cow<'_, str> {
    match rule {
        PlusTags::MatchUntagged => untagged(canonical).map_or(Cow::Borrowed(canonical), Cow::Owned),
        PlusTags::Distinct => Cow::Borrowed(canonical),
    }
}

/// The domain of a canonical address: the part after the last `@`.
pub fn domain_of(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, d)| d)
}

/// The key a personal value (a contact id or an e-mail address) is hashed under for
/// erasure: the [`canonical_email`] when the value is an address, else its
/// [`id_match_key`].
pub fn person_key(value: &str) -> String {
    if value.contains('@')
        && let Ok(e) = canonical_email(value)
    {
        return e;
    }
    id_match_key(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_in_every_ordinary_spelling_are_one() {
        for spelling in [
            "ann@example.com",
            "Ann@Example.COM",
            "  ann@example.com\t",
            "ann@example.com.",
            "ann@example.com\u{200B}",
            "\u{FEFF}ann@exa\u{200D}mple.com",
            "Ann Example <ann@example.com>",
            "\"Example, Ann\" <ANN@example.com.>",
            "<ann@example.com>",
            "mailto:ann@example.com",
            "MAILTO:Ann@Example.com?subject=hi",
            "Ann <mailto:ann@example.com>",
            "ａｎｎ@ｅｘａｍｐｌｅ.ｃｏｍ",
            "ann@example\u{3002}com",
            "\u{00A0}ann@example.com\u{3000}",
        ] {
            assert_eq!(
                canonical_email(spelling).as_deref(),
                Ok("ann@example.com"),
                "{spelling:?}"
            );
        }
    }

    #[test]
    fn non_ascii_letters_are_case_folded_and_normalized() {
        assert_eq!(
            canonical_email("Ändrea.Olund@Example.se").as_deref(),
            Ok("ändrea.olund@example.se")
        );
        // Decomposed A + combining diaeresis is the same address.
        assert_eq!(
            canonical_email("A\u{0308}ndrea.Olund@example.se").as_deref(),
            Ok("ändrea.olund@example.se")
        );
        assert_eq!(
            canonical_email("STRASSE@x.de"),
            canonical_email("straße@x.de")
        );
        assert_eq!(
            canonical_domain("BÜCHER.Example.").as_deref(),
            Ok("bücher.example")
        );
    }

    #[test]
    fn canonical_forms_are_fixed_points() {
        for s in [
            "Ä\u{0308}@x.com",
            "ﬃ@x.com",
            "ǅ@x.com",
            "ΣΑΣ@x.gr",
            "ᾼ@x.gr",
            "ann+Tag@x.com",
        ] {
            let once = canonical_email(s).expect("valid");
            assert_eq!(
                canonical_email(&once).as_deref(),
                Ok(once.as_str()),
                "{s:?}"
            );
        }
    }

    #[test]
    fn malformed_addresses_and_domains_are_refused() {
        for bad in [
            "",
            " \u{200B} ",
            "ann",
            "@example.com",
            "ann@",
            "ann@localhost",
            "an n@example.com",
            "ann@exa mple.com",
            "Ann <ann@example.com",
            "ann@example.com>",
            "ann@example..com",
            "mailto:",
        ] {
            assert!(canonical_email(bad).is_err(), "{bad:?}");
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
            ".",
        ] {
            assert!(canonical_domain(bad).is_err(), "{bad:?}");
        }
        let e = canonical_email("ann@exa mple.com").expect_err("bad");
        assert!(e.to_string().contains("bad domain"), "{e}");
    }

    #[test]
    fn ids_keep_their_case_for_identity_and_fold_for_matching() {
        assert_eq!(canonical_id(" 0015g00000AbCdE\u{200B} "), "0015g00000AbCdE");
        assert_eq!(canonical_id("e\u{0301}"), "\u{00E9}");
        assert_eq!(canonical_id("C1"), "C1");
        assert_eq!(id_match_key("C1"), id_match_key(" c1\u{FEFF}"));
        assert_eq!(id_match_key("Ｃ１"), "c1");
        assert_ne!(
            canonical_id("0015g00000AbCdE"),
            canonical_id("0015g00000abcde")
        );
    }

    #[test]
    fn plus_tags() {
        assert_eq!(untagged("bob+news@x.com").as_deref(), Some("bob@x.com"));
        assert_eq!(untagged("bob+a+b@x.com").as_deref(), Some("bob@x.com"));
        assert_eq!(untagged("bob@x.com"), None);
        assert_eq!(untagged("+bob@x.com"), None);
        assert_eq!(
            email_match_key("bob+news@x.com", PlusTags::MatchUntagged),
            "bob@x.com"
        );
        assert_eq!(
            email_match_key("bob+news@x.com", PlusTags::Distinct),
            "bob+news@x.com"
        );
        assert_eq!(PlusTags::parse("distinct"), Some(PlusTags::Distinct));
        assert_eq!(PlusTags::default().as_str(), "match-untagged");
    }

    #[test]
    fn person_keys() {
        assert_eq!(person_key(" Ann <Ann@Example.com.>"), "ann@example.com");
        assert_eq!(person_key("C9"), "c9");
        assert_eq!(person_key("not@an address"), "not@an address");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        #[test]
        fn canonicalisation_is_idempotent(local in "\\PC{1,12}", domain in "\\PC{1,8}\\.[a-zA-Zé]{2,4}\\.?", id in "\\PC{0,16}") {
            let s = format!("{local}@{domain}");
            if let Ok(once) = canonical_email(&s) {
                proptest::prop_assert_eq!(canonical_email(&once), Ok(once.clone()));
                proptest::prop_assert_eq!(person_key(&once), once);
            }
            if let Ok(d) = canonical_domain(&domain) {
                proptest::prop_assert_eq!(canonical_domain(&d), Ok(d.clone()));
            }
            let c = canonical_id(&id).into_owned();
            proptest::prop_assert_eq!(canonical_id(&c), c.as_str());
            let k = id_match_key(&id);
            proptest::prop_assert_eq!(id_match_key(&k), k);
        }
    }
}
