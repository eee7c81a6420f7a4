#!/usr/bin/env python3
"""One worker and one bot per database, the others standbys (README
"PostgreSQL and several hosts"): two `taskmgr worker`s (two `taskmgr bot`s)
on one SQLite database, each talking to its own fake Telegram server, so that
which process sends (polls) is plain; the leader killed -9, the standby takes
over; `--once` beside a running one does nothing and exits 4.  The
PostgreSQL side (an advisory lock on a connection of its own) is tested with
tests/support/leader_probe on a throwaway cluster (test_postgresql.py's).

Every process started is stopped by its PID; every wait is bounded.
"""
import fcntl
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SANITIZER_MARKS, TASKMGR, TOP_BUILDDIR, Server, _terminate,  # noqa: E402
                     eq, read_text as read, run_tests, sqlite_only, wait_for)
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402
from hook_receiver import Receiver  # noqa: E402
import test_postgresql as pg  # noqa: E402

PROBE = os.path.join(TOP_BUILDDIR, "tests", "support", "leader_probe")
S = None
TG = None       # the fake Telegram of the first process of each pair
TG2 = None      # ... and of the second
PROCS = []      # (Popen, log path) of every process started here


def setup_module():
    global S, TG, TG2
    TG = FakeTelegram().start()
    TG2 = FakeTelegram().start()
    S = Server(workers=1, config={
        "telegram_bot_token": TOKEN,
        "telegram_api_base": TG.base,
        "telegram_timeout": "2",
        "telegram_poll_timeout": "1",
        "telegram_retry_base_ms": "100",
        "telegram_chat_interval_ms": "0",
        "worker_poll_ms": "50",
        "webhook_allow_http": "yes",
        "webhook_allow_hosts": "127.0.0.1",
    }).start()
    S.create_user("alice")
    with db() as c:
        c.execute("UPDATE users SET telegram_id = 9001 WHERE username = 'alice'")
    pg.setup_module()


def teardown_module():
    for p, _ in PROCS:
        _terminate(p.pid, p)
    pg.teardown_module()
    S.stop()
    TG.stop()
    TG2.stop()
    for _, log in PROCS:
        text = read(log)
        for mark in SANITIZER_MARKS:
            assert mark not in text, "%s: %s" % (log, text[-3000:])


def db():
    c = S.connect()
    return c


def start(name, *args, fake=None):
    """taskmgr ARGS logging to its own file (and talking to fake); (Popen, log path)."""
    log = os.path.join(S.dir, "%s-%d.log" % (name, len(PROCS)))
    env = dict(S.env, TASKMGR_LOG_FILE=log)
    if fake is not None:
        env["TASKMGR_TELEGRAM_API_BASE"] = fake.base
    p = subprocess.Popen([TASKMGR] + list(args), env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append((p, log))
    return p, log


def wait_log(log, text, proc=None):
    def seen():
        if proc is not None and proc.poll() is not None:
            raise AssertionError("exited (%s): %s" % (proc.returncode, read(log)))
        return text in read(log)
    wait_for(seen, "%r in %s" % (text, log))


def fresh():
    """A test's start: both fake servers reset, whatever an earlier test left running stopped."""
    TG.reset()
    TG2.reset()
    # update ids go on from the highest either server handed out (the offset is stored)
    TG.next_update = TG2.next_update = max(TG.next_update, TG2.next_update)
    for p, _ in PROCS:
        if p.poll() is None:
            _terminate(p.pid, p)


def kill9(p):
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)


def queue(*texts):
    with db() as c:
        now = int(time.time() * 1e6)
        uid = c.execute("SELECT id FROM users WHERE username = 'alice'").fetchone()[0]
        return [c.execute("INSERT INTO outbox (user_id, text, next_attempt_at, created_at)"
                          " VALUES (?, ?, ?, ?)", (uid, t, now, now)).lastrowid
                for t in texts]


def delivered(ids):
    with db() as c:
        return all(c.execute("SELECT status FROM outbox WHERE id = ?", (i,)).fetchone()[0] == 1
                   for i in ids)


def stop(p):
    p.send_signal(signal.SIGTERM)
    eq(p.wait(15), 0, "clean exit")


LEADS = ": leads on this database"
WAITS = "leads on this database; waiting as a standby"
TOOK_OVER = "took over as the leader"


# -- the worker ----------------------------------------------------------------

def test_two_workers_one_delivers_and_the_standby_takes_over_after_kill_9():
    fresh()
    a, alog = start("worker-a", "worker")
    wait_log(alog, LEADS, a)
    b, blog = start("worker-b", "worker", fake=TG2)
    wait_log(blog, WAITS, b)
    eq(read(blog).count("standby"), 1, "one line when it starts waiting")
    # each notice exactly once, all by the leader (with both delivering the
    # standby's fake server would get some of these)
    texts = ["n%d" % i for i in range(20)]
    ids = queue(*texts)
    wait_for(lambda: delivered(ids), "the leader's deliveries")
    eq(sorted(TG.texts(9001)), sorted(texts), "each notice exactly once, by the leader")
    eq(TG2.calls_of("sendMessage"), [], "nothing from the standby")
    assert a.poll() is None and b.poll() is None, "both still running"

    kill9(a)
    wait_log(blog, TOOK_OVER, b)
    eq(read(blog).count(TOOK_OVER), 1, "one line when it takes over")
    ids = queue("after the failover")
    wait_for(lambda: delivered(ids), "the new leader's delivery")
    eq(TG2.texts(9001), ["after the failover"], "delivered by the standby, once")
    eq(len(TG.texts(9001)), len(texts), "nothing more through the dead leader's server")
    stop(b)


def test_a_leader_whose_lock_file_is_removed_stops_mid_pass():
    # the lead lost in the middle of a pass (PostgreSQL: the connection failed;
    # here the lock file removed): the pass stops before its next notice, so the
    # standby that takes the new lock does not send the same pending notices
    sqlite_only("the lock files of SQLite's election (PostgreSQL: test_pg_work.py)")
    fresh()
    a, alog = start("worker-d", "worker")
    wait_log(alog, LEADS, a)
    b, blog = start("worker-e", "worker", fake=TG2)
    wait_log(blog, WAITS, b)
    TG.delay = TG2.delay = 0.1      # 30 notices take 3 s: one pass, time to act midway
    texts = ["r%d" % i for i in range(30)]
    ids = queue(*texts)
    wait_for(lambda: len(TG.sent()) >= 3, "the leader's first deliveries")
    os.unlink(S.db + "-worker.lock")
    wait_log(alog, "was removed or replaced", a)
    wait_for(lambda: delivered(ids), "every notice delivered", timeout=30)
    got = TG.texts(9001) + TG2.texts(9001)
    eq(sorted(set(got)), sorted(texts), "every notice, by one worker or the other")
    # the one window: a send in flight when the lock went
    assert len(got) - len(set(got)) <= 1, "duplicates: %d" % (len(got) - len(set(got)))
    for p in (a, b):
        stop(p)


def test_a_worker_that_lost_the_lead_stops_its_webhook_pass():
    sqlite_only("the lock files of SQLite's election (PostgreSQL: test_pg_work.py)")
    fresh()
    rx = Receiver(delay=0.15)       # 0.15 s to answer each delivery
    try:
        tok = S.login("alice")
        r = S.request("POST", "/api/webhooks/", {"url": rx.url("/hook"), "events": ["task.created"]},
                      token=tok)
        eq(r.status, 201, "webhook: %r" % r)
        lst = S.request("POST", "/api/lists/", {"name": "hooks"}, token=tok).json
        for i in range(12):
            eq(S.request("POST", "/api/lists/%d/tasks/" % lst["id"], {"name": "h%d" % i},
                         token=tok).status, 201, "task")
        a, alog = start("worker-f", "worker")
        wait_for(lambda: len(rx.bodies("/hook")) >= 2, "the first deliveries")
        # the lock file replaced and the new one held, as another worker would
        path = S.db + "-worker.lock"
        os.unlink(path)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            wait_log(alog, "was removed or replaced", a)
            wait_log(alog, WAITS, a)
            # waiting now: its pass ended before the rest of the 12
            sent = len(rx.bodies("/hook"))
            assert sent < 12, "the pass went on: %d sent" % sent
        finally:
            os.close(fd)
        wait_log(alog, TOOK_OVER, a)
        wait_for(lambda: len(rx.bodies("/hook")) >= 12, "the rest, once it leads again")
        stop(a)
        eq(len(rx.bodies("/hook")), 12, "each delivered once")
        eq(len(set(rx.bodies("/hook"))), 12, "twelve different deliveries")
    finally:
        rx.stop()


def test_worker_once_beside_a_running_worker_does_nothing_and_exits_4():
    fresh()
    a, alog = start("worker-c", "worker")
    wait_log(alog, LEADS, a)
    env = dict(S.env, TASKMGR_TELEGRAM_API_BASE=TG2.base)
    ids = queue("once")
    p = subprocess.run([TASKMGR, "worker", "--once"], env=env, capture_output=True,
                       text=True, timeout=30)
    eq(p.returncode, 4, "worker --once exit status (%s)" % p.stderr)
    eq(p.stdout, "worker: another worker runs on this database; nothing done\n",
       "said so, and no summary: no round ran")
    wait_for(lambda: delivered(ids), "the running worker's delivery")
    eq(TG2.calls_of("sendMessage"), [], "--once sent nothing")
    stop(a)
    # alone, --once leads and runs its round
    ids = queue("once alone")
    p = subprocess.run([TASKMGR, "worker", "--once"], env=env, capture_output=True,
                       text=True, timeout=30)
    eq(p.returncode, 0, "worker --once alone (%s)" % p.stderr)
    eq(TG2.texts(9001), ["once alone"], "sent by --once")


# -- the bot -------------------------------------------------------------------

def test_two_bots_one_polls_and_the_standby_takes_over_after_kill_9():
    fresh()
    a, alog = start("bot-a", "bot")
    wait_log(alog, LEADS, a)
    b, blog = start("bot-b", "bot", fake=TG2)
    wait_log(blog, WAITS, b)
    TG.message(9101, "/help")
    wait_for(lambda: len(TG.sent(9101)) == 1, "the leader's answer")
    n = len(TG.calls_of("getUpdates"))
    wait_for(lambda: len(TG.calls_of("getUpdates")) >= n + 2, "two more polls by the leader")
    eq(TG2.calls_of("getUpdates"), [], "the standby never polls")

    kill9(a)
    wait_log(blog, TOOK_OVER, b)
    TG2.next_update = TG.next_update    # update ids go on from the first server's
    TG2.message(9102, "/help")
    wait_for(lambda: len(TG2.sent(9102)) == 1, "the new leader's answer")
    n = len(TG.calls_of("getUpdates"))
    eq(TG.calls_of("sendMessage")[-1]["chat_id"], 9101, "nothing more through the old one")
    stop(b)
    eq(len(TG.calls_of("getUpdates")), n, "the dead leader's server not polled since")


def test_a_bot_that_lost_the_lead_during_a_long_poll_leaves_its_updates():
    sqlite_only("the lock files of SQLite's election (PostgreSQL: test_pg_work.py)")
    fresh()
    env = dict(S.env, TASKMGR_LOG_FILE=os.path.join(S.dir, "bot-lost.log"),
               TASKMGR_TELEGRAM_POLL_TIMEOUT="20")
    log = env["TASKMGR_LOG_FILE"]
    a = subprocess.Popen([TASKMGR, "bot"], env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append((a, log))
    wait_log(log, LEADS, a)
    wait_for(lambda: len(TG.calls_of("getUpdates")) > 0, "a long poll under way")
    # the lock file replaced, and the new one held (as another bot would)
    path = S.db + "-bot.lock"
    os.unlink(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        TG.message(9201, "/help")       # the long poll returns it at once
        wait_log(log, "was removed or replaced", a)
        wait_log(log, WAITS, a)
        eq(TG.sent(9201), [], "not handled by a bot that no longer leads")
    finally:
        os.close(fd)
    # the lock free again: it leads again and handles the update, once
    wait_log(log, TOOK_OVER, a)
    wait_for(lambda: len(TG.sent(9201)) == 1, "the answer")
    stop(a)
    eq(len(TG.sent(9201)), 1, "answered once")


def test_bot_once_beside_a_running_bot_does_nothing_and_exits_4():
    fresh()
    a, alog = start("bot-c", "bot")
    wait_log(alog, LEADS, a)
    env = dict(S.env, TASKMGR_TELEGRAM_API_BASE=TG2.base)
    p = subprocess.run([TASKMGR, "bot", "--once"], env=env, capture_output=True,
                       text=True, timeout=30)
    eq(p.returncode, 4, "bot --once exit status (%s)" % p.stderr)
    eq(p.stdout, "bot: another bot runs on this database; nothing done\n", "said so")
    eq(TG2.calls, [], "--once called nothing")
    stop(a)


def test_lock_files_beside_the_database():
    sqlite_only("the lock files of SQLite's election (PostgreSQL: test_pg_work.py)")
    for what in ("worker", "bot"):
        path = S.db + "-%s.lock" % what
        st = os.stat(path)
        eq(st.st_mode & 0o777, 0o600, path + " mode")


def test_help_tells_of_the_standby_and_exit_status_4():
    for what in ("worker", "bot"):
        p = subprocess.run([TASKMGR, "help", what], capture_output=True, text=True, timeout=30)
        eq(p.returncode, 0, "help " + what)
        text = " ".join(p.stdout.split())
        assert "waits as a standby" in text or "wait as a standby" in text, text
        assert "exits 4" in text, text
    p = subprocess.run([TASKMGR, "help"], capture_output=True, text=True, timeout=30)
    assert "4 when another one runs on the database" in " ".join(p.stdout.split()), p.stdout


# -- PostgreSQL: the advisory lock -----------------------------------------------

def probe(name, uri):
    out = os.path.join(S.dir, "%s.out" % name)
    log = os.path.join(S.dir, "%s.log" % name)
    p = subprocess.Popen([PROBE, "worker", uri], stdin=subprocess.DEVNULL,
                         stdout=open(out, "w"), stderr=open(log, "w"))
    PROCS.append((p, log))
    return p, out, log


def lines(path):
    return read(path).split()


def advisory_holders(uri_db):
    """(pid, key) of every granted advisory lock, key as the 64-bit number."""
    rows = pg.PG.query(uri_db, "SELECT pid, (classid::bigint << 32) | objid::bigint "
                       "FROM pg_locks WHERE locktype = 'advisory' AND granted")
    return [(int(a), int(b)) for a, b in rows]


def test_postgresql_one_leader_a_standby_takes_over():
    pg.need_cluster()
    uri = pg.PG.createdb("standby")
    a, aout, alog = probe("pg-a", uri)
    wait_for(lambda: lines(aout) == ["leads"], "the first to lead", timeout=30)
    b, bout, blog = probe("pg-b", uri)
    wait_log(blog, WAITS, b)
    eq(lines(bout), [], "the second waits")
    holders = advisory_holders("standby")
    eq(len(holders), 1, "one advisory lock held")
    # "tm-worke" in ASCII (README)
    eq(holders[0][1], 8389411671855229797, "the worker's key")

    # the leader's process killed -9: its connection ends, the lock goes
    kill9(a)
    wait_for(lambda: lines(bout) == ["leads"], "the standby to take over", timeout=10)
    assert TOOK_OVER in read(blog), read(blog)

    # the leader's connection cut (the server restarted it, a network
    # failure): the lead is lost at once, a standby takes it
    c, cout, clog = probe("pg-c", uri)
    wait_log(clog, WAITS, c)
    pg.PG.query("standby", "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted")
    wait_for(lambda: lines(bout)[:2] == ["leads", "lost"], "the old leader to see it lost",
             timeout=10)
    assert "the connection that holds the lead failed" in read(blog), read(blog)
    leading = lambda: [o for o in (bout, cout) if lines(o)[-1:] == ["leads"]]  # noqa: E731
    wait_for(lambda: leading(), "one of them to lead again", timeout=10)
    eq(len(leading()), 1, "exactly one leads: %r %r" % (lines(bout), lines(cout)))
    eq(len(advisory_holders("standby")), 1, "one advisory lock held")
    for p in (b, c):
        stop(p)


if __name__ == "__main__":
    run_tests(globals(), time_limit=300)
