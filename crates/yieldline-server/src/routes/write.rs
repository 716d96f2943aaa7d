//! The routes that write: experiments, imports, suppressions and erasures.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use yieldline_app::AppError;
use yieldline_app::experiments::ExperimentRequest;
use yieldline_app::import::{EventFormat, ImportKind, ImportSummary};
use yieldline_app::privacy::{self, EntryView, Erased, Target};
use yieldline_store::Added;

use super::{
    Access, Admin, Analyst, body_error, content_length, json_response, next_chunk, render_json,
};
use crate::error::ApiError;
use crate::schemas::*;
use crate::state::blocking;

// -- experiments ----------------------------------------------------------------------

/// Defines and stores a new experiment (analyst).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/experiments", tag = "experiments",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(content = ExperimentRequest, content_type = "application/json"),
    responses((status = 201, description = "Created: the definition", body = ExperimentBody), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn experiments_create(a: Access<Analyst>, body: Body) -> Result<Response, ApiError> {
    a.no_query()?;
    let req: ExperimentRequest = a.json_body(body).await?;
    let bytes = a
        .run(move |ws| {
            render_json(&yieldline_app::experiments::create(ws, &req).map_err(body_error)?)
        })
        .await?;
    Ok(json_response(StatusCode::CREATED, bytes))
}

/// Stops a running experiment (analyst).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/experiments/{id}/stop", tag = "experiments",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("id" = String, Path, description = "The experiment's id"),
        ("at" = Option<String>, Query, description = "When it stopped: RFC 3339, a date (local midnight) or `now` (default)"),
    ),
    responses((status = 200, description = "Stopped: the definition", body = ExperimentBody), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn experiment_stop(a: Access<Analyst>) -> Result<Response, ApiError> {
    let at = a
        .query(&["at"])?
        .text("at")
        .unwrap_or_else(|| "now".to_owned());
    let id = a.id.clone();
    a.run_json(move |ws| Ok(yieldline_app::experiments::stop(ws, &id, &at)?))
        .await
}

// -- imports --------------------------------------------------------------------------

fn media_type<R>(a: &Access<R>) -> String {
    a.headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Streams the body into a temporary file in the workspace's `tmp/` directory, then
/// imports it in one transaction (all or nothing, as `yieldline import`).
async fn import_body(
    a: &Access<Analyst>,
    body: Body,
    kind: ImportKind,
    format: Option<EventFormat>,
) -> Result<Response, ApiError> {
    let limit = a.state.limits.import_body;
    if content_length(&a.headers).is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(limit));
    }
    let tmp_dir = a.served.ws.dir.join(crate::UPLOAD_DIR);
    let suffix = match format {
        Some(EventFormat::Jsonl) => ".jsonl",
        _ => ".csv",
    };
    let tmp = blocking(move || {
        std::fs::create_dir_all(&tmp_dir)
            .and_then(|()| {
                tempfile::Builder::new()
                    .prefix(crate::UPLOAD_PREFIX)
                    .suffix(suffix)
                    .tempfile_in(&tmp_dir)
            })
            .map_err(|e| ApiError::internal(format!("cannot make an upload file: {e}")))
    })
    .await?;
    let std_file = tmp
        .reopen()
        .map_err(|e| ApiError::internal(format!("cannot open the upload file: {e}")))?;
    let mut file = tokio::fs::File::from_std(std_file);
    let mut body = body;
    let mut written: u64 = 0;
    while let Some(data) = next_chunk(&mut body, &mut written, limit).await? {
        tokio::io::AsyncWriteExt::write_all(&mut file, &data)
            .await
            .map_err(|e| ApiError::internal(format!("cannot write the upload file: {e}")))?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(|e| ApiError::internal(format!("cannot write the upload file: {e}")))?;
    drop(file);
    a.run_json(move |ws| {
        let summary = yieldline_app::import::import_upload(ws, kind, tmp.path(), format, "body")
            .map_err(body_error)?;
        drop(tmp);
        Ok(summary)
    })
    .await
}

/// Imports activity events (analyst): JSON Lines or CSV with a header, validated,
/// idempotent and all-or-nothing as `yieldline import events`.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/events", tag = "imports",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(description = "Events: CSV with a header row, or JSON Lines (at most 256 MiB)",
        content((String = "text/csv"), (String = "application/x-ndjson"))),
    responses((status = 200, description = "Imported: the counts", body = ImportSummary), crate::openapi::ImportErrors),
    security(("bearer" = [])))]
pub async fn events(a: Access<Analyst>, body: Body) -> Result<Response, ApiError> {
    a.no_query()?;
    let format = match media_type(&a).as_str() {
        "text/csv" => EventFormat::Csv,
        "application/x-ndjson" | "application/jsonl" | "application/jsonlines" => {
            EventFormat::Jsonl
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("content type {other:?}: send text/csv or application/x-ndjson"),
            ));
        }
    };
    import_body(&a, body, ImportKind::Events, Some(format)).await
}

/// Imports territory contacts (analyst): CSV, as `yieldline import territory`.
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/territory", tag = "imports",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(description = "Contacts: CSV with contact_id,account_id[,fit_tier,first_name,last_name,email,title] (at most 256 MiB)",
        content((String = "text/csv"))),
    responses((status = 200, description = "Imported: the counts", body = ImportSummary), crate::openapi::ImportErrors),
    security(("bearer" = [])))]
pub async fn territory(a: Access<Analyst>, body: Body) -> Result<Response, ApiError> {
    a.no_query()?;
    if media_type(&a) != "text/csv" {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the territory as text/csv",
        ));
    }
    import_body(&a, body, ImportKind::Territory, None).await
}

// -- suppression and erasure ----------------------------------------------------------

/// A suppression to add.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionRequest {
    /// `contact`, `email` or `domain`.
    pub kind: String,
    /// The contact id, e-mail address or domain.
    pub target: String,
    /// Why (kept with the entry).
    pub reason: String,
    /// Who asks (default: `token:NAME` of the request's token).
    #[serde(default)]
    pub by: Option<String>,
}

fn target_of(kind: &str, target: &str, hash_allowed: bool) -> Result<Target, AppError> {
    match kind {
        "contact" => Ok(Target::Contact(target.to_owned())),
        "email" => Ok(Target::Email(target.to_owned())),
        "domain" => Ok(Target::Domain(target.to_owned())),
        "erased" if hash_allowed => Ok(Target::Hash(target.to_owned())),
        other => Err(AppError::invalid(
            "kind",
            format!("kind {other:?}: use contact, email or domain"),
        )),
    }
}

/// Suppresses a contact, an e-mail address or a domain (analyst). 201 when new, 200
/// when it was suppressed already (the entry is unchanged).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/suppressions", tag = "privacy",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(content = SuppressionRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Suppressed: the entry", body = EntryView),
        (status = 200, description = "Suppressed already: the existing entry", body = EntryView),
        crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn suppressions_add(a: Access<Analyst>, body: Body) -> Result<Response, ApiError> {
    a.no_query()?;
    let req: SuppressionRequest = a.json_body(body).await?;
    let by = a.actor(req.by.as_deref());
    let (status, bytes) = a
        .run(move |ws| {
            let t = target_of(&req.kind, &req.target, false).map_err(body_error)?;
            let (kind, canonical, added) =
                privacy::suppress(ws, &t, &by, &req.reason).map_err(body_error)?;
            let (status, entry) = match added {
                Added::Exists(e) => (StatusCode::OK, EntryView::from(&e)),
                Added::New => {
                    let entry = privacy::entries(ws)?
                        .iter()
                        .find(|e| e.kind == kind && e.target == canonical)
                        .map(EntryView::from)
                        .ok_or_else(|| ApiError::internal("the new entry was not found"))?;
                    (StatusCode::CREATED, entry)
                }
            };
            Ok((status, render_json(&entry)?))
        })
        .await?;
    Ok(json_response(status, bytes))
}

/// Removes a suppression (admin; logged). The id is `KIND:TARGET`, percent-encoded
/// (e.g. `email:ann%40example.com`), KIND one of contact, email, domain or erased.
#[utoipa::path(delete, path = "/api/v1/workspaces/{ws}/suppressions/{id}", tag = "privacy",
    params(
        ("ws" = String, Path, description = "The workspace's name"),
        ("id" = String, Path, description = "KIND:TARGET, percent-encoded"),
        ("reason" = Option<String>, Query, description = "Why (kept in the log; default: removed through the HTTP API)"),
        ("by" = Option<String>, Query, description = "Who asks (default: the token's name)"),
    ),
    responses((status = 200, description = "Removed: the entry as it was", body = EntryView), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn suppressions_remove(a: Access<Admin>) -> Result<Response, ApiError> {
    let q = a.query(&["reason", "by"])?;
    let id = &a.id;
    let Some((kind, target)) = id.split_once(':') else {
        return Err(ApiError::bad_param(
            "id",
            format!("id {id:?}: give KIND:TARGET, e.g. email:ann@example.com"),
        ));
    };
    let t = target_of(kind, target, true).map_err(|e| ApiError {
        param: Some("id".into()),
        ..ApiError::from(e)
    })?;
    let reason = q
        .text("reason")
        .unwrap_or_else(|| "removed through the HTTP API".to_owned());
    let by = a.actor(q.text("by").as_deref());
    a.run_json(move |ws| {
        Ok(EntryView::from(
            &privacy::unsuppress(ws, &t, &by, &reason)?.2,
        ))
    })
    .await
}

/// A person to erase.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The person: a contact id or an e-mail address.
    pub who: String,
    /// Why (e.g. the request's reference; logged, redacted if it names the person).
    #[serde(default)]
    pub reason: Option<String>,
    /// Who asks (default: `token:NAME`).
    #[serde(default)]
    pub by: Option<String>,
}

/// What an erasure did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErasureResult {
    /// `erased`, or `erased_before` (nothing left to remove; the store was compacted).
    pub status: String,
    /// Territory contacts anonymised.
    pub contacts: u64,
    /// Units re-keyed.
    pub units: u64,
    /// Events kept without personal data.
    pub events: u64,
    /// The salted hashes now suppressed.
    pub hashes: Vec<String>,
    /// Whether the write-ahead log could be truncated (else old pages stay in it until
    /// its next checkpoint).
    pub wal_truncated: bool,
    /// Files in the workspace directory that still name the person (the store no longer
    /// does): delete or edit them.
    pub files_still_naming: Vec<String>,
}

/// Erases a person's personal data and compacts the store (admin).
#[utoipa::path(post, path = "/api/v1/workspaces/{ws}/erasures", tag = "privacy",
    params(("ws" = String, Path, description = "The workspace's name")),
    request_body(content = ErasureRequest, content_type = "application/json"),
    responses((status = 200, description = "Erased", body = ErasureResult), crate::openapi::WriteErrors),
    security(("bearer" = [])))]
pub async fn erasures(a: Access<Admin>, body: Body) -> Result<Response, ApiError> {
    a.no_query()?;
    let req: ErasureRequest = a.json_body(body).await?;
    let by = a.actor(req.by.as_deref());
    a.run_json(move |ws| {
        let reason = req.reason.as_deref().unwrap_or("erasure request");
        Ok(
            match privacy::erase(ws, &req.who, &by, reason).map_err(|e| {
                if e.kind == yieldline_app::ErrorKind::Invalid {
                    body_error(e)
                } else {
                    ApiError::from(e)
                }
            })? {
                Erased::Now(e, c, files) => ErasureResult {
                    files_still_naming: files.iter().map(|f| f.display().to_string()).collect(),
                    status: "erased".into(),
                    contacts: e.contacts,
                    units: e.units,
                    events: e.events,
                    hashes: e.hashes,
                    wal_truncated: c.wal_truncated,
                },
                Erased::Before(c) => ErasureResult {
                    status: "erased_before".into(),
                    contacts: 0,
                    units: 0,
                    events: 0,
                    hashes: Vec::new(),
                    wal_truncated: c.wal_truncated,
                    files_still_naming: Vec::new(),
                },
            },
        )
    })
    .await
}
