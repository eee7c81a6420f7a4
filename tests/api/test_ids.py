#!/usr/bin/env python3
"""Ids are never handed out twice (sql/011): for users, lists, tasks, events
and outbox notices, deleting the newest row and making another gives a new
id; and a populated database of schema 9 or 10 migrates with its rows,
counters, search index, page marks' versions and foreign keys intact, its
sequences starting above every id it holds or names -- through real nginx +
spawn-fcgi and the real `taskmgr migrate`."""
import glob
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP_SRCDIR, Server, eq, run_tests  # noqa: E402
from admin_client import PW, register  # noqa: E402

S = None
TOK = {}
UID = {}
OUTSIDE = ("sqlite_sequence",)     # what the migration may change
MIGRATIONS = sorted(glob.glob(os.path.join(TOP_SRCDIR, "sql", "[0-9][0-9][0-9]_*.sql")))
MINE = 11                          # sql/011_ids_never_reused.sql


def setup_module():
    global S
    S = Server(workers=2).start()
    for u in ("alice", "bob"):
        UID[u] = register(S, u)
        TOK[u, S] = S.login(u, PW)


def teardown_module():
    S.stop()


def req(method, path, body=None, user="alice", srv=None):
    """A request of user to srv (default S), with the token of that server."""
    return (srv or S).request(method, path, body=body, token=TOK[user, srv or S])


def connect(path):
    c = sqlite3.connect(path, timeout=10)
    c.execute("PRAGMA busy_timeout = 10000")
    c.execute("PRAGMA foreign_keys = ON")
    return c


def sql(q, *args, path=None):
    with connect(path or S.db) as c:
        return c.execute(q, args).fetchall()


def mklist(name, srv=None):
    r = req("POST", "/api/lists/", {"name": name}, srv=srv)
    eq(r.status, 201, "list %r: %r" % (name, r))
    return r.json["id"]


def mktask(lid, name, srv=None, **kw):
    r = req("POST", "/api/lists/%d/tasks/" % lid, dict(kw, name=name), srv=srv)
    eq(r.status, 201, "task %r: %r" % (name, r))
    return r.json["id"]


# ---- ids that only grow ---------------------------------------------------

def test_user_ids_not_reused():
    a = register(S, "newest1")
    b = register(S, "newest2")
    sql("DELETE FROM users WHERE id = ?", b)
    c = register(S, "newest3")
    assert c > b > a, (a, b, c)


def test_list_ids_not_reused():
    a = mklist("L a")
    b = mklist("L b")
    eq(req("DELETE", "/api/lists/%d/" % b).status, 204, "delete the newest")
    c = mklist("L c")
    assert c > b > a, (a, b, c)
    eq(req("GET", "/api/lists/%d/" % b).status, 404, "the old id finds nothing")


def test_task_ids_not_reused_and_events_tell_them_apart():
    lid = mklist("Tasks")
    after = req("GET", "/api/events/?after=0").json["next_after"]
    a = mktask(lid, "a")
    b = mktask(lid, "b")
    eq(req("DELETE", "/api/tasks/%d/" % b).status, 204, "delete the newest")
    c = mktask(lid, "c")
    assert c > b > a, (a, b, c)
    ev = [(e["action"], e["task"]) for e in
          req("GET", "/api/events/?after=%d" % after).json["results"]]
    eq(ev, [("created", a), ("created", b), ("deleted", b), ("created", c)], "events")
    # a list's delete takes its tasks, the newest among them
    other = mklist("Tasks 2")
    d = mktask(other, "d")
    eq(req("DELETE", "/api/lists/%d/" % other).status, 204, "list deleted")
    e = mktask(lid, "e")
    assert e > d, (d, e)
    eq(req("GET", "/api/tasks/%d/" % d).status, 404, "the old id finds nothing")


def test_event_ids_not_reused():
    lid = mklist("Events")
    mktask(lid, "x")
    top = sql("SELECT max(id) FROM events")[0][0]
    sql("DELETE FROM events WHERE id = ?", top)
    after = req("GET", "/api/events/?after=0").json["next_after"]
    assert after < top, (after, top)
    mktask(lid, "y")
    r = req("GET", "/api/events/?after=%d" % after).json
    eq(len(r["results"]), 1, "one new event: %r" % (r,))
    assert r["results"][0]["id"] > top, (r, top)


def test_outbox_ids_not_reused():
    lid = mklist("Notices")
    mktask(lid, "n1", assigned_to=UID["bob"])
    top = sql("SELECT max(id) FROM outbox")[0][0]
    sql("DELETE FROM outbox WHERE id = ?", top)
    mktask(lid, "n2", assigned_to=UID["bob"])
    new = sql("SELECT max(id) FROM outbox")[0][0]
    assert new > top, (top, new)


def test_tables_whose_ids_leave_the_database_autoincrement():
    # the rest (auth_tokens, sessions) are found by digest; their ids stay inside;
    # webhooks and their deliveries (X-Taskmgr-Delivery) leave it too
    want = ["comments", "events", "lists", "outbox", "personal_tokens", "task_completions",
            "tasks", "users", "webhook_deliveries", "webhooks"]
    got = [r[0] for r in sql("SELECT name FROM sqlite_master WHERE type = 'table'"
                             " AND sql LIKE '%AUTOINCREMENT%' ORDER BY name")]
    eq(got, want, "tables with AUTOINCREMENT")


def test_no_check_evaluates_an_in_list_of_more_than_two():
    # SQLite builds a temporary index to evaluate "x IN (a, b, c, ...)" at
    # every insert that checks it (about 28,000 instructions per task
    # created before 014); two values or fewer are compared in place
    found = []
    for name, text in sql("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"):
        for m in re.finditer(r"CHECK\s*\(", text):
            depth, i = 1, m.end()
            while depth and i < len(text):
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            for lst in re.findall(r"\bIN\s*\(([^()]*)\)", text[m.end():i], re.I):
                if len([v for v in lst.split(",") if v.strip()]) > 2:
                    found.append((name, lst.strip()))
    eq(found, [], "CHECK constraints with IN lists of more than two values")
    # and the rewritten constraint still refuses what the old one did
    lid = mklist("checked")
    for status in ("Pending", "In Progress", "Completed", "Overdue"):
        sql("INSERT INTO tasks (list_id, name, status, created_at, updated_at)"
            " VALUES (?, ?, ?, 1, 1)", lid, "x " + status, status)
    for status in ("Done", "pending", ""):
        try:
            sql("INSERT INTO tasks (list_id, name, status, created_at, updated_at)"
                " VALUES (?, ?, ?, 1, 1)", lid, "y " + status, status)
        except sqlite3.IntegrityError as e:
            assert "CHECK" in str(e), e
        else:
            raise AssertionError("a task with status %r was accepted" % status)


# ---- migrating a populated database of an older schema -------------------

def schema_at(path, version):
    """A database made by the first version migrations, as `taskmgr migrate`
    of a release at that schema left it."""
    c = sqlite3.connect(path)
    eq(os.path.basename(MIGRATIONS[MINE - 1]), "011_ids_never_reused.sql", "numbering")
    for n, f in enumerate(MIGRATIONS[:version], 1):
        eq(int(os.path.basename(f)[:3]), n, "migration %s" % f)
        with open(f) as fh:
            c.executescript(fh.read())
        c.execute("PRAGMA user_version = %d" % n)
    c.commit()
    return c


def populate(c, now):
    """Users, lists, tasks (some in the search index, some in its tail),
    events, notices, tokens and sessions, with the newest task, list, user
    and notice deleted as a running system would have."""
    c.execute("PRAGMA foreign_keys = ON")
    for i, u in enumerate(("alice", "bob", "carol", "dave"), 1):
        c.execute("INSERT INTO users (username, username_key, password, date_joined)"
                  " VALUES (?, ?, '', ?)", (u, u, now + i))
    for i, name in enumerate(("Home", "Work", "Gone"), 1):
        c.execute("INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
                  " VALUES (1, ?, lower(?), ?, ?)", (name, name, now + i, now + i))
    t = now + 100
    for lid, count in ((1, 150), (2, 10), (3, 3)):
        for i in range(count):
            t += 1
            name = "Item %d of %s" % (i, ("home", "work", "gone")[lid - 1])
            c.execute("INSERT INTO tasks (list_id, name, name_key, description, assigned_to,"
                      " complete_before, status, created_at, updated_at)"
                      " VALUES (?, ?, lower(?), 'd', ?, ?, ?, ?, ?)",
                      (lid, name, name, 2 if i % 3 == 0 else None,
                       t + 10**12 if i % 2 else None,
                       "In Progress" if i % 3 == 0 else "Pending", t, t))
            c.execute("INSERT INTO events (user_id, type, action, task_id, created_at)"
                      " VALUES (1, 'task_updated', 'created', last_insert_rowid(), ?)", (t,))
    # the first 120 tasks in the search index, the rest in its tail (as the catch-up leaves them)
    c.execute("INSERT INTO tasks_fts (rowid, name_key) SELECT id, name_key FROM tasks"
              " WHERE id <= 120")
    c.execute("UPDATE task_search SET indexed_to = 120")
    for i in range(6):
        c.execute("INSERT INTO outbox (user_id, text, next_attempt_at, created_at, status)"
                  " VALUES (2, ?, ?, ?, ?)", ("notice %d" % i, now, now, i % 2))
    c.execute("INSERT INTO auth_tokens (digest, kind, user_id, family, expires_at, created_at)"
              " VALUES (randomblob(32), 2, 1, 1, ?, ?)", (now + 10**12, now))
    c.execute("INSERT INTO sessions (digest, user_id, csrf, expires_at, created_at)"
              " VALUES (randomblob(32), 1, 'x', ?, ?)", (now + 10**12, now))
    c.execute("INSERT INTO telegram_links (user_id, digest, expires_at, created_at)"
              " VALUES (2, randomblob(32), ?, ?)", (now + 10**12, now))
    # deletes: the newest list with its tasks (161-163), the newest task of
    # the rest (160, in the tail), one in the index (7, "Item 6 of home"),
    # the newest notice and the newest user
    c.execute("DELETE FROM tasks WHERE id = 160")
    c.execute("INSERT INTO events (user_id, type, action, task_id, created_at)"
              " VALUES (1, 'task_updated', 'deleted', 160, ?)", (t,))
    c.execute("DELETE FROM tasks WHERE id = 7")
    c.execute("DELETE FROM lists WHERE id = 3")
    eq(c.execute("SELECT max(id) FROM tasks").fetchone(), (159,), "tasks left")
    c.execute("DELETE FROM outbox WHERE id = 6")
    c.execute("DELETE FROM users WHERE id = 4")
    c.commit()


def snapshot(c):
    """Every row of every table (the FTS shadow tables too), and the schema's
    objects: tables by their columns and foreign keys, indexes by their
    columns and condition, triggers by their text."""
    norm = lambda s: re.sub(r"\s+", " ", s or "").strip()  # noqa: E731
    rows, objs = {}, {}
    for typ, name, sqltext in c.execute("SELECT type, name, sql FROM sqlite_master"
                                        " ORDER BY name").fetchall():
        if name in OUTSIDE or name.startswith("sqlite_autoindex"):
            continue
        if typ == "table":
            rows[name] = c.execute('SELECT * FROM "%s" ORDER BY 1' % name).fetchall()
            objs[name] = (c.execute('PRAGMA table_xinfo("%s")' % name).fetchall(),
                          c.execute('PRAGMA foreign_key_list("%s")' % name).fetchall(),
                          # sorted: a later migration that re-creates an index
                          # (012) changes only the list's order
                          sorted(r[1:] for r in c.execute('PRAGMA index_list("%s")' % name)))
        elif typ == "index":
            objs[name] = (c.execute('PRAGMA index_xinfo("%s")' % name).fetchall(),
                          norm(sqltext.split(" WHERE ", 1)[1]) if " WHERE " in sqltext else "")
        else:
            objs[name] = (typ, norm(sqltext))
    return rows, objs


def test_schema9_database_migrates_intact():
    # the schema before 010 (deletions): no deletion names a deleted row
    srv = Server(workers=1, migrate=False).start()
    try:
        migrate_and_check(srv, 9, {"users": 3, "lists": 2})
    finally:
        srv.stop()


def test_schema10_database_migrates_intact():
    # the schema just before 011: the recorded deletions name the newest
    # user (4) and list (3), deleted before the migration
    srv = Server(workers=1, migrate=False).start()
    try:
        migrate_and_check(srv, 10, {"users": 4, "lists": 3})
    finally:
        srv.stop()


def later_objects():
    """The names of what the migrations after 012 create, or create again
    (their own tests check those; all are checked as a fresh install has
    them)."""
    names = set()
    for f in MIGRATIONS[12:]:
        with open(f) as fh:
            names.update(re.findall(r"^CREATE (?:UNIQUE )?(?:TABLE|INDEX|TRIGGER|VIEW) (\w+)",
                                    fh.read(), re.M | re.I))
    return names


def dropped_later(fresh):
    """The names of what the migrations after 012 drop for good (015 drops
    events_created, the purge walks ids instead): not those a fresh
    install still has (fresh: its objects; 023 drops tasks and renames its
    rebuilt copy to it)."""
    names = set()
    for f in MIGRATIONS[12:]:
        with open(f) as fh:
            names.update(re.findall(r"^DROP (?:TABLE|INDEX|TRIGGER|VIEW) (\w+)",
                                    fh.read(), re.M | re.I))
    return names - later_objects() - set(fresh)


def migrate_and_check(srv, version, seqs):
    now = 1_800_000_000_000_000
    ref = srv.db + ".ref"
    c = schema_at(ref, MINE - 1)
    _, want_objs = snapshot(c)
    c.close()
    # what the migrations after 011 add, as a fresh install has it
    srv.cli("migrate", env={"TASKMGR_DATABASE": srv.db + ".full"}, check=True)
    c = connect(srv.db + ".full")
    _, full_objs = snapshot(c)
    c.close()
    tmp = srv.db + ".old"
    c = schema_at(tmp, version)
    populate(c, now)
    before_rows, _ = snapshot(c)
    c.close()
    # the responders are running: they answer 503 until the schema is theirs
    os.rename(tmp, srv.db)
    eq(srv.get("/api/health/").status, 503, "schema %d is not served" % version)
    out = srv.cli("migrate", check=True).stdout
    eq(out, "".join("applying %s ... ok\n" % os.path.basename(f)[:-4]
                    for f in MIGRATIONS[version:]) +
       "schema now at version %d\n" % len(MIGRATIONS), "migrate output")

    c = connect(srv.db)
    eq(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)], "integrity_check")
    eq(c.execute("PRAGMA foreign_key_check").fetchall(), [], "foreign_key_check")
    c.execute("INSERT INTO tasks_fts (tasks_fts) VALUES ('integrity-check')")
    rows, objs = snapshot(c)
    # later migrations may append columns (ALTER TABLE ADD COLUMN): the
    # columns 001-010 made are compared, and the rows' values in them
    ncols = {name: len(want_objs[name][0]) for name in want_objs
             if isinstance(want_objs[name][0], list) and name in rows}
    for name in rows:
        got = [r[:ncols[name]] for r in rows[name]] if name in ncols else rows[name]
        eq(got, before_rows.get(name, []), "the rows of %s" % name)
    eq(sorted(objs), sorted(full_objs), "the tables, indexes and triggers of a fresh install")
    for name in objs:
        eq(objs[name], full_objs[name], "%s as a fresh install has it" % name)
    for name in ncols:
        objs[name] = (objs[name][0][:ncols[name]],) + tuple(objs[name][1:])
    later, gone = later_objects(), dropped_later(full_objs)
    eq(sorted(n for n in objs if n not in later),
       sorted(n for n in want_objs if n not in gone and n not in later),
       "the tables, indexes and triggers of 001-010")
    for name in (n for n in want_objs if n not in gone and n not in later):
        if len(want_objs[name]) == 3:  # a table: without the indexes dropped since
            cols, fks, idx = want_objs[name]
            want_objs[name] = (cols, fks, [i for i in idx if i[0] not in gone and
                                           i[0] not in later])
            # nor those later migrations added to it (017's users_digest)
            cols, fks, idx = objs[name]
            objs[name] = (cols, fks, [i for i in idx if i[0] not in later])
        eq(objs[name], want_objs[name], "%s as 001-010 made it" % name)
    seq = dict(c.execute("SELECT name, seq FROM sqlite_sequence"))
    eq({k: seq.get(k) for k in ("users", "lists", "tasks", "outbox", "events")},
       dict(seqs, tasks=163, outbox=5,
            events=c.execute("SELECT max(id) FROM events").fetchone()[0]),
       "each sequence at the highest id held or named (tasks: 163, gone with its list, "
       "named by events)")
    c.close()
    # the responder notices the new schema within a second
    deadline = time.time() + 10
    while time.time() < deadline and srv.get("/api/health/").status != 200:
        time.sleep(0.1)
    eq(srv.get("/api/health/").json["schema_version"], len(MIGRATIONS), "served once migrated")

    for u in ("alice", "bob"):
        srv.cli("passwd", u, "--password-stdin", input=PW + "\n", check=True)
        TOK[u, srv] = srv.login(u, PW)

    def get(path, user="alice"):
        r = req("GET", path, user=user, srv=srv)
        eq(r.status, 200, "GET %s: %r" % (path, r))
        return r.json

    def ids(sqltext, *args):
        with connect(srv.db) as c:
            return [r[0] for r in c.execute(sqltext, args)]

    lists = get("/api/lists/")
    eq([(x["id"], x["name"], x["task_count"]) for x in lists["results"]],
       [(2, "Work", 9), (1, "Home", 149)], "lists and their counters")
    # deep pages (page marks) and searches (index and tail) agree with the rows
    home = ids("SELECT id FROM tasks WHERE list_id = 1 ORDER BY created_at DESC, id DESC")
    for off in (0, 64, 100, 130):
        page = get("/api/lists/1/tasks/?limit=20&offset=%d" % off)
        eq(page["count"], 149, "count")
        eq([t["id"] for t in page["results"]], home[off:off + 20], "page at %d" % off)
    for lid, text, want in ((1, "item 12", 11), (1, "item 7 ", 1), (1, "item 14", 11),
                            (2, "of work", 9), (1, "item 6 of home", 0),
                            (1, "item 149", 1)):
        page = get("/api/lists/%d/tasks/?limit=100&search=%s" % (lid, text.replace(" ", "%20")))
        found = ids("SELECT id FROM tasks WHERE instr(name_key, ?) > 0 AND list_id = ?"
                    " ORDER BY created_at DESC, id DESC", text, lid)
        eq((page["count"], [t["id"] for t in page["results"]]), (want, found),
           "search %r" % text)
    eq(get("/api/tasks/", "bob")["count"], len(ids("SELECT id FROM tasks WHERE assigned_to = 2")),
       "bob's assigned tasks")
    last = ids("SELECT max(id) FROM events")[0]
    eq([(e["action"], e["task"]) for e in get("/api/events/?after=%d" % (last - 1))["results"]],
       [("deleted", 160)], "the events feed")

    # new rows get ids above every one the database holds or names
    tid = mktask(1, "Item 150 of home", srv=srv)
    eq(tid, 164, "the next task id: above 163, a task gone with its list, named by events")
    eq(get("/api/lists/1/tasks/?search=item%20150")["count"], 1, "found in the tail")
    eq(get("/api/lists/")["results"][1]["task_count"], 150, "the counter moved")
    page = get("/api/lists/1/tasks/?limit=20&offset=64")
    eq([t["id"] for t in page["results"]],
       ids("SELECT id FROM tasks WHERE list_id = 1 ORDER BY created_at DESC, id DESC")[64:84],
       "a deep page after the insert")
    # without a recorded deletion, a list or user deleted before the
    # migration left no trace: the sequences start above the ids still held
    eq(mklist("New", srv=srv), seqs["lists"] + 1, "the next list id")
    eq(register(srv, "erin"), seqs["users"] + 1, "the next user id")
    ev = get("/api/events/?after=%d" % last)["results"]
    assert ev and all(e["id"] > last for e in ev), (last, ev)
    lid = mklist("Newer", srv=srv)
    eq(req("DELETE", "/api/lists/%d/" % lid, srv=srv).status, 204, "delete the newest list")
    eq(mklist("Newest", srv=srv), lid + 1, "from now on a deleted id stays used")


def test_rows_broken_by_hand_do_not_stop_the_migration():
    # a foreign key a migration breaks fails it; one broken before does not
    srv = Server(workers=1, migrate=False).start()
    try:
        tmp = srv.db + ".old"
        c = schema_at(tmp, MINE - 1)
        c.execute("INSERT INTO users (username, username_key, password, date_joined)"
                  " VALUES ('alice', 'alice', '', 1)")
        c.execute("INSERT INTO outbox (user_id, text, next_attempt_at, created_at)"
                  " VALUES (99, 'orphan', 1, 1)")
        c.commit()
        c.close()
        os.rename(tmp, srv.db)
        p = srv.cli("migrate")
        eq((p.returncode, p.stdout.splitlines()[-1]),
           (0, "schema now at version %d" % len(MIGRATIONS)), p.stdout)
        eq(sql("PRAGMA foreign_key_check", path=srv.db), [("outbox", 1, "users", 0)],
           "the one row broken before")
        eq(sql("SELECT id, text FROM outbox", path=srv.db), [(1, "orphan")], "kept")
    finally:
        srv.stop()


if __name__ == "__main__":
    run_tests(globals())
