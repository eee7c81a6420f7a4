#!/usr/bin/env python3
"""Several hosts on one PostgreSQL database, on one machine (README
"PostgreSQL and several hosts", "Several hosts"):

- one throwaway cluster (test_postgresql.py's), one database migrated once;
- two "hosts", A and B: each a group of responders (spawn-fcgi, 2 children)
  with its own config file, socket and state_dir, and a worker and a bot of
  its own, each host talking to its own fake Telegram server, so which host
  sends is plain;
- one nginx: an upstream over both sockets (round robin), and one site per
  host (host.port) to address a host alone.

The tests: a write through one host is read through the other at once
(the task, deep pages with their page marks, the calendar feed's ETag, the
webhook cache); the login limit counts per host; host A's worker killed -9,
B's standby leads and sends what was queued after the kill, once; every
responder of A killed -9 under a write load through nginx, nginx answers
through B and every write that got a 2xx is there.

Every process started is stopped by its PID; every wait is bounded.  SKIP
without --with-postgresql or without PostgreSQL (Debian postgresql-15).
"""
import os
import signal
import subprocess
import sys
import threading
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (SANITIZER_MARKS, STARTED, Server, _terminate, eq,  # noqa: E402
                     free_port, nginx_site, read_text as read, run_tests, scratch_dir,
                     start_nginx, wait_for)
from admin_client import Admin  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402
from hook_receiver import Receiver  # noqa: E402
import test_postgresql as pg  # noqa: E402

# what README's "Several hosts" asks of nginx, explicit here (nginx's own
# default): a request that could not be passed to a host (its socket
# refuses: no responder left) goes to the next one; one already passed is
# not sent again, so a write is never done twice
NEXT_UPSTREAM = "    fastcgi_next_upstream error timeout;\n"
DB = "multi"
A = B = FRONT = None
TG_A = TG_B = RX = None
PROCS = []      # (Popen, log path) of every worker and bot started here
TOKENS = {}

LEADS = ": leads on this database"
WAITS = "leads on this database; waiting as a standby"
TOOK_OVER = "took over as the leader"


class Front(Server):
    """One nginx over hosts: self.port passes each request to one host in
    turn (an upstream over their sockets), and each host's own site is at
    host.port.  Stopped like a Server (its nginx, by PID)."""

    def __init__(self, hosts):
        super().__init__()
        self.hosts = hosts

    def start(self):
        self.dir = scratch_dir("front-")
        STARTED.append(self)
        self.log = os.path.join(self.dir, "none.log")     # no responder logs here
        self.port = free_port()
        # max_fails=0: nginx never sets a host aside after a failure (by
        # default for 10 s after one), so that after a host died every other
        # request still goes to it first and has to be passed on (NEXT_UPSTREAM)
        upstream = "upstream taskmgr_hosts {\n%s}\n" % "".join(
            "    server %s max_fails=0;\n" % h.fcgi_pass for h in self.hosts)
        sites = [upstream, nginx_site("127.0.0.1:%d" % self.port, "taskmgr_hosts",
                                      site_extra=NEXT_UPSTREAM,
                                      access_log=os.path.join(self.dir, "access.log"))]
        for i, h in enumerate(self.hosts):
            h.port = free_port()
            sites.append(nginx_site("127.0.0.1:%d" % h.port, h.fcgi_pass,
                                    access_log=os.path.join(self.dir, "access-%d.log" % i),
                                    log_format=False))
        self.nginx = start_nginx(self.dir, "\n".join(sites))
        for s in [self] + self.hosts:
            s.wait_ready()
        return self


def setup_module():
    global A, B, FRONT, TG_A, TG_B, RX
    pg.setup_module()
    if pg.PG is None:
        return
    uri = pg.migrated(DB)
    TG_A = FakeTelegram().start()
    TG_B = FakeTelegram().start()
    RX = Receiver()
    common = {
        "database": uri,
        # the same on every host: links, and the calendar feed with its ETag,
        # do not depend on which host answers (each host's own site here has
        # a port of its own, which the links would otherwise carry)
        "public_url": "http://tasks.example",
        "throttle_login": "3/minute",
        "telegram_bot_token": TOKEN,
        "telegram_timeout": "2",
        "telegram_poll_timeout": "1",
        "telegram_retry_base_ms": "100",
        "telegram_chat_interval_ms": "0",
        "worker_poll_ms": "50",
        "webhook_allow_http": "yes",
        "webhook_allow_hosts": "127.0.0.1",
    }
    # each host: its own folder with its config, socket, log and state_dir
    A = Server(workers=2, nginx=False, migrate=False,
               config=dict(common, telegram_api_base=TG_A.base)).start()
    # A's responders on a unix socket, B's on TCP (127.0.0.1), as on another host
    B = Server(workers=2, nginx=False, migrate=False, fcgi_tcp=True,
               config=dict(common, telegram_api_base=TG_B.base)).start()
    FRONT = Front([A, B]).start()
    A.create_user("alice")
    A.create_user("bob", staff=False)
    q("UPDATE users SET telegram_id = 9001 WHERE username = 'bob'")


def teardown_module():
    try:
        for p, _ in PROCS:
            _terminate(p.pid, p)
        for s in (FRONT, A, B):
            if s is not None:
                s.stop()
        for s in (TG_A, TG_B, RX):
            if s is not None:
                s.stop()
    finally:
        pg.teardown_module()
    for _, log in PROCS:
        text = read(log)
        for mark in SANITIZER_MARKS:
            assert mark not in text, "%s: %s" % (log, text[-3000:])


def need():
    pg.need_cluster()
    assert FRONT is not None


def q(sql):
    return pg.PG.query(DB, sql)


def user_id(name):
    return int(q("SELECT id FROM users WHERE username = '%s'" % name)[0][0])


def token(name):
    if name not in TOKENS:
        TOKENS[name] = FRONT.login(name)
    return TOKENS[name]


def ok(r, status, what):
    eq(r.status, status, "%s: %r" % (what, r))
    return r.json if r.body else None


def new_list(via, name):
    return ok(via.post("/api/lists/", {"name": name}, token=token("alice")), 201, "list")["id"]


def new_task(via, lst, name, **fields):
    body = dict(fields, name=name)
    return ok(via.post("/api/lists/%d/tasks/" % lst, body, token=token("alice")), 201, "task")


def patch(via, task, **fields):
    body = dict(fields, updated_at=task["updated_at"])
    return ok(via.request("PATCH", "/api/tasks/%d/" % task["id"], body, token=token("alice")),
              200, "PATCH")


def task_on(host, tid):
    r = host.get("/api/tasks/%d/" % tid, token=token("alice"))
    return r.json if r.status == 200 else r.status


def same_on_both(tid, want):
    """The task (or the status of its GET) read on A and on B, both want."""
    for h, name in ((A, "A"), (B, "B")):
        got = task_on(h, tid)
        if isinstance(want, dict):
            assert isinstance(got, dict), "host %s: %r" % (name, got)
            for k in ("name", "description", "status", "updated_at"):
                eq(got[k], want[k], "host %s: %s" % (name, k))
        else:
            eq(got, want, "host %s" % name)


def posts_logged(host):
    """The task creations host's responders logged (their access lines)."""
    return sum(1 for line in host.log_text().splitlines()
               if " access POST " in line and "/tasks/" in line and " 201 " in line)


def start(host, *args):
    """taskmgr ARGS with host's config, logging to a file of its own; (Popen, log)."""
    log = os.path.join(host.dir, "%s-%d.log" % (args[0], len(PROCS)))
    env = dict(host.env, TASKMGR_LOG_FILE=log)
    p = subprocess.Popen([host.taskmgr] + list(args), env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    PROCS.append((p, log))
    return p, log


def wait_log(log, text, proc, timeout=15):
    def seen():
        if proc.poll() is not None:
            raise AssertionError("exited (%s): %s" % (proc.returncode, read(log)))
        return text in read(log)
    wait_for(seen, "%r in %s" % (text, log), timeout)


def dead(pid):
    """pid has exited (gone, or a zombie nobody reaped yet)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


# -- a write on one host, read on the other ----------------------------------------

def test_a_write_through_one_host_is_read_through_the_other_at_once():
    need()
    lst = new_list(FRONT, "shared")
    # through nginx: each request goes to one host or the other
    a0, b0 = posts_logged(A), posts_logged(B)
    made = [new_task(FRONT, lst, "front-%d" % i) for i in range(6)]
    for t in made:
        same_on_both(t["id"], t)
    wait_for(lambda: posts_logged(A) > a0 and posts_logged(B) > b0,
             "creations logged by both hosts (round robin)")
    t = patch(FRONT, made[0], description="through nginx")
    same_on_both(t["id"], t)
    # addressed to one host, read on the other right after
    t = patch(A, t, description="written on A", assigned_to=None)
    same_on_both(t["id"], t)
    t = patch(B, t, name="renamed on B", assigned_to=user_id("alice"))
    eq(t["status"], "In Progress", "assigned")
    same_on_both(t["id"], t)
    ok(A.post("/api/tasks/%d/complete/" % t["id"], token=token("alice")), 200, "complete on A")
    got = task_on(B, t["id"])
    eq(got["status"], "Completed", "completed, read on B")
    same_on_both(t["id"], got)
    ok(B.request("DELETE", "/api/tasks/%d/" % t["id"], token=token("alice")), 204, "delete on B")
    same_on_both(t["id"], 404)
    # the same steps through nginx
    t = patch(FRONT, made[1], assigned_to=user_id("alice"))
    same_on_both(t["id"], t)
    ok(FRONT.post("/api/tasks/%d/complete/" % t["id"], token=token("alice")), 200, "complete")
    same_on_both(t["id"], task_on(FRONT, t["id"]))
    eq(task_on(B, t["id"])["status"], "Completed", "completed")
    ok(FRONT.request("DELETE", "/api/tasks/%d/" % t["id"], token=token("alice")), 204, "delete")
    same_on_both(t["id"], 404)
    # the list's page and count, on both
    for h in (A, B):
        page = ok(h.get("/api/lists/%d/tasks/" % lst, token=token("alice")), 200, "page")
        eq(page["count"], 4, "count")
        eq(sorted(x["id"] for x in page["results"]), sorted(x["id"] for x in made[2:]), "ids")


def deep_page(host, lst, offset):
    r = host.get("/api/lists/%d/tasks/?limit=20&offset=%d" % (lst, offset), token=token("alice"))
    page = ok(r, 200, "deep page")
    return page["count"], [x["id"] for x in page["results"]]


def test_deep_pages_on_one_host_follow_the_other_s_writes():
    # page marks (domain/page_marks.h): a process keeps the position of every
    # 64th row of a list it paged deep into; a host's marks must not outlive
    # a change on the other host
    need()
    lst = new_list(A, "deep")
    for i in range(150):
        new_task(FRONT, lst, "deep-%03d" % i)
    offset = 100

    def want():
        rows = q("SELECT id FROM tasks WHERE list_id = %d ORDER BY created_at DESC, id DESC "
                 "LIMIT 20 OFFSET %d" % (lst, offset))
        n = q("SELECT count(*) FROM tasks WHERE list_id = %d" % lst)[0][0]
        return int(n), [int(r[0]) for r in rows]

    def check(what):
        w = want()
        # several reads: each of B's responders keeps marks of its own
        for _ in range(6):
            eq(deep_page(B, lst, offset), w, "B's deep page, " + what)
        return w

    first = check("the marks made")
    # a task added on A: every row moves down by one
    new_task(A, lst, "newest")
    second = check("after a creation on A")
    eq(second[0], first[0] + 1, "one more")
    eq(second[1][1:], first[1][:-1], "moved down by one")
    # a task of the first page deleted on A: every row moves up by one
    top = deep_page(A, lst, 0)[1][3]
    ok(A.request("DELETE", "/api/tasks/%d/" % top, token=token("alice")), 204, "delete")
    third = check("after a deletion on A")
    eq(third, first, "back to the first page's rows")


def test_the_calendar_feed_s_etag_follows_the_other_host_s_writes():
    need()
    lst = new_list(A, "calendar")
    t = new_task(A, lst, "feed task", complete_before="2030-01-02T09:00:00Z")
    path = urlsplit(ok(FRONT.post("/api/auth/calendar/", token=token("alice")), 201,
                       "feed")["url"]).path
    r = B.get(path)
    eq(r.status, 200, "feed on B")
    assert b"SUMMARY:feed task" in r.body, r.body
    etag = r.header("ETag")
    assert etag, r.headers
    for h in (A, B):
        eq(h.get(path, headers={"If-None-Match": etag}).status, 304, "unchanged, on both")
    patch(A, t, name="feed task renamed")
    r = B.get(path, headers={"If-None-Match": etag})
    eq(r.status, 200, "changed on A: B answers the new feed")
    assert b"SUMMARY:feed task renamed" in r.body, r.body
    assert r.header("ETag") != etag, "a new ETag"
    eq(A.get(path, headers={"If-None-Match": r.header("ETag")}).status, 304,
       "B's ETag on A")


def deliveries(hook):
    page = ok(A.get("/api/webhooks/%d/deliveries/" % hook, token=token("alice")), 200, "log")
    return page["count"]


def test_the_webhook_cache_of_one_host_follows_the_other_s_changes():
    # each responder keeps the active webhooks it last read; one made or
    # switched off on A must change what a write on B queues
    need()
    lst = new_list(B, "hooks")
    new_task(B, lst, "before any webhook")     # B's responders read "none"
    new_task(B, lst, "before any webhook 2")
    hook = ok(A.post("/api/webhooks/", {"url": RX.url("/cache"), "events": ["task.created"],
                                        "list_id": lst}, token=token("alice")), 201, "hook")
    for i in range(4):      # each of B's responders
        new_task(B, lst, "heard %d" % i)
    eq(deliveries(hook["id"]), 4, "a delivery for each creation on B")
    ok(A.request("PATCH", "/api/webhooks/%d/" % hook["id"],
                 {"is_active": False, "updated_at": hook["updated_at"]},
                 token=token("alice")), 200, "switched off on A")
    for i in range(4):
        new_task(B, lst, "not heard %d" % i)
    eq(deliveries(hook["id"]), 4, "none once it is off")


def test_an_admin_session_and_its_forms_hold_on_every_host():
    # the login form read on A and posted on B, each page of the session on
    # either host, a form read on one and posted on the other, logout on one
    need()
    lst = new_list(A, "admin")
    new_task(A, lst, "seen in the admin pages")
    adm = Admin(A)
    adm.get("/admin/login/")
    adm.srv = B
    eq(adm.post("/admin/login/", {"username": "alice", "password": "correct-horse-battery"})
       .status, 302, "the login form of A posted on B")
    for h in (A, B):
        adm.srv = h
        r = adm.get("/admin/tasks/?list=%d" % lst)
        eq(r.status, 200, "the task list page")
        assert b"seen in the admin pages" in r.body, r.body[:2000]
    adm.srv = B
    adm.get("/admin/users/add/")
    adm.srv = A
    r = adm.post("/admin/users/add/", {"username": "dave", "password1": "correct-horse-battery",
                                       "password2": "correct-horse-battery"})
    eq(r.status, 302, "B's form posted on A: %r" % r)
    eq(q("SELECT count(*) FROM users WHERE username = 'dave'"), [("1",)], "dave made")
    sid = adm.cookies["sessionid"]
    eq(adm.post("/admin/logout/", {}).status, 200, "logout on A")
    other = Admin(B)
    other.cookies["sessionid"] = sid
    eq(other.get("/admin/").status, 302, "the session is gone on B too")


# -- per host ------------------------------------------------------------------------

def test_the_login_limit_counts_per_host():
    need()
    name = "nobody-%d" % os.getpid()
    for h, what in ((A, "A"), (B, "B")):
        for i in range(3):
            r = h.post("/api/auth/token/", {"username": name, "password": "wrong-%d" % i})
            eq(r.status, 401, "host %s, try %d" % (what, i + 1))
        r = h.post("/api/auth/token/", {"username": name, "password": "wrong"})
        eq(r.status, 429, "host %s: its own budget of 3 spent" % what)
    for h in (A, B):
        assert os.path.exists(os.path.join(h.dir, "taskmgr-limits")), os.listdir(h.dir)


# -- the worker and the bot ----------------------------------------------------------

def notice_for_bob(text):
    """A task assigned to bob (linked to Telegram chat 9001): a notice queued."""
    lst = new_list(FRONT, "for bob " + text)
    new_task(FRONT, lst, text, assigned_to=user_id("bob"))


def pending(hook):
    """bob's notices and hook's deliveries not sent yet."""
    return int(q("SELECT count(*) FROM outbox WHERE status = 0 AND user_id = %d"
                 % user_id("bob"))[0][0]) + int(q(
                     "SELECT count(*) FROM webhook_delivery_log WHERE status = 'pending'"
                     " AND webhook_id = %d" % hook)[0][0])


def test_the_worker_and_bot_standby_on_b_take_over_when_a_s_are_killed():
    need()
    wa, wa_log = start(A, "worker")
    wait_log(wa_log, LEADS, wa)
    wb, wb_log = start(B, "worker")
    wait_log(wb_log, WAITS, wb)
    ba, ba_log = start(A, "bot")
    wait_log(ba_log, LEADS, ba)
    bb, bb_log = start(B, "bot")
    wait_log(bb_log, WAITS, bb)
    hook = ok(FRONT.post("/api/webhooks/", {"url": RX.url("/standby"),
                                            "events": ["task.created"]},
                         token=token("alice")), 201, "webhook")
    # A's worker leads: it sends
    notice_for_bob("before the kill")
    wait_for(lambda: len(TG_A.sent(9001)) == 1, "A's worker's notice")
    wait_for(lambda: len(RX.bodies("/standby")) == 1, "A's worker's delivery")
    # recorded as sent, so that the kill comes after (a send in flight at the
    # kill is sent again by the next leader: at least once, README "Webhooks")
    wait_for(lambda: pending(hook["id"]) == 0, "A's worker to record them")
    eq(TG_B.calls_of("sendMessage"), [], "nothing from B's worker")

    os.kill(wa.pid, signal.SIGKILL)
    wa.wait(10)
    # queued after the kill, before (or while) B takes over
    notice_for_bob("after the kill")
    wait_log(wb_log, TOOK_OVER, wb, timeout=10)
    wait_for(lambda: pending(hook["id"]) == 0, "B's worker to send what was queued")
    eq(len(TG_B.sent(9001)), 1, "the notice, once, by B's worker")
    assert "after the kill" in TG_B.sent(9001)[0]["text"], TG_B.sent(9001)
    eq(len(TG_A.sent(9001)), 1, "nothing more through A's server")
    eq(len(RX.bodies("/standby")), 2, "each delivery once (one before, one after the kill)")
    eq(len(set(RX.bodies("/standby"))), 2, "two different deliveries")
    eq(deliveries(hook["id"]), 2, "two in the log")

    # the bot likewise: A's polls, B's waits; A's killed, B's answers
    TG_A.message(9101, "/help")
    wait_for(lambda: len(TG_A.sent(9101)) == 1, "A's bot's answer")
    eq(TG_B.calls_of("getUpdates"), [], "B's bot never polled")
    os.kill(ba.pid, signal.SIGKILL)
    ba.wait(10)
    wait_log(bb_log, TOOK_OVER, bb, timeout=10)
    TG_B.next_update = TG_A.next_update     # update ids go on (the offset is stored)
    TG_B.message(9102, "/help")
    wait_for(lambda: len(TG_B.sent(9102)) == 1, "B's bot's answer")
    for p in (wb, bb):
        p.send_signal(signal.SIGTERM)
        eq(p.wait(15), 0, "clean exit")


# -- a host killed under load ---------------------------------------------------------

def test_killing_every_responder_of_a_host_loses_no_acknowledged_write():
    need()
    lst = new_list(FRONT, "load")
    tok = token("alice")
    lock = threading.Lock()
    created = {}        # id -> name, for every 201
    patched = {}        # id -> description, for every 200
    answers = []        # (started after A was dead, what, status or error)
    killed = threading.Event()
    done = threading.Event()

    def client(n):
        i = 0
        while not done.is_set():
            name = "load-%d-%d" % (n, i)
            i += 1
            after = killed.is_set()
            try:
                r = FRONT.post("/api/lists/%d/tasks/" % lst, {"name": name}, token=tok,
                               timeout=10)
            except OSError as e:
                with lock:
                    answers.append((after, "create", repr(e)))
                continue
            with lock:
                answers.append((after, "create", r.status))
            if r.status != 201:
                continue
            t = r.json
            with lock:
                created[t["id"]] = name
            after = killed.is_set()
            try:
                r = FRONT.request("PATCH", "/api/tasks/%d/" % t["id"],
                                  {"description": "d-" + name, "updated_at": t["updated_at"]},
                                  token=tok, timeout=10)
            except OSError as e:
                with lock:
                    answers.append((after, "patch", repr(e)))
                continue
            with lock:
                answers.append((after, "patch", r.status))
                if r.status == 200:
                    patched[t["id"]] = "d-" + name

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
    for th in threads:
        th.start()
    try:
        wait_for(lambda: len(created) >= 40, "writes before the kill", timeout=30)
        pids = A.responder_pids()
        eq(len(pids), 2, "A's responders")
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: all(dead(p) for p in pids), "A's responders to die")
        A.pids = []     # nothing left for A.stop() to stop
        killed.set()
        n0 = len(created)
        wait_for(lambda: len(created) >= n0 + 40, "writes through B after the kill",
                 timeout=30)
    finally:
        done.set()
        for th in threads:
            th.join(15)
    assert not any(th.is_alive() for th in threads), "a client thread hangs"
    after = [a for a in answers if a[0]]
    assert len(after) >= 40, after
    eq([a for a in after if a[2] not in (200, 201)], [], "every answer after A died is 2xx")
    eq(B.responder_pids(), B.pids, "B's responders all alive")
    # requests did go to A's dead socket after the kill, and were passed on
    refused = [ln for ln in read(os.path.join(FRONT.dir, "nginx-error.log")).splitlines()
               if "Connection refused" in ln and A.sock in ln]
    assert refused, "nginx never found A's socket refusing"

    # read back through B: every acknowledged write is there
    rows = {}
    offset = 0
    while True:
        page = ok(B.get("/api/lists/%d/tasks/?limit=100&offset=%d" % (lst, offset), token=tok),
                  200, "read back on B")
        for x in page["results"]:
            rows[x["id"]] = x
        offset += 100
        if offset >= page["count"]:
            break
    missing = [i for i in created if i not in rows]
    eq(missing, [], "acknowledged creations missing")
    for i, name in created.items():
        eq(rows[i]["name"], name, "task %d" % i)
    for i, d in patched.items():
        eq(rows[i]["description"], d, "acknowledged PATCH of task %d" % i)
    # anything more was a write in flight on A when it died (no answer)
    unanswered = sum(1 for a in answers if a[1] == "create" and a[2] != 201)
    assert len(rows) - len(created) <= unanswered, (len(rows), len(created), unanswered)


if __name__ == "__main__":
    run_tests(globals(), time_limit=300)
