//! Bulk reads with `COPY … TO STDOUT` (text format), row by row without building a
//! `Row` per record: what loading a large log or the import's dictionaries needs.

use futures_util::StreamExt as _;

use crate::{Tx, block, db};
use yieldline_store::StoreError;

/// A `'…'` SQL literal of `s` (for the workspace key in `COPY (SELECT …)`, which takes
/// no parameters).
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Undoes COPY's text escapes of one field (`None` for `\N`, SQL NULL).
fn unescape(field: &[u8]) -> Result<Option<String>, StoreError> {
    if field == b"\\N" {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(field.len());
    let mut bytes = field.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b't') => out.push(b'\t'),
            Some(b'b') => out.push(8),
            Some(b'f') => out.push(12),
            Some(b'v') => out.push(11),
            Some(&c) => out.push(c),
            None => out.push(b'\\'),
        }
    }
    String::from_utf8(out)
        .map(Some)
        .map_err(|_| StoreError::Corrupt("a stored text is not UTF-8".into()))
}

/// One row of a COPY text stream.
pub(crate) struct Fields<'a> {
    raw: Vec<&'a [u8]>,
}

impl Fields<'_> {
    /// Field `i` as text (`None` when NULL).
    pub(crate) fn text(&self, i: usize) -> Result<Option<String>, StoreError> {
        unescape(self.raw.get(i).copied().unwrap_or(b"\\N"))
    }

    /// Field `i` as a number (`None` when NULL).
    pub(crate) fn num<T: std::str::FromStr>(&self, i: usize) -> Result<Option<T>, StoreError> {
        let raw = self.raw.get(i).copied().unwrap_or(b"\\N");
        if raw == b"\\N" {
            return Ok(None);
        }
        std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Some)
            .ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "a stored number is not one: {:?}",
                    String::from_utf8_lossy(raw)
                ))
            })
    }

    /// Field `i` as a number that must be there.
    pub(crate) fn req<T: std::str::FromStr>(&self, i: usize) -> Result<T, StoreError> {
        self.num(i)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {i} is NULL")))
    }
}

/// Runs `COPY (query) TO STDOUT` and calls `each` with every row's fields.
pub(crate) fn each_row(
    tx: &Tx<'_>,
    query: &str,
    mut each: impl FnMut(&Fields<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    block(async {
        let stream = tx
            .tx
            .copy_out(&format!("COPY ({query}) TO STDOUT"))
            .await
            .map_err(db)?;
        futures_util::pin_mut!(stream);
        let mut carry: Vec<u8> = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(db)?;
            carry.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(end) = carry[start..].iter().position(|&b| b == b'\n') {
                let line = &carry[start..start + end];
                each(&Fields {
                    raw: line.split(|&b| b == b'\t').collect(),
                })?;
                start += end + 1;
            }
            carry.drain(..start);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_escapes_are_undone() {
        assert_eq!(
            unescape(b"a\\tb\\\\c\\nd").expect("ok").as_deref(),
            Some("a\tb\\c\nd")
        );
        assert_eq!(unescape(b"\\N").expect("ok"), None);
        assert_eq!(literal("o'neil"), "'o''neil'");
    }
}
