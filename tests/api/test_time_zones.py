#!/usr/bin/env python3
"""Per-user time zones (issue #17): GET/PATCH /api/auth/me/ and its errors,
date-times without an offset read in the caller's zone, the bot's texts and
the admin pages in the reader's zone."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402
from admin_client import Admin, text  # noqa: E402

S = None
TG = None
TOK = {}
SECRET = "test-bot-secret-0123456789abcdef0123456789"


def setup_module():
    global S, TG
    TG = FakeTelegram().start()
    S = Server(workers=2, config={
        "telegram_bot_token": TOKEN,
        "telegram_api_base": TG.base,
        "telegram_timeout": "2",
        "telegram_poll_timeout": "1",
    }).start()
    S.create_user("boss")           # staff, for the admin pages
    TOK["boss"] = S.login("boss")
    for u in ("alice", "bob", "carol", "nina"):
        S.create_user(u, staff=False)
        TOK[u] = S.login(u)


def teardown_module():
    S.stop()
    TG.stop()


def req(method, path, body=None, user="alice", srv=None, tok=None):
    return (srv or S).request(method, path, body=body,
                              token=tok or TOK[user] if (tok or user) else None)


def api(method, path, body=None, user="alice"):
    r = req(method, path, body, user)
    assert r.status in (200, 201, 204), "%s %s: %r" % (method, path, r)
    return r.json if r.body else None


def patch_me(body, user="alice", status=200):
    r = req("PATCH", "/api/auth/me/", body, user)
    eq(r.status, status, "PATCH me %r: %r" % (body, r))
    return r.json


def db():
    return S.connect()


def uid(name):
    return S.sql("SELECT id FROM users WHERE username = ?", name)[0][0]


def stored(name):
    with db() as c:
        return c.execute("SELECT time_zone, reminder_offsets, daily_digest_at FROM users"
                         " WHERE username = ?", (name,)).fetchone()


SEQ = [0]


def new_task(deadline, user="alice", assignee=None):
    SEQ[0] += 1
    lst = api("POST", "/api/lists/", {"name": "tz %d" % SEQ[0]}, user)
    body = {"name": "t", "complete_before": deadline}
    if assignee:
        body["assigned_to"] = uid(assignee)
    return api("POST", "/api/lists/%d/tasks/" % lst["id"], body, user)


# -- GET /api/auth/me/ --------------------------------------------------------

def test_me_shows_the_defaults():
    b = api("GET", "/api/auth/me/", user="carol")
    eq((b["time_zone"], b["reminder_offsets"], b["daily_digest_at"]), ("UTC", [60], None),
       "the server's zone, [60], no digest")
    eq(stored("carol"), (None, None, None), "nothing stored")


def test_me_shows_the_servers_zone_as_the_default():
    srv = Server(workers=1, config={"time_zone": "Europe/Moscow"}).start()
    try:
        srv.create_user("dora", staff=False)
        tok = srv.login("dora")
        eq(srv.get("/api/auth/me/", token=tok).json["time_zone"], "Europe/Moscow", "default")
        # and a time without an offset is read in it
        lst = srv.request("POST", "/api/lists/", {"name": "l"}, token=tok).json
        t = srv.request("POST", "/api/lists/%d/tasks/" % lst["id"],
                        {"name": "t", "complete_before": "2026-12-03T09:00"}, token=tok).json
        eq(t["complete_before"], "2026-12-03T06:00:00.000000Z", "read in the server's zone")
    finally:
        srv.stop()


# -- PATCH /api/auth/me/ ------------------------------------------------------

def test_patch_answers_the_whole_me_object():
    b = patch_me({"time_zone": "Europe/Moscow"})
    eq(sorted(b), ["daily_digest_at", "date_joined", "email", "id", "is_staff",
                   "reminder_offsets", "telegram_linked", "time_zone", "username"], "keys")
    eq((b["username"], b["time_zone"], b["reminder_offsets"], b["daily_digest_at"]),
       ("alice", "Europe/Moscow", [60], None), "values")
    b = patch_me({"reminder_offsets": [15, 1440], "daily_digest_at": "08:30",
                  "email": "alice@example.com"})
    eq((b["time_zone"], b["reminder_offsets"], b["daily_digest_at"], b["email"]),
       ("Europe/Moscow", [15, 1440], "08:30", "alice@example.com"), "all at once")
    eq(api("GET", "/api/auth/me/"), b, "GET shows the same")
    eq(stored("alice"), ("Europe/Moscow", "[15,1440]", "08:30"), "stored")
    b = patch_me({"reminder_offsets": []})
    eq(b["reminder_offsets"], [], "no reminders")
    b = patch_me({})
    eq((b["time_zone"], b["reminder_offsets"], b["daily_digest_at"]),
       ("Europe/Moscow", [], "08:30"), "an empty PATCH changes nothing")


def test_patch_null_puts_the_defaults_back():
    patch_me({"time_zone": "Asia/Kolkata", "reminder_offsets": [5], "daily_digest_at": "23:59"},
             user="nina")
    b = patch_me({"time_zone": None, "reminder_offsets": None, "daily_digest_at": None},
                 user="nina")
    eq((b["time_zone"], b["reminder_offsets"], b["daily_digest_at"]), ("UTC", [60], None),
       "defaults")
    eq(stored("nina"), (None, "[60]", None), "time zone NULL (follows the server)")


def test_patch_errors_are_drf_shaped_and_save_nothing():
    before = api("GET", "/api/auth/me/", user="bob")
    cases = [
        ({"time_zone": "Mars/Olympus"}, {"time_zone": ['Unknown time zone "Mars/Olympus".']}),
        ({"time_zone": "../../etc/passwd"},
         {"time_zone": ['Unknown time zone "../../etc/passwd".']}),
        ({"time_zone": "/usr/share/zoneinfo/UTC"},
         {"time_zone": ['Unknown time zone "/usr/share/zoneinfo/UTC".']}),
        ({"time_zone": ""}, {"time_zone": ["This field may not be blank."]}),
        ({"time_zone": 3}, {"time_zone": ["Not a valid string."]}),
        ({"reminder_offsets": [1, 2, 3, 4, 5, 6]},
         {"reminder_offsets": ["Ensure this field has no more than 5 elements."]}),
        ({"reminder_offsets": [0]},
         {"reminder_offsets": ["Ensure each value is between 1 and 525600."]}),
        ({"reminder_offsets": [525601]},
         {"reminder_offsets": ["Ensure each value is between 1 and 525600."]}),
        ({"reminder_offsets": [30, 30]}, {"reminder_offsets": ["Offsets must be distinct."]}),
        ({"reminder_offsets": [1.5]}, {"reminder_offsets": ["A valid integer is required."]}),
        ({"reminder_offsets": ["60"]}, {"reminder_offsets": ["A valid integer is required."]}),
        ({"reminder_offsets": 60}, {"reminder_offsets": ["Expected a list of items."]}),
        ({"daily_digest_at": "24:00"}, {"daily_digest_at": [
            "Time has wrong format. Use one of these formats instead: hh:mm."]}),
        ({"daily_digest_at": "9:00"}, {"daily_digest_at": [
            "Time has wrong format. Use one of these formats instead: hh:mm."]}),
        ({"daily_digest_at": "09:60"}, {"daily_digest_at": [
            "Time has wrong format. Use one of these formats instead: hh:mm."]}),
        ({"email": "not-an-address"}, {"email": ["Enter a valid email address."]}),
    ]
    for body, want in cases:
        eq(patch_me(body, user="bob", status=400), want, "PATCH %r" % body)
    # every error at once, and a valid field beside them is not saved either
    b = patch_me({"time_zone": "Nowhere", "reminder_offsets": [0], "daily_digest_at": "x",
                  "email": "bob@example.com"}, user="bob", status=400)
    eq(sorted(b), ["daily_digest_at", "reminder_offsets", "time_zone"], "three errors")
    eq(api("GET", "/api/auth/me/", user="bob"), before, "nothing saved")
    eq(req("PATCH", "/api/auth/me/", {"time_zone": "UTC"}, user=None).status, 401,
       "anonymous")
    # a name that is refused is echoed cut short, and escaped as JSON
    b = patch_me({"time_zone": '"<x>' + "A" * 300}, user="bob", status=400)
    eq(b["time_zone"], ['Unknown time zone ""<x>%s".' % ("A" * 60)], "cut to 64 characters")


# -- reading date-times in the caller's zone ----------------------------------

def test_naive_times_are_read_in_the_callers_zone():
    patch_me({"time_zone": "Europe/Moscow"}, user="alice")
    t = new_task("2026-12-03T09:00", user="alice")
    eq(t["complete_before"], "2026-12-03T06:00:00.000000Z", "Moscow: 09:00 is 06:00Z")
    t = new_task("2026-12-03T09:00:00+00:00", user="alice")
    eq(t["complete_before"], "2026-12-03T09:00:00.000000Z", "an explicit offset wins")
    t = new_task("2026-12-03T09:00Z", user="alice")
    eq(t["complete_before"], "2026-12-03T09:00:00.000000Z", "Z wins")
    t = new_task("2026-12-03T09:00", user="carol")
    eq(t["complete_before"], "2026-12-03T09:00:00.000000Z", "carol: the server's UTC")
    # New York: 02:30 on 2026-03-08 is in the spring gap: the offset before it (EST)
    patch_me({"time_zone": "America/New_York"}, user="nina")
    t = new_task("2026-03-08T02:30", user="nina")
    eq(t["complete_before"], "2026-03-08T07:30:00.000000Z", "a gap")
    t = new_task("2026-11-01T01:30", user="nina")
    eq(t["complete_before"], "2026-11-01T05:30:00.000000Z", "an overlap: its first instant")
    # PATCH of a task reads in the zone too
    t2 = api("PATCH", "/api/tasks/%d/" % t["id"],
             {"complete_before": "2026-07-01T12:00", "updated_at": t["updated_at"]}, "nina")
    eq(t2["complete_before"], "2026-07-01T16:00:00.000000Z", "PATCH: EDT")


def test_query_times_are_read_in_the_callers_zone():
    patch_me({"time_zone": "Europe/Moscow"}, user="alice")
    t = new_task("2030-01-10T09:00", user="alice")      # 06:00Z
    lst = t["list_id"]
    path = "/api/lists/%d/tasks/?due_before=" % lst

    def ids(q):
        return [x["id"] for x in api("GET", path + q)["results"]]

    eq(ids("2030-01-10T09:30"), [t["id"]], "09:30 Moscow is after 06:00Z")
    eq(ids("2030-01-10T08:30"), [], "08:30 Moscow (05:30Z) is before it")
    eq(ids("2030-01-10T08:30Z"), [t["id"]], "with an offset: as given")


def test_a_new_zone_applies_to_the_next_request_of_the_same_token():
    patch_me({"time_zone": "Asia/Kolkata"}, user="nina")
    eq(new_task("2026-12-03T09:00", user="nina")["complete_before"],
       "2026-12-03T03:30:00.000000Z", "Kolkata +05:30")
    patch_me({"time_zone": "Pacific/Chatham"}, user="nina")
    eq(new_task("2026-12-03T09:00", user="nina")["complete_before"],
       "2026-12-02T19:15:00.000000Z", "Chatham +13:45 in its summer")


def test_a_stored_zone_the_system_does_not_know_reads_as_the_servers():
    with db() as c:
        c.execute("UPDATE users SET time_zone = 'Gone/Away' WHERE username = 'carol'")
    try:
        eq(api("GET", "/api/auth/me/", user="carol")["time_zone"], "UTC", "me")
        eq(new_task("2026-12-03T09:00", user="carol")["complete_before"],
           "2026-12-03T09:00:00.000000Z", "read in UTC")
    finally:
        with db() as c:
            c.execute("UPDATE users SET time_zone = NULL WHERE username = 'carol'")


# -- the bot: deadlines in the reader's zone ----------------------------------

def link(user, tgid):
    r = req("POST", "/api/auth/telegram/link/", user=user)
    eq(r.status, 200, "link: %r" % r)
    TG.message(tgid, "/start " + r.json["link_token"])
    p = S.cli("bot", "--once")
    eq(p.returncode, 0, "bot --once (%s)" % p.stderr)


def tasks_text(tgid):
    TG.message(tgid, "/tasks")
    p = S.cli("bot", "--once")
    eq(p.returncode, 0, "bot --once (%s)" % p.stderr)
    return TG.sent(tgid)[-1]["text"]


def test_bot_shows_deadlines_in_the_readers_zone():
    TG.reset()
    link("bob", 4401)
    link("carol", 4402)
    patch_me({"time_zone": "Europe/Moscow"}, user="bob")
    new_task("2026-12-03T06:00Z", user="alice", assignee="bob")
    new_task("2026-12-03T06:00Z", user="alice", assignee="carol")
    t = tasks_text(4401)
    assert "до 03.12.2026 09:00 MSK" in t, t
    t = tasks_text(4402)
    assert "до 03.12.2026 06:00 UTC" in t, t
    # a summer deadline in New York is shown as EDT, a winter one as EST
    patch_me({"time_zone": "America/New_York"}, user="bob")
    new_task("2027-07-01T16:00Z", user="alice", assignee="bob")
    t = tasks_text(4401)
    assert "до 03.12.2026 01:00 EST" in t and "до 01.07.2027 12:00 EDT" in t, t


# -- admin pages --------------------------------------------------------------

def test_admin_shows_and_reads_times_in_the_staff_users_zone():
    a = Admin(S)
    eq(a.login("boss").status, 302, "admin login")
    t = new_task("2026-12-03T06:00Z", user="alice")
    r = a.get("/admin/tasks/%d/" % t["id"])
    eq(r.status, 200, "task page")
    assert 'value="2026-12-03T06:00"' in text(r), "UTC before the change"
    patch_me({"time_zone": "Europe/Moscow"}, user="boss")
    r = a.get("/admin/tasks/%d/" % t["id"])
    assert 'value="2026-12-03T09:00"' in text(r), "the form in Moscow time"
    assert "Europe/Moscow" in text(r), "the zone is named"
    r = a.get("/admin/tasks/?q=&o=-id")
    assert "2026-12-03 09:00 MSK" in text(r), "the list in Moscow time"
    # the form's deadline is read in the staff user's zone
    r = a.get("/admin/tasks/%d/" % t["id"])
    stamp = re.search(r'name="updated_at" value="([^"]*)"', text(r)).group(1)
    f = {"name": "t", "description": "", "assigned_to": "", "complete_before": "2026-12-04T10:00",
         "status": "Pending", "updated_at": stamp}
    r = a.post("/admin/tasks/%d/" % t["id"], f)
    eq(r.status, 302, "saved: %s" % text(r)[:1500])
    eq(api("GET", "/api/tasks/%d/" % t["id"])["complete_before"],
       "2026-12-04T07:00:00.000000Z", "10:00 Moscow")
    patch_me({"time_zone": None}, user="boss")


def test_admin_user_page_edits_the_time_zone():
    a = Admin(S)
    eq(a.login("boss").status, 302, "admin login")
    patch_me({"time_zone": "Pacific/Chatham", "reminder_offsets": [30, 120],
              "daily_digest_at": "07:45"}, user="nina")
    page = "/admin/users/%d/" % uid("nina")
    r = a.get(page)
    assert "30, 120 minutes before a deadline" in text(r) and "at 07:45" in text(r), text(r)
    form = {"email": "", "is_active": "on", "time_zone": "Mars/Olympus"}
    r = a.post(page, form)
    eq(r.status, 200, "refused")
    assert "Unknown time zone &quot;Mars/Olympus&quot;." in text(r), text(r)
    assert 'value="Mars/Olympus"' in text(r), "the typed value kept"
    eq(api("GET", "/api/auth/me/", user="nina")["time_zone"], "Pacific/Chatham", "unchanged")
    a.get(page)
    r = a.post(page, dict(form, time_zone="Australia/Lord_Howe"))
    eq(r.status, 302, "saved")
    eq(api("GET", "/api/auth/me/", user="nina")["time_zone"], "Australia/Lord_Howe", "set")
    r = a.get(page)
    assert 'value="Australia/Lord_Howe"' in text(r), "shown"
    a.get(page)
    eq(a.post(page, dict(form, time_zone="")).status, 302, "blank")
    eq(stored("nina")[0], None, "blank: back to the server's")
    # a form without the field leaves the zone alone
    patch_me({"time_zone": "Europe/Dublin"}, user="nina")
    a.get(page)
    eq(a.post(page, {"email": "", "is_active": "on"}).status, 302, "no field")
    eq(stored("nina")[0], "Europe/Dublin", "kept")


if __name__ == "__main__":
    run_tests(globals())
