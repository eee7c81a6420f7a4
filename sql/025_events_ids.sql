-- 025: events without AUTOINCREMENT (the cost of a PATCH, issue 18).
--
-- 006 gave events AUTOINCREMENT so that an id is never handed out twice:
-- the feed's cursor (GET /api/events/?after=<id>) would skip an event that
-- reused an id a client has already passed.  But AUTOINCREMENT reads and
-- rewrites sqlite_sequence at every insert: one more page in the WAL of
-- every change that writes an event (every PATCH).
--
-- Ids never reused: an event's id is the largest id in the table plus one
-- (SQLite's rowid rule), so the table always keeps its newest id, as the
-- webhook inbox does (021).  When the newest row goes (the purge, a user's
-- deletion cascading here, a member's removal withdrawing their events, or
-- any other DELETE), the trigger events_high_water puts back a row of that
-- id with user_id NULL: the high-water mark.  No feed reads it (every read
-- asks for one user's rows), no user's deletion takes it (no foreign key
-- to follow), and there is at most one: a new mark deletes the one before.
-- The purge leaves the mark alone (domain/retention.c); its created_at is
-- the deleted row's.  Inserts pay nothing for this: the trigger runs on
-- deletes only.
--
-- The table is rebuilt without AUTOINCREMENT, every row with its id; a
-- database whose sequence is above its largest id (its newest rows were
-- deleted) starts with a mark at the sequence's value (created_at: the
-- newest row's left, else 0).  Dropping the old table drops its
-- sqlite_sequence row.
CREATE TABLE events_new (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER REFERENCES users (id) ON DELETE CASCADE,  -- NULL: the high-water mark
    type       TEXT    NOT NULL CHECK (type = 'task_updated' OR type = 'task_notify' OR type = 'task_reminder'),
    action     TEXT    NOT NULL,   -- created, updated, deleted, assigned, unassigned, completed, overdue
    task_id    INTEGER,            -- no FK: the task may be gone
    message    TEXT,               -- task_notify: the notice text
    created_at INTEGER NOT NULL
);
INSERT INTO events_new (id, user_id, type, action, task_id, message, created_at)
    SELECT id, user_id, type, action, task_id, message, created_at FROM events;
INSERT INTO events_new (id, user_id, type, action, task_id, message, created_at)
    SELECT seq, NULL, 'task_updated', '', NULL, NULL,
           coalesce((SELECT created_at FROM events ORDER BY id DESC LIMIT 1), 0)
    FROM sqlite_sequence
    WHERE name = 'events' AND seq > coalesce((SELECT max(id) FROM events), 0);
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_user ON events (user_id, id);

-- The newest row deleted: its id comes back as the mark (inserted first, so
-- that the older mark's delete never sees the table without its newest id).
CREATE TRIGGER events_high_water AFTER DELETE ON events
    WHEN OLD.id > coalesce((SELECT max(id) FROM events), 0)
BEGIN
    INSERT INTO events (id, user_id, type, action, task_id, message, created_at)
        VALUES (OLD.id, NULL, 'task_updated', '', NULL, NULL, OLD.created_at);
    DELETE FROM events WHERE user_id IS NULL AND id < OLD.id;
END;
