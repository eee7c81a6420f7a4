-- 009: rate limits left the database.
--
-- Each request used to write its limiter row here (one write transaction
-- per request, and every other process's page cache dropped with it); the
-- GCRA state now lives in shared memory mapped from <database>-limits
-- (fcgi/core/ratemap.c).  The old rows only held budgets back for at most a
-- day; they are not carried over.
DROP TABLE throttle;
