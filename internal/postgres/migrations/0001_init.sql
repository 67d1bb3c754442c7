-- 0001: the tables, as SQLite's migrations 0001 to 0006 leave them. Times are BIGINT unix
-- milliseconds (UTC), NULL being the zero time, as in SQLite: the store keeps milliseconds
-- and compares instants as integers. Optional strings are NULL when empty.
--
-- Every text column that is a key, or that a list orders or pages on, is COLLATE "C": pages
-- come in byte order, as SQLite's binary collation gives them, whatever the database's
-- default collation, and the indexes compare bytes.

CREATE TABLE settings (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    email              TEXT NOT NULL,
    email_lower        TEXT COLLATE "C" UNIQUE,  -- lower-cased email, NULL when email is empty
    name               TEXT NOT NULL,
    seller             TEXT NOT NULL,
    payment_instrument BOOLEAN NOT NULL,
    email_verified     BOOLEAN NOT NULL,
    org_id             TEXT COLLATE "C",         -- NULL while standalone
    parent_id          TEXT COLLATE "C",
    joined_method      TEXT,
    joined_at          BIGINT,
    state              TEXT NOT NULL,
    closed_at          BIGINT
);

-- ListAccounts of an organization, and of one parent of it; the closure quotas count an
-- organization's closures since a moment.
CREATE INDEX accounts_org ON accounts (org_id, id);
CREATE INDEX accounts_org_parent ON accounts (org_id, parent_id, id);
CREATE INDEX accounts_org_closed ON accounts (org_id, closed_at);

CREATE TABLE organizations (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    feature_set           TEXT NOT NULL,
    management_account_id TEXT NOT NULL,
    root_id               TEXT COLLATE "C" NOT NULL UNIQUE, -- tags and OU ids hang on root ids
    created_at            BIGINT
);

CREATE TABLE handshakes (
    seq                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                    TEXT COLLATE "C" NOT NULL UNIQUE,
    org_id                TEXT COLLATE "C",
    management_account_id TEXT,
    action                TEXT COLLATE "C" NOT NULL,
    state                 TEXT COLLATE "C" NOT NULL,
    recipient_account_id  TEXT COLLATE "C",
    recipient_email       TEXT COLLATE "C",       -- lower-cased
    parent_id             TEXT COLLATE "C",
    parties               TEXT,                   -- JSON array, NULL when empty
    resources             TEXT,                   -- JSON array, NULL when empty
    tags                  TEXT,                   -- JSON array, NULL when empty
    requested_at          BIGINT,
    expires_at            BIGINT,
    closed_at             BIGINT,
    visible_until         BIGINT
);

-- Keyset pages (ORDER BY seq) of an organization's, a recipient's and a parent's handshakes.
CREATE INDEX handshakes_org ON handshakes (org_id, seq);
CREATE INDEX handshakes_recipient_account ON handshakes (recipient_account_id, seq);
CREATE INDEX handshakes_recipient_email ON handshakes (recipient_email, seq);
CREATE INDEX handshakes_parent ON handshakes (parent_id, seq);
-- The quota counts: open invitations (state IN, expires_at >, and those to expire), and the
-- invitations of the last 24 hours that were not accepted, one range per state.
CREATE INDEX handshakes_org_open ON handshakes (org_id, action, state, expires_at);
CREATE INDEX handshakes_org_state_requested ON handshakes (org_id, action, state, requested_at);

CREATE TABLE tags (
    resource_id TEXT COLLATE "C" NOT NULL,
    key         TEXT COLLATE "C" NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (resource_id, key)
);

CREATE TABLE outbox (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handshake_id TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT,
    sent_at      BIGINT
);

-- Organizational units. An OU never moves (AWS has no MoveOrganizationalUnit), so its path
-- from the organization down, which every account under it repeats, is stored with it.
CREATE TABLE ous (
    id         TEXT COLLATE "C" PRIMARY KEY,
    org_id     TEXT COLLATE "C" NOT NULL,
    parent_id  TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    path       TEXT NOT NULL,                  -- o-…/r-…/ou-…/…/ou-this/
    depth      INTEGER NOT NULL,               -- 1 for an OU directly under the root
    created_at BIGINT,
    UNIQUE (parent_id, name)                   -- DuplicateOrganizationalUnitException
);

-- ListOrganizationalUnitsForParent and CountOUs of an organization, and of one parent of it.
CREATE INDEX ous_org ON ous (org_id, id);
CREATE INDEX ous_org_parent ON ous (org_id, parent_id, id);

-- CreateAccount and CreateGovCloudAccount requests. A request is IN_PROGRESS until its
-- completes_at; the service settles it (SUCCEEDED or FAILED) in the first transaction after.
CREATE TABLE create_account_requests (
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                  TEXT COLLATE "C" NOT NULL UNIQUE,
    org_id              TEXT COLLATE "C" NOT NULL,
    account_name        TEXT NOT NULL,
    email               TEXT NOT NULL,
    role_name           TEXT NOT NULL,
    iam_billing         TEXT NOT NULL,
    tags                TEXT,                  -- JSON array, NULL when empty
    govcloud            BOOLEAN NOT NULL,
    state               TEXT COLLATE "C" NOT NULL,
    account_id          TEXT,
    govcloud_account_id TEXT,
    failure_reason      TEXT,
    requested_at        BIGINT,
    completes_at        BIGINT,
    completed_at        BIGINT
);

-- ListCreateAccountStatus pages of an organization, and the in-flight quota count.
CREATE INDEX create_account_requests_org ON create_account_requests (org_id, seq);
CREATE INDEX create_account_requests_org_state ON create_account_requests (org_id, state, seq);
-- Requests due to be settled, across organizations, in the order they are due.
CREATE INDEX create_account_requests_due ON create_account_requests (state, completes_at, seq);

-- Policies, their attachments to roots, OUs and accounts, and the policy types enabled in
-- each organization's root. The AWS-managed policies (p-FullAWSAccess, p-RCPFullAWSAccess)
-- have no row in policies, but their attachments are rows like any other.
CREATE TABLE policies (
    id          TEXT COLLATE "C" PRIMARY KEY,
    org_id      TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_at  BIGINT,
    updated_at  BIGINT,
    UNIQUE (org_id, type, name)                -- DuplicatePolicyException
);

-- ListPolicies pages of one type, the per-type quota count, DeletePolicies of an organization.
CREATE INDEX policies_org_type ON policies (org_id, type, id);

CREATE TABLE policy_attachments (
    org_id      TEXT COLLATE "C" NOT NULL,
    policy_id   TEXT COLLATE "C" NOT NULL,
    target_id   TEXT COLLATE "C" NOT NULL,
    policy_type TEXT COLLATE "C" NOT NULL,
    target_type TEXT NOT NULL,                 -- ROOT, ORGANIZATIONAL_UNIT or ACCOUNT
    seq         BIGINT NOT NULL,               -- attachment order within (target, policy type)
    attached_at BIGINT,
    PRIMARY KEY (org_id, policy_id, target_id) -- ListTargetsForPolicy pages, DeletePolicy's in-use probe
);

-- ListPoliciesForTarget pages and the effective-policy merge (attachment order), the
-- per-target attachment limits, and detaching everything from a target.
CREATE UNIQUE INDEX policy_attachments_target ON policy_attachments (org_id, target_id, policy_type, seq);
-- DisablePolicyType detaches every policy of the type.
CREATE INDEX policy_attachments_type ON policy_attachments (org_id, policy_type);

CREATE TABLE policy_types (
    org_id     TEXT COLLATE "C" NOT NULL,
    type       TEXT COLLATE "C" NOT NULL,
    root_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    enabled_at BIGINT,
    PRIMARY KEY (org_id, type)                 -- one root per organization
);

-- Trusted access, delegated administrators, the resource-based delegation policy and
-- responsibility transfers (spec §8.2–§8.5).
CREATE TABLE service_access (
    org_id            TEXT COLLATE "C" NOT NULL,
    service_principal TEXT COLLATE "C" NOT NULL,
    enabled_at        BIGINT,
    PRIMARY KEY (org_id, service_principal)    -- ListAWSServiceAccessForOrganization pages
);

CREATE TABLE delegated_admins (
    org_id            TEXT COLLATE "C" NOT NULL,
    account_id        TEXT COLLATE "C" NOT NULL,
    service_principal TEXT COLLATE "C" NOT NULL,
    enabled_at        BIGINT,
    -- ListDelegatedServicesForAccount pages; ListDelegatedAdministrators without a filter
    -- groups this index by account.
    PRIMARY KEY (org_id, account_id, service_principal)
);

-- ListDelegatedAdministrators of one service, and the per-service count.
CREATE INDEX delegated_admins_service ON delegated_admins (org_id, service_principal, account_id);

CREATE TABLE resource_policies (
    org_id     TEXT COLLATE "C" PRIMARY KEY,   -- one policy per organization
    id         TEXT COLLATE "C" NOT NULL UNIQUE,
    content    TEXT NOT NULL,
    created_at BIGINT,
    updated_at BIGINT
);

CREATE TABLE transfers (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                TEXT COLLATE "C" NOT NULL UNIQUE,
    type              TEXT NOT NULL,
    name              TEXT NOT NULL,
    status            TEXT COLLATE "C" NOT NULL,
    handshake_id      TEXT COLLATE "C" NOT NULL UNIQUE,
    target_org_id     TEXT COLLATE "C" NOT NULL,
    target_account_id TEXT NOT NULL,
    target_email      TEXT NOT NULL,
    source_org_id     TEXT COLLATE "C",          -- NULL until accepted
    source_account_id TEXT COLLATE "C" NOT NULL,
    source_email      TEXT NOT NULL,
    start_at          BIGINT,
    end_at            BIGINT,
    expires_at        BIGINT,
    created_at        BIGINT
);

-- Keyset pages (ORDER BY seq) of inbound and outbound transfers.
CREATE INDEX transfers_target ON transfers (target_org_id, seq);
CREATE INDEX transfers_source_account ON transfers (source_account_id, seq);
-- The quota counts: transfers of an organization in a status, the REQUESTED ones still open
-- (expires_at >).
CREATE INDEX transfers_target_status ON transfers (target_org_id, status, expires_at);
CREATE INDEX transfers_source_status ON transfers (source_org_id, status, expires_at);
