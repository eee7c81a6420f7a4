-- 019: personal API tokens and calendar feed tokens (issue #19).
--
-- A personal token ("tmpat_" + 43 base64url characters) is stored only as
-- the SHA-256 digest of the whole token, found by that digest (one indexed
-- lookup per request).  scopes: 1 read, 3 read and write.  prefix: the
-- token's first 10 characters, shown so a user recognises it.  Revoking
-- deletes the row; its id leaves the database (DELETE /api/auth/tokens/{id}/),
-- so it is never reused (AUTOINCREMENT).  last_used_at is written at most
-- once a minute per token.
CREATE TABLE personal_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest        BLOB    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    scopes        INTEGER NOT NULL CHECK (scopes IN (1, 3)),
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
);
CREATE INDEX personal_tokens_user ON personal_tokens (user_id, id);

-- One calendar feed per user: the SHA-256 digest of the secret in its URL.
-- A new feed replaces the old one (the row is keyed by its user).
CREATE TABLE calendar_feeds (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    digest      BLOB    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);
