-- 013: comments on tasks and each task's history (activity).
--
-- Both go with their task (ON DELETE CASCADE: deleting a task, its list or
-- the list's owner deletes them; the deletions log of 010 is written by a
-- trigger on tasks and is not affected).  Ids leave the database (the API,
-- the admin's links) and are never reused: AUTOINCREMENT, as in 011.
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
-- No index on actor_id: every change of a task writes a row here, and only
-- deleting a user (rare, the admin) looks rows up by actor.
CREATE TABLE task_activity (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    actor_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action      TEXT    NOT NULL CHECK (action IN ('created', 'updated', 'completed',
                    'commented', 'reminded', 'overdue')),
    changes     TEXT    NOT NULL DEFAULT '{}',
    at          INTEGER NOT NULL
);
CREATE INDEX task_activity_task ON task_activity (task_id, id);
