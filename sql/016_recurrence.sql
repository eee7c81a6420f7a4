-- 014: recurring tasks (issue #17).
--
-- A task's rule: every rec_every (1..1000) rec_unit, stepped from the
-- deadline or from the completion, until rec_until (NULL: no end).
-- rec_every NULL: not recurring.  rec_anchor is the local date and time of
-- the deadline the rule counts from, as naive microseconds (the local time
-- written as if it were UTC; fcgi/domain/recurrence.h), so a 31st or a
-- 02:30 survives shorter months and DST gaps.
ALTER TABLE tasks ADD COLUMN rec_every INTEGER
    CHECK (rec_every IS NULL OR rec_every BETWEEN 1 AND 1000);
ALTER TABLE tasks ADD COLUMN rec_unit TEXT
    CHECK (rec_unit IS NULL OR rec_unit = 'day' OR rec_unit = 'week' OR
           rec_unit = 'month' OR rec_unit = 'year');
ALTER TABLE tasks ADD COLUMN rec_from TEXT
    CHECK (rec_from IS NULL OR rec_from IN ('deadline', 'completion'));
ALTER TABLE tasks ADD COLUMN rec_until INTEGER;
ALTER TABLE tasks ADD COLUMN rec_anchor INTEGER;

-- Every completion of a task (recurring or not), written in the same
-- transaction as the completion: when, the deadline it met, by whom.
CREATE TABLE task_completions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id         INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    completed_at    INTEGER NOT NULL,
    complete_before INTEGER,
    completed_by    INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX task_completions_task ON task_completions (task_id, id);
CREATE INDEX task_completions_by ON task_completions (completed_by)
    WHERE completed_by IS NOT NULL;
