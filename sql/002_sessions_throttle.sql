-- 002: admin sessions and rate-limit state.

-- Admin login sessions: the cookie value is stored only as its SHA-256 digest.
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    digest      BLOB    NOT NULL UNIQUE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf        TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

-- Rate limits (GCRA): one row per client address, user or login name, holding
-- the theoretical arrival time of the next request.  A row whose tat has
-- passed is the same as no row, and is purged in small batches.
CREATE TABLE throttle (
    key  TEXT    PRIMARY KEY,
    tat  INTEGER NOT NULL,
    ok   INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX throttle_tat ON throttle (tat);
