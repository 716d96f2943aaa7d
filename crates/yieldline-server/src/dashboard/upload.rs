//! The Import page (analyst, admin): an events or territory file uploaded as a
//! multipart form, imported all or nothing as `POST …/events` and `POST …/territory`.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use yieldline_app::import::{EventFormat, ImportKind};
use yieldline_app::tokens::Role;

use super::auth::{CSRF_FIELD, Ctx, Dash, refusal, signed_in};
use super::html::{alert, esc, page};
use crate::state::blocking;

const TITLE: &str = "Import";

fn form_html(ctx: &Ctx) -> String {
    format!(
        "<form class=\"upload\" method=\"post\" action=\"/import\" enctype=\"multipart/form-data\">\
         <input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">\
         <fieldset><legend>What the file holds</legend>\
         <label><input type=\"radio\" name=\"kind\" value=\"events\" checked> activity events (CSV with a header, or JSON Lines as .jsonl)</label>\
         <label><input type=\"radio\" name=\"kind\" value=\"territory\"> territory contacts (CSV)</label></fieldset>\
         <label for=\"file\">File</label> <input id=\"file\" name=\"file\" type=\"file\" required accept=\".csv,.jsonl,.ndjson,text/csv\">\
         <button type=\"submit\">Import</button> <progress hidden></progress>\
         <p class=\"muted\">All or nothing: a file with a bad row leaves the store unchanged.</p></form>",
        esc(&ctx.csrf)
    )
}

fn import_page(ctx: &Ctx, status: StatusCode, result: &str) -> Response {
    let mut r = page(
        ctx,
        "/import",
        TITLE,
        &format!("{result}{}", form_html(ctx)),
    );
    *r.status_mut() = status;
    r
}

/// `GET /import`: the upload form (analysts and admins only).
pub async fn form(State(dash): State<Arc<Dash>>, headers: HeaderMap) -> Response {
    let ctx = match signed_in(&dash, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if !ctx.role.allows(Role::Analyst) {
        return super::html::page_error(
            &ctx,
            "/import",
            TITLE,
            StatusCode::FORBIDDEN,
            &format!(
                "importing needs role analyst; token {:?} is a {}",
                ctx.token,
                ctx.role.as_str()
            ),
        );
    }
    import_page(&ctx, StatusCode::OK, "")
}

fn bad_form(ctx: &Ctx, message: &str) -> Response {
    import_page(ctx, StatusCode::BAD_REQUEST, &alert(message))
}

/// `POST /import`: role and CSRF checked before the file is read; the file is spooled to
/// the workspace's `tmp/` and imported in one transaction.
pub async fn submit(
    State(dash): State<Arc<Dash>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let ctx = match signed_in(&dash, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    // A viewer is refused before its body is read.
    if !ctx.role.allows(Role::Analyst)
        && let Some(r) = refusal(&ctx, Role::Analyst, None)
    {
        return r;
    }
    let mut csrf: Option<String> = None;
    let mut kind = ImportKind::Events;
    let mut spooled: Option<(tempfile::NamedTempFile, String)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return bad_form(&ctx, &format!("the upload could not be read: {e}")),
        };
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.ok(),
            "kind" => {
                kind = match field.text().await.as_deref() {
                    Ok("territory") => ImportKind::Territory,
                    Ok("events") => ImportKind::Events,
                    _ => return bad_form(&ctx, "kind: choose events or territory"),
                }
            }
            "file" => {
                // The CSRF field comes first in the form; refuse before spooling anything.
                if let Some(r) = refusal(&ctx, Role::Analyst, csrf.as_deref()) {
                    return r;
                }
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                match spool(&ctx, field, &name).await {
                    Ok(t) => spooled = Some((t, name)),
                    Err(m) => return bad_form(&ctx, &m),
                }
            }
            _ => {}
        }
    }
    if let Some(r) = refusal(&ctx, Role::Analyst, csrf.as_deref()) {
        return r;
    }
    let Some((tmp, name)) = spooled else {
        return bad_form(&ctx, "choose a file to import");
    };
    let lower = name.to_ascii_lowercase();
    let format = match kind {
        ImportKind::Territory => None,
        ImportKind::Events if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") => {
            Some(EventFormat::Jsonl)
        }
        ImportKind::Events => Some(EventFormat::Csv),
    };
    let served = ctx.served.clone();
    let shown_name = name.clone();
    let outcome = blocking(move || {
        Ok(yieldline_app::import::import_upload(
            &served.ws,
            kind,
            tmp.path(),
            format,
            &shown_name,
        ))
    })
    .await;
    match outcome {
        Err(e) => import_page(&ctx, e.status, &alert(&e.detail)),
        Ok(Err(e)) => {
            let e = crate::error::ApiError::from_app(e, true);
            let where_ = match (&e.line, &e.param) {
                (Some(l), Some(p)) => format!(
                    "<p class=\"bad-row\">line <strong data-line=\"{l}\">{l}</strong>, field <strong data-field=\"{p}\">{p}</strong></p>",
                    p = esc(p)
                ),
                (Some(l), None) => {
                    format!("<p class=\"bad-row\">line <strong data-line=\"{l}\">{l}</strong></p>")
                }
                _ => String::new(),
            };
            import_page(
                &ctx,
                e.status,
                &format!(
                    "<section class=\"result bad\" role=\"alert\"><h2>{} was not imported</h2>{where_}<pre>{}</pre></section>",
                    esc(&name),
                    esc(&e.detail)
                ),
            )
        }
        Ok(Ok(s)) => {
            let body = format!(
                "<section class=\"result ok\" role=\"status\"><h2>{} imported</h2><dl class=\"figures\">\
                     <dt>kind</dt><dd>{}</dd><dt>read</dt><dd>{}</dd><dt>imported</dt><dd>{}</dd><dt>already there</dt><dd>{}</dd>\
                     <dt>updated</dt><dd>{}</dd><dt>rejected</dt><dd>{}</dd><dt>erased, skipped</dt><dd>{}</dd></dl></section>",
                esc(&name),
                esc(&s.kind),
                s.read,
                s.imported,
                s.duplicates,
                s.updated,
                s.rejected,
                s.erased
            );
            import_page(&ctx, StatusCode::OK, &body)
        }
    }
}

/// Writes an uploaded file to a temporary file in the workspace's `tmp/`.
async fn spool(
    ctx: &Ctx,
    mut field: axum::extract::multipart::Field<'_>,
    name: &str,
) -> Result<tempfile::NamedTempFile, String> {
    let dir = ctx.served.ws.dir.join(crate::UPLOAD_DIR);
    let lower = name.to_ascii_lowercase();
    let suffix = if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        ".jsonl"
    } else {
        ".csv"
    };
    let tmp = blocking(move || {
        std::fs::create_dir_all(&dir)
            .and_then(|()| {
                tempfile::Builder::new()
                    .prefix(crate::UPLOAD_PREFIX)
                    .suffix(suffix)
                    .tempfile_in(&dir)
            })
            .map_err(|e| {
                crate::error::ApiError::internal(format!("cannot make an upload file: {e}"))
            })
    })
    .await
    .map_err(|e| e.detail)?;
    let std_file = tmp
        .reopen()
        .map_err(|e| format!("cannot open the upload file: {e}"))?;
    let mut file = tokio::fs::File::from_std(std_file);
    loop {
        match field.chunk().await {
            Ok(Some(data)) => tokio::io::AsyncWriteExt::write_all(&mut file, &data)
                .await
                .map_err(|e| format!("cannot write the upload file: {e}"))?,
            Ok(None) => break,
            Err(e) => return Err(format!("the upload could not be read: {e}")),
        }
    }
    tokio::io::AsyncWriteExt::flush(&mut file)
        .await
        .map_err(|e| format!("cannot write the upload file: {e}"))?;
    Ok(tmp)
}
