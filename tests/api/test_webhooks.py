"""Webhooks (issue 19): the API of /api/webhooks/, deliveries queued with each
change and sent by the real worker to local receivers (loopback HTTP servers
allowed by webhook_allow_hosts) that verify every signature with the README's
own code; retries under the fake clock, a worker killed mid-delivery, disabling
after failures, addresses refused after DNS, redirects, ping, redeliver, the
delivery log, and what a webhook may see."""
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, TOP_SRCDIR, eq, run_tests  # noqa: E402

ALL = ["task.created", "task.updated", "task.completed", "task.deleted", "task.reminder",
       "list.created", "list.updated", "list.deleted", "comment.created"]
TOK = {}
CLOCK = [0.0]          # the fake clock's offset, seconds


def readme_verify():
    """The signature check of README.md's "Webhooks" section, run as it is written."""
    with open(os.path.join(TOP_SRCDIR, "README.md")) as f:
        readme = f.read()
    sec = readme[readme.index("\n### Webhooks\n"):]
    code = re.search(r"```python\n(.*?)```", sec, re.S).group(1)
    ns = {}
    exec(compile(code, "README.md (Webhooks)", "exec"), ns)
    return ns["verify"]


VERIFY = readme_verify()


class Receiver:
    """A loopback HTTP server recording every request; each path answers as
    modes[path] says: a list of statuses (one per request, the last repeats),
    "hang" (no answer until released), or ("redirect", location)."""

    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.got = []
        self.modes = {}
        self.secrets = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                secret = rx.secrets.get(self.path)
                ok = secret is not None and VERIFY(
                    secret, body, self.headers.get("X-Taskmgr-Signature", ""),
                    now=time.time() + CLOCK[0])
                with rx.lock:
                    rx.got.append({"path": self.path, "headers": dict(self.headers),
                                   "body": body, "verified": ok})
                    mode = rx.modes.get(self.path, [200])
                    if isinstance(mode, list):
                        status = mode[0]
                        if len(mode) > 1:
                            rx.modes[self.path] = mode[1:]
                if mode == "hang":
                    rx.release.wait(20)
                    return
                if isinstance(mode, tuple):
                    self.send_response(302)
                    self.send_header("Location", mode[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                out = b"x" * 10000          # more than the worker reads
                self.send_response(status)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        cls = http.server.ThreadingHTTPServer
        if ":" in host:
            cls = type("V6", (http.server.ThreadingHTTPServer,),
                       {"address_family": socket.AF_INET6})
        self.srv = cls((host, 0), Handler)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        h = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d%s" % (h, self.port, path)

    def requests(self, path):
        with self.lock:
            return [g for g in self.got if g["path"] == path]

    def bodies(self, path):
        return [json.loads(g["body"]) for g in self.requests(path)]

    def stop(self):
        self.release.set()
        self.srv.shutdown()
        self.srv.server_close()


def setup_module():
    global S, RX
    RX = Receiver()
    S = Server(workers=2, fake_clock=True, config={
        "webhook_allow_http": "yes",
        "webhook_allow_hosts": "127.0.0.1",
        "webhook_timeout": "1",
        "webhook_disable_after": "3",
        # one retry an hour at most: the fake clock skips it
        "telegram_retry_base_ms": "600000",
        "telegram_retry_max": "3600",
        "access_token_ttl": "31536000",
    }).start()
    for u in ("alice", "bob", "carol"):
        S.create_user(u)
        TOK[u] = S.login(u)


def teardown_module():
    S.stop()
    RX.stop()


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user] if user else None)


def advance(seconds):
    CLOCK[0] += seconds
    S.set_clock(CLOCK[0])


def worker_once(limit=60):
    p = subprocess.run([S.taskmgr, "worker", "--once"], env=S.env, capture_output=True,
                       text=True, timeout=limit)
    assert p.returncode in (0, 3), p.stderr
    return p


def new_hook(user, path, events=ALL, url=None, **extra):
    body = {"url": url or RX.url(path), "events": events}
    body.update(extra)
    r = req("POST", "/api/webhooks/", body, user=user)
    eq(r.status, 201, "webhook create: %s" % r.body)
    RX.secrets[path] = r.json["secret"]
    return r.json


def deliveries(hook, user="alice"):
    r = req("GET", "/api/webhooks/%d/deliveries/" % hook["id"], user=user)
    eq(r.status, 200, "deliveries")
    return r.json["results"]


def drop(hook, user="alice"):
    eq(req("DELETE", "/api/webhooks/%d/" % hook["id"], user=user).status, 204, "delete")


def new_list(name, user="alice"):
    r = req("POST", "/api/lists/", {"name": name}, user=user)
    eq(r.status, 201, "list")
    return r.json


def new_task(lst, name, user="alice", **extra):
    body = {"name": name}
    body.update(extra)
    r = req("POST", "/api/lists/%d/tasks/" % lst["id"], body, user=user)
    eq(r.status, 201, "task: %s" % r.body)
    return r.json


def patch_task(t, user="alice", **fields):
    cur = req("GET", "/api/tasks/%d/" % t["id"], user=user).json
    fields["updated_at"] = cur["updated_at"]
    r = req("PATCH", "/api/tasks/%d/" % t["id"], fields, user=user)
    eq(r.status, 200, "patch: %s" % r.body)
    return r.json


def user_id(name):
    r = req("GET", "/api/users/?search=" + name)
    return [u["id"] for u in r.json["results"] if u["username"] == name][0]


# -- the API ----------------------------------------------------------------------
def test_create_validation_and_secret_once():
    r = req("POST", "/api/webhooks/", {})
    eq((r.status, r.json), (400, {"url": ["This field is required."],
                                  "events": ["This field is required."]}), "required")
    r = req("POST", "/api/webhooks/", {"url": "ftp://127.0.0.1/x", "events": []})
    eq((r.status, sorted(r.json)), (400, ["events", "url"]), "bad scheme, no events")
    eq(r.json["events"], ["This selection may not be empty."], "empty events")
    r = req("POST", "/api/webhooks/", {"url": "not a url", "events": ["task.moved"]})
    eq(r.json, {"url": ["Enter a valid URL."],
                "events": ["\"task.moved\" is not a valid choice."]}, "bad url, event")
    r = req("POST", "/api/webhooks/", {"url": RX.url("/v"), "events": "task.created"})
    eq(r.json, {"events": ["Expected a list of items but got type \"str\"."]}, "not a list")
    bobs = new_list("bob's own", user="bob")
    r = req("POST", "/api/webhooks/", {"url": RX.url("/v"), "events": ["ping"]})
    eq(r.status, 400, "ping is not subscribable")
    r = req("POST", "/api/webhooks/", {"url": RX.url("/v"), "events": ["task.created"],
                                       "list_id": bobs["id"]})
    eq((r.status, r.json), (400, {"list_id": ["Invalid pk \"%d\" - object does not exist."
                                              % bobs["id"]]}), "another user's list")
    r = req("POST", "/api/webhooks/", {"url": RX.url("/v"), "events": ["task.created"],
                                       "list_id": 0})
    eq(r.json, {"list_id": ["Invalid pk \"0\" - object does not exist."]}, "list 0")
    mine = new_list("alice's scoped")
    h = new_hook("alice", "/v", events=["task.created"], list_id=mine["id"])
    eq(h["list_id"], mine["id"], "scoped to a list")
    drop(h)
    h = new_hook("alice", "/v", events=["task.updated", "task.created"])
    eq(sorted(h), sorted(["id", "url", "events", "list_id", "is_active", "created_at",
                          "updated_at", "failure_count", "last_delivery", "secret"]), "keys")
    eq((h["events"], h["list_id"], h["is_active"], h["failure_count"], h["last_delivery"]),
       (["task.created", "task.updated"], None, True, 0, None), "the new webhook")
    assert h["secret"].startswith("whsec_") and len(h["secret"]) > 40, h["secret"]
    g = req("GET", "/api/webhooks/%d/" % h["id"]).json
    assert "secret" not in g, g
    assert g["id"] in [x["id"] for x in req("GET", "/api/webhooks/").json["results"]]
    eq(req("GET", "/api/webhooks/%d/" % h["id"], user="bob").status, 404, "bob: 404")
    eq(req("GET", "/api/webhooks/", user="bob").json["count"], 0, "bob has none")
    # PATCH: optimistic lock, fields optional
    r = req("PATCH", "/api/webhooks/%d/" % h["id"], {"is_active": False})
    eq(r.status, 409, "PATCH without updated_at")
    r = req("PATCH", "/api/webhooks/%d/" % h["id"],
            {"is_active": False, "events": ["list.created"], "updated_at": g["updated_at"]})
    eq((r.status, r.json["is_active"], r.json["events"]), (200, False, ["list.created"]),
       "PATCH")
    r = req("PATCH", "/api/webhooks/%d/" % h["id"],
            {"is_active": True, "updated_at": g["updated_at"]})
    eq(r.status, 409, "stale updated_at")
    eq(req("DELETE", "/api/webhooks/%d/" % h["id"], user="bob").status, 404, "bob deletes")
    drop(h)
    eq(req("GET", "/api/webhooks/%d/" % h["id"]).status, 404, "deleted")


def test_at_most_20_webhooks():
    made = [new_hook("carol", "/many%d" % i, events=["list.created"]) for i in range(20)]
    r = req("POST", "/api/webhooks/", {"url": RX.url("/many"), "events": ["task.created"]},
            user="carol")
    eq((r.status, r.json), (400, {"non_field_errors": ["A user can have at most 20 webhooks."]}),
       "the 21st")
    for h in made:
        drop(h, user="carol")


def test_https_only_without_allow_http():
    with Server(workers=1) as srv:
        srv.create_user("erin")
        tok = srv.login("erin")
        r = srv.request("POST", "/api/webhooks/", {"url": "http://example.com/h",
                                                   "events": ["task.created"]}, token=tok)
        eq((r.status, r.json), (400, {"url": ["The URL must use https."]}), "http refused")
        r = srv.request("POST", "/api/webhooks/", {"url": "https://example.com/h",
                                                   "events": ["task.created"]}, token=tok)
        eq(r.status, 201, "https accepted")


# -- deliveries ---------------------------------------------------------------------
def test_each_event_arrives_once_in_order_signed():
    h = new_hook("alice", "/all")
    bob = user_id("bob")
    lst = new_list("Events")
    r = req("PATCH", "/api/lists/%d/" % lst["id"], {"name": "Events 2",
                                                     "updated_at": lst["updated_at"]})
    eq(r.status, 200, "list rename")
    t = new_task(lst, "First")
    created = req("GET", "/api/tasks/%d/" % t["id"]).json
    r = req("POST", "/api/tasks/%d/comments/" % t["id"], {"text": "a first word"})
    eq(r.status, 201, "comment")
    comment = r.json
    patch_task(t, assigned_to=bob)                      # In Progress
    eq(req("POST", "/api/tasks/%d/complete/" % t["id"]).status, 200, "complete")
    patch_task(t, description="after")
    last = req("GET", "/api/tasks/%d/" % t["id"]).json
    eq(req("DELETE", "/api/tasks/%d/" % t["id"]).status, 204, "task delete")
    eq(req("DELETE", "/api/lists/%d/" % lst["id"]).status, 204, "list delete")
    worker_once()
    got = RX.requests("/all")
    bodies = [json.loads(g["body"]) for g in got]
    assert all(g["verified"] for g in got), "a signature did not verify"
    eq(len({b["id"] for b in bodies}), len(bodies), "each delivery once")
    for g, b in zip(got, bodies):
        hd = {k.lower(): v for k, v in g["headers"].items()}
        eq((hd["x-taskmgr-event"], hd["x-taskmgr-delivery"], hd["content-type"]),
           (b["event"], str(b["id"]), "application/json"), "headers")
        assert hd["user-agent"].startswith("taskmgr/"), hd
        eq(sorted(b), ["created_at", "data", "event", "id"], "body keys")
    tasks = [b for b in bodies if b["event"].startswith(("task.", "comment."))]
    lists = [b for b in bodies if b["event"].startswith("list.")]
    eq([b["event"] for b in tasks], ["task.created", "comment.created", "task.updated",
                                     "task.completed", "task.updated", "task.deleted"],
       "task events in order, the comment among them")
    eq(tasks[1]["data"], comment, "comment.created data: the comment as the API shows it")
    tasks = tasks[:1] + tasks[2:]
    eq([b["event"] for b in lists], ["list.created", "list.updated", "list.deleted"],
       "list events in order")
    eq(tasks[0]["data"], dict(created, status="Pending", is_completed=False,
                              assigned_to=None, assignee_name=None,
                              updated_at=created["created_at"]),
       "task.created data: the task as the API shows it")
    eq(tasks[2]["data"]["status"], "Completed", "task.completed data")
    eq(tasks[4]["data"], last, "task.deleted: the task as it was")
    eq(lists[1]["data"]["name"], "Events 2", "list.updated data")
    assert all(b["data"]["id"] == t["id"] for b in tasks)
    log = deliveries(h)
    eq({d["status"] for d in log}, {"delivered"}, "the log: all delivered")
    eq({d["last_http_status"] for d in log}, {200}, "the log: 200")
    drop(h)


def test_a_writes_answer_is_the_data_its_webhook_got():
    # the change writes the task's JSON once, for its deliveries and its answer
    h = new_hook("alice", "/answer", events=["task.created", "task.updated"])
    lst = new_list("Answered")
    made = req("POST", "/api/lists/%d/tasks/" % lst["id"], {"name": "Told"})
    eq(made.status, 201, "create")
    changed = req("PATCH", "/api/tasks/%d/" % made.json["id"],
                  {"description": "twice", "updated_at": made.json["updated_at"]})
    eq(changed.status, 200, "patch")
    eq(changed.json, req("GET", "/api/tasks/%d/" % made.json["id"]).json,
       "the answer is the task as it is")
    worker_once()
    got = [g["body"] for g in RX.requests("/answer")]
    raw = [b[b.index(b'"data":') + 7:-1] if isinstance(b, bytes) else
           b[b.index('"data":') + 7:-1].encode() for b in got]
    eq(raw, [made.body, changed.body], "each delivery's data: the answer's very bytes")
    drop(h)


def test_a_webhook_scoped_to_a_list_hears_only_of_that_list():
    a, b = new_list("Scope A"), new_list("Scope B")
    h = new_hook("alice", "/scoped", events=["task.created", "list.updated"],
                 list_id=a["id"])
    ta = new_task(a, "in A")
    new_task(b, "in B")
    r = req("PATCH", "/api/lists/%d/" % b["id"], {"name": "Scope B2",
                                                   "updated_at": b["updated_at"]})
    eq(r.status, 200, "rename B")
    worker_once()
    eq([(x["event"], x["data"]["id"]) for x in RX.bodies("/scoped")],
       [("task.created", ta["id"])], "only list A's task")
    drop(h)


def test_a_receiver_answering_500_three_times_gets_it_at_the_4th_try():
    h = new_hook("alice", "/flaky", events=["list.created"])
    RX.modes["/flaky"] = [500, 500, 500, 200]
    new_list("Flaky")
    for attempt in range(1, 4):
        worker_once()
        d = deliveries(h)[0]
        eq((d["status"], d["attempts"], d["last_http_status"], d["last_error"]),
           ("pending", attempt, 500, "HTTP 500"), "after attempt %d" % attempt)
        worker_once()           # the backoff has not passed: nothing sent
        eq(len(RX.requests("/flaky")), attempt, "no attempt before the backoff")
        advance(3601)
    worker_once()
    d = deliveries(h)[0]
    eq((d["status"], d["attempts"], d["last_http_status"]), ("delivered", 4, 200), "4th")
    got = RX.requests("/flaky")
    eq(len(got), 4, "four requests")
    eq(len({g["body"] for g in got}), 1, "the same body each time")
    assert all(g["verified"] for g in got)
    g = req("GET", "/api/webhooks/%d/" % h["id"]).json
    eq((g["failure_count"], g["is_active"]), (0, True), "a success resets the failures")
    drop(h)


def test_a_failed_delivery_holds_back_the_later_ones_of_its_object():
    h = new_hook("alice", "/order", events=["list.created", "list.updated"])
    RX.modes["/order"] = [500, 200]
    lst = new_list("Order")
    other = new_list("Other")
    r = req("PATCH", "/api/lists/%d/" % lst["id"], {"name": "Order 2",
                                                     "updated_at": lst["updated_at"]})
    eq(r.status, 200, "rename")
    worker_once()
    got = RX.bodies("/order")
    eq([(b["event"], b["data"]["id"]) for b in got],
       [("list.created", lst["id"]), ("list.created", other["id"])],
       "the rename waits behind the failed create; another object does not")
    advance(3601)
    worker_once()
    got = RX.bodies("/order")
    eq([(b["event"], b["data"]["id"]) for b in got[2:]],
       [("list.created", lst["id"]), ("list.updated", lst["id"])], "then in order")
    drop(h)


def test_a_worker_killed_mid_delivery_sends_it_again_after_restart():
    h = new_hook("alice", "/hang", events=["list.created"])
    RX.modes["/hang"] = "hang"
    RX.release.clear()
    new_list("Killed")
    w = subprocess.Popen([S.taskmgr, "worker"], env=S.env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not RX.requests("/hang"):
            time.sleep(0.02)
        eq(len(RX.requests("/hang")), 1, "the receiver got the delivery")
    finally:
        os.kill(w.pid, signal.SIGKILL)
        w.wait(10)
    eq(deliveries(h)[0]["status"], "pending", "still pending after the kill")
    RX.modes["/hang"] = [200]
    RX.release.set()
    worker_once()
    got = RX.requests("/hang")
    eq(len(got), 2, "sent again after the restart")
    eq(got[0]["body"], got[1]["body"], "the same delivery")
    eq(deliveries(h)[0]["status"], "delivered", "delivered")
    drop(h)


def test_a_receiver_that_never_answers_is_disabled_and_its_owner_told():
    h = new_hook("bob", "/silent", events=["list.created"])
    RX.modes["/silent"] = "hang"
    RX.release.clear()
    new_list("Silent", user="bob")
    for _ in range(3):
        worker_once()           # each attempt times out (webhook_timeout = 1)
        advance(3601)
    g = req("GET", "/api/webhooks/%d/" % h["id"], user="bob").json
    eq((g["is_active"], g["failure_count"]), (True, 3),
       "3 failures within hours: not disabled yet (a day must pass)")
    advance(86400)
    worker_once()
    g = req("GET", "/api/webhooks/%d/" % h["id"], user="bob").json
    eq((g["is_active"], g["failure_count"]), (False, 4), "disabled after a day of failures")
    d = deliveries(h, user="bob")[0]
    eq((d["status"], d["attempts"]), ("pending", 4), "the delivery waits")
    assert "timed out" in d["last_error"].lower() or "timeout" in d["last_error"].lower(), d
    ev = req("GET", "/api/events/", user="bob").json["results"]
    notes = [e for e in ev if e.get("action") == "webhook_disabled"]
    eq(len(notes), 1, "one notice to the owner")
    assert RX.url("/silent") in notes[0]["message"], notes[0]
    n = len(RX.requests("/silent"))
    advance(86400)
    worker_once()
    eq(len(RX.requests("/silent")), n, "an inactive webhook gets nothing")
    RX.release.set()
    drop(h, user="bob")


def test_private_addresses_are_refused_after_dns_and_logged():
    rx6 = None
    try:
        rx6 = Receiver("::1")
    except OSError:
        pass
    targets = {
        "localhost": "http://localhost:%d/ssrf" % RX.port,      # resolves to loopback
        "private": "http://10.0.0.1/ssrf",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "v6": "http://[::1]:%d/ssrf6" % (rx6.port if rx6 else RX.port),
    }
    hooks = {k: new_hook("carol", "/" + k, events=["list.created"], url=u)
             for k, u in targets.items()}
    for h in hooks.values():
        eq(req("POST", "/api/webhooks/%d/ping/" % h["id"], user="carol").status, 202, "ping")
    worker_once()
    eq(RX.requests("/ssrf"), [], "no connection to the receiver through localhost")
    if rx6 is not None:
        eq(rx6.requests("/ssrf6"), [], "no connection to [::1]")
        rx6.stop()
    want = {"localhost": "loopback address", "private": "private address 10.0.0.1",
            "metadata": "link-local address 169.254.169.254", "v6": "loopback address ::1"}
    for k, h in hooks.items():
        d = deliveries(h, user="carol")[0]
        eq((d["status"], d["attempts"], d["last_http_status"]), ("refused", 1, None),
           "%s refused" % k)
        assert d["last_error"].startswith("refused: ") and want[k] in d["last_error"], d
        eq(req("GET", "/api/webhooks/%d/" % h["id"], user="carol").json["failure_count"], 1,
           "a refusal counts as a failure")
    log = S.log_text()
    assert "delivery %d refused: link-local address 169.254.169.254" % (
        deliveries(hooks["metadata"], user="carol")[0]["id"]) in log, log[-2000:]
    for h in hooks.values():
        drop(h, user="carol")


def test_redirects_are_not_followed():
    h = new_hook("alice", "/moved", events=["list.created"])
    RX.modes["/moved"] = ("redirect", RX.url("/moved-here"))
    RX.secrets["/moved-here"] = h["secret"]
    new_list("Moved")
    worker_once()
    eq(len(RX.requests("/moved")), 1, "the URL was asked")
    eq(RX.requests("/moved-here"), [], "the redirect was not followed")
    d = deliveries(h)[0]
    eq((d["status"], d["last_http_status"], d["last_error"]), ("pending", 302, "HTTP 302"),
       "a 3xx is a failure, retried later")
    drop(h)


def test_ping_redeliver_and_the_delivery_log():
    h = new_hook("alice", "/log", events=["task.created"])
    r = req("POST", "/api/webhooks/%d/ping/" % h["id"])
    eq(r.status, 202, "ping")
    eq(sorted(r.json), sorted(["id", "event", "created_at", "status", "attempts",
                               "last_http_status", "last_error", "delivered_at"]), "keys")
    eq((r.json["event"], r.json["status"], r.json["attempts"], r.json["delivered_at"]),
       ("ping", "pending", 0, None), "a queued ping")
    first = r.json["id"]
    worker_once()
    got = RX.bodies("/log")
    eq([(b["id"], b["event"], b["data"]) for b in got],
       [(first, "ping", {"webhook_id": h["id"]})], "the ping arrived")
    log = req("GET", "/api/webhooks/%d/deliveries/" % h["id"]).json
    eq(log["count"], 1, "one delivery")
    d = log["results"][0]
    eq((d["id"], d["status"], d["attempts"], d["last_http_status"], d["last_error"]),
       (first, "delivered", 1, 200, None), "delivered")
    assert d["delivered_at"] is not None
    eq(req("GET", "/api/webhooks/%d/" % h["id"]).json["last_delivery"], d, "last_delivery")
    r = req("POST", "/api/webhooks/%d/deliveries/%d/redeliver/" % (h["id"], first))
    eq((r.status, r.json["event"], r.json["status"]), (202, "ping", "pending"), "redeliver")
    again = r.json["id"]
    assert again > first
    worker_once()
    got = RX.bodies("/log")
    eq([(b["id"], b["data"]) for b in got],
       [(first, {"webhook_id": h["id"]}), (again, {"webhook_id": h["id"]})], "both")
    assert all(g["verified"] for g in RX.requests("/log"))
    log = req("GET", "/api/webhooks/%d/deliveries/?limit=1" % h["id"]).json
    eq((log["count"], [x["id"] for x in log["results"]]), (2, [again]), "newest first")
    eq(req("POST", "/api/webhooks/%d/deliveries/%d/redeliver/" % (h["id"], first),
           user="bob").status, 404, "not bob's")
    eq(req("POST", "/api/webhooks/%d/deliveries/999999/redeliver/" % h["id"]).status, 404,
       "no such delivery")
    eq(req("GET", "/api/webhooks/%d/deliveries/" % h["id"], user="bob").status, 404,
       "bob cannot read the log")
    eq(req("POST", "/api/webhooks/%d/ping/" % h["id"], user="bob").status, 404, "bob pings")
    drop(h)


def test_a_webhook_never_sees_a_task_its_owner_cannot_see():
    bob, carol = user_id("bob"), user_id("carol")
    h = new_hook("bob", "/bob")
    lst = new_list("Alice only")
    t = new_task(lst, "Secret plan", description="not for bob")
    patch_task(t, description="still not for bob")
    patch_task(t, assigned_to=bob)                       # bob sees it now
    patch_task(t, assigned_to=carol)                     # and no longer
    patch_task(t, description="carol's now")
    eq(req("DELETE", "/api/tasks/%d/" % t["id"]).status, 204, "delete")
    eq(req("DELETE", "/api/lists/%d/" % lst["id"]).status, 204, "list delete")
    worker_once()
    got = RX.bodies("/bob")
    eq([(b["event"], b["data"]["id"], b["data"]["assigned_to"]) for b in got],
       [("task.updated", t["id"], bob)], "bob's webhook: only while bob saw the task")
    assert all(g["verified"] for g in RX.requests("/bob"))
    drop(h, user="bob")


def test_a_members_webhook_sees_the_shared_list_as_the_member():
    lst = new_list("Shared with carol")
    r = req("POST", "/api/lists/%d/members/" % lst["id"], {"username": "carol",
                                                            "role": "viewer"})
    eq(r.status, 201, "carol a viewer: %s" % r.body)
    h = new_hook("carol", "/member", events=["task.created", "task.updated",
                                              "list.updated"], list_id=lst["id"])
    t = new_task(lst, "Seen by a viewer")
    lst = req("GET", "/api/lists/%d/" % lst["id"]).json
    r = req("PATCH", "/api/lists/%d/" % lst["id"], {"name": "Shared 2",
                                                     "updated_at": lst["updated_at"]})
    eq(r.status, 200, "rename")
    worker_once()
    got = RX.bodies("/member")
    eq([(b["event"], b["data"]["id"]) for b in got],
       [("task.created", t["id"]), ("list.updated", lst["id"])], "a member hears")
    eq(got[1]["data"]["role"], "viewer", "the list as carol sees it (her role)")
    eq(req("DELETE", "/api/lists/%d/members/%d/" % (lst["id"], user_id("carol"))).status,
       204, "carol removed")
    patch_task(t, description="after carol left")
    worker_once()
    eq(len(RX.requests("/member")), 2, "nothing once she no longer sees it")
    drop(h, user="carol")


def test_a_removed_members_pending_deliveries_are_withdrawn_with_the_removal():
    import sqlite3
    lst = new_list("Shared, then not")
    r = req("POST", "/api/lists/%d/members/" % lst["id"], {"username": "carol",
                                                            "role": "editor"})
    eq(r.status, 201, "carol an editor: %s" % r.body)
    h = new_hook("carol", "/withdrawn", events=["task.created", "task.updated",
                                                 "list.updated", "comment.created"])
    carol = user_id("carol")
    t = new_task(lst, "Not carol's")
    mine = new_task(lst, "Carol's", assigned_to=carol)
    eq(req("POST", "/api/tasks/%d/comments/" % t["id"], {"text": "a word"}).status, 201,
       "comment")
    lst = req("GET", "/api/lists/%d/" % lst["id"]).json
    eq(req("PATCH", "/api/lists/%d/" % lst["id"], {"name": "Shared, renamed",
                                                    "updated_at": lst["updated_at"]}).status,
       200, "rename")
    # the first moved into webhook_deliveries as the worker's pass moves it
    # (the cursor past it), the rest still carried by events rows
    # (sql/*_webhook_carrier.sql); none sent yet
    c = S.connect()
    with c:
        first = c.execute("SELECT min(id) FROM webhook_delivery_log WHERE webhook_id = ?",
                          (h["id"],)).fetchone()[0]
        c.execute("INSERT INTO webhook_deliveries (id, webhook_id, event, object_key, body,"
                  " created_at, next_attempt_at) SELECT id, webhook_id, event, object_key,"
                  " '{\"data\":' || data || '}', created_at, created_at"
                  " FROM webhook_delivery_log WHERE id = ?", (first,))
        c.execute("UPDATE webhook_cursor SET events_id = ?", (first,))
        c.execute("DELETE FROM events WHERE id = ?", (first,))
    pending = lambda: c.execute(
        "SELECT event, object_key, status FROM webhook_delivery_log WHERE webhook_id = ?"
        " ORDER BY id", (h["id"],)).fetchall()
    eq([(e, k) for e, k, _ in pending()],
       [("task.created", "task:%d" % t["id"]), ("task.created", "task:%d" % mine["id"]),
        ("comment.created", "task:%d" % t["id"]), ("list.updated", "list:%d" % lst["id"])],
       "queued while carol was a member")
    eq(req("DELETE", "/api/lists/%d/members/%d/" % (lst["id"], carol)).status, 204,
       "carol removed")
    eq([(e, k, st) for e, k, st in pending()],
       [("task.created", "task:%d" % t["id"], "failed"),
        ("task.created", "task:%d" % mine["id"], "pending")],
       "only what carol still sees (her own task) is left to send; the one in the"
       " log ended as failed, those carried not moved yet dropped")
    eq(c.execute("SELECT last_error FROM webhook_deliveries WHERE id = ?",
                 (first,)).fetchone(), ("no longer a member of the list",), "why")
    c.close()
    worker_once()
    eq([(b["event"], b["data"]["id"]) for b in RX.bodies("/withdrawn")],
       [("task.created", mine["id"])], "the receiver gets only that")
    drop(h, user="carol")


def test_a_due_reminder_is_a_task_reminder_delivery():
    h = new_hook("alice", "/remind", events=["task.reminder"])
    lst = new_list("Reminded")
    due = time.gmtime(time.time() + CLOCK[0] + 1800)   # in 30 minutes, fake time
    t = new_task(lst, "Soon", complete_before=time.strftime("%Y-%m-%dT%H:%M:%SZ", due),
                 reminders=[60])
    worker_once()               # the reminder an hour before is due now
    got = RX.bodies("/remind")
    eq([(b["event"], b["data"]["id"]) for b in got], [("task.reminder", t["id"])],
       "one task.reminder, the task as data")
    assert all(g["verified"] for g in RX.requests("/remind"))
    drop(h)


def test_an_inactive_users_webhooks_get_nothing():
    import sqlite3
    S.create_user("dave")
    TOK["dave"] = S.login("dave")
    dave = user_id("dave")
    h = new_hook("dave", "/dave")
    lst = new_list("For dave")
    t = new_task(lst, "Dave's", assigned_to=dave)
    c = S.connect()
    with c:
        c.execute("UPDATE users SET is_active = 0 WHERE id = ?", (dave,))
    patch_task(t, description="dave is gone")
    worker_once()
    eq(RX.requests("/dave"), [], "nothing to an inactive user's receiver")
    rows = c.execute("SELECT event, status FROM webhook_deliveries WHERE webhook_id = ?",
                     (h["id"],)).fetchall()
    c.close()
    eq(rows, [("task.created", "pending")], "queued while active, held; none after")


def test_metrics_count_pending_and_failed_deliveries():
    import sqlite3
    h = new_hook("carol", "/refused-m", events=["list.created"], url="http://10.0.0.1/m")
    eq(req("POST", "/api/webhooks/%d/ping/" % h["id"], user="carol").status, 202, "ping")
    worker_once()
    c = S.connect()
    pending, failed = c.execute(
        "SELECT sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,"
        " sum(CASE WHEN status IN ('failed', 'refused') THEN 1 ELSE 0 END) AS failed"
        " FROM webhook_deliveries").fetchone()
    c.close()
    assert pending > 0 and failed > 0, (pending, failed)   # dave's; the refused ping
    advance(100)
    r = S.get("/metrics")
    eq(r.status, 200, "metrics")
    got = dict(re.findall(r"^(taskmgr_webhook_\w+) (\S+)$", r.body.decode(), re.M))
    eq((float(got["taskmgr_webhook_deliveries_pending"]),
        float(got["taskmgr_webhook_deliveries_failed"])), (pending, failed), "gauges")
    assert float(got["taskmgr_webhook_oldest_pending_age_seconds"]) >= 100, got


def test_the_worker_purges_finished_deliveries_past_retention():
    import sqlite3
    h = new_hook("alice", "/old", events=["list.created"])
    new_list("Old news")
    worker_once()
    RX.modes["/old"] = [500]
    new_list("Still failing")
    worker_once()
    eq(sorted(d["status"] for d in deliveries(h)), ["delivered", "pending"], "before")
    advance(31 * 86400)         # past outbox_retention_days (30)
    worker_once()               # the pending one fails again: pending still
    log = deliveries(h)
    eq([d["status"] for d in log], ["pending"], "the delivered one purged, the pending kept")
    c = S.connect()
    left = c.execute("SELECT count(*) FROM webhook_deliveries WHERE status <> 'pending'"
                     " AND finished_at < ?", (int((time.time() + CLOCK[0] - 30 * 86400)
                                                  * 1e6),)).fetchone()[0]
    c.close()
    eq(left, 0, "no finished delivery older than 30 days is left")
    drop(h)


def test_the_readme_verification_rejects_forgeries():
    got = [g for g in RX.got if g["verified"]]
    assert got, "no verified delivery yet"
    g = got[-1]
    sig = {k.lower(): v for k, v in g["headers"].items()}["x-taskmgr-signature"]
    secret = RX.secrets[g["path"]]
    now = time.time() + CLOCK[0]
    assert VERIFY(secret, g["body"], sig, now=now)
    assert not VERIFY(secret, g["body"] + b" ", sig, now=now), "a changed body"
    assert not VERIFY(secret + "x", g["body"], sig, now=now), "another secret"
    assert not VERIFY(secret, g["body"], sig, now=now + 3600), "a replay an hour later"
    assert not VERIFY(secret, g["body"], "garbage", now=now), "no signature"


if __name__ == "__main__":
    run_tests(globals())
