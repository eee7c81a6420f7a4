#!/usr/bin/env python3
"""The calendar feed's alarms and the feed's secret: one VALARM per reminder
offset of a task (its own `reminders`, else its recipient's
`reminder_offsets`, the offsets the reminders worker uses), none for a
Completed task, the ETag following the offsets; the secret out of nginx's
access log (the shipped site's redacted format); a password change ends the
feed.  Parsed with python3-icalendar; nginx's access log is on, as in
Debian's nginx."""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_icalendar import icalendar  # noqa: E402
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, register, text  # noqa: E402

S = None


def setup_module():
    global S
    S = Server()
    S.nginx_access_log = True       # every request, as Debian's nginx logs them
    S.start()
    S.create_user("root")


def teardown_module():
    S.stop()


def user(name):
    register(S, name)
    return S.login(name, PW)


def me(token):
    return S.get("/api/auth/me/", token=token).json


def feed_path(token):
    r = S.post("/api/auth/calendar/", token=token)
    eq(r.status, 201, "POST /api/auth/calendar/")
    return r.json["url"][len(S.url()):]


def task(token, lid, **fields):
    r = S.post("/api/lists/%d/tasks/" % lid, fields, token=token)
    eq(r.status, 201, "task %r: %r" % (fields, r.body))
    return r.json


def patch(token, path, **fields):
    r = S.request("PATCH", path, fields, token=token)
    eq(r.status, 200, "PATCH %s %r: %r" % (path, fields, r.body))
    return r.json


def events(path):
    r = S.get(path)
    eq((r.status, r.header("Content-Type")), (200, "text/calendar; charset=utf-8"), "feed")
    cal = icalendar.Calendar.from_ical(r.body)
    return {int(str(e["UID"]).split("@")[0][5:]): e for e in cal.walk("VEVENT")}


def alarms(e):
    """The event's alarms as minutes before its start, checking each one's form."""
    out = []
    for a in e.walk("VALARM"):
        eq(str(a["ACTION"]), "DISPLAY", "ACTION")
        eq(str(a["DESCRIPTION"]), str(e["SUMMARY"]), "DESCRIPTION: the task's name")
        trig = a.decoded("TRIGGER")
        assert isinstance(trig, datetime.timedelta), "a duration, relative to DTSTART"
        out.append(int(-trig.total_seconds()) // 60)
    return sorted(out)


def test_alarms_are_the_tasks_offsets():
    amy, ben = user("amy"), user("ben")
    ben_id = me(ben)["id"]
    eq(me(amy)["reminder_offsets"], [60], "amy keeps the default")
    patch(ben, "/api/auth/me/", reminder_offsets=[30, 2880])
    lid = S.post("/api/lists/", {"name": "Amy's; alarms, too"}, token=amy).json["id"]
    when = "2031-03-04T10:00:00Z"
    dflt = task(amy, lid, name="Default, mine", complete_before=when)
    own = task(amy, lid, name="Own offsets", complete_before=when,
               reminders=[15, 1440, 525600])
    off = task(amy, lid, name="No reminders", complete_before=when, reminders=[])
    bens = task(amy, lid, name="Ben's", complete_before=when, assigned_to=ben_id)
    bens_own = task(amy, lid, name="Ben's own", complete_before=when, assigned_to=ben_id,
                    reminders=[5])
    done = task(amy, lid, name="Done", complete_before=when, reminders=[10, 20],
                assigned_to=me(amy)["id"])
    eq(S.post("/api/tasks/%d/complete/" % done["id"], token=amy).status, 200, "completed")
    ev = events(feed_path(amy))
    got = {t["name"]: alarms(ev[t["id"]]) for t in (dflt, own, off, bens, bens_own, done)}
    eq(got, {"Default, mine": [60], "Own offsets": [15, 1440, 525600], "No reminders": [],
             "Ben's": [30, 2880], "Ben's own": [5], "Done": []},
       "the task's own offsets, else its recipient's defaults (the list's owner when "
       "unassigned, else the assignee); none when Completed")
    # exactly the rows the reminders worker keeps waiting
    eq(alarms(events(feed_path(ben))[bens["id"]]), [30, 2880], "the same in ben's feed")


def test_etag_follows_the_offsets():
    cy = user("cy")
    lid = S.post("/api/lists/", {"name": "L"}, token=cy).json["id"]
    t = task(cy, lid, name="T", complete_before="2032-01-01T00:00:00Z")
    path = feed_path(cy)
    tags = [S.get(path).header("ETag")]
    eq(alarms(events(path)[t["id"]]), [60], "the default")
    patch(cy, "/api/auth/me/", reminder_offsets=[120])
    r = S.get(path, headers={"If-None-Match": tags[-1]})
    eq(r.status, 200, "the user's defaults changed: not 304")
    tags.append(r.header("ETag"))
    eq(alarms(events(path)[t["id"]]), [120], "the new default")
    t = patch(cy, "/api/tasks/%d/" % t["id"], reminders=[1, 2], updated_at=t["updated_at"])
    r = S.get(path, headers={"If-None-Match": tags[-1]})
    eq(r.status, 200, "the task's own offsets set: not 304")
    tags.append(r.header("ETag"))
    eq(alarms(events(path)[t["id"]]), [1, 2], "the task's own")
    eq(len(set(tags)), 3, "three ETags: %r" % tags)
    eq(S.get(path, headers={"If-None-Match": tags[-1]}).status, 304, "unchanged since")


def test_password_change_ends_the_feed():
    a = Admin(S)
    eq(a.login("root").status, 302, "admin login")
    # the admin's password form, for another user and for oneself
    dee = user("dee")
    path = feed_path(dee)
    eq(S.get(path).status, 200, "before")
    a.get("/admin/users/%d/password/" % me(dee)["id"])
    r = a.post("/admin/users/%d/password/" % me(dee)["id"],
               {"password1": "another-horse-staple", "password2": "another-horse-staple"})
    eq(r.status, 302, "password set: %s" % text(r)[:300])
    r = S.get(path)
    eq((r.status, r.json), (404, {"detail": "Not found."}), "after the admin's change")
    root = S.login("root")
    path = feed_path(root)
    root_id = me(root)["id"]
    a.get("/admin/users/%d/password/" % root_id)
    r = a.post("/admin/users/%d/password/" % root_id,
               {"password1": "fresh-copper-lantern", "password2": "fresh-copper-lantern"})
    eq(r.status, 302, "own password set: %s" % text(r)[:300])
    eq(S.get(path).status, 404, "after changing one's own password")
    # the CLI's passwd
    eve = user("eve")
    path = feed_path(eve)
    eq(S.get(path).status, 200, "before")
    S.cli("passwd", "eve", "--password-stdin", input="yet-another-horse\n", check=True)
    eq(S.get(path).status, 404, "after taskmgr passwd")
    # a new feed works again
    eq(S.get(feed_path(S.login("eve", "yet-another-horse"))).status, 200, "a new URL")


def test_no_feed_secret_in_nginx_access_log():
    fay = user("fay")
    path = feed_path(fay)
    secret = path[len("/api/calendar/"):-len(".ics")]
    r = S.get(path)
    eq(r.status, 200, "the feed")
    eq(S.get(path, headers={"If-None-Match": r.header("ETag")}).status, 304, "304")
    wrong = "Z" + secret[1:] if secret[0] != "Z" else "Y" + secret[1:]
    eq(S.get("/api/calendar/%s.ics" % wrong).status, 404, "a wrong secret")
    eq(S.get("/api/calendar/%s.ics?x=%s" % (secret, secret)).status, 200, "with a query")
    with open(S.access_log_path()) as f:
        log = f.read()
    assert '"POST /api/auth/calendar/ HTTP/1.1" 201' in log, \
        "the log has whole request lines: " + log[-500:]
    for st in (200, 304, 404):
        assert '"GET /api/calendar/<secret>.ics HTTP/1.1" %d ' % st in log, \
            "the feed's %d logged, redacted: %s" % (st, log[-800:])
    eq([s for s in (secret, wrong, secret[:20], wrong[-20:]) if s in log], [],
       "secrets in nginx's access log")


if __name__ == "__main__":
    run_tests(globals())
