-- 029: the admin pages' search on PostgreSQL (sql/pg/029).  SQLite's
-- instr() reads the rows it searches either way: nothing changes here.
SELECT 1;
