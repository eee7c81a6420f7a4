-- 015: cheaper task writes: the CHECKs of tasks (status) and deletions
-- (kind) spelled out with OR, and no index on events (created_at).
--
-- SQLite evaluates "status IN (four values)" by building a temporary index
-- each time the constraint is checked: about 28,000 instructions of every
-- task INSERT (counted with tests/bench/writecount.py), a tenth of a create.
-- "status = 'Pending' OR ..." accepts exactly the same values at a few
-- comparisons.  SQLite cannot change a CHECK in place, and rebuilding tasks
-- (eleven indexes, the triggers) for an equivalent constraint would cost a
-- large database minutes; this is SQLite's documented way to change only a
-- constraint's text ("Making Other Kinds Of Table Schema Changes", the
-- writable_schema procedure): no row is changed, the new constraint holds
-- for every row the old one allowed.  RESET makes this connection read the
-- new text; the table created and dropped after it moves the schema cookie,
-- so every other connection reads it too.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (status IN (''Pending'', ''In Progress'', ''Completed'', ''Overdue''))',
       'CHECK (status = ''Pending'' OR status = ''In Progress'' OR status = ''Completed'' OR status = ''Overdue'')')
 WHERE type = 'table' AND name = 'tasks';
-- deletions: one row per task deleted (010's trigger), the same cost
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (kind IN (''task'', ''list'', ''user''))',
       'CHECK (kind = ''task'' OR kind = ''list'' OR kind = ''user'')')
 WHERE type = 'table' AND name = 'deletions';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_cookie_015 (x);
DROP TABLE schema_cookie_015;

-- The events purge (domain/retention.c) walks the oldest rows by id and
-- stops at the first that is not old enough (ids and created_at grow
-- together), so events_created, which every event insert (one or two per
-- task write) kept up to date, has no reader left.
DROP INDEX events_created;
