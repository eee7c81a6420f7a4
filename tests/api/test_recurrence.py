#!/usr/bin/env python3
"""Recurring tasks (issue #17): the recurrence field and its errors, completing
a recurring task (API, PATCH, admin, bot) moves it to its next deadline in the
server's zone across DST changes and month ends, until, and the completions
history.  The programs run with the test-only clock (tests/fakeclock/), moved
to fixed instants in 2027, in the zone America/New_York (DST 2027-03-14)."""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import Admin  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402

S = None
TG = None
TOK = {}
UID = {}
YEAR = 366 * 86400


def ts(s):
    """Unix seconds of an RFC 3339 time with an offset."""
    return datetime.datetime.fromisoformat(s).timestamp()


def z(s):
    """The API's spelling (UTC, microseconds) of an RFC 3339 time with an offset."""
    d = datetime.datetime.fromisoformat(s).astimezone(datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def setup_module():
    global S, TG
    TG = FakeTelegram().start()
    S = Server(workers=2, fake_clock=True, config={
        "time_zone": "America/New_York",
        "access_token_ttl": str(YEAR), "session_ttl": str(YEAR),
        "telegram_bot_token": TOKEN, "telegram_api_base": TG.base,
        "telegram_timeout": "2", "telegram_poll_timeout": "1",
    })
    S.start()
    S.set_clock(at=ts("2027-01-01T00:00:00+00:00"))
    for u in ("alice", "bob"):
        S.create_user(u, staff=(u == "alice"))
        TOK[u] = S.login(u)
    with db() as c:
        for u in ("alice", "bob"):
            UID[u] = c.execute("SELECT id FROM users WHERE username = ?", (u,)).fetchone()[0]


def teardown_module():
    S.stop()
    TG.stop()


def db():
    c = S.connect()
    return c


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user])


def ok(method, path, body=None, user="alice", status=(200, 201)):
    r = req(method, path, body, user)
    assert r.status in status, "%s %s: %r" % (method, path, r)
    return r.json if r.body else None


LIST = {}


def a_list(name):
    if name not in LIST:
        LIST[name] = ok("POST", "/api/lists/", {"name": name})["id"]
    return LIST[name]


def new_task(name, **fields):
    body = {"name": name, "assigned_to": UID["alice"]}
    body.update(fields)
    return ok("POST", "/api/lists/%d/tasks/" % a_list("rec"), body)


def complete(tid, user="alice"):
    r = req("POST", "/api/tasks/%d/complete/" % tid, user=user)
    eq(r.status, 200, "complete: %r" % r)
    return r.json


def completions(tid, query="", user="alice"):
    return ok("GET", "/api/tasks/%d/completions/%s" % (tid, query), user=user)


# -- the field ------------------------------------------------------------------

def test_pages_show_rules_and_reminders_together():
    # a page reads both from one packed column (task_pages.c): every mix
    S.set_clock(at=ts("2027-01-02T12:00:00+00:00"))
    rule = {"every": 2, "unit": "week", "from": "completion",
            "until": z("2027-06-30T09:00:00-04:00")}
    made = [new_task("mix both", complete_before="2027-01-05T09:00",
                     recurrence=rule, reminders=[30, 1440]),
            new_task("mix rule", complete_before="2027-01-05T09:00",
                     recurrence={"every": 3, "unit": "month"}),
            new_task("mix none set", complete_before="2027-01-05T09:00",
                     recurrence={"every": 1, "unit": "year"}, reminders=[]),
            new_task("mix reminders", complete_before="2027-01-05T09:00", reminders=[5]),
            new_task("mix neither")]
    page = {x["id"]: x for x in
            ok("GET", "/api/lists/%d/tasks/?limit=100" % a_list("rec"))["results"]}
    for t in made:
        one = ok("GET", "/api/tasks/%d/" % t["id"])
        eq((page[t["id"]]["recurrence"], page[t["id"]]["reminders"]),
           (one["recurrence"], one["reminders"]), "%s: the page shows what the task does"
           % t["name"])
    eq(page[made[0]["id"]]["recurrence"], rule, "the rule with until")
    eq(page[made[0]["id"]]["reminders"], [30, 1440], "and its reminders")
    eq(page[made[2]["id"]]["reminders"], [], "no reminders")
    eq(page[made[3]["id"]]["recurrence"], None, "reminders without a rule")
    eq(page[made[4]["id"]]["reminders"], None, "neither: the recipient's defaults")


def test_recurrence_is_part_of_a_task():
    S.set_clock(at=ts("2027-01-02T12:00:00+00:00"))
    t = new_task("daily standup", complete_before="2027-01-05T09:00",
                 recurrence={"every": 1, "unit": "day"})
    want = {"every": 1, "unit": "day", "from": "deadline", "until": None}
    eq(t["recurrence"], want, "created with the defaults filled in")
    eq(t["complete_before"], z("2027-01-05T09:00:00-05:00"), "no offset: the server's zone")
    eq(ok("GET", "/api/tasks/%d/" % t["id"])["recurrence"], want, "read back")
    page = ok("GET", "/api/lists/%d/tasks/" % a_list("rec"))["results"]
    eq([x["recurrence"] for x in page if x["id"] == t["id"]], [want], "in a page")
    plain = new_task("one-off")
    eq(plain["recurrence"], None, "a task without a rule: null")
    # PATCH replaces the rule as a whole; null ends it
    p = ok("PATCH", "/api/tasks/%d/" % t["id"], {
        "updated_at": t["updated_at"],
        "recurrence": {"every": 2, "unit": "week", "from": "completion",
                       "until": "2027-06-30T18:00:00Z"}})
    eq(p["recurrence"], {"every": 2, "unit": "week", "from": "completion",
                         "until": "2027-06-30T18:00:00.000000Z"}, "patched")
    eq(ok("GET", "/api/tasks/%d/" % t["id"])["recurrence"], p["recurrence"], "stored")
    p = ok("PATCH", "/api/tasks/%d/" % t["id"], {"updated_at": p["updated_at"],
                                                 "recurrence": None})
    eq(p["recurrence"], None, "null ends the rule")


def test_recurrence_validation_errors_as_drf_nests_them():
    lid = a_list("rec")
    base = {"name": "bad", "complete_before": "2027-02-01T09:00:00Z"}
    cases = [
        ({"every": 1001, "unit": "day"},
         {"every": ["Ensure this value is less than or equal to 1000."]}),
        ({"every": 0, "unit": "day"},
         {"every": ["Ensure this value is greater than or equal to 1."]}),
        ({"every": "x", "unit": "day"}, {"every": ["A valid integer is required."]}),
        ({}, {"every": ["This field is required."], "unit": ["This field is required."]}),
        ({"every": 1, "unit": "hour"}, {"unit": ["\"hour\" is not a valid choice."]}),
        ({"every": 1, "unit": "day", "from": "start"},
         {"from": ["\"start\" is not a valid choice."]}),
        ({"every": 1, "unit": "day", "until": "soon"},
         {"until": ["Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}),
        ("weekly", {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ([1], {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
    ]
    for rec, want in cases:
        r = req("POST", "/api/lists/%d/tasks/" % lid, dict(base, recurrence=rec))
        eq(r.status, 400, "%r" % (rec,))
        eq(r.json, {"recurrence": want}, "errors of %r" % (rec,))
    # beside another field's error
    r = req("POST", "/api/lists/%d/tasks/" % lid,
            {"name": " ", "recurrence": {"every": 5000, "unit": "day"}})
    eq(r.json, {"name": ["This field may not be blank."],
                "recurrence": {"every": ["Ensure this value is less than or equal to 1000."]}},
       "both fields")
    # a rule needs a deadline: on create, and on an update that drops it
    need = {"recurrence": ["A recurring task needs a deadline (complete_before)."]}
    r = req("POST", "/api/lists/%d/tasks/" % lid,
            {"name": "no deadline", "recurrence": {"every": 1, "unit": "week"}})
    eq((r.status, r.json), (400, need), "create without a deadline")
    t = new_task("weekly report", complete_before="2027-02-05T17:00",
                 recurrence={"every": 1, "unit": "week"})
    r = req("PATCH", "/api/tasks/%d/" % t["id"],
            {"updated_at": t["updated_at"], "complete_before": None})
    eq((r.status, r.json), (400, need), "dropping the deadline of a recurring task")
    plain = new_task("plain")
    r = req("PATCH", "/api/tasks/%d/" % plain["id"],
            {"updated_at": plain["updated_at"], "recurrence": {"every": 1, "unit": "day"}})
    eq((r.status, r.json), (400, need), "a rule on a task without a deadline")
    eq(ok("GET", "/api/tasks/%d/" % t["id"])["complete_before"], t["complete_before"],
       "nothing changed")
    both = ok("PATCH", "/api/tasks/%d/" % t["id"], {"updated_at": t["updated_at"],
                                                    "complete_before": None,
                                                    "recurrence": None})
    eq((both["complete_before"], both["recurrence"]), (None, None), "both dropped at once")


# -- completing -------------------------------------------------------------------

def test_three_completions_across_the_dst_change():
    S.set_clock(at=ts("2027-03-12T08:00:00-05:00"))
    t = new_task("water the plants", complete_before="2027-03-12T09:00",
                 recurrence={"every": 1, "unit": "day"})
    got = complete(t["id"])
    eq(got, {"detail": "Task marked as complete",
             "next_complete_before": z("2027-03-13T09:00:00-05:00")}, "first")
    cur = ok("GET", "/api/tasks/%d/" % t["id"])
    eq((cur["status"], cur["complete_before"], cur["is_completed"]),
       ("In Progress", z("2027-03-13T09:00:00-05:00"), False), "moved, open again")
    S.set_clock(at=ts("2027-03-13T08:00:00-05:00"))
    eq(complete(t["id"])["next_complete_before"], z("2027-03-14T09:00:00-04:00"),
       "across the spring-forward night: still 09:00 local (now EDT)")
    S.set_clock(at=ts("2027-03-14T08:30:00-04:00"))
    eq(complete(t["id"])["next_complete_before"], z("2027-03-15T09:00:00-04:00"), "third")
    page = completions(t["id"])
    eq(page["count"], 3, "three completions")
    eq([c["complete_before"] for c in page["results"]],
       [z("2027-03-14T09:00:00-04:00"), z("2027-03-13T09:00:00-05:00"),
        z("2027-03-12T09:00:00-05:00")], "newest first, each with the deadline it met")
    c = page["results"][0]
    eq(sorted(c), ["complete_before", "completed_at", "completed_by",
                   "completed_by_username", "id"], "keys")
    eq((c["completed_by"], c["completed_by_username"]), (UID["alice"], "alice"), "who")
    assert c["completed_at"].startswith("2027-03-14T12:3"), c
    ids = [x["id"] for x in page["results"]]
    eq(ids, sorted(ids, reverse=True), "ids newest first")


def test_month_ends_keep_the_31st():
    S.set_clock(at=ts("2027-01-30T10:00:00-05:00"))
    t = new_task("pay rent", complete_before="2027-01-31T09:00",
                 recurrence={"every": 1, "unit": "month"})
    eq(complete(t["id"])["next_complete_before"], z("2027-02-28T09:00:00-05:00"),
       "31 January + 1 month: 28 February")
    S.set_clock(at=ts("2027-02-27T10:00:00-05:00"))
    eq(complete(t["id"])["next_complete_before"], z("2027-03-31T09:00:00-04:00"),
       "then 31 March (the anchor), in EDT")
    S.set_clock(at=ts("2027-03-30T10:00:00-04:00"))
    eq(complete(t["id"])["next_complete_before"], z("2027-04-30T09:00:00-04:00"),
       "then 30 April")
    eq(completions(t["id"])["count"], 3, "three completions")


def test_from_an_old_deadline_the_next_one_is_ahead():
    S.set_clock(at=ts("2027-02-10T12:00:00-05:00"))
    t = new_task("weekly sync", complete_before="2027-01-04T09:00",
                 recurrence={"every": 1, "unit": "week"})
    eq(complete(t["id"])["next_complete_before"], z("2027-02-15T09:00:00-05:00"),
       "repeated until the new deadline is in the future")


def test_from_the_completion():
    S.set_clock(at=ts("2027-03-13T20:15:00-05:00"))
    t = new_task("rest", complete_before="2027-03-01T09:00",
                 recurrence={"every": 2, "unit": "day", "from": "completion"})
    nxt = complete(t["id"])["next_complete_before"]
    done = completions(t["id"])["results"][0]["completed_at"]
    parse = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")  # noqa: E731
    eq(parse(nxt) - parse(done), datetime.timedelta(hours=47),
       "two days of local time after the completion (the clocks went forward)")


def test_until_completes_for_good():
    S.set_clock(at=ts("2027-03-12T08:00:00-05:00"))
    t = new_task("course", complete_before="2027-03-12T09:00",
                 recurrence={"every": 1, "unit": "day", "until": "2027-03-13T09:00"})
    eq(complete(t["id"])["next_complete_before"], z("2027-03-13T09:00:00-05:00"),
       "a next deadline equal to until is kept")
    S.set_clock(at=ts("2027-03-13T08:00:00-05:00"))
    eq(complete(t["id"]), {"detail": "Task marked as complete", "next_complete_before": None},
       "past until: completed for good")
    cur = ok("GET", "/api/tasks/%d/" % t["id"])
    eq((cur["status"], cur["complete_before"]), ("Completed", z("2027-03-13T09:00:00-05:00")),
       "stays Completed at its last deadline")
    r = req("POST", "/api/tasks/%d/complete/" % t["id"])
    eq((r.status, r.json), (400, {"detail": "Task is expired and cannot be completed"}),
       "and cannot be completed again")
    eq(completions(t["id"])["count"], 2, "two completions")


def test_a_task_without_a_rule_answers_as_before():
    t = new_task("once")
    r = req("POST", "/api/tasks/%d/complete/" % t["id"])
    eq((r.status, r.json), (200, {"detail": "Task marked as complete"}), "unchanged answer")
    eq(ok("GET", "/api/tasks/%d/" % t["id"])["status"], "Completed", "completed")
    page = completions(t["id"])
    eq((page["count"], page["results"][0]["complete_before"]), (1, None), "recorded too")


def test_unassigned_recurring_task_moves_to_pending_by_patch():
    S.set_clock(at=ts("2027-05-01T08:00:00-04:00"))
    t = new_task("backup check", assigned_to=None, complete_before="2027-05-01T09:00",
                 recurrence={"every": 1, "unit": "year"})
    eq(t["status"], "Pending", "unassigned")
    p = ok("PATCH", "/api/tasks/%d/" % t["id"], {"updated_at": t["updated_at"],
                                                 "status": "Completed"})
    eq((p["status"], p["complete_before"]), ("Pending", z("2028-05-01T09:00:00-04:00")),
       "setting Completed completes it: next year, Pending again")
    eq(ok("GET", "/api/tasks/%d/" % t["id"]), p, "the answer is what is stored")
    eq(completions(t["id"])["count"], 1, "one completion")


def test_events_of_a_recurring_completion():
    S.set_clock(at=ts("2027-06-01T08:00:00-04:00"))
    t = new_task("feed", complete_before="2027-06-01T09:00",
                 recurrence={"every": 1, "unit": "day"})
    complete(t["id"])
    ev, after = [], 0
    while True:
        page = ok("GET", "/api/events/?after=%d&limit=100" % after)
        ev += [(e["action"], e.get("task")) for e in page["results"]]
        if not page["results"]:
            break
        after = page["next_after"]
    acts = [a for a, task in ev if task == t["id"] or (isinstance(task, dict) and
                                                       task.get("id") == t["id"])]
    eq(acts, ["created", "completed", "updated"], "a completion, then the move")
    hist = ok("GET", "/api/tasks/%d/activity/" % t["id"])["results"]
    eq([h["action"] for h in hist], ["updated", "completed", "created"],
       "the history: created, completed, then moved")
    eq(hist[0]["changes"], {
        "complete_before": [z("2027-06-01T09:00:00-04:00"), z("2027-06-02T09:00:00-04:00")],
        "status": ["Completed", "In Progress"]}, "the move's changes")
    eq(hist[1]["changes"], {"status": ["In Progress", "Completed"]}, "the completion's")


def test_completions_endpoint_pages_and_hides():
    S.set_clock(at=ts("2027-07-01T08:00:00-04:00"))
    t = new_task("daily", complete_before="2027-07-01T09:00",
                 recurrence={"every": 1, "unit": "day"})
    for day in (1, 2, 3):
        S.set_clock(at=ts("2027-07-0%dT08:00:00-04:00" % day))
        complete(t["id"])
    p = completions(t["id"], "?limit=2")
    eq((p["count"], len(p["results"]), p["previous"]), (3, 2, None), "first page")
    assert p["next"].endswith("/api/tasks/%d/completions/?limit=2&offset=2" % t["id"]), p
    p2 = completions(t["id"], "?limit=2&offset=2")
    eq(len(p2["results"]), 1, "last page")
    eq(req("GET", "/api/tasks/%d/completions/" % t["id"], user="bob").status, 404,
       "a task the caller may not see")
    eq(req("GET", "/api/tasks/999999/completions/").status, 404, "no such task")
    eq(req("GET", "/api/tasks/%d/completions/?limit=x" % t["id"]).status, 400, "bad limit")
    eq(S.get("/api/tasks/%d/completions/" % t["id"]).status, 401, "anonymous")
    eq(req("POST", "/api/tasks/%d/completions/" % t["id"]).status, 405, "read only")
    # the assignee sees them too, and a completion by bob names bob
    sh = ok("PATCH", "/api/tasks/%d/" % t["id"],
            {"updated_at": ok("GET", "/api/tasks/%d/" % t["id"])["updated_at"],
             "assigned_to": UID["bob"]})
    eq(sh["status"], "In Progress", "assigned to bob")
    complete(t["id"], user="bob")
    c = completions(t["id"], user="bob")["results"][0]
    eq((c["completed_by"], c["completed_by_username"]), (UID["bob"], "bob"), "bob's")
    # deleting the task takes its completions with it
    ok("DELETE", "/api/tasks/%d/" % t["id"], status=(204,))
    with db() as c:
        eq(c.execute("SELECT count(*) FROM task_completions WHERE task_id = ?",
                     (t["id"],)).fetchone()[0], 0, "completions deleted with the task")


# -- admin and bot ------------------------------------------------------------------

def form_of(page):
    """The fields of the task form in page, as the browser would post them."""
    body = page.body.decode()
    f = {}
    for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body):
        f[m.group(1)] = m.group(2)
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        sel = re.search(r'<option value="([^"]*)" selected', m.group(2))
        f[m.group(1)] = sel.group(1) if sel else ""
    m = re.search(r'<textarea[^>]*name="description"[^>]*>(.*?)</textarea>', body, re.S)
    f["description"] = m.group(1) if m else ""
    f.pop("csrfmiddlewaretoken", None)
    return f


def test_admin_edits_recurrence_shows_it_and_completes():
    S.set_clock(at=ts("2027-08-02T08:00:00-04:00"))
    A = Admin(S)
    eq(A.login("alice").status, 302, "admin login")
    t = new_task("admin weekly", complete_before="2027-08-02T09:00")
    page = A.get("/admin/tasks/%d/" % t["id"])
    f = form_of(page)
    eq((f["rec_every"], f["rec_unit"], f["rec_from"]), ("", "", "deadline"), "no rule yet")
    # an error: a rule needs a valid unit
    f.update(rec_every="2", rec_unit="fortnight")
    r = A.post("/admin/tasks/%d/" % t["id"], f)
    eq(r.status, 200, "refused")
    assert "Select a valid choice." in r.body.decode(), r
    f.update(rec_every="2", rec_unit="week", rec_until="2027-12-31T18:00")
    r = A.post("/admin/tasks/%d/" % t["id"], f)
    eq(r.status, 302, "saved: %r" % r)
    eq(ok("GET", "/api/tasks/%d/" % t["id"])["recurrence"],
       {"every": 2, "unit": "week", "from": "deadline",
        "until": z("2027-12-31T18:00:00-05:00")}, "the API sees the admin's rule")
    page = A.get("/admin/tasks/%d/" % t["id"])
    body = page.body.decode()
    assert "every 2 weeks, until 2027-12-31 18:00 EST" in body, body
    # completing it in the admin (status Completed) moves it and is listed
    f = form_of(page)
    f["status"] = "Completed"
    eq(A.post("/admin/tasks/%d/" % t["id"], f).status, 302, "completed in the admin")
    cur = ok("GET", "/api/tasks/%d/" % t["id"])
    eq((cur["status"], cur["complete_before"]),
       ("In Progress", z("2027-08-16T09:00:00-04:00")), "moved two weeks on")
    body = A.get("/admin/tasks/%d/" % t["id"]).body.decode()
    assert "1 completion" in body and "2027-08-02 09:00 EDT" in body, body
    lst = A.get("/admin/tasks/?q=admin+weekly").body.decode()
    assert "every 2 weeks" in lst, lst
    # the inline list edit completes it too
    m = re.search(r'name="updated_at-%d" value="(\d+)"' % t["id"], lst)
    r = A.post("/admin/tasks/?q=admin+weekly", [
        ("id", str(t["id"])), ("updated_at-%d" % t["id"], m.group(1)),
        ("orig_status-%d" % t["id"], "In Progress"), ("status-%d" % t["id"], "Completed"),
        ("orig_assigned_to-%d" % t["id"], str(UID["alice"])),
        ("assigned_to-%d" % t["id"], str(UID["alice"]))])
    eq(r.status, 302, "inline save: %r" % r)
    eq(ok("GET", "/api/tasks/%d/" % t["id"])["complete_before"],
       z("2027-08-30T09:00:00-04:00"), "moved again")
    eq(completions(t["id"])["count"], 2, "two completions")
    # a rule without a deadline is refused on the form
    t2 = new_task("admin no deadline")
    f = form_of(A.get("/admin/tasks/%d/" % t2["id"]))
    f.update(rec_every="1", rec_unit="day")
    r = A.post("/admin/tasks/%d/" % t2["id"], f)
    assert r.status == 200 and "A recurring task needs a deadline." in r.body.decode(), r


def test_bot_tasks_shows_the_next_deadline_and_done_moves_it():
    S.set_clock(at=ts("2027-09-06T08:00:00-04:00"))
    with db() as c:
        c.execute("UPDATE users SET telegram_id = 7001 WHERE username = 'bob'")
    t = new_task("bot daily", assigned_to=UID["bob"], complete_before="2027-09-06T09:00",
                 recurrence={"every": 1, "unit": "day"})
    TG.reset()
    TG.press(7001, "done:%d" % t["id"], message_id=55)
    p = S.cli("bot", "--once")
    eq(p.returncode, 0, "bot --once: %s" % p.stderr)
    ans = TG.calls_of("answerCallbackQuery")[-1]["text"]
    eq(ans, "Задача выполнена ✅ Следующий срок: 07.09.2027 09:00 EDT",
       "the answer names it, in the reader's zone")
    cur = ok("GET", "/api/tasks/%d/" % t["id"], user="bob")
    eq((cur["status"], cur["complete_before"]),
       ("In Progress", z("2027-09-07T09:00:00-04:00")), "moved by the button")
    ed = TG.calls_of("editMessageText")[-1]["text"]
    assert "bot daily — в работе, до 07.09.2027 09:00 EDT 🔁" in ed, ed
    eq(completions(t["id"], user="bob")["results"][0]["completed_by_username"], "bob", "by bob")


if __name__ == "__main__":
    run_tests(globals())
