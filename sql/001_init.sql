-- 001: users, authentication tokens, lists and tasks.
-- Times are INTEGER microseconds since the Unix epoch, UTC.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL,  -- case-folded username: uniqueness and lookup
    email         TEXT    NOT NULL DEFAULT '',
    password      TEXT    NOT NULL,  -- argon2id PHC string; '' = cannot log in
    is_staff      INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    is_superuser  INTEGER NOT NULL DEFAULT 0 CHECK (is_superuser IN (0, 1)),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    telegram_id   INTEGER,
    date_joined   INTEGER NOT NULL,
    last_login    INTEGER
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE UNIQUE INDEX users_telegram_id ON users (telegram_id) WHERE telegram_id IS NOT NULL;

-- Access (kind 1) and refresh (kind 2) tokens, stored only as SHA-256 digests.
-- A login starts a family; every token rotated from it shares the family.
CREATE TABLE auth_tokens (
    id          INTEGER PRIMARY KEY,
    digest      BLOB    NOT NULL UNIQUE,
    kind        INTEGER NOT NULL CHECK (kind IN (1, 2)),
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family      INTEGER NOT NULL,
    refresh_id  INTEGER,             -- an access token's refresh token
    expires_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,  -- 0 live, 1 rotated, 2 revoked
    created_at  INTEGER NOT NULL
);
CREATE INDEX auth_tokens_family ON auth_tokens (family);
CREATE INDEX auth_tokens_refresh ON auth_tokens (refresh_id) WHERE refresh_id IS NOT NULL;
CREATE INDEX auth_tokens_expires ON auth_tokens (expires_at);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE lists (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX lists_owner_name ON lists (owner_id, name);
CREATE INDEX lists_owner_created ON lists (owner_id, created_at, id);

CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY,
    list_id          INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    assigned_to      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    complete_before  INTEGER,
    status           TEXT    NOT NULL DEFAULT 'Pending'
                     CHECK (status IN ('Pending', 'In Progress', 'Completed', 'Overdue')),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX tasks_list_name ON tasks (list_id, name);
CREATE INDEX tasks_list_created ON tasks (list_id, created_at, id);
CREATE INDEX tasks_assignee_created ON tasks (assigned_to, created_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_due ON tasks (complete_before)
    WHERE complete_before IS NOT NULL AND status IN ('Pending', 'In Progress');
