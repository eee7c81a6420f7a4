#!/usr/bin/env python3
"""taskmgr benchmark: our responder against the ceiling of nginx + FastCGI.

Starts nginx, N taskmgr.fcgi responders and N ceiling responders (a libfcgi
program answering a fixed 1 KB JSON body) behind the same nginx on loopback,
and N more of the same ceiling built on taskmgr's own FastCGI layer
(ceiling_own: taskmgr.fcgi no longer uses libfcgi, so its own ceiling is
the higher one; every case is reported against both),
with a temporary database seeded straight through SQLite, then drives each
case with wrk for a fixed time and prints one table (requests/s, p50, p99,
errors, ratio to the ceiling) and the responders' peak RSS.  The same figures
go to bench-results.json (bench-scale-results.json for --scale) in the build
directory.  It builds nothing: `make bench` builds the programs first.

  bench.py            the cases (a)-(g) with 50,000 tasks (synchronous = full,
                      the default), then the writes (c) and (d) again with
                      responders restarted with synchronous = normal
  bench.py --scale    (a), (b) and two searches of the benchmark list, (s)
                      a rare text and (t) a common one, with 1,000, 100,000
                      and 1,000,000 tasks
  bench.py --smoke    every case for 1 s on a small database (CI); exits
                      non-zero when a case that exists answers errors

Then, in a build --with-postgresql where PostgreSQL is installed (else the
reason is printed), (a)-(d) on a throwaway cluster (pgcluster.py: initdb
under /tmp, a unix socket, stopped by its PID; PG_SETTINGS below) seeded
with the same data, between two runs of each ceiling, in a second table
(bench-results.json: "postgresql").  --backend sqlite|postgresql runs one
part only (both by default).

Environment: BENCH_SECONDS (default 10), BENCH_WORKERS (default 2 x cores),
BENCH_CONNECTIONS (default 32), BENCH_TASKS (default 50000), BENCH_LIST_TASKS
(the benchmark list's size: default 10000, at most half of the tasks),
BENCH_LIBFCGI_BUILD (a build folder configured --with-libfcgi: after the
cases, (a)-(d) run again, on a database seeded the same way, with that
build's taskmgr.fcgi, and are printed beside the default build's),
BENCH_WEBHOOK=1 (or --webhook: the benchmark user has a webhook subscribed
to every event of the benchmark list, delivered by a running `taskmgr
worker` to a receiver on loopback; the worker's delivery rate is reported).
Python standard library and Debian's wrk only.
"""
import argparse
import http.client
import http.server
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import pgcluster  # noqa: E402
from harness import Server, SPAWN_FCGI, TOP_BUILDDIR, _terminate  # noqa: E402

CEILING = os.path.join(TOP_BUILDDIR, "tests", "bench", "ceiling")
CEILING_OWN = os.path.join(TOP_BUILDDIR, "tests", "bench", "ceiling_own")
HASHTIME = os.path.join(TOP_BUILDDIR, "tests", "bench", "hashtime")
WRK = shutil.which("wrk") or "/usr/bin/wrk"
NCPU = os.cpu_count() or 1

BENCH_USER = "bench"
BENCH_PASSWORD = "Velvet-Quartz-Harbor-42"
OTHER_USERS = 49
LISTS_PER_OTHER = 2
T0 = 1767225600 * 1000000          # 2026-01-01T00:00:00Z in microseconds
DUE = T0 + 700 * 86400 * 1000000   # a deadline far in the future


def rfc3339(us):
    s, frac = divmod(us, 1000000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06dZ" % frac


def log(msg):
    print(msg, flush=True)


# -- seeding ------------------------------------------------------------------

def shape(total):
    """The benchmark user's share of a database of `total` tasks."""
    list_size = min(int(os.environ.get("BENCH_LIST_TASKS") or 10000), total // 2)
    return {"tasks": total, "list_size": list_size,
            "assigned": list_size // 5,
            "offset": min(5000, list_size // 2)}


TASK_COLUMNS = ("list_id, name, name_key, description, assigned_to, complete_before,"
                " status, created_at, updated_at")


def task_rows(total, bench_uid, bench_list, others, other_lists, t_start):
    """The seeded tasks' values (TASK_COLUMNS), the same on both backends:
    shape(total)['list_size'] of them in the benchmark list, a fifth of
    those assigned to the benchmark user, the rest in the other lists."""
    sh = shape(total)
    step = max(1, total // sh["list_size"]) if sh["list_size"] else total + 1
    progress = max(100000, total // 10)
    in_bench = 0
    for i in range(total):
        if i and i % progress == 0:
            log("  seeded %d of %d tasks (%.1fs)" % (i, total, time.time() - t_start))
        created = T0 + i * 1000
        if i % step == 0 and in_bench < sh["list_size"]:
            lst = bench_list
            if in_bench % 5 == 0 and in_bench // 5 < sh["assigned"]:
                who = bench_uid
            else:
                who = others[i % OTHER_USERS] if i % 2 else None
            in_bench += 1
        else:
            lst = other_lists[(i * 7919) % len(other_lists)]
            who = others[(i * 31) % OTHER_USERS] if i % 3 else None
        due = DUE + i if i % 3 == 0 else None
        yield (lst, "Task %d" % i, "task %d" % i, "Seeded task number %d for the benchmark." % i,
               who, due, "In Progress" if who else "Pending", created, created)


def seed(srv, total):
    """Fills srv's migrated database: 50 users, `total` tasks, of which the
    benchmark user owns one list (shape()['list_size'] tasks, a fifth of them
    assigned to that user) and the rest lie in other users' lists.  One
    transaction of prepared inserts.  Returns the ids the cases need."""
    sh = shape(total)
    srv.cli("createsuperuser", "--username", BENCH_USER, "--password-stdin",
            input=BENCH_PASSWORD + "\n", check=True)
    t_start = time.time()
    db = sqlite3.connect(srv.db, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    bench_uid = db.execute("SELECT id FROM users WHERE username = ?",
                           (BENCH_USER,)).fetchone()[0]
    db.execute("UPDATE users SET is_staff = 0, is_superuser = 0 WHERE id = ?",
               (bench_uid,))
    others = []
    for i in range(1, OTHER_USERS + 1):
        name = "user%02d" % i
        cur = db.execute(
            "INSERT INTO users (username, username_key, email, password, date_joined)"
            " VALUES (?, ?, ?, '', ?)", (name, name, name + "@example.org", T0))
        others.append(cur.lastrowid)
    bench_list = db.execute(
        "INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
        " VALUES (?, 'Benchmark', 'benchmark', ?, ?)", (bench_uid, T0, T0)).lastrowid
    other_lists = []
    for uid in others:
        for k in range(LISTS_PER_OTHER):
            name = "List %d-%d" % (uid, k)
            other_lists.append(db.execute(
                "INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)", (uid, name, name.lower(), T0, T0)).lastrowid)

    # the tasks' indexes and counter triggers are set aside while the rows go
    # in, then rebuilt (a sort per index) and the counters computed once
    later = db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'tasks'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL").fetchall()
    for kind, name, _ in later:
        db.execute('DROP %s "%s"' % (kind.upper(), name))
    db.executemany(
        "INSERT INTO tasks (%s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" % TASK_COLUMNS,
        task_rows(total, bench_uid, bench_list, others, other_lists, t_start))
    log("  rows in (%.1fs); building indexes" % (time.time() - t_start))
    for _, _, sql in later:
        db.execute(sql)
    # the search index (sql/007) is kept by triggers: built once here
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'tasks_fts'").fetchone():
        db.execute("INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild')")
        db.execute("INSERT INTO tasks_fts (tasks_fts) VALUES ('optimize')")
        db.execute("UPDATE task_search SET indexed_to = (SELECT max(id) FROM tasks)")
    db.execute("UPDATE lists SET task_count ="
               " (SELECT count(*) FROM tasks WHERE tasks.list_id = lists.id)")
    db.execute("UPDATE users SET assigned_count ="
               " (SELECT count(*) FROM tasks WHERE tasks.assigned_to = users.id)")
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    n_bench = db.execute("SELECT count(*) FROM tasks WHERE list_id = ?",
                         (bench_list,)).fetchone()[0]
    n_assigned = db.execute("SELECT count(*) FROM tasks WHERE assigned_to = ?",
                            (bench_uid,)).fetchone()[0]
    pool = [r[0] for r in db.execute(
        "SELECT id FROM tasks WHERE list_id = ? ORDER BY id LIMIT ?",
        (bench_list, min(2000, max(1, n_bench - 1))))]
    spare = db.execute("SELECT max(id) FROM tasks WHERE list_id = ?",
                       (bench_list,)).fetchone()[0]
    db.close()
    log("seeded %d users, %d tasks (benchmark list %d tasks, %d assigned to %s) in %.1fs"
        % (OTHER_USERS + 1, total, n_bench, n_assigned, BENCH_USER, time.time() - t_start))
    return {"user_id": bench_uid, "list_id": bench_list, "pool": pool,
            "spare_task": spare, "shape": sh}


def pg_copy_value(v):
    """v as a field of COPY's text format (the seeded values hold no tab,
    newline or backslash)."""
    return "\\N" if v is None else str(v)


def seed_pg(srv, total):
    """seed() on PostgreSQL: the same users, lists and tasks (task_rows), the
    tasks by one COPY with the tasks' triggers disabled and the counters
    computed once, as seed() does on SQLite; then VACUUM ANALYZE, so that
    the planner has the statistics and the visibility map a database in
    service has.  Returns what seed() returns."""
    pg, name = srv.pg, srv.pg_name
    sh = shape(total)
    srv.cli("createsuperuser", "--username", BENCH_USER, "--password-stdin",
            input=BENCH_PASSWORD + "\n", check=True)
    t_start = time.time()
    bench_uid = pg.rows(name, "UPDATE users SET is_staff = 0, is_superuser = 0"
                        " WHERE username = ? RETURNING id", (BENCH_USER,))[0][0]
    names = ["user%02d" % i for i in range(1, OTHER_USERS + 1)]
    ids = dict((u, i) for i, u in pg.rows(name, "INSERT INTO users (username, username_key,"
               " email, password, date_joined) VALUES %s RETURNING id, username" % ", ".join(
                   "('%s', '%s', '%s@example.org', '', %d)" % (u, u, u, T0) for u in names)))
    others = [ids[u] for u in names]
    lists = [(bench_uid, "Benchmark")] + [(uid, "List %d-%d" % (uid, k)) for uid in others
                                          for k in range(LISTS_PER_OTHER)]
    ids = dict((n, i) for i, n in pg.rows(name, "INSERT INTO lists (owner_id, name, name_key,"
               " created_at, updated_at) VALUES %s RETURNING id, name" % ", ".join(
                   "(%d, '%s', '%s', %d, %d)" % (uid, n, n.lower(), T0, T0) for uid, n in lists)))
    bench_list = ids["Benchmark"]
    other_lists = [ids[n] for _, n in lists[1:]]
    script = ["BEGIN;", "ALTER TABLE tasks DISABLE TRIGGER USER;",
              "COPY tasks (%s) FROM STDIN;" % TASK_COLUMNS]
    script += ["\t".join(pg_copy_value(v) for v in row) for row in
               task_rows(total, bench_uid, bench_list, others, other_lists, t_start)]
    script += ["\\.", "ALTER TABLE tasks ENABLE TRIGGER USER;",
               "UPDATE lists SET task_count ="
               " (SELECT count(*) FROM tasks WHERE tasks.list_id = lists.id);",
               "UPDATE users SET assigned_count ="
               " (SELECT count(*) FROM tasks WHERE tasks.assigned_to = users.id);",
               "COMMIT;", "VACUUM ANALYZE;"]
    p = subprocess.run([os.path.join(pg.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-h", pg.dir, "-U", "taskmgr", "-d", name, "-f", "-"],
                       input="\n".join(script) + "\n", capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise RuntimeError("seeding PostgreSQL failed: %s" % p.stderr[-2000:])
    n_bench = srv.query("SELECT count(*) FROM tasks WHERE list_id = ?", bench_list)[0][0]
    n_assigned = srv.query("SELECT count(*) FROM tasks WHERE assigned_to = ?", bench_uid)[0][0]
    pool = [r[0] for r in srv.query("SELECT id FROM tasks WHERE list_id = ? ORDER BY id LIMIT ?",
                                    bench_list, min(2000, max(1, n_bench - 1)))]
    spare = srv.query("SELECT max(id) FROM tasks WHERE list_id = ?", bench_list)[0][0]
    log("seeded PostgreSQL: %d users, %d tasks (benchmark list %d tasks, %d assigned to %s)"
        " in %.1fs" % (OTHER_USERS + 1, total, n_bench, n_assigned, BENCH_USER,
                       time.time() - t_start))
    return {"user_id": bench_uid, "list_id": bench_list, "pool": pool,
            "spare_task": spare, "shape": sh}


# -- servers --------------------------------------------------------------------

class BenchServer(Server):
    """harness.Server with a seeded database, production password cost,
    nginx with one worker per core and the ceiling responder behind it."""
    nginx_workers = NCPU

    def __init__(self, workers, total, webhook=False, pg=None):
        config = {"throttle_anon": "off", "throttle_user": "off", "throttle_login": "off"}
        if webhook:
            config.update(webhook_allow_http="yes", webhook_allow_hosts="127.0.0.1",
                          worker_poll_ms="50")
        # pg: a pgcluster.Cluster; the database is a new one of it
        self.pg = pg
        self.pg_name = None
        if pg is not None:
            self.pg_name = "bench%d" % time.time_ns()
            config["database"] = pg.createdb(self.pg_name)
        super().__init__(workers=workers, config=config)
        for k in ("argon2_t_cost", "argon2_m_cost_kib", "argon2_parallelism"):
            self.config.pop(k, None)      # the defaults a deployment gets
        self.total = total
        self.info = None
        self.ceiling_pids = []
        self.ceiling_own_pids = []

    def start(self):
        if self.pg is not None:
            # the rate limits' and metrics' files: no database file to sit beside
            base = os.path.join(TOP_BUILDDIR, "tests", "tmp")
            os.makedirs(base, exist_ok=True)
            self.config["state_dir"] = tempfile.mkdtemp(prefix="bench-state-", dir=base)
        return super().start()

    def query(self, sql, *args):
        """The rows of sql (SQLite's "?" bound to args) on the database."""
        if self.pg is not None:
            return self.pg.rows(self.pg_name, sql, args)
        db = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def start_responders(self):
        self.info = seed_pg(self, self.total) if self.pg is not None else \
            seed(self, self.total)
        super().start_responders()
        self.site_extra = ""
        for name, prog in (("ceiling", CEILING), ("ceiling-own", CEILING_OWN)):
            sock = os.path.join(self.dir, name + ".sock")
            pidfile = os.path.join(self.dir, name + ".pid")
            subprocess.run([SPAWN_FCGI, "-s", sock, "-M", "0660", "-F", str(self.workers),
                            "-P", pidfile, "--", prog],
                           check=True, capture_output=True, timeout=30)
            with open(pidfile) as f:
                pids = [int(x) for x in f.read().split()]
            if name == "ceiling":
                self.ceiling_pids = pids
            else:
                self.ceiling_own_pids = pids
            self.site_extra += ("    location = /%s/ {\n"
                                "        include fastcgi_params;\n"
                                "        fastcgi_pass unix:%s;\n"
                                "    }\n\n" % (name, sock))

    def restart_responders(self, **settings):
        """The taskmgr responders again, with settings (key=value) set
        through their TASKMGR_<KEY> environment variables."""
        for p in self.pids:
            _terminate(p)
        saved = self.env
        self.env = dict(saved)
        self.env.update(("TASKMGR_" + k.upper(), v) for k, v in settings.items())
        try:
            Server.start_responders(self)
        finally:
            self.env = saved

    def stop(self):
        super().stop()
        for p in self.ceiling_pids + self.ceiling_own_pids:
            _terminate(p)
        self.ceiling_pids = []
        self.ceiling_own_pids = []


class HookReceiver:
    """A loopback receiver answering 204 to every webhook delivery."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        self.url = "http://127.0.0.1:%d/hook" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def webhook_start(srv, token):
    """BENCH_WEBHOOK: a receiver, a webhook of the benchmark user on every event
    of the benchmark list, and a running worker; returns what webhook_stop needs."""
    rx = HookReceiver()
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=20)
    conn.request("POST", "/api/webhooks/", body=json.dumps({
        "url": rx.url, "list_id": srv.info["list_id"],
        "events": ["task.created", "task.updated", "task.completed", "task.deleted",
                   "task.reminder", "list.created", "list.updated", "list.deleted",
                   "comment.created"]}),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    if r.status != 201:
        sys.exit("bench: webhook not created: %d %s" % (r.status, body[:200]))
    worker = subprocess.Popen([harness.TASKMGR, "worker"], env=srv.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return rx, worker


def webhook_stop(srv, rx, worker, drain=60):
    """Lets the worker drain the deliveries (at most drain seconds), stops it and
    the receiver; the worker's delivery rate from the deliveries' own times."""
    deadline = time.time() + drain
    while time.time() < deadline:
        # webhook_delivery_log: the inbox's rows the worker has not moved yet too
        pending = srv.query("SELECT count(*) FROM webhook_delivery_log"
                            " WHERE status = 'pending'")[0][0]
        if pending == 0:
            break
        time.sleep(0.5)
    _terminate(worker.pid, worker)
    rx.stop()
    n, first, last = srv.query(
        "SELECT count(*), min(delivered_at), max(delivered_at) FROM webhook_deliveries"
        " WHERE status = 'delivered'")[0]
    queued, pending = srv.query(
        "SELECT count(*), sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END)"
        " FROM webhook_delivery_log")[0]
    # the seconds in which the worker delivered something: the cases that
    # write nothing (reads, logins, ceilings) leave it idle, not slow
    busy = srv.query("SELECT count(DISTINCT delivered_at / 1000000) FROM webhook_deliveries"
                     " WHERE status = 'delivered'")[0][0]
    span = (last - first) / 1e6 if n and last > first else 0
    out = {"queued": queued, "delivered": n, "pending": pending or 0,
           "seconds": span, "busy_seconds": busy, "rate": n / busy if busy else None}
    log("webhook: %d deliveries queued, %d delivered, %d still pending; worker rate %s/s"
        " (over the seconds it delivered in)"
        % (queued, n, out["pending"], "%.0f" % out["rate"] if out["rate"] else "n/a"))
    return out


def reset_peak(pids):
    """Restarts the kernel's VmHWM count of each process (clear_refs 5)."""
    for pid in pids:
        try:
            with open("/proc/%d/clear_refs" % pid, "w") as f:
                f.write("5")
        except OSError:
            pass


def peak_rss(pids):
    """{pid: (VmHWM, VmRSS, RssAnon)} in KiB, read from /proc."""
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                text = f.read()
        except OSError:
            continue
        hwm = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
        rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
        anon = re.search(r"^RssAnon:\s+(\d+) kB", text, re.M)
        if hwm and rss:
            out[pid] = (int(hwm.group(1)), int(rss.group(1)),
                        int(anon.group(1)) if anon else 0)
    return out


# -- cases ----------------------------------------------------------------------

def write_pool(srv, path):
    """The PATCH case's tasks with their current updated_at, one per line."""
    ids = srv.info["pool"]
    rows = []
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows += srv.query("SELECT id, updated_at FROM tasks WHERE id IN (%s)"
                          % ",".join("?" * len(chunk)), *chunk)
    with open(path, "w") as f:
        for tid, at in rows:
            f.write("%d %s\n" % (tid, rfc3339(at)))


def cases(srv, token):
    info = srv.info
    lid, off = info["list_id"], info["shape"]["offset"]
    return [
        {"key": "a", "name": "GET /api/tasks/?limit=20", "script": "get.lua",
         "env": {"BENCH_PATH": "/api/tasks/?limit=20"},
         "check": ("GET", "/api/tasks/?limit=20", None, 200)},
        {"key": "b", "name": "GET /api/lists/{id}/tasks/?limit=20&offset=%d" % off,
         "script": "get.lua",
         "env": {"BENCH_PATH": "/api/lists/%d/tasks/?limit=20&offset=%d" % (lid, off)},
         "check": ("GET", "/api/lists/%d/tasks/?limit=20&offset=%d" % (lid, off), None, 200)},
        {"key": "c", "name": "POST /api/lists/{id}/tasks/", "script": "create.lua",
         "env": {"BENCH_PATH": "/api/lists/%d/tasks/" % lid},
         "check": ("POST", "/api/lists/%d/tasks/" % lid,
                   {"name": "bench preflight %d" % time.time_ns()}, 201)},
        {"key": "d", "name": "PATCH /api/tasks/{id}/", "script": "update.lua",
         "env": {}, "pool": True,
         "check": ("PATCH", "/api/tasks/%d/" % info["spare_task"], "spare", 200)},
        {"key": "e", "name": "POST /api/auth/token/ (login)", "script": "login.lua",
         "env": {"BENCH_USER": BENCH_USER, "BENCH_PASSWORD": BENCH_PASSWORD},
         "check": ("POST", "/api/auth/token/",
                   {"username": BENCH_USER, "password": BENCH_PASSWORD}, 200)},
        {"key": "f", "name": "ceiling: fixed 1 KB JSON (libfcgi)", "script": "get.lua",
         "env": {"BENCH_PATH": "/ceiling/"},
         "check": ("GET", "/ceiling/", None, 200)},
        {"key": "g", "name": "ceiling: fixed 1 KB JSON (our FastCGI)", "script": "get.lua",
         "env": {"BENCH_PATH": "/ceiling-own/"},
         "check": ("GET", "/ceiling-own/", None, 200)},
    ]


def search_cases(srv):
    """Searches of the benchmark list for the scale run (printed, not judged):
    (s) a rare text (the trigram index's case: about 111 tasks anywhere in
    1,000,000 hold it) and (t) one every task holds (the scan's case)."""
    lid = srv.info["list_id"]
    out = []
    for key, text in (("s", "task%207777"), ("t", "task")):
        path = "/api/lists/%d/tasks/?limit=20&search=%s" % (lid, text)
        out.append({"key": key, "name": "GET /api/lists/{id}/tasks/?limit=20&search=%s"
                    % text.replace("%20", " "), "script": "get.lua",
                    "env": {"BENCH_PATH": path}, "check": ("GET", path, None, 200)})
    return out


def preflight(srv, token, case):
    """One request of the case through http.client: None when it answers as
    expected, 'missing' when the route does not exist yet, else the reason."""
    method, path, body, want = case["check"]
    if body == "spare":
        at = srv.query("SELECT updated_at FROM tasks WHERE id = ?", srv.info["spare_task"])[0][0]
        body = {"description": "preflight", "updated_at": rfc3339(at)}
    r = srv.request(method, path, body=body, token=token)
    if r.status == want:
        return None
    if r.status in (404, 405):
        return "missing"
    return "answered %r" % (r,)


def run_wrk(srv, case, token, seconds, conns, threads, nonce):
    env = dict(os.environ, BENCH_LUA_DIR=HERE, BENCH_TOKEN=token,
               BENCH_THREADS=str(threads), BENCH_NONCE=nonce)
    env.update(case["env"])
    if case.get("pool"):
        # requests of an earlier run still queued in nginx when its wrk
        # stopped would change updated_at after the pool is read
        time.sleep(1)
        env["BENCH_POOL"] = os.path.join(srv.dir, "pool.txt")
        write_pool(srv, env["BENCH_POOL"])
    cmd = [WRK, "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds,
           "--timeout", "10s", "-s", os.path.join(HERE, case["script"]), srv.url("/")]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                       timeout=seconds + 120)
    m = re.search(r"^BENCHJSON (.*)$", p.stdout, re.M)
    if p.returncode != 0 or not m:
        raise RuntimeError("wrk failed (%d): %s%s" % (p.returncode, p.stdout, p.stderr))
    res = json.loads(m.group(1))
    res["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    res["errors"] = res["non2xx"] + res["connect"] + res["read"] + res["write"] + res["timeout"]
    return res


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            model = m.group(1) if m else ""
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as f:
        m = re.search(r"^MemTotal:\s+(\d+)", f.read(), re.M)
        mem = int(m.group(1)) // 1024 if m else 0
    nginx_v = subprocess.run([harness.NGINX, "-v"], capture_output=True,
                             text=True).stderr.strip()
    return {"cpus": NCPU, "cpu_model": model, "mem_mib": mem,
            "kernel": platform.release(), "loadavg_before": os.getloadavg(),
            "sqlite": sqlite3.sqlite_version, "nginx": nginx_v.replace("nginx version: ", "")}


def hashtime(srv):
    p = subprocess.run([HASHTIME, "--config", srv.conf, "--concurrent", str(NCPU)],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError("hashtime failed: %s" % p.stderr)
    return json.loads(p.stdout)


def fmt_ms(us):
    return "%.2f" % (us / 1000.0)


def run_sqlite(args, results, warm, nonce):
    """The cases on SQLite: the first table; returns the failed keys."""
    seconds, conns, workers = args.seconds, args.connections, args.workers
    threads = min(NCPU, conns)
    failed = []
    srv = BenchServer(workers, args.tasks, webhook=args.webhook)
    hook = None
    try:
        srv.start()
        results["settings"]["shape"] = srv.info["shape"]
        results["argon2"] = hashtime(srv)
        token = srv.login(BENCH_USER, BENCH_PASSWORD)
        if args.webhook:
            hook = webhook_start(srv, token)
            results["settings"]["webhook"] = "every event of the benchmark list"
        # the login above ran argon2id (m_cost of memory) in one responder,
        # which gives the work area back after a second without logins: the
        # peak that counts is the one reached while serving the cases
        time.sleep(1.5)
        reset_peak(srv.responder_pids())
        todo = cases(srv, token)
        # the ceilings first and last: the machine is shared, take the mean
        order = todo[5:7] + todo[:5] + todo[5:7]
        ceil_runs = {"f": [], "g": []}
        for case in order:
            if case["key"] == "e":
                results["rss_kib"] = {"before_login": peak_rss(srv.responder_pids())}
            why = preflight(srv, token, case)
            if why == "missing":
                log("  (%s) %-48s n/a: the route does not exist yet" % (case["key"], case["name"]))
                results["cases"][case["key"]] = {"name": case["name"], "missing": True}
                continue
            if why:
                log("  (%s) %s: preflight failed: %s" % (case["key"], case["name"], why))
                failed.append(case["key"])
                results["cases"][case["key"]] = {"name": case["name"], "failed": why}
                continue
            if warm:
                run_wrk(srv, case, token, warm, conns, threads,
                        nonce + "w%d" % len(ceil_runs["f"]))
            res = run_wrk(srv, case, token, seconds, conns, threads,
                          nonce + "r%d" % len(ceil_runs["f"]))
            res["name"] = case["name"]
            shown = res["rps"]
            if case["key"] in ceil_runs:
                runs = ceil_runs[case["key"]]
                runs.append(res)
                if len(runs) == 2:
                    res = dict(res)
                    res["runs_rps"] = [r["rps"] for r in runs]
                    res["rps"] = sum(r["rps"] for r in runs) / 2
                    res["errors"] = sum(r["errors"] for r in runs)
            results["cases"][case["key"]] = res
            log("  (%s) %-48s %9.0f req/s  p50 %s ms  p99 %s ms  errors %d"
                % (case["key"], case["name"], shown, fmt_ms(res["p50_us"]),
                   fmt_ms(res["p99_us"]), res["errors"]))
            if res["errors"] or res["requests"] == 0:
                failed.append(case["key"])
        ceil = results["cases"].get("f", {}).get("rps")
        own = results["cases"].get("g", {}).get("rps")
        for k, c in results["cases"].items():
            if ceil and c.get("rps") and k not in "efg":
                c["ratio_to_ceiling"] = c["rps"] / ceil
            if own and c.get("rps") and k not in "efg":
                c["ratio_to_own_ceiling"] = c["rps"] / own
        time.sleep(1)   # requests still queued in nginx when wrk stopped
        results["rss_kib"].update(responders=peak_rss(srv.responder_pids()),
                                  ceiling=peak_rss(srv.ceiling_pids),
                                  ceiling_own=peak_rss(srv.ceiling_own_pids))
        results["db_bytes"] = sum(os.path.getsize(srv.db + s) for s in ("", "-wal")
                                  if os.path.exists(srv.db + s))
        # the writes again with the WAL synced at checkpoints only
        srv.restart_responders(synchronous="normal")
        for case in cases(srv, token)[2:4]:   # fresh preflight names
            key = case["key"] + "_normal"
            name = case["name"] + ", synchronous=normal"
            why = preflight(srv, token, case)
            if why:
                log("  (%s) %s: %s" % (case["key"], name, why))
                if why != "missing":
                    failed.append(key)
                results["cases"][key] = {"name": name, "failed": why}
                continue
            if warm:
                run_wrk(srv, case, token, warm, conns, threads, nonce + "nw")
            res = run_wrk(srv, case, token, seconds, conns, threads, nonce + "nr")
            res["name"] = name
            if ceil and res["rps"]:
                res["ratio_to_ceiling"] = res["rps"] / ceil
            if own and res["rps"]:
                res["ratio_to_own_ceiling"] = res["rps"] / own
            results["cases"][key] = res
            log("  (%s) %-48s %9.0f req/s  p50 %s ms  p99 %s ms  errors %d"
                % (case["key"], name, res["rps"], fmt_ms(res["p50_us"]),
                   fmt_ms(res["p99_us"]), res["errors"]))
            if res["errors"] or res["requests"] == 0:
                failed.append(key)
        if hook is not None:
            results["webhook"] = webhook_stop(srv, *hook)
            hook = None
    finally:
        if hook is not None:
            _terminate(hook[1].pid, hook[1])
            hook[0].stop()
        srv.stop()
    return failed


def run_main(args):
    seconds, conns, workers = args.seconds, args.connections, args.workers
    threads = min(NCPU, conns)
    warm = 0 if args.smoke else min(2, seconds)
    mach = machine()
    log("taskmgr benchmark: %d responders + %d + %d ceiling responders, nginx %d workers, "
        "wrk %d threads x %d connections, %ds per case%s; throttle_* = off"
        % (workers, workers, workers, NCPU, threads, conns, seconds,
           " (+%ds warm-up)" % warm if warm else ""))
    results = {"machine": mach, "settings": {
        "seconds": seconds, "connections": conns, "wrk_threads": threads,
        "workers": workers, "nginx_workers": NCPU, "throttles": "off",
        "warmup_seconds": warm}, "cases": {}}
    failed = []
    nonce = "%x" % time.time_ns()
    if args.backend != "postgresql":
        failed += run_sqlite(args, results, warm, nonce)
    if os.environ.get("BENCH_LIBFCGI_BUILD") and args.backend != "postgresql":
        failed += run_libfcgi(args, results, warm, nonce)
    if args.backend != "sqlite":
        failed += run_pg(args, results, warm, nonce)
    if args.backend != "postgresql":
        report(results)
    report_pg(results)
    out = os.path.join(TOP_BUILDDIR, "bench-results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    log("results written to %s" % out)
    if args.smoke and failed:
        log("smoke: FAILED cases: %s" % " ".join(sorted(set(failed))))
        return 1
    return 0


def run_libfcgi(args, results, warm, nonce):
    """(a)-(d) again with the taskmgr.fcgi of BENCH_LIBFCGI_BUILD (configured
    --with-libfcgi) on a database seeded the same way; into
    results["libfcgi"].  Returns the keys of the cases that failed."""
    build = os.path.abspath(os.environ["BENCH_LIBFCGI_BUILD"])
    prog = os.path.join(build, "taskmgr.fcgi")
    if not os.access(prog, os.X_OK):
        raise RuntimeError("BENCH_LIBFCGI_BUILD: no taskmgr.fcgi in %s" % build)
    threads = min(NCPU, args.connections)
    log("libfcgi build: %s" % prog)
    own = harness.RESPONDER
    harness.RESPONDER = prog
    srv = BenchServer(args.workers, args.tasks)
    out = {"build": build, "cases": {}}
    failed = []
    try:
        srv.start()
        if "FastCGI by libfcgi" not in srv.log_text():
            raise RuntimeError("%s is not a --with-libfcgi build" % prog)
        token = srv.login(BENCH_USER, BENCH_PASSWORD)
        for case in cases(srv, token)[:4]:
            why = preflight(srv, token, case)
            if why:
                log("  (%s) libfcgi %s: preflight failed: %s" % (case["key"], case["name"], why))
                failed.append("libfcgi-" + case["key"])
                out["cases"][case["key"]] = {"name": case["name"], "failed": why}
                continue
            if warm:
                run_wrk(srv, case, token, warm, args.connections, threads, nonce + "lw")
            res = run_wrk(srv, case, token, args.seconds, args.connections, threads,
                          nonce + "lr")
            res["name"] = case["name"]
            out["cases"][case["key"]] = res
            log("  (%s) libfcgi %-40s %9.0f req/s  p50 %s ms  p99 %s ms  errors %d"
                % (case["key"], case["name"], res["rps"], fmt_ms(res["p50_us"]),
                   fmt_ms(res["p99_us"]), res["errors"]))
            if res["errors"] or res["requests"] == 0:
                failed.append("libfcgi-" + case["key"])
    finally:
        srv.stop()
        harness.RESPONDER = own
    results["libfcgi"] = out
    return failed


def report_libfcgi(results):
    """The default build's (a)-(d) beside the libfcgi build's."""
    cs, lf = results["cases"], results["libfcgi"]["cases"]
    ceil = cs.get("f", {}).get("rps")
    print("the same cases with taskmgr.fcgi --with-libfcgi (%s), run after the table above:"
          % results["libfcgi"]["build"])
    print()
    print("| case | fcgiconn req/s | p99 ms | libfcgi req/s | p99 ms | errors "
          "| libfcgi x fcgiconn | libfcgi x ceiling (f) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for k in "abcd":
        c, l = cs.get(k, {}), lf.get(k, {})
        if "rps" not in l:
            print("| (%s) %s | | | n/a | | | | |" % (k, l.get("name", "")))
            continue
        print("| (%s) %s | %s | %s | %.0f | %s | %d | %s | %s |"
              % (k, l["name"], "%.0f" % c["rps"] if "rps" in c else "n/a",
                 fmt_ms(c["p99_us"]) if "rps" in c else "", l["rps"], fmt_ms(l["p99_us"]),
                 l["errors"], "%.2f" % (l["rps"] / c["rps"]) if "rps" in c else "",
                 "%.2f" % (l["rps"] / ceil) if ceil else ""))
    print()


# -- PostgreSQL ------------------------------------------------------------------

# The throwaway cluster's settings (the rest are PostgreSQL 15's defaults):
# fsync and synchronous_commit on, as a server that keeps the product's
# promise runs (an answered write survives a power cut: SQLite's default
# synchronous = full); shared_buffers of 256 MB holds the whole seeded
# database and what the write cases add, as the kernel's page cache holds
# SQLite's file.  One unix socket, no TCP.
PG_SETTINGS = {"fsync": "on", "synchronous_commit": "on", "shared_buffers": "256MB"}


def pg_unavailable():
    """Why the PostgreSQL part cannot run here, or None."""
    with_pg = os.environ.get("WITH_POSTGRESQL")
    if with_pg is None:
        # bench.py run by hand: the build's Makefile says how it was configured
        try:
            with open(os.path.join(TOP_BUILDDIR, "Makefile")) as f:
                with_pg = "yes" if re.search(r"^WITH_POSTGRESQL = yes$", f.read(), re.M) \
                    else "no"
        except OSError:
            with_pg = "no"
    if with_pg != "yes":
        return "this build has no PostgreSQL support (configure --with-postgresql)"
    if pgcluster.pg_bindir() is None:
        return "PostgreSQL is not installed (Debian package postgresql-15)"
    return None


def run_pg(args, results, warm, nonce):
    """(f), (g), (a)-(d), (f), (g) on a throwaway PostgreSQL cluster seeded
    as the SQLite database is; into results["postgresql"], the ratios to
    this part's own ceilings (the mean of their two runs).  Returns the keys
    of the cases that failed."""
    why = pg_unavailable()
    if why:
        log("PostgreSQL: skipped: %s" % why)
        results["postgresql"] = {"skipped": why}
        return []
    conns, seconds = args.connections, args.seconds
    threads = min(NCPU, conns)
    cluster = pgcluster.Cluster(pgcluster.pg_bindir())
    out = {"settings": dict(PG_SETTINGS), "cases": {}}
    results["postgresql"] = out
    failed = []
    srv = hook = None
    try:
        cluster.start(max_connections=args.workers + 10, settings=PG_SETTINGS)
        out["version"] = cluster.query("postgres", "SHOW server_version")[0][0]
        log("PostgreSQL %s: a throwaway cluster in %s (%s)" % (
            out["version"], cluster.dir, ", ".join("%s=%s" % kv for kv in PG_SETTINGS.items())))
        srv = BenchServer(args.workers, args.tasks, webhook=args.webhook, pg=cluster)
        srv.start()
        out["db_bytes"] = srv.query("SELECT pg_database_size(current_database())")[0][0]
        token = srv.login(BENCH_USER, BENCH_PASSWORD)
        if args.webhook:
            hook = webhook_start(srv, token)
        time.sleep(1.5)     # the login's argon2id work area given back (run_main)
        reset_peak(srv.responder_pids())
        todo = cases(srv, token)
        ceil_runs = {"f": [], "g": []}
        for case in todo[5:7] + todo[:4] + todo[5:7]:
            key = case["key"]
            why = preflight(srv, token, case)
            if why:
                log("  (%s) PostgreSQL %s: preflight failed: %s" % (key, case["name"], why))
                failed.append("pg-" + key)
                out["cases"][key] = {"name": case["name"], "failed": why}
                continue
            if warm:
                run_wrk(srv, case, token, warm, conns, threads, nonce + "pw")
            res = run_wrk(srv, case, token, seconds, conns, threads,
                          nonce + "p%d" % len(ceil_runs["f"]))
            res["name"] = case["name"]
            shown = res["rps"]
            if key in ceil_runs:
                runs = ceil_runs[key]
                runs.append(res)
                if len(runs) == 2:
                    res = dict(res)
                    res["runs_rps"] = [r["rps"] for r in runs]
                    res["rps"] = sum(r["rps"] for r in runs) / 2
                    res["errors"] = sum(r["errors"] for r in runs)
            out["cases"][key] = res
            log("  (%s) PostgreSQL %-37s %9.0f req/s  p50 %s ms  p99 %s ms  errors %d"
                % (key, case["name"], shown, fmt_ms(res["p50_us"]), fmt_ms(res["p99_us"]),
                   res["errors"]))
            if res["errors"] or res["requests"] == 0:
                failed.append("pg-" + key)
        ceil = out["cases"].get("f", {}).get("rps")
        own = out["cases"].get("g", {}).get("rps")
        for k, c in out["cases"].items():
            if ceil and c.get("rps") and k not in "fg":
                c["ratio_to_ceiling"] = c["rps"] / ceil
            if own and c.get("rps") and k not in "fg":
                c["ratio_to_own_ceiling"] = c["rps"] / own
        time.sleep(1)   # requests still queued in nginx when wrk stopped
        out["rss_kib"] = peak_rss(srv.responder_pids())
        if hook is not None:
            out["webhook"] = webhook_stop(srv, *hook)
            hook = None
    finally:
        if hook is not None:
            _terminate(hook[1].pid, hook[1])
            hook[0].stop()
        if srv is not None:
            srv.stop()
        cluster.stop()
        shutil.rmtree(cluster.dir, ignore_errors=True)
    return failed


def case_table(cs, keys, extra=None):
    """The table of the cases cs (a results' "cases") of keys, in that order:
    requests/s, latencies, errors and the ratios to cs's ceilings (f) and
    (g); n/a for a case not run (missing, failed).  extra: (heading,
    cell(key, case)), one more column of the cases run."""
    ceil = cs.get("f", {}).get("rps")
    own = cs.get("g", {}).get("rps")
    head = "| case | requests/s | p50 ms | p99 ms | errors | x ceiling (f) | x own ceiling (g) |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if extra:
        head += " %s |" % extra[0]
        rule += "---:|"
    print(head)
    print(rule)
    for key in keys:
        c = cs.get(key)
        k = key[0]
        if c is None:
            continue
        if c.get("missing") or c.get("failed") or "rps" not in c:
            print("| (%s) %s | n/a |" % (k, c["name"]) + " |" * (rule.count("|") - 3))
            continue
        if k == "e":
            ratio = own_ratio = "(argon2-bound)"
        else:
            ratio = "%.2f" % (c["rps"] / ceil) if ceil else ""
            own_ratio = "%.2f" % (c["rps"] / own) if own else ""
        cells = [ratio, own_ratio] + ([extra[1](k, c)] if extra else [])
        print("| (%s) %s | %.0f | %s | %s | %d | %s |"
              % (k, c["name"], c["rps"], fmt_ms(c["p50_us"]), fmt_ms(c["p99_us"]),
                 c["errors"], " | ".join(cells)))


def report_pg(results):
    """The PostgreSQL part's table, beside the SQLite figures of the same run."""
    pg = results.get("postgresql")
    if not pg:
        return
    if pg.get("skipped"):
        print("PostgreSQL: not run: %s" % pg["skipped"])
        print()
        return
    cs, sq = pg["cases"], results["cases"]
    print("PostgreSQL %s, a throwaway cluster on a unix socket (%s; the rest PostgreSQL's "
          "defaults), seeded as above (database %.0f MiB); the same cases, the ceilings "
          "measured again first and last around them:"
          % (pg.get("version", "?"), ", ".join("%s = %s" % kv for kv in pg["settings"].items()),
             pg.get("db_bytes", 0) / 1048576.0))
    print()

    def x_sqlite(k, c):
        s = sq.get(k, {})
        return "%.2f" % (c["rps"] / s["rps"]) if s.get("rps") else ""
    case_table(cs, "abcdfg", ("x SQLite", x_sqlite))
    print()
    print("(x SQLite: against the SQLite table's figure of the same case; (c) and (d) against "
          "synchronous = full, which PostgreSQL's synchronous_commit = on matches)")
    if pg.get("rss_kib"):
        print("responders on PostgreSQL, peak RSS (VmHWM) serving (a)-(d): %s MiB"
              % ", ".join("%.1f" % (v[0] / 1024.0) for v in pg["rss_kib"].values()))
    wh = pg.get("webhook")
    if wh:
        print("webhook on PostgreSQL: %d deliveries queued, %d delivered at %s/s, %d pending"
              % (wh["queued"], wh["delivered"],
                 "%.0f" % wh["rate"] if wh["rate"] else "n/a", wh["pending"]))
    print()


def report(results):
    cs = results["cases"]
    m = results["machine"]
    print()
    print("machine: %d CPUs (%s), %d MiB, Linux %s, SQLite %s, nginx %s; load before %.2f"
          % (m["cpus"], m["cpu_model"], m["mem_mib"], m["kernel"], m["sqlite"],
             m["nginx"], m["loadavg_before"][0]))
    st = results["settings"]
    sh = st.get("shape", {})
    print("seed: %s tasks, benchmark list %s tasks (%s assigned to the user); "
          "%d responders, %d connections, %ds per case; throttles off"
          % (sh.get("tasks"), sh.get("list_size"), sh.get("assigned"),
             st["workers"], st["connections"], st["seconds"]))
    print()
    case_table(cs, list("abcdefg") + ["c_normal", "d_normal"])
    print()
    print("(c) and (d) with synchronous = full (the default: the WAL synced at every "
          "commit); the rows marked synchronous=normal, by responders restarted with it "
          "(the WAL synced at checkpoints only)")
    a2 = results.get("argon2")
    if a2:
        # the bound: one verification per core at a time, each taking what it
        # takes while the other cores verify too (they share caches and memory)
        conc_ms = a2.get("verify_concurrent_ms") or a2["verify_ms"]
        bound = m["cpus"] * 1000.0 / conc_ms
        e = cs.get("e", {})
        line = ("argon2id (t=%d, m=%d KiB, p=%d): hash %.1f ms, verify %.1f ms alone, "
                "%.1f ms with %d at once -> at most %.0f logins/s on %d cores"
                % (a2["t_cost"], a2["m_cost_kib"], a2["parallelism"], a2["hash_ms"],
                   a2["verify_ms"], conc_ms, a2.get("concurrent", 1), bound, m["cpus"]))
        if e.get("rps"):
            line += "; measured %.0f/s (%.0f%% of that)" % (e["rps"], 100 * e["rps"] / bound)
        print(line)
    rss = results.get("rss_kib", {})

    def mib(d, i):
        return ", ".join("%.1f" % (v[i] / 1024.0) for v in d.values())
    if rss.get("before_login"):
        print("responders, peak RSS (VmHWM) serving (a)-(d): %s MiB"
              % mib(rss["before_login"], 0))
    if rss.get("responders"):
        print("responders after the run: VmHWM %s MiB (login's argon2id work area "
              "included), VmRSS %s MiB, of which private (RssAnon) %s MiB; the rest "
              "is shared library and database file pages"
              % (mib(rss["responders"], 0), mib(rss["responders"], 1),
                 mib(rss["responders"], 2)))
    if rss.get("ceiling"):
        print("ceiling responders: VmHWM %s MiB (libfcgi), %s MiB (our FastCGI)"
              % (mib(rss["ceiling"], 0), mib(rss.get("ceiling_own") or {}, 0)))
    wh = results.get("webhook")
    if wh:
        print("webhook on every event of the benchmark list: %d deliveries queued, %d "
              "delivered by the worker at %s/s (over the seconds it delivered in), %d still "
              "pending at the end"
              % (wh["queued"], wh["delivered"],
                 "%.0f" % wh["rate"] if wh["rate"] else "n/a", wh["pending"]))
    print()
    if results.get("libfcgi"):
        report_libfcgi(results)


def run_scale(args):
    seconds, conns, workers = args.seconds, args.connections, args.workers
    threads = min(NCPU, conns)
    warm = min(2, seconds)
    sizes = [int(x) for x in args.sizes.split(",")]
    results = {"machine": machine(), "settings": {
        "seconds": seconds, "connections": conns, "workers": workers,
        "throttles": "off"}, "sizes": {}}
    # (b) reads the same offset at every size -- the smallest database's
    # (a fifth of its tasks deep) -- so that only the amount of data changes
    offset = shape(sizes[0])["offset"]
    results["settings"]["offset_b"] = offset
    for total in sizes:
        log("== %d tasks" % total)
        srv = BenchServer(workers, total)
        row = {"shape": None}
        try:
            srv.start()
            srv.info["shape"]["offset"] = offset
            row["shape"] = srv.info["shape"]
            token = srv.login(BENCH_USER, BENCH_PASSWORD)
            for case in cases(srv, token)[:2] + search_cases(srv):
                why = preflight(srv, token, case)
                if why:
                    log("  (%s) %s: %s" % (case["key"], case["name"], why))
                    row[case["key"]] = {"name": case["name"], "failed": why}
                    continue
                run_wrk(srv, case, token, warm, conns, threads, "w")
                res = run_wrk(srv, case, token, seconds, conns, threads, "r")
                res["name"] = case["name"]
                row[case["key"]] = res
                log("  (%s) %-48s %9.0f req/s  p50 %s ms  p99 %s ms  errors %d"
                    % (case["key"], case["name"], res["rps"], fmt_ms(res["p50_us"]),
                       fmt_ms(res["p99_us"]), res["errors"]))
            row["rss_kib"] = peak_rss(srv.responder_pids())
        finally:
            srv.stop()
        results["sizes"][str(total)] = row
    print()
    print("| tasks | list / offset | (a) req/s | (a) p99 ms | (b) req/s | (b) p99 ms |")
    print("|---:|---|---:|---:|---:|---:|")
    base = results["sizes"][str(sizes[0])]
    for total in sizes:
        row = results["sizes"][str(total)]
        cells = []
        for k in "ab":
            c = row.get(k, {})
            if "rps" not in c:
                cells += ["n/a", "n/a"]
                continue
            b0 = base.get(k, {})
            rel = ""
            if "rps" in b0 and total != sizes[0]:
                rel = " (x%.2f)" % (c["p99_us"] / max(1, b0["p99_us"]))
                cells += ["%.0f (x%.2f)" % (c["rps"], c["rps"] / b0["rps"]),
                          fmt_ms(c["p99_us"]) + rel]
            else:
                cells += ["%.0f" % c["rps"], fmt_ms(c["p99_us"])]
        sh = row["shape"] or {}
        print("| %d | %s / %s | %s |" % (total, sh.get("list_size"), sh.get("offset"),
                                          " | ".join(cells)))
    print("(x..: relative to the %d-task run; (b) reads offset %d at every size)"
          % (sizes[0], offset))
    print()
    print("| tasks | (s) rare search req/s | (s) p50 ms | (s) p99 ms "
          "| (t) common search req/s | (t) p50 ms | (t) p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for total in sizes:
        row = results["sizes"][str(total)]
        cells = []
        for k in "st":
            c = row.get(k, {})
            cells += (["%.0f" % c["rps"], fmt_ms(c["p50_us"]), fmt_ms(c["p99_us"])]
                      if "rps" in c else ["n/a"] * 3)
        print("| %d | %s |" % (total, " | ".join(cells)))
    print("(s) searches 'task 7777', (t) 'task', both in the benchmark list")
    out = os.path.join(TOP_BUILDDIR, "bench-scale-results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
    log("results written to %s" % out)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", action="store_true")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--sizes", default="1000,100000,1000000")
    ap.add_argument("--webhook", action="store_true")
    ap.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    args = ap.parse_args()
    env = os.environ.get
    args.webhook = args.webhook or env("BENCH_WEBHOOK") == "1"
    args.seconds = int(env("BENCH_SECONDS") or (1 if args.smoke else 10))
    args.workers = int(env("BENCH_WORKERS") or 2 * NCPU)
    args.connections = int(env("BENCH_CONNECTIONS") or 32)
    args.tasks = int(env("BENCH_TASKS") or (2000 if args.smoke else 50000))
    for prog in (CEILING, HASHTIME, harness.RESPONDER, harness.TASKMGR):
        if not os.access(prog, os.X_OK):
            sys.exit("bench: %s is not built: run 'make bench' in the build directory" % prog)
    if not os.access(WRK, os.X_OK):
        sys.exit("bench: wrk is not installed (apt-get install wrk)")
    return run_scale(args) if args.scale else run_main(args)


if __name__ == "__main__":
    sys.exit(main())
