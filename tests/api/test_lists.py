#!/usr/bin/env python3
"""Lists through real nginx + spawn-fcgi: CRUD, visibility, locking, pages, search."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402

S = None
TOK = {}


def setup_module():
    global S
    S = Server(workers=2).start()
    for u in ("alice", "bob", "carol"):
        S.create_user(u)
        TOK[u] = S.login(u)


def teardown_module():
    S.stop()


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user] if user else None)


def sql(q, args=()):
    db = S.connect()
    try:
        return db.execute(q, args).fetchall()
    finally:
        db.close()


def bob_id():
    return sql("SELECT id FROM users WHERE username = 'bob'")[0][0]


def alice_id():
    return sql("SELECT id FROM users WHERE username = 'alice'")[0][0]


def mk(name, user="alice"):
    r = req("POST", "/api/lists/", {"name": name}, user)
    eq(r.status, 201, "create %s: %r" % (name, r))
    return r.json


def test_create_shape():
    r = req("POST", "/api/lists/", {"name": "Groceries"})
    eq(r.status, 201, "status")
    j = r.json
    eq(sorted(j), sorted(["id", "name", "owner_username", "updated_at", "created_at",
                          "task_count", "role", "member_count"]), "keys")
    eq((j["role"], j["member_count"]), ("owner", 0), "not shared")
    eq(j["name"], "Groceries", "name")
    eq(j["owner_username"], "alice", "owner")
    eq(j["task_count"], 0, "task_count")
    assert j["updated_at"].endswith("Z") and len(j["updated_at"]) == 27, j["updated_at"]
    eq(req("GET", "/api/lists/%d/" % j["id"]).json, j, "read back")


def test_create_validation():
    r = req("POST", "/api/lists/", {})
    eq((r.status, r.json), (400, {"name": ["This field is required."]}), "missing")
    r = req("POST", "/api/lists/", {"name": ""})
    eq((r.status, r.json), (400, {"name": ["This field may not be blank."]}), "blank")
    r = req("POST", "/api/lists/", {"name": "x" * 201})
    eq((r.status, r.json), (400, {"name": ["Ensure this field has no more than 200 characters."]}),
       "too long")
    eq(req("POST", "/api/lists/", {"name": "я" * 200}).status, 201, "200 non-ASCII chars")
    r = req("POST", "/api/lists/", {"name": 5})
    eq(r.status, 400, "number")


def test_name_unique_per_owner():
    mk("Dup")
    r = req("POST", "/api/lists/", {"name": "Dup"})
    eq((r.status, r.json), (400, {"name": ["list with this name already exists."]}), "dup")
    mk("Dup", "bob")            # another owner may use it
    mk("dup")                   # case matters, as in Django


def test_auth_required():
    eq(req("GET", "/api/lists/", user=None).status, 401, "anonymous")
    eq(req("POST", "/api/lists/", {"name": "x"}, user=None).status, 401, "anonymous post")


def test_visibility_every_method():
    lst = mk("Private")
    p = "/api/lists/%d/" % lst["id"]
    for u in ("bob", "carol"):
        eq(req("GET", p, user=u).json, {"detail": "Not found."}, "GET by " + u)
        eq(req("GET", p, user=u).status, 404, "GET by " + u)
        eq(req("PUT", p, {"name": "x", "updated_at": lst["updated_at"]}, u).status, 404, "PUT")
        eq(req("PATCH", p, {"name": "x", "updated_at": lst["updated_at"]}, u).status, 404, "PATCH")
        eq(req("DELETE", p, user=u).status, 404, "DELETE")
        eq(req("GET", p + "tasks/", user=u).status, 404, "tasks GET")
        eq(req("POST", p + "tasks/", {"name": "t"}, u).status, 404, "tasks POST")
        names = [x["name"] for x in req("GET", "/api/lists/?limit=100", user=u).json["results"]]
        assert "Private" not in names, names
    eq(req("GET", p).status, 200, "owner still sees it")
    eq(req("GET", p).json["name"], "Private", "unchanged")
    eq(req("GET", "/api/lists/999999/").status, 404, "missing id")
    eq(req("GET", "/api/lists/0x1/").status, 404, "bad id")


def test_put_patch_locking():
    lst = mk("Locked")
    p = "/api/lists/%d/" % lst["id"]
    r = req("PATCH", p, {"name": "L2"})
    eq((r.status, r.json), (409, {"detail": "Field 'updated_at' is required for updates."}), "missing")
    r = req("PATCH", p, {"name": "L2", "updated_at": "yesterday"})
    eq((r.status, r.json), (409, {"detail": "Invalid format of field 'updated_at'."}), "format")
    r = req("PATCH", p, {"name": "L2", "updated_at": 5})
    eq(r.status, 409, "number")
    r = req("PATCH", p, {"name": "L2", "updated_at": "2020-01-01T00:00:00Z"})
    eq((r.status, r.json), (409, {"detail": "The object was modified by another user."}), "stale")
    eq(req("GET", p).json["name"], "Locked", "unchanged after 409")
    r = req("PATCH", p, {"name": "L2", "updated_at": lst["updated_at"]})
    eq(r.status, 200, "patch")
    eq(r.json["name"], "L2", "renamed")
    assert r.json["updated_at"] > lst["updated_at"], (r.json, lst)
    r2 = req("PATCH", p, {"name": "L3", "updated_at": lst["updated_at"]})
    eq(r2.status, 409, "old updated_at now stale")
    # PUT needs the name; PATCH does not
    r3 = req("PUT", p, {"updated_at": r.json["updated_at"]})
    eq((r3.status, r3.json), (400, {"name": ["This field is required."]}), "put without name")
    r4 = req("PATCH", p, {"updated_at": r.json["updated_at"]})
    eq(r4.status, 200, "patch without name")
    assert r4.json["updated_at"] > r.json["updated_at"], "updated_at moves on every write"
    r5 = req("PUT", p, {"name": "L5", "updated_at": r4.json["updated_at"]})
    eq((r5.status, r5.json["name"]), (200, "L5"), "put")
    # offsets other than Z name the same instant
    mk("Other")
    r6 = req("PUT", p, {"name": "Other", "updated_at": r5.json["updated_at"]})
    eq((r6.status, r6.json), (400, {"name": ["list with this name already exists."]}), "rename to taken")


def test_updated_at_with_offset_matches():
    lst = mk("Offset")
    ts = lst["updated_at"]          # 2026-...Z
    import datetime
    d = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    off = d.astimezone(datetime.timezone(datetime.timedelta(hours=3))).isoformat()
    r = req("PATCH", "/api/lists/%d/" % lst["id"], {"updated_at": off})
    eq(r.status, 200, "same instant at +03:00: %r" % r)


def test_delete_removes_tasks():
    lst = mk("Doomed")
    p = "/api/lists/%d/" % lst["id"]
    r = req("POST", p + "tasks/", {"name": "t1"})
    if r.status == 404:
        return   # tasks not wired yet
    tid = r.json["id"]
    eq(req("GET", p).json["task_count"], 1, "task_count")
    r = req("POST", p + "tasks/", {"name": "t2", "assigned_to": bob_id()})
    eq(r.status, 201, "assigned task")
    t2 = r.json["id"]
    eq(req("DELETE", p).status, 204, "delete")
    eq(req("GET", "/api/tasks/%d/" % t2, user="bob").status, 404, "gone for the assignee")
    eq(req("GET", "/api/tasks/", user="bob").json["count"], 0, "bob's assigned count follows")
    ev = sql("SELECT user_id, action FROM events WHERE type = 'task_updated' AND task_id = ?"
             " AND action = 'deleted'", (t2,))
    eq(sorted(ev), sorted([(bob_id(), "deleted"), (alice_id(), "deleted")]),
       "deleted events for the owner and the assignee")
    eq(req("GET", p).status, 404, "gone")
    eq(req("GET", "/api/tasks/%d/" % tid).status, 404, "its task is gone")
    db = S.connect()
    eq(db.execute("SELECT count(*) FROM tasks WHERE list_id = ?", (lst["id"],)).fetchone()[0],
       0, "no rows left")
    db.close()


def test_page_newest_first_and_links():
    tok = TOK["carol"]
    ids = []
    for i in range(7):
        ids.append(mk("c%d" % i, "carol")["id"])
    r = S.get("/api/lists/?limit=3", token=tok)
    eq(r.status, 200, "status")
    j = r.json
    eq(j["count"], 7, "count")
    eq([x["id"] for x in j["results"]], ids[::-1][:3], "newest first")
    eq(j["previous"], None, "no previous")
    u = urllib.parse.urlparse(j["next"])
    eq(urllib.parse.parse_qs(u.query), {"limit": ["3"], "offset": ["3"]}, "next")
    r = S.get("/api/lists/?limit=3&offset=6", token=tok)
    eq([x["id"] for x in r.json["results"]], [ids[0]], "last page")
    eq(r.json["next"], None, "no next")
    r = S.get("/api/lists/?offset=100", token=tok)
    eq((r.status, r.json["results"], r.json["count"]), (200, [], 7), "past the end")
    r = S.get("/api/lists/?limit=-1", token=tok)
    eq((r.status, r.json), (400, {"limit": ["A valid non-negative integer is required."]}),
       "negative limit")
    r = S.get("/api/lists/?offset=x", token=tok)
    eq((r.status, r.json), (400, {"offset": ["A valid non-negative integer is required."]}),
       "bad offset")
    eq(len(S.get("/api/lists/?limit=0", token=tok).json["results"]), 7, "limit 0 = default")
    r = S.get("/api/lists/?limit=101", token=tok)
    eq(r.status, 200, "limit over max is capped")


def test_search_literal_and_folded():
    for n in ("100% done", "100 percent", "a_b", "axb", "Quote's \"q\"", "Привет Мир",
              "ПРИВЕТ", "plain"):
        mk(n, "bob")

    def names(q):
        r = S.get("/api/lists/?limit=100&search=" + urllib.parse.quote(q), token=TOK["bob"])
        eq(r.status, 200, "search %r" % q)
        eq(r.json["count"], len(r.json["results"]), "count matches")
        return sorted(x["name"] for x in r.json["results"])
    eq(names("%"), ["100% done"], "percent literal")
    eq(names("_"), ["a_b"], "underscore literal")
    eq(names("'s \"Q"), ["Quote's \"q\""], "quotes, case-insensitive")
    eq(names("привет"), ["ПРИВЕТ", "Привет Мир"], "Cyrillic folded")
    eq(names("PLAIN"), ["plain"], "ASCII folded")
    eq(names(""), sorted(names("")), "empty search is no filter")
    eq(len(names("")), 8 + 1, "all bob's lists (incl. Dup)")
    eq(names("nothing-like-this"), [], "no match")


run_tests(globals())
