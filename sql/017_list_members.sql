-- 017: shared lists -- the members of a list and their role.  The owner is
-- not a member.  A list is seen by its owner and its members; the rules of
-- each role are in fcgi/domain/members.h.
CREATE TABLE list_members (
    list_id  INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT    NOT NULL CHECK (role IN ('viewer', 'editor')),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (list_id, user_id)
) WITHOUT ROWID;
-- "lists shared with me" and the cascade of a user's deletion.
CREATE INDEX list_members_user ON list_members (user_id, list_id);

-- lists.member_count, kept by triggers like task_count: a list without
-- members costs its readers and writers nothing more.
ALTER TABLE lists ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER list_members_count_insert AFTER INSERT ON list_members
BEGIN
    UPDATE lists SET member_count = member_count + 1 WHERE id = NEW.list_id;
END;
CREATE TRIGGER list_members_count_delete AFTER DELETE ON list_members
BEGIN
    UPDATE lists SET member_count = member_count - 1 WHERE id = OLD.list_id;
END;
