-- 0015: IAM enforcement (issue 12). A role keeps the identity policies, permissions boundary
-- and principal tags declared with it (policies: JSON array of documents, boundary: one
-- document or '', tags: JSON object). A session keeps AssumeRole's inline session policy and
-- session tags. scp_version counts the organization's changes that affect the SCPs applying
-- to its accounts, so that a cache of them keyed by it is never stale on any replica.

ALTER TABLE roles ADD COLUMN policies TEXT NOT NULL DEFAULT '[]';
ALTER TABLE roles ADD COLUMN boundary TEXT NOT NULL DEFAULT '';
ALTER TABLE roles ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sessions ADD COLUMN session_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN session_tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE organizations ADD COLUMN scp_version INTEGER NOT NULL DEFAULT 0;
