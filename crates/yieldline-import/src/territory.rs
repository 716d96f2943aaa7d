//! Territory files (contacts, CSV): read with the tabular rules of [`crate::tabular`].

use std::path::Path;

use yieldline_core::identity::{canonical_email, canonical_id, clean};
use yieldline_core::values::parse_fit_tier;
use yieldline_store::{Contact, Inserted, Store, StoreExt};

use crate::tabular::{self, Header};
use crate::{ImportError, Options, Outcome, RowError, csv_error, csv_row_error, finish, start};

/// Columns of a territory file.
pub use yieldline_core::event::TERRITORY_FIELDS;

/// Imports one territory CSV (`contact_id,account_id` required; `fit_tier`,
/// `first_name`, `last_name`, `email`, `title` optional) in one transaction. A contact
/// already stored is updated with the file's attributes. Ids are stored in their
/// canonical form and e-mail addresses in theirs ([`yieldline_core::identity`]); an
/// e-mail that is not an address is a bad row. A row whose contact id or e-mail hashes
/// to an erased person is skipped (counted in [`ImportRecord::erased`]). `fit_tier` is
/// read by [`parse_fit_tier`] (`1`–`9`, `A`–`I`, `Tier N`).
pub fn import_territory<S: Store + ?Sized>(
    store: &S,
    path: &Path,
    options: Options,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, ImportError> {
    let (reader, mut rejects, mut record) = start(path, "territory", &options, progress)?;
    let mut ignored = Vec::new();
    store.import_territory(|sink| -> Result<(), ImportError> {
        let mut rdr = tabular::csv_reader(reader, path)?;
        let names = rdr.headers().map_err(|e| csv_error(path, e))?.clone();
        let header = Header::resolve(
            path,
            names.iter(),
            &TERRITORY_FIELDS,
            &["contact_id", "account_id"],
            options.strict,
        )?;
        ignored.clone_from(&header.ignored);
        let mut rec = csv::StringRecord::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    record.read += 1;
                    rejects.reject(csv_row_error(path, e, &names)?);
                    continue;
                }
            }
            if tabular::is_blank(&rec) {
                continue;
            }
            record.read += 1;
            let line_no = rec.position().map_or(0, |p| p.line());
            let bad = |field: Option<&str>, message: String| RowError {
                file: path.to_owned(),
                line: line_no,
                field: field.map(str::to_owned),
                message,
                record: rec.iter().collect::<Vec<_>>().join(","),
            };
            if let Some(why) = tabular::width_problem(&rec, header.width) {
                rejects.reject(bad(None, why));
                continue;
            }
            let get = |i: usize| header.cell(&rec, i).map(str::to_owned);
            // Ids in their canonical form (invisible characters removed, trimmed, NFC;
            // letter case kept), as event import stores them.
            let id = |i: usize| {
                get(i)
                    .map(|v| canonical_id(&v).into_owned())
                    .filter(|v| !v.is_empty())
            };
            let Some(contact_id) = id(0) else {
                rejects.reject(bad(Some("contact_id"), "is required".into()));
                continue;
            };
            let Some(account_id) = id(1) else {
                rejects.reject(bad(Some("account_id"), "is required".into()));
                continue;
            };
            let fit_tier = match get(2) {
                None => None,
                Some(t) => match parse_fit_tier(&t) {
                    Ok(v) => Some(v),
                    Err(why) => {
                        rejects.reject(bad(Some("fit_tier"), why));
                        continue;
                    }
                },
            };
            // The address in its canonical form (display name, mailto:, invisible
            // characters and a trailing dot dropped; NFKC and case folding), so that
            // suppression and erasure find it however it was spelled.
            let email = match get(5).filter(|e| !clean(e).is_empty()) {
                None => None,
                Some(e) => match canonical_email(&e) {
                    Ok(c) => Some(c),
                    Err(why) => {
                        rejects.reject(bad(Some("email"), why.to_string()));
                        continue;
                    }
                },
            };
            if rejects.refusing() {
                // The file is refused: the rest is read for its bad rows only.
                continue;
            }
            let contact = Contact {
                contact_id,
                account_id,
                fit_tier,
                first_name: get(3),
                last_name: get(4),
                email,
                title: get(6),
            };
            match sink.upsert(&contact)? {
                Inserted::New => record.imported += 1,
                Inserted::Duplicate => record.duplicates += 1,
                Inserted::Updated => record.updated += 1,
                // The row names an erased person: never stored again (counted apart).
                Inserted::Erased => record.erased += 1,
            }
        }
        rejects.refuse_if_bad(path)
    })?;
    finish(
        store,
        record,
        Outcome {
            rejects: rejects.into_rows(),
            ignored_columns: ignored,
            ..Outcome::default()
        },
    )
}

/// Writes territory contacts as CSV with every [`TERRITORY_FIELDS`] column.
pub fn write_territory_csv(
    out: impl std::io::Write,
    contacts: &[Contact],
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(TERRITORY_FIELDS)?;
    for c in contacts {
        w.write_record([
            c.contact_id.as_str(),
            &c.account_id,
            &c.fit_tier.map(|t| t.to_string()).unwrap_or_default(),
            c.first_name.as_deref().unwrap_or(""),
            c.last_name.as_deref().unwrap_or(""),
            c.email.as_deref().unwrap_or(""),
            c.title.as_deref().unwrap_or(""),
        ])?;
    }
    w.flush()?;
    Ok(())
}
