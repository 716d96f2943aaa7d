//! Schema migrations, versioned by `PRAGMA user_version`: migration `i` (1-based)
//! takes the store from version `i − 1` to `i`. Never edit a released migration;
//! append a new one.

/// The migrations, in order.
pub const MIGRATIONS: &[&str] = &[
    // 1: the event log, interned keys, the territory and the import log.
    "
    CREATE TABLE units (
        id  INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE
    );
    CREATE TABLE accounts (
        id  INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE
    );
    CREATE TABLE stations (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    -- One row per fact. ts: unix microseconds (UTC); ts_offset: the offset written, in
    -- seconds; kind: yieldline_core::EventKind code; flags: FLAG_* bits derived at import;
    -- resume_on: days since 1970-01-01; digest: xxh3 of the normalised content, to tell
    -- a true duplicate from a conflicting re-use of an event_id.
    CREATE TABLE events (
        seq           INTEGER PRIMARY KEY,
        event_id      TEXT NOT NULL UNIQUE,
        digest        INTEGER NOT NULL,
        ts            INTEGER NOT NULL,
        ts_offset     INTEGER NOT NULL,
        unit          INTEGER NOT NULL,
        account       INTEGER NOT NULL,
        station       INTEGER NOT NULL,
        kind          INTEGER NOT NULL,
        flags         INTEGER NOT NULL,
        reason        TEXT,
        resume_on     INTEGER,
        referral_unit TEXT,
        channel       TEXT,
        operator_id   TEXT,
        operator_kind TEXT,
        arm           TEXT,
        cost_minutes  REAL
    );
    -- The territory: contacts with their account and attributes (names, e-mail and
    -- title are personal data, removed by `erase`).
    CREATE TABLE contacts (
        contact_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        fit_tier   INTEGER,
        first_name TEXT,
        last_name  TEXT,
        email      TEXT,
        title      TEXT
    ) WITHOUT ROWID;
    CREATE TABLE imports (
        id         INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        kind       TEXT NOT NULL,
        source     TEXT NOT NULL,
        read       INTEGER NOT NULL,
        imported   INTEGER NOT NULL,
        duplicates INTEGER NOT NULL,
        updated    INTEGER NOT NULL,
        rejected   INTEGER NOT NULL
    );
    ",
];
