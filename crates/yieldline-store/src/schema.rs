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
    // 2: experiments. definition: the JSON of yieldline_core::experiment::ExperimentDef
    // (the source of truth); station, start and stop (unix microseconds) are copies for
    // queries. The partial index serves the analysis: arm-tagged events at a station.
    "
    CREATE TABLE experiments (
        id         TEXT PRIMARY KEY,
        station    TEXT NOT NULL,
        start      INTEGER NOT NULL,
        stop       INTEGER,
        definition TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX events_by_arm ON events (station, ts) WHERE arm IS NOT NULL;
    ",
    // 3: suppression (contacts, e-mails, domains, erased persons' hashes) with its
    // append-only log, and the workspace's salt for erased persons' hashes.
    "
    -- kind: contact | email | domain | erased. target: the contact id, the lower-case
    -- address or domain, or (erased) the salted SHA-256 hex of a contact id or e-mail.
    CREATE TABLE suppression (
        kind     TEXT NOT NULL,
        target   TEXT NOT NULL,
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL,
        reason   TEXT NOT NULL,
        PRIMARY KEY (kind, target)
    ) WITHOUT ROWID;
    -- Every add, remove and erase. Append-only, except that `erase` rewrites the rows that
    -- named the erased person to the person's hash.
    CREATE TABLE suppression_log (
        id     INTEGER PRIMARY KEY,
        at     TEXT NOT NULL,
        action TEXT NOT NULL,
        kind   TEXT NOT NULL,
        target TEXT NOT NULL,
        who    TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    -- The per-workspace salt of erased persons' hashes (random, never changes).
    CREATE TABLE privacy_salt (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        salt TEXT NOT NULL
    );
    INSERT INTO privacy_salt (id, salt) VALUES (1, lower(hex(randomblob(32))));
    -- Opt-outs imported before suppression existed.
    INSERT OR IGNORE INTO suppression (kind, target, added_at, added_by, reason)
        SELECT 'contact', u.key, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'import', 'optout event ' || e.event_id
        FROM events e JOIN units u ON u.id = e.unit
        WHERE e.kind = 5 OR (e.kind = 3 AND e.reason = 'optout')
        ORDER BY e.seq;
    INSERT INTO suppression_log (at, action, kind, target, who, reason)
        SELECT added_at, 'add', kind, target, added_by, reason FROM suppression ORDER BY target;
    ",
    // 4: each unit's account (that of its latest event), kept by imports, so the unit
    // directory does not scan the event log.
    "
    ALTER TABLE units ADD COLUMN account INTEGER;
    UPDATE units SET account = last.account
        FROM (SELECT unit, account, max(seq) FROM events GROUP BY unit) AS last
        WHERE last.unit = units.id;
    ",
    // 5: the fact cache (`crate::pages`): the log's facts packed 32 bytes each, in `seq`
    // order, written by imports in the same transaction as their events, so loading the
    // log reads a few hundred large blobs instead of every row. A page holds the facts
    // with `seq` in `first_seq ..= last_seq` (`count` of them). Any removal of an event
    // or change to a field a fact is made of drops the whole cache (the log is then read
    // row by row, as for a store imported before this migration).
    "
    CREATE TABLE fact_pages (
        first_seq INTEGER PRIMARY KEY,
        last_seq  INTEGER NOT NULL,
        count     INTEGER NOT NULL,
        data      BLOB NOT NULL
    );
    CREATE TRIGGER fact_pages_on_delete AFTER DELETE ON events
    BEGIN
        DELETE FROM fact_pages;
    END;
    CREATE TRIGGER fact_pages_on_update
        AFTER UPDATE OF seq, ts, unit, station, kind, flags, resume_on, cost_minutes ON events
    BEGIN
        DELETE FROM fact_pages;
    END;
    ",
    // 6: the store's generation, bumped by every write transaction, so results can be
    // cached per generation and dropped by any change.
    "
    CREATE TABLE store_meta (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        generation INTEGER NOT NULL
    );
    INSERT INTO store_meta (id, generation) VALUES (1, 0);
    ",
    // 7: the suppression log's hash chain (`crate::chain`): the salted hashes of each
    // entry's target, actor and reason, its kind as first written, and the chain links.
    // Entries written before are chained when this migration runs.
    "
    ALTER TABLE suppression_log ADD COLUMN kind0 TEXT;
    ALTER TABLE suppression_log ADD COLUMN target_hash TEXT;
    ALTER TABLE suppression_log ADD COLUMN who_hash TEXT;
    ALTER TABLE suppression_log ADD COLUMN reason_hash TEXT;
    ALTER TABLE suppression_log ADD COLUMN prev_hash TEXT;
    ALTER TABLE suppression_log ADD COLUMN entry_hash TEXT;
    -- Events removed by `yieldline events remove`: which, when, by whom and why (the
    -- event's content is not kept: a removal may be of personal data entered by mistake).
    CREATE TABLE event_removals (
        id       INTEGER PRIMARY KEY,
        at       TEXT NOT NULL,
        event_id TEXT NOT NULL,
        station  TEXT NOT NULL,
        ts       INTEGER NOT NULL,
        who      TEXT NOT NULL,
        reason   TEXT NOT NULL
    );
    ",
    // 8: API tokens of the HTTP server. Only the SHA-256 (hex) of each token's secret is
    // kept; name is how people refer to it (list, revoke); role is viewer | analyst |
    // admin. Revoking deletes the row.
    "
    CREATE TABLE api_tokens (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL,
        hash       TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    ) WITHOUT ROWID;
    ",
];
