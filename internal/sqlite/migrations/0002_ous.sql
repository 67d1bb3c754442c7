-- 0002: organizational units. An OU never moves (AWS has no MoveOrganizationalUnit), so its
-- path from the organization down, which every account under it repeats, is stored with it.

CREATE TABLE ous (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    parent_id  TEXT NOT NULL,
    name       TEXT NOT NULL,
    path       TEXT NOT NULL,                -- o-…/r-…/ou-…/…/ou-this/
    depth      INTEGER NOT NULL,             -- 1 for an OU directly under the root
    created_at INTEGER,
    UNIQUE (parent_id, name)                 -- DuplicateOrganizationalUnitException
) WITHOUT ROWID;

-- ListOrganizationalUnitsForParent and CountOUs of an organization, and of one parent of it.
CREATE INDEX ous_org ON ous (org_id, id);
CREATE INDEX ous_org_parent ON ous (org_id, parent_id, id);
