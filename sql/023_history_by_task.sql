-- 023: a task's history stored in task order, without a second index.
--
-- Every task write adds a history row (013).  As a table in id order with
-- an index on (task_id, id), each row cost two b-tree inserts and two
-- pages in the commit's WAL frames: the table's last page and the index
-- page of its task.  Keyed by (task_id, id) WITHOUT ROWID, a row is one
-- insert into one page, where its task's rows are, and a task's rows are
-- read (newest first, counted, deleted with the task) in that key's order
-- as before through the index.
--
-- A row's id stays unique in the whole table and is never reused: it is
-- (task_id << 22) + n, where n counts the task's rows from 1 (the insert
-- takes its task's highest id + 1: domain/activity.c).  Task ids are never
-- reused (011) and a task's rows go only with it, so neither is a row id;
-- the CHECK keeps a task's ids in its own range (its 4,194,304th row is
-- refused, and the write with it).  Ids stay below 2^53 (exact in a
-- JavaScript number) for task ids below 2^31.
--
-- Existing rows keep their content and their order within their task; their
-- ids are renumbered to that scheme (the old ones came from one counter).
-- The two triggers that refer to the table are dropped before it and made
-- again as 013 made them.
DROP TRIGGER task_activity_gone;
DROP TRIGGER task_activity_actor_gone;
CREATE TABLE task_activity_new (
    task_id     INTEGER NOT NULL,
    id          INTEGER NOT NULL CHECK (id >> 22 = task_id),
    actor_id    INTEGER,
    action      TEXT    NOT NULL CHECK (action = 'created' OR action = 'updated' OR
                    action = 'completed' OR action = 'commented' OR
                    action = 'reminded' OR action = 'overdue'),
    changes     TEXT    NOT NULL DEFAULT '{}',
    at          INTEGER NOT NULL,
    PRIMARY KEY (task_id, id)
) WITHOUT ROWID;
INSERT INTO task_activity_new (task_id, id, actor_id, action, changes, at)
    SELECT task_id, (task_id << 22) + row_number() OVER (PARTITION BY task_id ORDER BY id),
           actor_id, action, changes, at
      FROM task_activity;
DROP TABLE task_activity;
ALTER TABLE task_activity_new RENAME TO task_activity;
CREATE TRIGGER task_activity_gone AFTER DELETE ON tasks
BEGIN
    DELETE FROM task_activity WHERE task_id = OLD.id;
END;
CREATE TRIGGER task_activity_actor_gone AFTER DELETE ON users
BEGIN
    UPDATE task_activity SET actor_id = NULL WHERE actor_id = OLD.id;
END;
