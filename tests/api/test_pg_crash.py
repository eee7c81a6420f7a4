#!/usr/bin/env python3
"""The PostgreSQL server's crash (README "PostgreSQL and several hosts"):
while test_crash.py's writers create, change and assign tasks through nginx,
the PostgreSQL server of a throwaway cluster of this file's own (fsync = on,
as in production) is killed with SIGKILL, its postmaster and every process
of it, by PID, and started again: it recovers from its WAL.  A few times.
Then every write answered 2xx is in the database, nothing half-done is
(test_crash.check_writes), and the responders, never restarted (the same
PIDs throughout), connected again by themselves: each logged it once per
crash (pgstmt.c), and they serve.

Reports SKIP when the build lacks --with-postgresql or PostgreSQL is not
installed (Debian package postgresql-15).  Every wait is bounded.
"""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402
from harness import (SCRATCH, Server, Skip, _PgCursor, eq, run_tests,  # noqa: E402
                     scratch_dir, wait_for)
import test_crash as crash  # noqa: E402

WITH_POSTGRESQL = os.environ.get("WITH_POSTGRESQL") == "yes"
WORKERS = 3
WRITERS = 4
ROUNDS = int(os.environ.get("PG_CRASH_ROUNDS", "3"))
RECONNECTED = "PostgreSQL: connected again after the connection was lost"
PG = None       # this file's cluster
S = None
SKIP = None     # why the tests skip


class Db:
    """What check_writes uses of a connection, on this file's cluster."""

    def execute(self, query, args=()):
        return _PgCursor(PG.rows("crash", query, args))

    def close(self):
        pass


def setup_module():
    global PG, S, SKIP
    if not WITH_POSTGRESQL:
        SKIP = "taskmgr was configured without --with-postgresql"
        return
    bindir = pgcluster.pg_bindir()
    if bindir is None:
        SKIP = "PostgreSQL is not installed (Debian package postgresql-15)"
        return
    PG = pgcluster.Cluster(bindir, SCRATCH).start(fsync=True)
    uri = PG.createdb("crash")
    # spawn-fcgi's responders: nothing restarts one, so the same PIDs
    # serving after a crash have connected again by themselves
    S = Server(workers=WORKERS, config={"database": uri,
                                        "state_dir": scratch_dir("pgcrash-")}).start()
    crash.S = S
    for u in ("alice", "bob"):
        S.create_user(u)
        crash.TOK[u] = S.login(u)
        crash.UID[u] = S.request("GET", "/api/auth/me/", token=crash.TOK[u]).json["id"]


def teardown_module():
    if S is not None:
        S.stop()
    if PG is not None:
        PG.stop()


def acked(writers):
    return sum(1 for w in writers for s in w.statuses if s is not None and s < 300)


def reconnections():
    with open(S.log, errors="replace") as f:
        return f.read().count(RECONNECTED)


def test_kill_postgresql_under_write_load():
    if SKIP:
        raise Skip(SKIP)
    responders = sorted(S.responder_pids())
    eq(len(responders), WORKERS, "responders")
    stop = threading.Event()
    writers = [crash.Writer(n, stop) for n in range(WRITERS)]
    for w in writers:
        w.start()
    try:
        for rnd in range(ROUNDS):
            # the load runs: writes are acknowledged, then the crash
            before = acked(writers)
            wait_for(lambda: acked(writers) >= before + 30,
                     "writes acknowledged before crash %d" % rnd, 60)
            PG.kill()
            # the writes of the outage fail; the server comes back
            down = len([s for w in writers for s in w.statuses])
            wait_for(lambda: len([s for w in writers for s in w.statuses]) >= down + 8,
                     "requests answered while PostgreSQL is down", 30)
            PG.launch()
            # every responder connects again at its first request that finds
            # the connection lost, and writes are acknowledged again
            after = acked(writers)
            wait_for(lambda: reconnections() >= WORKERS * (rnd + 1),
                "each responder connected again after crash %d (%d of %d)" % (
                rnd, reconnections(), WORKERS * (rnd + 1)), 60)
            wait_for(lambda: acked(writers) >= after + 30,
                     "writes acknowledged after crash %d" % rnd, 60)
            eq(sorted(S.responder_pids()), responders, "no responder restarted")
    finally:
        stop.set()
        for w in writers:
            w.join(60)
    statuses = [s for w in writers for s in w.statuses]
    # a responder answers a write it could not make with 5xx; nginx never
    # lost a responder (no 502), every request was answered
    eq(sorted({str(s) for s in statuses if s is None or (s >= 500 and s not in (500, 503))}),
       [], "only the responders' own 500/503 while PostgreSQL was down")
    eq(reconnections(), WORKERS * ROUNDS, "each responder connected again once a crash")
    crash.check_writes(Db(), writers, crash.UID["bob"], sqlite=False)
    # the service is fully usable afterwards
    eq(crash.call("GET", "/api/health/")[0], 200, "health")
    st, _ = crash.call("POST", "/api/lists/", {"name": "after the crashes"})
    eq(st, 201, "writes work")
    print("# %d crashes, %d requests, %d acknowledged writes checked" % (
        ROUNDS, len(statuses), acked(writers)))


def test_first_request_after_restart_is_served():
    """After PostgreSQL's restart (clean, then a crash) each responder's first
    request finds its connection lost at the first statement of its
    transaction: it connects again and runs the transaction again, 2xx."""
    if SKIP:
        raise Skip(SKIP)
    for rnd, (how, method) in enumerate((("stop", "GET"), ("kill", "POST"))):
        before = reconnections()
        PG.stop() if how == "stop" else PG.kill()
        PG.launch()
        statuses = []
        while reconnections() < before + WORKERS and len(statuses) < 300:
            body = {"name": "after restart %d.%d" % (rnd, len(statuses))}
            statuses.append(crash.call(method, "/api/lists/",
                                       body if method == "POST" else None)[0])
        eq(reconnections(), before + WORKERS, "each responder connected again (%s)" % how)
        eq([s for s in statuses if s is None or not 200 <= s < 300], [],
           "every request after the %s answered 2xx, %s" % (how, method))


if __name__ == "__main__":
    run_tests(globals())
