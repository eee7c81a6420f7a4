-- 010: what was deleted, with the name it had, for the admin index's recent
-- changes.  The rows are written by triggers, so every way of deleting (API,
-- admin pages, bot, CLI) is recorded, in the same transaction as the delete.
-- A task that goes with its list, or a list with its owner, is not recorded
-- on its own: the cascade runs after the parent row is gone, so the parent's
-- row stands for all of it.  Only the newest 200 rows are kept.
-- (A migration that rebuilds tasks, lists or users must create these
-- triggers again: dropping a table drops its triggers.)
CREATE TABLE deletions (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('task', 'list', 'user')),
    object_id   INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    place       TEXT    NOT NULL DEFAULT '',  -- a task's list, a list's owner
    deleted_at  INTEGER NOT NULL              -- microseconds (millisecond precision)
);
CREATE INDEX deletions_at ON deletions (deleted_at, id);

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
CREATE TRIGGER deletions_keep AFTER INSERT ON deletions
BEGIN
    DELETE FROM deletions WHERE id <= NEW.id - 200;
END;
