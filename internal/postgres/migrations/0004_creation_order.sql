-- 0004: creation order, which the moto profile lists in (issue 10), as SQLite's 0011 keeps
-- it. One sequence numbers accounts as they join an organization (PutAccount takes a number
-- whenever org_id changes), and OUs, policies, tags and trusted accesses as they are
-- inserted (the column's
-- default; a tag's new value keeps it). A sequence takes no row lock, so concurrent writers do not conflict on it; its
-- numbers increase across organizations, which orders each one's rows as well. Existing rows
-- are numbered by when they joined or were created; existing tags, whose order nothing
-- recorded, by key.

CREATE SEQUENCE creation_seq AS BIGINT;

ALTER TABLE accounts ADD COLUMN seq BIGINT;
ALTER TABLE ous ADD COLUMN seq BIGINT;
ALTER TABLE policies ADD COLUMN seq BIGINT;
ALTER TABLE tags ADD COLUMN seq BIGINT;
ALTER TABLE service_access ADD COLUMN seq BIGINT;

UPDATE accounts SET seq = n.seq FROM (
    SELECT id, ROW_NUMBER() OVER (ORDER BY joined_at, id) AS seq FROM accounts WHERE org_id IS NOT NULL) AS n
WHERE accounts.id = n.id;
UPDATE ous SET seq = n.seq FROM (
    SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS seq FROM ous) AS n
WHERE ous.id = n.id;
UPDATE policies SET seq = n.seq FROM (
    SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS seq FROM policies) AS n
WHERE policies.id = n.id;
UPDATE tags SET seq = n.seq FROM (
    SELECT resource_id, key, ROW_NUMBER() OVER (ORDER BY resource_id, key) AS seq FROM tags) AS n
WHERE tags.resource_id = n.resource_id AND tags.key = n.key;
UPDATE service_access SET seq = n.seq FROM (
    SELECT org_id, service_principal, ROW_NUMBER() OVER (ORDER BY enabled_at, org_id, service_principal) AS seq
    FROM service_access) AS n
WHERE service_access.org_id = n.org_id AND service_access.service_principal = n.service_principal;
SELECT setval('creation_seq', GREATEST((SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM ous),
    (SELECT COUNT(*) FROM policies), (SELECT COUNT(*) FROM tags), (SELECT COUNT(*) FROM service_access), 1));

ALTER TABLE ous ALTER COLUMN seq SET DEFAULT nextval('creation_seq');
ALTER TABLE policies ALTER COLUMN seq SET DEFAULT nextval('creation_seq');
ALTER TABLE tags ALTER COLUMN seq SET DEFAULT nextval('creation_seq');
ALTER TABLE service_access ALTER COLUMN seq SET DEFAULT nextval('creation_seq');

-- Pages in creation order of an organization's and a parent's accounts, of a parent's OUs
-- and of a type's policies.
-- Only accounts with a place are indexed: without the profile joins leave seq empty (see
-- org.WithCreationOrder), so these indexes cost them nothing.
CREATE INDEX accounts_org_seq ON accounts (org_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX accounts_org_parent_seq ON accounts (org_id, parent_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX ous_org_parent_seq ON ous (org_id, parent_id, seq);
CREATE INDEX policies_org_type_seq ON policies (org_id, type, seq);
CREATE INDEX service_access_org_seq ON service_access (org_id, seq);
