//! Sign-in, sessions, CSRF tokens and role checks of the dashboard.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yieldline_app::tokens::{self, Role};

use super::html::{self, esc};
use crate::state::{Served, ServerState, blocking};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "yl_session";
/// The name of the CSRF field of every POST form.
pub const CSRF_FIELD: &str = "csrf";
/// Sessions kept before the oldest are dropped.
const MAX_SESSIONS: usize = 10_000;

/// One signed-in browser.
#[derive(Debug, Clone)]
struct Session {
    /// The workspace the token opens.
    ws: String,
    /// The token's secret (checked again on every request, so revocation ends the session).
    secret: String,
    /// The CSRF token of this session's forms.
    csrf: String,
    /// Order of creation (to drop the oldest when full).
    serial: u64,
}

/// The dashboard's state: the server's, and the sessions.
#[derive(Debug)]
pub struct Dash {
    pub(super) server: Arc<ServerState>,
    sessions: Mutex<(u64, HashMap<String, Session>)>,
}

impl Dash {
    /// No sessions yet.
    pub fn new(server: Arc<ServerState>) -> Self {
        Self {
            server,
            sessions: Mutex::new((0, HashMap::new())),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, (u64, HashMap<String, Session>)> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Their workspace.
    pub served: Arc<Served>,
    /// Their token's name.
    pub token: String,
    /// Their token's role.
    pub role: Role,
    /// The session's CSRF token.
    pub csrf: String,
}

fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness for a session id: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn to_login() -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/login"));
    r
}

/// The signed-in user, or a redirect to `/login` (no session, or its token was revoked).
pub async fn signed_in(dash: &Dash, headers: &HeaderMap) -> Result<Ctx, Response> {
    let Some(id) = cookie_value(headers, SESSION_COOKIE) else {
        return Err(to_login());
    };
    let Some(session) = dash.sessions().1.get(&id).cloned() else {
        return Err(to_login());
    };
    let Some(served) = dash.server.workspaces.get(&session.ws).cloned() else {
        return Err(to_login());
    };
    let check = served.clone();
    let secret = session.secret.clone();
    let token = blocking(move || Ok(tokens::authenticate(&check.ws, &secret)?))
        .await
        .map_err(|e| html::error_page(e.status, &e.detail))?;
    let Some(token) = token else {
        dash.sessions().1.remove(&id);
        return Err(to_login());
    };
    Ok(Ctx {
        served,
        token: token.name,
        role: token.role,
        csrf: session.csrf,
    })
}

/// The refusal (a 403 page) of a POST whose role is below `needed` or whose CSRF token
/// is not the session's; `None` when it may go ahead.
pub fn refusal(ctx: &Ctx, needed: Role, csrf: Option<&str>) -> Option<Response> {
    if !ctx.role.allows(needed) {
        return Some(html::error_page(
            StatusCode::FORBIDDEN,
            &format!(
                "token {:?} has role {}; this needs {}",
                ctx.token,
                ctx.role.as_str(),
                needed.as_str()
            ),
        ));
    }
    match csrf {
        Some(c) if tokens_equal(c.as_bytes(), ctx.csrf.as_bytes()) => None,
        _ => Some(html::error_page(
            StatusCode::FORBIDDEN,
            "this form's CSRF token is missing or not this session's: reload the page and try again",
        )),
    }
}

fn tokens_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn login_page(status: StatusCode, message: Option<&str>) -> Response {
    let alert = message
        .map(|m| {
            format!(
                "<p class=\"alert\" role=\"alert\" id=\"login-error\">{}</p>",
                esc(m)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<main class=\"login\"><h1>Yieldline</h1>{alert}\
         <form method=\"post\" action=\"/login\">\
         <label for=\"token\">Token</label>\
         <input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"off\" required autofocus \
         placeholder=\"yl_…\">\
         <button type=\"submit\">Sign in</button></form>\
         <p class=\"muted\">A token from <code>yieldline token create</code> opens its workspace.</p></main>"
    );
    html::document(status, "Sign in", &body)
}

/// `GET /login`: the sign-in form.
pub async fn login_form() -> Response {
    login_page(StatusCode::OK, None)
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: Option<String>,
}

/// `POST /login`: checks the token against every served workspace and opens a session on
/// the one it belongs to.
pub async fn login(State(dash): State<Arc<Dash>>, body: Bytes) -> Response {
    let Ok(form) = serde_urlencoded::from_bytes::<LoginForm>(&body) else {
        return login_page(StatusCode::BAD_REQUEST, Some("give a token"));
    };
    let secret = form.token.trim().to_owned();
    let all: Vec<Arc<Served>> = dash.server.workspaces.values().cloned().collect();
    let check = secret.clone();
    let found = blocking(move || {
        for s in all {
            if tokens::authenticate(&s.ws, &check)?.is_some() {
                return Ok(Some(s.name.clone()));
            }
        }
        Ok(None)
    })
    .await;
    let ws = match found {
        Ok(Some(ws)) => ws,
        Ok(None) => {
            return login_page(
                StatusCode::UNAUTHORIZED,
                Some("unknown or revoked token: check it and try again"),
            );
        }
        Err(e) => return html::error_page(e.status, &e.detail),
    };
    let (id, csrf) = match (random_hex(32), random_hex(32)) {
        (Ok(i), Ok(c)) => (i, c),
        (Err(m), _) | (_, Err(m)) => {
            return html::error_page(StatusCode::INTERNAL_SERVER_ERROR, &m);
        }
    };
    {
        let mut guard = dash.sessions();
        let (serial, map) = &mut *guard;
        *serial += 1;
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.serial)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(
            id.clone(),
            Session {
                ws,
                secret,
                csrf,
                serial: *serial,
            },
        );
    }
    let mut r = StatusCode::SEE_OTHER.into_response();
    let h = r.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_static("/line"));
    // No `Secure`: the server speaks plain HTTP (put it behind a TLS proxy to add it).
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict"
    )) {
        h.insert(header::SET_COOKIE, v);
    }
    r
}

/// `POST /logout`: ends the session (CSRF-checked).
pub async fn logout(State(dash): State<Arc<Dash>>, headers: HeaderMap, body: Bytes) -> Response {
    let ctx = match signed_in(&dash, &headers).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let csrf = serde_urlencoded::from_bytes::<CsrfForm>(&body)
        .ok()
        .and_then(|f| f.csrf);
    if let Some(r) = refusal(&ctx, Role::Viewer, csrf.as_deref()) {
        return r;
    }
    if let Some(id) = cookie_value(&headers, SESSION_COOKIE) {
        dash.sessions().1.remove(&id);
    }
    let mut r = to_login();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("yl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}
