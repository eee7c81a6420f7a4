#!/usr/bin/env python3
"""The calendar feed: POST /api/auth/calendar/ gives a secret URL (a new one
replaces it, DELETE ends it); GET /api/calendar/<secret>.ics answers an RFC
5545 calendar, parsed here with python3-icalendar and compared with the
tasks the user sees (one VEVENT per task with a deadline); lines are CRLF
and folded at 75 octets without splitting a UTF-8 sequence, text is
escaped; ETag and 304; unknown, replaced or ended feeds answer 404."""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_icalendar import icalendar  # noqa: E402
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import PW, register  # noqa: E402

S = None
UTC = datetime.timezone.utc


def setup_module():
    global S
    S = Server().start()
    S.create_user("boss")


def teardown_module():
    S.stop()


def user(name):
    register(S, name)
    return S.login(name, PW)


def feed_path(token):
    r = S.post("/api/auth/calendar/", token=token)
    eq(r.status, 201, "POST /api/auth/calendar/")
    url = r.json["url"]
    assert url.startswith(S.url("/api/calendar/")) and url.endswith(".ics"), url
    return url[len(S.url()):]


def task(token, lid, **fields):
    r = S.post("/api/lists/%d/tasks/" % lid, fields, token=token)
    eq(r.status, 201, "task %r: %r" % (fields, r.body))
    return r.json


def parse(r):
    eq((r.status, r.header("Content-Type")), (200, "text/calendar; charset=utf-8"), "feed")
    cal = icalendar.Calendar.from_ical(r.body)
    eq((cal.name, str(cal["VERSION"])), ("VCALENDAR", "2.0"), "calendar")
    assert str(cal["PRODID"]), "PRODID"
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def when(s):
    return datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def check_event(e, t, staff):
    eq(str(e["SUMMARY"]), t["name"], "SUMMARY")
    desc = str(e["DESCRIPTION"])
    assert desc.startswith("List: %s\nStatus: %s" % (t["list_name"], t["status"])), desc
    if t["description"]:
        assert desc.endswith("\n\n" + t["description"]), desc
    eq(e.decoded("DTSTART"), when(t["complete_before"]), "DTSTART, in UTC")
    eq(e.decoded("DURATION"), datetime.timedelta(minutes=15), "DURATION")
    eq(e.decoded("LAST-MODIFIED"), when(t["updated_at"]), "LAST-MODIFIED")
    eq(e.decoded("DTSTAMP"), when(t["updated_at"]), "DTSTAMP")
    eq(str(e["STATUS"]),
       "CANCELLED" if t["status"] == "Completed" else "CONFIRMED", "STATUS of %s" % t["status"])
    if staff:
        eq(str(e["URL"]), S.url("/admin/tasks/%d/" % t["id"]), "URL for staff")
    else:
        eq("URL" in e, False, "no admin URL for a user who is not staff")


def test_feed_lists_the_tasks_with_a_deadline_the_user_sees():
    amy = user("amy")
    boss = S.login("boss")
    amy_id = S.get("/api/auth/me/", token=amy).json["id"]
    a = S.post("/api/lists/", {"name": "Amy's"}, token=amy).json["id"]
    b = S.post("/api/lists/", {"name": "Boss's"}, token=boss).json["id"]
    t1 = task(amy, a, name="Report", description="Quarterly numbers",
              complete_before="2030-01-02T09:30:00+03:00")
    task(amy, a, name="Someday")                       # no deadline: no event
    t3 = task(amy, a, name="Done one", complete_before="2030-02-01T00:00:00Z",
              assigned_to=amy_id)
    eq(S.post("/api/tasks/%d/complete/" % t3["id"], token=amy).status, 200, "complete")
    t3 = S.get("/api/tasks/%d/" % t3["id"], token=amy).json
    t4 = task(boss, b, name="For Amy", complete_before="2030-03-01T12:00:00Z",
              assigned_to=amy_id)
    t5 = task(boss, b, name="Boss only", complete_before="2030-04-01T12:00:00Z")
    host = "127.0.0.1"
    events = parse(S.get(feed_path(amy)))
    eq(sorted(events), sorted("task-%d@%s" % (t["id"], host) for t in (t1, t3, t4)),
       "amy's feed: her list's tasks with a deadline and the task assigned to her")
    for t in (t1, t3, t4):
        check_event(events["task-%d@%s" % (t["id"], host)], t, staff=False)
    events = parse(S.get(feed_path(boss)))
    eq(sorted(events), sorted("task-%d@%s" % (t["id"], host) for t in (t4, t5)), "boss's feed")
    for t in (t4, t5):
        check_event(events["task-%d@%s" % (t["id"], host)], t, staff=True)


def physical_lines(body):
    assert body.endswith(b"\r\n"), body[-20:]
    lines = body[:-2].split(b"\r\n")
    for ln in lines:
        assert b"\n" not in ln and b"\r" not in ln, "a bare CR or LF: %r" % ln
        assert len(ln) <= 75, "longer than 75 octets: %r (%d)" % (ln, len(ln))
        ln.decode("utf-8")      # a fold never splits a UTF-8 sequence
    return lines


def test_lines_are_folded_and_text_escaped():
    cy = user("cy")
    lid = S.post("/api/lists/", {"name": "Escapes, too; \\ yes"}, token=cy).json["id"]
    name = "Встреча, план; шаг\\два " + "ж€😀" * 30
    desc = "first line\nsecond, with; all \\ kinds\n\nlast: é" + "x" * 200
    t = task(cy, lid, name=name, description=desc, complete_before="2031-05-05T05:05:05Z")
    r = S.get(feed_path(cy))
    lines = physical_lines(r.body)
    assert any(ln.startswith(b" ") for ln in lines), "long lines are folded"
    assert b"SUMMARY:\xd0\x92\xd1\x81\xd1\x82\xd1\x80\xd0\xb5\xd1\x87\xd0\xb0\\, " \
        b"\xd0\xbf\xd0\xbb\xd0\xb0\xd0\xbd\\; \xd1\x88\xd0\xb0\xd0\xb3\\\\" in r.body, \
        "comma, semicolon and backslash escaped"
    assert b"first line\\nsecond" in r.body.replace(b"\r\n ", b""), "newline as \\n"
    e = parse(r)["task-%d@127.0.0.1" % t["id"]]
    eq(str(e["SUMMARY"]), name, "SUMMARY round trip")
    eq(str(e["DESCRIPTION"]), "List: %s\nStatus: Pending\n\n%s" % (t["list_name"], desc),
       "DESCRIPTION round trip")


def test_members_see_the_shared_lists_tasks():
    ivy, jay = user("ivy"), user("jay")
    jay_id = S.get("/api/auth/me/", token=jay).json["id"]
    lid = S.post("/api/lists/", {"name": "Shared"}, token=ivy).json["id"]
    t = task(ivy, lid, name="Shared task", complete_before="2034-01-01T00:00:00Z")
    path = feed_path(jay)
    eq(list(parse(S.get(path))), [], "not shared yet")
    eq(S.post("/api/lists/%d/members/" % lid, {"user_id": jay_id, "role": "viewer"},
              token=ivy).status, 201, "shared")
    eq(list(parse(S.get(path))), ["task-%d@127.0.0.1" % t["id"]], "a viewer sees it")
    eq(S.request("DELETE", "/api/lists/%d/members/%d/" % (lid, jay_id), token=ivy).status,
       204, "unshared")
    eq(list(parse(S.get(path))), [], "gone with the membership")


def rrule_dates(e, n):
    """The first n occurrences of the event's RRULE from its DTSTART (dateutil)."""
    from dateutil.rrule import rrulestr
    rule = rrulestr(e["RRULE"].to_ical().decode(), dtstart=e.decoded("DTSTART"))
    return list(rule[:n]) if rule.count() >= n else list(rule)


def test_recurring_tasks_carry_an_rrule_the_task_follows():
    hal = user("hal2")
    me = S.get("/api/auth/me/", token=hal).json["id"]
    lid = S.post("/api/lists/", {"name": "Repeats"}, token=hal).json["id"]
    weekly = task(hal, lid, name="Weekly", complete_before="2030-05-04T09:00:00Z",
                  recurrence={"every": 2, "unit": "week", "until": "2030-07-01T00:00:00Z"})
    monthly = task(hal, lid, name="Month end", complete_before="2030-01-31T12:00:00Z",
                   assigned_to=me, recurrence={"every": 1, "unit": "month"})
    yearly = task(hal, lid, name="Leap", complete_before="2032-02-29T08:00:00Z",
                  recurrence={"every": 1, "unit": "year"})
    done = task(hal, lid, name="After done", complete_before="2030-03-01T00:00:00Z",
                recurrence={"every": 3, "unit": "day", "from": "completion"})
    plain = task(hal, lid, name="Once", complete_before="2030-03-02T00:00:00Z")
    path = feed_path(hal)
    ev = {int(k.split("@")[0][5:]): v for k, v in parse(S.get(path)).items()}
    r = ev[weekly["id"]]["RRULE"]
    eq((r["FREQ"], r["INTERVAL"], r["UNTIL"]),
       (["WEEKLY"], [2], [datetime.datetime(2030, 7, 1, tzinfo=UTC)]), "weekly RRULE")
    eq([d.isoformat() for d in rrule_dates(ev[weekly["id"]], 10)],
       ["2030-05-04T09:00:00+00:00", "2030-05-18T09:00:00+00:00", "2030-06-01T09:00:00+00:00",
        "2030-06-15T09:00:00+00:00", "2030-06-29T09:00:00+00:00"], "until the end")
    eq([d.isoformat()[:10] for d in rrule_dates(ev[monthly["id"]], 4)],
       ["2030-01-31", "2030-02-28", "2030-03-31", "2030-04-30"], "the 31st, or the month's last")
    eq([d.isoformat()[:10] for d in rrule_dates(ev[yearly["id"]], 3)],
       ["2032-02-29", "2033-02-28", "2034-02-28"], "February 29th, or the 28th")
    eq("RRULE" in ev[done["id"]], False, "a rule from the completion: no RRULE")
    eq("RRULE" in ev[plain["id"]], False, "not recurring: no RRULE")
    # the task itself moves to the rule's next date, and the feed follows
    r = S.post("/api/tasks/%d/complete/" % monthly["id"], token=hal)
    eq(r.json.get("next_complete_before"), "2030-02-28T12:00:00.000000Z", "moved")
    ev = {int(k.split("@")[0][5:]): v for k, v in parse(S.get(path)).items()}
    eq([d.isoformat()[:10] for d in rrule_dates(ev[monthly["id"]], 3)],
       ["2030-02-28", "2030-03-31", "2030-04-30"], "from February 28th, back to the 31st")


def test_etag_and_304():
    dee = user("dee")
    lid = S.post("/api/lists/", {"name": "L"}, token=dee).json["id"]
    t = task(dee, lid, name="T", complete_before="2032-01-01T00:00:00Z")
    path = feed_path(dee)
    r = S.get(path)
    tag = r.header("ETag")
    assert tag and tag.startswith('"') and tag.endswith('"'), tag
    eq(S.get(path).header("ETag"), tag, "the same feed, the same ETag")
    r2 = S.get(path, headers={"If-None-Match": tag})
    eq((r2.status, r2.body, r2.header("ETag")), (304, b"", tag), "If-None-Match")
    eq(S.get(path, headers={"If-None-Match": 'W/"x", ' + tag}).status, 304, "in a list")
    eq(S.get(path, headers={"If-None-Match": '"other"'}).status, 200, "another tag")
    r = S.request("PATCH", "/api/tasks/%d/" % t["id"],
                  {"name": "T2", "updated_at": t["updated_at"]}, token=dee)
    eq(r.status, 200, "rename")
    r3 = S.get(path, headers={"If-None-Match": tag})
    eq(r3.status, 200, "changed: the whole feed again")
    assert r3.header("ETag") != tag, "a new ETag"
    eq(str(parse(r3)["task-%d@127.0.0.1" % t["id"]]["SUMMARY"]), "T2", "the new name")


def test_new_url_replaces_the_old_and_delete_ends_it():
    eli = user("eli")
    first = feed_path(eli)
    eq(S.get(first).status, 200, "the first URL")
    second = feed_path(eli)
    assert second != first
    r = S.get(first)
    eq((r.status, r.json), (404, {"detail": "Not found."}), "replaced")
    eq(S.get(second).status, 200, "the new URL")
    eq(S.request("DELETE", "/api/auth/calendar/", token=eli).status, 204, "DELETE")
    eq(S.get(second).status, 404, "ended")
    eq(S.request("DELETE", "/api/auth/calendar/", token=eli).status, 204, "DELETE again")
    for p in ("/api/calendar/" + "A" * 43 + ".ics", "/api/calendar/x.ics",
              "/api/calendar/" + second[14:-4], "/api/calendar/" + "A" * 65 + ".ics"):
        eq(S.get(p).status, 404, "unknown %s" % p)
    eq(S.post("/api/auth/calendar/").status, 401, "managing the feed needs a login")


def test_no_feed_secret_reaches_the_log():
    gwen = user("gwen")
    path = feed_path(gwen)
    eq(S.get(path).status, 200, "the feed")
    secret = path[len("/api/calendar/"):-len(".ics")]
    S.get("/api/calendar/%s.ics" % ("Z" + secret[1:]))     # a wrong one, one letter off
    log = S.log_text()
    assert 'access GET "/api/calendar/{key}.ics" 200' in log, "the route's pattern is logged"
    eq([s for s in (secret, secret[1:]) if s in log], [], "the secret in the log")


def test_feed_of_a_deactivated_user_is_gone():
    fox = user("fox")
    path = feed_path(fox)
    eq(S.get(path).status, 200, "before")
    S.cli("users", "--deactivate", "fox", check=True)
    eq(S.get(path).status, 404, "after the deactivation")


def test_url_and_uid_use_public_url():
    with Server(config={"public_url": "https://tasks.example.org"}) as srv:
        register(srv, "gus")
        tok = srv.login("gus", PW)
        lid = srv.post("/api/lists/", {"name": "L"}, token=tok).json["id"]
        t = srv.post("/api/lists/%d/tasks/" % lid, {"name": "T",
                     "complete_before": "2033-01-01T00:00:00Z"}, token=tok).json
        url = srv.post("/api/auth/calendar/", token=tok).json["url"]
        assert url.startswith("https://tasks.example.org/api/calendar/"), url
        events = parse(srv.get(url[len("https://tasks.example.org"):]))
        eq(list(events), ["task-%d@tasks.example.org" % t["id"]], "UID host")


if __name__ == "__main__":
    run_tests(globals())
