-- 011: ids that are never handed out twice.
--
-- Without AUTOINCREMENT SQLite gives a new row max(id) + 1, so deleting the
-- newest user, list, task or notice gave its id to the next one: a client,
-- a Telegram "done" button or a log line that kept the id then reached a
-- different object (006 did the same for events).  The tables whose ids
-- leave the database -- users, lists, tasks (the API, the bot's buttons,
-- the events' task_id, the admin index's deletions) and outbox (the
-- worker's log lines) -- are rebuilt with AUTOINCREMENT: sqlite_sequence
-- then remembers the highest id ever used.  The ids of auth_tokens,
-- sessions and deletions never leave the database (a token or a session is
-- found by its digest, a deletion shows its object's id), and
-- telegram_links is keyed by its user.
--
-- taskmgr migrate runs a migration with foreign keys off (SQLite's way to
-- rebuild a table that others refer to: dropping users with them on would
-- delete every row that refers to it) and checks them before it commits.
-- Rows are copied with their ids and every column (counters, page-mark
-- versions: the marks a running responder holds stay true); the triggers
-- and indexes, dropped with their tables, are created again as 003-010
-- left them.  The search index (tasks_fts) refers to tasks by id and
-- name, both unchanged, and is not touched.

CREATE TABLE users_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT    NOT NULL,
    username_key     TEXT    NOT NULL,  -- case-folded username: uniqueness and lookup
    email            TEXT    NOT NULL DEFAULT '',
    password         TEXT    NOT NULL,  -- argon2id PHC string; '' = cannot log in
    is_staff         INTEGER NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    is_superuser     INTEGER NOT NULL DEFAULT 0 CHECK (is_superuser IN (0, 1)),
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    telegram_id      INTEGER,
    date_joined      INTEGER NOT NULL,
    last_login       INTEGER,
    assigned_count   INTEGER NOT NULL DEFAULT 0,
    assigned_version INTEGER NOT NULL DEFAULT 0
);
INSERT INTO users_new (id, username, username_key, email, password, is_staff,
        is_superuser, is_active, telegram_id, date_joined, last_login,
        assigned_count, assigned_version)
    SELECT id, username, username_key, email, password, is_staff,
        is_superuser, is_active, telegram_id, date_joined, last_login,
        assigned_count, assigned_version FROM users;

CREATE TABLE lists_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    name_key    TEXT    NOT NULL DEFAULT '',
    task_count  INTEGER NOT NULL DEFAULT 0,
    version     INTEGER NOT NULL DEFAULT 0
);
INSERT INTO lists_new (id, owner_id, name, created_at, updated_at, name_key,
        task_count, version)
    SELECT id, owner_id, name, created_at, updated_at, name_key,
        task_count, version FROM lists;

CREATE TABLE tasks_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id          INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    assigned_to      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    complete_before  INTEGER,
    status           TEXT    NOT NULL DEFAULT 'Pending'
                     CHECK (status IN ('Pending', 'In Progress', 'Completed', 'Overdue')),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    name_key         TEXT    NOT NULL DEFAULT ''
);
INSERT INTO tasks_new (id, list_id, name, description, assigned_to,
        complete_before, status, created_at, updated_at, name_key)
    SELECT id, list_id, name, description, assigned_to,
        complete_before, status, created_at, updated_at, name_key FROM tasks;

CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text            TEXT    NOT NULL,
    status          INTEGER NOT NULL DEFAULT 0,  -- 0 pending, 1 sent, 2 failed for good, 3 skipped (not linked)
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    parts_sent      INTEGER NOT NULL DEFAULT 0,
    finished_at     INTEGER
);
INSERT INTO outbox_new (id, user_id, text, status, attempts, next_attempt_at,
        last_error, created_at, sent_at, parts_sent, finished_at)
    SELECT id, user_id, text, status, attempts, next_attempt_at,
        last_error, created_at, sent_at, parts_sent, finished_at FROM outbox;

-- their triggers and indexes go with them
DROP TABLE outbox;
DROP TABLE tasks;
DROP TABLE lists;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE lists_new RENAME TO lists;
ALTER TABLE tasks_new RENAME TO tasks;
ALTER TABLE outbox_new RENAME TO outbox;

-- Where each sequence starts: above every id the table holds and every id
-- of it that a recorded deletion (010) still names, for tasks also above
-- those the events name and the search index covers (a deleted newest row
-- leaves those traces).  The copies above seeded the first part already.
DELETE FROM sqlite_sequence WHERE name IN ('users', 'lists', 'tasks');
INSERT INTO sqlite_sequence (name, seq) SELECT 'users', max(
    coalesce((SELECT max(id) FROM users), 0),
    coalesce((SELECT max(object_id) FROM deletions WHERE kind = 'user'), 0));
INSERT INTO sqlite_sequence (name, seq) SELECT 'lists', max(
    coalesce((SELECT max(id) FROM lists), 0),
    coalesce((SELECT max(object_id) FROM deletions WHERE kind = 'list'), 0));
INSERT INTO sqlite_sequence (name, seq) SELECT 'tasks', max(
    coalesce((SELECT max(id) FROM tasks), 0),
    coalesce((SELECT max(object_id) FROM deletions WHERE kind = 'task'), 0),
    coalesce((SELECT max(task_id) FROM events), 0),
    coalesce((SELECT indexed_to FROM task_search), 0));

-- 001
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE UNIQUE INDEX users_telegram_id ON users (telegram_id) WHERE telegram_id IS NOT NULL;
CREATE UNIQUE INDEX lists_owner_name ON lists (owner_id, name);
CREATE INDEX lists_owner_created ON lists (owner_id, created_at, id);
CREATE UNIQUE INDEX tasks_list_name ON tasks (list_id, name);
CREATE INDEX tasks_list_created ON tasks (list_id, created_at, id);
CREATE INDEX tasks_assignee_created ON tasks (assigned_to, created_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_due ON tasks (complete_before)
    WHERE complete_before IS NOT NULL AND status IN ('Pending', 'In Progress');
-- 003
CREATE INDEX tasks_list_due ON tasks (list_id, complete_before, id);
CREATE INDEX tasks_list_updated ON tasks (list_id, updated_at, id);
CREATE INDEX tasks_list_status ON tasks (list_id, status, created_at, id);
CREATE INDEX tasks_assignee_due ON tasks (assigned_to, complete_before, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_assignee_updated ON tasks (assigned_to, updated_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_assignee_status ON tasks (assigned_to, status, created_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 0;
-- 005
CREATE INDEX tasks_updated ON tasks (updated_at, id);
CREATE INDEX lists_updated ON lists (updated_at, id);
-- 006
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE status <> 0;

-- 007: the search index kept in step (a new task now always lands in the
-- tail, above indexed_to: the insert trigger stays for rows written with
-- an id, e.g. by hand)
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
WHEN NEW.id <= (SELECT indexed_to FROM task_search)
BEGIN
    INSERT INTO tasks_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks
WHEN OLD.id <= (SELECT indexed_to FROM task_search)
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name_key)
        VALUES ('delete', OLD.id, OLD.name_key);
END;
CREATE TRIGGER tasks_fts_rename AFTER UPDATE OF name_key ON tasks
WHEN OLD.name_key IS NOT NEW.name_key
    AND OLD.id <= (SELECT indexed_to FROM task_search)
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name_key)
        VALUES ('delete', OLD.id, OLD.name_key);
    INSERT INTO tasks_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;

-- 008: counters and page-mark versions (the invariant of
-- fcgi/domain/page_marks.h: every change of a scope's rows bumps its version)
CREATE TRIGGER lists_version_start AFTER INSERT ON lists
BEGIN
    UPDATE lists SET version = random() WHERE id = NEW.id;
END;
CREATE TRIGGER users_version_start AFTER INSERT ON users
BEGIN
    UPDATE users SET assigned_version = random() WHERE id = NEW.id;
END;
CREATE TRIGGER tasks_counts_insert AFTER INSERT ON tasks
BEGIN
    UPDATE lists SET task_count = task_count + 1, version = version + 1
        WHERE id = NEW.list_id;
    UPDATE users SET assigned_count = assigned_count + 1,
        assigned_version = assigned_version + 1 WHERE id = NEW.assigned_to;
END;
CREATE TRIGGER tasks_counts_delete AFTER DELETE ON tasks
BEGIN
    UPDATE lists SET task_count = task_count - 1, version = version + 1
        WHERE id = OLD.list_id;
    UPDATE users SET assigned_count = assigned_count - 1,
        assigned_version = assigned_version + 1 WHERE id = OLD.assigned_to;
END;
CREATE TRIGGER tasks_counts_move AFTER UPDATE OF list_id ON tasks
WHEN OLD.list_id IS NOT NEW.list_id
BEGIN
    UPDATE lists SET task_count = task_count - 1, version = version + 1
        WHERE id = OLD.list_id;
    UPDATE lists SET task_count = task_count + 1, version = version + 1
        WHERE id = NEW.list_id;
END;
CREATE TRIGGER tasks_counts_assign AFTER UPDATE OF assigned_to ON tasks
WHEN OLD.assigned_to IS NOT NEW.assigned_to
BEGIN
    UPDATE users SET assigned_count = assigned_count - 1,
        assigned_version = assigned_version + 1 WHERE id = OLD.assigned_to;
    UPDATE users SET assigned_count = assigned_count + 1,
        assigned_version = assigned_version + 1 WHERE id = NEW.assigned_to;
END;
CREATE TRIGGER tasks_created_changed AFTER UPDATE OF created_at ON tasks
WHEN OLD.created_at IS NOT NEW.created_at
BEGIN
    UPDATE lists SET version = version + 1 WHERE id IN (OLD.list_id, NEW.list_id);
    UPDATE users SET assigned_version = assigned_version + 1
        WHERE id IN (OLD.assigned_to, NEW.assigned_to);
END;

-- 010: deletions recorded for the admin index
CREATE TRIGGER tasks_deleted AFTER DELETE ON tasks
WHEN EXISTS (SELECT 1 FROM lists WHERE id = OLD.list_id)
BEGIN
    INSERT INTO deletions (kind, object_id, name, place, deleted_at)
    SELECT 'task', OLD.id, OLD.name, l.name,
        CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000
    FROM lists l WHERE l.id = OLD.list_id;
END;
CREATE TRIGGER lists_deleted AFTER DELETE ON lists
WHEN EXISTS (SELECT 1 FROM users WHERE id = OLD.owner_id)
BEGIN
    INSERT INTO deletions (kind, object_id, name, place, deleted_at)
    SELECT 'list', OLD.id, OLD.name, u.username,
        CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000
    FROM users u WHERE u.id = OLD.owner_id;
END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN
    INSERT INTO deletions (kind, object_id, name, place, deleted_at)
    VALUES ('user', OLD.id, OLD.username, '',
        CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000);
END;
