#!/usr/bin/env python3
"""Foundation through real nginx + spawn-fcgi: health, errors, headers, logs, CLI."""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (PG, SCRATCH, Server, eq, run_tests, TASKMGR, RESPONDER,  # noqa: E402
                     TOP_BUILDDIR)
import harness  # noqa: E402
import pgcluster  # noqa: E402

S = None


def setup_module():
    global S
    S = Server(workers=2, config={"max_body": "2048"}).start()
    S.create_user("admin", "correct-horse-battery")


def teardown_module():
    S.stop()


def schema_version():
    """The schema version this build expects, as 'taskmgr version' says."""
    out = S.cli("version").stdout
    return int(out.split("schema version ")[1].rstrip(")\n"))


def check_json_headers(r):
    eq(r.header("Content-Type"), "application/json; charset=utf-8", "content type")
    eq(r.header("Cache-Control"), "no-store", "cache-control")
    eq(r.header("X-Content-Type-Options"), "nosniff", "nosniff")


def test_health():
    r = S.get("/api/health/")
    eq(r.status, 200, "status")
    eq(r.json, {"status": "ok", "database": "ok", "schema_version": schema_version()}, "body")
    check_json_headers(r)


def test_unknown_path_404():
    r = S.get("/api/nothing-here/")
    eq(r.status, 404, "status")
    eq(r.json, {"detail": "Not found."}, "body")
    check_json_headers(r)


def test_missing_trailing_slash_is_404_not_redirect():
    r = S.get("/api/health")
    eq(r.status, 404, "status")
    eq(r.header("Location"), None, "no redirect")
    r = S.post("/api/auth/token", {"username": "a", "password": "b"})
    eq(r.status, 404, "POST without slash")


def test_percent_encoded_path_is_not_decoded_into_a_route():
    eq(S.get("/api/%68ealth/").status, 404, "encoded letter")
    eq(S.get("/api/health/../health/").status, 404, "dot segments")


def test_405_with_allow():
    r = S.get("/api/auth/token/")
    eq(r.status, 405, "status")
    eq(r.json, {"detail": 'Method "GET" not allowed.'}, "body")
    allow = r.header("Allow")
    assert allow and "POST" in allow and "GET" not in allow.split(", "), allow
    r = S.request("DELETE", "/api/health/")
    eq(r.status, 405, "DELETE on health")
    assert "GET" in r.header("Allow"), r.header("Allow")


def test_options_lists_allowed_methods():
    r = S.request("OPTIONS", "/api/auth/token/")
    eq(r.status, 200, "status")
    assert "POST" in r.header("Allow"), r.header("Allow")


def test_head_has_no_body():
    r = S.request("HEAD", "/api/health/")
    eq(r.status, 200, "status")
    eq(r.body, b"", "body")


def test_413_body_too_large():
    big = b'{"username": "' + b"x" * 5000 + b'", "password": "y"}'
    r = S.post("/api/auth/token/", raw=big, headers={"Content-Type": "application/json"})
    eq(r.status, 413, "status")
    eq(r.json, {"detail": "Request body too large."}, "body")
    check_json_headers(r)
    # the process that refused it still serves, and so does everything else
    eq(S.get("/api/health/").status, 200, "health after 413")


def test_415_unsupported_media_type():
    r = S.post("/api/auth/token/", raw=b"username=a&password=b",
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    eq(r.status, 415, "status")
    eq(r.json, {"detail": 'Unsupported media type "application/x-www-form-urlencoded" in request.'},
       "body")


def test_json_with_charset_is_accepted():
    r = S.post("/api/auth/token/", raw=b'{"username": "admin", "password": "correct-horse-battery"}',
               headers={"Content-Type": "application/json; charset=utf-8"})
    eq(r.status, 200, "status")


def test_400_malformed_json():
    r = S.post("/api/auth/token/", raw=b'{"username": ', headers={"Content-Type": "application/json"})
    eq(r.status, 400, "status")
    assert r.json["detail"].startswith("JSON parse error - "), r.json
    for raw in (b"[1, 2]", b'"text"', b"42", b'{"a": 1} trailing', b"\xff\xfe"):
        r = S.post("/api/auth/token/", raw=raw, headers={"Content-Type": "application/json"})
        eq(r.status, 400, "status for %r" % raw)
        assert r.json["detail"].startswith("JSON parse error - "), (raw, r.json)


def test_validation_errors_have_drf_shape():
    r = S.post("/api/auth/token/", {})
    eq(r.status, 400, "status")
    eq(r.json, {"username": ["This field is required."],
                "password": ["This field is required."]}, "body")
    r = S.post("/api/auth/token/", {"username": 5, "password": None})
    eq(r.json, {"username": ["Not a valid string."],
                "password": ["This field may not be null."]}, "types")


def test_login_and_bad_token():
    r = S.post("/api/auth/token/", {"username": "admin", "password": "correct-horse-battery"})
    eq(r.status, 200, "status")
    body = r.json
    eq(sorted(body), ["access", "access_expires_in", "refresh", "refresh_expires_at"], "keys")
    eq(body["access_expires_in"], 900, "ttl")
    assert body["refresh_expires_at"].endswith("Z") and len(body["refresh_expires_at"]) == 27
    r = S.post("/api/auth/token/", {"username": "ADMIN", "password": "wrong-password"})
    eq(r.status, 401, "wrong password")
    eq(r.json, {"detail": "No active account found with the given credentials"}, "401 body")
    eq(r.header("WWW-Authenticate"), 'Bearer realm="api"', "www-authenticate")
    r = S.post("/api/auth/token/", {"username": "nobody", "password": "wrong-password"})
    eq(r.status, 401, "unknown user")
    r = S.post("/api/auth/token/", {"username": "a", "password": "b"},
               headers={"Authorization": "Bearer not-a-real-token"})
    eq(r.status, 401, "bad bearer")
    eq(r.json, {"detail": "Given token not valid for any token type",
                "code": "token_not_valid"}, "bad token body")


def test_tokens_and_passwords_never_in_logs_or_db_in_clear():
    r = S.post("/api/auth/token/", {"username": "admin", "password": "correct-horse-battery"})
    access, refresh = r.json["access"], r.json["refresh"]
    log = S.log_text()
    for secret in (access, refresh, "correct-horse-battery"):
        assert secret not in log, "secret in log"
        assert secret.encode() not in S.db_bytes(), "secret in database"


def test_access_log_line():
    S.get("/api/nothing/?q=secret-query")
    time.sleep(0.1)
    lines = [l for l in S.log_text().splitlines() if '"/api/nothing/"' in l]
    assert lines, "no access line"
    line = lines[-1]
    assert " access GET " in line and " 404 " in line and "ms uid=0" in line, line
    assert "secret-query" not in line, "query string logged"


def test_bad_request_does_not_take_process_down():
    pids = S.responder_pids()
    eq(len(pids), 2, "responders")
    for raw in (b"{" * 5000, b'{"a":"\\u0000"}', b'{"username":"\xc3\x28","password":"x"}'):
        r = S.post("/api/auth/token/", raw=raw, headers={"Content-Type": "application/json"})
        assert 400 <= r.status < 500, (raw[:20], r)
    eq(S.responder_pids(), pids, "same PIDs")
    eq(S.get("/api/health/").status, 200, "still healthy")


def test_unmigrated_database_answers_503():
    srv = Server(workers=1, migrate=False).start()
    try:
        r = srv.get("/api/health/")
        eq(r.status, 503, "health")
        eq(r.json["status"], "error", "status field")
        r = srv.post("/api/auth/token/", {"username": "a", "password": "b"})
        eq(r.status, 503, "other route")
        assert "taskmgr migrate" in r.json["detail"], r.json
        assert "run 'taskmgr migrate'" in srv.log_text(), "cause logged"
        srv.cli("migrate", check=True)
        deadline = time.time() + 5
        while time.time() < deadline and srv.get("/api/health/").status != 200:
            time.sleep(0.1)
        eq(srv.get("/api/health/").json["status"], "ok", "healthy once migrated")
    finally:
        srv.stop()


def test_rate_limits_hold_in_a_responder_started_before_migrate():
    """The responder maps the rate-limit table when it opens the database:
    one started before the database existed maps it once 'taskmgr migrate'
    has run, and then counts (429 after the budget), the table beside the
    database (on PostgreSQL in state_dir)."""
    config = {"throttle_anon": "3/minute"}
    if PG:
        # a database not created yet, as SQLite's missing file
        cluster = pgcluster.session(TASKMGR, SCRATCH)
        name = "notyet%d" % os.getpid()
        config["database"] = cluster.uri(name)
    srv = Server(workers=1, migrate=False, config=config).start()
    try:
        eq(srv.get("/api/health/").status, 503, "not migrated yet")
        assert not os.path.exists(srv.state_file("-limits")), "no table before the database"
        if PG:
            cluster.createdb(name)
        srv.cli("migrate", check=True)
        deadline = time.time() + 5
        while time.time() < deadline and srv.get("/api/health/").status != 200:
            time.sleep(0.1)
        eq(srv.get("/api/health/").status, 200, "healthy once migrated")
        body = {"username": "nobody", "password": "wrong"}
        got = [srv.post("/api/auth/token/", body).status for _ in range(4)]
        eq(got[:3], [401, 401, 401], "the budget of 3")
        eq(got[3], 429, "then throttled")
        assert os.path.exists(srv.state_file("-limits")), "the table in its place"
    finally:
        srv.stop()
    if PG:
        # (a shared cluster outlives this file: the database goes, as the harness's)
        cluster.query("postgres", "DROP DATABASE %s WITH (FORCE)" % name)


def test_ipv6_loopback():
    srv = Server(workers=1, ipv6=True).start()
    try:
        eq(srv.get("/api/health/").status, 200, "health over ::1")
    finally:
        srv.stop()


def test_systemd_setup_spawn_fcgi_n_with_multiwatch():
    srv = Server(workers=2, mode="multiwatch").start()
    try:
        pids = srv.responder_pids()
        eq(len(pids), 2, "multiwatch children")
        eq(srv.get("/api/health/").status, 200, "health")
        os.kill(pids[0], signal.SIGKILL)
        deadline = time.time() + 10
        while time.time() < deadline:
            now = srv.responder_pids()
            if len(now) == 2 and pids[0] not in now:
                break
            time.sleep(0.05)
        now = srv.responder_pids()
        eq(len(now), 2, "restarted child")
        assert pids[0] not in now
        for _ in range(10):
            eq(srv.get("/api/health/").status, 200, "health after restart")
    finally:
        srv.stop()
    time.sleep(0.2)
    for p in pids:
        assert not os.path.exists("/proc/%d" % p) or open("/proc/%d/stat" % p).read().split()[2] == "Z", \
            "responder %d survived SIGTERM to multiwatch" % p


def test_responder_stops_cleanly_on_sigterm():
    srv = Server(workers=1).start()
    pid = srv.responder_pids()[0]
    os.kill(pid, signal.SIGTERM)
    # the accept loop ends on the signal; nudge it with one request if blocked
    # (exited: gone, or a zombie until PID 1, its parent, reaps it)
    deadline = time.time() + 5
    while time.time() < deadline and harness._alive(pid):
        time.sleep(0.05)
    assert not harness._alive(pid), "still running"
    assert "taskmgr.fcgi stopping" in srv.log_text()
    srv.stop()


# ---- the CLI ----------------------------------------------------------------

def test_cli_help_and_exit_codes():
    p = S.cli("--help")
    eq(p.returncode, 0, "--help")
    for cmd in ("migrate", "createsuperuser", "check-config", "version"):
        assert cmd in p.stdout, cmd
        q = S.cli(cmd, "--help")
        eq(q.returncode, 0, cmd + " --help")
        assert "usage: taskmgr" in q.stdout, q.stdout
    eq(S.cli("no-such-command").returncode, 2, "unknown command")
    eq(S.cli().returncode, 2, "no command")
    eq(S.cli("createsuperuser").returncode, 2, "missing --username")
    eq(S.cli("migrate", "extra").returncode, 2, "extra argument")


def test_cli_migrate_is_idempotent():
    p = S.cli("migrate")
    eq(p.returncode, 0, "second migrate")
    assert "up to date" in p.stdout, p.stdout
    con = S.connect()
    if PG:
        eq(con.execute("SELECT version FROM schema_version").fetchone()[0], schema_version(),
           "schema_version")
    else:
        eq(con.execute("PRAGMA user_version").fetchone()[0], schema_version(), "user_version")
        eq(con.execute("PRAGMA journal_mode").fetchone()[0], "wal", "WAL")
    con.close()


def test_cli_createsuperuser():
    p = S.cli("createsuperuser", "--username", "boss", "--email", "boss@example.com",
              "--password-stdin", input="a-good-password\n")
    eq(p.returncode, 0, p.stderr)
    p = S.cli("createsuperuser", "--username", "BOSS", "--password-stdin",
              input="a-good-password\n")
    eq(p.returncode, 1, "duplicate in another case")
    assert "already exists" in p.stderr
    p = S.cli("createsuperuser", "--username", "shorty", "--password-stdin", input="short\n")
    eq(p.returncode, 1, "short password")
    con = S.connect()
    row = con.execute("SELECT is_staff, is_superuser, is_active, email, password FROM users"
                      " WHERE username = 'boss'").fetchone()
    con.close()
    eq(row[:4], (1, 1, 1, "boss@example.com"), "row")
    assert row[4].startswith("$argon2id$v=19$m=1024,t=1,p=1$"), row[4]
    S.login("boss", "a-good-password")


def test_cli_check_config():
    p = S.cli("check-config")
    eq(p.returncode, 0, p.stderr)
    assert "telegram_bot_secret = ********" in p.stdout, p.stdout
    assert "test-bot-secret" not in p.stdout
    assert "page_size = 20" in p.stdout
    p = S.cli("check-config", env={"TASKMGR_PAGE_SIZE": "7"})
    assert "page_size = 7" in p.stdout, "env override"
    p = S.cli("check-config", env={"TASKMGR_PAGE_SIZE": "seven"})
    eq(p.returncode, 1, "bad env value")
    assert "TASKMGR_PAGE_SIZE" in p.stderr, p.stderr
    bad = os.path.join(S.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("# comment\npage_size = 10\n\nno_such_key = 1\n")
    p = S.cli("--config", bad, "check-config")
    eq(p.returncode, 1, "unknown key")
    assert bad + ":4: unknown key \"no_such_key\"" in p.stderr, p.stderr
    with open(bad, "w") as f:
        f.write("throttle_anon = lots\n")
    p = S.cli("--config", bad, "check-config")
    assert bad + ":1: throttle_anon" in p.stderr, p.stderr


def test_placeholder_or_short_secret_stops_every_program():
    """A guessable bot or webhook secret is a configuration error, from the
    file (file:line: message) or the environment (the variable named)."""
    bad = os.path.join(S.dir, "weak.conf")
    conf = "database = %s\n" % S.db
    placeholder = "change-me-to-a-long-random-string"
    with open(bad, "w") as f:
        f.write(conf + "# the old example\ntelegram_bot_secret = %s\n" % placeholder)
    p = S.cli("--config", bad, "check-config")
    eq(p.returncode, 1, "check-config refuses the placeholder")
    assert bad + ":3: telegram_bot_secret: is the example's placeholder" in p.stderr, p.stderr
    assert placeholder not in p.stdout + p.stderr.split("placeholder", 1)[1], p.stderr
    for prog in ([TASKMGR, "--config", bad, "worker", "--once"],
                 [TASKMGR, "--config", bad, "bot"],
                 [TASKMGR, "--config", bad, "migrate"],
                 [RESPONDER, "--config", bad]):
        q = subprocess.run(prog, env=S.env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        eq(q.returncode, 1, "%s refuses to start" % prog[-1])
        assert bad + ":3: telegram_bot_secret" in q.stderr, q.stderr
    with open(bad, "w") as f:
        f.write(conf + "telegram_webhook_secret = only-twenty-chars-xx\n")
    p = S.cli("--config", bad, "check-config")
    eq(p.returncode, 1, "a short webhook secret")
    assert bad + ":2: telegram_webhook_secret: too short" in p.stderr, p.stderr
    assert "only-twenty" not in p.stderr, "the secret is not echoed"
    p = S.cli("check-config", env={"TASKMGR_TELEGRAM_BOT_SECRET": "short"})
    eq(p.returncode, 1, "a short secret from the environment")
    assert "TASKMGR_TELEGRAM_BOT_SECRET: telegram_bot_secret: too short" in p.stderr, p.stderr
    p = S.cli("check-config", env={"TASKMGR_TELEGRAM_BOT_SECRET": ""})
    eq(p.returncode, 0, "empty = not configured: " + p.stderr)
    assert "telegram_bot_secret = \n" in p.stdout, p.stdout


def test_example_config_passes_check_config():
    """The shipped example leaves the secrets empty, so it loads as it is."""
    example = os.path.join(TOP_BUILDDIR, "conf", "taskmgr.conf.example")
    p = S.cli("--config", example, "check-config")
    eq(p.returncode, 0, p.stderr)
    assert "telegram_bot_secret = \n" in p.stdout, p.stdout
    assert "telegram_webhook_secret = \n" in p.stdout, p.stdout


def test_cli_version():
    p = S.cli("version")
    eq(p.returncode, 0, "rc")
    assert p.stdout.startswith("taskmgr ") and schema_version() >= 1, p.stdout


def test_harness_create_user_staff_flag():
    S.create_user("hfstaff")
    S.create_user("hfplain", staff=False)
    c = S.connect()
    try:
        q = "SELECT is_staff, is_superuser, is_active FROM users WHERE username = ?"
        eq(c.execute(q, ("hfstaff",)).fetchone(), (1, 1, 1), "staff=True: a superuser")
        eq(c.execute(q, ("hfplain",)).fetchone(), (0, 0, 1), "staff=False: a normal user")
    finally:
        c.close()
    eq(S.get("/api/auth/me/", token=S.login("hfplain")).status, 200, "can log in")


def test_harness_counts_a_zombie_as_stopped():
    # Server.stop waits on responders that are not its children (PID 1 reaps
    # them, maybe seconds later): an exited, unreaped process is stopped
    p = subprocess.Popen(["true"])
    try:
        deadline = time.time() + 10
        while open("/proc/%d/stat" % p.pid).read().rpartition(")")[2].split()[0] != "Z":
            assert time.time() < deadline, "true did not exit"
            time.sleep(0.02)
        eq(harness._alive(p.pid), False, "a zombie is alive")
    finally:
        p.wait(5)
    eq(harness._alive(os.getpid()), True, "this process is alive")


def test_harness_takes_another_port_when_nginx_cannot_bind():
    # the port free_port() found, taken before nginx binds it (here by a
    # connected socket): the server starts on another one
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname(), timeout=5)
    peer = listener.accept()[0]
    taken = client.getsockname()[1]
    ports = [taken]
    real = harness.free_port
    harness.free_port = lambda host="127.0.0.1": ports.pop() if ports else real(host)
    try:
        srv = Server().start()
    finally:
        harness.free_port = real
        for sock in (peer, client, listener):
            sock.close()
    try:
        assert srv.port != taken, srv.port
        eq(srv.get("/api/health/").status, 200, "health")
    finally:
        srv.stop()


if __name__ == "__main__":
    run_tests(globals())
