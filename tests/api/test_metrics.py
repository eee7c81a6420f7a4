#!/usr/bin/env python3
"""GET /metrics: the Prometheus text format (checked by promtool), what each
figure counts (a request raises exactly its route's counter, statuses,
throttled requests, logins, the outbox and the last sweep), counts summed
over every responder, and the address check of metrics_allow (REMOTE_ADDR,
never a header).  The example scrape config and alert rules in conf/ pass
promtool's checks."""
import os
import re
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PG, TOP_SRCDIR, Server, eq, run_tests, scratch_dir  # noqa: E402
from admin_client import Admin  # noqa: E402

PROMTOOL = os.environ.get("PROMTOOL") or shutil.which("promtool") or "/usr/bin/promtool"
S = None
WORKERS = 4
LOGIN_LIMIT = 3         # throttle_login per minute on the main server
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def setup_module():
    global S
    S = Server(workers=WORKERS,
               config={"throttle_login": "%d/minute" % LOGIN_LIMIT}).start()
    S.create_user("alice")


def teardown_module():
    S.stop()


def scrape(srv=None):
    r = (srv or S).get("/metrics")
    eq(r.status, 200, "GET /metrics")
    return r


def parse(body):
    """{(name, ((label, value), ...)): float} of every sample."""
    out = {}
    for line in body.decode().splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, "not a sample line: %r" % line
        labels = tuple(sorted(LABEL.findall(m.group(3) or "")))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def metrics(srv=None):
    return parse(scrape(srv).body)


def value(m, name, **labels):
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


def requests(m, route, method, status):
    return value(m, "taskmgr_http_requests_total", route=route, method=method,
                 status=str(status))


def promtool(*args, input=None):
    if not os.path.exists(PROMTOOL):
        raise AssertionError("promtool is missing: apt-get install prometheus")
    return subprocess.run([PROMTOOL] + list(args), input=input, capture_output=True,
                          timeout=60)


def test_promtool_checks_the_output():
    S.get("/api/health/")
    S.get("/api/no-such-thing/")
    r = scrape()
    eq(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8", "type")
    p = promtool("check", "metrics", input=r.body)
    eq(p.returncode, 0, "promtool check metrics: %s%s" % (p.stdout, p.stderr))
    eq(p.stdout + p.stderr, b"", "promtool's findings")
    m = parse(r.body)
    for name in ("taskmgr_throttled_requests_total", "taskmgr_responders",
                 "taskmgr_database_size_bytes", "taskmgr_wal_size_bytes",
                 "taskmgr_notices_pending", "taskmgr_notices_failed",
                 "taskmgr_notices_oldest_pending_age_seconds",
                 "taskmgr_webhook_deliveries_pending", "taskmgr_webhook_deliveries_failed",
                 "taskmgr_webhook_oldest_pending_age_seconds",
                 "taskmgr_reminders_pending", "taskmgr_last_sweep_timestamp_seconds"):
        assert (name, ()) in m, name
    eq(value(m, "taskmgr_database_up"), 1.0, "database up")
    assert value(m, "taskmgr_database_size_bytes") > 0, "database size"


def test_health_request_raises_its_counter_by_one():
    before = metrics()
    eq(S.get("/api/health/").status, 200, "health")
    after = metrics()
    eq(requests(after, "/api/health/", "GET", 200) -
       requests(before, "/api/health/", "GET", 200), 1.0, "health counter")
    h = "taskmgr_http_request_duration_seconds"
    eq(value(after, h + "_count", route="/api/health/") -
       value(before, h + "_count", route="/api/health/"), 1.0, "histogram count")
    eq(value(after, h + "_bucket", route="/api/health/", le="+Inf"),
       value(after, h + "_count", route="/api/health/"), "+Inf bucket is the count")
    # no other route moved but /metrics itself
    for key, v in after.items():
        if key[0] != "taskmgr_http_requests_total":
            continue
        route = dict(key[1])["route"]
        if route not in ("/api/health/", "/metrics"):
            eq(v, before.get(key, 0.0), "counter %r" % (key,))


def test_404_and_401_are_counted_with_their_status():
    tok = S.login("alice")
    before = metrics()
    eq(S.get("/api/no-such-thing/").status, 404, "unknown path")
    eq(S.get("/api/auth/me/").status, 401, "no credentials")
    eq(S.get("/api/tasks/987654/", token=tok).status, 404, "no such task")
    eq(S.get("/never/seen/%d/" % 12345).status, 404, "another unknown path")
    after = metrics()

    def d(route, method, status):
        return requests(after, route, method, status) - requests(before, route, method, status)
    eq(d("unmatched", "GET", 404), 2.0, "unmatched paths share one label")
    eq(d("/api/auth/me/", "GET", 401), 1.0, "401 on its route")
    eq(d("/api/tasks/{id}/", "GET", 404), 1.0, "404 on the route's pattern")
    assert not any("987654" in str(k) or "never" in str(k) for k in after), \
        "a raw path became a label"


def test_logins_are_counted():
    before = metrics()
    S.login("alice")
    r = S.post("/api/auth/token/", {"username": "alice", "password": "wrong-password"})
    eq(r.status, 401, "a wrong password")
    after = metrics()
    eq(value(after, "taskmgr_logins_total", result="success") -
       value(before, "taskmgr_logins_total", result="success"), 1.0, "successful logins")
    eq(value(after, "taskmgr_logins_total", result="failure") -
       value(before, "taskmgr_logins_total", result="failure"), 1.0, "failed logins")
    # the admin pages' login counts the same way (with a name of its own:
    # throttle_login counts alice's attempts on both)
    S.create_user("carol")
    eq(Admin(S).login("carol", "not-her-password").status, 200, "admin login refused")
    eq(Admin(S).login("carol").status, 302, "admin login")
    last = metrics()
    eq(value(last, "taskmgr_logins_total", result="success") -
       value(after, "taskmgr_logins_total", result="success"), 1.0, "admin logins")
    eq(value(last, "taskmgr_logins_total", result="failure") -
       value(after, "taskmgr_logins_total", result="failure"), 1.0, "refused admin logins")


def test_throttled_request_is_counted():
    before = metrics()
    body = {"username": "nobody-throttled", "password": "whatever-it-is"}
    got = [S.post("/api/auth/token/", body).status for _ in range(LOGIN_LIMIT + 1)]
    eq(got, [401] * LOGIN_LIMIT + [429], "login attempts")
    after = metrics()
    eq(value(after, "taskmgr_throttled_requests_total") -
       value(before, "taskmgr_throttled_requests_total"), 1.0, "throttled counter")
    eq(requests(after, "/api/auth/token/", "POST", 429) -
       requests(before, "/api/auth/token/", "POST", 429), 1.0, "429 on its route")


def test_counts_of_every_responder_are_summed():
    threads_n, each = 8, 25
    rounds = 0
    moved = {}
    while rounds < 10:
        rounds += 1
        before = metrics()
        errors = []

        def hammer():
            for _ in range(each):
                try:
                    if S.get("/api/health/").status != 200:
                        errors.append("status")
                except OSError as e:
                    errors.append(e)
        ts = [threading.Thread(target=hammer) for _ in range(threads_n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        eq(errors, [], "request errors")
        after = metrics()
        eq(requests(after, "/api/health/", "GET", 200) -
           requests(before, "/api/health/", "GET", 200), float(threads_n * each),
           "health requests counted over all responders")
        moved = {dict(k[1])["slot"]: v - before.get(k, 0.0) for k, v in after.items()
                 if k[0] == "taskmgr_responder_requests_total" and v > before.get(k, 0.0)}
        if len(moved) >= 2:
            break
    assert len(moved) >= 2, "one responder served every request in %d rounds" % rounds
    # each responder's slot also counted the scrape between the rounds
    eq(sum(moved.values()), float(threads_n * each + 1), "per-responder requests")
    eq(value(after, "taskmgr_responders"), float(WORKERS), "live responders")


def test_outbox_and_sweep_figures_come_from_the_database():
    before = metrics()
    eq(value(before, "taskmgr_last_sweep_timestamp_seconds"), 0.0, "no sweep yet")
    S.cli("worker", "--once", check=True)
    after = metrics()
    assert value(after, "taskmgr_last_sweep_timestamp_seconds") > 1.7e9, "the sweep's time"
    db = S.connect()
    try:
        uid = db.execute("SELECT id FROM users WHERE username = 'alice'").fetchone()[0]
        old = (int(time.time()) - 3600) * 1000000
        db.execute("INSERT INTO outbox (user_id, text, status, next_attempt_at, created_at)"
                   " VALUES (?, 'a', 0, ?, ?), (?, 'b', 0, ?, ?), (?, 'c', 2, ?, ?)",
                   (uid, old, old, uid, old + 10 ** 9, old + 10 ** 9, uid, old, old))
        db.commit()
    finally:
        db.close()
    m = metrics()
    eq(value(m, "taskmgr_notices_pending"), 2.0, "pending notices")
    eq(value(m, "taskmgr_notices_failed"), 1.0, "failed notices")
    age = value(m, "taskmgr_notices_oldest_pending_age_seconds")
    assert 3600 <= age < 3600 + 600, "oldest pending age %r" % age


def test_metrics_file_is_shared_and_private():
    # beside the SQLite file; on PostgreSQL in state_dir
    path = S.state_file("-metrics")
    eq(oct(os.stat(path).st_mode & 0o777), "0o600", "mode of " + path)


def sizes(srv):
    m = metrics(srv)
    eq(value(m, "taskmgr_database_up"), 1.0, "database up")
    return value(m, "taskmgr_database_size_bytes"), value(m, "taskmgr_wal_size_bytes")


def near(got, want, what):
    # the same figure read a moment apart: a page or a WAL segment may come between
    assert abs(got - want) <= want / 10, "%s: %r, want about %r" % (what, got, want)


def test_database_size_is_the_backend_s_figure():
    with Server(workers=1) as srv:
        size, wal = sizes(srv)
        if PG:
            (want, want_wal), = srv.sql("SELECT pg_database_size(current_database()),"
                                        " (SELECT sum(size) FROM pg_ls_waldir())")
        else:
            want, want_wal = os.path.getsize(srv.db), os.path.getsize(srv.db + "-wal")
        assert size > 0, size
        near(size, want, "the database's size")
        near(wal, want_wal, "the write-ahead log's size")
        # 2 MB of notices written: the database grows by them (SQLite: its file
        # and its -wal, where the pages land first)
        srv.sql("INSERT INTO users (username, username_key, password, date_joined)"
                " VALUES ('sizer', 'sizer', '', 0)")
        srv.sql("INSERT INTO outbox (user_id, text, status, next_attempt_at, created_at)"
                " SELECT (SELECT id FROM users WHERE username = 'sizer'), ? || i, 2, 0, 0"
                " FROM (WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k"
                " WHERE i < 2000) SELECT i FROM k) AS n", "%1000d" % 0)
        after, wal_after = sizes(srv)
        grown = after - size if PG else after + wal_after - size - wal
        assert grown >= 1.5e6, "grew by %r bytes" % grown
        if PG:
            # a role that may not list pg_wal (no pg_monitor): the WAL's
            # figure is 0, the database's is there, nothing fails
            srv.sql("CREATE ROLE tm_plain LOGIN")
            srv.sql("GRANT pg_read_all_data, pg_write_all_data TO tm_plain")
            uri = srv.db.replace("user=taskmgr", "user=tm_plain")
            assert uri != srv.db, srv.db
            with Server(workers=1, migrate=False, config={
                    "database": uri, "state_dir": scratch_dir("plain-")}) as plain:
                size, wal = sizes(plain)
                (want,), = srv.sql("SELECT pg_database_size(current_database())")
                near(size, want, "the database's size, for a plain role")
                eq(wal, 0.0, "the WAL's size without pg_monitor")
                eq([ln for ln in plain.log_text().splitlines()
                    if re.match(r"\S+ (warn|error) ", ln)], [], "warnings")
            srv.sql("DROP ROLE tm_plain")


def test_address_not_allowed_gets_404():
    # the server listens on 127.0.0.1: allowing only ::1 refuses it, whatever the headers say
    with Server(workers=1, config={"metrics_allow": "::1 10.0.0.0/8"}) as srv:
        r = srv.get("/metrics", headers={"X-Forwarded-For": "::1", "X-Real-IP": "::1"})
        eq(r.status, 404, "127.0.0.1 outside metrics_allow")
        eq(r.json, {"detail": "Not found."}, "the body of any unknown path")
        eq(srv.get("/api/health/").status, 200, "other routes answer")
    with Server(workers=1, config={"metrics_allow": "192.0.2.1 127.0.0.0/8"}) as srv:
        eq(srv.get("/metrics").status, 200, "127.0.0.1 within a CIDR range")
    with Server(workers=1, ipv6=True) as srv:
        eq(srv.get("/metrics").status, 200, "::1 by default")
    with Server(workers=1, ipv6=True, config={"metrics_allow": "127.0.0.1"}) as srv:
        eq(srv.get("/metrics").status, 404, "::1 outside metrics_allow")


def test_bad_metrics_allow_is_refused():
    d = scratch_dir("metrics-conf-")
    conf = os.path.join(d, "taskmgr.conf")
    with open(conf, "w") as f:
        f.write("database = %s\nmetrics_allow = 127.0.0.1 localhost\n" % os.path.join(d, "x.db"))
    p = S.cli("--config", conf, "check-config")
    assert p.returncode != 0, "check-config accepted a host name"
    assert "metrics_allow" in p.stderr and "localhost" in p.stderr, p.stderr


def test_example_scrape_config_and_rules_pass_promtool():
    conf = os.path.join(TOP_SRCDIR, "conf")
    d = scratch_dir("prom-")
    # the scrape config names the rules file beside it
    for name in ("prometheus-taskmgr.yml", "taskmgr-alerts.yml"):
        shutil.copy(os.path.join(conf, name), d)
    p = promtool("check", "config", os.path.join(d, "prometheus-taskmgr.yml"))
    eq(p.returncode, 0, "promtool check config: %s%s" % (p.stdout, p.stderr))
    p = promtool("check", "rules", os.path.join(d, "taskmgr-alerts.yml"))
    eq(p.returncode, 0, "promtool check rules: %s%s" % (p.stdout, p.stderr))
    text = p.stdout.decode()
    assert "SUCCESS: 2 rules found" in text, text


if __name__ == "__main__":
    run_tests(globals())
