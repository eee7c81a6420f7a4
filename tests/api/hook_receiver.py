"""A loopback webhook receiver for the tests: a threaded HTTP server on
127.0.0.1 that keeps the path and body of every POST and answers 204
after `delay` seconds.  `tap`, when set, is called at each request and
its result kept in `taps` (a test looks at the worker as a delivery
arrives).  test_webhooks.py keeps its own receiver: it checks signatures
and answers per path."""

import http.server
import threading
import time


class Receiver:
    def __init__(self, delay=0.0):
        self.got = []           # (path, body) of each POST, in arrival order
        self.tap = None
        self.taps = []
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if delay:
                    time.sleep(delay)
                rx.got.append((self.path, body))
                if rx.tap is not None:
                    rx.taps.append(rx.tap())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.srv.server_address[1], path)

    def bodies(self, path):
        return [b for p, b in self.got if p == path]

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()
