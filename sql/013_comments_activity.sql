-- 013: comments on tasks and each task's history (activity).
--
-- Both go with their task (comments by ON DELETE CASCADE, the history by
-- a trigger: deleting a task, its list or
-- the list's owner deletes them; the deletions log of 010 is written by a
-- trigger on tasks and is not affected).  Ids leave the database (the API,
-- the admin's links): a comment's is never reused (AUTOINCREMENT, as in 011).
--
-- comments: a comment goes with its author too.  Pages walk (task_id, id).
CREATE TABLE comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX comments_task ON comments (task_id, id);
CREATE INDEX comments_author ON comments (author_id);

-- task_activity: one row per change of a task, written in the change's
-- transaction by domain/activity.c.  actor_id NULL: the worker (overdue
-- sweep, reminders), or an actor since deleted.  changes: a JSON object
-- {field: [old, new]} of the fields that changed ('{}' when none apply).
--
-- Every create and update writes a row here, so the table is built for a
-- cheap insert (counted with tests/bench/writecount.py): no foreign keys
-- (each costs a parent lookup per insert; the two triggers below do their
-- work at the rare deletes), no AUTOINCREMENT (a history row's id is only a
-- paging key; it never leaves in a link), no index on actor_id (deleting a
-- user scans the table once), and a CHECK that spells its choices out with
-- OR (SQLite evaluates "x IN (more than two values)" by building a
-- temporary index at every insert).
CREATE TABLE task_activity (
    id          INTEGER PRIMARY KEY,
    task_id     INTEGER NOT NULL,
    actor_id    INTEGER,
    action      TEXT    NOT NULL CHECK (action = 'created' OR action = 'updated' OR
                    action = 'completed' OR action = 'commented' OR
                    action = 'reminded' OR action = 'overdue'),
    changes     TEXT    NOT NULL DEFAULT '{}',
    at          INTEGER NOT NULL
);
CREATE INDEX task_activity_task ON task_activity (task_id, id);
-- a task's history goes with it (also when its list or owner goes: the
-- cascades of tasks fire this trigger)
CREATE TRIGGER task_activity_gone AFTER DELETE ON tasks
BEGIN
    DELETE FROM task_activity WHERE task_id = OLD.id;
END;
-- a deleted actor's rows stay, with no actor
CREATE TRIGGER task_activity_actor_gone AFTER DELETE ON users
BEGIN
    UPDATE task_activity SET actor_id = NULL WHERE actor_id = OLD.id;
END;
