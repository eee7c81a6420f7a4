#!/usr/bin/env python3
"""The tasks table as pages read it (sql/024_task_columns.sql): a populated
database of the schema before it migrates with every task's values, its
ids, sequence, indexes, triggers, search index and the rows that refer to
tasks intact, the rule and reminders right after name_key; and pages, which
read a task's rule and reminders only when their list or assignee has a
task with any, show them exactly as a task's own answer does, as tasks gain
and lose them -- through real nginx + spawn-fcgi and the real `taskmgr
migrate`."""
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (MIGRATIONS, Server, eq, migration_number, run_tests,  # noqa: E402
                     schema_before, sqlite_only)
from admin_client import PW, register  # noqa: E402

# the migration under test, wherever the numbering puts it
MINE = migration_number("_task_columns.sql")
# a page's columns, in the table's order: the rule and reminders right after name_key
FRONT = ["id", "list_id", "name", "description", "assigned_to", "complete_before",
         "status", "created_at", "updated_at", "name_key", "rec_every", "reminders"]
NEW_OBJECTS = {"tasks_extras_change"}
# the insert and delete triggers of the counters keep extras_count too
CHANGED = {"tasks_counts_insert", "tasks_counts_delete"}
# how many tasks of each list and assignee have a rule or reminders
EXTRAS = ("SELECT %s, count(*) FROM tasks WHERE %s IS NOT NULL"
          " AND (rec_every IS NOT NULL OR reminders IS NOT NULL) GROUP BY 1 ORDER BY 1")
TRIGGERS = ("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tasks'"
            " ORDER BY rowid")

S = None
TOK = {}
UID = {}


def setup_module():
    global S
    S = Server(workers=2).start()
    for u in ("alice", "bob"):
        UID[u] = register(S, u)
        TOK[u, S] = S.login(u, PW)


def teardown_module():
    S.stop()


def req(method, path, body=None, user="alice", srv=None):
    return (srv or S).request(method, path, body=body, token=TOK[user, srv or S])


def ok(method, path, body=None, user="alice", srv=None, status=200):
    r = req(method, path, body, user, srv)
    eq(r.status, status, "%s %s: %r" % (method, path, r))
    return r.json


def connect(path):
    c = sqlite3.connect(path, timeout=10)
    c.execute("PRAGMA busy_timeout = 10000")
    return c


# ---- the migration ---------------------------------------------------------

def later():
    """The names of what the migrations after this one create (their own
    tests check those)."""
    names = set()
    for f in MIGRATIONS[MINE:]:
        with open(f) as fh:
            names.update(re.findall(r"^CREATE (?:UNIQUE )?(?:TABLE|INDEX|TRIGGER|VIEW) (\w+)",
                                    fh.read(), re.M | re.I))
    return names


def later_columns():
    """(table, column) of each column the migrations after this one add."""
    cols = set()
    for f in MIGRATIONS[MINE:]:
        with open(f) as fh:
            cols.update(re.findall(r"^ALTER TABLE (\w+) ADD COLUMN (\w+)", fh.read(),
                                   re.M | re.I))
    return cols


def populate(c, now):
    """Users, lists, 400 tasks with every mix of rule, reminders, anchor,
    deadline and assignee, rows that refer to tasks (comments, completions,
    history, reminders, events, the search index), and the newest task
    deleted: the sequence is above every id held."""
    c.execute("PRAGMA foreign_keys = ON")
    for i, u in enumerate(("alice", "bob", "carol"), 1):
        c.execute("INSERT INTO users (username, username_key, password, date_joined)"
                  " VALUES (?, ?, '', ?)", (u, u, now + i))
    for i, name in enumerate(("Home", "Work"), 1):
        c.execute("INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
                  " VALUES (1, ?, lower(?), ?, ?)", (name, name, now + i, now + i))
    t = now + 100
    units = ("day", "week", "month", "year")
    for i in range(400):
        t += 1
        lid = 1 if i % 4 else 2
        name = "Item %d" % i
        rule = i % 7 == 0
        c.execute("INSERT INTO tasks (list_id, name, name_key, description, assigned_to,"
                  " complete_before, status, created_at, updated_at, rec_every, rec_unit,"
                  " rec_from, rec_until, rec_anchor, reminders)"
                  " VALUES (?, ?, lower(?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (lid, name, name, "about %d" % i, (2, 3, None)[i % 3],
                   t + 10**12 if rule or i % 2 else None,
                   ("Pending", "In Progress", "Completed", "Overdue")[i % 4], t, t + i % 5,
                   1 + i % 3 if rule else None, units[i % 4] if rule else None,
                   ("deadline", "completion")[i % 2] if rule else None,
                   t + 10**13 if rule and i % 3 == 0 else None,
                   t + 10**11 if rule and i % 2 else None,
                   "[%d,1440]" % (i % 60 + 1) if i % 5 == 0 else None))
        c.execute("INSERT INTO events (user_id, type, action, task_id, created_at)"
                  " VALUES (1, 'task_updated', 'created', last_insert_rowid(), ?)", (t,))
    c.execute("INSERT INTO tasks_fts (rowid, name_key) SELECT id, name_key FROM tasks"
              " WHERE id <= 300")
    c.execute("UPDATE task_search SET indexed_to = 300")
    for tid in (5, 14, 350):
        c.execute("INSERT INTO comments (task_id, author_id, text, created_at, updated_at)"
                  " VALUES (?, 2, 'note', ?, ?)", (tid, now, now))
        c.execute("INSERT INTO task_completions (task_id, completed_at, complete_before,"
                  " completed_by) VALUES (?, ?, ?, 1)", (tid, now, now))
        c.execute("INSERT INTO reminders (task_id, recipient_id, deadline, offset_min, due_at)"
                  " VALUES (?, 2, ?, 60, ?)", (tid, now + 10**12, now + 10**12 - 3600 * 10**6))
    c.execute("DELETE FROM tasks WHERE id = 400")
    eq(c.execute("SELECT max(id) FROM tasks").fetchone(), (399,), "tasks left")
    c.commit()


def counters(c):
    """extras_count of every list and user that is not 0, and the counts
    they keep."""
    return ([(t, c.execute("SELECT id, extras_count FROM %s WHERE extras_count <> 0"
                           " ORDER BY id" % t).fetchall()) for t in ("lists", "users")],
            [(t, c.execute(EXTRAS % (col, col)).fetchall())
             for t, col in (("lists", "list_id"), ("users", "assigned_to"))])


def snapshot(c):
    """Every table's rows by column name (without the counters 024 adds and
    the columns later migrations add), and the SQL of every index and trigger."""
    norm = lambda s: re.sub(r"\s+", " ", s or "").strip()  # noqa: E731
    rows, objs, skip = {}, {}, later_columns()
    for typ, name, sqltext in c.execute("SELECT type, name, sql FROM sqlite_master"
                                        " ORDER BY name").fetchall():
        if typ == "table":
            cur = c.execute('SELECT * FROM "%s" ORDER BY 1' % name)
            cols = [d[0] for d in cur.description]
            rows[name] = sorted((tuple(sorted((k, v) for k, v in zip(cols, r)
                                              if k != "extras_count" and
                                              (name, k) not in skip))
                                 for r in cur.fetchall()), key=repr)
        elif sqltext is not None:
            objs[name] = (typ, norm(sqltext))
    return rows, objs


def test_the_migration_keeps_every_task_and_what_refers_to_it():
    sqlite_only("SQLite's migration of an older SQLite file")
    srv = Server(workers=1, migrate=False).start()
    try:
        now = 1_800_000_000_000_000
        tmp = srv.db + ".old"
        c = schema_before(tmp, MINE)
        populate(c, now)
        before_rows, before_objs = snapshot(c)
        order = [r[1] for r in c.execute("PRAGMA table_xinfo(tasks)")]
        before_triggers = [r[0] for r in c.execute(TRIGGERS)]
        c.close()
        assert order[:10] == FRONT[:10] and order[10:12] != FRONT[10:], order
        os.rename(tmp, srv.db)
        out = srv.cli("migrate", check=True).stdout
        assert "applying %s ... ok\n" % os.path.basename(MIGRATIONS[MINE - 1])[:-4] in out, out

        c = connect(srv.db)
        eq(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)], "integrity_check")
        eq(c.execute("PRAGMA foreign_key_check").fetchall(), [], "foreign_key_check")
        c.execute("INSERT INTO tasks_fts (tasks_fts) VALUES ('integrity-check')")
        rows, objs = snapshot(c)
        cols = [r[1] for r in c.execute("PRAGMA table_xinfo(tasks)")]
        eq(cols[:12], FRONT, "a page's columns first")
        eq(sorted(cols), sorted(order), "the same columns")
        # every row of every table, tasks' values by column (the sequence
        # too, but events': a later migration, 025, rebuilds events without)
        for name in set(before_rows) | set(rows):
            got, want = rows.get(name), before_rows.get(name)
            if name == "sqlite_sequence":
                want = [r for r in want if ("name", "events") not in r]
            if name == "webhook_cursor":
                # the webhook carrier's cursor, a later migration's, at the newest event
                want = [(("events_id", c.execute("SELECT max(id) FROM events").fetchone()[0]),
                         ("id", 1))]
            eq(got, want, "the rows of %s" % name)
        eq(c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'tasks'").fetchone(), (400,),
           "the sequence above the deleted newest task")
        # every index and trigger as it was, and the counters of tasks with a
        # rule or reminders, counted
        eq({k: v for k, v in objs.items() if k not in NEW_OBJECTS | CHANGED | later()},
           {k: v for k, v in before_objs.items() if k not in CHANGED | later()},
           "the indexes and triggers")
        eq(sorted(k for k in objs if k in NEW_OBJECTS | CHANGED), sorted(NEW_OBJECTS | CHANGED),
           "the new and changed triggers")
        have, want = counters(c)
        eq(have, want, "extras_count of the lists and users")
        assert want[0][1] and want[1][1], want
        eq([r[0] for r in c.execute(TRIGGERS) if r[0] not in NEW_OBJECTS], before_triggers,
           "the triggers in their order (the newest fires first)")
        c.close()

        # served once the responder has noticed the new schema (within a second)
        deadline = time.time() + 10
        while time.time() < deadline and srv.get("/api/health/").status != 200:
            time.sleep(0.1)
        eq(srv.get("/api/health/").status, 200, "served once migrated")
        # pages and each task's own answer agree on every task
        for u in ("alice", "bob"):
            srv.cli("passwd", u, "--password-stdin", input=PW + "\n", check=True)
            TOK[u, srv] = srv.login(u, PW)
        every = {}
        for lid in (1, 2):
            for off in range(0, 400, 100):
                page = ok("GET", "/api/lists/%d/tasks/?limit=100&offset=%d" % (lid, off),
                          srv=srv)
                every.update((t["id"], t) for t in page["results"])
        eq(len(every), 399, "every task on a page")
        for tid in (1, 5, 8, 14, 15, 21, 35, 350, 399):
            eq(every[tid], ok("GET", "/api/tasks/%d/" % tid, srv=srv), "task %d" % tid)
        eq(every[16]["reminders"], [16, 1440], "reminders without a rule")
        eq(every[22]["recurrence"]["unit"], "week", "a rule")
        eq(every[22]["reminders"], None, "a rule without reminders")
        eq(every[1]["reminders"], [1, 1440], "a rule with reminders")
        eq(every[1]["recurrence"]["unit"], "day", "and its rule")
        with connect(srv.db) as c:
            want = [r[0] for r in c.execute(
                "SELECT id FROM tasks WHERE list_id = 1 AND instr(name_key, 'item 35') > 0"
                " ORDER BY created_at DESC, id DESC")]
        c.close()
        found = ok("GET", "/api/lists/1/tasks/?limit=100&search=item%2035", srv=srv)
        eq([t["id"] for t in found["results"]], want, "searched (index and tail)")
        made = ok("POST", "/api/lists/1/tasks/", {"name": "New", "reminders": [5]}, srv=srv,
                  status=201)
        eq(made["id"], 401, "the next id: above the deleted newest task")
    finally:
        srv.stop()


def test_a_fresh_database_has_the_same_tasks_table():
    sqlite_only("PRAGMA table_xinfo and sqlite_master (test_postgresql.py compares the schemas)")
    c = connect(S.db)
    eq([r[1] for r in c.execute("PRAGMA table_xinfo(tasks)")][:12], FRONT,
       "a page's columns first")
    for name in NEW_OBJECTS:
        eq(c.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (name,)).fetchone(),
           (1,), name)
    c.close()


# ---- pages and the scope's rule and reminders ------------------------------

def mklist(name, user="alice"):
    return ok("POST", "/api/lists/", {"name": name}, user=user, status=201)["id"]


def patch(tid, **fields):
    """PATCHes task tid with fields (and the updated_at it has)."""
    at = ok("GET", "/api/tasks/%d/" % tid)["updated_at"]
    return ok("PATCH", "/api/tasks/%d/" % tid, dict(fields, updated_at=at))


def check_pages(lid, ids, what):
    """The list's page and bob's assigned page show each task as its own
    answer does."""
    page = {t["id"]: t for t in
            ok("GET", "/api/lists/%d/tasks/?limit=100" % lid)["results"]}
    mine = {t["id"]: t for t in
            ok("GET", "/api/tasks/?limit=100", user="bob")["results"]}
    for tid in ids:
        one = ok("GET", "/api/tasks/%d/" % tid)
        eq(page[tid], one, "%s: task %d on its list's page" % (what, tid))
        if one["assigned_to"] == UID["bob"]:
            eq(mine[tid], one, "%s: task %d on its assignee's page" % (what, tid))
    return page


def test_pages_follow_their_tasks_rules_and_reminders():
    lid = mklist("Scope")
    ids = [ok("POST", "/api/lists/%d/tasks/" % lid,
              {"name": "t%d" % i, "assigned_to": UID["bob"] if i % 2 else None,
               "complete_before": "2030-01-0%dT09:00:00Z" % (i + 1)},
              status=201)["id"] for i in range(4)]
    page = check_pages(lid, ids, "none")
    eq([page[i]["reminders"] for i in ids], [None] * 4, "no reminders yet")
    # one task of the list gains reminders: its page and its assignee's show them
    patch(ids[1], reminders=[10, 60])
    page = check_pages(lid, ids, "reminders")
    eq(page[ids[1]]["reminders"], [10, 60], "the reminders on the page")
    # a rule alone (no reminders) on a task of the other assignee
    patch(ids[1], reminders=None)
    patch(ids[2], recurrence={"every": 2, "unit": "week"})
    page = check_pages(lid, ids, "a rule")
    eq(page[ids[2]]["recurrence"]["every"], 2, "the rule on the page")
    eq(page[ids[1]]["reminders"], None, "the reminders gone")
    # and back to none
    patch(ids[2], recurrence=None)
    page = check_pages(lid, ids, "none again")
    eq([page[i]["recurrence"] for i in ids], [None] * 4, "no rule left")


def test_deep_pages_read_the_rule_and_reminders_by_id():
    # past 256 skipped rows a page reads ids first, then each task by its id
    lid = mklist("Deep")
    c = S.connect()
    with c:
        # one statement (on PostgreSQL each is a psql run), the tasks in order
        c.execute("INSERT INTO tasks (list_id, name, name_key, created_at, updated_at,"
                  " reminders) SELECT ?, 'deep ' || i, 'deep ' || i, ? + i, ? + i,"
                  " CASE WHEN i = 5 THEN '[6]' END FROM (WITH RECURSIVE k(i) AS (SELECT 0"
                  " UNION ALL SELECT i + 1 FROM k WHERE i < 299) SELECT i FROM k) AS n"
                  " ORDER BY i", (lid, 10**15, 10**15))
    c.close()
    eq(S.sql("SELECT count(*), min(name), sum(CASE WHEN reminders = '[6]' THEN 1 ELSE 0 END)"
             " FROM tasks WHERE list_id = ?", lid), [(300, "deep 0", 1)], "the tasks")
    for extra in (True, False):
        page = ok("GET", "/api/lists/%d/tasks/?limit=10&offset=290" % lid)["results"]
        eq([t["name"] for t in page], ["deep %d" % i for i in range(9, -1, -1)], "the page")
        eq([t["reminders"] for t in page], [None] * 4 + ([[6]] if extra else [None]) +
           [None] * 5, "the reminders by id")
        for t in page:
            eq(t, ok("GET", "/api/tasks/%d/" % t["id"]), "task %d" % t["id"])
        patch(page[4]["id"], reminders=None)



def test_the_counters_follow_every_change_of_a_task():
    # extras_count of lists and users: creates, changes of the rule, the
    # reminders, the assignee and the list (admin), deletes of a task, of a
    # list (its tasks go with it) and of a user (tasks lose their assignee)
    uid = register(S, "carol")
    home, work, gone = mklist("Count home"), mklist("Count work"), mklist("Count gone")

    def mk(lid, name, **kw):
        return ok("POST", "/api/lists/%d/tasks/" % lid,
                  dict(kw, name=name, complete_before="2031-01-01T09:00:00Z"), status=201)["id"]

    def check(what):
        with S.connect() as c:
            have, want = counters(c)
        c.close()
        eq(have, want, what)

    a = mk(home, "a", reminders=[5], assigned_to=uid)
    b = mk(home, "b", recurrence={"every": 1, "unit": "day"}, reminders=[1],
           assigned_to=UID["bob"])
    mk(home, "c", assigned_to=uid)
    d = mk(work, "d", recurrence={"every": 1, "unit": "week"})
    mk(gone, "e", reminders=[7], assigned_to=uid)
    check("created")
    patch(a, assigned_to=UID["bob"])
    patch(b, reminders=None)
    check("reassigned, reminders off (the rule stays)")
    patch(b, recurrence=None)
    patch(d, assigned_to=uid, reminders=[3])
    check("rule off; assigned and reminders on at once")
    with S.connect() as c:
        c.execute("UPDATE tasks SET list_id = ? WHERE id = ?", (work, a))
    c.close()
    check("moved to another list")
    eq(req("DELETE", "/api/tasks/%d/" % d).status, 204, "delete a task")
    check("a task deleted")
    eq(req("DELETE", "/api/lists/%d/" % gone).status, 204, "delete a list")
    check("a list deleted with its tasks")
    with S.connect() as c:
        c.execute("PRAGMA foreign_keys = ON")
        c.execute("DELETE FROM users WHERE id = ?", (uid,))
    c.close()
    check("a user deleted: the tasks lose their assignee")


if __name__ == "__main__":
    run_tests(globals())
