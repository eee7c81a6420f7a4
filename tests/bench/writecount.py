#!/usr/bin/env python3
"""Instruction, page-write and system-call counts of the write cases (c) and
(d), for comparing two builds where a wall clock cannot be trusted (see
docs/PERFORMANCE.md).  Not part of make check or make bench.

    writecount.py --src TREE --build BUILDDIR [--tasks 50000] [--n 2000]
                  [--synchronous normal] [--wal | --strace] [--cache-sim]
                  [--sql SQL] [--webhook] [--out DIR]

Seeds a database the way bench.py does (the tree's own bench.seed, so an
older tree gets its own schema), starts one taskmgr.fcgi of BUILDDIR on a
unix socket under valgrind's callgrind (spawn-fcgi, no nginx: FastCGI from
tests/api/fcgi_client.py), logs in, warms up with 200 creates and 200
PATCHes, zeroes the counters, then sends N creates (case (c)'s body) and
dumps, N PATCHes (case (d)'s body, on the benchmark list's first N tasks,
each with the updated_at of its last answer) and dumps.  Prints each phase's
instructions per request, with the search index's catch-up apart (its cost
follows the wall clock: it runs every 250 ms), and leaves the callgrind
files in DIR for callgrind_annotate.

--wal: no valgrind; the WAL is emptied, a read transaction from another
connection keeps it from rewinding, and the WAL frames each commit appended
are printed.  --strace: no valgrind; strace -c counts each phase's system
calls.  --cache-sim: callgrind simulates the caches too.  --sql: SQL run on
the seeded database before the responder starts (experiments on a scratch
copy, e.g. a schema change).  --webhook: the benchmark user gets a webhook on
every event of the benchmark list (as BENCH_WEBHOOK's), its URL served by
nobody: no worker runs, so each write's deliveries just queue (a tree
without webhooks is measured as it is).

The counters are zeroed and dumped by callgrind_control, which valgrind
acts on when the responder next runs: one GET /api/health/ wakes it, and
lands in one phase or the other (tens of thousands of instructions against
hundreds of millions).  Needs valgrind, spawn-fcgi and (--strace) strace.
"""
import argparse
import collections
import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
from fcgi_client import fcgi_request  # noqa: E402

SPAWN_FCGI = shutil.which("spawn-fcgi") or "/usr/bin/spawn-fcgi"


def load_bench(src, build):
    """The tree's own bench.py (its seed() fits its schema)."""
    os.environ["TOP_SRCDIR"] = src
    os.environ["TOP_BUILDDIR"] = build
    sys.path.insert(0, os.path.join(src, "tests", "api"))
    spec = importlib.util.spec_from_file_location(
        "bench_" + str(abs(hash(src))), os.path.join(src, "tests", "bench", "bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Srv:
    def __init__(self, src, build, d):
        self.build = build
        self.dir = d
        self.db = os.path.join(d, "taskmgr.db")
        self.conf = os.path.join(d, "taskmgr.conf")
        self.sock = os.path.join(d, "fcgi.sock")
        cfg = {"database": self.db, "log_file": os.path.join(d, "taskmgr.log"),
               "templates_dir": os.path.join(src, "templates"),
               "argon2_t_cost": "1", "argon2_m_cost_kib": "1024",
               "argon2_parallelism": "1", "access_token_ttl": "86400",
               "throttle_anon": "off", "throttle_user": "off",
               "throttle_login": "off", "log_level": "warn"}
        with open(self.conf, "w") as f:
            for k, v in cfg.items():
                f.write("%s = %s\n" % (k, v))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TASKMGR_")}
        self.env["TASKMGR_CONFIG"] = self.conf

    def cli(self, *args, input=None, check=False):
        p = subprocess.run([os.path.join(self.build, "taskmgr")] + list(args),
                           input=input, env=self.env, capture_output=True,
                           text=True, timeout=300)
        if check and p.returncode:
            raise SystemExit("taskmgr %s: %s%s" % (args, p.stdout, p.stderr))
        return p


def call(sock, method, path, body=None, token=None):
    params = [("REQUEST_METHOD", method), ("REQUEST_URI", path),
              ("SCRIPT_NAME", path.split("?")[0]), ("DOCUMENT_URI", path.split("?")[0]),
              ("QUERY_STRING", path.partition("?")[2]),
              ("SERVER_PROTOCOL", "HTTP/1.1"), ("REMOTE_ADDR", "127.0.0.1"),
              ("REMOTE_PORT", "40000"), ("SERVER_ADDR", "127.0.0.1"),
              ("SERVER_PORT", "80"), ("SERVER_NAME", "localhost"),
              ("HTTP_HOST", "localhost"), ("GATEWAY_INTERFACE", "CGI/1.1")]
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        params += [("CONTENT_TYPE", "application/json"),
                   ("CONTENT_LENGTH", str(len(data)))]
    if token:
        params.append(("HTTP_AUTHORIZATION", "Bearer " + token))
    status, out = fcgi_request(sock, params, data, timeout=120)
    text = out.partition(b"\r\n\r\n")[2]
    return status, (json.loads(text) if text.startswith((b"{", b"[")) else text)


def wait_up(sock, limit=60):
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            st, _ = call(sock, "GET", "/api/health/")
            if st in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("responder did not come up")


def ctl(pid, sock, opt):
    """callgrind_control -z / -d, woken by one health request."""
    p = subprocess.Popen(["callgrind_control", opt, str(pid)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    call(sock, "GET", "/api/health/")
    p.wait(timeout=60)


def creates(sock, token, lid, n, tag):
    for i in range(n):
        st, _ = call(sock, "POST", "/api/lists/%d/tasks/" % lid,
                     {"name": "bench %s-%d" % (tag, i),
                      "description": "created by the benchmark"}, token)
        assert st == 201, st


def patches(sock, token, pool, at, n, tag):
    for i in range(n):
        tid = pool[i % len(pool)]
        st, r = call(sock, "PATCH", "/api/tasks/%d/" % tid,
                     {"description": "edit %s-%d" % (tag, i), "updated_at": at[tid]}, token)
        assert st == 200, (st, r)
        at[tid] = r["updated_at"]


def reads(sock, token, path, n):
    for i in range(n):
        st, _ = call(sock, "GET", path, None, token)
        assert st == 200, (st, path)


def read_callgrind(path):
    """(total Ir, {function: inclusive Ir of its calls}, {function: calls})
    from a callgrind file (name compression and relative positions)."""
    names, total = {}, 0
    incl, calls = collections.Counter(), collections.Counter()
    cfn, after = None, False

    def name(text):
        m = re.match(r"\((\d+)\)(?: (.*))?", text)
        if not m:
            return text
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), text)

    with open(path) as f:
        for line in f:
            if line.startswith("fn="):
                name(line[3:].strip())
            elif line.startswith("cfn="):
                cfn = name(line[4:].strip())
            elif line.startswith("calls="):
                calls[cfn] += int(line[6:].split()[0])
                after = True
            elif line[:1] in "0123456789+-*":
                cost = int(line.split()[1]) if len(line.split()) > 1 else 0
                if after:
                    incl[cfn] += cost
                else:
                    total += cost
                after = False
    return total, incl, calls


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--tasks", type=int, default=50000)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--synchronous", default="normal")
    ap.add_argument("--wal", action="store_true")
    ap.add_argument("--strace", action="store_true",
                    help="no valgrind: count each phase's system calls (strace -c)")
    ap.add_argument("--cache-sim", action="store_true",
                    help="callgrind simulates the caches too (misses per request)")
    ap.add_argument("--sql", default=None,
                    help="SQL run on the seeded database first (experiments)")
    ap.add_argument("--webhook", action="store_true",
                    help="the benchmark user has a webhook on every event of the "
                         "benchmark list (deliveries queue: no worker runs)")
    ap.add_argument("--out", default=None, help="folder kept for the callgrind files")
    ap.add_argument("--reads", action="store_true",
                    help="also count the read cases (a) and (b), and (b) read by an "
                         "editor of the list when the tree has list members")
    a = ap.parse_args()
    src, build = os.path.abspath(a.src), os.path.abspath(a.build)
    bench = load_bench(src, build)
    d = a.out or tempfile.mkdtemp(prefix="writecount-")
    os.makedirs(d, exist_ok=True)
    srv = Srv(src, build, d)
    srv.cli("migrate", check=True)
    info = bench.seed(srv, a.tasks)
    db = sqlite3.connect(srv.db)
    if a.sql:
        db.executescript(a.sql)
    if a.webhook and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'webhooks'"
                                ).fetchone():
        # the row POST /api/webhooks/ writes (every event: HOOK_ALL)
        db.execute("INSERT INTO webhooks (owner_id, url, events, list_id, secret,"
                   " created_at, updated_at) SELECT owner_id, 'http://127.0.0.1:9/hook',"
                   " 511, id, 'whsec_writecount', 0, 0 FROM lists WHERE id = ?",
                   (info["list_id"],))
        db.commit()
    elif a.webhook:
        print("--webhook: this tree has no webhooks; measured without")
    pool = [r[0] for r in db.execute(
        "SELECT id FROM tasks WHERE list_id = ? ORDER BY id LIMIT ?",
        (info["list_id"], a.n))]
    at = {}
    for tid, us in db.execute("SELECT id, updated_at FROM tasks WHERE id IN (%s)"
                              % ",".join(map(str, pool))):
        at[tid] = bench.rfc3339(us)
    editor = None
    if a.reads and db.execute("SELECT 1 FROM sqlite_master WHERE name = 'list_members'"
                              ).fetchone():
        # an editor of the benchmark list, with the bench user's password
        db.close()
        srv.cli("createsuperuser", "--username", "editor", "--password-stdin",
                input=bench.BENCH_PASSWORD + "\n", check=True)
        db = sqlite3.connect(srv.db)
        editor = db.execute("SELECT id FROM users WHERE username = 'editor'").fetchone()[0]
        db.execute("UPDATE users SET is_staff = 0, is_superuser = 0 WHERE id = ?", (editor,))
        db.execute("INSERT INTO list_members (list_id, user_id, role, added_at)"
                   " VALUES (?, ?, 'editor', 0)", (info["list_id"], editor))
        db.commit()
    db.close()

    env = dict(srv.env)
    if a.synchronous:
        env["TASKMGR_SYNCHRONOUS"] = a.synchronous
    prog = [os.path.join(build, "taskmgr.fcgi")]
    if not (a.wal or a.strace):
        prog = [shutil.which("valgrind") or "/usr/bin/valgrind", "--tool=callgrind", "--quiet",
                "--cache-sim=" + ("yes" if a.cache_sim else "no"),
                "--callgrind-out-file=" + os.path.join(d, "callgrind.out.%p")] + prog
    pidfile = os.path.join(d, "fcgi.pid")
    subprocess.run([SPAWN_FCGI, "-s", srv.sock, "-M", "0600", "-F", "1",
                    "-P", pidfile, "--"] + prog, env=env, check=True,
                   capture_output=True, timeout=30)
    pid = int(open(pidfile).read().split()[0])
    try:
        wait_up(srv.sock, 120)
        st, r = call(srv.sock, "POST", "/api/auth/token/",
                     {"username": bench.BENCH_USER, "password": bench.BENCH_PASSWORD})
        assert st == 200, (st, r)
        token = r["access"]
        creates(srv.sock, token, info["list_id"], 200, "warm")
        patches(srv.sock, token, pool, at, 200, "warm")
        if a.wal:
            wal = srv.db + "-wal"
            # the WAL emptied first (a restarted WAL keeps its size and
            # is written over from the start), then held from rewinding
            reader = sqlite3.connect(srv.db, isolation_level=None)
            page = reader.execute("PRAGMA page_size").fetchone()[0]
            busy, _, _ = reader.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0 and os.path.getsize(wal) == 0, "WAL not emptied"
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM users").fetchone()
            s0 = 32                     # the WAL's header
            creates(srv.sock, token, info["list_id"], a.n, "run")
            s1 = os.path.getsize(wal)
            patches(srv.sock, token, pool, at, a.n, "run")
            s2 = os.path.getsize(wal)
            reader.execute("COMMIT")
            reader.close()
            fr = page + 24
            print(json.dumps({"page_size": page,
                              "create_frames_per_commit": (s1 - s0) / fr / a.n,
                              "patch_frames_per_commit": (s2 - s1) / fr / a.n}))
            return
        if a.strace:
            for name, phase in (("create", lambda: creates(srv.sock, token, info["list_id"],
                                                           a.n, "run")),
                                ("patch", lambda: patches(srv.sock, token, pool, at,
                                                          a.n, "run"))):
                out = os.path.join(d, "strace." + name)
                st = subprocess.Popen(["strace", "-c", "-p", str(pid), "-o", out],
                                      stderr=subprocess.DEVNULL)
                time.sleep(1)
                phase()
                st.send_signal(2)
                st.wait(timeout=30)
                print("== %s (%d requests)\n%s" % (name, a.n, open(out).read()))
            return
        ctl(pid, srv.sock, "-z")
        t0 = time.time()
        creates(srv.sock, token, info["list_id"], a.n, "run")
        ctl(pid, srv.sock, "-d")
        patches(srv.sock, token, pool, at, a.n, "run")
        ctl(pid, srv.sock, "-d")
        if a.reads:
            pa = "/api/tasks/?limit=20"
            pb = "/api/lists/%d/tasks/?limit=20&offset=5000" % info["list_id"]
            reads(srv.sock, token, pa, 50)
            reads(srv.sock, token, pb, 50)
            ctl(pid, srv.sock, "-z")
            reads(srv.sock, token, pa, a.n)
            ctl(pid, srv.sock, "-d")
            reads(srv.sock, token, pb, a.n)
            ctl(pid, srv.sock, "-d")
            if editor is not None:
                st, r = call(srv.sock, "POST", "/api/auth/token/",
                             {"username": "editor", "password": bench.BENCH_PASSWORD})
                assert st == 200, (st, r)
                reads(srv.sock, r["access"], pb, 50)
                ctl(pid, srv.sock, "-z")
                reads(srv.sock, r["access"], pb, a.n)
                ctl(pid, srv.sock, "-d")
        print("phases done in %.0fs; callgrind files in %s" % (time.time() - t0, d))
    finally:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    phases = [(1, "create (c)"), (2, "PATCH (d)")]
    if a.reads:
        phases += [(3, "GET (a)"), (4, "GET (b)")]
        if editor is not None:
            phases.append((5, "(b) editor"))
    for phase, what in phases:
        path = os.path.join(d, "callgrind.out.%d.%d" % (pid, phase))
        total, incl, calls = read_callgrind(path)
        search = incl["task_search_housekeep"]
        print("%-11s %8.0f instructions/request, of which search catch-up %6.0f "
              "(%d runs): %8.0f without it; sqlite3_step %.2f/request  [%s]"
              % (what, total / a.n, search / a.n, calls["task_search_catch_up"],
                 (total - search) / a.n, calls["sqlite3_step"] / a.n, path))

if __name__ == "__main__":
    main()
