-- 007: the index behind `search` on task pages.
--
-- tasks_fts holds the trigrams (every run of three characters) of each
-- task's name_key (the name folded by the domain), so that a search of three
-- characters or more finds its candidate tasks without reading every task
-- of the page's scope.  The domain asks for the tasks holding all of the
-- search text's trigrams, then keeps only those whose name_key really
-- contains the text (instr): the index narrows, it never decides.
--
-- External content (the text stays in tasks, nothing is copied), no
-- positions (detail=none) and no per-row sizes (columnsize=0): the index
-- only says which tasks hold a trigram, the smallest form that serves.
-- The folding is done already, so the tokenizer keeps the case as it is.
CREATE VIRTUAL TABLE tasks_fts USING fts5 (
    name_key,
    content = 'tasks', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1',
    detail = none, columnsize = 0
);

-- Kept in step with tasks by triggers, whoever writes (API, admin, worker,
-- list delete, retention).  An external-content index forgets a row by
-- being told the text it indexed.
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO tasks_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name_key)
        VALUES ('delete', OLD.id, OLD.name_key);
END;
CREATE TRIGGER tasks_fts_rename AFTER UPDATE OF name_key ON tasks
WHEN OLD.name_key IS NOT NEW.name_key
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name_key)
        VALUES ('delete', OLD.id, OLD.name_key);
    INSERT INTO tasks_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;

-- The tasks there are now, in one merged segment (the writes that follow
-- add small segments that FTS5 merges among themselves).
INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild');
INSERT INTO tasks_fts (tasks_fts) VALUES ('optimize');
