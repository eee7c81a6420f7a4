-- 030: a change's webhook deliveries carried on events rows (issue 19's cost).
--
-- 021 queued each delivery as a webhook_inbox row: one more row, statement
-- and b-tree page in every webhooked change.  A task change writes an events
-- row for the list's owner anyway; now that row carries the delivery of one
-- of the owner's webhooks: hook (the webhook's id * 16 + the event's index
-- in hook_event_names, fcgi/domain/webhook_queue.c) and hook_data (the
-- object's JSON as the webhook's owner sees it).  Every other delivery gets
-- a hook-only events row: user_id NULL (no feed reads it), hook set,
-- message its object_key (a carrying row of a user has none: its object
-- is 'task:' || task_id).  A
-- delivery's id is its events row's id, so one object's deliveries keep the
-- order of its changes whatever row carries them.
--
-- The worker moves the rows past webhook_cursor.events_id into
-- webhook_deliveries (same id, the body built then) and advances the cursor
-- in the same transaction; the hook-only rows it moved it deletes.  The
-- delivery log (the view below) shows the rows past the cursor as pending.
-- The purge of old events never goes past the cursor.
--
-- Ids: events' ids start above every delivery id given out so far (a mark
-- row, 025's high-water mark, at the largest one); 025's trigger now takes
-- a mark for a row of no user and no hook only.  The inbox keeps moving the
-- rows queued before this migration; nothing writes it any more.
ALTER TABLE events ADD COLUMN hook INTEGER;
ALTER TABLE events ADD COLUMN hook_data TEXT;

DROP TRIGGER events_high_water;
CREATE TRIGGER events_high_water AFTER DELETE ON events
    WHEN OLD.id > coalesce((SELECT max(id) FROM events), 0)
BEGIN
    INSERT INTO events (id, user_id, type, action, task_id, message, created_at)
        VALUES (OLD.id, NULL, 'task_updated', '', NULL, NULL, OLD.created_at);
    DELETE FROM events WHERE user_id IS NULL AND hook IS NULL AND id < OLD.id;
END;

INSERT INTO events (id, user_id, type, action, task_id, message, created_at)
    SELECT m, NULL, 'task_updated', '', NULL, NULL, 0 FROM
    (SELECT max(coalesce((SELECT max(id) FROM webhook_inbox), 0),
                coalesce((SELECT max(id) FROM webhook_deliveries), 0),
                coalesce((SELECT seq FROM sqlite_sequence
                          WHERE name = 'webhook_deliveries'), 0)) AS m)
    WHERE m > coalesce((SELECT max(id) FROM events), 0);
DELETE FROM events WHERE user_id IS NULL AND id < (SELECT max(id) FROM events);

CREATE TABLE webhook_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    events_id  INTEGER NOT NULL   -- the events rows up to here are moved
);
INSERT INTO webhook_cursor (id, events_id) SELECT 1, coalesce(max(id), 0) FROM events;

DROP VIEW webhook_delivery_log;
CREATE VIEW webhook_delivery_log AS
    SELECT id, webhook_id, event, object_key, created_at, status, attempts,
           last_http_status, last_error, delivered_at, next_attempt_at,
           json_extract(body, '$.data') AS data
    FROM webhook_deliveries
    UNION ALL
    SELECT id, webhook_id, event, object_key, created_at, 'pending', 0,
           NULL, NULL, NULL, created_at, data
    FROM webhook_inbox WHERE moved = 0
    UNION ALL
    SELECT e.id, e.hook / 16,
           CASE e.hook % 16 WHEN 0 THEN 'task.created' WHEN 1 THEN 'task.updated'
           WHEN 2 THEN 'task.completed' WHEN 3 THEN 'task.deleted'
           WHEN 4 THEN 'task.reminder' WHEN 5 THEN 'list.created'
           WHEN 6 THEN 'list.updated' WHEN 7 THEN 'list.deleted'
           WHEN 8 THEN 'comment.created' ELSE 'ping' END,
           coalesce(e.message, 'task:' || e.task_id), e.created_at, 'pending', 0,
           NULL, NULL, NULL, e.created_at, e.hook_data
    FROM events e
    WHERE e.id > (SELECT events_id FROM webhook_cursor WHERE id = 1)
      AND e.hook IS NOT NULL
      AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = e.hook / 16);
