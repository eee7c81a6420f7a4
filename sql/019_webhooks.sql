-- 019: webhooks and their deliveries (issue 19).
--
-- A webhook belongs to a user (owner_id) and subscribes to a set of events
-- (events: a bit set, domain/webhooks.h's HOOK_* bits) on every list its
-- owner sees (list_id NULL) or on one list; secret signs its deliveries.
-- failure_count counts failed attempts in a row since first_failure_at;
-- the worker sets is_active to 0 after webhook_disable_after of them
-- spanning a day.  A webhook scoped to a list goes with that list.
--
-- A delivery is written in the transaction of the change it reports
-- (body: the JSON as sent, every attempt the same bytes) and sent by the
-- worker: status pending until a 2xx (delivered), too many attempts
-- (failed) or an address the worker may not reach (refused); finished ones
-- are purged after outbox_retention_days, as notices are.  object_key
-- ('task:12', 'list:3') keeps one object's deliveries in order: the worker
-- sends a pending delivery only when no older one of the same webhook and
-- object is pending.  Times are microseconds since the epoch, as elsewhere.

CREATE TABLE webhooks (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url              TEXT    NOT NULL,
    events           INTEGER NOT NULL CHECK (events > 0),
    list_id          INTEGER REFERENCES lists (id) ON DELETE CASCADE,
    secret           TEXT    NOT NULL,
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    failure_count    INTEGER NOT NULL DEFAULT 0,
    first_failure_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX webhooks_owner ON webhooks (owner_id, id);
-- what a write asks ("does anyone subscribed see this?"): one probe, empty
-- when nobody has an active webhook
CREATE INDEX webhooks_active ON webhooks (owner_id) WHERE is_active = 1;
CREATE INDEX webhooks_list ON webhooks (list_id) WHERE list_id IS NOT NULL;

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            TEXT    NOT NULL,
    object_key       TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    -- spelled with OR: a CHECK on an IN list of more than two values builds
    -- a temporary index at every insert (see 014)
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status = 'pending' OR status = 'delivered' OR
                            status = 'failed' OR status = 'refused'),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    last_http_status INTEGER,
    last_error       TEXT,
    delivered_at     INTEGER,
    finished_at      INTEGER   -- when it left pending: the worker purges by it
);
-- the worker's "next due" scan
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
-- "is an older delivery of this object still pending?"
CREATE INDEX webhook_deliveries_object ON webhook_deliveries (webhook_id, object_key, id)
    WHERE status = 'pending';
-- GET /metrics: the deliveries failed for good or refused
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (webhook_id)
    WHERE status IN ('failed', 'refused');
-- the worker's purge of finished deliveries past outbox_retention_days
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at)
    WHERE status <> 'pending';
-- the delivery log, newest first
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
