-- 0012: the creation order of the lists 0011 left by id, which the moto profile lists in
-- (issue 10). policy_seq is an attachment's place among the policy's attachments
-- (ListTargetsForPolicy; seq stays the place among the target's). A delegated
-- administrator's seq is its place among the account's registrations
-- (ListDelegatedServicesForAccount), account_seq the account's place among the
-- organization's administrators (ListDelegatedAdministrators): every registration of an
-- account carries the one its first took, kept while the account has any, as moto keeps one
-- entry per account. Each new number is the largest of its scope plus one, found on the
-- scope's index. Existing rows are numbered by when they were attached or registered.

ALTER TABLE policy_attachments ADD COLUMN policy_seq INTEGER;
ALTER TABLE delegated_admins ADD COLUMN seq INTEGER;
ALTER TABLE delegated_admins ADD COLUMN account_seq INTEGER;

UPDATE policy_attachments SET policy_seq = n.policy_seq FROM (
    SELECT org_id, policy_id, target_id,
        ROW_NUMBER() OVER (PARTITION BY org_id, policy_id ORDER BY attached_at, target_id) AS policy_seq
    FROM policy_attachments) AS n
WHERE policy_attachments.org_id = n.org_id AND policy_attachments.policy_id = n.policy_id
    AND policy_attachments.target_id = n.target_id;
UPDATE delegated_admins SET seq = n.seq FROM (
    SELECT org_id, account_id, service_principal,
        ROW_NUMBER() OVER (PARTITION BY org_id, account_id ORDER BY enabled_at, service_principal) AS seq
    FROM delegated_admins) AS n
WHERE delegated_admins.org_id = n.org_id AND delegated_admins.account_id = n.account_id
    AND delegated_admins.service_principal = n.service_principal;
UPDATE delegated_admins SET account_seq = n.account_seq FROM (
    SELECT org_id, account_id,
        ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY MIN(enabled_at), account_id) AS account_seq
    FROM delegated_admins GROUP BY org_id, account_id) AS n
WHERE delegated_admins.org_id = n.org_id AND delegated_admins.account_id = n.account_id;

-- Pages in creation order of a policy's targets, of an account's services, of the
-- organization's administrators (grouped by account) and of one service's administrators.
CREATE INDEX policy_attachments_policy_seq ON policy_attachments (org_id, policy_id, policy_seq);
CREATE INDEX delegated_admins_account_seq ON delegated_admins (org_id, account_id, seq);
CREATE INDEX delegated_admins_org_account_seq ON delegated_admins (org_id, account_seq, account_id);
CREATE INDEX delegated_admins_service_account_seq ON delegated_admins (org_id, service_principal, account_seq);
