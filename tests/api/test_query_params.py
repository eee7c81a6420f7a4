#!/usr/bin/env python3
"""Query parameters through real nginx + spawn-fcgi, as the declared-parameter
reader (fcgi/core/params.c) answers them: the exact DRF messages, their
order, which errors hide which, repeated and empty parameters, and the admin
list pages, which take any bad value as absent."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, register, text  # noqa: E402

S = None
A = None
TOK = {}
IDS = {}
CHOICE = "Select a valid choice. That choice is not one of the available choices."
NONNEG = "A valid non-negative integer is required."


def setup_module():
    global S, A
    S = Server(workers=1).start()
    S.create_user("boss", PW)
    IDS["alice"] = register(S, "alice")
    TOK["alice"] = S.login("alice", PW)
    A = Admin(S)
    eq(A.login("boss").status, 302, "admin login")
    r = req("POST", "/api/lists/", {"name": "Errands"})
    eq(r.status, 201, "list")
    IDS["list"] = r.json["id"]
    for i in range(3):
        r = req("POST", "/api/lists/%d/tasks/" % IDS["list"],
                {"name": "task %d" % i, "assigned_to": IDS["alice"]})
        eq(r.status, 201, "task %d" % i)


def teardown_module():
    S.stop()


def req(method, path, body=None):
    return S.request(method, path, body=body, token=TOK["alice"])


def raw(path):
    r = req("GET", path)
    return r.status, r.body.decode("utf-8")


def test_task_page_errors_in_order():
    for path in ("/api/tasks/", "/api/lists/%d/tasks/" % IDS["list"]):
        st, body = raw(path + "?due_after=x&due_before=2030-13-01T00:00:00Z&list=0"
                       "&assigned_to=me&ordering=name&status=Done")
        eq(st, 400, path)
        eq(body, '{"status":["Select a valid choice. Done is not one of the available '
           'choices."],"ordering":["Select a valid choice. name is not one of the '
           'available choices."],"assigned_to":["' + CHOICE + '"],"list":["' + CHOICE +
           '"],"due_before":["Enter a valid date/time."],"due_after":["Enter a valid '
           'date/time."]}', "every filter's message, in the filters' order: " + path)


def test_which_errors_hide_which():
    p = "/api/tasks/"
    eq(raw(p + "?limit=x&offset=y&status=Done"),
       (400, '{"limit":["' + NONNEG + '"]}'), "a bad limit hides the rest")
    eq(raw(p + "?offset=-1&status=Done"),
       (400, '{"offset":["' + NONNEG + '"]}'), "a bad offset hides the filters")
    eq(raw(p + "?status=Done&search=%FF"),
       (400, '{"status":["Select a valid choice. Done is not one of the available '
        'choices."]}'), "a bad filter hides a bad search")
    eq(raw(p + "?search=%FF"), (400, '{"search":["Enter a valid value."]}'), "search alone")
    eq(raw(p + "?search=a%00b"), (400, '{"search":["Enter a valid value."]}'), "a NUL byte")
    eq(raw("/api/lists/?search=%FF"), (400, '{"search":["Enter a valid value."]}'),
       "list search")
    eq(raw("/api/lists/?limit=&search=%FF"), (400, '{"limit":["' + NONNEG + '"]}'),
       "an empty limit is bad and comes first")


def test_unnamed_choices():
    long_value = "x" * 101
    eq(raw("/api/tasks/?status=" + long_value),
       (400, '{"status":["' + CHOICE + '"]}'), "over 100 bytes: not repeated")
    eq(raw("/api/tasks/?status=" + "x" * 100)[1],
       '{"status":["Select a valid choice. ' + "x" * 100 +
       ' is not one of the available choices."]}', "100 bytes: repeated")
    eq(raw("/api/tasks/?ordering=%FF"), (400, '{"ordering":["' + CHOICE + '"]}'),
       "not UTF-8: not repeated")
    eq(raw("/api/tasks/?status=Pending%00"), (400, '{"status":["' + CHOICE + '"]}'),
       "a NUL byte: not repeated")


def test_repeated_and_empty_parameters():
    p = "/api/lists/%d/tasks/" % IDS["list"]
    r = req("GET", p + "?status=Done&status=Completed")
    eq(r.status, 400, "the first of a repeated parameter counts")
    # an assigned task is In Progress
    r = req("GET", p + "?status=In+Progress&status=Done&limit=2&limit=x")
    eq((r.status, len(r.json["results"]), r.json["count"]), (200, 2, 3), "first values good")
    r = req("GET", p + "?status=&ordering=&assigned_to=&list=&due_before=&due_after=&search=")
    eq((r.status, r.json["count"]), (200, 3), "empty filters are no filters")
    eq(raw(p + "?offset="), (400, '{"offset":["' + NONNEG + '"]}'), "an empty offset is bad")
    r = req("GET", p + "?ordering=created_at&assigned_to=%d&list=%d" %
            (IDS["alice"], IDS["list"]))
    eq([t["name"] for t in r.json["results"]], ["task 0", "task 1", "task 2"], "good filters")


def test_events_parameters():
    msg = "A valid integer is required."
    eq(raw("/api/events/?after=x&limit=-1"),
       (400, '{"after":["' + msg + '"],"limit":["' + msg + '"]}'), "both named")
    eq(raw("/api/events/?after=9223372036854775807")[0], 400, "INT64_MAX is too large")
    eq(raw("/api/events/?after=99999999999999999999")[0], 400, "overflow")
    r = req("GET", "/api/events/?after=000000000000000000000&limit=")
    eq((r.status, r.json["next_after"] > 0), (200, True), "leading zeros; empty = default")
    r = req("GET", "/api/events/?after=9223372036854775806&limit=0")
    eq((r.status, r.json["results"]), (200, []), "the largest after")


def test_users_search():
    r = req("GET", "/api/users/?search=a%00")
    eq((r.status, r.json), (400, {"detail": "Invalid search."}), "a NUL byte: a detail")
    r = req("GET", "/api/users/?search=&limit=1")
    eq((r.status, r.json["count"]), (200, 2), "empty search: everyone")


def test_admin_pages_take_bad_values_as_absent():
    for q in ("p=0", "p=x", "p=9223372036854775", "o=bogus", "q=a%00", "status=Nope",
              "list=0", "list=x", "assigned_to=nobody", "assigned_to=0", "p=&o=&q="):
        r = A.get("/admin/tasks/?" + q)
        eq(r.status, 200, "tasks " + q)
        t = text(r)
        eq(len(re.findall(r'name="id" value="\d+"', t)), 3, "every task shown: " + q)
        for page in ("users", "lists"):
            eq(A.get("/admin/%s/?%s" % (page, q)).status, 200, page + " " + q)
    t = text(A.get("/admin/tasks/?assigned_to=none"))
    eq(len(re.findall(r'name="id" value="\d+"', t)), 0, "none: the unassigned (no task)")
    t = text(A.get("/admin/tasks/?status=In+Progress&status=Nope&assigned_to=%d" %
                   IDS["alice"]))
    eq(len(re.findall(r'name="id" value="\d+"', t)), 3, "the first of a repeated filter")
    t = text(A.get("/admin/tasks/?status=Completed"))
    eq(len(re.findall(r'name="id" value="\d+"', t)), 0, "a good status filters")


if __name__ == "__main__":
    run_tests(globals())
