-- 007: the index behind `search` on task pages (see domain/task_search).
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

-- The index covers the tasks with an id up to indexed_to; newer tasks (the
-- tail) are added in batches by the domain (task_search_catch_up, from the
-- responders' housekeeping), because an FTS5 write in every task-creating
-- transaction would cost each create a new index segment.  A search reads
-- the tail as candidates too, so its answers never wait for the batch.
CREATE TABLE task_search (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_to INTEGER NOT NULL
);
INSERT INTO task_search (id, indexed_to) VALUES (1, coalesce((SELECT max(id) FROM tasks), 0));

-- Indexed tasks stay in step at once, whoever writes (API, admin, worker,
-- list delete, retention).  An external-content index forgets a row by
-- being told the text it indexed.  A new task normally lands in the tail;
-- it is indexed at once only when it reuses an id the index covers (the
-- highest task was deleted).
CREATE TRIGGER tasks_fts_insert AFTER INSERT ON tasks
WHEN NEW.id <= (SELECT indexed_to FROM task_search)
BEGIN
    INSERT INTO tasks_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;
CREATE TRIGGER tasks_fts_delete AFTER DELETE ON tasks
WHEN OLD.id <= (SELECT indexed_to FROM task_search)
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name_key)
        VALUES ('delete', OLD.id, OLD.name_key);
END;
CREATE TRIGGER tasks_fts_rename AFTER UPDATE OF name_key ON tasks
WHEN OLD.name_key IS NOT NEW.name_key
    AND OLD.id <= (SELECT indexed_to FROM task_search)
BEGIN
    INSERT INTO tasks_fts (tasks_fts, rowid, name_key)
        VALUES ('delete', OLD.id, OLD.name_key);
    INSERT INTO tasks_fts (rowid, name_key) VALUES (NEW.id, NEW.name_key);
END;

-- The tasks there are now, in one merged segment.
INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild');
INSERT INTO tasks_fts (tasks_fts) VALUES ('optimize');
