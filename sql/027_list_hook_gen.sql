-- 027: which lists a change to the webhooks concerns (the cost of a write,
-- issue 19).
--
-- Every task write asked "did the active webhooks change?" by reading
-- webhook_gen's row (021): a cursor on one more b-tree, about 2,000
-- instructions a write, with or without webhooks.  Now the question rides
-- on the list's row, which every task write reads anyway:
--
-- webhook_gen.seq counts the changes 021's random number marks (one more at
-- each), and lists.hook_gen is the seq of the last change that could alter
-- which webhooks match that list's objects: a webhook of that list created,
-- deleted or changed (owner, events, list, is_active), a webhook of every
-- list (list_id NULL: it reaches any list where its owner is the list's
-- owner, a member or an assignee) -- then every list --, and its owner's
-- is_active set.  A process whose in-memory webhooks were read at seq S
-- answers a write to list X from memory while X.hook_gen <= S; only a
-- larger one makes it read webhook_gen (and its webhooks) again.  Who
-- the members of a list are is not part of that memory (a write reads them
-- when it needs them), so membership changes do not move hook_gen.
--
-- Each UPDATE of lists below either names one list (its primary key) or
-- all of them under a condition SQLite tests once, before the loop (a
-- trigger's NEW and OLD are constants; an OR with id = ... would scan every
-- list).  The owner's is_active reaching every list is its own trigger,
-- webhook_gen_user_every, whose WHEN asks whether they have a webhook of
-- every list (in a WHERE, that subquery would be asked inside a scan).
--
-- A process drops its memory when a transaction rolls back: a seq it read
-- inside a transaction that bumped it and then rolled back may be given out
-- again by another change.  A new list starts at the seq of its creation
-- (lists_hook_gen_start): a webhook of every list made before it reaches it.
ALTER TABLE webhook_gen ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE lists ADD COLUMN hook_gen INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER webhook_gen_insert;
DROP TRIGGER webhook_gen_delete;
DROP TRIGGER webhook_gen_update;
DROP TRIGGER webhook_gen_user;

CREATE TRIGGER webhook_gen_insert AFTER INSERT ON webhooks BEGIN
    INSERT INTO webhook_gen (id, n, seq) VALUES (1, random(), 1)
        ON CONFLICT (id) DO UPDATE SET n = excluded.n, seq = seq + 1;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE NEW.list_id IS NULL;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE id = NEW.list_id;
END;
-- a webhook's rows not moved yet go with it (its delivery log), but the
-- inbox's newest row stays, as the high-water mark
CREATE TRIGGER webhook_gen_delete AFTER DELETE ON webhooks BEGIN
    INSERT INTO webhook_gen (id, n, seq) VALUES (1, random(), 1)
        ON CONFLICT (id) DO UPDATE SET n = excluded.n, seq = seq + 1;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE OLD.list_id IS NULL;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE id = OLD.list_id;
    DELETE FROM webhook_inbox WHERE webhook_id = OLD.id
        AND id < (SELECT max(id) FROM webhook_inbox);
    UPDATE webhook_inbox SET moved = 1 WHERE webhook_id = OLD.id AND moved = 0;
END;
CREATE TRIGGER webhook_gen_update AFTER UPDATE OF owner_id, events, list_id, is_active
    ON webhooks BEGIN
    INSERT INTO webhook_gen (id, n, seq) VALUES (1, random(), 1)
        ON CONFLICT (id) DO UPDATE SET n = excluded.n, seq = seq + 1;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE OLD.list_id IS NULL OR NEW.list_id IS NULL;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE id = OLD.list_id;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE id = NEW.list_id;
END;
CREATE TRIGGER webhook_gen_user AFTER UPDATE OF is_active ON users BEGIN
    INSERT INTO webhook_gen (id, n, seq) VALUES (1, random(), 1)
        ON CONFLICT (id) DO UPDATE SET n = excluded.n, seq = seq + 1;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE id IN (SELECT list_id FROM webhooks WHERE owner_id = NEW.id);
END;
-- its own count: it may run before or after webhook_gen_user, and every
-- list ends at least at a count no process has read yet
CREATE TRIGGER webhook_gen_user_every AFTER UPDATE OF is_active ON users
    WHEN EXISTS (SELECT 1 FROM webhooks WHERE owner_id = NEW.id AND list_id IS NULL)
    BEGIN
    INSERT INTO webhook_gen (id, n, seq) VALUES (1, random(), 1)
        ON CONFLICT (id) DO UPDATE SET n = excluded.n, seq = seq + 1;
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1);
END;
CREATE TRIGGER lists_hook_gen_start AFTER INSERT ON lists
    WHEN EXISTS (SELECT 1 FROM webhook_gen) BEGIN
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE id = NEW.id;
END;
