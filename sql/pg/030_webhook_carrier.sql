-- pg/030: the pair of sql/030_webhook_carrier.sql.
--
-- The same columns, cursor and view.  No high-water mark here (pg/025): the
-- identity sequence never hands an id out twice; it is set above every
-- delivery id given out so far.  The cursor is safe on a sequence because
-- every writer holds the advisory write lock (pg_advisory_xact_lock, see
-- fcgi/core/pgstmt.h) from its first write to its COMMIT: a row with a
-- smaller id than one already committed can never commit later.
ALTER TABLE events ADD COLUMN hook BIGINT;
ALTER TABLE events ADD COLUMN hook_data TEXT;

SELECT setval(pg_get_serial_sequence('events', 'id'),
    greatest((SELECT coalesce(max(id), 0) FROM events),
             (SELECT coalesce(max(id), 0) FROM webhook_inbox),
             (SELECT coalesce(max(id), 0) FROM webhook_deliveries), 1));

CREATE TABLE webhook_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    events_id  BIGINT  NOT NULL   -- the events rows up to here are moved
);
INSERT INTO webhook_cursor (id, events_id) SELECT 1, coalesce(max(id), 0) FROM events;

CREATE OR REPLACE VIEW webhook_delivery_log AS
    SELECT id, webhook_id, event, object_key, created_at, status, attempts,
           last_http_status, last_error, delivered_at, next_attempt_at,
           (body::json -> 'data')::text AS data
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
