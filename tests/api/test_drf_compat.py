#!/usr/bin/env python3
"""What clients written for the Django REST backend rely on, through real
nginx + spawn-fcgi: PUT as DRF's ModelSerializer (fields that are not
required may be left out and keep their values), and text fields trimmed as
DRF's CharField and Django's form fields trim them (Python's str.strip()),
in the API and on the admin pages alike."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, db, register, text  # noqa: E402

S = None
A = None
TOK = {}
UID = {}
FUTURE = "2031-05-06T07:08:09.123456Z"
# what Python's str.isspace() (so str.strip()) counts as whitespace
SPACES = "".join(chr(c) for c in (
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
    *range(0x2000, 0x200b), 0x2028, 0x2029, 0x202f, 0x205f, 0x3000))
BLANK = {"name": ["This field may not be blank."]}


def setup_module():
    global S, A
    S = Server(workers=2).start()
    S.create_user("boss", PW)
    for u in ("alice", "bob"):
        UID[u] = register(S, u)
        TOK[u] = S.login(u, PW)
    A = Admin(S)
    eq(A.login("boss").status, 302, "admin login")


def teardown_module():
    S.stop()


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user])


def mklist(name):
    r = req("POST", "/api/lists/", {"name": name})
    eq(r.status, 201, "list %r: %r" % (name, r))
    return r.json["id"]


def mktask(lid, **fields):
    r = req("POST", "/api/lists/%d/tasks/" % lid, fields)
    eq(r.status, 201, "task %r: %r" % (fields, r))
    return r.json


def write(method, t, body, kind="tasks"):
    """PUT or PATCH body onto object t with its updated_at; the answer, checked
    to be what a read shows."""
    r = req(method, "/api/%s/%d/" % (kind, t["id"]), dict(body, updated_at=t["updated_at"]))
    if r.status == 200:
        eq(req("GET", "/api/%s/%d/" % (kind, t["id"])).json, r.json, "%s answer" % method)
    return r


def one(sql, *args):
    with db(S) as c:
        return c.execute(sql, args).fetchone()


def event_actions(user, after):
    r = req("GET", "/api/events/?after=%d" % after, user=user)
    eq(r.status, 200, "events")
    return [(e["action"], e.get("task")) for e in r.json["results"]]


def last_event(user):
    return req("GET", "/api/events/?after=0", user=user).json["next_after"]


# ---- PUT as DRF's ModelSerializer ----------------------------------------

def test_task_put_keeps_the_fields_left_out():
    lid = mklist("Put keeps")
    t = mktask(lid, name="P1", description="two litres", assigned_to=UID["bob"],
               complete_before=FUTURE)
    eq(t["status"], "In Progress", "assigned on create")
    r = write("PUT", t, {"name": "P2"})
    eq(r.status, 200, "a PUT with the name only: %r" % (r,))
    want = dict(t, name="P2", updated_at=r.json["updated_at"])
    eq(r.json, want, "every other field kept")
    assert r.json["updated_at"] > t["updated_at"], "a new updated_at"
    # each optional field on its own
    t = r.json
    for body in ({"description": ""}, {"complete_before": None}, {"assigned_to": None},
                 {"status": "Completed"}, {"description": "back"}):
        r = write("PUT", t, dict(body, name=t["name"]))
        eq(r.status, 200, "PUT %r: %r" % (body, r))
        want = dict(t, updated_at=r.json["updated_at"], **body)
        if "assigned_to" in body:
            want["assignee_name"] = None
        if "status" in body:
            want["is_completed"] = True
        eq(r.json, want, "PUT %r changed that field only" % (body,))
        t = r.json


def test_task_put_runs_the_status_rules_as_patch_does():
    lid = mklist("Put rules")
    for method in ("PATCH", "PUT"):
        t = mktask(lid, name="rule " + method)
        eq(t["status"], "Pending", "unassigned")
        after = last_event("bob")
        r = write(method, t, {"name": t["name"], "assigned_to": UID["bob"]})
        eq((r.status, r.json["status"]), (200, "In Progress"),
           "%s: assigned while Pending becomes In Progress" % method)
        eq(event_actions("bob", after), [("updated", t["id"]), ("assigned", t["id"])],
           "%s: the new assignee's events" % method)
        # an assigned task saved as Pending settles again, even when PUT leaves status out
        r = write(method, r.json, {"name": t["name"], "status": "Pending"})
        eq(r.json["status"], "In Progress", "%s: Pending with an assignee" % method)
        r = write(method, r.json, {"name": t["name"], "assigned_to": None})
        eq((r.json["status"], r.json["assigned_to"]), ("In Progress", None),
           "%s: unassigning keeps the status" % method)


def test_task_put_errors_and_lock():
    lid = mklist("Put errors")
    t = mktask(lid, name="E")
    p = "/api/tasks/%d/" % t["id"]
    r = req("PUT", p, {"updated_at": t["updated_at"], "description": 5, "status": "Done"})
    eq((r.status, r.json), (400, {"name": ["This field is required."],
                                  "description": ["Not a valid string."],
                                  "status": ['"Done" is not a valid choice.']}), "errors")
    r = req("PUT", p, {"name": "E2"})
    eq((r.status, r.json), (409, {"detail": "Field 'updated_at' is required for updates."}),
       "updated_at still required")
    eq(write("PUT", t, {"name": "E2"}).status, 200, "PUT")
    r = write("PUT", t, {"name": "E3"})
    eq((r.status, r.json), (409, {"detail": "The object was modified by another user."}),
       "a stale updated_at")
    eq(req("GET", p).json["name"], "E2", "unchanged by the refused PUT")
    r = req("PATCH", p, {"updated_at": req("GET", p).json["updated_at"]})
    eq((r.status, r.json["name"]), (200, "E2"), "PATCH needs no name")


def test_list_put_requires_the_name_only():
    lst = req("GET", "/api/lists/%d/" % mklist("Put list")).json
    r = write("PUT", lst, {}, kind="lists")
    eq((r.status, r.json), (400, {"name": ["This field is required."]}), "no name")
    r = write("PUT", lst, {"name": "Put list 2"}, kind="lists")
    eq((r.status, r.json["name"]), (200, "Put list 2"), "name only")
    r = write("PATCH", r.json, {}, kind="lists")
    eq((r.status, r.json["name"]), (200, "Put list 2"), "PATCH needs no name")


# ---- trimming -------------------------------------------------------------

def test_list_names_trimmed():
    r = req("POST", "/api/lists/", {"name": " Work\u3000"})
    eq((r.status, r.json["name"]), (201, "Work"), "trimmed on create")
    work = r.json
    eq(req("GET", "/api/lists/%d/" % work["id"]).json["name"], "Work", "stored trimmed")
    r = req("POST", "/api/lists/", {"name": "Work"})
    eq((r.status, r.json), (400, {"name": ["list with this name already exists."]}),
       "the trimmed names collide")
    r = req("POST", "/api/lists/", {"name": SPACES + "All" + SPACES})
    eq((r.status, r.json["name"]), (201, "All"), "every whitespace character of str.strip()")
    for blank in ("", " ", "\t\n", SPACES):
        r = req("POST", "/api/lists/", {"name": blank})
        eq((r.status, r.json), (400, BLANK), "blank %r" % blank)
    # not whitespace to Python: zero-width space, BOM, Mongolian vowel separator
    for odd in ("\u200bWork", "Work\ufeff", "\u180eWork"):
        r = req("POST", "/api/lists/", {"name": odd})
        eq((r.status, r.json["name"]), (201, odd), "%r kept" % odd)
    # lengths count after trimming
    r = req("POST", "/api/lists/", {"name": "  " + "x" * 200 + "\n"})
    eq((r.status, r.json["name"]), (201, "x" * 200), "200 characters between spaces")
    r = req("POST", "/api/lists/", {"name": " " + "y" * 201 + " "})
    eq((r.status, r.json), (400, {"name": ["Ensure this field has no more than 200 characters."]}),
       "201 characters")
    # updates
    r = write("PUT", work, {"name": "\u00a0Job "}, kind="lists")
    eq((r.status, r.json["name"]), (200, "Job"), "PUT trimmed")
    r = write("PATCH", r.json, {"name": " All\t"}, kind="lists")
    eq((r.status, r.json), (400, {"name": ["list with this name already exists."]}),
       "PATCH onto a taken name")
    r = write("PATCH", req("GET", "/api/lists/%d/" % work["id"]).json, {"name": "\n"},
              kind="lists")
    eq((r.status, r.json), (400, BLANK), "PATCH blank")
    eq(req("GET", "/api/lists/?search=job").json["count"], 1, "searched by the trimmed name")


def test_task_texts_trimmed():
    lid = mklist("Trim tasks")
    p = "/api/lists/%d/tasks/" % lid
    t = mktask(lid, name="  Buy milk \n", description="\n  2 litres\n  of it \t")
    eq((t["name"], t["description"]), ("Buy milk", "2 litres\n  of it"), "trimmed on create")
    eq(one("SELECT name, description FROM tasks WHERE id = ?", t["id"]),
       ("Buy milk", "2 litres\n  of it"), "stored trimmed")
    r = req("POST", p, {"name": "Buy milk\u2029"})
    eq((r.status, r.json), (400, {"non_field_errors": [
        "The fields name, list_tasks must make a unique set."]}), "the trimmed names collide")
    r = req("POST", p, {"name": " \u3000 "})
    eq((r.status, r.json), (400, BLANK), "blank name")
    r = req("POST", p, {"name": "desc", "description": SPACES})
    eq((r.status, r.json["description"]), (201, ""), "a blank description is empty")
    r = req("POST", p, {"name": "\t" + "z" * 200 + "\t"})
    eq((r.status, r.json["name"]), (201, "z" * 200), "200 characters between tabs")
    r = write("PATCH", t, {"name": "\u3000Renamed", "description": " d "})
    eq((r.status, r.json["name"], r.json["description"]), (200, "Renamed", "d"),
       "PATCH trimmed")
    t = r.json
    r = write("PUT", t, {"name": "  "})
    eq((r.status, r.json), (400, BLANK), "PUT blank name")
    r = write("PUT", t, {"name": " desc "})
    eq(r.status, 400, "PUT onto a taken name")
    r = write("PUT", t, {"name": " Final\u2028"})
    eq((r.status, r.json["name"], r.json["description"]), (200, "Final", "d"), "PUT trimmed")


def test_register_email_trimmed():
    r = S.post("/api/auth/register/", {"username": "erin", "email": " erin@example.com\t",
                                       "password": PW, "confirm_password": PW})
    eq(r.status, 201, "registered: %r" % (r,))
    me = S.get("/api/auth/me/", token=S.login("erin", PW)).json
    eq(me["email"], "erin@example.com", "stored trimmed")
    r = S.post("/api/auth/register/", {"username": "frank", "email": " \u00a0",
                                       "password": PW, "confirm_password": PW})
    eq(r.status, 201, "a blank email is no email: %r" % (r,))
    eq(S.get("/api/auth/me/", token=S.login("frank", PW)).json["email"], "", "empty")
    r = S.post("/api/auth/register/", {"username": "gina", "email": " not an email ",
                                       "password": PW, "confirm_password": PW})
    eq((r.status, r.json), (400, {"email": ["Enter a valid email address."]}), "still checked")


def test_admin_forms_trim():
    # lists: add, duplicate, blank, edit
    A.get("/admin/lists/add/")
    r = A.post("/admin/lists/add/", {"name": "  Spaced list\u3000", "owner": str(UID["alice"])})
    eq(r.status, 302, "list added: %r" % (text(r)[:500],))
    lid = int(re.search(r"/lists/(\d+)/", r.header("Location")).group(1))
    eq(one("SELECT name FROM lists WHERE id = ?", lid), ("Spaced list",), "stored trimmed")
    r = A.post("/admin/lists/add/", {"name": "Spaced list\t", "owner": str(UID["alice"])})
    eq(r.status, 200, "duplicate")
    assert "already exists" in text(r), text(r)
    r = A.post("/admin/lists/add/", {"name": "\u00a0 \n", "owner": str(UID["alice"])})
    eq(r.status, 200, "blank")
    assert "This field is required." in text(r), text(r)
    r = A.post("/admin/lists/add/", {"name": " " + "l" * 200 + " ",
                                     "owner": str(UID["alice"])})
    eq(r.status, 302, "200 characters between spaces")
    stamp = re.search(r'name="updated_at" value="(\d+)"',
                      text(A.get("/admin/lists/%d/" % lid))).group(1)
    r = A.post("/admin/lists/%d/" % lid, {"name": "\tRenamed list ", "updated_at": stamp})
    eq(r.status, 302, "list renamed")
    eq(one("SELECT name FROM lists WHERE id = ?", lid), ("Renamed list",), "renamed trimmed")
    # tasks: add and edit, name and description
    A.get("/admin/tasks/add/")
    f = {"list": str(lid), "name": " Admin task\u2003", "description": "\r\n  line one\r\n ",
         "assigned_to": "", "complete_before": "", "status": "Pending"}
    r = A.post("/admin/tasks/add/", f)
    eq(r.status, 302, "task added: %r" % (text(r)[:500],))
    tid = int(re.search(r"/tasks/(\d+)/", r.header("Location")).group(1))
    eq(one("SELECT name, description FROM tasks WHERE id = ?", tid),
       ("Admin task", "line one"), "stored trimmed")
    r = A.post("/admin/tasks/add/", dict(f, name="Admin task "))
    eq(r.status, 200, "duplicate task")
    assert "already exists in this list" in text(r), text(r)
    r = A.post("/admin/tasks/add/", dict(f, name=" \t "))
    eq(r.status, 200, "blank task name")
    assert "This field is required." in text(r), text(r)
    stamp = re.search(r'name="updated_at" value="(\d+)"',
                      text(A.get("/admin/tasks/%d/" % tid))).group(1)
    r = A.post("/admin/tasks/%d/" % tid, dict(f, name="\u3000Edited ", description=" \n ",
                                              updated_at=stamp))
    eq(r.status, 302, "task edited: %r" % (text(r)[:500],))
    eq(one("SELECT name, description FROM tasks WHERE id = ?", tid), ("Edited", ""),
       "edited trimmed")


if __name__ == "__main__":
    run_tests(globals())
