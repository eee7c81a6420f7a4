"""A throwaway PostgreSQL cluster for the tests (README "PostgreSQL and
several hosts").

Cluster: initdb in a new folder under /tmp, run as nobody when the tests
run as root (initdb refuses root), listening only on a unix socket in that
folder (listen_addresses = ''), stopped by its PID.  session() is the one
cluster of a test process that runs the HTTP suite on PostgreSQL
(TMTEST_BACKEND=postgresql): started at its first use, with a template
database migrated once that every Server's database is copied from, and
stopped by harness.run_tests() (or at exit).  make check-postgresql starts
one cluster for all the files instead (python3 pgcluster.py start, its folder
in TMTEST_PG_CLUSTER): each file copies its own databases from the one
template there and drops them when it passes.

Standard library only: queries go through psql.
"""
import atexit
import glob
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def pg_bindir():
    """The newest installed PostgreSQL's bin folder, or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)
    for d in reversed(dirs):
        if all(os.access(os.path.join(d, p), os.X_OK) for p in ("initdb", "postgres", "psql")):
            return d
    return None


def _children(pid):
    """The PIDs of pid's child processes."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _alive(pid):
    """pid runs (a zombie, killed and not yet reaped, does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _terminate(pid, popen, timeout=10):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        popen.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        popen.wait(5)


class Cluster:
    """A throwaway PostgreSQL cluster on a unix socket only."""

    def __init__(self, bindir, scratch=None, folder=None):
        self.bin = bindir
        # folder: a running cluster's, not this object's to start or stop
        self.dir = folder or tempfile.mkdtemp(prefix="taskmgr-pg-", dir="/tmp")
        if scratch is not None and folder is None:
            scratch.append(self.dir)
        self.proc = None
        self.as_user = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = dict(user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])

    def start(self, max_connections=20, fsync=False, detach=False, settings=None):
        """initdb, then the server.  fsync=False (fsync = off) spares the
        disk in a throwaway cluster: nothing here survives a power cut, and
        the server's own crash (kill(), a test of its restart) loses nothing
        either way, since a commit's WAL is written before it is answered;
        a test of durability itself starts with fsync=True.  settings (name:
        value, e.g. the benchmark's shared_buffers) are passed with -c too."""
        self.data = os.path.join(self.dir, "data")
        p = subprocess.run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "taskmgr",
                            "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                           capture_output=True, text=True, timeout=120, cwd=self.dir,
                           **self.as_user)
        assert p.returncode == 0, "initdb: %s%s" % (p.stdout, p.stderr)
        self.log = os.path.join(self.dir, "postgres.log")
        conf = {"listen_addresses": "", "fsync": "on" if fsync else "off",
                "max_connections": max_connections}
        conf.update(settings or {})
        self.settings = [a for k, v in conf.items() for a in ("-c", "%s=%s" % (k, v))]
        return self.launch(detach)

    def launch(self, detach=False):
        """Starts the server of the initialised cluster (again after kill():
        it recovers from its WAL first) and waits until it answers.
        detach: in a session of its own, to outlive this process
        (python3 pgcluster.py start)."""
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [os.path.join(self.bin, "postgres"), "-D", self.data, "-k", self.dir]
                + self.settings,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.dir, start_new_session=detach, **self.as_user)
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("postgres exited: " + open(self.log).read()[-2000:])
            if subprocess.run(self.psql_cmd("postgres", "SELECT 1"), capture_output=True,
                              timeout=30).returncode == 0:
                return self
            if time.time() > deadline:
                raise AssertionError("postgres not ready in 60 s: " + open(self.log).read()[-2000:])
            time.sleep(0.1)

    def kill(self):
        """The server's crash: the postmaster stopped (it forks no more),
        every one of its processes killed with SIGKILL by PID, then itself.
        Nothing is written on the way out; launch() recovers."""
        pid = self.proc.pid
        os.kill(pid, signal.SIGSTOP)
        children = _children(pid)
        for c in children:
            try:
                os.kill(c, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.kill(pid, signal.SIGKILL)
        self.proc.wait(10)
        # a new server refuses to start while a process holds the old shared memory
        deadline = time.time() + 10
        while any(_alive(c) for c in children):
            assert time.time() < deadline, "postgres's processes still running"
            time.sleep(0.02)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        # fast shutdown: clients are cut off, then it exits cleanly
        os.kill(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            _terminate(self.proc.pid, self.proc)

    def psql_cmd(self, db, sql):
        return [os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                "-h", self.dir, "-U", "taskmgr", "-d", db, "-c", sql]

    def query(self, db, sql):
        """The rows of sql, each a tuple of strings."""
        p = subprocess.run(self.psql_cmd(db, sql), capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, "psql %s: %s" % (sql, p.stderr)
        return [tuple(line.split("|")) for line in p.stdout.splitlines() if line != ""]

    def auto_explain(self, db):
        """Every new session of db logs the plan of each statement it runs in
        the cluster's log (auto_explain, whatever the statement's duration)."""
        self.query(db, "ALTER DATABASE %s SET session_preload_libraries = 'auto_explain'" % db)
        self.query(db, "ALTER DATABASE %s SET auto_explain.log_min_duration = 0" % db)

    def many(self, db, sql, seq):
        """sql once for each args of seq, its "?" bound to them, all in one
        psql run (a run per row takes minutes for thousands of rows)."""
        text = "".join(_bind(sql.strip().rstrip(";"), args) + ";\n" for args in seq)
        cmd = self.psql_cmd(db, "")[:-2] + ["-f", "-"]
        p = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, "psql %s: %s" % (sql, p.stderr)

    def uri(self, name):
        return "postgresql:///%s?host=%s&user=taskmgr" % (name, self.dir)

    def createdb(self, name, template=None):
        self.query("postgres", "CREATE DATABASE %s%s" % (
            name, " TEMPLATE %s" % template if template else ""))
        return self.uri(name)

    def rows(self, db, sql, args=()):
        """The rows of sql on db as typed tuples (numbers as int or float,
        booleans as bool, bytea as bytes, NULL as None), SQLite's "?" bound
        to args as literals; committed.  A statement that returns no rows
        (an UPDATE without RETURNING, DDL) gives []."""
        text = _bind(sql, args).strip().rstrip(";")
        head = text.lstrip("( \n").split(None, 1)[0].upper()
        if head in ("SELECT", "WITH", "VALUES") or re.search(r"\bRETURNING\b", text, re.I):
            text = ("WITH tm_q AS (%s) SELECT coalesce(json_agg(json_build_array(tm_q.*)), "
                    "'[]') FROM tm_q" % text)
            # json_build_array(row) nests the row: unpack it below
            out = self.query(db, text)
            return [tuple(_typed(v) for v in r.in_order) if isinstance(r, dict)
                    else tuple(_typed(v) for v in r)
                    for r in _rows_json(out)]
        self.query(db, text)
        return []


class _Object(dict):
    """A JSON object that also keeps every value in order: a row whose
    columns share a name (two unnamed sum()s) keeps them all."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.in_order = [v for _, v in pairs]


def _rows_json(out):
    data = json.loads(out[0][0] if out else "[]", object_pairs_hook=_Object)
    return [r[0] if len(r) == 1 and isinstance(r[0], (dict, list)) else r for r in data]


def _typed(v):
    if isinstance(v, str) and v.startswith("\\x") and re.fullmatch(r"\\x([0-9a-f]{2})*", v):
        return bytes.fromhex(v[2:])
    return v


def _literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "'\\x%s'::bytea" % bytes(v).hex()
    return "'%s'" % str(v).replace("'", "''")


def _bind(sql, args):
    """sql with each "?" outside quotes replaced by args' literals."""
    args = list(args)
    out, i, quote = [], 0, None
    for ch in sql:
        if quote:
            if ch == quote:
                quote = None
            out.append(ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append(_literal(args[i]))
            i += 1
        else:
            out.append(ch)
    assert i == len(args), "%d parameters for %d ?s" % (len(args), i)
    return "".join(out)


# ---- the session's cluster (TMTEST_BACKEND=postgresql) -------------------

TEMPLATE = "tm_template"
_SESSION = None
_SERIAL = [0]
_CREATED = []   # the databases this process made in a shared cluster


def _migrate_template(c, taskmgr):
    uri = c.createdb(TEMPLATE)
    conf = os.path.join(c.dir, "template.conf")
    with open(conf, "w") as f:
        f.write("database = %s\n" % uri)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKMGR_")}
    p = subprocess.run([taskmgr, "--config", conf, "migrate"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, "migrate the template: %s%s" % (p.stdout, p.stderr)


def session(taskmgr, scratch):
    """The session's cluster: the run's own when TMTEST_PG_CLUSTER names its
    folder (make check-postgresql starts one for all the files: see main()),
    else one of this process, started (and its template migrated with
    taskmgr) at the first call."""
    global _SESSION
    if _SESSION is None:
        bindir = pg_bindir()
        assert bindir is not None, \
            "TMTEST_BACKEND=postgresql needs PostgreSQL (Debian package postgresql-15)"
        shared = os.environ.get("TMTEST_PG_CLUSTER")
        if shared:
            _SESSION = Cluster(bindir, folder=shared)
            return _SESSION
        c = Cluster(bindir, scratch)
        _SESSION = c
        atexit.register(stop_session)
        c.start(max_connections=100)
        _migrate_template(c, taskmgr)
    return _SESSION


def new_database(taskmgr, scratch, migrated=True):
    """A fresh database of the session's cluster (a copy of the migrated
    template, or empty): (name, uri).  The name has the process's PID:
    the files that share a cluster run at the same time."""
    c = session(taskmgr, scratch)
    _SERIAL[0] += 1
    name = "srv%d_%d" % (os.getpid(), _SERIAL[0])
    uri = c.createdb(name, TEMPLATE if migrated else "template0")
    if c.proc is None:
        _CREATED.append(name)
    return name, uri


def stop_session(keep=False):
    """Stops this process's cluster; in a shared one, drops this process's
    databases instead (keep: leaves them, for a failed file's post-mortem)."""
    if _SESSION is None:
        return
    if _SESSION.proc is not None:
        _SESSION.stop()
        return
    while _CREATED and not keep:
        _SESSION.query("postgres", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % _CREATED.pop())


def main(argv):
    """python3 pgcluster.py start TASKMGR: starts a cluster for a whole run
    (its server in a session of its own, outliving this process), migrates
    its template with TASKMGR and prints its folder, for TMTEST_PG_CLUSTER.
    python3 pgcluster.py stop FOLDER [keep]: stops that cluster's server by
    the PID in its postmaster.pid and removes the folder (not with keep)."""
    if len(argv) == 3 and argv[1] == "start":
        bindir = pg_bindir()
        if bindir is None:
            sys.exit("PostgreSQL is not installed (Debian package postgresql-15)")
        c = Cluster(bindir)
        # -j2: two files at once, each with servers of several responders
        try:
            c.start(max_connections=200, detach=True)
            _migrate_template(c, argv[2])
        except AssertionError as e:
            c.stop()
            shutil.rmtree(c.dir, ignore_errors=True)
            sys.exit(str(e))
        print(c.dir)
        return
    if len(argv) in (3, 4) and argv[1] == "stop" and argv[2].startswith(
            "/tmp/taskmgr-pg-"):
        try:
            with open(os.path.join(argv[2], "data", "postmaster.pid")) as f:
                pid = int(f.readline())
        except (OSError, ValueError):
            pid = None
        if pid is not None:
            # fast shutdown, then SIGKILL after 30 s
            os.kill(pid, signal.SIGINT)
            deadline = time.time() + 30
            while _alive(pid) and time.time() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if len(argv) == 3:
            shutil.rmtree(argv[2], ignore_errors=True)
        return
    sys.exit("usage: pgcluster.py start TASKMGR | stop FOLDER [keep]")


if __name__ == "__main__":
    main(sys.argv)
