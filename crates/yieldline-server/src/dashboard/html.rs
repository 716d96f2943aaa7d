//! HTML building blocks: escaping, number formats, the page frame and reading the API's
//! JSON values.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use yieldline_app::tokens::Role;

use super::auth::{CSRF_FIELD, Ctx};

/// `text` with `& < > " '` escaped, safe in element content and quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A share as a percentage with one decimal (`41.3%`); `–` when absent.
pub fn pct(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{:.1}%", v * 100.0),
        _ => "–".to_owned(),
    }
}

/// A number with `decimals` decimals; `–` when absent.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "–".to_owned(),
    }
}

/// An interval of shares, `[38.1%, 44.6%]`.
pub fn pct_interval(v: &Value) -> String {
    match (at(v, 0), at(v, 1)) {
        (Some(a), Some(b)) => format!("{} – {}", pct(Some(a)), pct(Some(b))),
        _ => "–".to_owned(),
    }
}

/// The number `key` of an object.
pub fn f(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

/// The `i`-th number of an array.
pub fn at(v: &Value, i: usize) -> Option<f64> {
    v.get(i).and_then(Value::as_f64)
}

/// The text `key` of an object (`""` when absent).
pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The array `key` of an object (empty when absent).
pub fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A scalar JSON value as text (numbers with up to 4 decimals).
pub fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "–".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(x)) => {
                let t = format!("{x:.4}");
                t.trim_end_matches('0').trim_end_matches('.').to_owned()
            }
            _ => n.to_string(),
        },
        Value::String(t) => t.clone(),
        other => other.to_string(),
    }
}

/// A whole HTML document with `status`.
pub fn document(status: StatusCode, title: &str, body: &str) -> Response {
    let doc = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Yieldline</title><link rel=\"stylesheet\" href=\"/assets/dash.css\">\
         <link rel=\"icon\" href=\"data:,\">\
         </head><body>{body}<script src=\"/assets/dash.js\" defer></script></body></html>",
        esc(title)
    );
    let mut r = (status, doc).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// A page without navigation saying what went wrong.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<main class=\"narrow\"><h1>{} {}</h1><p class=\"alert\" role=\"alert\">{}</p>\
         <p><a href=\"/line\">Back to the line</a></p></main>",
        status.as_u16(),
        esc(status.canonical_reason().unwrap_or("")),
        esc(message)
    );
    document(status, "Error", &body)
}

/// The pages in the navigation: path, label.
const NAV: [(&str, &str); 6] = [
    ("/line", "Line"),
    ("/experiments", "Experiments"),
    ("/plan", "Plan"),
    ("/watch", "Watch"),
    ("/orders", "Work orders"),
    ("/import", "Import"),
];

/// A signed-in page: navigation (Import only for analysts and admins), the workspace and
/// token, sign-out, then `body`.
pub fn page(ctx: &Ctx, active: &str, title: &str, body: &str) -> Response {
    let mut nav = String::new();
    for (href, label) in NAV {
        if href == "/import" && !ctx.role.allows(Role::Analyst) {
            continue;
        }
        let current = if href == active {
            " aria-current=\"page\""
        } else {
            ""
        };
        nav.push_str(&format!("<a href=\"{href}\"{current}>{label}</a>"));
    }
    let frame = format!(
        "<header><a class=\"brand\" href=\"/line\">Yieldline</a><nav aria-label=\"Pages\">{nav}</nav>\
         <div class=\"who\"><span>{ws} · {token} ({role})</span>\
         <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{csrf}\">\
         <button type=\"submit\" class=\"link\">Sign out</button></form></div></header>\
         <main><h1>{title}</h1>{body}</main>",
        ws = esc(&ctx.served.name),
        token = esc(&ctx.token),
        role = ctx.role.as_str(),
        csrf = esc(&ctx.csrf),
        title = esc(title),
    );
    document(StatusCode::OK, title, &frame)
}

/// An alert box inside a page.
pub fn alert(message: &str) -> String {
    format!("<p class=\"alert\" role=\"alert\">{}</p>", esc(message))
}

/// A page that failed: the frame with the error in it, and its status.
pub fn page_error(ctx: &Ctx, active: &str, title: &str, status: StatusCode, msg: &str) -> Response {
    let mut r = page(ctx, active, title, &alert(msg));
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<a href=\"x\">O'Neil & co</a>"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; co&lt;/a&gt;"
        );
    }

    #[test]
    fn yields_show_one_decimal() {
        assert_eq!(pct(Some(0.4134)), "41.3%");
        assert_eq!(pct(Some(1.0)), "100.0%");
        assert_eq!(pct(None), "–");
        assert_eq!(pct(Some(f64::NAN)), "–");
    }
}
