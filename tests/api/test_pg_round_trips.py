#!/usr/bin/env python3
"""What a request asks PostgreSQL (README "Performance", docs/PERFORMANCE.md),
read from the server's own log on a throwaway cluster (test_postgresql.py's):

- a task page runs its generic plan, made once (auto_explain shows $N where a
  plan made for the values shows them); a search is planned for its text;
- a read's COMMIT goes out with its answer, and nothing is left open;
- a task write does not read the webhooks again (webhook_gen, the cache's
  query) while none changed, and the first write after a change, on either
  of two hosts (a responder each), queues its delivery.

Every wait is bounded.  SKIP without --with-postgresql or PostgreSQL.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests, scratch_dir  # noqa: E402
import test_postgresql as pgt  # noqa: E402


def setup_module():
    pgt.setup_module()


def teardown_module():
    pgt.teardown_module()


def pg_server(uri):
    return Server(workers=1, migrate=False,
                  config={"database": uri, "state_dir": scratch_dir("pgstate-"),
                          "webhook_allow_http": "yes", "webhook_allow_hosts": "127.0.0.1"})


def log_after(since, want, deadline=10):
    """The cluster's log after offset since, once it holds want (at most deadline s)."""
    end = time.monotonic() + deadline
    while True:
        with open(pgt.PG.log, errors="replace") as f:
            f.seek(since)
            text = f.read()
        if want in text or time.monotonic() > end:
            return text
        time.sleep(0.05)


def test_pages_run_a_generic_plan_searches_one_for_their_text():
    uri = pgt.migrated("rt_plans")
    db = "rt_plans"
    pgt.PG.query(db, "ALTER DATABASE %s SET session_preload_libraries = 'auto_explain'" % db)
    pgt.PG.query(db, "ALTER DATABASE %s SET auto_explain.log_min_duration = 0" % db)
    with pg_server(uri) as srv:
        srv.create_user("planner", staff=False)
        tok = srv.login("planner")
        r = srv.post("/api/lists/", {"name": "Plans"}, token=tok)
        eq(r.status, 201, r.body)
        lid = r.json["id"]
        for name in ("Errand quokka", "Feed the cat"):
            eq(srv.post("/api/lists/%d/tasks/" % lid, {"name": name}, token=tok).status, 201)
        # PostgreSQL's own choice plans for the values five times, then
        # keeps doing so for a LIMIT ?: the eighth page tells them apart
        path = "/api/lists/%d/tasks/?limit=20" % lid
        for _ in range(7):
            eq(srv.get(path, token=tok).status, 200)
        assert pgt.settled(db), "the seventh page's transaction did not end"
        since = os.path.getsize(pgt.PG.log)
        eq(srv.get(path, token=tok).status, 200)
        text = log_after(since, "Index Cond")
        m = re.search(r"Index Cond: \(list_id = ([^)]*)\)", text)
        assert m, "no plan of the page logged:\n%s" % text[-3000:]
        eq(m.group(1), "$1", "the page's plan is the generic one")
        since = os.path.getsize(pgt.PG.log)
        r = srv.get(path + "&search=quokka", token=tok)
        eq([t["name"] for t in r.json["results"]], ["Errand quokka"])
        text = log_after(since, "quokka")
        assert re.search(r"~~ '%quokka%'", text), \
            "a search is planned for its text:\n%s" % text[-3000:]


def test_a_read_ends_its_transaction_at_its_answer():
    """A GET's COMMIT is sent before its answer goes out, not waited for (its
    answer is read at the connection's next use): the server ends the
    transaction and its snapshot without another request."""
    uri = pgt.migrated("rt_reads")
    db = "rt_reads"
    pgt.PG.query(db, "ALTER DATABASE %s SET log_statement = 'all'" % db)
    with pg_server(uri) as srv:
        srv.create_user("reader", staff=False)
        tok = srv.login("reader")
        lid = srv.post("/api/lists/", {"name": "Reads"}, token=tok).json["id"]
        eq(srv.post("/api/lists/%d/tasks/" % lid, {"name": "Read me"}, token=tok).status, 201)
        path = "/api/lists/%d/tasks/?limit=20" % lid
        eq(srv.get(path, token=tok).status, 200)
        assert pgt.settled(db), "a transaction was left open"
        for i in range(3):
            since = os.path.getsize(pgt.PG.log)
            r = srv.get(path, token=tok)
            eq((r.status, [t["name"] for t in r.json["results"]]), (200, ["Read me"]),
               "read %d" % i)
            text = log_after(since, "statement: COMMIT")
            eq(text.count("BEGIN ISOLATION LEVEL REPEATABLE READ"), 1, "one read transaction")
            assert "statement: COMMIT" in text, "its COMMIT was sent:\n%s" % text[-3000:]
            assert pgt.settled(db), "a transaction was left open after the answer"


def patch(srv, tok, task, text):
    r = srv.request("PATCH", "/api/tasks/%d/" % task["id"], token=tok,
                    body={"description": text, "updated_at": task["updated_at"]})
    eq(r.status, 200, r.body)
    return r.json


def test_writes_read_the_webhooks_only_after_a_change():
    uri = pgt.migrated("rt_hooks")
    db = "rt_hooks"
    pgt.PG.query(db, "ALTER DATABASE %s SET log_statement = 'all'" % db)
    # two hosts of one responder each: which process serves a request is known
    with pg_server(uri) as a, pg_server(uri) as b:
        a.create_user("writer", staff=False)
        tok = a.login("writer")
        lid = a.post("/api/lists/", {"name": "Hooks"}, token=tok).json["id"]
        task = a.post("/api/lists/%d/tasks/" % lid, {"name": "Patched"}, token=tok).json
        task = patch(a, tok, task, "warm a")    # each has read the webhooks once
        task = patch(b, tok, task, "warm b")
        since = os.path.getsize(pgt.PG.log)
        for i in range(6):
            task = patch(a if i % 2 else b, tok, task, "plain %d" % i)
        text = log_after(since, "plain 5")
        eq(text.count("UPDATE tasks SET"), 6, "six updates logged")
        eq(text.count("FROM webhook_gen"), 0, "webhook_gen not read")
        eq(text.count("FROM webhooks w"), 0, "the webhooks not read")
        # a webhook made on one host: every later write, on either, queues
        r = a.post("/api/webhooks/", {"url": "http://127.0.0.1:9/hook", "list_id": lid,
                                      "events": ["task.updated"]}, token=tok)
        eq(r.status, 201, r.body)
        for i in range(6):
            task = patch(b if i % 2 == 0 else a, tok, task, "hooked %d" % i)
        eq(pgt.PG.query(db, "SELECT count(*) FROM webhook_delivery_log"
                        " WHERE event = 'task.updated'"),
           [("6",)], "each write after the webhook queued a delivery")


if __name__ == "__main__":
    run_tests(globals(), time_limit=300)
