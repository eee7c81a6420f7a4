-- 012: username keys are NFKC case folds.
--
-- username_key was the name lowered character by character (towlower); it
-- is now username_key() of fcgi/domain/username.c: ICU's NFKC_Casefold,
-- with the Turkish dotless i and dotted capital I as plain i, so that
-- full-width, compatibility and dotless-i spellings of a name meet on one
-- key.  ASCII names keep their keys.  `taskmgr migrate` defines the SQL
-- function username_key() before it applies this file.
--
-- Two existing accounts whose names now share a key: the older one (lower
-- id) keeps the key, so logins and lookups by that name find it; each
-- later one gets "<key>#<id>" ('#' is in no username, so no lookup finds
-- it): it keeps its tokens and sessions but can no longer log in by name
-- (the admin's Users page, searched for '#', lists such accounts).
DROP INDEX users_username_key;
UPDATE users SET username_key = coalesce(username_key(username), username_key);
-- not unique while the collisions are found (through it)
CREATE INDEX users_username_key ON users (username_key);
UPDATE users SET username_key = username_key || '#' || id
 WHERE EXISTS (SELECT 1 FROM users o
                WHERE o.username_key = users.username_key AND o.id < users.id);
DROP INDEX users_username_key;
CREATE UNIQUE INDEX users_username_key ON users (username_key);
