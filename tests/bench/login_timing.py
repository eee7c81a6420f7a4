#!/usr/bin/env python3
"""Login timing: with the default argon2 cost, compares how long a refused
login takes for a known user with a wrong password, an unknown user and an
inactive user (LOGIN_ROUNDS each, interleaved).  A gap would let a client
tell which usernames exist.  Prints the medians and fails when one is more
than LOGIN_MAX_RATIO (default 2) times another.

A benchmark, not part of make check (the test suite makes no timing
assertions): run it with `make login-timing`.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
from harness import Server  # noqa: E402

ROUNDS = int(os.environ.get("LOGIN_ROUNDS", "15"))
MAX_RATIO = float(os.environ.get("LOGIN_MAX_RATIO", "2"))


def main():
    # the default argon2 cost, unlike the test suite's cheap one
    srv = Server(workers=1, config={"argon2_t_cost": "2", "argon2_m_cost_kib": "19456",
                                    "argon2_parallelism": "1"}).start()
    ok = True
    try:
        srv.create_user("known")
        srv.create_user("inactive")
        srv.cli("users", "--deactivate", "inactive")
        cases = {"known user, wrong password": "known",
                 "unknown user": "nobody-%d" % os.getpid(),
                 "inactive user": "inactive"}
        times = {k: [] for k in cases}
        srv.post("/api/auth/token/", {"username": "known", "password": "warm-up"})
        for _ in range(ROUNDS):
            for label, user in cases.items():
                t0 = time.perf_counter()
                r = srv.post("/api/auth/token/", {"username": user, "password": "wrong-password"})
                times[label].append(time.perf_counter() - t0)
                if r.status != 401:
                    print("login-timing: %s answered %d" % (label, r.status))
                    ok = False
        med = {k: statistics.median(v) for k, v in times.items()}
        for k, v in med.items():
            print("login-timing: %-28s median %.1f ms over %d" % (k, v * 1000, ROUNDS))
        ratio = max(med.values()) / min(med.values())
        print("login-timing: largest ratio %.2f (limit %.1f)" % (ratio, MAX_RATIO))
        if ratio > MAX_RATIO:
            ok = False
    finally:
        srv.stop()
    print("login-timing: %s" % ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
