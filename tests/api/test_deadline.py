#!/usr/bin/env python3
"""The request deadline (request_timeout) against slow local clients: clients
that trickle a FastCGI request into the responders' socket one byte at a time
(each byte well within the idle wait) hold every responder until they are
dropped at the deadline; a normal request through nginx is served meanwhile,
and the drop is logged as a warning without what the client sent."""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from fcgi_client import fcgi_pair, fcgi_record  # noqa: E402

S = None
WORKERS = 2
DEADLINE = 2            # seconds: request_timeout
BYTE_EVERY = 0.4        # seconds between two bytes of a trickling client
TRICKLE_CAP = 40        # seconds a trickling client goes on at most
SECRET = "trickled-secret-token-0123456789"


def setup_module():
    global S
    S = Server(workers=WORKERS, config={"request_timeout": str(DEADLINE)}).start()


def teardown_module():
    S.stop()


def trickle_message():
    """A whole FastCGI request of about 400 bytes: 160 s at one byte per 0.4 s."""
    params = [("REQUEST_METHOD", "GET"), ("REQUEST_URI", "/api/health/"),
              ("SCRIPT_NAME", "/api/health/"), ("REMOTE_ADDR", "127.0.0.1"),
              ("HTTP_AUTHORIZATION", "Bearer " + SECRET), ("HTTP_X_PAD", "p" * 200)]
    p = b"".join(fcgi_pair(k.encode(), v.encode()) for k, v in params)
    return (fcgi_record(1, struct.pack(">HB5x", 1, 0)) + fcgi_record(4, p) +
            fcgi_record(4, b"") + fcgi_record(5, b""))


class Trickler(threading.Thread):
    """Sends the message one byte at a time; records whether the server closed
    the connection before the whole message was sent."""

    def __init__(self, msg):
        super().__init__(daemon=True)
        self.msg = msg
        self.sent = 0
        self.cut = False
        self.connected = threading.Event()

    def run(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(S.sock)
            self.connected.set()
            end = time.monotonic() + TRICKLE_CAP
            while self.sent < len(self.msg) and time.monotonic() < end:
                s.send(self.msg[self.sent:self.sent + 1])
                self.sent += 1
                time.sleep(BYTE_EVERY)
        except (BrokenPipeError, ConnectionResetError):
            self.cut = True
        finally:
            self.connected.set()
            s.close()


def test_tricklers_dropped_normal_request_served():
    msg = trickle_message()
    tricklers = [Trickler(msg) for _ in range(WORKERS)]
    for t in tricklers:
        t.start()
        t.connected.wait(5)
    time.sleep(BYTE_EVERY * 2)      # every responder now holds a trickling connection
    # served once the tricklers are dropped, long before they could have sent all
    r = S.request("GET", "/api/health/", timeout=20)
    eq(r.status, 200, "a normal request through nginx")
    for t in tricklers:
        t.join(TRICKLE_CAP + 10)
        assert t.cut, "a trickling client was not dropped (sent %d of %d bytes)" % (
            t.sent, len(msg))
        assert t.sent < len(msg), "a trickling client sent its whole request"
    log = S.log_text()
    warnings = [ln for ln in log.splitlines() if " warn " in ln and "request_timeout" in ln]
    eq(len(warnings), WORKERS, "one warning per dropped connection")
    assert SECRET not in log, "the trickled request's secret is in the log"


def test_after_the_drop_responders_serve_again():
    for _ in range(2 * WORKERS):
        eq(S.request("GET", "/api/health/", timeout=20).status, 200, "health")


if __name__ == "__main__":
    run_tests(globals())
