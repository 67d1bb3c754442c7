-- 0005: policies, their attachments to roots, OUs and accounts, and the policy types enabled
-- in each organization's root. The AWS-managed policies (p-FullAWSAccess, p-RCPFullAWSAccess)
-- have no row in policies, but their attachments are rows like any other.

CREATE TABLE policies (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    type        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    content     TEXT NOT NULL,
    created_at  INTEGER,
    updated_at  INTEGER,
    UNIQUE (org_id, type, name)              -- DuplicatePolicyException
) WITHOUT ROWID;

-- ListPolicies pages of one type, the per-type quota count, DeletePolicies of an organization.
CREATE INDEX policies_org_type ON policies (org_id, type, id);

CREATE TABLE policy_attachments (
    org_id      TEXT NOT NULL,
    policy_id   TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    policy_type TEXT NOT NULL,
    target_type TEXT NOT NULL,               -- ROOT, ORGANIZATIONAL_UNIT or ACCOUNT
    seq         INTEGER NOT NULL,            -- attachment order within (target, policy type)
    attached_at INTEGER,
    PRIMARY KEY (org_id, policy_id, target_id) -- ListTargetsForPolicy pages, DeletePolicy's in-use probe
) WITHOUT ROWID;

-- ListPoliciesForTarget pages and the effective-policy merge (attachment order), the
-- per-target attachment limits, and detaching everything from a target.
CREATE UNIQUE INDEX policy_attachments_target ON policy_attachments (org_id, target_id, policy_type, seq);
-- DisablePolicyType detaches every policy of the type.
CREATE INDEX policy_attachments_type ON policy_attachments (org_id, policy_type);

CREATE TABLE policy_types (
    org_id     TEXT NOT NULL,
    type       TEXT NOT NULL,
    root_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    enabled_at INTEGER,
    PRIMARY KEY (org_id, type)               -- one root per organization
) WITHOUT ROWID;
