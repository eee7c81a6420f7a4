"""A throwaway PostgreSQL cluster for the tests (README "PostgreSQL and
several hosts").

Cluster: initdb in a new folder under /tmp, run as nobody when the tests
run as root (initdb refuses root), listening only on a unix socket in that
folder (listen_addresses = ''), stopped by its PID.  session() is the one
cluster of a test process that runs the HTTP suite on PostgreSQL
(TMTEST_BACKEND=postgresql): started at its first use, with a template
database migrated once that every Server's database is copied from, and
stopped by harness.run_tests() (or at exit).

Standard library only: queries go through psql.
"""
import atexit
import glob
import json
import os
import pwd
import re
import signal
import subprocess
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

    def __init__(self, bindir, scratch=None):
        self.bin = bindir
        self.dir = tempfile.mkdtemp(prefix="taskmgr-pg-", dir="/tmp")
        if scratch is not None:
            scratch.append(self.dir)
        self.proc = None
        self.as_user = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            self.as_user = dict(user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])

    def start(self, max_connections=20, settings=None):
        """initdb and postgres; settings (name: value) are passed with -c
        after the tests' own (fsync off: nothing here must survive a crash),
        so they can change those too (the benchmark turns fsync on)."""
        data = os.path.join(self.dir, "data")
        p = subprocess.run([os.path.join(self.bin, "initdb"), "-D", data, "-U", "taskmgr",
                            "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                           capture_output=True, text=True, timeout=120, cwd=self.dir,
                           **self.as_user)
        assert p.returncode == 0, "initdb: %s%s" % (p.stdout, p.stderr)
        self.log = os.path.join(self.dir, "postgres.log")
        conf = {"listen_addresses": "", "fsync": "off", "max_connections": max_connections}
        conf.update(settings or {})
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [os.path.join(self.bin, "postgres"), "-D", data, "-k", self.dir] +
                [a for k, v in conf.items() for a in ("-c", "%s=%s" % (k, v))],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.dir, **self.as_user)
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
            return [tuple(_typed(v) for v in r.values()) if isinstance(r, dict)
                    else tuple(_typed(v) for v in r)
                    for r in _rows_json(out)]
        self.query(db, text)
        return []


def _rows_json(out):
    data = json.loads(out[0][0] if out else "[]")
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


def session(taskmgr, scratch):
    """The session's cluster, started (and its template migrated with
    taskmgr) at the first call."""
    global _SESSION
    if _SESSION is None:
        bindir = pg_bindir()
        assert bindir is not None, \
            "TMTEST_BACKEND=postgresql needs PostgreSQL (Debian package postgresql-15)"
        c = Cluster(bindir, scratch)
        _SESSION = c
        atexit.register(stop_session)
        c.start(max_connections=100)
        uri = c.createdb(TEMPLATE)
        conf = os.path.join(c.dir, "template.conf")
        with open(conf, "w") as f:
            f.write("database = %s\n" % uri)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKMGR_")}
        p = subprocess.run([taskmgr, "--config", conf, "migrate"], env=env,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, "migrate the template: %s%s" % (p.stdout, p.stderr)
    return _SESSION


def new_database(taskmgr, scratch, migrated=True):
    """A fresh database of the session's cluster (a copy of the migrated
    template, or empty): (name, uri)."""
    c = session(taskmgr, scratch)
    _SERIAL[0] += 1
    name = "srv%d" % _SERIAL[0]
    return name, c.createdb(name, TEMPLATE if migrated else "template0")


def stop_session():
    if _SESSION is not None:
        _SESSION.stop()
