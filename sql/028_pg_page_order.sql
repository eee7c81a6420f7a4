-- 028: PostgreSQL's indexes in the order of the deadline pages (sql/pg/028).
-- SQLite's indexes already serve it: NULLs sort first there.
SELECT 1;
