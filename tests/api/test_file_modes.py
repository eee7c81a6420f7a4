#!/usr/bin/env python3
"""File modes under umask 022: the database, its -wal and -shm, the rate-limit
table, the log and every backup are the owner's only (0600), an existing
database left open to others is tightened by the next program that opens it,
the responders' socket is 0660 (the quick start's own spawn-fcgi line, run
here), and the systemd units set UMask=0077.  As root, a check as user nobody
shows that another local user can neither read the files nor connect."""
import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RESPONDER, TOP_BUILDDIR, TOP_SRCDIR, Server, _terminate,  # noqa: E402
                     eq, run_tests)
from fcgi_client import fcgi_request  # noqa: E402

# TMTEST_BACKEND=postgresql: the files are SQLite's (the database, -wal, -shm and
# the rate-limit table beside it)
SQLITE_ONLY_REASON = "the modes of the SQLite file and the files beside it"

S = None
NOBODY = 65534


def setup_module():
    global S
    os.umask(0o022)
    # a rate limit on, so that the rate-limit table is made
    S = Server(workers=2, config={"throttle_anon": "1000/minute"}).start()


def teardown_module():
    S.stop()


def mode(path):
    return "%04o" % stat.S_IMODE(os.stat(path).st_mode)


def as_nobody(action):
    """Runs action() in a child process as user nobody (root only): True when
    it raised PermissionError, False when it succeeded."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            action()
            code = 0
        except PermissionError:
            code = 1
        finally:
            os._exit(code)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st) == 1


def read_one(path):
    with open(path, "rb") as f:
        f.read(1)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    finally:
        s.close()


def test_database_wal_shm_limits_log_0600():
    S.create_user("alice")
    tok = S.login("alice")
    eq(S.request("POST", "/api/lists/", {"name": "modes"}, token=tok).status, 201, "a write")
    eq(S.get("/api/health/").status, 200, "an anonymous request (rate-limited)")
    for path in (S.db, S.db + "-wal", S.db + "-shm", S.db + "-limits", S.db + "-metrics",
                 S.log):
        eq(mode(path), "0600", path)
    if os.geteuid() == 0:
        assert as_nobody(lambda: read_one(S.db)), "user nobody can read the database"


def test_backup_0600():
    b1 = os.path.join(S.dir, "b1.db")
    S.cli("backup", "--quiet", b1, check=True)
    eq(mode(b1), "0600", "a new backup")
    assert not os.path.exists(b1 + "-wal"), "a -wal left beside the backup"
    b2 = os.path.join(S.dir, "b2.db")
    with open(b2, "w") as f:
        f.write("an older backup")
    os.chmod(b2, 0o644)
    S.cli("backup", "--quiet", "--force", b2, check=True)
    eq(mode(b2), "0600", "a backup replacing a 0644 file")


def test_loose_database_tightened_by_migrate():
    path = os.path.join(S.dir, "old.db")
    env = {"TASKMGR_DATABASE": path}
    S.cli("migrate", env=env, check=True)
    eq(mode(path), "0600", "a database made by migrate")
    # as an older version left it: 0644, and a -wal and -shm made with that mode
    os.chmod(path, 0o644)
    c = sqlite3.connect(path)
    try:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE mode_test (x)")
        c.commit()
        for sfx in ("", "-wal", "-shm"):
            eq(mode(path + sfx), "0644", "before: " + sfx)
        p = S.cli("migrate", env=env, check=True)
        for sfx in ("", "-wal", "-shm"):
            eq(mode(path + sfx), "0600", "after migrate: " + sfx)
        assert "tightened to 0600" in p.stderr, p.stderr
    finally:
        c.close()


def test_quickstart_socket_0660():
    with open(os.path.join(TOP_SRCDIR, "quickstart.sh")) as f:
        lines = [ln.strip() for ln in f if re.match(r"\s*spawn-fcgi -s ", ln)]
    eq(len(lines), 1, "the quick start's spawn-fcgi line")
    state = os.path.join(S.dir, "qs")
    os.mkdir(state)
    os.chmod(state, 0o755)
    sock = os.path.join(state, "taskmgr.sock")
    script = 'sock=%s; workers=1; state=%s; b=%s; %s' % (
        sock, state, TOP_BUILDDIR, lines[0])
    assert RESPONDER == os.path.join(TOP_BUILDDIR, "taskmgr.fcgi")
    subprocess.run(["bash", "-c", script], env=S.env, check=True, timeout=30)
    with open(os.path.join(state, "fcgi.pid")) as f:
        pids = [int(x) for x in f.read().split()]
    try:
        eq(mode(sock), "0660", "the socket")
        params = [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/api/health/"),
                  ("SCRIPT_NAME", "/api/health/"), ("REMOTE_ADDR", "127.0.0.1")]
        eq(fcgi_request(sock, params)[0], 200, "its owner (as nginx runs) is served")
        if os.geteuid() == 0:
            assert as_nobody(lambda: connect(sock)), "user nobody can connect"
    finally:
        for p in pids:
            _terminate(p)
    time.sleep(0.05)
    eq(mode(S.sock), "0660", "the test servers' socket (the same command line)")


def test_systemd_units():
    for name in ("taskmgr-fcgi", "taskmgr-worker", "taskmgr-bot"):
        with open(os.path.join(TOP_SRCDIR, "conf", name + ".service.in")) as f:
            # a line marked @SYSTEMD_STATE@ is kept when the build uses /var
            unit = [ln.replace("@SYSTEMD_STATE@", "") for ln in f.read().splitlines()]
        assert "UMask=0077" in unit, name
        assert "StateDirectoryMode=0700" in unit, name
        if name == "taskmgr-fcgi":
            assert "Group=www-data" in unit
            start = [ln for ln in unit if ln.startswith("ExecStart=")]
            assert len(start) == 1 and " -M 0660 " in start[0], start


if __name__ == "__main__":
    run_tests(globals())
