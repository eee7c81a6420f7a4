"""Webhook deliveries carried on events rows (sql/*_webhook_carrier.sql): a
task change's delivery to a webhook of the list's owner rides on the owner's
events row (no other row written), every other delivery gets a hook-only
events row; a delivery's id is its row's id.  The worker moves them past a
durable cursor into webhook_deliveries in one transaction (a move stopped
half-way by a fault moves nothing, and nothing twice); one object's
deliveries keep their order whatever row carried them; the log shows them
before the worker runs; the purge of old events keeps the rows not moved.
Real nginx, spawn-fcgi, `taskmgr worker --once`, a receiver on loopback."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import PG, Server, eq, run_tests  # noqa: E402
from hook_receiver import Receiver  # noqa: E402

ALL = ["task.created", "task.updated", "task.completed", "task.deleted", "task.reminder",
       "list.created", "list.updated", "list.deleted", "comment.created"]
TOK = {}


def setup_module():
    global S, RX
    RX = Receiver()
    S = Server(workers=1, config={
        "webhook_allow_http": "yes", "webhook_allow_hosts": "127.0.0.1",
        "webhook_timeout": "2", "events_retention_days": "1"}).start()
    for u in ("alice", "bob"):
        S.create_user(u)
        TOK[u] = S.login(u)


def teardown_module():
    S.stop()
    RX.stop()


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user])


def worker_once(ok=(0, 3)):
    p = subprocess.run([S.taskmgr, "worker", "--once"], env=S.env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode in ok, p.stderr
    return p


def sql(query, *args):
    return [tuple(int(v) if isinstance(v, str) and re.fullmatch(r"-?\d+", v) else v
                  for v in row) for row in S.sql(query, *args)]


def got(path):
    return [json.loads(b) for p, b in RX.got if p == path]


def new_list(name, user="alice"):
    r = req("POST", "/api/lists/", {"name": name}, user=user)
    eq(r.status, 201, "list: %s" % r.body)
    return r.json


def new_hook(path, user="alice", list_id=None):
    body = {"url": RX.url(path), "events": ALL}
    if list_id is not None:
        body["list_id"] = list_id
    r = req("POST", "/api/webhooks/", body, user=user)
    eq(r.status, 201, "webhook: %s" % r.body)
    return r.json


def new_task(lst, name, user="alice", **kw):
    kw["name"] = name
    r = req("POST", "/api/lists/%d/tasks/" % lst["id"], kw, user=user)
    eq(r.status, 201, "task: %s" % r.body)
    return r.json


def patch(t, user="alice", **kw):
    kw["updated_at"] = t["updated_at"]
    r = req("PATCH", "/api/tasks/%d/" % t["id"], kw, user=user)
    eq(r.status, 200, "patch: %s" % r.body)
    return r.json


def hook_only():
    return sql("SELECT count(*) FROM events WHERE user_id IS NULL AND hook IS NOT NULL")[0][0]


def test_a_patch_carries_its_delivery_on_the_owners_event():
    lst = new_list("Carried")
    h = new_hook("/carried", list_id=lst["id"])
    alice = sql("SELECT id FROM users WHERE username = 'alice'")[0][0]
    before = sql("SELECT count(*) FROM events")[0][0]
    t = new_task(lst, "One")
    t2 = patch(t, description="changed")
    # one events row each (the owner's), carrying the delivery: no hook-only
    # row, no inbox row
    rows = sql("SELECT id, user_id, action, hook, hook_data FROM events WHERE task_id = ?"
               " ORDER BY id", t["id"])
    eq([(u, a, hk) for _, u, a, hk, _ in rows],
       [(alice, "created", h["id"] * 16 + 0), (alice, "updated", h["id"] * 16 + 1)],
       "the owner's two events rows carry the webhook's deliveries")
    eq([json.loads(d) for *_, d in rows], [t, t2], "each the task as the API answered")
    eq(sql("SELECT count(*) FROM events")[0][0], before + 2, "no other events row")
    eq(hook_only(), 0, "no hook-only row")
    eq(sql("SELECT count(*) FROM webhook_inbox WHERE moved = 0")[0][0], 0, "no inbox row")
    ids = [r[0] for r in rows]
    # before any worker pass: in the log, the webhook's last delivery, the metrics
    log = req("GET", "/api/webhooks/%d/deliveries/" % h["id"]).json
    eq([(d["id"], d["event"], d["status"]) for d in log["results"]],
       [(ids[1], "task.updated", "pending"), (ids[0], "task.created", "pending")],
       "the log before the worker, the events rows' ids")
    eq(req("GET", "/api/webhooks/%d/" % h["id"]).json["last_delivery"]["id"], ids[1],
       "the webhook's last delivery")
    m = S.get("/metrics").body.decode()
    eq(re.search(r"^taskmgr_webhook_deliveries_pending (\S+)$", m, re.M).group(1), "2",
       "pending in the metrics")
    worker_once()
    bodies = got("/carried")
    eq([(b["id"], b["event"], b["data"]) for b in bodies],
       [(ids[0], "task.created", t), (ids[1], "task.updated", t2)],
       "delivered once each, in order, with the events rows' ids")
    worker_once()
    eq(len(got("/carried")), 2, "nothing twice")
    eq(sql("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?", h["id"])[0][0], 2,
       "two rows in webhook_deliveries")
    eq(sql("SELECT events_id >= ? FROM webhook_cursor", ids[1])[0][0] in (1, "t", True),
       True, "the cursor past them")
    eq(sql("SELECT id, user_id, action, hook, hook_data FROM events WHERE task_id = ?"
           " ORDER BY id", t["id"]),
       [(ids[0], alice, "created", None, None), (ids[1], alice, "updated", None, None)],
       "moved: the owner's rows keep their events, not the deliveries' copies")
    # a webhook deleted before the worker: nothing goes out for it
    patch(t2, description="again")
    eq(req("DELETE", "/api/webhooks/%d/" % h["id"]).status, 204, "delete")
    worker_once()
    eq(len(got("/carried")), 2, "nothing for a deleted webhook")


def fault(on):
    """Makes every update of the worker's cursor fail (on) or not: its move
    stops at its last statement, after the deliveries' inserts."""
    if PG:
        S.sql("CREATE OR REPLACE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql"
              " AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$" if on else
              "DROP FUNCTION test_fault() CASCADE")
        if on:
            S.sql("CREATE TRIGGER test_fault BEFORE UPDATE ON webhook_cursor"
                  " FOR EACH ROW EXECUTE FUNCTION test_fault()")
        return
    S.sql("CREATE TRIGGER test_fault BEFORE UPDATE ON webhook_cursor BEGIN"
          " SELECT RAISE(ABORT, 'injected fault'); END" if on else
          "DROP TRIGGER test_fault")


def test_a_move_stopped_half_way_moves_nothing_and_nothing_twice():
    lst = new_list("Faulty")
    h = new_hook("/faulty", list_id=lst["id"])
    t = new_task(lst, "Moved once")
    t = patch(t, description="one")
    t = patch(t, description="two")
    eq(req("POST", "/api/webhooks/%d/ping/" % h["id"]).status, 202, "a ping: a hook-only row")
    ids = [d["id"] for d in req("GET", "/api/webhooks/%d/deliveries/" % h["id"]).json["results"]]
    eq(len(ids), 4, "four pending")
    fault(True)
    try:
        worker_once(ok=(0, 1, 3))
        eq(got("/faulty"), [], "nothing sent")
        eq(sql("SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?", h["id"])[0][0],
           0, "nothing moved: the move's inserts went with its failed transaction")
        eq(hook_only(), 1, "the ping's row still there")
        log = req("GET", "/api/webhooks/%d/deliveries/" % h["id"]).json["results"]
        eq([(d["id"], d["status"]) for d in log], [(i, "pending") for i in ids],
           "still pending in the log, the same ids")
    finally:
        fault(False)
    worker_once()
    worker_once()
    eq(sorted(b["id"] for b in got("/faulty")), sorted(ids), "each once, none lost")
    eq([b["event"] for b in sorted(got("/faulty"), key=lambda b: b["id"])],
       ["task.created", "task.updated", "task.updated", "ping"], "their ids in order")
    eq([b["event"] for b in got("/faulty") if b["event"] != "ping"],
       ["task.created", "task.updated", "task.updated"], "the task's sent in order")
    eq(hook_only(), 0, "the moved hook-only row deleted")


def test_one_objects_deliveries_keep_their_order_across_every_path():
    # alice's webhook: the owner's rows carry hers; bob's (a member): hook-only
    # rows; a comment, a recurring completion and a deletion: hook-only rows
    lst = new_list("Mixed")
    r = req("POST", "/api/lists/%d/members/" % lst["id"], {"username": "bob",
                                                            "role": "editor"})
    eq(r.status, 201, "bob an editor: %s" % r.body)
    new_hook("/mixed-a", list_id=lst["id"])
    new_hook("/mixed-b", user="bob", list_id=lst["id"])
    t = new_task(lst, "Everything", complete_before="2030-01-02T10:00",
                 recurrence={"every": 1, "unit": "day"})
    eq(req("POST", "/api/tasks/%d/comments/" % t["id"], {"text": "a word"}).status, 201,
       "comment")
    t = patch(t, description="first")
    t = patch(t, status="Completed")            # recurring: moves on, not carried
    t = patch(t, description="second")
    eq(req("PATCH", "/api/lists/%d/" % lst["id"], {"name": "Mixed, renamed",
       "updated_at": req("GET", "/api/lists/%d/" % lst["id"]).json["updated_at"]}).status,
       200, "a list change in between")
    t = patch(t, user="bob", description="bob's")
    eq(req("DELETE", "/api/tasks/%d/" % t["id"]).status, 204, "delete")
    worker_once()
    want = ["task.created", "comment.created", "task.updated", "task.completed",
            "task.updated", "task.updated", "task.deleted"]
    key = "task:%d" % t["id"]
    for path in ("/mixed-a", "/mixed-b"):
        mine = [b for b in got(path) if b["event"] != "list.updated"]
        eq([b["event"] for b in mine], want, "%s: the task's changes in order" % path)
        eq([b["id"] for b in mine], sorted(b["id"] for b in mine), "%s: ids grow" % path)
        eq(len(got(path)), len(want) + 1, "%s: and the list's change" % path)
    eq(sql("SELECT DISTINCT object_key FROM webhook_deliveries WHERE event <> 'list.updated'"
           " AND webhook_id IN (SELECT id FROM webhooks WHERE list_id = ?)", lst["id"]),
       [(key,)], "one object")


def test_the_purge_keeps_rows_the_worker_has_not_moved():
    lst = new_list("Old")
    new_hook("/old", list_id=lst["id"])
    t = patch(new_task(lst, "Aged"), description="aged")
    # every event older than the retention: the worker purges before it sends
    S.sql("UPDATE events SET created_at = 0")
    worker_once()
    eq([b["event"] for b in got("/old")], ["task.created", "task.updated"], "both sent")
    eq(got("/old")[1]["data"], t, "the PATCH's")
    worker_once()
    eq(sql("SELECT count(*) FROM events WHERE task_id = ?", t["id"])[0][0], 0,
       "purged once moved, at the next pass")


def test_the_first_webhook_starts_the_cursor_at_the_newest_event():
    def cursor():
        return sql("SELECT events_id FROM webhook_cursor")[0][0]

    def newest():
        return sql("SELECT max(id) FROM events")[0][0]

    for user in TOK:
        for h in req("GET", "/api/webhooks/", user=user).json["results"]:
            eq(req("DELETE", "/api/webhooks/%d/" % h["id"], user=user).status, 204, "delete")
    lst = new_list("Before")
    for i in range(5):
        new_task(lst, "t%d" % i)
    start = cursor()
    assert start < newest(), (start, newest())
    first = new_hook("/first")
    eq(cursor(), newest(), "the first webhook takes the cursor to the newest event")
    # a webhook while another exists leaves it: a carried delivery waits there
    new_task(lst, "carried")
    at = cursor()
    assert at < newest(), (at, newest())
    new_hook("/second")
    eq(cursor(), at, "a second webhook leaves the cursor")
    log = req("GET", "/api/webhooks/%d/deliveries/" % first["id"]).json
    eq([(d["event"], d["status"]) for d in log["results"]], [("task.created", "pending")],
       "the carried delivery is still pending")

if __name__ == "__main__":
    run_tests(globals())
