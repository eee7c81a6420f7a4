-- pg/026: the pair of sql/026_sql_portable.sql (which changes nothing on
-- SQLite): the functions of SQLite that the domain's SQL texts use, so that
-- one text serves both databases (README "PostgreSQL and several hosts").

-- instr(haystack, needle): the 1-based position of needle, 0 when it is
-- absent (admin searches, the lists' and tasks' substring filters).
-- strpos() is the same function; an SQL-standard body is inlined by the
-- planner, so instr(x, $1) > 0 costs what strpos(x, $1) > 0 does.
CREATE FUNCTION instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN strpos(haystack, needle);

-- group_concat(value, separator): the values joined in the order they come,
-- NULLs skipped, NULL when there is none (the admin lists page's first task
-- names).  SQLite 3.40 has no string_agg(); this aggregate gives PostgreSQL SQLite's name.
CREATE FUNCTION group_concat_step(acc text, val text, sep text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN val IS NULL THEN acc WHEN acc IS NULL THEN val
                ELSE acc || sep || val END;
CREATE AGGREGATE group_concat(text, text) (
    SFUNC = group_concat_step,
    STYPE = text
);
