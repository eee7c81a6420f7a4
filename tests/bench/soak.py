#!/usr/bin/env python3
"""Soak: SOAK_REQUESTS (default 100000) mixed API requests through nginx to two
responders, over keep-alive connections from SOAK_CLIENTS threads.  Prints
each responder's RSS after a warm-up and at every tenth of the run, and fails
when a responder's RSS grew by more than SOAK_MAX_GROWTH_KIB (default 4096)
after the warm-up, or when any request answered a 5xx.

Run with `make soak` (or `make soak SOAK_REQUESTS=5000` for a short one).
"""
import http.client
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from harness import Server, RESPONDER  # noqa: E402

TOTAL = int(os.environ.get("SOAK_REQUESTS", "100000"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "4"))
MAX_GROWTH = int(os.environ.get("SOAK_MAX_GROWTH_KIB", "4096"))
WARMUP = min(5000, max(TOTAL // 10, 500))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


class Client(threading.Thread):
    """Runs a fixed mix of requests on one keep-alive connection."""

    def __init__(self, srv, n, token, count, counter):
        super().__init__()
        self.srv, self.n, self.token, self.count = srv, n, token, count
        self.counter = counter
        self.statuses = {}
        self.conn = None
        self.lid = None

    def call(self, method, path, body=None):
        h = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.srv.host, self.srv.port, timeout=30)
            try:
                self.conn.request(method, path, body=data, headers=h)
                r = self.conn.getresponse()
                raw = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
        with self.counter["lock"]:
            self.counter["n"] += 1
        return r.status, (json.loads(raw) if raw else None)

    def run(self):
        st, j = self.call("POST", "/api/lists/", {"name": "soak %d" % self.n})
        self.lid = j["id"]
        st, task = self.call("POST", "/api/lists/%d/tasks/" % self.lid, {"name": "keep"})
        stamp = task["updated_at"]
        i = 0
        while i < self.count:
            k = i % 10
            i += 1
            if k == 0:
                st, j = self.call("POST", "/api/lists/%d/tasks/" % self.lid,
                                  {"name": "t%d" % i, "description": "x" * (i % 500)})
                if st == 201:
                    self.call("DELETE", "/api/tasks/%d/" % j["id"])
                    i += 1
            elif k == 1:
                st, j = self.call("PATCH", "/api/tasks/%d/" % task["id"],
                                  {"description": "d%d" % i, "updated_at": stamp})
                if st == 200:
                    stamp = j["updated_at"]
            elif k == 2:
                self.call("GET", "/api/lists/%d/tasks/?limit=50&search=t" % self.lid)
            elif k == 3:
                self.call("GET", "/api/lists/?limit=5&offset=0")
            elif k == 4:
                self.call("GET", "/api/tasks/%d/" % task["id"])
            elif k == 5:
                self.call("GET", "/api/auth/me/")
            elif k == 6:
                self.call("GET", "/api/nothing/")                       # 404
            elif k == 7:
                self.call("POST", "/api/lists/", {"name": ""})          # 400
            elif k == 8:
                self.call("GET", "/api/health/")
            else:
                self.call("PATCH", "/api/tasks/%d/" % task["id"],
                          {"description": "stale", "updated_at": "2000-01-01T00:00:00Z"})  # 409
        if self.conn is not None:
            self.conn.close()


def sanitizer_build():
    """True when the responder is built with AddressSanitizer: its quarantine
    keeps freed memory for a while, so RSS grows without any leak."""
    with open(RESPONDER, "rb") as f:
        return b"__asan_init" in f.read()


def main():
    asan = sanitizer_build()
    if asan:
        print("soak: sanitizer build: RSS is not judged (ASan's quarantine holds "
              "freed memory); LeakSanitizer judges leaks when the responders exit")
    srv = Server(workers=2, config={"access_token_ttl": "86400"}).start()
    ok = True
    try:
        srv.create_user("soak")
        token = srv.login("soak")
        pids = sorted(srv.responder_pids())
        start = {p: rss_kib(p) for p in pids}
        counter = {"lock": threading.Lock(), "n": 0}
        per = TOTAL // CLIENTS
        clients = [Client(srv, n, token, per, counter) for n in range(CLIENTS)]
        t0 = time.time()
        for c in clients:
            c.start()
        samples = []
        warm = None
        next_mark = WARMUP
        while any(c.is_alive() for c in clients):
            time.sleep(0.2)
            n = counter["n"]
            if n >= next_mark:
                rss = {p: rss_kib(p) for p in pids}
                if warm is None:
                    warm = rss
                samples.append((n, rss))
                print("soak: %7d requests  RSS KiB %s" % (n, "  ".join(
                    "%d:%d" % (p, rss[p]) for p in pids)), flush=True)
                next_mark = n + TOTAL // 10
        for c in clients:
            c.join()
        elapsed = time.time() - t0
        end = {p: rss_kib(p) for p in pids}
        if warm is None:
            warm = start
        statuses = {}
        for c in clients:
            for s, k in c.statuses.items():
                statuses[s] = statuses.get(s, 0) + k
        total = sum(statuses.values())
        print("soak: %d requests in %.1fs (%.0f/s), statuses %s" % (
            total, elapsed, total / elapsed, dict(sorted(statuses.items()))))
        for p in pids:
            growth = end[p] - warm[p]
            print("soak: responder %d RSS KiB: start %d, after warm-up %d, end %d "
                  "(growth after warm-up %+d)" % (p, start[p], warm[p], end[p], growth))
            if growth > MAX_GROWTH and not asan:
                print("soak: FAIL: responder %d grew by %d KiB (limit %d)" % (
                    p, growth, MAX_GROWTH))
                ok = False
        if sorted(srv.responder_pids()) != pids:
            print("soak: FAIL: responders changed: %r -> %r" % (pids, srv.responder_pids()))
            ok = False
        bad = {s: k for s, k in statuses.items() if s >= 500}
        if bad:
            print("soak: FAIL: 5xx answers: %r" % bad)
            ok = False
    finally:
        srv.stop()
    rep = srv.sanitizer_report()
    if rep:
        print(rep)
        ok = False
    print("soak: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
