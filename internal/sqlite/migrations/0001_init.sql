-- 0001: the initial schema. Times are INTEGER unix milliseconds (UTC); NULL is the zero time.
-- Optional strings (an account's organization, a handshake's recipient, ...) are NULL when empty.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE accounts (
    id                 TEXT PRIMARY KEY,
    email              TEXT NOT NULL,
    email_lower        TEXT UNIQUE,          -- lower-cased email, NULL when email is empty
    name               TEXT NOT NULL,
    seller             TEXT NOT NULL,
    payment_instrument INTEGER NOT NULL,     -- 0 or 1
    email_verified     INTEGER NOT NULL,     -- 0 or 1
    org_id             TEXT,                 -- NULL while standalone
    parent_id          TEXT,
    joined_method      TEXT,
    joined_at          INTEGER,
    state              TEXT NOT NULL
) WITHOUT ROWID;

-- ListAccounts / CountAccounts of an organization, and of one parent of it.
CREATE INDEX accounts_org ON accounts (org_id, id);
CREATE INDEX accounts_org_parent ON accounts (org_id, parent_id, id);

CREATE TABLE organizations (
    id                    TEXT PRIMARY KEY,
    feature_set           TEXT NOT NULL,
    management_account_id TEXT NOT NULL,
    root_id               TEXT NOT NULL UNIQUE, -- tags and OU ids hang on root ids
    created_at            INTEGER
) WITHOUT ROWID;

CREATE TABLE handshakes (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT NOT NULL UNIQUE,
    org_id                TEXT,
    management_account_id TEXT,
    action                TEXT NOT NULL,
    state                 TEXT NOT NULL,
    recipient_account_id  TEXT,
    recipient_email       TEXT,              -- lower-cased
    parent_id             TEXT,
    parties               TEXT,              -- JSON array, NULL when empty
    resources             TEXT,              -- JSON array, NULL when empty
    tags                  TEXT,              -- JSON array, NULL when empty
    requested_at          INTEGER,
    expires_at            INTEGER,
    closed_at             INTEGER,
    visible_until         INTEGER
);

-- Keyset pages (ORDER BY seq) of an organization's, a recipient's and a parent's handshakes.
CREATE INDEX handshakes_org ON handshakes (org_id, seq);
CREATE INDEX handshakes_recipient_account ON handshakes (recipient_account_id, seq);
CREATE INDEX handshakes_recipient_email ON handshakes (recipient_email, seq);
CREATE INDEX handshakes_parent ON handshakes (parent_id, seq);
-- Covering indexes for the quota counts: open handshakes of an action (state IN, expires_at >)
-- and those requested in the last 24 hours (requested_at >, state NOT IN).
CREATE INDEX handshakes_org_open ON handshakes (org_id, action, state, expires_at);
CREATE INDEX handshakes_org_requested ON handshakes (org_id, action, requested_at, state);

CREATE TABLE tags (
    resource_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (resource_id, key)
) WITHOUT ROWID;

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    handshake_id TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   INTEGER,
    sent_at      INTEGER
);
