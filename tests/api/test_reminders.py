#!/usr/bin/env python3
"""Reminders before deadlines and the daily digest: the API's `reminders`
field, the rows every task write schedules, and the real worker sending
them through the fake Bot API while a fake clock (tests/fakeclock/) moves."""
import datetime
import os
import subprocess
import sys
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests, _terminate  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402

S = None
TG = None
TOK = {}
CHAT = {"alice": 9101, "bob": 9102, "carol": 9103, "dave": 9104}
OFFSET = [0.0]          # the fake clock: real time + this many seconds
MSK = zoneinfo.ZoneInfo("Europe/Moscow")


def setup_module():
    global S, TG
    TG = FakeTelegram().start()
    S = Server(workers=2, fake_clock=True, config={
        "time_zone": "Europe/Moscow",
        # the clock moves up to a year on: the tokens of setup must last
        "access_token_ttl": str(86400 * 366),
        "telegram_bot_token": TOKEN,
        "telegram_api_base": TG.base,
        "telegram_timeout": "2",
        "telegram_retry_base_ms": "100",
        "telegram_chat_interval_ms": "20",
        # a minute between looks unless something is due or changed: the
        # worker must wake for a reminder by itself
        "worker_poll_ms": "60000",
        "overdue_sweep_interval": "3600",
    }).start()
    for u in CHAT:
        S.create_user(u)
        TOK[u] = S.login(u)
    with db() as c:
        for u, chat in CHAT.items():
            c.execute("UPDATE users SET telegram_id = ? WHERE username = ?", (chat, u))


def teardown_module():
    S.stop()
    TG.stop()


def db():
    return S.connect()


def q(sql, *args):
    return S.sql(sql, *args)


def uid(name):
    return q("SELECT id FROM users WHERE username = ?", name)[0][0]


def now():
    """The programs' clock, in seconds."""
    return time.time() + OFFSET[0]


def advance(seconds):
    OFFSET[0] += seconds
    S.set_clock(OFFSET[0])


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user])


LIST = {}


def list_id(user="alice"):
    if user not in LIST:
        r = req("POST", "/api/lists/", {"name": "Reminders of " + user}, user=user)
        eq(r.status, 201, "list: %r" % r)
        LIST[user] = r.json["id"]
    return LIST[user]


def task(name, deadline, user="alice", **fields):
    body = dict(name=name, complete_before=iso(deadline), **fields)
    r = req("POST", "/api/lists/%d/tasks/" % list_id(user), body, user=user)
    eq(r.status, 201, "task: %r" % r)
    return r.json


def patch(t, user="alice", **fields):
    r = req("PATCH", "/api/tasks/%d/" % t["id"], dict(fields, updated_at=t["updated_at"]),
            user=user)
    eq(r.status, 200, "patch: %r" % r)
    return r.json


def reminders_to(user, name=None):
    """The reminder texts Telegram accepted for user (about task name)."""
    return [t for t in TG.texts(CHAT[user]) if t.startswith("Напоминание")
            and (name is None or "'%s'" % name in t)]


def worker_once():
    p = S.cli("worker", "--once")
    eq(p.returncode, 0, "worker --once: %s%s" % (p.stdout, p.stderr))
    return p


def spawn_worker(env):
    """`taskmgr worker`, its standard error in the log the harness checks for
    sanitizer reports."""
    with open(S.log, "a") as err:
        return subprocess.Popen([S.taskmgr, "worker"], env=env, stdout=subprocess.DEVNULL,
                                stderr=err)


def swept_at():
    rows = q("SELECT value FROM telegram_state WHERE name = 'overdue_sweep_at'")
    return rows[0][0] if rows else 0


def start_worker():
    """Starts `taskmgr worker` and waits for its first sweep (it is then running)."""
    before = swept_at()
    w = spawn_worker(S.env)
    try:
        TG.wait_for(lambda: swept_at() > before, timeout=20, what="the worker's first sweep")
    except AssertionError:
        _terminate(w.pid, w)
        raise
    return w


def text_of(name, deadline):
    local = datetime.datetime.fromtimestamp(deadline, MSK)
    return "Напоминание: срок задачи '%s' — %s MSK" % (name, local.strftime("%Y-%m-%d %H:%M"))


# -- the API ------------------------------------------------------------------

def test_reminders_field_defaults_to_null_and_round_trips():
    t = task("Field", now() + 7200)
    eq(t["reminders"], None, "default")
    t = patch(t, reminders=[1440, 30])
    eq(t["reminders"], [1440, 30], "own list, in order")
    r = req("GET", "/api/tasks/%d/" % t["id"])
    eq(r.json["reminders"], [1440, 30], "read back")
    page = req("GET", "/api/lists/%d/tasks/" % list_id()).json["results"]
    eq([x["reminders"] for x in page if x["id"] == t["id"]], [[1440, 30]], "in pages")
    t = patch(t, reminders=[])
    eq(t["reminders"], [], "none")
    t = patch(t, reminders=None)
    eq(t["reminders"], None, "back to the default")
    r = req("PUT", "/api/tasks/%d/" % t["id"], {"name": "Field", "updated_at": t["updated_at"],
                                               "reminders": [5]})
    eq((r.status, r.json["reminders"]), (200, [5]), "PUT")


def test_reminders_validation():
    t = task("Invalid", now() + 7200)
    cases = [
        ("60", "Expected a list of items."),
        ({"a": 1}, "Expected a list of items."),
        ([1, 2, 3, 4, 5, 6], "Ensure this field has no more than 5 elements."),
        ([0], "Ensure each value is between 1 and 525600."),
        ([525601], "Ensure each value is between 1 and 525600."),
        ([1.5], "A valid integer is required."),
        (["60"], "A valid integer is required."),
        ([True], "A valid integer is required."),
        ([60, 60], "Offsets must be distinct."),
    ]
    for value, msg in cases:
        r = req("PATCH", "/api/tasks/%d/" % t["id"],
                {"reminders": value, "updated_at": t["updated_at"]})
        eq((r.status, r.json), (400, {"reminders": [msg]}), "reminders=%r" % (value,))
    r = req("POST", "/api/lists/%d/tasks/" % list_id(), {"name": "Bad", "reminders": [0]})
    eq(r.status, 400, "create refuses it too")
    r = req("PATCH", "/api/tasks/%d/" % t["id"],
            {"reminders": [525600, 1, 2, 3, 4], "updated_at": t["updated_at"]})
    eq((r.status, r.json["reminders"]), (200, [525600, 1, 2, 3, 4]), "the bounds")


# -- the worker -----------------------------------------------------------------

def test_a_reminder_arrives_once_with_the_deadline_in_the_recipients_zone():
    deadline = now() + 2 * 3600
    t = task("Отчёт", deadline, assigned_to=uid("bob"), reminders=[60])
    worker_once()
    eq(reminders_to("bob", "Отчёт"), [], "not before its time")
    advance(3600 + 5)
    worker_once()
    eq(reminders_to("bob", "Отчёт"), [text_of("Отчёт", deadline)], "one reminder")
    worker_once()
    patch(t, name="Отчёт", description="an edit that is not a reschedule")
    worker_once()
    eq(len(reminders_to("bob", "Отчёт")), 1, "never twice")
    ev = req("GET", "/api/events/?after=0", user="bob").json["results"]
    rem = [e for e in ev if e["type"] == "task_reminder" and e.get("task") == t["id"]]
    eq(len(rem), 1, "one task_reminder event: %r" % ev[-3:])
    eq(rem[0]["message"], text_of("Отчёт", deadline), "its text")
    eq(reminders_to("alice", "Отчёт"), [], "the owner gets none (bob is the recipient)")
    eq(q("SELECT actor_id FROM task_activity WHERE task_id = ? AND action = 'reminded'",
         t["id"]), [(None,)], "one 'reminded' row in the task's history, by the worker")


def test_a_moved_deadline_reschedules_the_reminder():
    deadline = now() + 2 * 3600
    t = task("Moved", deadline, reminders=[60])
    later = deadline + 3 * 3600
    patch(t, complete_before=iso(later))
    advance(3600 + 5)
    worker_once()
    eq(reminders_to("alice", "Moved"), [], "not at the old time")
    advance(3 * 3600)
    worker_once()
    eq(reminders_to("alice", "Moved"), [text_of("Moved", later)], "at the new time")


def test_a_completed_task_gets_none():
    t = task("Done early", now() + 2 * 3600, assigned_to=uid("bob"))
    r = req("POST", "/api/tasks/%d/complete/" % t["id"], user="bob")
    eq(r.status, 200, "completed: %r" % r)
    eq(q("SELECT count(*) FROM reminders WHERE task_id = ? AND state = 0", t["id"]),
       [(0,)], "nothing waits")
    advance(3600 + 5)
    worker_once()
    eq(reminders_to("bob", "Done early"), [], "no reminder")


def test_changing_the_assignee_moves_the_reminder():
    deadline = now() + 2 * 3600
    t = task("Handed over", deadline, assigned_to=uid("bob"))
    patch(t, assigned_to=uid("carol"))
    advance(3600 + 5)
    worker_once()
    eq(reminders_to("bob", "Handed over"), [], "not to the previous assignee")
    eq(reminders_to("carol", "Handed over"), [text_of("Handed over", deadline)],
       "to the new one (the default offset, 60)")


def test_new_default_offsets_reschedule_the_tasks_that_follow_them():
    deadline = now() + 3 * 3600
    follows = task("Follows", deadline, assigned_to=uid("bob"))
    own = task("Own", deadline, assigned_to=uid("bob"), reminders=[30])
    r = req("PATCH", "/api/auth/me/", {"reminder_offsets": [120]}, user="bob")
    eq((r.status, r.json.get("reminder_offsets")), (200, [120]), "me: %r" % r)
    try:
        eq(q("SELECT offset_min FROM reminders WHERE task_id = ? AND state = 0",
             follows["id"]), [(120,)], "rescheduled in the same write")
        eq(q("SELECT offset_min FROM reminders WHERE task_id = ? AND state = 0",
             own["id"]), [(30,)], "a task's own list stays")
        advance(3600 + 5)
        worker_once()
        eq(reminders_to("bob", "Follows"), [text_of("Follows", deadline)],
           "two hours before")
    finally:
        r = req("PATCH", "/api/auth/me/", {"reminder_offsets": None}, user="bob")
        eq(r.status, 200, "back to the default")


def test_the_worker_wakes_for_a_reminder_and_on_a_write():
    w = start_worker()
    try:
        # written while the worker sleeps (worker_poll_ms is a minute):
        # the commit wakes it, it learns when the reminder is due
        deadline = now() + 2 * 3600
        task("Woken", deadline, reminders=[60])
        # a reminder due at once (deadline in 30 minutes, offset 60)
        task("At once", now() + 1800, reminders=[60])
        TG.wait_for(lambda: reminders_to("alice", "At once"), timeout=20,
                    what="the reminder due at once")
        advance(3600 + 5)
        TG.wait_for(lambda: reminders_to("alice", "Woken"), timeout=20,
                    what="the reminder at its time")
    finally:
        _terminate(w.pid, w)
    eq(reminders_to("alice", "Woken"), [text_of("Woken", deadline)], "once")


def test_a_worker_stopped_across_the_due_time_sends_it_on_restart():
    deadline = now() + 2 * 3600
    task("While down", deadline, assigned_to=uid("bob"))
    gone = task("Too late", now() + 1.5 * 3600, assigned_to=uid("bob"), reminders=[60])
    w = start_worker()
    _terminate(w.pid, w)
    # down from 2 h before until 10 minutes after "Too late"'s deadline
    advance(1.5 * 3600 + 600)
    w = start_worker()
    try:
        TG.wait_for(lambda: reminders_to("bob", "While down"), timeout=20,
                    what="the reminder after the restart")
    finally:
        _terminate(w.pid, w)
    eq(reminders_to("bob", "While down"), [text_of("While down", deadline)], "sent once")
    eq(reminders_to("bob", "Too late"), [], "none once its deadline passed")
    # the restart's overdue sweep unscheduled it
    eq(q("SELECT count(*) FROM reminders WHERE task_id = ?", gone["id"]), [(0,)],
       "nothing left of it")


def test_a_reminder_whose_deadline_passed_before_it_went_out_is_dropped():
    w = start_worker()
    try:
        t = task("Skipped", now() + 2 * 3600, reminders=[30])
        # the clock jumps past the deadline before the worker's next sweep
        advance(2 * 3600 + 60)
        TG.wait_for(lambda: q("SELECT state FROM reminders WHERE task_id = ?",
                              t["id"]) == [(2,)], timeout=20, what="the reminder dropped")
    finally:
        _terminate(w.pid, w)
    eq(reminders_to("alice", "Skipped"), [], "not sent")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_worker_does_not_spin_on_work_it_cannot_finish():
    # no bot token: a notice due now stays pending; the worker must still sleep
    with db() as c:
        c.execute("INSERT INTO outbox (user_id, text, next_attempt_at, created_at)"
                  " VALUES (?, 'undeliverable', 0, 0)", (uid("alice"),))
    env = dict(S.env, TASKMGR_TELEGRAM_BOT_TOKEN="")
    w = spawn_worker(env)
    try:
        time.sleep(3)
        used = cpu_seconds(w.pid)
    finally:
        _terminate(w.pid, w)
        with db() as c:
            c.execute("UPDATE outbox SET status = 3 WHERE text = 'undeliverable'")
    assert used < 0.5, "the waiting worker used %.2f s of CPU in 3 s" % used


def test_metrics_count_the_waiting_reminders():
    task("Gauge", now() + 10 * 3600, reminders=[60, 120])
    want = q("SELECT count(*) FROM reminders WHERE state = 0")[0][0]
    assert want >= 2, want
    r = S.request("GET", "/metrics")
    eq(r.status, 200, "metrics")
    line = [x for x in r.body.decode().splitlines()
            if x.startswith("taskmgr_reminders_pending ")]
    eq(line, ["taskmgr_reminders_pending %d" % want], "the gauge")


# -- the daily digest ------------------------------------------------------------

def digests(user):
    return [t for t in TG.texts(CHAT[user]) if t.startswith("Сводка на")]


def move_to(utc):
    """Moves the fake clock to the UTC date-time utc."""
    advance(utc.timestamp() - now())


def test_the_digest_comes_once_per_local_day_across_dst():
    # dave: Berlin time, a digest at 02:30 (skipped on 2027-03-28, twice on
    # 2027-10-31)
    U = datetime.timezone.utc
    move_to(datetime.datetime(2027, 3, 26, 12, 0, tzinfo=U))
    r = req("PATCH", "/api/auth/me/", {"time_zone": "Europe/Berlin",
                                       "daily_digest_at": "02:30"}, user="dave")
    eq(r.status, 200, "me: %r" % r)
    worker_once()
    eq(digests("dave"), [], "no open task: no digest")
    task("Digest me", now() + 20 * 3600, user="dave")
    task("Not yet", now() + 30 * 24 * 3600, user="dave")
    seen = [0]

    def at(y, mo, d, h, mi, n, what):
        move_to(datetime.datetime(y, mo, d, h, mi, tzinfo=U))
        worker_once()
        got = digests("dave")
        eq(len(got) - seen[0], n, what)
        seen[0] = len(got)
        return got

    at(2027, 3, 27, 1, 29, 0, "03-27 02:29 CET: not yet")
    got = at(2027, 3, 27, 1, 31, 1, "03-27 02:31 CET: one")
    assert "'Digest me'" in got[-1] and "Not yet" not in got[-1], got[-1]
    assert "2027-03-27" in got[-1], got[-1]
    at(2027, 3, 27, 20, 0, 0, "same local day: none")
    at(2027, 3, 28, 1, 29, 0, "03-28 03:29 CEST (02:30 skipped): not yet")
    at(2027, 3, 28, 1, 31, 1, "03-28 03:31 CEST: one")
    at(2027, 3, 28, 21, 0, 0, "03-28 23:00 CEST: none")
    # the overlap: 02:30 CEST (00:30 UTC) and 02:30 CET (01:30 UTC)
    task("Autumn", datetime.datetime(2027, 10, 31, 12, 0, tzinfo=U).timestamp(),
         user="dave")
    at(2027, 10, 31, 0, 31, 1, "10-31 the first 02:30: one")
    at(2027, 10, 31, 1, 31, 0, "10-31 the second 02:30: none")
    w = start_worker()
    try:
        move_to(datetime.datetime(2027, 11, 1, 1, 31, tzinfo=U))
        TG.wait_for(lambda: len(digests("dave")) == seen[0] + 1, timeout=20,
                    what="the running worker's digest")
        seen[0] += 1
    finally:
        _terminate(w.pid, w)
    at(2027, 11, 1, 2, 0, 0, "a restart sends no second one that day")
    eq(q("SELECT digest_last_day FROM users WHERE username = 'dave'"), [("2027-11-01",)],
       "the day kept")


if __name__ == "__main__":
    run_tests(globals())
