-- 022: the task a notice is about, so that removing a member of a shared list
-- withdraws their notices about its tasks that are not sent yet.
--
-- outbox.task_id: the task of a notice (assigned, unassigned, overdue,
-- commented, reminder); NULL for the notices of no one task (the daily
-- digest, a disabled webhook) and for the rows written before this
-- migration.  No foreign key: task ids are never reused (011), a deleted
-- task's notices keep its id.
ALTER TABLE outbox ADD COLUMN task_id INTEGER;
