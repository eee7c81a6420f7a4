"""Webhook deliveries queued through webhook_inbox (sql/*_webhook_inbox.sql) and,
since sql/*_webhook_carrier.sql, through events rows: a change writes one
hook-only events row (the inbox keeps the rows queued before), the worker
moves it into webhook_deliveries and builds its body.  A database of the schema before it, with pending
deliveries, is migrated and they are delivered byte for byte; delivery ids
keep growing past what the old AUTOINCREMENT gave out, past the worker's
moves and past a deleted webhook; a delivery not yet moved is in the log,
the webhook's last delivery and the metrics.  Real nginx, spawn-fcgi,
`taskmgr migrate` and `taskmgr worker --once`, a receiver on loopback."""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import (PG, Server, eq, migration_number, run_tests, schema_before,  # noqa: E402
                     sqlite_only)
from hook_receiver import Receiver  # noqa: E402

INBOX = migration_number("_webhook_inbox.sql")
# a body as the schema before the inbox stored it, written at queueing time
OLD_BODY = ('{"id":42,"event":"list.created","created_at":"2027-01-15T10:00:00.000000Z",'
            '"data":{"id":7,"name":"Покупки \\"к ужину\\"","owner_id":1}}')


def setup_module():
    global S, RX
    RX = Receiver()
    # SQLite: the first test puts an older database in place and migrates it;
    # PostgreSQL has no older database (its migrations start at 024's
    # baseline): a migrated one
    S = Server(workers=1, migrate=PG, config={
        "webhook_allow_http": "yes", "webhook_allow_hosts": "127.0.0.1",
        "webhook_timeout": "2"}).start()


def teardown_module():
    S.stop()
    RX.stop()


def worker_once():
    p = subprocess.run([S.taskmgr, "worker", "--once"], env=S.env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode in (0, 3), p.stderr


def connect():
    c = S.connect()
    c.execute("PRAGMA foreign_keys = ON")
    return c


def old_database(path):
    """The schema just before the inbox, with a webhook, one delivered and one
    pending delivery, and deliveries up to id 50 given out (purged since)."""
    c = schema_before(path, INBOX)
    c.execute("PRAGMA foreign_keys = ON")
    c.execute("INSERT INTO users (id, username, username_key, password, date_joined)"
              " VALUES (1, 'old', 'old', '', 0)")
    c.execute("INSERT INTO webhooks (id, owner_id, url, events, secret, created_at,"
              " updated_at) VALUES (1, 1, ?, 32, 'whsec_old', 0, 0)", (RX.url("/old"),))
    c.execute("INSERT INTO webhook_deliveries (id, webhook_id, event, object_key, body,"
              " created_at, status, attempts, next_attempt_at, delivered_at, finished_at)"
              " VALUES (41, 1, 'list.created', 'list:6', '{}', 1, 'delivered', 1, 1, 2, 2)")
    c.execute("INSERT INTO webhook_deliveries (id, webhook_id, event, object_key, body,"
              " created_at, attempts, next_attempt_at)"
              " VALUES (42, 1, 'list.created', 'list:7', ?, 3, 2, 0)", (OLD_BODY,))
    c.execute("UPDATE sqlite_sequence SET seq = 50 WHERE name = 'webhook_deliveries'")
    c.commit()
    c.close()


def test_old_pending_deliveries_are_delivered_after_migrating():
    sqlite_only("SQLite's migration of an older SQLite file")
    tmp = S.db + ".old"
    old_database(tmp)
    os.rename(tmp, S.db)
    S.cli("migrate", check=True)
    # the responder looks at the schema again at most once a second
    deadline = time.time() + 15
    while S.get("/api/health/").status != 200 and time.time() < deadline:
        time.sleep(0.1)
    eq(S.get("/api/health/").status, 200, "served after migrating")
    c = connect()
    eq(c.execute("SELECT id, status FROM webhook_delivery_log ORDER BY id").fetchall(),
       [(41, "delivered"), (42, "pending")], "the log after migrating")
    c.close()
    worker_once()
    eq(RX.bodies("/old"), [OLD_BODY.encode()], "the pending one, its body byte for byte")
    c = connect()
    eq(c.execute("SELECT status, attempts FROM webhook_deliveries WHERE id = 42").fetchone(),
       ("delivered", 3), "delivered at its third attempt")
    c.close()


def test_new_delivery_ids_grow_past_the_old_ones_and_the_moves():
    S.create_user("alice")
    tok = S.login("alice")
    r = S.request("POST", "/api/webhooks/", {"url": RX.url("/a"), "events": ["list.created"]},
                  token=tok)
    eq(r.status, 201, "webhook")
    hook = r.json
    lst = S.request("POST", "/api/lists/", {"name": "Новый"}, token=tok)
    eq(lst.status, 201, "list")
    c = connect()
    # queued in the change's transaction: one hook-only events row (no user),
    # not yet moved (sql/*_webhook_carrier.sql); the inbox gets none any more
    rows = c.execute("SELECT id, event, object_key FROM webhook_delivery_log"
                     " WHERE status = 'pending'").fetchall()
    carried = c.execute("SELECT id FROM events WHERE user_id IS NULL AND hook IS NOT NULL"
                        ).fetchall()
    eq(c.execute("SELECT count(*) FROM webhook_inbox WHERE moved = 0").fetchone(), (0,),
       "no inbox row")
    c.close()
    # SQLite: past the 50 the older database gave out; PostgreSQL's database
    # starts empty (identity ids: test_ids.py)
    first = rows[0][0] if PG and rows else 51
    eq(rows, [(first, "list.created", "list:%d" % lst.json["id"])],
       "the delivery, its id past the ones given out")
    eq(carried, [(first,)], "carried by an events row of that id")
    # before the worker: in the log, the last delivery and the metrics
    log = S.request("GET", "/api/webhooks/%d/deliveries/" % hook["id"], token=tok).json
    eq([(d["id"], d["status"], d["attempts"]) for d in log["results"]],
       [(first, "pending", 0)], "in the log before the worker runs")
    got = S.request("GET", "/api/webhooks/%d/" % hook["id"], token=tok).json
    eq(got["last_delivery"]["id"], first, "the webhook's last delivery")
    m = S.get("/metrics").body.decode()
    eq(re.search(r"^taskmgr_webhook_deliveries_pending (\S+)$", m, re.M).group(1), "1",
       "pending in the metrics")
    worker_once()
    body = json.loads(RX.bodies("/a")[0])
    eq((body["id"], body["event"], body["data"]), (first, "list.created", lst.json),
       "the body built by the worker: its id, event, the list as the API showed it")
    c = connect()
    eq(c.execute("SELECT count(*) FROM events WHERE hook IS NOT NULL").fetchone(), (0,),
       "the worker deleted the hook-only row it moved")
    c.close()
    # a ping and a redelivery take their ids from events too
    r = S.request("POST", "/api/webhooks/%d/ping/" % hook["id"], token=tok)
    eq((r.status, r.json.get("delivery_id", r.json.get("id"))), (202, first + 1),
       "the ping's id")
    # queued for a webhook deleted before the worker ran: dropped, its id not reused
    S.request("POST", "/api/lists/", {"name": "Gone with it"}, token=tok)
    eq(S.request("DELETE", "/api/webhooks/%d/" % hook["id"], token=tok).status, 204, "delete")
    worker_once()
    c = connect()
    eq(c.execute("SELECT count(*) FROM webhook_delivery_log WHERE id > ?",
                 (first,)).fetchone(),
       (0,), "nothing left of the deleted webhook")
    c.close()
    r = S.request("POST", "/api/webhooks/", {"url": RX.url("/b"), "events": ["list.created"]},
                  token=tok)
    S.request("POST", "/api/lists/", {"name": "After"}, token=tok)
    log = S.request("GET", "/api/webhooks/%d/deliveries/" % r.json["id"], token=tok).json
    eq([d["id"] for d in log["results"]], [first + 3], "the next id, not one given before")


def shared_list(name):
    """A new list of alice's with bob (made on first use) a viewer of it:
    alice's token, bob's id and the list."""
    tok = S.login("alice")
    found = S.request("GET", "/api/users/?search=bob", token=tok).json["results"]
    if not found:
        S.create_user("bob")
        found = S.request("GET", "/api/users/?search=bob", token=tok).json["results"]
    lst = S.request("POST", "/api/lists/", {"name": name}, token=tok).json
    eq(S.request("POST", "/api/lists/%d/members/" % lst["id"],
                 {"username": "bob", "role": "viewer"}, token=tok).status, 201, "member")
    return tok, found[0]["id"], lst


def insert_hooks(c, owner, path, events, n=1):
    """n webhooks of owner on events (the bits) to the receiver's path,
    inserted by connection c, not the responder: the last one's id."""
    # one statement (on PostgreSQL each is a psql run)
    c.execute("INSERT INTO webhooks (owner_id, url, events, secret, created_at, updated_at)"
              " SELECT ?, ?, ?, 'whsec_x', 0, 0 FROM (WITH RECURSIVE k(i) AS (SELECT 1"
              " UNION ALL SELECT i + 1 FROM k WHERE i < ?) SELECT i FROM k) AS n",
              (owner, RX.url(path), events, n))
    return c.execute("SELECT max(id) FROM webhooks").fetchone()[0]


def test_a_responder_sees_webhook_changes_made_by_another_process():
    # one responder, which keeps the active webhooks in memory between
    # requests; every change below is made by another connection.  Bob sees
    # alice's list as a member; his webhook hears of its new tasks.
    tok, bob, lst = shared_list("Shared")
    n = [0]

    def queued(hook_id):
        n[0] += 1
        eq(S.request("POST", "/api/lists/%d/tasks/" % lst["id"], {"name": "t%d" % n[0]},
                     token=tok).status, 201, "task")
        c = connect()
        got = c.execute("SELECT count(*) FROM webhook_delivery_log WHERE webhook_id = ?",
                        (hook_id,)).fetchone()[0]
        c.close()
        return got

    queued(0)                   # the responder has read the active webhooks
    c = connect()
    with c:
        hook = insert_hooks(c, bob, "/bob", 1)
    eq(queued(hook), 1, "a webhook inserted by another process")
    for sql, arg, want, what in [
            ("UPDATE webhooks SET events = 2 WHERE id = ?", hook, 1,
             "its events changed elsewhere: not subscribed"),
            ("UPDATE webhooks SET events = 1, is_active = 0 WHERE id = ?", hook, 1,
             "made inactive elsewhere"),
            ("UPDATE webhooks SET is_active = 1 WHERE id = ?", hook, 2, "active again"),
            ("UPDATE users SET is_active = 0 WHERE id = ?", bob, 2,
             "its owner made inactive elsewhere"),
            ("UPDATE users SET is_active = 1 WHERE id = ?", bob, 3, "its owner active again"),
            ("DELETE FROM webhooks WHERE id = ?", hook, 0,
             "deleted elsewhere: its log goes with it, none queued")]:
        with c:
            c.execute(sql, (arg,))
        eq(queued(hook), want, what)
    c.close()


def test_more_active_webhooks_than_a_responder_keeps_in_memory():
    tok, bob, lst = shared_list("Crowded")
    c = connect()
    with c:
        # 600 of bob's on task.updated only (past the API's 20), one on task.created
        insert_hooks(c, bob, "/many", 2, 600)
        hook = insert_hooks(c, bob, "/one", 1)
    eq(c.execute("SELECT count(*) FROM webhooks WHERE owner_id = ?", (bob,)).fetchone(),
       (601,), "bob's webhooks")
    eq(S.request("POST", "/api/lists/%d/tasks/" % lst["id"], {"name": "seen"},
                 token=tok).status, 201, "task")
    eq(c.execute("SELECT webhook_id FROM webhook_delivery_log WHERE event = 'task.created'"
                 " AND object_key LIKE 'task:%' AND id > (SELECT max(id) - 5"
                 " FROM webhook_delivery_log)").fetchall(), [(hook,)],
       "the one subscribed, found by asking the database")
    with c:
        c.execute("DELETE FROM webhooks WHERE owner_id = ?", (bob,))
    c.close()

def test_a_lists_hook_gen_follows_the_webhook_changes_that_reach_it():
    # sql/*_list_hook_gen.sql: a task write trusts its memory of the active
    # webhooks while its list's hook_gen is at most the seq it read them at
    tok = S.login("alice")
    S.create_user("gen")
    gen = S.request("GET", "/api/users/?search=gen", token=tok).json["results"][0]["id"]
    a = S.request("POST", "/api/lists/", {"name": "Gen A"}, token=tok).json["id"]
    b = S.request("POST", "/api/lists/", {"name": "Gen B"}, token=tok).json["id"]
    c = connect()

    def seq():
        return c.execute("SELECT seq FROM webhook_gen WHERE id = 1").fetchone()[0]

    def gens():
        return [c.execute("SELECT hook_gen FROM lists WHERE id = ?", (i,)).fetchone()[0]
                for i in (a, b)]

    def hook(list_id):
        with c:
            return c.execute("INSERT INTO webhooks (owner_id, url, events, list_id, secret,"
                             " created_at, updated_at) VALUES (?, ?, 1, ?, 'whsec_g', 0, 0)",
                             (gen, RX.url("/gen"), list_id)).lastrowid

    before = gens()
    scoped = hook(a)
    s1 = seq()
    eq(gens(), [s1, before[1]], "a webhook of list A: A only")
    every = hook(None)
    s2 = seq()
    assert s2 > s1
    eq(gens(), [s2, s2], "a webhook of every list: every list")
    with c:
        c.execute("UPDATE webhooks SET list_id = ? WHERE id = ?", (b, scoped))
    s3 = seq()
    eq(gens(), [s3, s3], "moved from A to B: both")
    with c:
        c.execute("UPDATE webhooks SET failure_count = 3 WHERE id = ?", (scoped,))
    eq((seq(), gens()), (s3, [s3, s3]), "a column matching does not read: nothing")
    with c:
        c.execute("UPDATE webhooks SET is_active = 0 WHERE id = ?", (every,))
    s4 = seq()
    eq(gens(), [s4, s4], "a webhook of every list made inactive")
    later = S.request("POST", "/api/lists/", {"name": "Gen C"}, token=tok).json["id"]
    eq(c.execute("SELECT hook_gen FROM lists WHERE id = ?", (later,)).fetchone()[0], s4,
       "a new list starts at the seq of its creation (the webhooks made before reach it)")
    with c:
        c.execute("UPDATE users SET is_active = 0 WHERE id = ?", (gen,))
    s5 = seq()
    # two triggers, each with its own count: every list past what was read before
    assert all(s4 < g <= s5 for g in gens()), ("their owner made inactive: every list",
                                                s4, s5, gens())
    with c:
        c.execute("UPDATE lists SET hook_gen = 0 WHERE id = ?", (b,))
        c.execute("DELETE FROM webhooks WHERE id = ?", (every,))
    s6 = seq()
    eq(gens(), [s6, s6], "deleted: every list")
    with c:
        c.execute("DELETE FROM webhooks WHERE id = ?", (scoped,))
        c.execute("UPDATE users SET is_active = 1 WHERE id = ?", (gen,))
    c.close()


def test_two_responders_honour_a_webhook_made_through_either():
    # each responder process keeps the active webhooks in memory; a webhook
    # made (then changed, then deleted) through the API -- whichever process
    # serves it -- is honoured by every later write, whichever serves that
    two = Server(workers=2, config={"webhook_allow_http": "yes",
                                    "webhook_allow_hosts": "127.0.0.1"}).start()
    try:
        two.create_user("ann")
        tok = two.login("ann")
        lst = two.request("POST", "/api/lists/", {"name": "Two"}, token=tok).json
        other = two.request("POST", "/api/lists/", {"name": "Other"}, token=tok).json
        n = [0]

        def creates(k, on=lst):
            for _ in range(k):
                n[0] += 1
                eq(two.request("POST", "/api/lists/%d/tasks/" % on["id"],
                               {"name": "t%d" % n[0]}, token=tok).status, 201, "task")

        def logged(hook_id):
            c = two.connect()
            got = c.execute("SELECT count(*) FROM webhook_delivery_log WHERE webhook_id = ?",
                            (hook_id,)).fetchone()[0]
            c.close()
            return got

        creates(8)                  # both processes have read: no webhook
        creates(8, other)
        r = two.request("POST", "/api/webhooks/", {"url": RX.url("/two"),
                        "events": ["task.created"], "list_id": lst["id"]}, token=tok)
        eq(r.status, 201, "webhook: %s" % r.body)
        hook = r.json
        creates(8, other)
        eq(logged(hook["id"]), 0, "another list's tasks: nothing")
        creates(8)
        eq(logged(hook["id"]), 8, "every write after it, whichever process served it")
        r = two.request("PATCH", "/api/webhooks/%d/" % hook["id"],
                        {"events": ["task.updated"], "updated_at": hook["updated_at"]},
                        token=tok)
        eq(r.status, 200, "webhook events: %s" % r.body)
        creates(8)
        eq(logged(hook["id"]), 8, "no task.created once unsubscribed")
        r = two.request("POST", "/api/webhooks/", {"url": RX.url("/two"),
                        "events": ["task.created"]}, token=tok)
        eq(r.status, 201, "webhook of every list: %s" % r.body)
        creates(8, other)
        eq(logged(r.json["id"]), 8, "a webhook of every list: the other list's writes too")
        third = two.request("POST", "/api/lists/", {"name": "Third"}, token=tok).json
        creates(8, third)
        eq(logged(r.json["id"]), 16, "and a list made after it")
    finally:
        two.stop()


def sleeps(path):
    """How many sleeping system calls the strace log at path names so far."""
    try:
        with open(path, errors="replace") as f:
            return len(re.findall(r"\b(?:clock_)?nanosleep\(", f.read()))
    except FileNotFoundError:
        return 0


def test_the_worker_sends_what_is_due_without_napping_between_passes():
    # 80 deliveries due at once, more than two passes of 32: the worker, run
    # under strace, makes no sleeping call from the first to the last one
    tok = S.login("alice")
    r = S.request("POST", "/api/webhooks/", {"url": RX.url("/pace"),
                                             "events": ["list.created"]}, token=tok)
    eq(r.status, 201, "webhook")
    for i in range(80):
        eq(S.request("POST", "/api/lists/", {"name": "pace %d" % i}, token=tok).status,
           201, "list")
    log = os.path.join(S.dir, "worker.strace")
    pidfile = os.path.join(S.dir, "worker.pid")
    # LeakSanitizer cannot work in a traced process
    env = dict(S.env, ASAN_OPTIONS="detect_leaks=0")
    RX.tap = lambda: sleeps(log)
    del RX.taps[:]
    tracer = subprocess.Popen(
        ["strace", "-f", "-qq", "-e", "trace=nanosleep,clock_nanosleep", "-o", log,
         "sh", "-c", 'echo $$ >"$0"; exec "$1" worker', pidfile, S.taskmgr],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(RX.bodies("/pace")) < 80:
            time.sleep(0.05)
        eq(len(RX.bodies("/pace")), 80, "all delivered")
    finally:
        RX.tap = None
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                worker = int(f.read())
            os.kill(worker, signal.SIGTERM)
        try:
            tracer.wait(20)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait(5)
    taps = RX.taps[-80:]
    eq(taps[-1] - taps[0], 0, "sleeping calls between the first and the last delivery")
    eq(tracer.returncode, 0, "the worker stopped on SIGTERM")


if __name__ == "__main__":
    run_tests(globals())
