#!/usr/bin/env python3
"""Failover to a standby PostgreSQL (README "PostgreSQL and several hosts",
"Failover to a standby PostgreSQL").

A primary cluster (fsync = on) and a hot standby made from it with
pg_basebackup -R over the unix socket, streaming, synchronous
(synchronous_standby_names on the primary names the standby's
application_name, its cluster_name): a commit is acknowledged once it is on
the standby.  The responders and a worker connect with a libpq multi-host URI
over both sockets, target_session_attrs=read-write.  Under a load of
creations the primary is killed (SIGKILL by PID, postmaster and children)
and the standby promoted (pg_ctl promote).  Then: every creation answered
2xx before the kill is on the new primary; the same responders (same PIDs)
serve reads and writes again; the worker, the leader before, leads again on
the new primary and sends a webhook delivery queued after the failover,
once.

Reports SKIP without --with-postgresql or PostgreSQL (Debian postgresql-15).
Every wait is bounded; every process is stopped by its PID.
"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402
from harness import (SCRATCH, Server, Skip, _terminate, eq, read_text as read,  # noqa: E402
                     run_tests, scratch_dir, wait_for)
from hook_receiver import Receiver  # noqa: E402

WITH_POSTGRESQL = os.environ.get("WITH_POSTGRESQL") == "yes"
DB = "failover"
STANDBY_NAME = "tm_standby"
LEADS = "worker: leads on this database"
RECONNECTED = "PostgreSQL: connected again after the connection was lost"
PRIMARY = STANDBY = S = RX = None
WORKER = None   # (Popen, log path)
SKIP = None
PROMOTED = None     # set once the standby is the primary
WORKER_LOCK = 8389411671855229797   # the worker's leader lock, "tm-worke" (core/leader.c)


def setup_module():
    global PRIMARY, STANDBY, S, RX, SKIP
    if not WITH_POSTGRESQL:
        SKIP = "taskmgr was configured without --with-postgresql"
        return
    bindir = pgcluster.pg_bindir()
    if bindir is None:
        SKIP = "PostgreSQL is not installed (Debian package postgresql-15)"
        return
    PRIMARY = pgcluster.Cluster(bindir, SCRATCH).start(fsync=True)
    PRIMARY.createdb(DB)
    # the standby: a base backup over the primary's unix socket (initdb's
    # pg_hba trusts local replication), -R: standby.signal and primary_conninfo;
    # --checkpoint=fast: the backup starts at once, not after a spread
    # checkpoint (about 90 s of waiting)
    STANDBY = pgcluster.Cluster(bindir, SCRATCH)
    STANDBY.data = os.path.join(STANDBY.dir, "data")
    STANDBY.log = os.path.join(STANDBY.dir, "postgres.log")
    p = subprocess.run([os.path.join(bindir, "pg_basebackup"), "-D", STANDBY.data,
                        "-h", PRIMARY.dir, "-U", "taskmgr", "-R", "-X", "stream",
                        "--checkpoint=fast", "--no-sync"],
                       capture_output=True, text=True, timeout=120, cwd=STANDBY.dir,
                       **STANDBY.as_user)
    assert p.returncode == 0, "pg_basebackup: %s%s" % (p.stdout, p.stderr)
    # cluster_name: the walreceiver's application_name, which the primary's
    # synchronous_standby_names names
    STANDBY.settings = ["-c", "listen_addresses=", "-c", "fsync=on",
                        "-c", "max_connections=20", "-c", "cluster_name=" + STANDBY_NAME]
    STANDBY.launch()
    PRIMARY.query("postgres", "ALTER SYSTEM SET synchronous_standby_names = '%s'"
                  % STANDBY_NAME)
    PRIMARY.query("postgres", "SELECT pg_reload_conf()")
    wait_for(lambda: PRIMARY.query(
        "postgres", "SELECT sync_state FROM pg_stat_replication WHERE application_name = '%s'"
        % STANDBY_NAME) == [("sync",)], "the standby streaming synchronously", 30)
    uri = "postgresql:///%s?host=%s,%s&user=taskmgr&target_session_attrs=read-write" % (
        DB, PRIMARY.dir, STANDBY.dir)
    RX = Receiver()
    S = Server(workers=2, config={"database": uri, "state_dir": scratch_dir("pgfailover-"),
                                  "worker_poll_ms": "50", "webhook_allow_http": "yes",
                                  "webhook_allow_hosts": "127.0.0.1"}).start()
    S.create_user("alice")


def teardown_module():
    if WORKER is not None:
        _terminate(WORKER[0].pid, WORKER[0])
    if S is not None:
        S.stop()
    if RX is not None:
        RX.stop()
    for c in (STANDBY, PRIMARY):
        if c is not None and c.proc is not None and c.proc.poll() is None:
            c.stop()


class Creator(threading.Thread):
    """Creates tasks one after another; acked: the ids answered 201."""

    def __init__(self, n, token, lst, stop):
        super().__init__(daemon=True)
        self.n, self.token, self.lst, self.stop = n, token, lst, stop
        self.acked = []
        self.statuses = []
        self.after = []     # the statuses of the requests sent after PROMOTED

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            late = PROMOTED is not None
            try:
                r = S.request("POST", "/api/lists/%d/tasks/" % self.lst,
                              {"name": "w%d-%d" % (self.n, i)}, token=self.token, timeout=10)
            except OSError:
                self.statuses.append(None)
                if late:
                    self.after.append(None)
                time.sleep(0.05)
                continue
            self.statuses.append(r.status)
            if late:
                self.after.append(r.status)
            if r.status == 201:
                self.acked.append(r.json["id"])
            else:
                time.sleep(0.05)


def test_failover_to_the_promoted_standby():
    global WORKER, PROMOTED
    if SKIP:
        raise Skip(SKIP)
    tok = S.login("alice")
    lst = S.post("/api/lists/", {"name": "failover"}, token=tok).json["id"]
    hook = S.post("/api/webhooks/", {"url": RX.url("/failover"), "events": ["task.created"]},
                  token=tok)
    eq(hook.status, 201, "webhook: %r" % hook)
    # a worker, the leader on the primary's advisory lock, delivers
    log = os.path.join(S.dir, "worker.log")
    wp = subprocess.Popen([S.taskmgr, "worker"], env=dict(S.env, TASKMGR_LOG_FILE=log),
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    WORKER = (wp, log)
    wait_for(lambda: LEADS in read(log), "the worker to lead", 15)
    responders = sorted(S.responder_pids())
    eq(len(responders), 2, "responders")

    stop = threading.Event()
    creators = [Creator(n, tok, lst, stop) for n in range(3)]
    for c in creators:
        c.start()
    try:
        wait_for(lambda: sum(len(c.acked) for c in creators) >= 30,
                 "writes acknowledged before the kill", 30)
        # the deliveries of those creations: sent before the failover
        PRIMARY.kill()
        # what was acknowledged at the kill: every answer read after it
        # was sent by a responder before or during it
        acked_at_kill = {i for c in creators for i in list(c.acked)}
        subprocess.run([os.path.join(PRIMARY.bin, "pg_ctl"), "promote", "-w", "-t", "30",
                        "-D", STANDBY.data], check=True, capture_output=True, timeout=40,
                       **STANDBY.as_user)
        eq(STANDBY.query("postgres", "SELECT pg_is_in_recovery()"), [("f",)], "promoted")
        PROMOTED = True
        # the same responders write again on the new primary: the requests
        # of the outage answer 500 (no host takes writes), every one sent
        # after the promotion 201, the first of each responder too (its
        # connection made again to the other host, the statement run again)
        # (counted from PROMOTED: writes may be acknowledged before
        # pg_ctl returns, once the promotion is done)
        wait_for(lambda: sum(c.after.count(201) for c in creators) >= 30,
                 "writes acknowledged after the promotion", 30)
    finally:
        stop.set()
        for c in creators:
            c.join(30)
    statuses = [s for c in creators for s in c.statuses]
    eq(sorted({str(s) for s in statuses if s is None or (s >= 300 and s not in (500, 503))}),
       [], "only the responders' own 500/503 during the failover")
    eq(sorted({str(s) for c in creators for s in c.after}), ["201"],
       "every request sent after the promotion")
    eq(sorted(S.responder_pids()), responders, "no responder restarted")
    # each responder found its connection lost and connected again, to the
    # other host of the URI (pgstmt.c logs it once)
    eq(read(S.log).count(RECONNECTED), len(responders), "each responder connected again")
    # every creation acknowledged before the kill is on the new primary
    on_new = {int(r[0]) for r in STANDBY.query(DB, "SELECT id FROM tasks")}
    eq(sorted(acked_at_kill - on_new), [], "acknowledged before the kill, lost")
    eq(sorted({i for c in creators for i in c.acked} - on_new), [],
       "acknowledged after the promotion, lost")
    # reads through the same responders
    r = S.get("/api/lists/%d/tasks/?limit=1" % lst, token=tok)
    eq(r.status, 200, "a read: %r" % r)

    # the worker lost the lead with its connection; it leads again on the
    # new primary and sends what is queued after the failover, once
    eq(wp.poll(), None, "the worker still runs")
    wait_for(lambda: read(log).count(LEADS) +
             read(log).count("took over as the leader") >= 2, "the worker to lead again", 30)
    # the leader's session lock, by its key: a writer's transaction lock
    # (pgstmt.h's PG_WRITE_LOCK, the worker's own writes) may be held too
    holder = STANDBY.query("postgres", "SELECT count(*) FROM pg_locks WHERE locktype = "
                           "'advisory' AND granted AND (classid::bigint << 32) | objid::bigint"
                           " = %d" % WORKER_LOCK)
    eq(holder, [("1",)], "the worker's advisory lock on the new primary")
    r = S.post("/api/lists/%d/tasks/" % lst, {"name": "after the failover"}, token=tok)
    eq(r.status, 201, "a creation after the failover: %r" % r)
    wait_for(lambda: any(
        b"after the failover" in b for b in RX.bodies("/failover")), "the delivery queued after the failover", 30)
    wait_for(lambda: STANDBY.query(
        DB, "SELECT count(*) FROM webhook_delivery_log WHERE status = 'pending'")
        == [("0",)], "nothing pending", 30)
    eq(sum(1 for b in RX.bodies("/failover") if b"after the failover" in b), 1,
       "that delivery sent once")
    print("# %d requests, %d acknowledged before the kill" % (len(statuses),
                                                               len(acked_at_kill)))


if __name__ == "__main__":
    run_tests(globals(), time_limit=120)
