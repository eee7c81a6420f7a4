-- pg/026: the pair of sql/026_sql_portable.sql (which changes nothing on
-- SQLite).  SQLite's instr(haystack, needle) -- the 1-based position of
-- needle, 0 when it is absent -- for the texts that filter by a substring
-- (admin searches, the lists' and tasks' search): strpos() is the same
-- function, and an SQL-standard body is inlined by the planner, so
-- instr(x, $1) > 0 costs what strpos(x, $1) > 0 does.
CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN strpos(haystack, needle);
