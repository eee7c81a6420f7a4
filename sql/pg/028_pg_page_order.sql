-- 028: the deadline indexes in the pages' order (domain/task_pages.c):
-- "complete_before NULLS FIRST, id" and its reverse "complete_before DESC
-- NULLS LAST, id DESC", SQLite's order of NULLs.  A B-tree index sorts NULLs
-- last by default, so 024's indexes served neither order and every deadline
-- page sorted its whole scope; built NULLS FIRST, each is walked forwards or
-- backwards.  (tasks_due holds no NULL: unchanged.)
DROP INDEX tasks_list_due;
CREATE INDEX tasks_list_due ON tasks (list_id, complete_before NULLS FIRST, id);
DROP INDEX tasks_assignee_due;
CREATE INDEX tasks_assignee_due ON tasks (assigned_to, complete_before NULLS FIRST, id)
    WHERE assigned_to IS NOT NULL;
