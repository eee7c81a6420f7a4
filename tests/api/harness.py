"""Test harness: real nginx + spawn-fcgi + the built responder on loopback.

Server() writes a config and an nginx site (from conf/nginx-taskmgr.conf.in)
into a fresh temporary folder, migrates a new SQLite database there, starts
the responders with spawn-fcgi and nginx on a free 127.0.0.1 port, and stops
every process it started, by PID, in stop().  run_tests() runs the test_*
functions of a module and prints TAP for automake's driver.

Server(nginx=False) starts the responders alone (fcgi_tcp=True: on 127.0.0.1
rather than a unix socket); nginx_site() and start_nginx() make an nginx of
other sites, e.g. one upstream over several servers' responders
(test_multihost.py).

TMTEST_BACKEND=postgresql: each Server gets a fresh database of one
throwaway PostgreSQL cluster per test process (pgcluster.py), copied from a
template migrated once; Server.sql() and Server.connect() go to it.  Tests
that are SQLite's by nature call sqlite_only(reason) (or set SQLITE_ONLY_REASON
in the module for all of them) and report SKIP there.

Standard library only.
"""
import glob
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

import pgcluster

TOP_SRCDIR = os.environ.get("TOP_SRCDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
TOP_BUILDDIR = os.environ.get("TOP_BUILDDIR") or TOP_SRCDIR
NGINX = os.environ.get("NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
SPAWN_FCGI = os.environ.get("SPAWN_FCGI") or shutil.which("spawn-fcgi") or "/usr/bin/spawn-fcgi"
MULTIWATCH = shutil.which("multiwatch") or "/usr/bin/multiwatch"
TASKMGR = os.path.join(TOP_BUILDDIR, "taskmgr")
RESPONDER = os.path.join(TOP_BUILDDIR, "taskmgr.fcgi")
# the test-only programs whose clock a test moves (Server(fake_clock=True))
# sql/'s migrations in order: MIGRATIONS[n - 1] is number n
MIGRATIONS = sorted(glob.glob(os.path.join(TOP_SRCDIR, "sql", "[0-9][0-9][0-9]_*.sql")))
FAKECLOCK_DIR = os.path.join(TOP_BUILDDIR, "tests", "fakeclock")
# the database every Server uses: "sqlite" (a file) or "postgresql"
BACKEND = os.environ.get("TMTEST_BACKEND") or "sqlite"
assert BACKEND in ("sqlite", "postgresql"), "TMTEST_BACKEND: sqlite or postgresql"
PG = BACKEND == "postgresql"

# Cheap argon2 settings keep the suite fast; the cost itself is tested apart.
BASE_CONFIG = {
    "argon2_t_cost": "1",
    "argon2_m_cost_kib": "1024",
    "argon2_parallelism": "1",
    "throttle_anon": "off",
    "throttle_user": "off",
    "throttle_login": "off",
    "telegram_bot_name": "taskmgr_test_bot",
    "telegram_bot_secret": "test-bot-secret-0123456789abcdef0123456789",
    "log_level": "info",
}

STARTED = []   # every Server started by this process, checked at the end
SCRATCH = []   # other folders made by scratch_dir(), removed like the servers'

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


def sqlite_only(reason):
    """Skips the calling test on PostgreSQL: it tests SQLite itself (reason)."""
    if PG:
        raise Skip("SQLite only: " + reason)


def scratch_dir(prefix):
    """A new folder under tests/tmp of the build, removed when the file passes."""
    base = os.path.join(TOP_BUILDDIR, "tests", "tmp")
    os.makedirs(base, exist_ok=True)
    d = tempfile.mkdtemp(prefix=prefix, dir=base)
    os.chmod(d, 0o755)
    SCRATCH.append(d)
    return d


def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # list of (name, value)
        self.body = body                # bytes
        self._json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def json(self):
        if self._json is None:
            self._json = json.loads(self.body.decode("utf-8"))
        return self._json

    def __repr__(self):
        return "<%d %r>" % (self.status, self.body[:300])


class Server:
    # nginx worker processes, and text put into the site's server block
    # before "location / {" (the benchmark adds its ceiling there)
    nginx_workers = 1
    site_extra = ""
    # nginx's access log (access_log_path()): False logs only what the site
    # itself logs (the calendar feed, redacted); True every request, as a
    # server with Debian's default access_log does
    nginx_access_log = False

    def __init__(self, workers=2, config=None, mode="spawn", migrate=True,
                 ipv6=False, mw_opts=(), fake_clock=False, nginx=True, fcgi_tcp=False):
        self.workers = workers
        # nginx=False: the responders alone (a "host" of test_multihost.py,
        # whose nginx sets self.port to a site passing to self.sock)
        self.with_nginx = nginx
        # fcgi_tcp: the responders listen on 127.0.0.1 (a free port), not on
        # the unix socket self.sock; self.fcgi_pass is nginx's address for them
        self.fcgi_tcp = fcgi_tcp
        self.fcgi_pass = None
        # fake_clock: run tests/fakeclock's programs; set_clock() moves their time
        self.fake_clock = fake_clock
        self.taskmgr = os.path.join(FAKECLOCK_DIR, "taskmgr") if fake_clock else TASKMGR
        self.responder = os.path.join(FAKECLOCK_DIR, "taskmgr.fcgi") if fake_clock \
            else RESPONDER
        self.config = dict(BASE_CONFIG)
        self.config.update(config or {})
        self.mode = mode
        self.migrate = migrate
        self.ipv6 = ipv6
        self.dir = None
        self.state_dir = ""     # the config's state_dir, set by start()
        self.nginx = None
        self.host = "::1" if ipv6 else "127.0.0.1"
        self.port = None
        self.pids = []
        self.mw_pid = None
        self.mw_opts = list(mw_opts)    # extra multiwatch options, e.g. ["-r", "1000"]

    # -- set-up ------------------------------------------------------------
    def start(self):
        base = os.path.join(TOP_BUILDDIR, "tests", "tmp")
        os.makedirs(base, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="srv-", dir=base)
        STARTED.append(self)
        os.chmod(self.dir, 0o755)
        self.db = os.path.join(self.dir, "taskmgr.db")
        self.pg_db = None
        if PG and "database" not in self.config:
            # a copy of the migrated template: migrating takes seconds, a copy not
            self.pg_db, self.db = pgcluster.new_database(TASKMGR, SCRATCH,
                                                         migrated=self.migrate)
        self.log = os.path.join(self.dir, "taskmgr.log")
        self.sock = os.path.join(self.dir, "fcgi.sock")
        self.conf = os.path.join(self.dir, "taskmgr.conf")
        cfg = {"database": self.db, "log_file": self.log,
               "templates_dir": os.path.join(TOP_SRCDIR, "templates")}
        if self.pg_db is not None or self.config.get("database", "").startswith("postgres"):
            # the rate limits' and metrics' files: no database file to sit beside
            cfg["state_dir"] = self.dir
        cfg.update(self.config)
        self.state_dir = cfg.get("state_dir", "")
        with open(self.conf, "w") as f:
            for k, v in cfg.items():
                f.write("%s = %s\n" % (k, v))
        self.env = dict(os.environ, TASKMGR_CONFIG=self.conf)
        for k in list(self.env):
            if k.startswith("TASKMGR_") and k != "TASKMGR_CONFIG":
                del self.env[k]
        self.env.pop("TMTEST_CLOCK_FILE", None)
        if self.fake_clock:
            self.clock_file = os.path.join(self.dir, "clock")
            self.set_clock(0)
            self.env["TMTEST_CLOCK_FILE"] = self.clock_file
        if self.migrate and self.pg_db is None:
            self.cli("migrate", check=True)
        self.start_responders()
        if self.with_nginx:
            for attempt in range(3):
                self.start_nginx()
                try:
                    self.wait_ready()
                    break
                except RuntimeError as e:
                    # free_port()'s port taken by another socket before
                    # nginx bound it (more likely with make -j4): another port
                    if "Address already in use" not in str(e) or attempt == 2:
                        raise
        return self

    def set_clock(self, offset=None, at=None):
        """Moves the fake clock: offset seconds from the real time, or to the
        Unix time at (fake_clock servers only)."""
        if at is not None:
            offset = at - time.time()
        with open(self.clock_file + ".tmp", "w") as f:
            f.write("%.6f\n" % offset)
        os.replace(self.clock_file + ".tmp", self.clock_file)

    def cli(self, *args, input=None, check=False, env=None):
        e = dict(self.env)
        e.update(env or {})
        p = subprocess.run([self.taskmgr] + list(args), input=input, env=e,
                           capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError("taskmgr %s failed (%d): %s%s" % (
                " ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def start_responders(self):
        if self.mode == "multiwatch":
            assert not self.fcgi_tcp, "multiwatch: a unix socket"
            self.fcgi_pass = "unix:" + self.sock
            # the systemd unit's command line: spawn-fcgi -n execs multiwatch
            p = subprocess.Popen(
                [SPAWN_FCGI, "-n", "-s", self.sock, "-M", "0660", "--",
                 MULTIWATCH, "-f", str(self.workers)] + self.mw_opts + ["--", self.responder],
                env=self.env, stdout=subprocess.DEVNULL,
                stderr=open(os.path.join(self.dir, "multiwatch.log"), "w"))
            self.mw_pid = p.pid
            self.mw = p
            deadline = time.time() + 10
            while time.time() < deadline and len(self.responder_pids()) < self.workers:
                time.sleep(0.05)
            return
        pidfile = os.path.join(self.dir, "fcgi.pid")
        if self.fcgi_tcp:
            port = free_port()
            listen = ["-a", "127.0.0.1", "-p", str(port)]
            self.fcgi_pass = "127.0.0.1:%d" % port
        else:
            listen = ["-s", self.sock, "-M", "0660"]
            self.fcgi_pass = "unix:" + self.sock
        subprocess.run([SPAWN_FCGI] + listen +
                       ["-F", str(self.workers), "-P", pidfile, "--", self.responder],
                       env=self.env, check=True, capture_output=True, timeout=30)
        with open(pidfile) as f:
            self.pids = [int(x) for x in f.read().split()]

    def responder_pids(self):
        """PIDs of the live responder processes."""
        if self.mode == "multiwatch":
            out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.mw_pid)],
                                 capture_output=True, text=True).stdout
            return [int(x) for x in out.split()]
        return [p for p in self.pids if _alive(p)]

    def start_nginx(self):
        self.port = free_port(self.host)
        listen = "[::1]:%d" % self.port if self.ipv6 else "127.0.0.1:%d" % self.port
        site = nginx_site(listen, self.fcgi_pass, site_extra=self.site_extra,
                          access_log=self.access_log_path())
        self.nginx = start_nginx(self.dir, site, workers=self.nginx_workers,
                                 access_log=self.access_log_path()
                                 if self.nginx_access_log else "off")

    def access_log_path(self):
        """The file nginx's access log is written to (the site's
        /var/log/nginx/access.log)."""
        return os.path.join(self.dir, "nginx-access.log")

    def wait_ready(self):
        deadline = time.time() + 15
        last = None
        while time.time() < deadline:
            if self.nginx is not None and self.nginx.poll() is not None:
                raise RuntimeError("nginx exited: %s" % self.nginx.stderr.read())
            try:
                r = self.request("GET", "/api/health/")
                if r.status in (200, 503):
                    return
                last = r
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError("server did not come up: %r" % (last,))

    # -- tear-down ---------------------------------------------------------
    def stop(self):
        if self.nginx is not None:
            _terminate(self.nginx.pid, self.nginx)
            self.nginx = None
        if self.mw_pid:
            _terminate(self.mw_pid, self.mw)
            self.mw_pid = None
        for p in self.pids:
            _terminate(p)
        self.pids = []

    def sanitizer_report(self):
        """Sanitizer findings in the responders' log, or None."""
        try:
            with open(self.log, errors="replace") as f:
                text = f.read()
        except OSError:
            return None
        if any(m in text for m in SANITIZER_MARKS):
            return text[-6000:]
        return None

    def state_file(self, suffix):
        """This host's file named by suffix ("-limits", "-metrics"): in
        state_dir when set (always on PostgreSQL), else beside the SQLite
        database (config_state_file, core/config.h)."""
        if self.state_dir:
            return os.path.join(self.state_dir, "taskmgr" + suffix)
        return self.db + suffix

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def connect(self):
        """A connection of its own to the database, waiting up to 10 s for a lock."""
        if self.pg_db is not None:
            return _PgConnection(self.pg_db)
        c = sqlite3.connect(self.db, timeout=10)
        c.execute("PRAGMA busy_timeout = 10000")
        return c

    def sql(self, query, *args):
        """The rows of query (args bound) on the database, committed."""
        if self.pg_db is not None:
            return pgcluster.session(TASKMGR, SCRATCH).rows(self.pg_db, query, args)
        c = self.connect()
        try:
            with c:
                return c.execute(query, args).fetchall()
        finally:
            c.close()

    def db_bytes(self):
        data = b""
        for suffix in ("", "-wal"):
            try:
                with open(self.db + suffix, "rb") as f:
                    data += f.read()
            except OSError:
                pass
        return data

    # -- requests ----------------------------------------------------------
    def request(self, method, path, body=None, headers=None, token=None,
                raw=None, timeout=20):
        h = {}
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return Response(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def url(self, path=""):
        host = "[::1]" if self.ipv6 else "127.0.0.1"
        return "http://%s:%d%s" % (host, self.port, path)

    # -- users -------------------------------------------------------------
    def create_user(self, username, password="correct-horse-battery", staff=True):
        """A superuser through the CLI, or (staff=False) a normal active
        user registered through the API."""
        if staff:
            self.cli("createsuperuser", "--username", username, "--password-stdin",
                     input=password + "\n", check=True)
            return
        r = self.post("/api/auth/register/", {"username": username, "password": password,
                                              "confirm_password": password})
        assert r.status == 201, r

    def login(self, username, password="correct-horse-battery"):
        r = self.post("/api/auth/token/", {"username": username, "password": password})
        assert r.status == 200, r
        return r.json["access"]

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def nginx_site(listen, fastcgi_pass, site_extra="", access_log=None, log_format=True):
    """The shipped site (conf/nginx-taskmgr.conf.in) listening on listen
    ("127.0.0.1:PORT") and passing to fastcgi_pass ("unix:PATH", or the name
    of an upstream block); site_extra goes before "location / {", access_log
    is the file of the calendar feed's log.  log_format=False leaves out the
    log_format line, which an http block may hold once (a second site)."""
    with open(os.path.join(TOP_SRCDIR, "conf", "nginx-taskmgr.conf.in")) as f:
        site = f.read()
    site = site.replace("listen 80 default_server;", "listen %s;" % listen)
    site = site.replace("listen [::]:80 default_server;", "")
    site = site.replace("unix:@RUNSTATEDIR@/taskmgr/taskmgr.sock", fastcgi_pass)
    site = site.replace("    location / {", site_extra + "    location / {", 1)
    site = site.replace("@PKGDATADIR@/static/", os.path.join(TOP_SRCDIR, "static") + "/")
    if access_log is not None:
        site = site.replace("/var/log/nginx/access.log", access_log)
    if not log_format:
        start = site.index("log_format taskmgr_calendar")
        site = site[:start] + site[site.index(";", start) + 1:]
    return site


def start_nginx(d, sites, workers=1, access_log="off"):
    """nginx with its prefix, configuration and logs in the folder d, serving
    sites (nginx_site()'s texts, and upstream blocks) in its http block; the
    Popen, stopped by the caller by its PID."""
    for name in ("fastcgi_params", "mime.types"):
        shutil.copy(os.path.join("/etc/nginx", name), d)
    conf = """%(user)s
worker_processes %(workers)d;
pid %(d)s/nginx.pid;
error_log %(d)s/nginx-error.log warn;
events { worker_connections 512; }
http {
    include mime.types;
    access_log %(access_log)s;
    client_body_temp_path %(d)s/body;
    fastcgi_temp_path %(d)s/fastcgi;
    proxy_temp_path %(d)s/proxy;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    large_client_header_buffers 4 16k;
%(site)s
}
""" % {"d": d, "site": sites, "workers": workers,
       "user": "user root;" if os.geteuid() == 0 else "", "access_log": access_log}
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return subprocess.Popen(
        [NGINX, "-p", d, "-c", path, "-e", os.path.join(d, "nginx-error.log"),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class _PgCursor:
    def __init__(self, rows):
        self.rows = rows
        self.lastrowid = None

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


class _PgConnection:
    """Server.connect() on PostgreSQL: what the tests use of a sqlite3
    connection (execute, fetchall/fetchone, commit, close, with); each
    statement is committed on its own (psql).  A statement that breaks a
    constraint raises sqlite3.IntegrityError, with PostgreSQL's message."""

    def __init__(self, db):
        self.db = db

    def execute(self, query, args=()):
        try:
            return self._execute(query, args)
        except AssertionError as e:
            if "violates" in str(e) and "constraint" in str(e):
                raise sqlite3.IntegrityError(str(e)) from None
            raise

    def _execute(self, query, args):
        pg = pgcluster.session(TASKMGR, SCRATCH)
        q = query.strip().rstrip(";")
        if " ".join(q.split()).lower() == "pragma foreign_keys = on":
            return _PgCursor([])    # PostgreSQL always checks them
        if q[:6].upper() == "INSERT" and " RETURNING " not in q.upper():
            # lastrowid: the new row's id, where the table has one
            try:
                rows = pg.rows(self.db, q + " RETURNING id", args)
                cur = _PgCursor([])
                cur.lastrowid = rows[0][0] if len(rows) == 1 else None
                return cur
            except AssertionError as e:
                if 'column "id" does not exist' not in str(e):
                    raise
        return _PgCursor(pg.rows(self.db, query, args))

    def executemany(self, query, seq):
        pgcluster.session(TASKMGR, SCRATCH).many(self.db, query, seq)

    def commit(self):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def migration_number(suffix):
    """The number of the migration whose file name ends with suffix
    ("_task_columns.sql"), wherever the numbering puts it."""
    return [n for n, f in enumerate(MIGRATIONS, 1) if f.endswith(suffix)][0]


def schema_before(path, number, username_key=None):
    """A database at path made by the migrations before number, as `taskmgr
    migrate` of that release left it (user_version too); the connection,
    committed.  012 gets username_key as its key function (`taskmgr migrate`
    registers one): by default one that fails, for a database with no user."""
    def unused(_):
        raise AssertionError("012 recomputes keys of no user here")
    c = sqlite3.connect(path, timeout=10)
    c.create_function("username_key", 1, username_key or unused)
    for n, f in enumerate(MIGRATIONS[:number - 1], 1):
        with open(f) as fh:
            c.executescript(fh.read())
        c.execute("PRAGMA user_version = %d" % n)
    c.commit()
    return c


def _alive(pid):
    """Whether pid runs; a zombie does not (pgcluster._alive).  The responders
    spawn-fcgi starts are not our children: PID 1 reaps them, and may take
    seconds to, while kill(pid, 0) still finds them."""
    return pgcluster._alive(pid)


def _terminate(pid, popen=None, timeout=10):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.time() + timeout
    while time.time() < deadline:
        if popen is not None:
            if popen.poll() is not None:
                return
        elif not _alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if popen is not None:
        popen.wait(5)


def wait_for(pred, what, timeout=15, step=0.02):
    """Polls pred() until it is true; AssertionError naming what after
    timeout seconds (the tests' one bounded wait)."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() >= deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)


def read_text(path):
    """The text of the file at path ("" while it does not exist), e.g. a log
    a process is still writing."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


class Skip(Exception):
    """Raised by a test whose tool is absent: reported as a TAP skip."""


def run_tests(module_globals, time_limit=600):
    """Runs every test_* function in definition order and prints TAP."""
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(
        TimeoutError("test file exceeded %ds" % time_limit)))
    signal.alarm(time_limit)
    tests = [(n, f) for n, f in module_globals.items()
             if n.startswith("test_") and callable(f)]
    if PG and module_globals.get("SQLITE_ONLY_REASON"):
        # a file that tests SQLite itself: every test skips
        reason = module_globals["SQLITE_ONLY_REASON"]
        tests = [(n, (lambda: sqlite_only(reason))) for n, _ in tests]
        module_globals = {}
    failed = 0
    setup = module_globals.get("setup_module")
    teardown = module_globals.get("teardown_module")
    try:
        if setup:
            setup()
        for i, (name, fn) in enumerate(tests, 1):
            t0 = time.time()
            try:
                fn()
                print("ok %d - %s (%.2fs)" % (i, name, time.time() - t0))
            except Skip as e:
                print("ok %d - %s # SKIP %s" % (i, name, e))
            except Exception:
                failed += 1
                print("not ok %d - %s" % (i, name))
                for line in traceback.format_exc().splitlines():
                    print("#   " + line)
            sys.stdout.flush()
    except Exception:
        print("Bail out! set-up failed")
        for line in traceback.format_exc().splitlines():
            print("#   " + line)
        sys.stdout.flush()
        if teardown:
            teardown()
        sys.exit(1)
    if teardown:
        try:
            teardown()
        except Exception:
            failed += 1
            print("not ok %d - teardown" % (len(tests) + 1))
            for line in traceback.format_exc().splitlines():
                print("#   " + line)
            tests.append(("teardown", None))
    # every process started is stopped, then its log is read for sanitizer findings
    reports = []
    for srv in STARTED:
        srv.stop()
        rep = srv.sanitizer_report()
        if rep:
            reports.append((srv.dir, rep))
    pgcluster.stop_session(keep=failed > 0)
    tests.append(("sanitizers", None))
    if reports:
        failed += 1
        print("not ok %d - no sanitizer findings in responder logs" % len(tests))
        for d, rep in reports:
            print("#   in " + d)
            for line in rep.splitlines()[-60:]:
                print("#   " + line)
    else:
        print("ok %d - no sanitizer findings in responder logs" % len(tests))
    print("1..%d" % len(tests))
    # a passing file leaves nothing behind; a failing one keeps its servers' folders
    if not failed and not os.environ.get("KEEP_TEST_DIRS"):
        for srv in STARTED:
            if srv.dir:
                shutil.rmtree(srv.dir, ignore_errors=True)
        for d in SCRATCH:
            shutil.rmtree(d, ignore_errors=True)
    signal.alarm(0)
    sys.exit(1 if failed else 0)
