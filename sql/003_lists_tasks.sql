-- 003: lists and tasks: folded names for search, maintained counters, the
-- indexes behind every page and filter, change records (events) and the
-- Telegram outbox.

-- name_key: the name case-folded by the domain (users_fold), searched with instr().
ALTER TABLE lists ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE lists SET name_key = lower(name);
UPDATE tasks SET name_key = lower(name);

-- Counters kept by triggers, so a page's count needs no scan:
-- lists.task_count (the list's tasks), users.assigned_count (tasks assigned to the user).
ALTER TABLE lists ADD COLUMN task_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN assigned_count INTEGER NOT NULL DEFAULT 0;
UPDATE lists SET task_count = (SELECT count(*) FROM tasks WHERE tasks.list_id = lists.id);
UPDATE users SET assigned_count = (SELECT count(*) FROM tasks WHERE tasks.assigned_to = users.id);

CREATE TRIGGER tasks_counts_insert AFTER INSERT ON tasks
BEGIN
    UPDATE lists SET task_count = task_count + 1 WHERE id = NEW.list_id;
    UPDATE users SET assigned_count = assigned_count + 1 WHERE id = NEW.assigned_to;
END;
CREATE TRIGGER tasks_counts_delete AFTER DELETE ON tasks
BEGIN
    UPDATE lists SET task_count = task_count - 1 WHERE id = OLD.list_id;
    UPDATE users SET assigned_count = assigned_count - 1 WHERE id = OLD.assigned_to;
END;
CREATE TRIGGER tasks_counts_move AFTER UPDATE OF list_id ON tasks
WHEN OLD.list_id IS NOT NEW.list_id
BEGIN
    UPDATE lists SET task_count = task_count - 1 WHERE id = OLD.list_id;
    UPDATE lists SET task_count = task_count + 1 WHERE id = NEW.list_id;
END;
CREATE TRIGGER tasks_counts_assign AFTER UPDATE OF assigned_to ON tasks
WHEN OLD.assigned_to IS NOT NEW.assigned_to
BEGIN
    UPDATE users SET assigned_count = assigned_count - 1 WHERE id = OLD.assigned_to;
    UPDATE users SET assigned_count = assigned_count + 1 WHERE id = NEW.assigned_to;
END;

-- Every ordering of a list's page and of an assignee's page walks an index
-- (001 has (list_id, created_at, id) and (assigned_to, created_at, id));
-- a status filter with the default ordering has its own.
CREATE INDEX tasks_list_due ON tasks (list_id, complete_before, id);
CREATE INDEX tasks_list_updated ON tasks (list_id, updated_at, id);
CREATE INDEX tasks_list_status ON tasks (list_id, status, created_at, id);
CREATE INDEX tasks_assignee_due ON tasks (assigned_to, complete_before, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_assignee_updated ON tasks (assigned_to, updated_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_assignee_status ON tasks (assigned_to, status, created_at, id)
    WHERE assigned_to IS NOT NULL;

-- The feed of GET /api/events/ (one row per recipient).
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type       TEXT    NOT NULL CHECK (type IN ('task_updated', 'task_notify')),
    action     TEXT    NOT NULL,   -- created, updated, deleted, assigned, unassigned, completed, overdue
    task_id    INTEGER,            -- no FK: the task may be gone
    message    TEXT,               -- task_notify: the notice text
    created_at INTEGER NOT NULL
);
CREATE INDEX events_user ON events (user_id, id);

-- Telegram notices, delivered by `taskmgr worker`.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text            TEXT    NOT NULL,
    status          INTEGER NOT NULL DEFAULT 0,  -- 0 pending, 1 sent, 2 failed for good, 3 skipped (not linked)
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 0;
