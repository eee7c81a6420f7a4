-- 005: the admin pages' default orders (last changed first) walk an index
-- instead of sorting every task or list; the index's recent changes too.
CREATE INDEX tasks_updated ON tasks (updated_at, id);
CREATE INDEX lists_updated ON lists (updated_at, id);
