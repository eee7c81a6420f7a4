#!/usr/bin/env python3
"""Ids are never handed out twice (sql/011): for users, lists, tasks, events
and outbox notices, deleting the newest row and making another gives a new
id; and a populated database of schema 9 or 10 migrates with its rows,
counters, search index, page marks' versions and foreign keys intact, its
sequences starting above every id it holds or names -- through real nginx +
spawn-fcgi and the real `taskmgr migrate`."""
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (MIGRATIONS, PG, Server, eq, migration_number, run_tests,  # noqa: E402
                     schema_before, sqlite_only)
from admin_client import PW, register  # noqa: E402

S = None
TOK = {}
UID = {}
OUTSIDE = ("sqlite_sequence",)     # what the migration may change
# columns a later migration let be NULL: 025, events' high-water mark
LOOSENED = {"events": {"user_id"}}
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
    if path is None and PG:
        return S.sql(q, *args)
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


# ---- event ids: no AUTOINCREMENT, the newest id kept as a mark (025) ------
#
# Each way an event row goes -- a raw DELETE, the retention purge, a user's
# deletion (the cascade), a member's removal -- is made to take the newest
# row: the next event's id is still above every id handed out, and a client
# whose cursor passed the old ones sees it.  The mark itself (user_id NULL)
# is in no one's feed.

def top_event():
    return sql("SELECT max(id) FROM events")[0][0]


def marks():
    return sql("SELECT id FROM events WHERE user_id IS NULL")


def whole_feed(user):
    """Every event id of user's feed, page by page."""
    seen, after = [], 0
    while True:
        r = req("GET", "/api/events/?after=%d&limit=50" % after, user=user)
        eq(r.status, 200, "events: %r" % r)
        if not r.json["results"]:
            return seen
        seen += [e["id"] for e in r.json["results"]]
        after = r.json["next_after"]


def no_mark_in_any_feed():
    got = marks()
    assert len(got) <= 1, "at most one mark: %r" % got
    for u in TOK:
        if u[1] is S and u[0] in UID:
            ids = whole_feed(u[0])
            assert not set(m[0] for m in got) & set(ids), (u[0], got, ids)


def next_event_is_seen(lid, cursor, top, user="alice"):
    """A new task of user's (in their list lid): its event is above top, and
    in user's feed after cursor."""
    r = req("POST", "/api/lists/%d/tasks/" % lid, {"name": "after %d" % top}, user=user)
    eq(r.status, 201, "task: %r" % r)
    r = req("GET", "/api/events/?after=%d" % cursor, user=user).json
    ids = [e["id"] for e in r["results"]]
    assert ids and ids[-1] > top, (cursor, top, r)
    eq(r["next_after"], ids[-1], "next_after")
    return ids


def test_event_ids_not_reused():
    # a raw DELETE of the newest row
    sqlite_only("events' high-water mark (025); PostgreSQL has identity ids")
    lid = mklist("Events")
    mktask(lid, "x")
    top = top_event()
    sql("DELETE FROM events WHERE id = ?", top)
    eq(marks(), [(top,)], "the deleted newest id stays, as the mark")
    after = req("GET", "/api/events/?after=0").json["next_after"]
    assert after < top, (after, top)
    mktask(lid, "y")
    r = req("GET", "/api/events/?after=%d" % after).json
    eq(len(r["results"]), 1, "one new event: %r" % (r,))
    assert r["results"][0]["id"] > top, (r, top)
    no_mark_in_any_feed()
    # every row deleted at once, the mark too: it comes back
    top = top_event()
    sql("DELETE FROM events")
    eq(marks(), [(top,)], "DELETE FROM events leaves the newest id")
    next_event_is_seen(lid, top - 1, top)
    no_mark_in_any_feed()


def test_event_ids_after_the_purge_takes_every_event():
    sqlite_only("events' high-water mark (025); PostgreSQL has identity ids")
    lid = mklist("Purged")
    mktask(lid, "old")
    cursor = req("GET", "/api/events/?after=0").json["next_after"]
    top = top_event()
    sql("UPDATE events SET created_at = 1")
    for _ in range(3):      # a purge of everything, again and again
        p = S.cli("worker", "--once", env={"TASKMGR_EVENTS_RETENTION_DAYS": "1"})
        eq(p.returncode, 0, "worker --once: %s" % p.stderr)
        eq(sql("SELECT count(*) FROM events WHERE user_id IS NOT NULL")[0][0], 0,
           "every event purged")
        eq(marks(), [(top,)], "one mark: the newest id")
    eq(req("GET", "/api/events/?after=0").json,
       {"results": [], "next_after": 0}, "an empty feed: no mark in it")
    new = next_event_is_seen(lid, cursor, top)
    # the next purge takes the new events, leaves one mark, the newest
    top = top_event()
    eq(top, new[-1], "the newest event is alice's")
    sql("UPDATE events SET created_at = 1")
    eq(S.cli("worker", "--once", env={"TASKMGR_EVENTS_RETENTION_DAYS": "1"}).returncode, 0,
       "worker --once")
    eq(marks(), [(top,)], "still one mark, the newest id")
    next_event_is_seen(lid, new[-1], top)
    no_mark_in_any_feed()


def test_event_ids_after_deleting_the_user_of_the_newest():
    sqlite_only("events' high-water mark (025); PostgreSQL has identity ids")
    carol = register(S, "carol")
    tok = S.login("carol", PW)
    r = S.request("POST", "/api/lists/", body={"name": "Carol's"}, token=tok)
    eq(r.status, 201, "carol's list: %r" % r)
    r = S.request("POST", "/api/lists/%d/tasks/" % r.json["id"], body={"name": "c"}, token=tok)
    eq(r.status, 201, "carol's task: %r" % r)
    top = top_event()
    eq(sql("SELECT user_id FROM events WHERE id = ?", top), [(carol,)], "the newest is carol's")
    cursor = req("GET", "/api/events/?after=0").json["next_after"]
    sql("DELETE FROM users WHERE id = ?", carol)
    eq(sql("SELECT count(*) FROM events WHERE user_id = ?", carol)[0][0], 0,
       "her events went with her")
    eq(marks(), [(top,)], "her newest id stays, as the mark")
    next_event_is_seen(mklist("After carol"), cursor, top)
    no_mark_in_any_feed()


def test_event_ids_after_a_member_removal_withdraws_the_newest():
    sqlite_only("events' high-water mark (025); PostgreSQL has identity ids")
    lid = mklist("Shared")
    r = req("POST", "/api/lists/%d/members/" % lid, {"username": "bob", "role": "viewer"})
    eq(r.status, 201, "bob a member: %r" % r)
    tid = mktask(lid, "shared")
    cur = req("GET", "/api/tasks/%d/" % tid).json
    r = req("PATCH", "/api/tasks/%d/" % tid, {"updated_at": cur["updated_at"],
                                              "description": "told to bob"})
    eq(r.status, 200, "patch: %r" % r)
    top = top_event()
    eq(sql("SELECT user_id, task_id FROM events WHERE id = ?", top), [(UID["bob"], tid)],
       "the newest is bob's, about the list's task")
    bob_cursor = req("GET", "/api/events/?after=0", user="bob").json["next_after"]
    eq(bob_cursor, top, "bob has read it")
    eq(req("DELETE", "/api/lists/%d/members/%d/" % (lid, UID["bob"])).status, 204,
       "bob removed")
    eq(sql("SELECT count(*) FROM events WHERE id = ? AND user_id IS NOT NULL", top)[0][0], 0,
       "his event withdrawn")
    eq(marks(), [(top,)], "its id stays, as the mark")
    # bob's next event (a task of his own) comes after his cursor
    r = S.request("POST", "/api/lists/", body={"name": "Bob's"}, token=TOK["bob", S])
    eq(r.status, 201, "bob's list: %r" % r)
    next_event_is_seen(r.json["id"], bob_cursor, top, user="bob")
    no_mark_in_any_feed()


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
    # events' are kept apart by their high-water mark instead (025, the tests above)
    sqlite_only("sqlite_master's AUTOINCREMENT (PostgreSQL: identity columns, test_postgresql.py)")
    want = ["comments", "lists", "outbox", "personal_tokens", "task_completions",
            "tasks", "users", "webhook_deliveries", "webhooks"]
    got = [r[0] for r in sql("SELECT name FROM sqlite_master WHERE type = 'table'"
                             " AND sql LIKE '%AUTOINCREMENT%' ORDER BY name")]
    eq(got, want, "tables with AUTOINCREMENT")


def test_no_check_evaluates_an_in_list_of_more_than_two():
    # SQLite builds a temporary index to evaluate "x IN (a, b, c, ...)" at
    # every insert that checks it (about 28,000 instructions per task
    # created before 014); two values or fewer are compared in place
    sqlite_only("SQLite's temporary index for IN lists in sqlite_master's CHECKs")
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
    eq(os.path.basename(MIGRATIONS[MINE - 1]), "011_ids_never_reused.sql", "numbering")
    return schema_before(path, version + 1)


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
    sqlite_only("SQLite's migration of an older SQLite file")
    srv = Server(workers=1, migrate=False).start()
    try:
        migrate_and_check(srv, 9, {"users": 3, "lists": 2})
    finally:
        srv.stop()


def test_schema10_database_migrates_intact():
    # the schema just before 011: the recorded deletions name the newest
    # user (4) and list (3), deleted before the migration
    sqlite_only("SQLite's migration of an older SQLite file")
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
        if name == "webhook_cursor":
            # the webhook carrier's cursor (sql/*_webhook_carrier.sql): at the
            # newest event, nothing older is a delivery
            eq(got, c.execute("SELECT 1, max(id) FROM events").fetchall(), "the cursor")
            continue
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
            cols = [c[:3] + (0,) + c[4:] if c[1] in LOOSENED.get(name, ()) else c
                    for c in cols]
            want_objs[name] = (cols, fks, [i for i in idx if i[0] not in gone and
                                           i[0] not in later])
            # nor those later migrations added to it (017's users_digest)
            cols, fks, idx = objs[name]
            objs[name] = (cols, fks, [i for i in idx if i[0] not in later])
        eq(objs[name], want_objs[name], "%s as 001-010 made it" % name)
    seq = dict(c.execute("SELECT name, seq FROM sqlite_sequence"))
    eq({k: seq.get(k) for k in ("users", "lists", "tasks", "outbox", "events")},
       dict(seqs, tasks=163, outbox=5, events=None),
       "each sequence at the highest id held or named (tasks: 163, gone with its list, "
       "named by events); events without one since 025")
    eq(c.execute("SELECT count(*) FROM events WHERE user_id IS NULL").fetchone(), (0,),
       "no high-water mark: the newest event is still there")
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


# ---- 025: events rebuilt without AUTOINCREMENT ------------------------------

EVENTS_IDS = migration_number("_events_ids.sql")


def schema_before_events_ids(path):
    """A database made by the migrations before 025, as `taskmgr migrate`
    of that release left it."""
    return schema_before(path, EVENTS_IDS)


def test_populated_events_migrate_without_autoincrement():
    sqlite_only("SQLite's migration of an older SQLite file")
    srv = Server(workers=1, migrate=False).start()
    try:
        now = 1_800_000_000_000_000
        tmp = srv.db + ".old"
        c = schema_before_events_ids(tmp)
        c.execute("PRAGMA foreign_keys = ON")
        for u in ("alice", "bob"):
            c.execute("INSERT INTO users (username, username_key, password, date_joined)"
                      " VALUES (?, ?, '', ?)", (u, u, now))
        for i in range(300):
            c.execute("INSERT INTO events (user_id, type, action, task_id, message, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      (1 + i % 2, ("task_updated", "task_notify", "task_reminder")[i % 3],
                       "updated", i or None, "m %d" % i if i % 3 == 1 else None, now + i))
        # the purge took the oldest, a deletion the newest: the sequence is
        # above the largest id left
        c.execute("DELETE FROM events WHERE id <= 40 OR id > 290")
        c.commit()
        old_seq = c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()[0]
        eq(old_seq, 300, "the old sequence")
        eq(c.execute("SELECT max(id) FROM events").fetchone()[0], 290, "below it, the rows")
        before = c.execute("SELECT * FROM events ORDER BY id").fetchall()
        c.close()
        os.rename(tmp, srv.db)
        out = srv.cli("migrate", check=True).stdout
        assert "applying %s ... ok\n" % MIGRATIONS[EVENTS_IDS - 1].split("/")[-1][:-4] in out, out

        c = connect(srv.db)
        eq(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)], "integrity_check")
        eq(c.execute("PRAGMA foreign_key_check").fetchall(), [], "foreign_key_check")
        # (later migrations may append columns)
        eq([r[:len(before[0])] for r in
            c.execute("SELECT * FROM events WHERE user_id IS NOT NULL ORDER BY id")],
           before, "every event as it was, with its id")
        eq(c.execute("SELECT id, created_at FROM events WHERE user_id IS NULL").fetchall(),
           [(300, now + 289)], "the old sequence's value kept as the mark")
        eq(c.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 'events'").fetchone(),
           (0,), "no sequence of events")
        eq(c.execute("SELECT sql LIKE '%AUTOINCREMENT%' FROM sqlite_master"
                     " WHERE name = 'events'").fetchone(), (0,), "no AUTOINCREMENT")
        eq(c.execute("PRAGMA index_list(events)").fetchall(), [(0, "events_user", 0, "c", 0)],
           "its index")
        c.close()
        deadline = time.time() + 10
        while time.time() < deadline and srv.get("/api/health/").status != 200:
            time.sleep(0.1)
        srv.cli("passwd", "alice", "--password-stdin", input=PW + "\n", check=True)
        TOK["alice", srv] = srv.login("alice", PW)
        r = req("GET", "/api/events/?after=280", srv=srv).json
        eq([e["id"] for e in r["results"]], [281, 283, 285, 287, 289], "alice's feed")
        # the next event: above the old sequence, after alice's cursor
        lid = mklist("After 025", srv=srv)
        mktask(lid, "new", srv=srv)
        r = req("GET", "/api/events/?after=290", srv=srv).json
        ids = [e["id"] for e in r["results"]]
        assert ids and ids[0] > 300, ids
    finally:
        srv.stop()


def test_rows_broken_by_hand_do_not_stop_the_migration():
    # a foreign key a migration breaks fails it; one broken before does not
    sqlite_only("SQLite's migration of an older SQLite file")
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
