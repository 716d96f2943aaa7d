//! API tokens of the HTTP server: made here, stored by the workspace's store as a hash
//! only, checked here (the CLI's `token` commands and the server share this module).
//!
//! A token is `ylt_` followed by 64 hexadecimal digits: 256 bits from the operating
//! system's random generator. The store keeps the SHA-256 of the whole token (a fast
//! hash is enough for secrets this long: there is nothing to guess), and a token is
//! found by that hash, then its stored hash is compared with the computed one in
//! constant time. A token belongs to the one workspace whose store holds it.

use serde::Serialize;
use sha2::{Digest, Sha256};
use yieldline_store::TokenRecord;

use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;

/// What every token starts with (so a leaked one is recognisable).
pub const TOKEN_PREFIX: &str = "ylt_";
/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// What a token may do. Each role may do everything the roles before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads: reports, drift, plans, the watch, dispatch, experiments, suppressions.
    Viewer,
    /// Also imports, creates and stops experiments, adds suppressions.
    Analyst,
    /// Also removes suppressions, erases people and manages tokens.
    Admin,
}

impl Role {
    /// Parses `viewer`, `analyst` or `admin`.
    pub fn parse(s: &str) -> AppResult<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Self::Viewer),
            "analyst" => Ok(Self::Analyst),
            "admin" => Ok(Self::Admin),
            other => Err(AppError::invalid(
                "role",
                format!("role {other:?}: use viewer, analyst or admin"),
            )),
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Analyst => "analyst",
            Self::Admin => "admin",
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// A token as listed: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: Role,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
}

/// A token just created: the only time its secret is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// What is stored of it.
    pub info: TokenInfo,
    /// The secret to give its holder (`ylt_…`).
    pub secret: String,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The stored hash of a token's secret: SHA-256, lower-case hex.
pub fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether two byte strings are equal, in time that depends on their lengths only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_hex(n: usize) -> AppResult<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| {
        AppError::internal(format!(
            "the operating system's random generator failed: {e}"
        ))
    })?;
    Ok(hex(&buf))
}

fn check_name(name: &str) -> AppResult<&str> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(name)
    } else {
        Err(AppError::invalid(
            "name",
            format!("name {name:?}: use 1 to 64 letters, digits, '.', '_' or '-'"),
        ))
    }
}

fn info(r: TokenRecord) -> AppResult<TokenInfo> {
    Ok(TokenInfo {
        role: Role::parse(&r.role)
            .map_err(|_| AppError::internal(format!("token {:?} has an unknown role", r.name)))?,
        name: r.name,
        created_at: r.created_at,
        created_by: r.created_by,
    })
}

/// Creates a token with `role` (named `name`, default `ROLE-XXXXXXXX`), stores its hash
/// and returns its secret, which is never shown again.
pub fn create(ws: &Workspace, role: Role, name: Option<&str>, by: &str) -> AppResult<NewToken> {
    let name = match name {
        Some(n) => check_name(n.trim())?.to_owned(),
        None => format!("{}-{}", role.as_str(), random_hex(4)?),
    };
    let secret = format!("{TOKEN_PREFIX}{}", random_hex(TOKEN_BYTES)?);
    if !ws
        .store
        .insert_token(&name, role.as_str(), &hash(&secret), by)?
    {
        return Err(AppError::conflict(format!(
            "a token named {name:?} exists already: choose another name, or revoke it first"
        )));
    }
    let stored = ws
        .store
        .tokens()?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| AppError::internal(format!("token {name:?} was not kept")))?;
    Ok(NewToken {
        info: info(stored)?,
        secret,
    })
}

/// Every token of the workspace, by name (no secrets: they are not kept).
pub fn list(ws: &Workspace) -> AppResult<Vec<TokenInfo>> {
    ws.store.tokens()?.into_iter().map(info).collect()
}

/// Revokes the token `name`: it stops working at once.
pub fn revoke(ws: &Workspace, name: &str) -> AppResult<()> {
    if ws.store.revoke_token(name.trim())? {
        Ok(())
    } else {
        Err(AppError::not_found(format!(
            "no token named {name:?} in this workspace (see `yieldline token list`)"
        )))
    }
}

/// The token of this workspace whose secret is `secret`, if any. Never writes.
pub fn authenticate(ws: &Workspace, secret: &str) -> AppResult<Option<TokenInfo>> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() != TOKEN_PREFIX.len() + 2 * TOKEN_BYTES {
        return Ok(None);
    }
    let h = hash(secret);
    match ws.store.token_by_hash(&h)? {
        Some(r) if constant_time_eq(r.hash.as_bytes(), h.as_bytes()) => info(r).map(Some),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_and_parsed() {
        assert!(Role::Admin.allows(Role::Analyst));
        assert!(Role::Analyst.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Analyst));
        assert!(!Role::Analyst.allows(Role::Admin));
        assert_eq!(Role::parse(" Admin ").expect("role"), Role::Admin);
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn hashes_are_sha256_hex_and_comparison_is_exact() {
        // `printf abc | sha256sum`
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn tokens_are_random_checked_and_revocable() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join(crate::LINE_FILE),
            yieldline_core::line::TEMPLATE,
        )
        .expect("line");
        let ws = Workspace::open(dir.path()).expect("ws");
        let a = create(&ws, Role::Viewer, Some("ci"), "ops").expect("create");
        let b = create(&ws, Role::Admin, None, "ops").expect("create");
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 64);
        assert!(b.info.name.starts_with("admin-"));
        assert!(create(&ws, Role::Admin, Some("ci"), "ops").is_err());
        let found = authenticate(&ws, &a.secret).expect("auth").expect("known");
        assert_eq!((found.name.as_str(), found.role), ("ci", Role::Viewer));
        let mut wrong = a.secret.clone();
        wrong.pop();
        wrong.push('x');
        assert!(authenticate(&ws, &wrong).expect("auth").is_none());
        assert_eq!(list(&ws).expect("list").len(), 2);
        revoke(&ws, "ci").expect("revoke");
        assert!(authenticate(&ws, &a.secret).expect("auth").is_none());
        assert_eq!(
            revoke(&ws, "ci").map_err(|e| e.kind),
            Err(crate::ErrorKind::NotFound)
        );
    }
}
