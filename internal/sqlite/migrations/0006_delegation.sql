-- 0006: trusted access, delegated administrators, the resource-based delegation policy and
-- responsibility transfers (spec §8.2–§8.5).

CREATE TABLE service_access (
    org_id            TEXT NOT NULL,
    service_principal TEXT NOT NULL,
    enabled_at        INTEGER,
    PRIMARY KEY (org_id, service_principal)  -- ListAWSServiceAccessForOrganization pages
) WITHOUT ROWID;

CREATE TABLE delegated_admins (
    org_id            TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    service_principal TEXT NOT NULL,
    enabled_at        INTEGER,
    -- ListDelegatedServicesForAccount pages; ListDelegatedAdministrators without a filter
    -- groups this index by account.
    PRIMARY KEY (org_id, account_id, service_principal)
) WITHOUT ROWID;

-- ListDelegatedAdministrators of one service, and the per-service count.
CREATE INDEX delegated_admins_service ON delegated_admins (org_id, service_principal, account_id);

CREATE TABLE resource_policies (
    org_id     TEXT PRIMARY KEY,               -- one policy per organization
    id         TEXT NOT NULL UNIQUE,
    content    TEXT NOT NULL,
    created_at INTEGER,
    updated_at INTEGER
) WITHOUT ROWID;

CREATE TABLE transfers (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                TEXT NOT NULL UNIQUE,
    type              TEXT NOT NULL,
    name              TEXT NOT NULL,
    status            TEXT NOT NULL,
    handshake_id      TEXT NOT NULL UNIQUE,
    target_org_id     TEXT NOT NULL,
    target_account_id TEXT NOT NULL,
    target_email      TEXT NOT NULL,
    source_org_id     TEXT,                    -- NULL until accepted
    source_account_id TEXT NOT NULL,
    source_email      TEXT NOT NULL,
    start_at          INTEGER,
    end_at            INTEGER,
    expires_at        INTEGER,
    created_at        INTEGER
);

-- Keyset pages (ORDER BY seq) of inbound and outbound transfers.
CREATE INDEX transfers_target ON transfers (target_org_id, seq);
CREATE INDEX transfers_source_account ON transfers (source_account_id, seq);
-- Covering indexes for the quota counts: transfers of an organization in a status, the
-- REQUESTED ones still open (expires_at >).
CREATE INDEX transfers_target_status ON transfers (target_org_id, status, expires_at);
CREATE INDEX transfers_source_status ON transfers (source_org_id, status, expires_at);
