-- 008: versions of the tasks of a list and of an assignee, for page marks.
--
-- A responder remembers where every 64th row of a deep page lies (the
-- "marks" of fcgi/domain/page_marks.c) for one version of the list's, or the
-- assignee's, tasks.  The version changes in the same transaction as every
-- insert, delete or move of those tasks and every change of a created_at,
-- so a snapshot that shows the version the marks were made at has the
-- same rows in the same order.  A new list or user starts at a random
-- version: a reused id never meets the marks of the row it replaces.
--
-- INVARIANT shared with fcgi/domain/page_marks.h (and tested by
-- tests/unit/test_page_marks.c): every trigger below that changes a scope's
-- rows or their order bumps its version.  A later migration that re-creates
-- these triggers (011 does) must keep every bump.  (Comments only: the
-- migrations are applied by number, their text is not checked against the
-- database.)

ALTER TABLE lists ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN assigned_version INTEGER NOT NULL DEFAULT 0;
UPDATE lists SET version = random();
UPDATE users SET assigned_version = random();

CREATE TRIGGER lists_version_start AFTER INSERT ON lists
BEGIN
    UPDATE lists SET version = random() WHERE id = NEW.id;
END;
CREATE TRIGGER users_version_start AFTER INSERT ON users
BEGIN
    UPDATE users SET assigned_version = random() WHERE id = NEW.id;
END;

-- The counter triggers of 003, now bumping the versions with the counts.
DROP TRIGGER tasks_counts_insert;
DROP TRIGGER tasks_counts_delete;
DROP TRIGGER tasks_counts_move;
DROP TRIGGER tasks_counts_assign;

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
