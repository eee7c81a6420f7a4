"""A fake Telegram Bot API server for the tests (standard library only).

FakeTelegram().start() listens on 127.0.0.1 (a free port) in a thread and
answers POST /bot<token>/<method> with JSON bodies like the real Bot API.
Controlled in-process by the test:

  calls            every call received: (method, params), in order
  sent(chat=None)  the sendMessage calls Telegram "accepted"
  fail(kind, n)    the next n sendMessage calls fail with kind:
                   "429" (retry_after = retry_after), "500", "timeout"
                   (no answer within the client's time limit),
                   "chat_not_found" (400), "blocked" (403)
  down = True      every sendMessage answers 500 until set back to False
  delay            seconds to wait before answering a sendMessage
  add_update(u)    scripts an update for getUpdates (update_id assigned);
                   getUpdates returns those with update_id >= offset and
                   waits up to its timeout (capped) when there are none
"""
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "123456:TEST-token"


class FakeTelegram:
    def __init__(self, token=TOKEN):
        self.token = token
        self.lock = threading.Condition()
        self.calls = []
        self.accepted = []
        self.accepted_at = []   # time.monotonic() of each accepted sendMessage
        self.failures = []
        self.down = False
        self.delay = 0.0
        self.retry_after = 1
        self.timeout_sleep = 4.0
        self.updates = []
        self.next_update = 1000
        self.message_ids = itertools.count(1)
        self.httpd = None

    # -- control ------------------------------------------------------------
    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    params = json.loads(raw.decode() or "{}")
                except ValueError:
                    params = {"_raw": raw}
                prefix = "/bot%s/" % fake.token
                if not self.path.startswith(prefix):
                    return self.answer(404, {"ok": False, "error_code": 404,
                                             "description": "Not Found"})
                method = self.path[len(prefix):]
                status, body = fake.handle(method, params)
                if status is None:
                    return   # the "timeout" failure: no answer at all
                self.answer(status, body)

            def answer(self, status, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass    # a client that gave up (timeouts, killed workers) is expected

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def fail(self, kind, n=1):
        with self.lock:
            self.failures.extend([kind] * n)

    def reset(self):
        with self.lock:
            self.calls.clear()
            self.accepted.clear()
            self.accepted_at.clear()
            self.failures.clear()
            self.down = False
            self.delay = 0.0

    def add_update(self, update):
        with self.lock:
            update = dict(update, update_id=self.next_update)
            self.next_update += 1
            self.updates.append(update)
            self.lock.notify_all()
            return update["update_id"]

    def message(self, from_id, text, chat_id=None):
        """Scripts a private text message from a user."""
        return self.add_update({"message": {
            "message_id": next(self.message_ids), "date": int(time.time()),
            "from": {"id": from_id, "is_bot": False, "first_name": "T"},
            "chat": {"id": chat_id or from_id, "type": "private"},
            "text": text}})

    def press(self, from_id, data, message_id, chat_id=None):
        """Scripts a press of an inline button."""
        return self.add_update({"callback_query": {
            "id": "cq%d" % next(self.message_ids),
            "from": {"id": from_id, "is_bot": False, "first_name": "T"},
            "message": {"message_id": message_id,
                        "chat": {"id": chat_id or from_id, "type": "private"}},
            "data": data}})

    def sent(self, chat=None):
        with self.lock:
            return [p for p in self.accepted
                    if chat is None or p.get("chat_id") == chat]

    def texts(self, chat=None):
        return [p["text"] for p in self.sent(chat)]

    def calls_of(self, method):
        with self.lock:
            return [p for m, p in self.calls if m == method]

    def wait_for(self, pred, timeout=20, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred():
                return
            time.sleep(0.05)
        raise AssertionError("timed out waiting for %s" % what)

    # -- the API ------------------------------------------------------------
    def handle(self, method, params):
        with self.lock:
            self.calls.append((method, params))
        if method == "getUpdates":
            return self.get_updates(params)
        if method == "sendMessage":
            return self.send_message(params)
        if method in ("editMessageText", "answerCallbackQuery"):
            return 200, {"ok": True, "result": True}
        if method == "getMe":
            return 200, {"ok": True, "result": {"id": 1, "is_bot": True,
                                                "username": "taskmgr_test_bot"}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def get_updates(self, params):
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 60.0)
        deadline = time.time() + wait
        with self.lock:
            while True:
                got = [u for u in self.updates if u["update_id"] >= offset]
                left = deadline - time.time()
                if got or left <= 0:
                    return 200, {"ok": True, "result": got[:100]}
                self.lock.wait(left)

    def send_message(self, params):
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            kind = self.failures.pop(0) if self.failures else None
            if kind is None and self.down:
                kind = "500"
        if kind == "429":
            return 429, {"ok": False, "error_code": 429,
                         "description": "Too Many Requests: retry after %d" % self.retry_after,
                         "parameters": {"retry_after": self.retry_after}}
        if kind == "500":
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        if kind == "timeout":
            time.sleep(self.timeout_sleep)
            return None, None
        if kind == "chat_not_found":
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        if kind == "blocked":
            return 403, {"ok": False, "error_code": 403,
                         "description": "Forbidden: bot was blocked by the user"}
        with self.lock:
            mid = next(self.message_ids)
            self.accepted.append(params)
            self.accepted_at.append(time.monotonic())
        return 200, {"ok": True, "result": {
            "message_id": mid, "date": int(time.time()),
            "chat": {"id": params.get("chat_id"), "type": "private"},
            "text": params.get("text")}}
