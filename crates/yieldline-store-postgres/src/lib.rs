//! Yieldline's team store: the workspace store on PostgreSQL.
//!
//! One database holds many workspaces. Every table has a `workspace` column, the
//! workspace's key (a stable name: the workspace directory's name unless the store URL
//! names one with `?workspace=NAME`); it leads every primary, unique and foreign key
//! (so a distributed PostgreSQL such as Citus can distribute every table on it, all
//! colocated) and every query filters on it, so two workspaces in one database never
//! see each other's rows.
//!
//! # Concurrency
//! Every write runs in one transaction that first takes the workspace's advisory lock
//! (`pg_advisory_xact_lock`): writers of one workspace queue, from any process or
//! machine, for at most [`yieldline_store::lock_timeout`]; writers of other workspaces
//! do not wait. Reads run in `REPEATABLE READ READ ONLY` transactions (one consistent
//! snapshot each) and never wait for a writer.
//!
//! # Runtime
//! The `yieldline_store::Store` trait is synchronous; this store drives `tokio-postgres` connections
//! on its own one-thread runtime and waits for their replies with a plain executor, so
//! it works the same from a command, a thread, or a blocking task of `yieldline serve`'s
//! runtime (runtimes never nest).

mod copy;
mod reads;
mod sink;
mod store;
mod suppress;

use std::future::Future;
use std::sync::{Mutex, MutexGuard};

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Transaction};
use yieldline_store::{StoreError, lock_timeout};

/// The migrations, in order: migration `i` (1-based) takes the schema from version
/// `i − 1` to `i`; the versions applied are kept in `yieldline_migrations`.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/001_schema.sql")];

/// Idle connections kept for reuse.
const POOL: usize = 8;

/// Whether `url` names a PostgreSQL store (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// `url` with its password (if any) replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    let user = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => userinfo.to_owned(),
    };
    format!("{scheme}://{user}@{host}{tail}")
}

/// The store URL split into the connection URL and the workspace key it names (its
/// `workspace=` query parameter, removed from the URL), if any.
pub fn split_workspace(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut key = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|p| match p.strip_prefix("workspace=") {
            Some(v) => {
                key = Some(v.to_owned());
                false
            }
            None => true,
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, key.filter(|k| !k.is_empty()))
}

/// A workspace's store in a PostgreSQL database.
pub struct PgStore {
    url: String,
    workspace: String,
    /// Drives the connections (their sockets); callers wait with [`block`].
    rt: Option<tokio::runtime::Runtime>,
    pool: Mutex<Vec<Client>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &redact_url(&self.url))
            .field("workspace", &self.workspace)
            .finish()
    }
}

/// The backend's error, in the store's words (never with the connection URL).
pub(crate) fn db(e: tokio_postgres::Error) -> StoreError {
    use tokio_postgres::error::SqlState;
    if let Some(d) = e.as_db_error() {
        if *d.code() == SqlState::LOCK_NOT_AVAILABLE {
            return StoreError::Busy {
                waited_seconds: lock_timeout().as_secs(),
                holder: Some("another writer of this workspace".into()),
            };
        }
        return StoreError::Backend(format!("PostgreSQL: {}", d.message()));
    }
    if e.is_closed() {
        return StoreError::Backend(
            "the connection to PostgreSQL was lost (was the server restarted?); run the command again".into(),
        );
    }
    StoreError::Backend(format!("PostgreSQL: {e}"))
}

impl PgStore {
    /// Connects to the database at `url`, applies any migration not yet applied, and
    /// registers the workspace `workspace` (a stable name) if it is new.
    pub fn open(url: &str, workspace: &str) -> Result<Self, StoreError> {
        if workspace.is_empty() {
            return Err(StoreError::Backend("the workspace key is empty".into()));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("yieldline-pg")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot start the PostgreSQL client: {e}")))?;
        let store = Self {
            url: url.to_owned(),
            workspace: workspace.to_owned(),
            rt: Some(rt),
            pool: Mutex::new(Vec::new()),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The workspace key this store reads and writes.
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    fn lock_pool(&self) -> MutexGuard<'_, Vec<Client>> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection: an idle one from the pool, else a new one.
    pub(crate) fn client(&self) -> Result<Client, StoreError> {
        while let Some(c) = self.lock_pool().pop() {
            if !c.is_closed() {
                return Ok(c);
            }
        }
        let url = self.url.clone();
        let rt = self
            .rt
            .as_ref()
            .ok_or_else(|| StoreError::Backend("the store is closed".into()))?;
        let connecting = rt.spawn(async move {
            let (client, conn) = tokio_postgres::connect(&url, NoTls).await?;
            tokio::spawn(async move {
                // The connection ends when its client is dropped or the server goes.
                let _ = conn.await;
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        match block(connecting) {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(StoreError::Backend(format!(
                "cannot connect to PostgreSQL: {}",
                short(&e)
            ))),
            Err(e) => Err(StoreError::Backend(format!(
                "cannot connect to PostgreSQL: {e}"
            ))),
        }
    }

    /// Returns a connection to the pool (unless it is broken or the pool is full).
    pub(crate) fn give_back(&self, c: Client) {
        let mut pool = self.lock_pool();
        if !c.is_closed() && pool.len() < POOL {
            pool.push(c);
        }
    }

    /// Runs `f` in one read-only, repeatable-read transaction (a consistent snapshot).
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Tx<'_>, &str) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        let out = (|| {
            let tx = block(
                client
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start(),
            )
            .map_err(db)?;
            let tx = Tx { tx };
            let v = f(&tx, &self.workspace)?;
            tx.commit()?;
            Ok(v)
        })();
        self.give_back(client);
        out
    }

    /// Runs `f` in one write transaction holding the workspace's advisory lock; commits
    /// (bumping the workspace's generation) if it returns `Ok`, else rolls back.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&Tx<'_>, &str) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.write_with(|tx, ws| f(tx, ws).map(|v| (v, true)))
    }

    /// As [`Self::write`], `f` saying whether to commit (`true`) or roll back.
    pub(crate) fn write_with<T>(
        &self,
        f: impl FnOnce(&Tx<'_>, &str) -> Result<(T, bool), StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        let out = (|| {
            let tx = Tx {
                tx: block(client.transaction()).map_err(db)?,
            };
            tx.batch(&format!(
                "SET LOCAL lock_timeout = '{}s'",
                lock_timeout().as_secs()
            ))?;
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('yieldline:' || $1, 0))",
                &[&self.workspace],
            )?;
            let (v, commit) = f(&tx, &self.workspace)?;
            if commit {
                tx.execute(
                    "UPDATE workspaces SET generation = generation + 1 WHERE workspace = $1",
                    &[&self.workspace],
                )?;
                tx.commit()?;
            } else {
                tx.rollback()?;
            }
            Ok(v)
        })();
        self.give_back(client);
        out
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.client()?;
        let out = (|| {
            let tx = Tx {
                tx: block(client.transaction()).map_err(db)?,
            };
            // Every Yieldline that opens the database migrates it: one at a time.
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('yieldline:migrations', 0))",
                &[],
            )?;
            tx.batch(
                "CREATE TABLE IF NOT EXISTS yieldline_migrations (
                     version    integer PRIMARY KEY,
                     applied_at timestamptz NOT NULL DEFAULT now())",
            )?;
            let current: i32 = tx
                .query_one(
                    "SELECT coalesce(max(version), 0) FROM yieldline_migrations",
                    &[],
                )?
                .get(0);
            let latest = MIGRATIONS.len() as i32;
            if current > latest {
                return Err(StoreError::TooNew {
                    found: i64::from(current),
                    supported: i64::from(latest),
                });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
                tx.batch(sql)?;
                tx.execute(
                    "INSERT INTO yieldline_migrations (version) VALUES ($1)",
                    &[&(i as i32 + 1)],
                )?;
            }
            tx.execute(
                "INSERT INTO workspaces (workspace, salt, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (workspace) DO NOTHING",
                &[&self.workspace, &new_salt()?, &now()],
            )?;
            tx.commit()
        })();
        self.give_back(client);
        out
    }

    /// The schema version of the database (the latest migration applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.read(|tx, _| {
            let v: i32 = tx
                .query_one(
                    "SELECT coalesce(max(version), 0) FROM yieldline_migrations",
                    &[],
                )?
                .get(0);
            Ok(i64::from(v))
        })
    }
}

/// Waits for `f` (a reply of a connection driven by the store's runtime).
pub(crate) fn block<F: Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

/// One open transaction, with synchronous statements.
pub(crate) struct Tx<'c> {
    pub(crate) tx: Transaction<'c>,
}

/// Statement parameters.
pub(crate) type Params<'a> = [&'a (dyn ToSql + Sync)];

impl Tx<'_> {
    pub(crate) fn query(&self, sql: &str, p: &Params<'_>) -> Result<Vec<Row>, StoreError> {
        block(self.tx.query(sql, p)).map_err(db)
    }

    pub(crate) fn query_one(&self, sql: &str, p: &Params<'_>) -> Result<Row, StoreError> {
        block(self.tx.query_one(sql, p)).map_err(db)
    }

    pub(crate) fn query_opt(&self, sql: &str, p: &Params<'_>) -> Result<Option<Row>, StoreError> {
        block(self.tx.query_opt(sql, p)).map_err(db)
    }

    pub(crate) fn execute(&self, sql: &str, p: &Params<'_>) -> Result<u64, StoreError> {
        block(self.tx.execute(sql, p)).map_err(db)
    }

    pub(crate) fn batch(&self, sql: &str) -> Result<(), StoreError> {
        block(self.tx.batch_execute(sql)).map_err(db)
    }

    fn commit(self) -> Result<(), StoreError> {
        block(self.tx.commit()).map_err(db)
    }

    fn rollback(self) -> Result<(), StoreError> {
        block(self.tx.rollback()).map_err(db)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.lock_pool().clear();
        // Without waiting: the store may be dropped inside another runtime (`serve`).
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// The first line of a client error (a connection error's cause, never the URL).
fn short(e: &tokio_postgres::Error) -> String {
    use std::error::Error as _;
    match e.source() {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    }
}

/// A fresh workspace salt: 32 random bytes, lower-case hex (as the SQLite store's).
fn new_salt() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Backend(format!("no randomness for the salt: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The current instant, to the second, RFC 3339 (as the SQLite store writes it).
pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows() {
        assert_eq!(
            redact_url("postgres://ann:s3cret@db.example:5432/yl?workspace=x"),
            "postgres://ann:***@db.example:5432/yl?workspace=x"
        );
        assert_eq!(redact_url("postgres://ann@db/yl"), "postgres://ann@db/yl");
    }

    #[test]
    fn the_workspace_parameter_is_taken_from_the_url() {
        assert_eq!(
            split_workspace("postgres://a@h/db?sslmode=disable&workspace=team-a"),
            (
                "postgres://a@h/db?sslmode=disable".to_owned(),
                Some("team-a".to_owned())
            )
        );
        assert_eq!(
            split_workspace("postgres://a@h/db"),
            ("postgres://a@h/db".to_owned(), None)
        );
    }
}
