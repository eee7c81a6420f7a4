-- 006: retention of the events feed and of finished outbox notices
-- (purged in small batches by `taskmgr worker`, see domain/retention).

-- The feed's cursor (GET /api/events/?after=<id>) needs ids that never come
-- back: without AUTOINCREMENT SQLite hands out max(id) + 1, so once the
-- newest rows were purged a new event could reuse an id a client has
-- already passed.  The table is rebuilt with AUTOINCREMENT; the copied ids
-- seed sqlite_sequence with the highest one.
CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type       TEXT    NOT NULL CHECK (type IN ('task_updated', 'task_notify')),
    action     TEXT    NOT NULL,   -- created, updated, deleted, assigned, unassigned, completed, overdue
    task_id    INTEGER,            -- no FK: the task may be gone
    message    TEXT,               -- task_notify: the notice text
    created_at INTEGER NOT NULL
);
INSERT INTO events_new (id, user_id, type, action, task_id, message, created_at)
    SELECT id, user_id, type, action, task_id, message, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_user ON events (user_id, id);
-- the purge walks the old rows only
CREATE INDEX events_created ON events (created_at);

-- When a notice finished (sent, failed for good, skipped): its age for the
-- purge.  Set by domain/delivery from now on; the notices finished before
-- this migration take their sent_at, else their created_at.  Pending
-- notices are not in the index.
ALTER TABLE outbox ADD COLUMN finished_at INTEGER;
UPDATE outbox SET finished_at = coalesce(sent_at, created_at) WHERE status <> 0;
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE status <> 0;
