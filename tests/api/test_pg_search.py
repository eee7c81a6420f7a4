#!/usr/bin/env python3
"""Search, deep pages and counts on PostgreSQL (README "PostgreSQL and
several hosts"): the search cases of test_tasks.py, and the pages of a list
of 300 tasks in every order with filters, answered by a responder on
PostgreSQL as by one on SQLite (the same ids in the same order, the same
counts), and the plans PostgreSQL ran for a search, a deep page and a count
on a list of many tasks, read from the cluster's log (auto_explain): the
pg_trgm GIN index for a rare text, the scope's indexes for the rest, no
sequential scan of tasks and, but for the search's hits, no sort.

The cluster is test_postgresql.py's (a throwaway one on a unix socket);
the tests report SKIP without --with-postgresql or PostgreSQL.
"""
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests, scratch_dir, wait_for  # noqa: E402
import test_postgresql as pgt  # noqa: E402

# test_tasks.py's search names (test_search_special_characters and
# test_search_in_a_big_list), with deadlines on some for the deadline orders
NAMES = ["Chore %02d of the week" % i for i in range(40)] + [
    "Ärger im Büro", "kein ärger", "100% done", "1000 done", "under_score",
    "underXscore", 'He said "go"', "it's fine", 'a""b', "Grüße aus Köln",
    "ЗАКАЗАТЬ пиццу", "50% off", "50 percent", "snake_case", "snakeXcase",
    "it's \"quoted\"", "Купить МОЛОКО", "молоко и хлеб", "ÉCOLE", "école", "plain",
    "back\\slash", "backXslash"]
SEARCHES = ["c", "ä", "%", "_", '"', "of", "Äр", "% d", "e_s", "00", "ÄRGER", "ärg",
            "chore 1", "chore 17 of the week", "chore 17 of the weekend", '"go"',
            'a""', '""b', "'s f", "GRÜSSE", "grüße", "заказать", "the week", "xyz",
            "0%", "e_c", "'s \"", "молоко", "École", "PLAIN", "zzz", "k\\s", "\\",
            "ck\\sl", "chore"]
ORDERS = ["", "created_at", "complete_before", "-complete_before", "updated_at"]


def setup_module():
    pgt.setup_module()


def teardown_module():
    pgt.teardown_module()


def pg_server(uri, **config):
    """A server on the PostgreSQL database uri, its per-host files in a scratch
    state_dir, with config."""
    return Server(config=dict(config, database=uri, state_dir=scratch_dir("pgstate-")),
                  migrate=False)


def fill(srv):
    """The user, the list and its tasks through the API; (token, list id)."""
    srv.create_user("searcher", staff=False)
    tok = srv.login("searcher")
    r = srv.post("/api/lists/", {"name": "Search"}, token=tok)
    eq(r.status, 201, r.body)
    lid = r.json["id"]
    for i, n in enumerate(NAMES):
        body = {"name": n}
        if i % 3:
            body["complete_before"] = "2030-01-%02dT10:00:00Z" % (1 + i % 5)
        r = srv.post("/api/lists/%d/tasks/" % lid, body, token=tok)
        eq(r.status, 201, r.body)
    return tok, lid


DEEP = 300      # tasks of the second list: past PAGE_DIRECT_SKIP and the page marks
FILTERS = ["", "&status=Pending", "&due_before=2030-01-03T00:00:00Z",
           "&due_after=2030-01-02T00:00:00Z&status=In%20Progress"]


def fill_deep(srv, tok):
    """A second list of DEEP tasks with deadlines, statuses and renames; its id."""
    r = srv.post("/api/lists/", {"name": "Deep"}, token=tok)
    eq(r.status, 201, r.body)
    lid = r.json["id"]
    for i in range(DEEP):
        body = {"name": "Step %03d" % i, "status": ("Pending", "In Progress", "Completed")[i % 3]}
        if i % 4:
            body["complete_before"] = "2030-01-%02dT10:00:00Z" % (1 + i % 5)
        r = srv.post("/api/lists/%d/tasks/" % lid, body, token=tok)
        eq(r.status, 201, r.body)
        if i % 7 == 0:
            t = r.json
            r = srv.request("PATCH", "/api/tasks/%d/" % t["id"],
                            {"name": "Step %03d again" % i, "updated_at": t["updated_at"]},
                            token=tok)
            eq(r.status, 200, r.body)
    return lid


def deep_answers(srv, tok, lid):
    """Pages of 40 of the deep list, walked to the end, in every order and with
    filters (the marks of deep pages kept between requests), and pages read at
    once at a deep offset: {(filter, order, how): (count, ids)}."""
    out = {}
    for flt in FILTERS:
        for o in ORDERS + ["-created_at", "-updated_at"]:
            got, off, count = [], 0, None
            while count is None or off < count:
                r = srv.get("/api/lists/%d/tasks/?limit=40&offset=%d&ordering=%s%s"
                            % (lid, off, o, flt), token=tok)
                eq(r.status, 200, "%r %r: %s" % (flt, o, r.body))
                count = r.json["count"]
                got += [t["id"] for t in r.json["results"]]
                off += 40
            out[(flt, o, "walked")] = (count, got)
            r = srv.get("/api/lists/%d/tasks/?limit=30&offset=%d&ordering=%s%s"
                        % (lid, DEEP - 30, o, flt), token=tok)
            eq(r.status, 200, r.body)
            out[(flt, o, "deep")] = (r.json["count"], [t["id"] for t in r.json["results"]])
    return out


def answers(srv, tok, lid):
    """Every search in every order, paged by 7: {(search, order): (count, ids)}."""
    out = {}
    for s in SEARCHES:
        for o in ORDERS:
            got, off, count = [], 0, None
            while count is None or off < count:
                r = srv.get("/api/lists/%d/tasks/?limit=7&offset=%d&ordering=%s&search=%s"
                            % (lid, off, o, urllib.parse.quote(s)), token=tok)
                eq(r.status, 200, "%r %r: %s" % (s, o, r.body))
                count = r.json["count"]
                got += [t["id"] for t in r.json["results"]]
                off += 7
            out[(s, o)] = (count, got)
    return out


def test_search_answers_as_on_sqlite():
    uri = pgt.migrated("search_same")
    with Server() as lite:
        tok, lid = fill(lite)
        want = answers(lite, tok, lid)
        deep = fill_deep(lite, tok)
        want.update(deep_answers(lite, tok, deep))
        names = {t["id"]: t["name"] for t in lite.get(
            "/api/lists/%d/tasks/?limit=100" % lid, token=tok).json["results"]}
    # the cases are what test_tasks.py says a search is
    for s in SEARCHES:
        eq(sorted(names[i] for i in want[(s, "created_at")][1]),
           sorted(n for n in NAMES if s.lower() in n.lower()), "SQLite %r" % s)
    with pg_server(uri) as pg:
        eq(fill(pg)[1], lid, "the same list id")
        tok = pg.login("searcher")
        got = answers(pg, tok, lid)
        eq(fill_deep(pg, tok), deep, "the same list id")
        got.update(deep_answers(pg, tok, deep))
        errors = [line for line in pg.log_text().splitlines() if "Z error " in line]
        eq(errors, [], "no error logged")
        assert pg.sanitizer_report() is None, pg.sanitizer_report()
    diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
    eq(diff, {}, "answers that differ (SQLite's, PostgreSQL's)")


# ---- plans on a big list --------------------------------------------------

BIG = 30000     # tasks in the list: enough that a scan costs more than an index


def plans(log, since):
    """The plans auto_explain logged after offset since: [(query, plan)]."""
    with open(log, errors="replace") as f:
        f.seek(since)
        text = f.read()
    out = []
    for block in text.split("LOG:  duration: ")[1:]:
        m = re.search(r"Query Text: (.*?)\n(.*)", block, re.S)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def explained(srv, db, tok, path):
    """The plans of the statements on tasks that GET path ran."""
    log = pgt.PG.log
    since = os.path.getsize(log)
    r = srv.get(path, token=tok)
    eq(r.status, 200, r.body)
    # the last statement's plan is logged at the COMMIT, which may follow the answer
    wait_for(lambda: pgt.idle(db), "the responders' transactions to end", timeout=10)
    # the server's log is written by another process: wait for the plans
    deadline = time.monotonic() + 10
    while True:
        got = [p for p in plans(log, since) if "FROM tasks t" in p[0]]
        if got or time.monotonic() > deadline:
            return r.json, got
        time.sleep(0.05)


def test_search_deep_pages_and_counts_use_indexes():
    uri = pgt.migrated("search_plans")
    db = "search_plans"
    with pg_server(uri) as srv:
        srv.create_user("planner", staff=False)
        tok = srv.login("planner")
        r = srv.post("/api/lists/", {"name": "Big"}, token=tok)
        eq(r.status, 201, r.body)
        lid = r.json["id"]
        for name in ("Errand quokka", "Feed the QUOKKA"):
            eq(srv.post("/api/lists/%d/tasks/" % lid, {"name": name}, token=tok).status, 201,
               name)
        # one statement, the triggers off (each row's would update the
        # list's row again); the list's counter set after, as they keep it
        pgt.PG.query(db, "SET session_replication_role = replica;"
                     " INSERT INTO tasks (list_id, name, name_key, status, complete_before,"
                     " created_at, updated_at) SELECT %d, 'Chore ' || i, 'chore ' || i,"
                     " (ARRAY['Pending', 'In Progress', 'Completed'])[1 + i %% 3],"
                     " CASE WHEN i %% 4 = 0 THEN NULL ELSE 1900000000000000 + i %% 997 END,"
                     " 1000 + i, 1000 + i FROM generate_series(1, %d) AS i;"
                     " UPDATE lists SET version = version + 1,"
                     " task_count = (SELECT count(*) FROM tasks WHERE list_id = %d)"
                     " WHERE id = %d" % (lid, BIG, lid, lid))
        pgt.PG.query(db, "VACUUM ANALYZE tasks")
        # every new session logs the plans of its statements
        pgt.PG.auto_explain(db)
    with pg_server(uri) as srv:
        tok = srv.login("planner")
        base = "/api/lists/%d/tasks/?limit=20" % lid
        cases = {
            "rare search": ("&search=quokka", "tasks_name_key_trgm"),
            "deep page": ("&offset=%d" % (BIG - 100), "tasks_list_created"),
            "deep page by deadline": ("&offset=%d&ordering=complete_before" % (BIG - 100),
                                      "tasks_list_due"),
            "deep page by deadline, reversed": (
                "&offset=%d&ordering=-complete_before" % (BIG - 100), "tasks_list_due"),
            "count of a status": ("&status=Completed&offset=%d" % (BIG // 3 - 10),
                                  "tasks_list_status"),
        }
        for what, (query, index) in cases.items():
            page, got = explained(srv, db, tok, base + query)
            assert got, "%s: no plan logged" % what
            text = "\n\n".join(q + "\n" + p for q, p in got)
            assert index in text, "%s: %s not used:\n%s" % (what, index, text)
            assert not re.search(r"Seq Scan on tasks\b", text), "%s: a scan:\n%s" % (what, text)
            # (a search sorts its few hits, as on SQLite)
            assert what == "rare search" or not re.search(r"\bSort\b", text), \
                "%s: a sort:\n%s" % (what, text)
            if what == "rare search":
                eq(sorted(t["name"] for t in page["results"]), ["Errand quokka", "Feed the QUOKKA"],
                   what)
            if what == "count of a status":
                eq(page["count"], BIG // 3, what)
        errors = [line for line in srv.log_text().splitlines() if "Z error " in line]
        eq(errors, [], "no error logged")


# ---- the admin pages' search ------------------------------------------------

# registered users (name, email): cases of the search on names and on emails
USERS = [("quokka_1", "Q1@Example.ORG"), ("Quokka.2", "under_score@example.org"),
         ("underXscore", "100%done@example.org"), ("ärger", "aerger@example.com"),
         ("Ärger.im.büro", ""), ("заказать", "zakaz@example.ru"),
         ("школа", "SHKOLA@EXAMPLE.RU"), ("plain", "plain.Person@Mail.example"),
         ("percent100", "x%y@example.org"), ("a.b_c", "a_b@example.org")]
USER_SEARCHES = ["a", "ä", "%", "_", ".", "quokka", "QUOKKA", "example.org", "EXAMPLE",
                 "ärger", "ÄRGER", "заказ", "ШКОЛА", "0%d", "e_s", "r_s", "xyz", "@",
                 "q1@", "boss", "\\"]
ADMIN_PAGES = {
    "users": (USER_SEARCHES, ["", "-email", "joined"]),
    "lists": (SEARCHES, ["", "-name", "owner", "tasks"]),
    "tasks": (SEARCHES, ["", "-id", "name", "-list", "assignee"]),
}


def admin_fill(srv):
    """The staff user, USERS, NAMES as lists (two owners) and as tasks; the
    admin client."""
    from admin_client import Admin
    srv.create_user("boss")
    for name, email in USERS:
        body = {"username": name, "password": "correct-horse-battery",
                "confirm_password": "correct-horse-battery"}
        if email:
            body["email"] = email
        r = srv.post("/api/auth/register/", body)
        eq(r.status, 201, "%r: %s" % (name, r.body))
    toks = [srv.login(USERS[0][0]), srv.login(USERS[1][0])]
    for i, n in enumerate(NAMES):
        r = srv.post("/api/lists/", {"name": n}, token=toks[i % 2])
        eq(r.status, 201, "list %r: %s" % (n, r.body))
    r = srv.post("/api/lists/", {"name": "The tasks"}, token=toks[1])
    eq(r.status, 201, r.body)
    lid = r.json["id"]
    for i, n in enumerate(NAMES):
        body = {"name": n}
        if i % 3:
            body["status"] = "Completed" if i % 3 == 2 else "In Progress"
        r = srv.post("/api/lists/%d/tasks/" % lid, body, token=toks[1])
        eq(r.status, 201, "task %r: %s" % (n, r.body))
    a = Admin(srv)
    eq(a.login("boss").status, 302, "admin login")
    return a


def admin_walk(a, page, query):
    """The ids of the rows on every page of the admin page with query, and
    the count it shows."""
    ids, url, count = [], "/admin/%s/?%s" % (page, query), None
    while url:
        r = a.get(url)
        eq(r.status, 200, "%s: %s" % (url, r.body[:300]))
        body = r.body.decode()
        ids += [int(x) for x in re.findall(
            r'<th scope="row"[^>]*><a class="cut" href="/admin/%s/(\d+)/"' % page, body)]
        count = re.search(r'<span class="count">([^<]*)</span>', body).group(1)
        m = re.search(r'<a href="([^"]*)" rel="next">', body)
        url = "/admin/%s/%s" % (page, m.group(1).replace("&amp;", "&")) if m else None
    return count, ids


def admin_answers(a, lid):
    """Every search of every admin page in some orders, and with the tasks'
    filters: {(page, search, order or filter): (count, ids)}."""
    out = {}
    for page, (searches, orders) in ADMIN_PAGES.items():
        for s in searches:
            for o in orders:
                out[(page, s, o)] = admin_walk(
                    a, page, "q=%s&o=%s" % (urllib.parse.quote(s), o))
    for s in ("chore", "e", "\u00e4", "_"):
        for flt in ("status=Completed", "status=In%%20Progress&list=%d" % lid,
                    "assigned_to=none"):
            out[("tasks", s, flt)] = admin_walk(a, "tasks", "q=%s&%s" % (
                urllib.parse.quote(s), flt))
    return out


def test_admin_search_answers_as_on_sqlite():
    uri = pgt.migrated("admin_same")
    config = {"page_size": "7"}
    with Server(config=config) as lite:
        a = admin_fill(lite)
        lid = lite.sql("SELECT max(id) FROM lists")[0][0]
        want = admin_answers(a, lid)
        users = dict(lite.sql("SELECT id, username_key || ' ' || lower(email) FROM users"))
        lists = dict(lite.sql("SELECT id, name FROM lists"))
    # the cases are what a search is: the text in the name (or the email)
    for s in USER_SEARCHES:
        key = s.lower()
        eq(sorted(want[("users", s, "")][1]),
           sorted(i for i, k in users.items() if key in k), "SQLite's users %r" % s)
    for s in SEARCHES:
        eq(sorted(want[("lists", s, "")][1]),
           sorted(i for i, n in lists.items() if s.lower() in n.lower()), "SQLite's lists %r" % s)
    with pg_server(uri, **config) as pg:
        got = admin_answers(admin_fill(pg), lid)
        errors = [line for line in pg.log_text().splitlines() if "Z error " in line]
        eq(errors, [], "no error logged")
    diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
    eq(diff, {}, "answers that differ (SQLite's, PostgreSQL's)")


def test_admin_search_uses_trigram_indexes():
    uri = pgt.migrated("admin_plans")
    db = "admin_plans"
    with pg_server(uri) as srv:
        srv.create_user("boss")
        srv.create_user("quokka", staff=False)
        tok = srv.login("quokka")
        r = srv.post("/api/lists/", {"name": "Quokka list"}, token=tok)
        eq(r.status, 201, r.body)
        lid = r.json["id"]
        eq(srv.post("/api/lists/%d/tasks/" % lid, {"name": "Feed the QUOKKA"},
                    token=tok).status, 201, "task")
        # many rows in one statement each, the triggers off, the counters after
        pgt.PG.query(db, "SET session_replication_role = replica;"
                     " INSERT INTO users (username, username_key, email, password, date_joined)"
                     " SELECT 'User' || i, 'user' || i, 'user' || i || '@example.org', '', i"
                     " FROM generate_series(1, %d) AS i;"
                     " INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
                     " SELECT (SELECT id FROM users WHERE username_key = 'user1'),"
                     " 'List ' || i, 'list ' || i, i, i FROM generate_series(1, %d) AS i;"
                     " INSERT INTO tasks (list_id, name, name_key, status, created_at, updated_at)"
                     " SELECT %d, 'Chore ' || i, 'chore ' || i, 'Pending', i, i"
                     " FROM generate_series(1, %d) AS i;"
                     " UPDATE lists SET version = version + 1,"
                     " task_count = (SELECT count(*) FROM tasks WHERE list_id = %d)"
                     " WHERE id = %d" % (BIG, BIG, lid, BIG, lid, lid))
        pgt.PG.query(db, "VACUUM ANALYZE users, lists, tasks")
        pgt.PG.auto_explain(db)
    from admin_client import Admin
    with pg_server(uri) as srv:
        a = Admin(srv)
        eq(a.login("boss").status, 302, "admin login")
        # the page's table, the indexes, and the FROM of its count and of its rows
        cases = {
            "users": ("users", ["users_username_key_trgm", "users_email_trgm"],
                      r"FROM users WHERE \("),
            "lists": ("lists", ["lists_name_key_trgm"],
                      r"FROM lists l (JOIN users u ON u\.id = l\.owner_id )?WHERE"),
            "tasks": ("tasks", ["tasks_name_key_trgm"],
                      r"FROM tasks t (JOIN lists l ON l\.id = t\.list_id LEFT JOIN users a"
                      r" ON a\.id = t\.assigned_to )?WHERE"),
        }
        for what, (table, indexes, pattern) in cases.items():
            log = pgt.PG.log
            since = os.path.getsize(log)
            r = a.get("/admin/%s/?q=quokka" % table)
            eq(r.status, 200, r.body)
            eq(len(re.findall(r'<th scope="row"', r.body.decode())), 1, "%s: one row" % what)
            deadline = time.monotonic() + 10
            while True:
                got = [p for p in plans(log, since) if re.search(pattern, p[0])]
                if len(got) >= 2 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            eq(len(got), 2, "%s: the plans of the count and the page" % what)
            text = "\n\n".join(q + "\n" + p for q, p in got)
            for index in indexes:
                assert index in text, "%s: %s not used:\n%s" % (what, index, text)
            assert not re.search(r"Seq Scan on %s\b" % table, text), \
                "%s: a scan:\n%s" % (what, text)
        errors = [line for line in srv.log_text().splitlines() if "Z error " in line]
        eq(errors, [], "no error logged")


if __name__ == "__main__":
    run_tests(globals(), time_limit=600)
