-- pg/027: the pair of sql/027_list_hook_gen.sql.
--
-- webhook_gen.seq counts the changes to the active webhooks, and
-- lists.hook_gen is the seq of the last one that concerned the list (see
-- SQLite's file).  The trigger functions of 021 (pg/024) are replaced; the
-- triggers stay as they were.
ALTER TABLE webhook_gen ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE lists ADD COLUMN hook_gen BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION webhook_gen_bump() RETURNS VOID LANGUAGE sql AS $$
    INSERT INTO webhook_gen (id, n, seq) VALUES (1, taskmgr_random(), 1)
    ON CONFLICT (id) DO UPDATE SET n = excluded.n, seq = webhook_gen.seq + 1
$$;

-- lists whose webhooks a change of one webhook (scoped to list, or to every
-- list when NULL) concerns: one list by its key, or all
CREATE FUNCTION webhook_gen_lists(list BIGINT) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF list IS NULL THEN
        UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1);
    ELSE
        UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
        WHERE id = list;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION webhook_gen_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_gen_bump();
    PERFORM webhook_gen_lists(NEW.list_id);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION webhook_gen_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_gen_bump();
    PERFORM webhook_gen_lists(OLD.list_id);
    DELETE FROM webhook_inbox WHERE webhook_id = OLD.id
        AND id < (SELECT max(id) FROM webhook_inbox);
    UPDATE webhook_inbox SET moved = 1 WHERE webhook_id = OLD.id AND moved = 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION webhook_gen_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_gen_bump();
    PERFORM webhook_gen_lists(OLD.list_id);
    IF NEW.list_id IS DISTINCT FROM OLD.list_id THEN
        PERFORM webhook_gen_lists(NEW.list_id);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION webhook_gen_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM webhook_gen_bump();
    UPDATE lists SET hook_gen = (SELECT seq FROM webhook_gen WHERE id = 1)
    WHERE id IN (SELECT list_id FROM webhooks WHERE owner_id = NEW.id);
    RETURN NULL;
END $$;

-- SQLite's WHEN (a subquery, which PostgreSQL's WHEN refuses) in the body
CREATE FUNCTION webhook_gen_user_every() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM webhooks WHERE owner_id = NEW.id AND list_id IS NULL) THEN
        PERFORM webhook_gen_bump();
        PERFORM webhook_gen_lists(NULL);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_gen_user_every AFTER UPDATE OF is_active ON users
    FOR EACH ROW EXECUTE FUNCTION webhook_gen_user_every();

-- a new list starts at the seq of its creation
CREATE FUNCTION lists_hook_gen_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.hook_gen := coalesce((SELECT seq FROM webhook_gen WHERE id = 1), 0);
    RETURN NEW;
END $$;
CREATE TRIGGER lists_hook_gen_start BEFORE INSERT ON lists
    FOR EACH ROW EXECUTE FUNCTION lists_hook_gen_start();
