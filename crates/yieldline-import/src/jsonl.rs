//! Native event files in JSON Lines: one object per line, blank lines skipped, keys
//! matched as CSV headers are ([`crate::tabular::normalize_header`]), unknown keys
//! ignored with a warning (refused under `--strict`), ids and numbers given as JSON
//! numbers read as their text.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::BufRead;
use std::path::Path;

use serde_json::Value;
use yieldline_core::event::{EVENT_FIELDS, RawEvent};

use crate::csv_events::{Check, Handle};
use crate::tabular::normalize_header;
use crate::{ImportError, validated_with};

/// Reads a JSON Lines event file and hands every non-blank line to `handle`; returns the
/// keys ignored (not event fields), in sorted order.
pub(crate) fn read(
    mut reader: impl BufRead,
    path: &Path,
    check: &Check<'_>,
    handle: &mut Handle<'_>,
) -> Result<Vec<String>, ImportError> {
    let mut buf = String::new();
    let mut line_no = 0u64;
    let mut ignored = BTreeSet::new();
    loop {
        buf.clear();
        let n = reader
            .read_line(&mut buf)
            .map_err(|source| ImportError::Io {
                file: path.to_owned(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = buf.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            continue;
        }
        // The native spelling parses directly; any other goes through the key rules.
        let parsed = match serde_json::from_str::<RawEvent<'_>>(text) {
            Ok(raw) => validated_with(Ok(raw), check),
            Err(_) => validated_with(lenient(text, check.strict, &mut ignored), check),
        };
        handle(parsed, line_no, &|| text.to_owned())?;
    }
    Ok(ignored.into_iter().collect())
}

/// A JSON object read with the key rules: the raw event, or the key to blame and why.
fn lenient<'t>(
    text: &'t str,
    strict: bool,
    ignored: &mut BTreeSet<String>,
) -> Result<RawEvent<'t>, (Option<String>, String)> {
    let object: serde_json::Map<String, Value> = serde_json::from_str(text).map_err(|e| {
        (
            None,
            format!(
                "is not a JSON object ({}): each line must be one object such as {{\"event_id\":\"e1\",\"ts\":\"2025-03-04T09:30:00Z\",…}}",
                brief(&e)
            ),
        )
    })?;
    let mut fields: [Option<Cow<'t, str>>; EVENT_FIELDS.len()] = Default::default();
    for (key, value) in object {
        let norm = normalize_header(&key);
        let Some(i) = EVENT_FIELDS.iter().position(|f| *f == norm) else {
            if strict {
                return Err((
                    Some(key.clone()),
                    format!(
                        "unknown key {key:?} (--strict refuses it; the keys are {})",
                        EVENT_FIELDS.join(", ")
                    ),
                ));
            }
            ignored.insert(key);
            continue;
        };
        if fields[i].is_some() {
            return Err((
                Some(EVENT_FIELDS[i].to_owned()),
                format!("key {:?} appears twice", EVENT_FIELDS[i]),
            ));
        }
        fields[i] = match value {
            Value::Null => None,
            Value::String(s) => Some(Cow::Owned(s)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            other => {
                return Err((
                    Some(EVENT_FIELDS[i].to_owned()),
                    format!("{other} is not text: expected a string (or a number)"),
                ));
            }
        };
    }
    Ok(RawEvent::from_fields(fields))
}

/// A serde_json error without its position (the line is reported apart).
fn brief(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg,
    }
}
