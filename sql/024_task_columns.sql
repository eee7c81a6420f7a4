-- 024: the columns a task page reads, together at the front of a row.
--
-- SQLite finds a column of a row by reading the row's header up to that
-- column, so a page pays for every column before the last one it reads.
-- 014-018 appended the rule (rec_*) and the reminders after rec_anchor, and a
-- page read the reminders as column 15 of each row (the page's other columns
-- end at updated_at, column 8).  The table is rebuilt with the same columns,
-- rec_every and reminders first after name_key (column 9, which the first
-- ten columns' order keeps where 003 put it), then the rest of the rule and
-- rec_anchor, which pages do not read: a page now reads up to column 11.
--
-- taskmgr migrate runs a migration with foreign keys off (rebuilding a table
-- that others refer to drops it) and checks them before it commits.  Rows
-- keep their ids and every value; the sequence keeps its value (a deleted
-- newest task's id stays used); the indexes and triggers, dropped with the
-- table, are created again as 011-015 left them (tasks_counts_insert and
-- tasks_counts_delete also keep extras_count, below), in the same order
-- (SQLite fires a table's triggers newest first).  The search index
-- (tasks_fts) reads tasks by id and name_key, both unchanged: it is not
-- touched.  A migration that adds an index or a trigger on tasks must come
-- after this one, or be repeated here.

-- How many tasks of each list and of each assignee have a rule or reminders
-- (most have none): a page reads the count with the list's row or the
-- assignee's counter, which it reads anyway, and those columns of its rows
-- only when it is not 0.  Kept like task_count and assigned_count: by the
-- insert and delete triggers of those (a sum of one more expression), and
-- by tasks_extras_change below for an UPDATE that names a task's list,
-- assignee, rule or reminders.
ALTER TABLE lists ADD COLUMN extras_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN extras_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE tasks_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    list_id          INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    description      TEXT    NOT NULL DEFAULT '',
    assigned_to      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    complete_before  INTEGER,
    status           TEXT    NOT NULL DEFAULT 'Pending'
                     CHECK (status = 'Pending' OR status = 'In Progress' OR status = 'Completed' OR status = 'Overdue'),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    name_key         TEXT    NOT NULL DEFAULT '',
    rec_every        INTEGER
                     CHECK (rec_every IS NULL OR rec_every BETWEEN 1 AND 1000),
    reminders        TEXT,
    rec_unit         TEXT
                     CHECK (rec_unit IS NULL OR rec_unit = 'day' OR rec_unit = 'week' OR
                            rec_unit = 'month' OR rec_unit = 'year'),
    rec_from         TEXT
                     CHECK (rec_from IS NULL OR rec_from IN ('deadline', 'completion')),
    rec_until        INTEGER,
    rec_anchor       INTEGER
);
INSERT INTO tasks_new (id, list_id, name, description, assigned_to,
        complete_before, status, created_at, updated_at, name_key,
        rec_every, reminders, rec_unit, rec_from, rec_until, rec_anchor)
    SELECT id, list_id, name, description, assigned_to,
        complete_before, status, created_at, updated_at, name_key,
        rec_every, reminders, rec_unit, rec_from, rec_until, rec_anchor
    FROM tasks ORDER BY id;
-- the sequence as it was (the copy set it to the highest id held)
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'tasks')
    WHERE name = 'tasks_new' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tasks');
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'tasks_new', seq FROM sqlite_sequence WHERE name = 'tasks'
        AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tasks_new');

-- its indexes and triggers go with it
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;

CREATE UNIQUE INDEX tasks_list_name ON tasks (list_id, name);
CREATE INDEX tasks_list_created ON tasks (list_id, created_at, id);
CREATE INDEX tasks_assignee_created ON tasks (assigned_to, created_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_due ON tasks (complete_before)
    WHERE complete_before IS NOT NULL AND status IN ('Pending', 'In Progress');
CREATE INDEX tasks_list_due ON tasks (list_id, complete_before, id);
CREATE INDEX tasks_list_updated ON tasks (list_id, updated_at, id);
CREATE INDEX tasks_list_status ON tasks (list_id, status, created_at, id);
CREATE INDEX tasks_assignee_due ON tasks (assigned_to, complete_before, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_assignee_updated ON tasks (assigned_to, updated_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_assignee_status ON tasks (assigned_to, status, created_at, id)
    WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_updated ON tasks (updated_at, id);

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
CREATE TRIGGER tasks_counts_insert AFTER INSERT ON tasks
BEGIN
    UPDATE lists SET task_count = task_count + 1, version = version + 1,
        extras_count = extras_count + (NEW.rec_every IS NOT NULL OR NEW.reminders IS NOT NULL)
        WHERE id = NEW.list_id;
    UPDATE users SET assigned_count = assigned_count + 1,
        assigned_version = assigned_version + 1,
        extras_count = extras_count + (NEW.rec_every IS NOT NULL OR NEW.reminders IS NOT NULL)
        WHERE id = NEW.assigned_to;
END;
CREATE TRIGGER tasks_counts_delete AFTER DELETE ON tasks
BEGIN
    UPDATE lists SET task_count = task_count - 1, version = version + 1,
        extras_count = extras_count - (OLD.rec_every IS NOT NULL OR OLD.reminders IS NOT NULL)
        WHERE id = OLD.list_id;
    UPDATE users SET assigned_count = assigned_count - 1,
        assigned_version = assigned_version + 1,
        extras_count = extras_count - (OLD.rec_every IS NOT NULL OR OLD.reminders IS NOT NULL)
        WHERE id = OLD.assigned_to;
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
CREATE TRIGGER tasks_deleted AFTER DELETE ON tasks
WHEN EXISTS (SELECT 1 FROM lists WHERE id = OLD.list_id)
BEGIN
    INSERT INTO deletions (kind, object_id, name, place, deleted_at)
    SELECT 'task', OLD.id, OLD.name, l.name,
        CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000
    FROM lists l WHERE l.id = OLD.list_id;
END;
CREATE TRIGGER task_activity_gone AFTER DELETE ON tasks
BEGIN
    DELETE FROM task_activity WHERE task_id = OLD.id;
END;

UPDATE lists SET extras_count = c.n
    FROM (SELECT list_id, count(*) AS n FROM tasks
          WHERE rec_every IS NOT NULL OR reminders IS NOT NULL GROUP BY list_id) AS c
    WHERE lists.id = c.list_id;
UPDATE users SET extras_count = c.n
    FROM (SELECT assigned_to, count(*) AS n FROM tasks
          WHERE assigned_to IS NOT NULL AND (rec_every IS NOT NULL OR reminders IS NOT NULL)
          GROUP BY assigned_to) AS c
    WHERE users.id = c.assigned_to;
CREATE TRIGGER tasks_extras_change
AFTER UPDATE OF list_id, assigned_to, rec_every, reminders ON tasks
WHEN OLD.rec_every IS NOT NULL OR OLD.reminders IS NOT NULL
    OR NEW.rec_every IS NOT NULL OR NEW.reminders IS NOT NULL
BEGIN
    UPDATE lists SET extras_count = extras_count - 1
        WHERE id = OLD.list_id AND (OLD.rec_every IS NOT NULL OR OLD.reminders IS NOT NULL);
    UPDATE users SET extras_count = extras_count - 1
        WHERE id = OLD.assigned_to AND (OLD.rec_every IS NOT NULL OR OLD.reminders IS NOT NULL);
    UPDATE lists SET extras_count = extras_count + 1
        WHERE id = NEW.list_id AND (NEW.rec_every IS NOT NULL OR NEW.reminders IS NOT NULL);
    UPDATE users SET extras_count = extras_count + 1
        WHERE id = NEW.assigned_to AND (NEW.rec_every IS NOT NULL OR NEW.reminders IS NOT NULL);
END;
