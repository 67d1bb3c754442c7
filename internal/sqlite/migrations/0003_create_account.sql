-- 0003: CreateAccount and CreateGovCloudAccount requests. A request is IN_PROGRESS until its
-- completes_at; the service settles it (SUCCEEDED or FAILED) in the first transaction after.

CREATE TABLE create_account_requests (
    seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
    id                    TEXT NOT NULL UNIQUE,
    org_id                TEXT NOT NULL,
    account_name          TEXT NOT NULL,
    email                 TEXT NOT NULL,
    role_name             TEXT NOT NULL,
    iam_billing           TEXT NOT NULL,
    tags                  TEXT,              -- JSON array, NULL when empty
    govcloud              INTEGER NOT NULL,  -- 0 or 1
    state                 TEXT NOT NULL,
    account_id            TEXT,
    govcloud_account_id   TEXT,
    failure_reason        TEXT,
    requested_at          INTEGER,
    completes_at          INTEGER,
    completed_at          INTEGER
);

-- ListCreateAccountStatus pages of an organization, and the in-flight quota count.
CREATE INDEX create_account_requests_org ON create_account_requests (org_id, seq);
CREATE INDEX create_account_requests_org_state ON create_account_requests (org_id, state, seq);
-- Requests due to be settled, across organizations.
CREATE INDEX create_account_requests_due ON create_account_requests (state, completes_at);
