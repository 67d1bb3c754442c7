-- 0006: IAM roles and STS's temporary credentials (issue 11), as SQLite's 0013 keeps them.
-- A role's name is unique in its account case-insensitively, as IAM's are: name_key is its
-- lower-case form. trusted is the JSON array of the principals it trusts. A session is one access key STS issued; the
-- expires_at index lets writes prune expired ones without reading the others.

CREATE TABLE roles (
    account_id           TEXT NOT NULL,
    name_key             TEXT NOT NULL,
    name                 TEXT NOT NULL,
    id                   TEXT NOT NULL,
    trusted              TEXT NOT NULL,
    max_session_duration BIGINT NOT NULL,
    created_at           BIGINT,
    PRIMARY KEY (account_id, name_key)
);

CREATE TABLE sessions (
    access_key_id     TEXT PRIMARY KEY,
    secret_access_key TEXT NOT NULL,
    session_token     TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    principal_kind    TEXT NOT NULL,
    principal_name    TEXT NOT NULL,
    principal_session TEXT NOT NULL,
    principal_id      TEXT NOT NULL,
    issued_at         BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    chained           BOOLEAN NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
