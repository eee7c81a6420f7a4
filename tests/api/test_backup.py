#!/usr/bin/env python3
"""taskmgr backup: an online copy under write load, integrity, restore, refusals."""
import os
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests, _terminate  # noqa: E402

# TMTEST_BACKEND=postgresql: taskmgr backup copies SQLite's file; PostgreSQL is
# backed up with its own tools (test_postgresql.py checks what backup says there)
SQLITE_ONLY_REASON = "taskmgr backup copies the SQLite file"

S = None
TOK = {}


def setup_module():
    global S
    S = Server(workers=2).start()
    S.create_user("alice")
    TOK["alice"] = S.login("alice")
    # some bulk, so that the copy takes several steps (256 pages each)
    with S.connect() as c:
        c.execute("CREATE TABLE backup_test_padding (x BLOB)")
        c.executemany("INSERT INTO backup_test_padding VALUES (randomblob(4000))",
                      [()] * 1500)


def teardown_module():
    S.stop()


def mk(name):
    r = S.request("POST", "/api/lists/", {"name": name}, token=TOK["alice"])
    return r


def integrity(path):
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return (c.execute("PRAGMA integrity_check").fetchall(),
                c.execute("PRAGMA foreign_key_check").fetchall())
    finally:
        c.close()


def list_ids(path):
    c = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return {r[0] for r in c.execute("SELECT id FROM lists")}
    finally:
        c.close()


def test_backup_under_write_load_then_restore():
    before = []
    for i in range(20):
        r = mk("before %d" % i)
        eq(r.status, 201, "create before")
        before.append(r.json["id"])
    stop = threading.Event()
    acked, errors = [], []

    def writer(n):
        i = 0
        while not stop.is_set():
            r = mk("during %d-%d" % (n, i))
            i += 1
            if r.status == 201:
                acked.append(r.json["id"])
            else:
                errors.append(r)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        out = os.path.join(S.dir, "backup.db")
        p = S.cli("backup", out)
    finally:
        stop.set()
        for t in threads:
            t.join()
    eq(p.returncode, 0, "backup exit status: %s" % p.stderr)
    eq(errors, [], "writes during the backup")
    assert len(acked) > 0, "the writers wrote during the backup"
    steps = [ln for ln in p.stderr.splitlines() if ln.startswith("backup: ") and "pages" in ln]
    assert len(steps) >= 2, "progress per step: %r" % p.stderr
    assert steps[-1].endswith("(100%)"), steps[-1]
    assert not os.path.exists(out + ".tmp"), "no .tmp left"
    eq(integrity(out), ([("ok",)], []), "integrity and foreign keys of the copy")
    saved = list_ids(out)
    missing = set(before) - saved
    eq(missing, set(), "lists created before the backup are in it")

    # restore: stop the responders, put the copy in place, migrate, start again
    for pid in S.pids:
        _terminate(pid)
    S.pids = []
    for sfx in ("-wal", "-shm"):
        if os.path.exists(S.db + sfx):
            os.unlink(S.db + sfx)
    os.replace(out, S.db)
    S.cli("migrate", check=True)
    S.start_responders()
    S.wait_ready()
    r = S.get("/api/health/")
    eq(r.status, 200, "health after restore")
    for lid in before:
        r = S.request("GET", "/api/lists/%d/" % lid, token=TOK["alice"])
        eq(r.status, 200, "list %d after restore" % lid)
    # the lists written after the snapshot was taken are gone, the rest are there
    for lid in saved:
        eq(S.request("GET", "/api/lists/%d/" % lid, token=TOK["alice"]).status, 200,
           "saved list %d" % lid)
    eq(mk("after restore").status, 201, "writes work after the restore")
    eq(integrity(S.db)[0], [("ok",)], "integrity after restore")


def test_refuses_to_overwrite_without_force():
    out = os.path.join(S.dir, "exists.db")
    with open(out, "w") as f:
        f.write("keep me")
    p = S.cli("backup", out)
    eq(p.returncode, 1, "exit status")
    assert "--force" in p.stderr, p.stderr
    with open(out) as f:
        eq(f.read(), "keep me", "file untouched")
    p = S.cli("backup", "--force", "--quiet", out)
    eq(p.returncode, 0, "with --force: %s" % p.stderr)
    eq(p.stderr, "", "--quiet prints nothing")
    eq(integrity(out)[0], [("ok",)], "overwritten with a good copy")


def test_refuses_the_database_itself_and_bad_usage():
    p = S.cli("backup", S.db)
    eq(p.returncode, 1, "the database itself")
    with open(S.db, "rb") as f:
        eq(f.read(16), b"SQLite format 3\x00", "database untouched")
    eq(integrity(S.db)[0], [("ok",)], "database still sound")
    eq(S.cli("backup").returncode, 2, "no file")
    eq(S.cli("backup", "a", "b").returncode, 2, "two files")
    eq(S.cli("backup", "--bogus", "x").returncode, 2, "unknown option")
    p = S.cli("backup", os.path.join(S.dir, "no", "such", "dir", "x.db"))
    eq(p.returncode, 1, "unwritable place")
    eq(S.cli("backup", "--help").returncode, 0, "--help")


if __name__ == "__main__":
    run_tests(globals())
