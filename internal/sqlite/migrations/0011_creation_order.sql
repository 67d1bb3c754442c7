-- 0011: creation order, which the moto profile lists in (issue 10). seq is an account's place
-- in the order of joining its organization (PutAccount takes the organization's largest plus
-- one whenever org_id changes), an OU's and a policy's in the order of their creation among
-- its siblings and among the organization's policies of its type, a trusted access's among
-- the organization's, a tag's among the
-- resource's tags (a new value keeps the place; the primary key finds a resource's 50 at
-- most, so tags need no index of their own). These are WITHOUT ROWID tables, so no rowid
-- can serve. Existing rows are numbered by when they joined or were created; existing tags,
-- whose order nothing recorded, by key.

ALTER TABLE accounts ADD COLUMN seq INTEGER;
ALTER TABLE ous ADD COLUMN seq INTEGER;
ALTER TABLE policies ADD COLUMN seq INTEGER;
ALTER TABLE tags ADD COLUMN seq INTEGER;
ALTER TABLE service_access ADD COLUMN seq INTEGER;

UPDATE accounts SET seq = n.seq FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY joined_at, id) AS seq
    FROM accounts WHERE org_id IS NOT NULL) AS n
WHERE accounts.id = n.id;
UPDATE ous SET seq = n.seq FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY created_at, id) AS seq FROM ous) AS n
WHERE ous.id = n.id;
UPDATE policies SET seq = n.seq FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY created_at, id) AS seq FROM policies) AS n
WHERE policies.id = n.id;
UPDATE tags SET seq = n.seq FROM (
    SELECT resource_id, key, ROW_NUMBER() OVER (PARTITION BY resource_id ORDER BY key) AS seq FROM tags) AS n
WHERE tags.resource_id = n.resource_id AND tags.key = n.key;
UPDATE service_access SET seq = n.seq FROM (
    SELECT org_id, service_principal,
        ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY enabled_at, service_principal) AS seq
    FROM service_access) AS n
WHERE service_access.org_id = n.org_id AND service_access.service_principal = n.service_principal;

-- Pages in creation order of an organization's and a parent's accounts, of a parent's OUs
-- and of a type's policies. Each also finds the largest seq a new row must exceed: an OU
-- never moves, so it needs only exceed its siblings', and a policy those of its type.
-- Only accounts with a place are indexed: without the profile joins leave seq empty (see
-- org.WithCreationOrder), so these indexes cost them nothing.
CREATE INDEX accounts_org_seq ON accounts (org_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX accounts_org_parent_seq ON accounts (org_id, parent_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX ous_org_parent_seq ON ous (org_id, parent_id, seq);
CREATE INDEX policies_org_type_seq ON policies (org_id, type, seq);
CREATE INDEX service_access_org_seq ON service_access (org_id, seq);
