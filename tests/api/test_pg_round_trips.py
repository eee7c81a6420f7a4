#!/usr/bin/env python3
"""What a request asks PostgreSQL (README "Performance", docs/PERFORMANCE.md),
read from the server's own log on a throwaway cluster (test_postgresql.py's):

- a task page runs its generic plan, made once (auto_explain shows $N where a
  plan made for the values shows them); a search is planned for its text;
- a read's COMMIT goes out with its answer, and nothing is left open;
- an unfiltered page of the caller's tasks or of a list is one statement in
  its read transaction beside the token lookup: the rows, their lists' and
  assignees' names and the count together; a page past the end counts apart;
  a deep page (its ids first) reads its rows and names in one statement too;
- the server's FATAL as it ends a session is a line of our log, not libpq's;
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
from harness import Server, eq, run_tests, scratch_dir, wait_for  # noqa: E402
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
    pgt.PG.auto_explain(db)
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
        wait_for(lambda: pgt.idle(db), "the seventh page's transaction to end", timeout=10)
        since = os.path.getsize(pgt.PG.log)
        eq(srv.get(path, token=tok).status, 200)
        # the last statement's plan is logged at the COMMIT, which may follow the answer
        wait_for(lambda: pgt.idle(db), "the eighth page's transaction to end", timeout=10)
        text = log_after(since, "Index Cond: (list_id")
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
        wait_for(lambda: pgt.idle(db), "the first read's transaction to end", timeout=10)
        for i in range(3):
            since = os.path.getsize(pgt.PG.log)
            r = srv.get(path, token=tok)
            eq((r.status, [t["name"] for t in r.json["results"]]), (200, ["Read me"]),
               "read %d" % i)
            text = log_after(since, "statement: COMMIT")
            eq(text.count("BEGIN ISOLATION LEVEL REPEATABLE READ"), 1, "one read transaction")
            assert "statement: COMMIT" in text, "its COMMIT was sent:\n%s" % text[-3000:]
            wait_for(lambda: pgt.idle(db), "the read's transaction to end after its answer",
                     timeout=10)


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


def statements(since, want):
    """The statements the cluster logged after offset since, once want is
    among them (log_statement = 'all'), without BEGIN and COMMIT."""
    text = log_after(since, want)
    out = []
    for line in text.splitlines():
        m = re.search(r"LOG:  (?:execute [^:]*|statement): (.*)", line)
        if m and not re.match(r"(BEGIN|COMMIT)\b", m.group(1)):
            out.append(m.group(1))
    return out


def page_statements(srv, tok, path):
    """GET path's answer and the statements it ran but the token lookup's."""
    since = os.path.getsize(pgt.PG.log)
    r = srv.get(path, token=tok)
    eq(r.status, 200, r.body)
    # the page's is the last, or the count's after an empty page's
    seen = statements(since, "FROM tasks t")
    if r.json["results"] == []:
        seen = statements(since, "extras_count > 0 FROM")
    eq(sum("FROM auth_tokens" in s for s in seen), 1, "one token lookup: %r" % seen)
    return r.json, [s for s in seen if "FROM auth_tokens" not in s]


def test_a_page_is_one_statement_with_its_names_and_count():
    uri = pgt.migrated("rt_pages")
    db = "rt_pages"
    pgt.PG.query(db, "ALTER DATABASE %s SET log_statement = 'all'" % db)
    with pg_server(uri) as srv:
        tok, uid = {}, {}
        for u in ("pager", "helper", "outsider"):
            srv.create_user(u, staff=False)
            tok[u] = srv.login(u)
            uid[u] = srv.get("/api/auth/me/", token=tok[u]).json["id"]
        lists = {}
        for name in ("Home", "Work", "Garden"):
            r = srv.post("/api/lists/", {"name": name}, token=tok["pager"])
            eq(r.status, 201, r.body)
            lists[name] = r.json["id"]
        # the pager's tasks in three lists; Home's also the helper's and nobody's
        made = []
        for i in range(9):
            lname = ("Home", "Work", "Garden")[i % 3]
            who = (uid["pager"], uid["helper"], None)[i // 3]
            body = {"name": "task %d" % i}
            if who is not None:
                body["assigned_to"] = who
            r = srv.post("/api/lists/%d/tasks/" % lists[lname], body, token=tok["pager"])
            eq(r.status, 201, r.body)
            made.append(r.json)
        mine = [t for t in made if t["assigned_to"] == uid["pager"]][::-1]
        eq(len({t["list_id"] for t in mine}), 3, "the page spans three lists")
        srv.get("/api/tasks/?limit=20", token=tok["pager"])     # prepared once

        j, seen = page_statements(srv, tok["pager"], "/api/tasks/?limit=20")
        eq(j["count"], len(mine), "the count")
        eq([(t["id"], t["list_name"], t["assignee_name"]) for t in j["results"]],
           [(t["id"], t["list_name"], "pager") for t in mine], "the rows and their names")
        eq(j["results"], [srv.get("/api/tasks/%d/" % t["id"], token=tok["pager"]).json
                          for t in mine], "each row as a read of its task")
        eq(len(seen), 1, "one statement: %r" % seen)
        assert "FROM tasks t" in seen[0] and "assigned_count" in seen[0], seen

        # past the end: no row, and the count read as without rows
        j, seen = page_statements(srv, tok["pager"], "/api/tasks/?limit=20&offset=50")
        eq((j["count"], j["results"], j["next"]), (len(mine), [], None), "past the end")
        eq(len(seen), 2, "the page, then the count: %r" % seen)

        # a list's page: several assignees, the list's owner
        home = [t for t in made if t["list_id"] == lists["Home"]][::-1]
        path = "/api/lists/%d/tasks/?limit=20" % lists["Home"]
        srv.get(path, token=tok["pager"])
        j, seen = page_statements(srv, tok["pager"], path)
        eq(j["count"], len(home), "the list's count")
        eq([(t["id"], t["list_name"], t["assignee_name"]) for t in j["results"]],
           [(t["id"], "Home", t["assignee_name"]) for t in home], "the list's rows")
        eq(sorted({str(t["assignee_name"]) for t in j["results"]}),
           ["None", "helper", "pager"], "three kinds of assignee")
        eq(len(seen), 1, "one statement: %r" % seen)
        j, seen = page_statements(srv, tok["pager"], path + "&offset=7")
        eq((j["count"], j["results"]), (len(home), []), "the list past its end")

        # the helper sees Home's tasks assigned to it only through its own page
        r = srv.get(path, token=tok["helper"])
        eq((r.status, r.json), (404, {"detail": "Not found."}), "a list not seen")
        r = srv.get(path, token=tok["outsider"])
        eq((r.status, r.json), (404, {"detail": "Not found."}), "nor by an outsider")
        j = srv.get("/api/tasks/?limit=20", token=tok["helper"]).json
        eq(sorted(t["id"] for t in j["results"]),
           sorted(t["id"] for t in made if t["assigned_to"] == uid["helper"]), "the helper's")
        eq(j["count"], len(j["results"]), "the helper's count")


DEEP_TASKS = 360    # 300 in the list Deep, 288 the pager's: past PAGE_DIRECT_SKIP (256)


def fill_deep(srv):
    """Two lists of the pager's (Deep of most of DEEP_TASKS tasks, Other of the rest),
    the tasks the pager's, the helper's or nobody's, with deadlines (some
    equal, some none), renames and a few reminders, made through the API;
    ({user: token}, {list: id})."""
    tok, uid = {}, {}
    for u in ("pager", "helper"):
        srv.create_user(u, staff=False)
        tok[u] = srv.login(u)
        uid[u] = srv.get("/api/auth/me/", token=tok[u]).json["id"]
    lists = {}
    for name in ("Deep", "Other"):
        r = srv.post("/api/lists/", {"name": name}, token=tok["pager"])
        eq(r.status, 201, r.body)
        lists[name] = r.json["id"]
    for i in range(DEEP_TASKS):
        body = {"name": "deep %03d" % i}
        if i % 10 == 5:
            body["assigned_to"] = uid["helper"]
        elif i % 10:
            body["assigned_to"] = uid["pager"]
        if i % 4:
            body["complete_before"] = "2030-01-%02dT10:00:00Z" % (1 + i % 9)
        if i % 50 == 1:
            body["reminders"] = [60]
        lid = lists["Other" if i % 6 == 0 else "Deep"]
        r = srv.post("/api/lists/%d/tasks/" % lid, body, token=tok["pager"])
        eq(r.status, 201, r.body)
        if i % 7 == 0:
            t = r.json
            r = srv.request("PATCH", "/api/tasks/%d/" % t["id"],
                            {"name": "deep %03d again" % i, "updated_at": t["updated_at"]},
                            token=tok["pager"])
            eq(r.status, 200, r.body)
    return tok, lists


def deep_paths(lists):
    deep = "/api/lists/%d/tasks/?limit=20" % lists["Deep"]
    return [deep + "&offset=260&ordering=complete_before",
            deep + "&offset=257&ordering=-complete_before",
            deep + "&offset=262&ordering=-updated_at",
            "/api/tasks/?limit=20&offset=258&ordering=complete_before",
            "/api/tasks/?limit=30&offset=256&ordering=updated_at"]


def same_data(row):
    """A row of a page but its times, which differ between two servers."""
    return {k: v for k, v in row.items() if k not in ("created_at", "updated_at")}


def test_a_deep_page_reads_its_rows_in_one_statement():
    """Past 256 rows to skip (PAGE_DIRECT_SKIP), and where no mark serves
    (an order other than the creation's), a page walks its ids in the index
    and reads each row by its id: on PostgreSQL in the page's one statement
    with the rows' names, not one statement per row; the rows, their order
    and names as SQLite's for the same data."""
    with Server() as lite:
        tok, lists = fill_deep(lite)
        want = {p: lite.get(p, token=tok["pager"]).json for p in deep_paths(lists)}
    uri = pgt.migrated("rt_deep")
    db = "rt_deep"
    pgt.PG.query(db, "ALTER DATABASE %s SET log_statement = 'all'" % db)
    with pg_server(uri) as srv:
        eq(fill_deep(srv)[1], lists, "the same list ids")
        tok = {u: srv.login(u) for u in ("pager", "helper")}
        for path in deep_paths(lists):
            srv.get(path, token=tok["pager"])   # prepared once
            j, seen = page_statements(srv, tok["pager"], path)
            w = want[path]
            eq((j["count"], j["next"] is not None, len(j["results"])),
               (w["count"], w["next"] is not None, len(w["results"])), path)
            assert len(j["results"]) >= 10, "%s: rows past 256: %r" % (path, j)
            eq([same_data(t) for t in j["results"]], [same_data(t) for t in w["results"]],
               "%s: the rows as SQLite's" % path)
            eq(j["results"], [srv.get("/api/tasks/%d/" % t["id"], token=tok["pager"]).json
                              for t in j["results"]], "%s: each row as a read of its task" % path)
            # the count (the list's or the pager's counter), then the page
            eq(len(seen), 2, "%s: two statements: %r" % (path, seen))
            assert "FROM tasks t" not in seen[0] and "FROM tasks t" in seen[1], seen
        # the helper does not see the list: a 404, no rows read
        r = srv.get(deep_paths(lists)[0], token=tok["helper"])
        eq((r.status, r.json), (404, {"detail": "Not found."}), "a list not seen")
        errors = [line for line in srv.log_text().splitlines() if "Z error " in line]
        eq(errors, [], "no error logged")


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z warn PostgreSQL FATAL: "
                      r"terminating connection due to administrator command$", re.M)


def test_the_server_ending_a_connection_is_logged_by_our_logger():
    """The FATAL PostgreSQL sends as it ends a session (pg_terminate_backend,
    or a shutdown) arrives while the responder's connection is idle: libpq
    hands it to its notice receiver, ours (pgstmt.c), which logs one line
    of our format instead of libpq's "FATAL:  ..." on stderr."""
    uri = pgt.migrated("rt_notice")
    db = "rt_notice"
    others = ("SELECT pid FROM pg_stat_activity WHERE datname = '%s'"
              " AND backend_type = 'client backend' AND pid <> pg_backend_pid()" % db)
    with pg_server(uri) as srv:
        srv.create_user("noticed", staff=False)
        tok = srv.login("noticed")
        # a read: its COMMIT's answer is read at the connection's next use
        eq(srv.get("/api/tasks/?limit=20", token=tok).status, 200)
        pids = [p for (p,) in pgt.PG.query(db, others)]
        eq(len(pids), 1, "the responder's session")
        pgt.PG.query(db, "SELECT pg_terminate_backend(%s)" % pids[0])
        wait_for(lambda: pgt.PG.query(db, others) == [], "the session to end", timeout=10)
        # the next request reads the FATAL, connects again and is served
        r = srv.get("/api/tasks/?limit=20", token=tok)
        eq((r.status, r.json["count"]), (200, 0), "served after the session ended")
        wait_for(lambda: "terminating connection" in srv.log_text(), "the FATAL logged",
                 timeout=10)
        raw = [line for line in srv.log_text().splitlines() if line.startswith("FATAL")]
        eq(raw, [], "libpq's own notice lines")
        assert LOG_LINE.search(srv.log_text()), srv.log_text()[-2000:]


if __name__ == "__main__":
    run_tests(globals(), time_limit=300)
