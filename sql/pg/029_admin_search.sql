-- pg/029: the admin pages' search (domain/admin_data.c) through pg_trgm GIN
-- indexes, as the task search goes through tasks_name_key_trgm (024): a
-- search of the users' names and emails or of the lists' names read every
-- row.  The email is searched folded as SQLite's lower() folds it, ASCII
-- letters only, whatever the database's locale: lower() of the "C"
-- collation, the expression the search's text repeats.
CREATE INDEX users_username_key_trgm ON users USING gin (username_key gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (lower(email COLLATE "C") gin_trgm_ops);
CREATE INDEX lists_name_key_trgm ON lists USING gin (name_key gin_trgm_ops);
