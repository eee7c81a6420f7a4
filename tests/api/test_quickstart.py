#!/usr/bin/env python3
"""./quickstart.sh run: serves with the worker, an anonymous rate limit the
API tour stays under, keeps an existing trial config's values, and Ctrl-C
stops every process it started."""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP_BUILDDIR, TOP_SRCDIR, eq, free_port, run_tests, scratch_dir  # noqa: E402

QUICKSTART = os.path.join(TOP_SRCDIR, "quickstart.sh")
PAST = "2020-01-01T00:00:00Z"


class Trial:
    """./quickstart.sh run in the background, its state in a scratch folder,
    built in this build's folder (where make has nothing left to do)."""

    def __init__(self, state):
        self.state = state
        self.port = free_port()
        self.out = os.path.join(state, "quickstart.out")
        self.proc = None
        self.pids = set()

    def start(self):
        env = dict(os.environ)
        for k in list(env):
            if k in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "CONFIGURE_FLAGS", "NGINX") or \
                    k.startswith("TASKMGR_"):
                del env[k]
        env.update(SKIP_APT="1", PORT=str(self.port), STATE_DIR=self.state,
                   BUILD_DIR=TOP_BUILDDIR, WORKERS="1",
                   # a sweep a second instead of a minute
                   TASKMGR_OVERDUE_SWEEP_INTERVAL="1")
        with open(self.out, "ab") as out:
            self.proc = subprocess.Popen(["sh", QUICKSTART, "run"], env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.pids.add(self.proc.pid)
        deadline = time.time() + 300    # make may find something to rebuild
        while True:
            assert self.proc.poll() is None, "quickstart.sh exited: " + self.output()
            try:
                if self.request("GET", "/api/health/")[0] == 200 and \
                        os.path.exists(self.pidfile("worker.pid")):
                    break
            except OSError:
                pass
            assert time.time() < deadline, "not serving: " + self.output()
            time.sleep(0.1)
        self.collect_pids()
        return self

    def pidfile(self, name):
        return os.path.join(self.state, name)

    def collect_pids(self):
        """The processes the script runs now: those of its session, and those
        its pid files name (spawn-fcgi's responders leave the session)."""
        for name in ("nginx.pid", "fcgi.pid", "worker.pid"):
            with open(self.pidfile(name)) as f:
                self.pids.update(int(x) for x in f.read().split())
        for entry in os.listdir("/proc"):
            if entry.isdigit() and session_of(int(entry)) == self.proc.pid:
                self.pids.add(int(entry))

    def output(self):
        with open(self.out, errors="replace") as f:
            return f.read()

    def request(self, method, path, body=None, token=None):
        h = {}
        if body is not None:
            h["Content-Type"] = "application/json"
        if token:
            h["Authorization"] = "Bearer " + token
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers=h)
            r = conn.getresponse()
            data = r.read()
            return r.status, json.loads(data) if data else None
        finally:
            conn.close()

    def ctrl_c(self):
        """SIGINT to the script; it stops what it started and exits."""
        os.kill(self.proc.pid, signal.SIGINT)
        eq(self.proc.wait(60), 130, "exit status after SIGINT")
        deadline = time.time() + 10
        while time.time() < deadline and any(alive(p) for p in self.pids):
            time.sleep(0.05)
        eq(sorted(p for p in self.pids if alive(p)), [], "processes left running")

    def kill_left(self):
        """After a failure: whatever is left, by PID."""
        if self.proc is not None and self.proc.poll() is None:
            self.collect_pids_quietly()
        for p in self.pids:
            if alive(p):
                os.kill(p, signal.SIGKILL)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.wait(10)

    def collect_pids_quietly(self):
        try:
            self.collect_pids()
        except OSError:
            pass


def session_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def alive(pid):
    """Running: a zombie left to init counts as gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def admin_password(trial):
    m = re.search(r"username admin  password (\S+)", trial.output())
    assert m, "no admin password printed: " + trial.output()
    return m.group(1)


def no_anonymous_429(trial, n=20):
    """n anonymous requests that count against throttle_anon (a refresh
    with a bad token each) get no 429."""
    got = [trial.request("POST", "/api/auth/token/refresh/", {"refresh": "not-a-token"})[0]
           for _ in range(n)]
    eq(sorted(set(got)), [401], "answers to %d anonymous requests" % n)


def config_lines(trial):
    with open(os.path.join(trial.state, "taskmgr.conf")) as f:
        return f.read().splitlines()


def test_run_serves_with_the_worker_and_ctrl_c_stops_everything():
    trial = Trial(scratch_dir("quickstart-"))
    try:
        trial.start()
        with open(trial.pidfile("worker.pid")) as f:
            worker = int(f.read())
        with open("/proc/%d/cmdline" % worker, "rb") as f:
            eq(f.read().split(b"\0")[1:3], [b"worker", b""], "the worker's command line")
        # a task past its deadline becomes Overdue: the worker's sweep
        st, tok = trial.request("POST", "/api/auth/token/",
                                {"username": "admin", "password": admin_password(trial)})
        eq(st, 200, "admin login")
        tok = tok["access"]
        st, lst = trial.request("POST", "/api/lists/", {"name": "Trial"}, token=tok)
        eq(st, 201, "list")
        st, task = trial.request("POST", "/api/lists/%d/tasks/" % lst["id"],
                                 {"name": "Late", "complete_before": PAST}, token=tok)
        eq(st, 201, "task")
        deadline = time.time() + 30
        while trial.request("GET", "/api/tasks/%d/" % task["id"], token=tok)[1]["status"] \
                != "Overdue" and time.time() < deadline:
            time.sleep(0.1)
        eq(trial.request("GET", "/api/tasks/%d/" % task["id"], token=tok)[1]["status"],
           "Overdue", "status after the worker's sweep")
        no_anonymous_429(trial)
        lines = config_lines(trial)
        i = lines.index("throttle_anon = 100/minute")
        assert lines[i - 1].startswith("# the API tour: 3 anonymous requests a run"), lines
        trial.ctrl_c()
        assert trial.output().rstrip().endswith("==> stopped"), trial.output()
        assert not os.path.exists(trial.pidfile("worker.pid"))
    finally:
        trial.kill_left()


def test_run_keeps_an_existing_config_and_adds_throttle_anon():
    state = scratch_dir("quickstart-")
    conf = os.path.join(state, "taskmgr.conf")
    old = ["# written by quickstart.sh for a local trial run",
           "database = %s/taskmgr.db" % state,
           "templates_dir = %s/templates" % TOP_SRCDIR,
           "log_file = %s/taskmgr.log" % state,
           "telegram_bot_secret = kept-secret-0123456789abcdef0123456789",
           "throttle_login = 20/minute"]
    with open(conf, "w") as f:
        f.write("\n".join(old))             # and no newline at the end
    trial = Trial(state)
    try:
        trial.start()
        no_anonymous_429(trial)
        lines = config_lines(trial)
        eq(lines[:len(old)], old, "the existing lines")
        eq(lines[-1], "throttle_anon = 100/minute", "the key added")
        assert "added to %s: throttle_anon = 100/minute" % conf in trial.output()
        trial.ctrl_c()
    finally:
        trial.kill_left()
    # a value set in the file is never changed
    with open(conf, "w") as f:
        f.write("\n".join(old + ["throttle_anon = 30/minute"]) + "\n")
    trial = Trial(state)
    try:
        trial.start()
        eq([x for x in config_lines(trial) if x.startswith("throttle_anon")],
           ["throttle_anon = 30/minute"], "throttle_anon kept")
        assert "the admin user exists already" in trial.output()
        trial.ctrl_c()
    finally:
        trial.kill_left()


if __name__ == "__main__":
    run_tests(globals())
