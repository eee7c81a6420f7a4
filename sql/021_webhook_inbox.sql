-- 021: webhook deliveries queued through a lean inbox (issue 19's cost).
--
-- A change used to write its deliveries straight into webhook_deliveries
-- (019): a row under AUTOINCREMENT, three index entries, and its body
-- written a second time once the row had its id -- about a third more
-- instructions on a create or a PATCH.  Now a change appends one row per
-- delivery to webhook_inbox, a rowid table without any index, foreign key
-- or CHECK: the delivery's id, its webhook, event, object_key, data (the
-- object's JSON as the webhook's owner saw it) and created_at.  The worker
-- moves the inbox's rows, oldest first, into webhook_deliveries (same id,
-- the signed body built then from those columns, byte for byte the body 019
-- stored) in one transaction before each pass, and sends from there as
-- before.  So a delivery is still written in the transaction of its change
-- (a crash after the commit loses nothing), one object's deliveries keep
-- their order (ids only grow and the move keeps them), and every reader of
-- the delivery log sees the rows not yet moved through the view
-- webhook_delivery_log.
--
-- Ids never reused: an inbox row's id is the largest id in the inbox plus
-- one (SQLite's rowid rule), so the worker never deletes the inbox's
-- newest row -- it keeps it, marked moved = 1, as the high-water mark.  A
-- database that already has deliveries starts the inbox at the largest id
-- 019's AUTOINCREMENT gave out.  The pending deliveries of 019 stay where
-- they are, already in webhook_deliveries: nothing to migrate.

CREATE TABLE webhook_inbox (
    id          INTEGER PRIMARY KEY,
    webhook_id  INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    object_key  TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    moved       INTEGER NOT NULL DEFAULT 0  -- 1: only the high-water mark
);
INSERT INTO webhook_inbox (id, webhook_id, event, object_key, data, created_at, moved)
    SELECT seq, 0, '', '', '', 0, 1 FROM sqlite_sequence
    WHERE name = 'webhook_deliveries' AND seq > 0;

-- The delivery log: webhook_deliveries and the inbox's rows not yet moved
-- (pending, never tried); data is the object's JSON of either.
CREATE VIEW webhook_delivery_log AS
    SELECT id, webhook_id, event, object_key, created_at, status, attempts,
           last_http_status, last_error, delivered_at, next_attempt_at,
           json_extract(body, '$.data') AS data
    FROM webhook_deliveries
    UNION ALL
    SELECT id, webhook_id, event, object_key, created_at, 'pending', 0,
           NULL, NULL, NULL, created_at, data
    FROM webhook_inbox WHERE moved = 0;

-- What a change asks first -- which active webhooks of active users there
-- are -- each process answers from memory while webhook_gen's number stays
-- the one it read them at.  Every change to those answers (a webhook
-- created, deleted -- a user's or a list's deletion cascades here --, its
-- owner, events, scope or is_active set, a user's is_active set) draws a
-- new random number: a value rolled back is never taken for a later one.
-- No row: no webhook was ever made (a fresh database, or one whose 019
-- tables were empty).
CREATE TABLE webhook_gen (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    n   INTEGER NOT NULL
);
INSERT INTO webhook_gen (id, n) SELECT 1, random() WHERE EXISTS (SELECT 1 FROM webhooks);
CREATE TRIGGER webhook_gen_insert AFTER INSERT ON webhooks BEGIN
    INSERT OR REPLACE INTO webhook_gen (id, n) VALUES (1, random());
END;
-- a webhook's rows not moved yet go with it (its delivery log), but the
-- inbox's newest row stays, as the high-water mark
CREATE TRIGGER webhook_gen_delete AFTER DELETE ON webhooks BEGIN
    INSERT OR REPLACE INTO webhook_gen (id, n) VALUES (1, random());
    DELETE FROM webhook_inbox WHERE webhook_id = OLD.id
        AND id < (SELECT max(id) FROM webhook_inbox);
    UPDATE webhook_inbox SET moved = 1 WHERE webhook_id = OLD.id AND moved = 0;
END;
CREATE TRIGGER webhook_gen_update AFTER UPDATE OF owner_id, events, list_id, is_active
    ON webhooks BEGIN
    INSERT OR REPLACE INTO webhook_gen (id, n) VALUES (1, random());
END;
CREATE TRIGGER webhook_gen_user AFTER UPDATE OF is_active ON users BEGIN
    INSERT OR REPLACE INTO webhook_gen (id, n) VALUES (1, random());
END;
