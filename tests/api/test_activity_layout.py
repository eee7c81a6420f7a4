#!/usr/bin/env python3
"""The layout of the task history (sql/*_history_by_task.sql) through real
nginx + spawn-fcgi and the real `taskmgr migrate`: a populated database of
the schema before it migrates with every history row (its content, and its
order within its task), the rows are then numbered in their task's range
(id = task_id << 22 + n), new rows continue that numbering, the history is
served newest first as before, and it still goes with its task and outlives
its actor.  An id outside its task's range is refused, and with it the
write that needed it."""
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Server, eq, migration_number, run_tests, schema_before,  # noqa: E402
                     sqlite_only)

MINE = migration_number("_history_by_task.sql")
NOW = 1_800_000_000_000_000

# (old id, task, actor, action, changes, at): interleaved between tasks, and
# one old id (5,000,000) inside what becomes task 1's range
OLD = [
    (1, 1, 1, "created", '{"name":[null,"One"]}', NOW + 1),
    (2, 2, 1, "created", '{"name":[null,"Two"]}', NOW + 2),
    (3, 1, 2, "updated", '{"description":["","d"]}', NOW + 3),
    (4, 3, None, "overdue", '{"status":["Pending","Overdue"]}', NOW + 4),
    (7, 2, 1, "commented", "{}", NOW + 5),
    (9, 1, None, "reminded", "{}", NOW + 6),
    (5_000_000, 2, 2, "completed", '{"status":["In Progress","Completed"]}', NOW + 7),
]


def old_database(path):
    """A database at the schema before the layout, with tasks and history."""
    # 012's key function, as `taskmgr migrate` defines it (the same for
    # these ASCII names)
    c = schema_before(path, MINE, lambda s: s.lower())
    for i, u in enumerate(("alice", "bob"), 1):
        c.execute("INSERT INTO users (username, username_key, password, date_joined)"
                  " VALUES (?, ?, '', ?)", (u, u, NOW + i))
    c.execute("INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
              " VALUES (1, 'Home', 'home', ?, ?)", (NOW, NOW))
    for i, name in enumerate(("One", "Two", "Three"), 1):
        c.execute("INSERT INTO tasks (list_id, name, name_key, description, status,"
                  " created_at, updated_at) VALUES (1, ?, lower(?), '', 'Pending', ?, ?)",
                  (name, name, NOW + i, NOW + i))
    c.executemany("INSERT INTO task_activity (id, task_id, actor_id, action, changes, at)"
                  " VALUES (?, ?, ?, ?, ?, ?)", OLD)
    c.commit()
    c.close()


def history_rows(c):
    return c.execute("SELECT task_id, id, actor_id, action, changes, at FROM task_activity"
                     " ORDER BY task_id, id").fetchall()


def test_a_populated_history_migrates_and_goes_on():
    sqlite_only("SQLite's migration of an older SQLite file")
    srv = Server(workers=1, migrate=False).start()
    try:
        old_database(srv.db + ".old")
        os.rename(srv.db + ".old", srv.db)
        srv.cli("migrate", check=True)
        # the responder looks at the schema again at most once a second
        deadline = time.time() + 15
        while srv.get("/api/health/").status != 200 and time.time() < deadline:
            time.sleep(0.1)
        eq(srv.get("/api/health/").status, 200, "served once migrated")
        c = srv.connect()
        want, n = [], {}
        for oid, task, actor, action, changes, at in sorted(OLD, key=lambda r: (r[1], r[0])):
            n[task] = n.get(task, 0) + 1
            want.append((task, (task << 22) + n[task], actor, action, changes, at))
        eq(history_rows(c), want, "every row, in its task's order, numbered in its range")
        eq(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)], "integrity_check")
        eq([r[1] for r in c.execute("PRAGMA index_list(task_activity)")
            if not r[1].startswith("sqlite_autoindex")], [], "no second index")
        eq(c.execute("SELECT sql LIKE '%WITHOUT ROWID' FROM sqlite_schema"
                     " WHERE name = 'task_activity'").fetchone(), (1,), "keyed by task")

        # a new user owns the list: its writes continue each task's numbering
        srv.create_user("erin", staff=False)
        tok = srv.login("erin")
        me = srv.get("/api/auth/me/", token=tok).json["id"]
        c.execute("UPDATE lists SET owner_id = ?", (me,))
        c.commit()
        task = srv.get("/api/tasks/1/", token=tok).json
        r = srv.request("PATCH", "/api/tasks/1/", {"name": "Uno",
                        "updated_at": task["updated_at"]}, token=tok)
        eq(r.status, 200, "PATCH")
        r = srv.request("POST", "/api/tasks/3/comments/", {"text": "hi"}, token=tok)
        eq(r.status, 201, "comment")
        h = srv.get("/api/tasks/1/activity/", token=tok).json
        eq(h["count"], 4, "count")
        eq([(e["id"], e["action"], e["actor_id"]) for e in h["results"]],
           [((1 << 22) + 4, "updated", me), ((1 << 22) + 3, "reminded", None),
            ((1 << 22) + 2, "updated", 2), ((1 << 22) + 1, "created", 1)],
           "newest first, the new row after the migrated ones")
        eq(h["results"][0]["changes"], {"name": ["One", "Uno"]}, "its changes")
        eq(h["results"][2]["changes"], {"description": ["", "d"]}, "a migrated row's changes")
        eq([e["id"] for e in srv.get("/api/tasks/3/activity/", token=tok).json["results"]],
           [(3 << 22) + 2, (3 << 22) + 1], "a comment's row")
        eq([e["id"] for e in srv.get("/api/tasks/1/activity/?limit=1&offset=2",
                                     token=tok).json["results"]],
           [(1 << 22) + 2], "a page")

        # the triggers made again: an actor's rows outlive it, a task's go with it
        c.execute("DELETE FROM users WHERE id = 2")
        c.commit()
        eq(c.execute("SELECT count(*) FROM task_activity WHERE actor_id = 2").fetchone(),
           (0,), "a deleted actor's rows have no actor")
        eq(c.execute("SELECT count(*) FROM task_activity WHERE task_id = 2").fetchone(),
           (3,), "and stay")
        eq(srv.request("DELETE", "/api/tasks/2/", token=tok).status, 204, "delete")
        eq(c.execute("SELECT count(*) FROM task_activity WHERE task_id = 2").fetchone(),
           (0,), "a deleted task's rows go with it")
        c.close()
    finally:
        srv.stop()


def test_an_id_stays_in_its_task_s_range():
    srv = Server(workers=1).start()
    try:
        srv.create_user("erin", staff=False)
        tok = srv.login("erin")
        r = srv.post("/api/lists/", {"name": "L"}, token=tok)
        eq(r.status, 201, "list")
        t = srv.post("/api/lists/%d/tasks/" % r.json["id"], {"name": "a"}, token=tok).json
        tid = t["id"]
        c = srv.connect()
        eq(c.execute("SELECT id FROM task_activity WHERE task_id = ?", (tid,)).fetchall(),
           [((tid << 22) + 1,)], "the first row of a task")
        try:
            c.execute("INSERT INTO task_activity (task_id, id, action, at)"
                      " VALUES (?, ?, 'updated', 0)", (tid, ((tid + 1) << 22) + 1))
        except sqlite3.IntegrityError as e:     # PostgreSQL's too (Server.connect())
            assert "CHECK" in str(e).upper(), e
        else:
            raise AssertionError("an id in another task's range was accepted")
        # the task's last id: its next change is refused, all of it
        c.execute("INSERT INTO task_activity (task_id, id, action, at)"
                  " VALUES (?, ?, 'updated', 0)", (tid, ((tid + 1) << 22) - 1))
        c.commit()
        r = srv.request("PATCH", "/api/tasks/%d/" % tid, {"name": "b",
                        "updated_at": t["updated_at"]}, token=tok)
        eq(r.status, 500, "refused: the server could not record it")
        eq(srv.get("/api/tasks/%d/" % tid, token=tok).json, t, "the task unchanged")
        eq(c.execute("SELECT count(*) FROM task_activity WHERE task_id = ?",
                     (tid,)).fetchone(), (2,), "no row added")
        c.close()
    finally:
        srv.stop()


if __name__ == "__main__":
    run_tests(globals())
