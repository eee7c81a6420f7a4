-- 014: reminders before deadlines and the daily digest (issue #17).
--
-- The three user settings of GET/PATCH /api/auth/me/ (time_zone,
-- reminder_offsets, daily_digest_at) are read through domain/reminders.c's
-- rem_prefs_get only; NULL means the default (the server's time_zone,
-- [60], no digest).  reminder_offsets is the canonical JSON list
-- ("[60,1440]"), daily_digest_at "HH:MM".  digest_last_day is the local
-- date ("YYYY-MM-DD") of the last digest sent: once per local day, across
-- restarts.
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE users ADD COLUMN reminder_offsets TEXT;
ALTER TABLE users ADD COLUMN daily_digest_at TEXT;
ALTER TABLE users ADD COLUMN digest_last_day TEXT;
-- the worker's digest scan walks only the users who asked for one
CREATE INDEX users_digest ON users (id) WHERE daily_digest_at IS NOT NULL;

-- A task's own reminders: NULL = its recipient's reminder_offsets, '[]' =
-- none, else the canonical JSON list of minutes before the deadline.
ALTER TABLE tasks ADD COLUMN reminders TEXT;

-- One row per (task, deadline, offset, recipient), written by
-- reminders_sync in the transaction of the change that causes it.  A row
-- is sent (or dropped) once and then kept, so the unique key makes a
-- reminder go out at most once even when the deadline comes back.
-- state: 0 waiting, 1 sent, 2 dropped (its deadline had passed).
CREATE TABLE reminders (
    id           INTEGER PRIMARY KEY,
    task_id      INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    recipient_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    deadline     INTEGER NOT NULL,
    offset_min   INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    state        INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
    sent_at      INTEGER,
    UNIQUE (task_id, deadline, offset_min, recipient_id)
);
-- what is due: the waiting rows only, by time (the same cost at 10 tasks
-- and at 1,000,000)
CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 0;
-- the users' rows go with them (ON DELETE CASCADE looks them up)
CREATE INDEX reminders_recipient ON reminders (recipient_id);

-- The events feed gains type 'task_reminder'.  SQLite cannot change a
-- CHECK in place: the table is rebuilt as 006 left it, its ids copied and
-- its AUTOINCREMENT high-water mark kept (a purged newest id never comes
-- back).
CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type       TEXT    NOT NULL CHECK (type IN ('task_updated', 'task_notify',
                                                'task_reminder')),
    action     TEXT    NOT NULL,   -- created, updated, deleted, assigned, unassigned, completed, overdue, reminder
    task_id    INTEGER,            -- no FK: the task may be gone
    message    TEXT,               -- task_notify, task_reminder: the notice text
    created_at INTEGER NOT NULL
);
INSERT INTO events_new (id, user_id, type, action, task_id, message, created_at)
    SELECT id, user_id, type, action, task_id, message, created_at FROM events;
DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_user ON events (user_id, id);
CREATE INDEX events_created ON events (created_at);
