-- 026: nothing changes on SQLite.  The pair of sql/pg/026_sql_portable.sql,
-- which gives PostgreSQL the functions of SQLite that the domain's SQL texts
-- use, so that one text serves both (README "PostgreSQL and several hosts").
SELECT 1;
