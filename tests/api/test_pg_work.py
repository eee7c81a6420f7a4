#!/usr/bin/env python3
"""The worker, the bot, the per-host files and the commands on PostgreSQL
(README "PostgreSQL and several hosts"), on a throwaway cluster
(test_postgresql.py's: initdb in a folder under /tmp, a unix socket only,
run as nobody when the tests run as root):

- the rate limits and the metrics in state_dir: a login answers 429 after
  its limit, GET /metrics counts the requests;
- the running worker: an overdue task's notice delivered to a fake Telegram
  exactly once, a webhook delivery reaching a loopback receiver;
- the bot: /start <code> links an account; an update another bot handled
  while this one waited for the offset's row is not answered twice;
- createsuperuser, passwd, users and sweep.

Every process started is stopped by its PID; every wait is bounded.  SKIP
without --with-postgresql or without PostgreSQL (Debian postgresql-15).
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SANITIZER_MARKS, Server, _terminate, eq, run_tests  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402
from hook_receiver import Receiver  # noqa: E402
import test_postgresql as pg  # noqa: E402

S = None        # a server on the database "work"
TG = None
RX = None
STATE = None    # its state_dir
PROCS = []      # (Popen, log path) of every worker and bot started here


def setup_module():
    global S, TG, RX, STATE
    pg.setup_module()
    if pg.PG is None:
        return
    uri = pg.migrated("work")
    TG = FakeTelegram().start()
    RX = Receiver()
    STATE = pg.scratch_dir("pgstate-")
    S = Server(migrate=False, config={
        "database": uri,
        "state_dir": STATE,
        "throttle_login": "3/minute",
        "telegram_bot_token": TOKEN,
        "telegram_bot_name": "taskmgr_test_bot",
        "telegram_api_base": TG.base,
        "telegram_timeout": "2",
        "telegram_poll_timeout": "1",
        "telegram_retry_base_ms": "100",
        "telegram_chat_interval_ms": "0",
        "overdue_sweep_interval": "1",
        "worker_poll_ms": "1000",
        "webhook_allow_http": "yes",
        "webhook_allow_hosts": "127.0.0.1",
    }).start()


def teardown_module():
    for p, _ in PROCS:
        _terminate(p.pid, p)
    if S is not None:
        S.stop()
    if TG is not None:
        TG.stop()
    if RX is not None:
        RX.stop()
    pg.teardown_module()
    for _, log in PROCS:
        with open(log, errors="replace") as f:
            text = f.read()
        for mark in SANITIZER_MARKS:
            assert mark not in text, "%s: %s" % (log, text[-3000:])


def q(sql):
    return pg.PG.query("work", sql)


def start(*args, env=None):
    """taskmgr args running in the background, its output in a log of its own."""
    log = os.path.join(S.dir, "%s-%d.log" % (args[0], len(PROCS)))
    p = subprocess.Popen([S.taskmgr] + list(args), env=dict(S.env, **(env or {})),
                         stdin=subprocess.DEVNULL,
                         stdout=open(log, "w"), stderr=subprocess.STDOUT)
    PROCS.append((p, log))
    return p


def stop(p):
    _terminate(p.pid, p)


def need():
    pg.need_cluster()
    assert S is not None


def uid(name):
    return int(q("SELECT id FROM users WHERE username = '%s'" % name)[0][0])


def user(name):
    """A registered user's access token (made once)."""
    if not q("SELECT id FROM users WHERE username = '%s'" % name):
        S.create_user(name, staff=False)
    return S.login(name)


# ---- the per-host files -----------------------------------------------------

def test_login_is_throttled_and_metrics_count_in_state_dir():
    need()
    for i in range(3):
        r = S.post("/api/auth/token/", {"username": "nobody-here", "password": "wrong-%d" % i})
        eq(r.status, 401, r.body)
    r = S.post("/api/auth/token/", {"username": "nobody-here", "password": "wrong"})
    eq(r.status, 429, "the fourth login within a minute: %s" % r.body)
    assert os.path.exists(os.path.join(STATE, "taskmgr-limits")), os.listdir(STATE)
    r = S.get("/metrics")
    eq(r.status, 200, r.body)
    text = r.body.decode()
    assert "taskmgr_http_requests_total{" in text, text[:2000]
    assert "taskmgr_database_up 1" in text, text[:2000]
    assert os.path.exists(os.path.join(STATE, "taskmgr-metrics")), os.listdir(STATE)
    errors = [line for line in S.log_text().splitlines() if "Z error " in line]
    eq(errors, [], "no error logged")


def test_check_config_shows_state_dir():
    need()
    p = S.cli("check-config")
    eq(p.returncode, 0, p.stderr)
    assert "state_dir = %s\n" % STATE in p.stdout, p.stdout


# ---- the commands -----------------------------------------------------------

def test_createsuperuser_passwd_users_and_sweep():
    need()
    p = S.cli("createsuperuser", "--username", "pgroot", "--password-stdin",
              input="correct-horse-battery\n")
    eq(p.returncode, 0, p.stdout + p.stderr)
    eq(q("SELECT is_staff, is_superuser FROM users WHERE username = 'pgroot'"), [("1", "1")],
       "a staff user in PostgreSQL")
    S.login("pgroot")
    p = S.cli("passwd", "pgroot", "--password-stdin", input="another-horse-battery\n")
    eq(p.returncode, 0, p.stdout + p.stderr)
    r = S.post("/api/auth/token/", {"username": "pgroot", "password": "another-horse-battery"})
    eq(r.status, 200, "the new password: %s" % r.body)
    p = S.cli("users")
    eq(p.returncode, 0, p.stderr)
    assert any(line.split()[1:2] == ["pgroot"] for line in p.stdout.splitlines()), p.stdout
    tok = user("sweepy")
    r = S.post("/api/lists/", {"name": "Sweep"}, token=tok)
    eq(r.status, 201, r.body)
    r = S.post("/api/lists/%d/tasks/" % r.json["id"],
               {"name": "Late", "complete_before": "2020-01-01T00:00:00Z"}, token=tok)
    eq(r.status, 201, r.body)
    p = S.cli("sweep")
    eq((p.returncode, p.stdout), (0, "marked 1 task overdue\n"), p.stderr)
    eq(q("SELECT status FROM tasks WHERE id = %d" % r.json["id"]), [("Overdue",)], "swept")
    p = S.cli("sweep")
    eq((p.returncode, p.stdout), (0, "marked 0 tasks overdue\n"), p.stderr)


# ---- the worker -------------------------------------------------------------

def test_the_worker_delivers_an_overdue_notice_once_and_a_webhook():
    need()
    tok = user("wendy")
    q("UPDATE users SET telegram_id = 7001 WHERE username = 'wendy'")
    r = S.post("/api/lists/", {"name": "Worker"}, token=tok)
    eq(r.status, 201, r.body)
    lid = r.json["id"]
    r = S.post("/api/webhooks/", {"url": RX.url("/hook"), "events": ["task.created"],
                                  "list_id": lid}, token=tok)
    eq(r.status, 201, r.body)
    w = start("worker")
    try:
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
        r = S.post("/api/lists/%d/tasks/" % lid,
                   {"name": "Soon late", "assigned_to": uid("wendy"), "complete_before": soon,
                    "reminders": []}, token=tok)
        eq(r.status, 201, r.body)
        tid = r.json["id"]
        TG.wait_for(lambda: "Задача 'Soon late' просрочена!" in TG.texts(7001), timeout=30,
                    what="the overdue notice from the worker on PostgreSQL")
        TG.wait_for(lambda: any(p == "/hook" for p, _ in RX.got), timeout=30,
                    what="the webhook delivery")
        # a few more passes: nothing is sent again
        time.sleep(2.5)
    finally:
        stop(w)
    eq(TG.texts(7001), ["Задача 'Soon late' просрочена!"], "the notice once")
    bodies = RX.bodies("/hook")
    eq(len(bodies), 1, "one delivery")
    assert b'"event":"task.created"' in bodies[0] and b'"Soon late"' in bodies[0], bodies
    eq(q("SELECT status FROM tasks WHERE id = %d" % tid), [("Overdue",)], "swept")
    eq(q("SELECT count(*) FROM outbox WHERE status = 0"), [("0",)], "nothing waits")
    p = S.cli("worker", "--once")
    eq(p.stdout, "worker: swept 0 overdue, sent 0, retried 0, given up 0\n", p.stderr)
    eq(p.returncode, 0, p.stderr)
    log = S.log_text()
    assert "worker: leads on this database" in log, log
    errors = [line for line in log.splitlines() if "Z error " in line]
    eq(errors, [], "no error logged")


def test_a_commit_wakes_the_waiting_worker():
    """worker_poll_ms at its longest (a minute) and no sweep due for an hour:
    only the wake-up on another connection's commit (a hash of PostgreSQL's
    snapshot, polled) makes it deliver a new webhook delivery soon."""
    need()
    tok = user("walt")
    r = S.post("/api/webhooks/", {"url": RX.url("/wake"), "events": ["list.created"]},
               token=tok)
    eq(r.status, 201, r.body)
    leads = S.log_text().count("worker: leads on this database") + 1
    w = start("worker", env={"TASKMGR_WORKER_POLL_MS": "60000",
                             "TASKMGR_OVERDUE_SWEEP_INTERVAL": "3600"})
    try:
        TG.wait_for(lambda: S.log_text().count("worker: leads on this database") == leads,
                    timeout=20, what="the worker leads")
        time.sleep(1)   # its first pass is over: it waits
        r = S.post("/api/lists/", {"name": "Wake up"}, token=tok)
        eq(r.status, 201, r.body)
        TG.wait_for(lambda: any(p == "/wake" for p, _ in RX.got), timeout=30,
                    what="the delivery, well before worker_poll_ms")
    finally:
        stop(w)
    bodies = RX.bodies("/wake")
    eq(len(bodies), 1, "one delivery")
    assert b'"Wake up"' in bodies[0], bodies


def test_a_commit_while_the_worker_reads_wakes_it_too():
    """A reminder scheduled while the worker's pass is still reading (after
    it looked at the reminders): the wait after that pass wakes for it, not
    worker_poll_ms (a minute) later.  The pass is held at its webhook query
    by a table lock the test takes, and the task is created meanwhile."""
    need()
    tok = user("rita")
    q("UPDATE users SET telegram_id = 7003 WHERE username = 'rita'")
    r = S.post("/api/lists/", {"name": "Held"}, token=tok)
    eq(r.status, 201, r.body)
    lid = r.json["id"]
    leads = S.log_text().count("worker: leads on this database") + 1
    w = start("worker", env={"TASKMGR_WORKER_POLL_MS": "60000",
                             "TASKMGR_OVERDUE_SWEEP_INTERVAL": "3600"})
    lock = None
    try:
        TG.wait_for(lambda: S.log_text().count("worker: leads on this database") == leads,
                    timeout=20, what="the worker leads")
        time.sleep(1)   # its first pass is over: it waits
        lock = subprocess.Popen(
            pg.PG.psql_cmd("work", "")[:-2] + ["-f", "-"], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # a commit wakes the worker; its pass stops at the webhooks
        lock.stdin.write("BEGIN;\nLOCK TABLE webhook_deliveries IN ACCESS EXCLUSIVE MODE;\n")
        lock.stdin.flush()
        deadline = time.time() + 20
        while not q("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                    " WHERE c.relname = 'webhook_deliveries' AND l.granted"
                    " AND l.mode = 'AccessExclusiveLock'"):
            assert time.time() < deadline, "the lock is taken"
            time.sleep(0.05)
        q("UPDATE users SET last_login = last_login WHERE username = 'rita'")
        while not q("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE '%webhook_deliveries d%'"):
            assert w.poll() is None, open(PROCS[-1][1]).read()
            assert time.time() < deadline, "the worker's pass waits for the lock"
            time.sleep(0.05)
        # due at once: the deadline in 30 minutes, the reminder an hour before
        due = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1800))
        r = S.post("/api/lists/%d/tasks/" % lid, {"name": "Held up", "complete_before": due,
                                                  "reminders": [60]}, token=tok)
        eq(r.status, 201, r.body)
        lock.stdin.write("COMMIT;\n")
        lock.stdin.close()
        eq(lock.wait(20), 0, "the lock's transaction committed")
        TG.wait_for(lambda: any("Held up" in t for t in TG.texts(7003)), timeout=20,
                    what="the reminder, well before worker_poll_ms")
    finally:
        if lock is not None:
            _terminate(lock.pid, lock)
        stop(w)
    eq(len(TG.texts(7003)), 1, "one reminder: %r" % TG.texts(7003))


# ---- the bot ----------------------------------------------------------------

def test_the_bot_links_an_account_with_start_code():
    need()
    tok = user("bella")
    r = S.request("POST", "/api/auth/telegram/link/", token=tok)
    eq(r.status, 200, r.body)
    TG.message(8001, "/start " + r.json["link_token"])
    p = S.cli("bot", "--once")
    eq(p.returncode, 0, p.stdout + p.stderr)
    eq(q("SELECT telegram_id FROM users WHERE username = 'bella'"), [("8001",)], "linked")
    eq(len(TG.texts(8001)), 1, "one answer: %r" % TG.texts(8001))
    # the offset moved past it: the next round answers nothing again
    p = S.cli("bot", "--once")
    eq(p.returncode, 0, p.stdout + p.stderr)
    eq(len(TG.texts(8001)), 1, "not answered twice: %r" % TG.texts(8001))


def test_an_update_handled_by_another_bot_meanwhile_is_not_answered():
    """A bot fetched an update; another (the new leader of a takeover) holds
    the offset's row in its transaction for that update.  The first waits
    for it, then finds the offset past the update, and does not answer."""
    need()
    offset = int(q("SELECT value FROM telegram_state WHERE name = 'offset'")[0][0])
    upd = TG.message(8002, "/help")
    eq(upd, offset, "the next update")
    other = subprocess.Popen(
        pg.PG.psql_cmd("work", "")[:-2] + ["-f", "-"], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        other.stdin.write("BEGIN;\nUPDATE telegram_state SET value = %d WHERE name = 'offset';\n"
                          % (upd + 1))
        other.stdin.flush()
        deadline = time.time() + 20
        while q("SELECT value FROM telegram_state WHERE name = 'offset'") != [(str(offset),)] \
                or not q("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                         " WHERE c.relname = 'telegram_state' AND l.mode = 'RowExclusiveLock'"):
            assert time.time() < deadline, "the other transaction holds the row"
            time.sleep(0.05)
        bot = start("bot", "--once")
        deadline = time.time() + 20
        while not q("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock'"):
            assert bot.poll() is None, open(PROCS[-1][1]).read()
            assert time.time() < deadline, "the bot waits for the offset's row"
            time.sleep(0.05)
        other.stdin.write("COMMIT;\n")
        other.stdin.close()
        eq(other.wait(20), 0, "the other transaction committed")
        eq(bot.wait(30), 0, open(PROCS[-1][1]).read())
    finally:
        _terminate(other.pid, other)
    eq(TG.texts(8002), [], "the update was the other bot's to answer")
    eq(q("SELECT value FROM telegram_state WHERE name = 'offset'"), [(str(upd + 1),)], "offset")


if __name__ == "__main__":
    run_tests(globals())
