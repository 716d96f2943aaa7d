-- 1: every table of a workspace store. One database holds many workspaces: the
-- `workspace` key (a stable name) leads every primary key, unique key and foreign key,
-- so each table can be distributed on it (Citus) and colocated, and every query
-- filters on it. Columns mean what they mean in the SQLite store (ts: unix
-- microseconds; kind: yieldline_core::EventKind code; resume_on: days since 1970-01-01).
CREATE TABLE workspaces (
    workspace  text PRIMARY KEY,
    salt       text NOT NULL,
    generation bigint NOT NULL DEFAULT 0,
    created_at text NOT NULL
);
CREATE TABLE units (
    workspace text NOT NULL REFERENCES workspaces (workspace),
    id        bigint NOT NULL,
    key       text NOT NULL,
    account   bigint,
    PRIMARY KEY (workspace, id),
    UNIQUE (workspace, key)
);
CREATE TABLE accounts (
    workspace text NOT NULL REFERENCES workspaces (workspace),
    id        bigint NOT NULL,
    key       text NOT NULL,
    PRIMARY KEY (workspace, id),
    UNIQUE (workspace, key)
);
CREATE TABLE stations (
    workspace text NOT NULL REFERENCES workspaces (workspace),
    id        bigint NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (workspace, id),
    UNIQUE (workspace, name)
);
CREATE TABLE events (
    workspace     text NOT NULL,
    seq           bigint NOT NULL,
    event_id      text NOT NULL,
    ts            bigint NOT NULL,
    ts_offset     integer NOT NULL,
    unit          bigint NOT NULL,
    account       bigint NOT NULL,
    station       bigint NOT NULL,
    kind          smallint NOT NULL,
    flags         smallint NOT NULL,
    reason        text,
    resume_on     integer,
    referral_unit text,
    channel       text,
    operator_id   text,
    operator_kind text,
    arm           text,
    cost_minutes  double precision,
    PRIMARY KEY (workspace, seq),
    UNIQUE (workspace, event_id),
    FOREIGN KEY (workspace, unit) REFERENCES units (workspace, id),
    FOREIGN KEY (workspace, account) REFERENCES accounts (workspace, id),
    FOREIGN KEY (workspace, station) REFERENCES stations (workspace, id)
);
CREATE INDEX events_by_arm ON events (workspace, station, ts) WHERE arm IS NOT NULL;
CREATE INDEX events_by_unit ON events (workspace, unit);
-- The territory (names, e-mail and title are personal data, removed by `erase`).
CREATE TABLE contacts (
    workspace  text NOT NULL REFERENCES workspaces (workspace),
    contact_id text NOT NULL,
    account_id text NOT NULL,
    fit_tier   smallint,
    first_name text,
    last_name  text,
    email      text,
    title      text,
    PRIMARY KEY (workspace, contact_id)
);
CREATE TABLE imports (
    workspace  text NOT NULL REFERENCES workspaces (workspace),
    id         bigint NOT NULL,
    at         text NOT NULL,
    kind       text NOT NULL,
    source     text NOT NULL,
    read       bigint NOT NULL,
    imported   bigint NOT NULL,
    duplicates bigint NOT NULL,
    updated    bigint NOT NULL,
    rejected   bigint NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE TABLE experiments (
    workspace  text NOT NULL REFERENCES workspaces (workspace),
    id         text NOT NULL,
    station    text NOT NULL,
    start      bigint NOT NULL,
    stop       bigint,
    definition text NOT NULL,
    created_at text NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE TABLE suppression (
    workspace text NOT NULL REFERENCES workspaces (workspace),
    kind      text NOT NULL,
    target    text NOT NULL,
    added_at  text NOT NULL,
    added_by  text NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (workspace, kind, target)
);
-- Append-only with the hash chain of yieldline_store::shared (ids per workspace).
CREATE TABLE suppression_log (
    workspace   text NOT NULL REFERENCES workspaces (workspace),
    id          bigint NOT NULL,
    at          text NOT NULL,
    action      text NOT NULL,
    kind        text NOT NULL,
    target      text NOT NULL,
    who         text NOT NULL,
    reason      text NOT NULL,
    kind0       text NOT NULL,
    target_hash text NOT NULL,
    who_hash    text NOT NULL,
    reason_hash text NOT NULL,
    prev_hash   text NOT NULL,
    entry_hash  text NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE TABLE event_removals (
    workspace text NOT NULL REFERENCES workspaces (workspace),
    id        bigint NOT NULL,
    at        text NOT NULL,
    event_id  text NOT NULL,
    station   text NOT NULL,
    ts        bigint NOT NULL,
    who       text NOT NULL,
    reason    text NOT NULL,
    PRIMARY KEY (workspace, id)
);
CREATE TABLE api_tokens (
    workspace  text NOT NULL REFERENCES workspaces (workspace),
    name       text NOT NULL,
    role       text NOT NULL,
    hash       text NOT NULL,
    created_at text NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (workspace, name),
    UNIQUE (workspace, hash)
);
