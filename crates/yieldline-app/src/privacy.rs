//! Suppression and erasure (DESIGN §2, §9, §12).

use yieldline_core::suppression::{SuppressionKind, parse_domain, parse_email};
use yieldline_store::{Added, Compaction, EraseOutcome, SuppressionEntry, SuppressionLogEntry};

use crate::error::{AppError, AppResult};
use crate::workspace::Workspace;

/// What a suppression names, as given by a person or a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A contact id.
    Contact(String),
    /// An e-mail address.
    Email(String),
    /// A whole domain.
    Domain(String),
    /// An erased person's hash (removal only).
    Hash(String),
}

impl Target {
    /// The validated, canonical kind and target.
    pub fn canonical(&self) -> AppResult<(SuppressionKind, String)> {
        match self {
            Self::Contact(id) => {
                let id = yieldline_core::identity::canonical_id(id);
                let id = id.as_ref();
                if id.is_empty() || id.chars().any(char::is_control) {
                    return Err(AppError::invalid(
                        "contact",
                        format!("contact: {id:?} is not a contact id"),
                    ));
                }
                Ok((SuppressionKind::Contact, id.to_owned()))
            }
            Self::Email(e) => parse_email(e)
                .map(|e| (SuppressionKind::Email, e))
                .map_err(|m| AppError::invalid("email", format!("email: {m}"))),
            Self::Domain(d) => parse_domain(d)
                .map(|d| (SuppressionKind::Domain, d))
                .map_err(|m| AppError::invalid("domain", format!("domain: {m}"))),
            Self::Hash(h) => {
                let h = h.trim().to_ascii_lowercase();
                if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(AppError::invalid(
                        "hash",
                        format!(
                            "hash: {h:?} is not a hash (64 hexadecimal digits, as `suppress list` shows)"
                        ),
                    ));
                }
                Ok((SuppressionKind::Erased, h))
            }
        }
    }
}

fn text(param: &str, value: &str) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::invalid(
            param,
            format!("{param} must be given (say who and why)"),
        ));
    }
    Ok(v.to_owned())
}

/// Suppresses a target: `Ok(Added::Exists)` when it already was.
pub fn suppress(
    ws: &Workspace,
    target: &Target,
    by: &str,
    reason: &str,
) -> AppResult<(SuppressionKind, String, Added)> {
    if matches!(target, Target::Hash(_)) {
        return Err(AppError::invalid(
            "hash",
            "an erased person is suppressed already; a hash cannot be added",
        ));
    }
    let (kind, canonical) = target.canonical()?;
    let by = text("by", by)?;
    let reason = text("reason", reason)?;
    let added = ws.store.suppress(kind, &canonical, &by, &reason)?;
    Ok((kind, canonical, added))
}

/// Removes a suppression (logged).
pub fn unsuppress(
    ws: &Workspace,
    target: &Target,
    by: &str,
    reason: &str,
) -> AppResult<(SuppressionKind, String, SuppressionEntry)> {
    let (kind, canonical) = target.canonical()?;
    let by = text("by", by)?;
    let reason = text("reason", reason)?;
    match ws.store.unsuppress(kind, &canonical, &by, &reason)? {
        Some(e) => Ok((kind, canonical, e)),
        None => Err(AppError::not_found(format!(
            "{} {canonical} is not suppressed (see `yieldline suppress list`)",
            kind.as_str()
        ))),
    }
}

/// Every suppression entry.
pub fn entries(ws: &Workspace) -> AppResult<Vec<SuppressionEntry>> {
    Ok(ws.store.suppression_entries()?)
}

/// One suppression entry as every interface shows it (`suppress list --format json`,
/// `GET suppressions`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryView {
    /// `contact`, `email`, `domain` or `erased`.
    pub kind: String,
    /// The contact id, address, domain or erased person's hash.
    pub target: String,
    /// When it was added (RFC 3339).
    pub added_at: String,
    /// Who added it.
    pub added_by: String,
    /// Why.
    pub reason: String,
}

impl From<&SuppressionEntry> for EntryView {
    fn from(e: &SuppressionEntry) -> Self {
        Self {
            kind: e.kind.as_str().to_owned(),
            target: e.target.clone(),
            added_at: e.added_at.clone(),
            added_by: e.added_by.clone(),
            reason: e.reason.clone(),
        }
    }
}

/// Every suppression entry, ordered by kind then target, as shown.
pub fn entry_views(ws: &Workspace) -> AppResult<Vec<EntryView>> {
    Ok(entries(ws)?.iter().map(EntryView::from).collect())
}

/// The suppression log, oldest first.
pub fn log(ws: &Workspace) -> AppResult<Vec<SuppressionLogEntry>> {
    Ok(ws.store.suppression_log()?)
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Erased {
    /// The person was erased now; the files of the workspace (other than the store)
    /// that still name them — files the product wrote, such as the demo's inputs, an
    /// `experiment assign` output or a rejects file, or the user's own — are listed.
    Now(
        yieldline_store::Erasure,
        Compaction,
        Vec<std::path::PathBuf>,
    ),
    /// The person was erased before; the store was compacted again.
    Before(Compaction),
}

/// Erases a person (contact id or e-mail) and compacts the store.
pub fn erase(ws: &Workspace, who: &str, by: &str, reason: &str) -> AppResult<Erased> {
    let who = who.trim();
    if who.is_empty() {
        return Err(AppError::invalid(
            "who",
            "name the person to erase: a contact id or an e-mail address",
        ));
    }
    let by = text("by", by)?;
    let outcome = ws
        .store
        .erase(who, &by, reason.trim())
        .map_err(|e| AppError::from(e).context("the erasure failed; nothing was changed"))?;
    match outcome {
        EraseOutcome::Unknown => Err(AppError::not_found(format!(
            "no contact, e-mail address or unit {who:?} in this workspace: nothing erased"
        ))),
        EraseOutcome::AlreadyErased => {
            let c = ws
                .store
                .compact()
                .map_err(|e| AppError::from(e).context("compacting the store failed"))?;
            Ok(Erased::Before(c))
        }
        EraseOutcome::Erased(e) => {
            let c = ws.store.compact().map_err(|e| {
                AppError::from(e).context("the person was erased, but compacting the store failed: run `yieldline erase` again later to purge the old pages")
            })?;
            let files = files_naming(ws, &e.personal_values);
            Ok(Erased::Now(e, c, files))
        }
    }
}

/// Files under the workspace directory (three levels down at most, the store itself
/// left out) whose text contains one of `values` in any letter case.
fn files_naming(ws: &Workspace, values: &[String]) -> Vec<std::path::PathBuf> {
    let protected = ws.protected_files();
    let values: Vec<String> = values
        .iter()
        .map(|v| v.to_lowercase())
        .filter(|v| v.chars().count() >= 3)
        .collect();
    let mut out = Vec::new();
    let mut stack = vec![(ws.dir.clone(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                if depth < 3 {
                    stack.push((path, depth + 1));
                }
                continue;
            }
            if !meta.is_file() || protected.contains(&path) || meta.len() > (1 << 30) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes).to_lowercase();
            if values.iter().any(|v| text.contains(v.as_str())) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
