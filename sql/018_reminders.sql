-- 018: reminders before deadlines and the daily digest (issue #17).
--
-- The user settings they read (time_zone, reminder_offsets, daily_digest_at)
-- are 014's.  digest_last_day is the local date ("YYYY-MM-DD") of the last
-- daily digest sent: once per local day, across restarts.
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
    state        INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 2),
    sent_at      INTEGER,
    UNIQUE (task_id, deadline, offset_min, recipient_id)
);
-- what is due: the waiting rows only, by time (the same cost at 10 tasks
-- and at 1,000,000)
CREATE INDEX reminders_due ON reminders (due_at) WHERE state = 0;
-- the users' rows go with them (ON DELETE CASCADE looks them up)
CREATE INDEX reminders_recipient ON reminders (recipient_id);

-- The events feed gains type 'task_reminder'.  As 015 did for tasks, only
-- the constraint's text changes (SQLite's writable_schema procedure: no row
-- is rewritten, and every row the old CHECK allowed the new one allows),
-- spelled with OR (an IN list of more than two values costs a temporary
-- index per insert).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (type IN (''task_updated'', ''task_notify''))',
       'CHECK (type = ''task_updated'' OR type = ''task_notify'' OR type = ''task_reminder'')')
 WHERE type = 'table' AND name = 'events';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_cookie_018 (x);
DROP TABLE schema_cookie_018;
