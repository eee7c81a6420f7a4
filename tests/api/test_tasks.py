#!/usr/bin/env python3
"""Tasks through real nginx + spawn-fcgi: fields, visibility with three users,
the status machine, optimistic locking (also under truly parallel writers),
pages, filters, ordering, search, the overdue sweep, events and outbox rows."""
import calendar
import datetime
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PG, Server, eq, run_tests  # noqa: E402

S = None
TOK = {}
UID = {}
KEYS = ["id", "name", "description", "list_id", "list_name", "assignee_name",
        "assigned_to", "complete_before", "status", "is_completed", "created_at",
        "updated_at", "recurrence", "reminders"]


def setup_module():
    global S
    S = Server(workers=3).start()
    for u in ("alice", "bob", "carol", "dave", "erin"):
        S.create_user(u)
        TOK[u] = S.login(u)
        UID[u] = S.get("/api/auth/me/", token=TOK[u]).json["id"]
    db = S.connect()
    db.execute("UPDATE users SET is_active = 0 WHERE username = 'dave'")
    db.commit()
    db.close()


def teardown_module():
    S.stop()


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user] if user else None)


def mklist(name, user="alice"):
    r = req("POST", "/api/lists/", {"name": name}, user)
    eq(r.status, 201, "list %s: %r" % (name, r))
    return r.json["id"]


def mktask(lid, user="alice", **fields):
    r = req("POST", "/api/lists/%d/tasks/" % lid, fields, user)
    eq(r.status, 201, "task %r: %r" % (fields, r))
    return r.json


def sql(q, args=()):
    db = S.connect()
    try:
        rows = db.execute(q, args).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


NOW = datetime.datetime.now(datetime.timezone.utc)
PAST = iso(NOW - datetime.timedelta(days=2))
FUTURE = iso(NOW + datetime.timedelta(days=2))


def test_create_shape_and_defaults():
    lid = mklist("Shape")
    t = mktask(lid, name="First")
    eq(sorted(t), sorted(KEYS), "keys")
    eq({k: t[k] for k in ("name", "description", "list_id", "list_name", "assignee_name",
                          "assigned_to", "complete_before", "status", "is_completed")},
       {"name": "First", "description": "", "list_id": lid, "list_name": "Shape",
        "assignee_name": None, "assigned_to": None, "complete_before": None,
        "status": "Pending", "is_completed": False}, "defaults")
    eq(req("GET", "/api/tasks/%d/" % t["id"]).json, t, "read back")
    t2 = mktask(lid, name="Second", description="d", complete_before="2030-01-02T03:04:05+03:00",
                assigned_to=UID["bob"])
    eq(t2["complete_before"], "2030-01-02T00:04:05.000000Z", "deadline normalised to UTC")
    eq((t2["assigned_to"], t2["assignee_name"]), (UID["bob"], "bob"), "assignee")
    eq(t2["status"], "In Progress", "assigned + Pending -> In Progress on create")
    eq(req("GET", "/api/lists/%d/" % lid).json["task_count"], 2, "task_count")


def test_write_answers_are_what_a_read_returns():
    # creates and updates answer with the task they stored, without reading
    # it back: every field must be what a GET returns right after
    lid = mklist("Answers")
    t = mktask(lid, name='Q "quoted" \u00e9\u00e8 \U0001f600', description="line\nnext\t\"x\"",
               complete_before="2031-05-06T07:08:09.123456+02:00", assigned_to=UID["bob"])
    eq(req("GET", "/api/tasks/%d/" % t["id"]).json, t, "create, every field")
    t = mktask(lid, name="bare")
    eq(req("GET", "/api/tasks/%d/" % t["id"]).json, t, "create, defaults")
    steps = [{"name": "renamed"}, {"description": ""}, {"assigned_to": UID["carol"]},
             {"assigned_to": None}, {"complete_before": "2032-01-01T00:00:00Z"},
             {"complete_before": None}, {"status": "In Progress"}, {"status": "Completed"},
             {"status": "Pending"}, {"name": "renamed"}, {}]
    for body in steps:
        body = dict(body, updated_at=t["updated_at"])
        r = req("PATCH", "/api/tasks/%d/" % t["id"], body)
        eq(r.status, 200, "PATCH %r: %r" % (body, r))
        eq(req("GET", "/api/tasks/%d/" % t["id"]).json, r.json, "PATCH %r answer" % (body,))
        t = r.json
    body = {"name": "put", "description": "all", "assigned_to": UID["bob"],
            "complete_before": None, "status": "Pending", "updated_at": t["updated_at"]}
    r = req("PUT", "/api/tasks/%d/" % t["id"], body)
    eq(r.status, 200, "PUT: %r" % (r,))
    eq(req("GET", "/api/tasks/%d/" % t["id"]).json, r.json, "PUT answer")
    eq(r.json["status"], "In Progress", "PUT settled the status")


def test_create_validation():
    lid = mklist("Validation")
    p = "/api/lists/%d/tasks/" % lid

    def bad(body, want):
        r = req("POST", p, body)
        eq((r.status, r.json), (400, want), "body %r" % (body,))
    bad({}, {"name": ["This field is required."]})
    bad({"name": ""}, {"name": ["This field may not be blank."]})
    bad({"name": "x" * 201}, {"name": ["Ensure this field has no more than 200 characters."]})
    bad({"name": "s", "status": "Done"}, {"status": ['"Done" is not a valid choice.']})
    bad({"name": "s", "complete_before": "tomorrow"}, {"complete_before": [
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]})
    bad({"name": "s", "assigned_to": 999999},
        {"assigned_to": ['Invalid pk "999999" - object does not exist.']})
    bad({"name": "s", "assigned_to": UID["dave"]},
        {"assigned_to": ['Invalid pk "%d" - object does not exist.' % UID["dave"]]})
    bad({"name": "s", "assigned_to": "abc"},
        {"assigned_to": ["Incorrect type. Expected pk value, received str."]})
    bad({"name": "s", "assigned_to": True},
        {"assigned_to": ["Incorrect type. Expected pk value, received bool."]})
    bad({"name": "s", "assigned_to": 1e300},
        {"assigned_to": ["Incorrect type. Expected pk value, received float."]})
    bad({"name": "s", "assigned_to": -3},
        {"assigned_to": ['Invalid pk "-3" - object does not exist.']})
    bad({"name": "s", "description": None}, {"description": ["This field may not be null."]})
    bad({"name": "s", "status": None}, {"status": ["This field may not be null."]})
    mktask(lid, name="Same")
    bad({"name": "Same"},
        {"non_field_errors": ["The fields name, list_tasks must make a unique set."]})
    mktask(mklist("Validation 2"), name="Same")    # another list may reuse the name
    eq(req("POST", p, {"name": "s", "assigned_to": str(UID["bob"])}).status, 201,
       "pk as a string")
    eq(sql("SELECT count(*) FROM tasks WHERE list_id = ?", (lid,))[0][0], 2,
       "no refused task was stored")


def test_visibility_three_users():
    lid = mklist("Vis")
    t = mktask(lid, name="Shared", assigned_to=UID["bob"])
    p = "/api/tasks/%d/" % t["id"]
    # stranger: 404 everywhere
    for m, body in (("GET", None), ("PUT", dict(name="x", updated_at=t["updated_at"])),
                    ("PATCH", {"updated_at": t["updated_at"]}), ("DELETE", None)):
        r = req(m, p, body, "carol")
        eq((r.status, r.json), (404, {"detail": "Not found."}), "stranger " + m)
    eq(req("POST", p + "complete/", None, "carol").status, 404, "stranger complete")
    eq(req("GET", "/api/lists/%d/tasks/" % lid, user="carol").status, 404, "stranger list page")
    eq(req("GET", "/api/tasks/", user="carol").json["count"], 0, "stranger has no tasks")
    # assignee: reads and writes the task, not the list; may not delete
    eq(req("GET", p, user="bob").status, 200, "assignee GET")
    eq(req("GET", "/api/lists/%d/" % lid, user="bob").status, 404, "assignee cannot see the list")
    eq(req("GET", "/api/lists/%d/tasks/" % lid, user="bob").status, 404, "nor its page")
    eq(req("POST", "/api/lists/%d/tasks/" % lid, {"name": "n"}, "bob").status, 404,
       "nor add to it")
    r = req("DELETE", p, user="bob")
    eq((r.status, r.json), (403, {"detail": "You do not have permission to perform this action."}),
       "assignee DELETE")
    eq(req("GET", p).status, 200, "still there")
    r = req("PATCH", p, {"description": "by bob", "updated_at": t["updated_at"]}, "bob")
    eq((r.status, r.json["description"]), (200, "by bob"), "assignee PATCH")
    ids = [x["id"] for x in req("GET", "/api/tasks/", user="bob").json["results"]]
    assert t["id"] in ids, ids
    ids = [x["id"] for x in req("GET", "/api/tasks/", user="alice").json["results"]]
    assert t["id"] not in ids, "GET /api/tasks/ is the caller's assigned tasks only"
    # the owner deletes
    eq(req("DELETE", p).status, 204, "owner DELETE")
    eq(req("GET", p).status, 404, "gone")
    eq(req("GET", p, user="bob").status, 404, "gone for the assignee")
    eq(req("DELETE", p).status, 404, "second DELETE")


def test_assignee_can_reassign_away_and_loses_sight():
    lid = mklist("Handoff")
    t = mktask(lid, name="Hot potato", assigned_to=UID["bob"])
    r = req("PATCH", "/api/tasks/%d/" % t["id"],
            {"assigned_to": UID["erin"], "updated_at": t["updated_at"]}, "bob")
    eq((r.status, r.json["assignee_name"]), (200, "erin"), "reassigned")
    eq(req("GET", "/api/tasks/%d/" % t["id"], user="bob").status, 404, "bob no longer sees it")
    eq(req("GET", "/api/tasks/%d/" % t["id"], user="erin").status, 200, "erin does")


def test_status_machine():
    lid = mklist("Machine")
    t = mktask(lid, name="Flow")
    p = "/api/tasks/%d/" % t["id"]
    # complete from Pending: refused, nothing changes
    r = req("POST", p + "complete/")
    eq((r.status, r.json), (400, {"detail": "Task is expired and cannot be completed"}), "pending")
    eq(req("GET", p).json, t, "unchanged after refusal")
    # assigning a Pending task makes it In Progress
    r = req("PATCH", p, {"assigned_to": UID["bob"], "updated_at": t["updated_at"]})
    eq(r.json["status"], "In Progress", "assign -> In Progress")
    # a save that sets Pending back is settled again
    r = req("PATCH", p, {"status": "Pending", "updated_at": r.json["updated_at"]})
    eq(r.json["status"], "In Progress", "Pending with an assignee is In Progress on save")
    before = r.json
    r = req("POST", p + "complete/", None, "bob")
    eq((r.status, r.json), (200, {"detail": "Task marked as complete"}), "complete by assignee")
    after = req("GET", p).json
    eq((after["status"], after["is_completed"]), ("Completed", True), "completed")
    assert after["updated_at"] > before["updated_at"], "complete moves updated_at"
    r = req("POST", p + "complete/")
    eq(r.status, 400, "complete twice")
    eq(req("GET", p).json, after, "unchanged after second refusal")
    # Overdue cannot be completed either
    t2 = mktask(lid, name="Late", assigned_to=UID["bob"], status="Overdue")
    eq(t2["status"], "Overdue", "explicit status kept")
    eq(req("POST", "/api/tasks/%d/complete/" % t2["id"]).status, 400, "overdue")
    eq(req("GET", "/api/tasks/%d/" % t2["id"]).json, t2, "overdue unchanged")
    # unassigned In Progress may be completed by the owner
    t3 = mktask(lid, name="Solo", status="In Progress")
    eq(req("POST", "/api/tasks/%d/complete/" % t3["id"]).status, 200, "owner completes")
    eq(req("POST", "/api/tasks/999999/complete/").status, 404, "missing")


def test_locking():
    lid = mklist("Locks")
    t = mktask(lid, name="L")
    p = "/api/tasks/%d/" % t["id"]
    r = req("PATCH", p, {"name": "L2"})
    eq((r.status, r.json), (409, {"detail": "Field 'updated_at' is required for updates."}), "missing")
    r = req("PUT", p, {"name": "L2", "updated_at": None})
    eq(r.status, 409, "null")
    r = req("PATCH", p, {"name": "L2", "updated_at": "2026-13-01T00:00:00Z"})
    eq((r.status, r.json), (409, {"detail": "Invalid format of field 'updated_at'."}), "format")
    stale = iso(datetime.datetime.strptime(t["updated_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
                - datetime.timedelta(microseconds=1))
    r = req("PATCH", p, {"name": "L2", "updated_at": stale})
    eq((r.status, r.json), (409, {"detail": "The object was modified by another user."}), "stale")
    eq(req("GET", p).json, t, "unchanged after the 409s")
    # updated_at strictly increases, even for writes in the same microsecond
    last = t["updated_at"]
    for i in range(5):
        r = req("PATCH", p, {"description": str(i), "updated_at": last})
        eq(r.status, 200, "write %d" % i)
        assert r.json["updated_at"] > last, (r.json["updated_at"], last)
        last = r.json["updated_at"]
    # 404 comes before 409 for a task the caller cannot see
    eq(req("PATCH", p, {"name": "x"}, "carol").status, 404, "invisible first")


def test_put_requires_the_name_only():
    # DRF's ModelSerializer: the other fields have model defaults, so they are optional
    lid = mklist("Put")
    t = mktask(lid, name="P")
    r = req("PUT", "/api/tasks/%d/" % t["id"], {"updated_at": t["updated_at"]})
    eq(r.status, 400, "status")
    eq(r.json, {"name": ["This field is required."]}, "body")
    r = req("PUT", "/api/tasks/%d/" % t["id"], {
        "updated_at": t["updated_at"], "name": "P2", "description": "", "assigned_to": None,
        "complete_before": None, "status": "Pending"})
    eq((r.status, r.json["name"]), (200, "P2"), "full PUT")
    r = req("PATCH", "/api/tasks/%d/" % t["id"], {"updated_at": r.json["updated_at"],
                                                  "complete_before": FUTURE})
    eq((r.status, r.json["name"], r.json["complete_before"]), (200, "P2", FUTURE), "PATCH partial")
    r = req("PATCH", "/api/tasks/%d/" % t["id"], {"updated_at": r.json["updated_at"],
                                                  "complete_before": None})
    eq(r.json["complete_before"], None, "deadline cleared")
    mktask(lid, name="Taken")
    r = req("PATCH", "/api/tasks/%d/" % t["id"], {"updated_at": r.json["updated_at"],
                                                  "name": "Taken"})
    eq((r.status, r.json), (400, {"non_field_errors": [
        "The fields name, list_tasks must make a unique set."]}), "rename onto a taken name")


def test_parallel_patches_exactly_one_wins():
    lid = mklist("Race")
    assert len(S.responder_pids()) >= 2, "needs several responders"
    for rep in range(20):
        t = mktask(lid, name="race %d" % rep)
        results = []
        barrier = threading.Barrier(4)

        def one(i):
            barrier.wait()
            r = req("PATCH", "/api/tasks/%d/" % t["id"],
                    {"description": "writer %d" % i, "updated_at": t["updated_at"]})
            results.append((r.status, r.json))
        th = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        for x in th:
            x.start()
        for x in th:
            x.join()
        codes = sorted(s for s, _ in results)
        eq(codes, [200, 409, 409, 409], "round %d" % rep)
        for s, j in results:
            if s == 409:
                eq(j, {"detail": "The object was modified by another user."}, "409 body")
        winner = [j for s, j in results if s == 200][0]
        eq(req("GET", "/api/tasks/%d/" % t["id"]).json, winner, "stored = the winner's")


def test_pagination_edges():
    lid = mklist("Pages")
    ids = [mktask(lid, name="p%02d" % i)["id"] for i in range(25)]
    base = "/api/lists/%d/tasks/" % lid
    j = req("GET", base).json
    eq((j["count"], len(j["results"])), (25, 20), "default page size 20")
    eq([x["id"] for x in j["results"]], ids[::-1][:20], "newest first")
    q = urllib.parse.parse_qs(urllib.parse.urlparse(j["next"]).query)
    eq(q, {"limit": ["20"], "offset": ["20"]}, "next")
    assert j["next"].startswith("http://127.0.0.1:%d/api/lists/" % S.port), j["next"]
    j = req("GET", base + "?limit=10&offset=20&status=Pending&search=p").json
    eq([x["id"] for x in j["results"]], ids[::-1][20:], "last page")
    eq(j["next"], None, "no next")
    q = urllib.parse.parse_qs(urllib.parse.urlparse(j["previous"]).query)
    eq(q, {"limit": ["10"], "offset": ["10"], "status": ["Pending"], "search": ["p"]},
       "previous keeps the filters")
    j = req("GET", base + "?offset=1000").json
    eq((j["count"], j["results"], j["next"]), (25, [], None), "offset past the end")
    assert j["previous"] is not None
    eq(len(req("GET", base + "?limit=0").json["results"]), 20, "limit 0 = default")
    r = req("GET", base + "?limit=101")
    eq((r.status, len(r.json["results"])), (200, 25), "limit over max capped at 100")
    for bad in ("limit=-1", "offset=-5", "limit=abc", "offset=1.5"):
        r = req("GET", base + "?" + bad)
        eq(r.status, 400, bad)
        assert bad.split("=")[0] in r.json, r.json
    # the assigned-tasks page is paged the same way
    n = req("GET", "/api/tasks/", user="erin").json["count"]
    for i in range(3):
        mktask(lid, name="mine %d" % i, assigned_to=UID["erin"])
    j = req("GET", "/api/tasks/?limit=2", user="erin").json
    eq((j["count"], len(j["results"])), (n + 3, 2), "assigned page")


def test_deep_pages_follow_every_change():
    """Pages past 64 rows seek from a responder's marks; every insert,
    delete, move, reassignment and created_at change must show at once."""
    S.create_user("frank")
    TOK["frank"] = S.login("frank")
    UID["frank"] = S.get("/api/auth/me/", token=TOK["frank"]).json["id"]
    lid = mklist("Deep")
    base = "/api/lists/%d/tasks/" % lid
    created = []
    lock = threading.Lock()

    def add(k):
        for i in range(k, 600, 4):
            t = mktask(lid, name="deep %03d" % i)
            with lock:
                created.append(t["id"])
    threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(len(created), 600, "tasks made")
    # marks fall every 64 rows; a page reads its ids first past 256 rows to skip
    offsets = (0, 1, 63, 64, 65, 127, 128, 200, 255, 256, 257, 300, 511, 512, 513,
               590, 598, 599, 600, 700)

    def check(label, path, where, user="alice"):
        for order, sql_order in (("-created_at", "created_at DESC, id DESC"),
                                 ("created_at", "created_at, id")):
            want = [r[0] for r in sql("SELECT id FROM tasks WHERE %s ORDER BY %s"
                                      % (where, sql_order))]
            for off in offsets:
                # every responder (three) answers each page at least once
                for _ in range(4):
                    j = req("GET", "%s?ordering=%s&limit=7&offset=%d"
                            % (path, order, off), user=user).json
                    eq([x["id"] for x in j["results"]], want[off:off + 7],
                       "%s: %s offset %d" % (label, order, off))
                    eq(j["count"], len(want), "%s: count" % label)

    in_list = "list_id = %d" % lid
    check("fresh", base, in_list)
    mktask(lid, name="one more")
    check("after an insert", base, in_list)
    middle = sql("SELECT id FROM tasks WHERE list_id = ? ORDER BY created_at, id"
                 " LIMIT 1 OFFSET 300", (lid,))[0][0]
    eq(req("DELETE", "/api/tasks/%d/" % middle).status, 204, "delete")
    check("after a delete", base, in_list)
    other = mklist("Deep elsewhere")
    sql("UPDATE tasks SET list_id = ? WHERE id = ?", (other, created[10]))
    check("after a move out", base, in_list)
    sql("UPDATE tasks SET list_id = ? WHERE id = ?", (lid, created[10]))
    check("after a move back", base, in_list)
    sql("UPDATE tasks SET created_at = created_at - 86400000000 WHERE id = ?",
        (created[500],))
    check("after created_at changed", base, in_list)
    # the assignee's page: 300 of them assigned at once, then one more by the API
    sql("UPDATE tasks SET assigned_to = ? WHERE id IN (SELECT id FROM tasks"
        " WHERE list_id = ? ORDER BY id LIMIT 300)", (UID["frank"], lid))
    mine = "assigned_to = %d" % UID["frank"]
    check("assignee", "/api/tasks/", mine, user="frank")
    r = req("GET", "/api/tasks/%d/" % created[599])
    r = req("PATCH", "/api/tasks/%d/" % created[599],
            {"assigned_to": UID["frank"], "updated_at": r.json["updated_at"]})
    eq(r.status, 200, "assign one more: %r" % (r,))
    check("assignee after one more", "/api/tasks/", mine, user="frank")
    sql("DELETE FROM tasks WHERE list_id = ? AND assigned_to = ? AND id % 7 = 0",
        (lid, UID["frank"]))
    check("assignee after deletes", "/api/tasks/", mine, user="frank")


def test_deadline_filters_in_a_big_list():
    """due_before/due_after under every ordering on a list of 3,000 tasks:
    with many tasks passing, a page walks the order's index and tests each
    deadline; with few, it sorts the deadline index's range.  Either way
    the pages are exactly the SQL answer."""
    lid = mklist("Deadlines", "carol")
    base = T0 = 1800000000 * 1000000
    db = S.connect()
    db.executemany(
        "INSERT INTO tasks (list_id, name, name_key, complete_before, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(lid, "due %04d" % i, "due %04d" % i,
          None if i % 5 == 0 else base + (i * 7919 % 3000) * 1000000,
          T0 + i, T0 + (i * 31 % 3000)) for i in range(3000)])
    db.commit()
    db.close()
    path = "/api/lists/%d/tasks/" % lid

    def rfc(us):
        return datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
    orders = {"-created_at": "created_at DESC, id DESC", "created_at": "created_at, id",
              "updated_at": "updated_at, id", "-updated_at": "updated_at DESC, id DESC",
              "complete_before": "complete_before, id",
              "-complete_before": "complete_before DESC, id DESC"}
    # many pass (2,400 with a deadline below the bound), few pass (about 100)
    for name, cond, args in (
            ("due_before", "complete_before < ?", (base + 2999 * 1000000,)),
            ("due_after", "complete_before > ?", (base + 100 * 1000000,)),
            ("due_before", "complete_before < ?", (base + 100 * 1000000,)),
            ("due_after", "complete_before > ?", (base + 2900 * 1000000,))):
        for order, sql_order in orders.items():
            want = [r[0] for r in sql("SELECT id FROM tasks WHERE list_id = ? AND %s"
                                      " ORDER BY %s" % (cond, sql_order), (lid,) + args)]
            for off in (0, 20, 1000, len(want) - 5):
                if off < 0:
                    continue
                j = req("GET", "%s?%s=%s&ordering=%s&limit=20&offset=%d" % (
                    path, name, urllib.parse.quote(rfc(args[0])), order, off),
                    user="carol").json
                eq(j["count"], len(want), "%s %s count" % (name, order))
                eq([x["id"] for x in j["results"]], want[off:off + 20],
                   "%s=%d %s offset %d" % (name, len(want), order, off))


def test_page_names_are_the_rows_names():
    """A page's list_name and assignee_name (the list's and the caller's names
    come from the rows the page read first) are the ones a read of each task
    gives, also right after the list is renamed and the user's name changed."""
    lid = mklist("Names A")
    for i in range(6):
        mktask(lid, name="named %d" % i,
               assigned_to=UID["bob"] if i % 2 else UID["carol"])
    other = mklist("Names B")
    mktask(other, name="elsewhere", assigned_to=UID["bob"])

    def check(label):
        for path, user in (("/api/lists/%d/tasks/?limit=50" % lid, "alice"),
                           ("/api/tasks/?limit=50", "bob")):
            r = req("GET", path, user=user)
            eq(r.status, 200, label + " page")
            for t in r.json["results"]:
                one = req("GET", "/api/tasks/%d/" % t["id"], user=user)
                eq((t["list_name"], t["assignee_name"]),
                   (one.json["list_name"], one.json["assignee_name"]), label + " " + path)
        return r.json["results"]

    check("before")
    sql("UPDATE lists SET name = 'Names A2' WHERE id = ?", (lid,))
    sql("UPDATE users SET username = 'bobby' WHERE id = ?", (UID["bob"],))
    try:
        mine = check("after")
        eq(sorted({t["assignee_name"] for t in mine}), ["bobby"], "the caller's new name")
        names = {t["list_name"] for t in mine}
        eq(("Names A2" in names, "Names B" in names, "Names A" in names), (True, True, False),
           "each task's list, the renamed one new")
    finally:
        sql("UPDATE users SET username = 'bob' WHERE id = ?", (UID["bob"],))
        for i in (lid, other):
            eq(req("DELETE", "/api/lists/%d/" % i).status, 204, "clean up")


def test_page_times_as_stored():
    """A page's created_at and updated_at are the stored microseconds, equal
    until the task changes and apart after (the page writes the second from
    the first when they are equal)."""
    lid = mklist("Times")
    t = mktask(lid, name="timed")
    u = req("PATCH", "/api/tasks/%d/" % t["id"], {"description": "changed",
                                                   "updated_at": t["updated_at"]})
    eq(u.status, 200, "update")
    mktask(lid, name="untouched")
    rows = {x["name"]: x for x in req("GET", "/api/lists/%d/tasks/" % lid).json["results"]}
    stored = dict((n, (c, m)) for n, c, m in sql(
        "SELECT name, created_at, updated_at FROM tasks WHERE list_id = ?", (lid,)))

    def us(text):
        d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
        return calendar.timegm(d.timetuple()) * 1000000 + d.microsecond

    for name in ("timed", "untouched"):
        eq((us(rows[name]["created_at"]), us(rows[name]["updated_at"])), stored[name],
           name + " times")
    eq(rows["untouched"]["created_at"], rows["untouched"]["updated_at"], "equal until changed")
    assert rows["timed"]["updated_at"] > rows["timed"]["created_at"], "apart after a change"
    eq(req("DELETE", "/api/lists/%d/" % lid).status, 204, "clean up")


def test_filters_and_ordering():
    L1, L2 = mklist("F1", "carol"), mklist("F2", "carol")
    a = mktask(L1, "carol", name="alpha", complete_before="2030-01-01T00:00:00Z")
    b = mktask(L1, "carol", name="beta", assigned_to=UID["erin"],
               complete_before="2030-06-01T00:00:00Z")
    c = mktask(L1, "carol", name="gamma", status="Completed")
    d = mktask(L2, "carol", name="delta", assigned_to=UID["erin"])
    e = mktask(L2, "carol", name="epsilon", assigned_to=UID["carol"],
               complete_before="2029-01-01T00:00:00Z")

    def ids(path, user="carol"):
        r = req("GET", path, user=user)
        eq(r.status, 200, "%s: %r" % (path, r))
        eq(r.json["count"], len(r.json["results"]), "count " + path)
        return [x["id"] for x in r.json["results"]]
    p1 = "/api/lists/%d/tasks/" % L1
    eq(ids(p1), [c["id"], b["id"], a["id"]], "default -created_at")
    eq(ids(p1 + "?ordering=created_at"), [a["id"], b["id"], c["id"]], "created_at")
    eq(ids(p1 + "?ordering=complete_before"), [c["id"], a["id"], b["id"]],
       "complete_before (no deadline first)")
    eq(ids(p1 + "?ordering=-complete_before"), [b["id"], a["id"], c["id"]], "-complete_before")
    req("PATCH", "/api/tasks/%d/" % a["id"], {"updated_at": a["updated_at"]}, "carol")
    eq(ids(p1 + "?ordering=updated_at"), [b["id"], c["id"], a["id"]], "updated_at")
    eq(ids(p1 + "?ordering=-updated_at"), [a["id"], c["id"], b["id"]], "-updated_at")
    eq(ids(p1 + "?status=Completed"), [c["id"]], "status")
    eq(ids(p1 + "?status=In%20Progress"), [b["id"]], "status with a space")
    eq(ids(p1 + "?assigned_to=%d" % UID["erin"]), [b["id"]], "assigned_to")
    eq(ids(p1 + "?due_before=2030-03-01T00:00:00Z"), [a["id"]], "due_before")
    eq(ids(p1 + "?due_after=2030-03-01T00:00:00Z"), [b["id"]], "due_after")
    eq(ids(p1 + "?due_after=2029-03-01T00:00:00%2B03:00&due_before=2031-01-01T00:00:00Z"),
       [b["id"], a["id"]], "both bounds; tasks without deadline match neither")
    eq(ids(p1 + "?due_before=2030-01-01T03:00:01+03:00"), [a["id"]], "unescaped + in offset")
    eq(ids(p1 + "?search=ET"), [b["id"]], "search")
    eq(ids(p1 + "?status=Pending&search=alp&ordering=created_at"), [a["id"]], "combined")
    # GET /api/tasks/ with filters: erin's tasks across lists
    eq(ids("/api/tasks/", "erin")[:2], [d["id"], b["id"]], "assigned")
    eq(ids("/api/tasks/?list=%d" % L2, "erin"), [d["id"]], "list filter")
    eq(ids("/api/tasks/?list=%d&status=In%%20Progress" % L1, "erin"), [b["id"]], "list+status")
    eq(ids("/api/tasks/?ordering=-complete_before", "erin")[0], b["id"],
       "ordering on the assigned page: the only deadline first")
    eq(ids("/api/tasks/?ordering=complete_before", "erin")[-1], b["id"], "and last")
    eq(ids("/api/tasks/?status=Overdue"), [], "carol has none overdue")
    eq(ids("/api/tasks/"), [e["id"]], "carol's own assignment")
    # unknown values are a 400 naming the parameter
    for q, key in (("status=Done", "status"), ("ordering=name", "ordering"),
                   ("ordering=-id", "ordering"), ("assigned_to=bob", "assigned_to"),
                   ("assigned_to=0", "assigned_to"), ("list=-1", "list"),
                   ("due_before=soon", "due_before"), ("due_after=2030-02-30", "due_after")):
        for path in (p1, "/api/tasks/"):
            r = req("GET", path + "?" + q)
            eq(r.status, 400, "%s %s" % (path, q))
            eq(list(r.json), [key], "names the parameter: %r" % r.json)
    r = req("GET", p1 + "?status=Done")
    eq(r.json, {"status": ["Select a valid choice. Done is not one of the available choices."]},
       "message")
    eq(req("GET", p1 + "?status=&ordering=", user="carol").status, 200, "empty values are no filter")
    r = req("GET", p1 + "?search=%FF", user="carol")
    eq((r.status, r.json), (400, {"search": ["Enter a valid value."]}), "invalid UTF-8 search")


def test_search_special_characters():
    lid = mklist("Search", "erin")
    names = ["50% off", "50 percent", "snake_case", "snakeXcase", "it's \"quoted\"",
             "Купить МОЛОКО", "молоко и хлеб", "ÉCOLE", "école", "plain"]
    for n in names:
        mktask(lid, "erin", name=n)

    def found(s):
        r = req("GET", "/api/lists/%d/tasks/?limit=100&search=%s" % (lid, urllib.parse.quote(s)),
                user="erin")
        eq(r.status, 200, s)
        return sorted(x["name"] for x in r.json["results"])
    eq(found("%"), ["50% off"], "% literal")
    eq(found("0%"), ["50% off"], "% literal inside")
    eq(found("_"), ["snake_case"], "_ literal")
    eq(found("e_c"), ["snake_case"], "_ not a wildcard")
    eq(found("'s \""), ["it's \"quoted\""], "quotes")
    eq(found("молоко"), ["Купить МОЛОКО", "молоко и хлеб"], "Cyrillic case-folded")
    eq(found("École"), ["ÉCOLE", "école"], "Latin-1 case-folded")
    eq(found("PLAIN"), ["plain"], "ASCII")
    eq(found("zzz"), [], "nothing")
    eq(len(found("")), len(names), "empty = all")


def test_search_in_a_big_list():
    """Searches of 1, 2, 3 and more characters on a list larger than their
    hits (so 3+ characters go through the trigram index) answer exactly as
    a case-insensitive substring match, also after a rename and a delete."""
    lid = mklist("Search big", "bob")
    names = ["Chore %02d of the week" % i for i in range(40)] + [
        "Ärger im Büro", "kein ärger", "100% done", "1000 done", "under_score",
        "underXscore", 'He said "go"', "it's fine", 'a""b', "Grüße aus Köln",
        "ЗАКАЗАТЬ пиццу"]
    made = {n: mktask(lid, "bob", name=n) for n in names}
    base = "/api/lists/%d/tasks/" % lid

    def found(s, limit=100):
        got, off = [], 0
        while True:
            r = req("GET", base + "?limit=%d&offset=%d&ordering=created_at&search=%s"
                    % (limit, off, urllib.parse.quote(s)), user="bob")
            eq(r.status, 200, "%r: %r" % (s, r))
            got += [x["name"] for x in r.json["results"]]
            off += limit
            if off >= r.json["count"]:
                eq(len(got), r.json["count"], "%r: count" % s)
                return got

    def expect(s):
        return [n for n in names if s.lower() in n.lower()]

    for s in ("c", "ä", "%", "_", '"', "of", "Äр", "% d", "e_s", "00", "ÄRGER", "ärg",
              "chore 1", "chore 17 of the week", "chore 17 of the weekend", '"go"',
              'a""', '""b', "'s f", "GRÜSSE", "grüße", "заказать", "the week", "xyz"):
        eq(found(s), expect(s), "search %r" % s)
    eq(found("chore", limit=7), expect("chore"), "pages of a common text")
    eq(found("ÄRGER"), ["Ärger im Büro", "kein ärger"], "ÄRGER finds ärger")
    # a rename: the old name is no longer found, the new one is
    t = made["Chore 17 of the week"]
    r = req("PATCH", "/api/tasks/%d/" % t["id"],
            {"name": "Errand quokka", "updated_at": t["updated_at"]}, "bob")
    eq(r.status, 200, "rename %r" % r)
    names[names.index("Chore 17 of the week")] = "Errand quokka"
    eq(found("chore 17"), [], "old name")
    eq(found("quokka"), ["Errand quokka"], "new name")
    eq(found("QUOK"), ["Errand quokka"], "new name, 4 characters")
    for s in ("ch", "of the", "17"):
        eq(found(s), expect(s), "after the rename %r" % s)
    # a delete
    eq(req("DELETE", "/api/tasks/%d/" % made["kein ärger"]["id"], user="bob").status, 204,
       "delete")
    names.remove("kein ärger")
    eq(found("ärger"), ["Ärger im Büro"], "deleted task not found")
    eq(found("kein"), [], "nor by another part of its name")
    # another owner's matching task is not on this page
    other = mklist("Search other", "carol")
    mktask(other, "carol", name="Errand quokka")
    eq(found("quokka"), ["Errand quokka"], "only this list's")
    if PG:
        return      # pg_trgm's index has every task at once: no tail, no FTS5
    # the responders' housekeeping brings new tasks into the index (a few
    # times a second); until then they are searched as the index's tail
    tail = "SELECT (SELECT max(id) FROM tasks) - indexed_to FROM task_search"
    for _ in range(50):
        if sql(tail) == [(0,)]:
            break
        time.sleep(0.1)
        req("GET", "/api/auth/me/", user="bob")
    eq(sql(tail), [(0,)], "caught up")
    eq(sql("SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH '\"kka\"'"), [(2,)],
       "both in the index")
    sql("INSERT INTO tasks_fts (tasks_fts, rank) VALUES ('integrity-check', 1)")
    eq(found("quokka"), ["Errand quokka"], "from the index")
    eq(found("grüße"), expect("grüße"), "from the index")


def test_sweep_marks_only_the_right_tasks():
    lid = mklist("Sweep", "erin")
    p = mktask(lid, "erin", name="past pending", complete_before=PAST)
    ip = mktask(lid, "erin", name="past in progress", complete_before=PAST,
                assigned_to=UID["bob"])
    done = mktask(lid, "erin", name="past completed", complete_before=PAST, status="Completed")
    od = mktask(lid, "erin", name="past overdue", complete_before=PAST, status="Overdue")
    fut = mktask(lid, "erin", name="future", complete_before=FUTURE, assigned_to=UID["bob"])
    none = mktask(lid, "erin", name="no deadline")
    out = S.cli("sweep", check=True).stdout
    assert out.startswith("marked "), out
    n = int(out.split()[1])
    assert n >= 2, out
    got = {t["name"]: req("GET", "/api/tasks/%d/" % t["id"], user="erin").json
           for t in (p, ip, done, od, fut, none)}
    eq({k: v["status"] for k, v in got.items()},
       {"past pending": "Overdue", "past in progress": "Overdue", "past completed": "Completed",
        "past overdue": "Overdue", "future": "In Progress", "no deadline": "Pending"}, "statuses")
    assert got["past pending"]["updated_at"] > p["updated_at"], "sweep moves updated_at"
    eq(got["past overdue"], od, "an Overdue task is untouched")
    eq(got["past completed"], done, "a Completed task is untouched")
    eq(S.cli("sweep", check=True).stdout, "marked 0 tasks overdue\n", "second run")
    rows = sql("SELECT user_id, text FROM outbox WHERE text LIKE '%просрочена%'")
    eq(rows, [(UID["bob"], "Задача 'past in progress' просрочена!")],
       "one overdue notice, to the assignee")
    ev = sql("SELECT user_id, type, action FROM events WHERE task_id = ? ORDER BY id",
             (ip["id"],))
    assert (UID["erin"], "task_updated", "overdue") in ev, ev
    assert (UID["bob"], "task_updated", "overdue") in ev, ev
    assert (UID["bob"], "task_notify", "overdue") in ev, ev
    eq(S.cli("sweep", "extra").returncode, 2, "bad usage")
    assert "overdue" in S.cli("sweep", "--help").stdout


def test_notices_and_events():
    lid = mklist("Notices", "carol")
    t = mktask(lid, "carol", name="Notify <b>&", assigned_to=UID["bob"])
    self_t = mktask(lid, "carol", name="Mine", assigned_to=UID["carol"])
    r = req("PATCH", "/api/tasks/%d/" % t["id"],
            {"assigned_to": UID["erin"], "updated_at": t["updated_at"]}, "carol")
    eq(r.status, 200, "reassign")
    r = req("PATCH", "/api/tasks/%d/" % t["id"],
            {"assigned_to": None, "updated_at": r.json["updated_at"]}, "carol")
    eq(r.status, 200, "unassign")
    notes = sql("SELECT e.user_id, e.action, e.message, o.text, o.status FROM events e"
                " JOIN outbox o ON o.user_id = e.user_id AND o.text = e.message"
                " WHERE e.type = 'task_notify' AND e.task_id IN (?, ?) ORDER BY e.id",
                (t["id"], self_t["id"]))
    eq([(u, a, m) for u, a, m, _, _ in notes], [
        (UID["bob"], "assigned", "Вам назначена задача: Notify <b>&"),
        (UID["erin"], "assigned", "Вам назначена задача: Notify <b>&"),
        (UID["bob"], "unassigned", "Задача 'Notify <b>&' больше не назначена вам"),
        (UID["erin"], "unassigned", "Задача 'Notify <b>&' больше не назначена вам"),
    ], "notices: new and previous assignee; none for assigning oneself")
    assert all(st == 0 for *_, st in notes), "pending in the outbox"
    ev = sql("SELECT user_id, action FROM events WHERE type = 'task_updated' AND task_id = ?"
             " ORDER BY id", (t["id"],))
    eq(ev[:2], [(UID["carol"], "created"), (UID["bob"], "created")], "created: owner + assignee")
    assert (UID["bob"], "updated") in ev, "previous assignee hears of the change"
    # the assignee acting on their own task is not notified of it
    t2 = mktask(lid, "carol", name="Handoff", assigned_to=UID["bob"])
    before = sql("SELECT count(*) FROM outbox")[0][0]
    r = req("PATCH", "/api/tasks/%d/" % t2["id"],
            {"assigned_to": UID["erin"], "updated_at": t2["updated_at"]}, "bob")
    rows = sql("SELECT user_id, text FROM outbox ORDER BY id")[before:]
    eq(rows, [(UID["erin"], "Вам назначена задача: Handoff")],
       "bob unassigning himself gets no notice; erin does")
    # complete and delete write task_updated rows
    t3 = mktask(lid, "carol", name="Fin", assigned_to=UID["erin"])
    req("POST", "/api/tasks/%d/complete/" % t3["id"], None, "erin")
    req("DELETE", "/api/tasks/%d/" % t3["id"], None, "carol")
    ev = sql("SELECT user_id, action FROM events WHERE type = 'task_updated' AND task_id = ?"
             " ORDER BY id", (t3["id"],))
    eq(ev, [(UID["carol"], "created"), (UID["erin"], "created"),
            (UID["carol"], "completed"), (UID["erin"], "completed"),
            (UID["carol"], "deleted"), (UID["erin"], "deleted")], "event trail")
    # a refused change writes nothing
    n = sql("SELECT count(*) FROM events")[0][0]
    req("POST", "/api/tasks/%d/complete/" % self_t["id"], None, "carol")   # In Progress: ok
    req("POST", "/api/tasks/%d/complete/" % self_t["id"], None, "carol")   # refused
    eq(sql("SELECT count(*) FROM events")[0][0], n + 1, "one event for one completion")


def test_counters_follow_every_change():
    lid = mklist("Counters", "bob")
    ts = [mktask(lid, "bob", name="c%d" % i, assigned_to=UID["erin"]) for i in range(3)]
    before = req("GET", "/api/tasks/", user="erin").json["count"]
    req("DELETE", "/api/tasks/%d/" % ts[0]["id"], None, "bob")
    req("PATCH", "/api/tasks/%d/" % ts[1]["id"], {"assigned_to": None,
                                                   "updated_at": ts[1]["updated_at"]}, "bob")
    eq(req("GET", "/api/tasks/", user="erin").json["count"], before - 2, "assigned count")
    eq(req("GET", "/api/lists/%d/" % lid, user="bob").json["task_count"], 2, "task_count")
    real = sql("SELECT count(*) FROM tasks WHERE assigned_to = ?", (UID["erin"],))[0][0]
    eq(req("GET", "/api/tasks/", user="erin").json["count"], real, "counter = real count")
    req("DELETE", "/api/lists/%d/" % lid, None, "bob")
    real = sql("SELECT count(*) FROM tasks WHERE assigned_to = ?", (UID["erin"],))[0][0]
    eq(req("GET", "/api/tasks/", user="erin").json["count"], real, "after list delete")


def test_ids_and_methods():
    eq(req("GET", "/api/tasks/00x/").status, 404, "bad id")
    eq(req("GET", "/api/tasks/99999999999999999999/").status, 404, "beyond int64")
    eq(req("POST", "/api/tasks/").status, 405, "POST on the assigned page")
    eq(req("GET", "/api/tasks/1/complete/").status, 405, "GET complete")
    eq(req("GET", "/api/tasks/", user=None).status, 401, "anonymous")


run_tests(globals())
