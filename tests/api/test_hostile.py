#!/usr/bin/env python3
"""Hostile input through nginx (raw sockets where http.client cannot send it) and
straight to the FastCGI socket: every case answers a clean 4xx (or nginx refuses
it), never a 5xx; the responders stay up (same PIDs) and the database stays sound."""
import json
import os
import socket
import sqlite3
import struct
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PG, Server, eq, run_tests  # noqa: E402
from fcgi_client import fcgi_record, fcgi_request  # noqa: E402

S = None
PIDS = None
TOK = None
LIST = None
TASK = None
SEEN = []       # every (case, status) answered, for the summary line

MAX_BODY = 1048576


def setup_module():
    global S, PIDS, TOK, LIST, TASK
    S = Server(workers=2, config={"max_body": str(MAX_BODY)}).start()
    S.create_user("alice")
    TOK = S.login("alice")
    r = S.request("POST", "/api/lists/", {"name": "target"}, token=TOK)
    eq(r.status, 201, "seed list")
    LIST = r.json
    r = S.request("POST", "/api/lists/%d/tasks/" % LIST["id"], {"name": "target task"},
                  token=TOK)
    eq(r.status, 201, "seed task")
    TASK = r.json
    PIDS = sorted(S.responder_pids())
    eq(len(PIDS), 2, "responders")


def teardown_module():
    S.stop()


# -- helpers ---------------------------------------------------------------

def raw(data, timeout=20, shut=False):
    """Sends raw bytes to nginx; returns (status or None when closed without an
    answer, the whole response)."""
    s = socket.create_connection((S.host, S.port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    if not buf.startswith(b"HTTP/"):
        return None, buf
    return int(buf.split(b" ", 2)[1]), buf


def http_req(method, path, body=b"", headers=(), token=None):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1", "Connection: close"]
    if token:
        lines.append("Authorization: Bearer " + token)
    lines += list(headers)
    if body or method in ("POST", "PUT", "PATCH"):
        if not any(h.lower().startswith("content-type:") for h in headers):
            lines.append("Content-Type: application/json")
        if not any(h.lower().startswith("content-length:") for h in headers):
            lines.append("Content-Length: %d" % len(body))
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return raw(head + body)


def clean(case, status, allowed=None, body=None):
    """A clean refusal: a 4xx (or a listed status), never a 5xx."""
    SEEN.append((case, status))
    if allowed is not None:
        assert status in allowed, "%s: got %r, want one of %r: %r" % (
            case, status, allowed, (body or b"")[:300])
    else:
        assert status is not None and 400 <= status < 500, "%s: got %r: %r" % (
            case, status, (body or b"")[:300])


def json_detail_ok(buf):
    """A 4xx from the responder carries a JSON body; nginx's own pages are HTML."""
    head, _, body = buf.partition(b"\r\n\r\n")
    if b"application/json" in head:
        json.loads(body.decode("utf-8"))


def check_alive():
    eq(sorted(S.responder_pids()), PIDS, "responder PIDs unchanged")
    r = S.get("/api/health/")
    eq(r.status, 200, "health")


# -- FastCGI client (straight to the responders' socket) -------------------

def fcgi(params, stdin=b"", **kw):
    """Runs one FastCGI request on the responders' socket: (status or None, stdout)."""
    return fcgi_request(S.sock, params, stdin, **kw)


def base_params(method="POST", uri="/api/lists/", **extra):
    p = [("REQUEST_METHOD", method), ("REQUEST_URI", uri), ("SCRIPT_NAME", uri),
         ("SERVER_PORT", "80"), ("HTTP_HOST", "127.0.0.1"), ("REMOTE_ADDR", "127.0.0.1"),
         ("CONTENT_TYPE", "application/json"), ("HTTP_AUTHORIZATION", "Bearer " + TOK)]
    p += list(extra.items())
    return p


# -- through nginx: framing --------------------------------------------------

def test_content_length_hostile():
    for cl in ("99999999999999999999", "9223372036854775807", "-1", "-9999",
               "1e3", "0x10", " 12", "12, 12", "abc"):
        st, buf = raw(("POST /api/auth/token/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       "Content-Type: application/json\r\nContent-Length: %s\r\n\r\n{}" % cl)
                      .encode(), shut=True)
        # nginx refuses the value, or (" 12") waits for 12 bytes and sees the end of stream
        clean("Content-Length %s" % cl, st, allowed=(None, 400, 413))
    # two different lengths: request smuggling is refused
    st, buf = raw(b"POST /api/auth/token/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}")
    clean("two Content-Lengths", st)
    st, buf = raw(b"POST /api/auth/token/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    clean("Content-Length with chunked", st, allowed=(400, 401, 411))
    check_alive()


def test_body_stops_early():
    for sent, claimed in ((b'{"username": "al', 500), (b"", 100), (b"{", 1048000)):
        st, buf = raw(b"POST /api/auth/token/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % claimed
                      + sent, shut=True)
        # nginx sees the client's end of stream: it answers 400 or just closes
        clean("body stops early (%d of %d)" % (len(sent), claimed), st, allowed=(None, 400, 408))
    check_alive()


def test_huge_bodies():
    big = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    st, buf = http_req("POST", "/api/lists/", big, token=TOK)
    clean("10 MB string", st, allowed=(None, 413))
    st, buf = http_req("POST", "/api/lists/", b'{"name": "' + b"y" * (MAX_BODY - 100) + b'"}',
                       token=TOK)
    clean("1 MB string", st)
    json_detail_ok(buf)
    st, buf = http_req("POST", "/api/auth/token/",
                       b'{"username": "' + b"u" * 500000 + b'", "password": "x"}')
    clean("500 KB username on login", st)
    check_alive()


def test_deep_nesting_and_many_keys():
    deep = b'{"name": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    st, buf = http_req("POST", "/api/lists/", deep, token=TOK)
    clean("100k nested arrays", st)
    json_detail_ok(buf)
    deep = b'{"name": ' + b'{"a":' * 100000 + b"1" + b"}" * 100000 + b"}"
    st, buf = http_req("POST", "/api/lists/", deep, token=TOK)
    clean("100k nested objects", st, allowed=(400, 413))
    keys = b"{" + b",".join(b'"%x":0' % i for i in range(100000)) + b"}"
    assert len(keys) < MAX_BODY
    st, buf = http_req("POST", "/api/lists/", keys, token=TOK)
    clean("100k keys", st)
    eq(json.loads(buf.partition(b"\r\n\r\n")[2]), {"name": ["This field is required."]},
       "100k keys without name")
    st, buf = http_req("POST", "/api/auth/token/", keys)
    clean("100k keys on login", st)
    check_alive()


def test_headers_hostile():
    st, buf = http_req("GET", "/api/health/", headers=("X-Big: " + "a" * 65536,))
    clean("64 KB header", st)
    st, buf = http_req("GET", "/api/auth/me/", headers=("Authorization: Bearer " + "a" * 65536,))
    clean("64 KB Authorization", st)
    st, buf = http_req("GET", "/api/health/", headers=["X-H%d: v" % i for i in range(2000)])
    clean("2000 headers", st, allowed=(200, 400))
    st, buf = http_req("GET", "/api/health/", headers=("Cookie: " + "; ".join(
        "c%d=%d" % (i, i) for i in range(1500)),))
    clean("1500 cookies", st, allowed=(200, 400))
    for auth in ("Bearer", "Bearer ", "Bearer  x", "Basic Zm9vOmJhcg==", "Bearer \x01\x02",
                 "Bot", "Bot wrong", "Bearer " + "é" * 100):
        st, buf = http_req("GET", "/api/auth/me/",
                           headers=(("Authorization: " + auth).encode("utf-8").decode("latin-1"),))
        clean("Authorization %r" % auth[:20], st, allowed=(400, 401))
    st, buf = http_req("GET", "/api/auth/me/", headers=("Cookie: sessionid=" + "z" * 4000,))
    clean("bogus session cookie", st, allowed=(401, 403))
    check_alive()


# -- through nginx: paths and query strings ---------------------------------

def test_paths_hostile():
    for path in ("/api/%68ealth/", "/api/health/%2e%2e/", "/api/../api/health/",
                 "/api/lists/../../etc/passwd", "/api/lists/%2e%2e/%2e%2e/", "/api/%00/",
                 "/api/lists/%ff%fe/", "/api//lists//", "/api/lists/1/%2F/",
                 "/api/" + "a" * 8000 + "/", "/api/lists/" + "1" * 5000 + "/",
                 "/api/lists/%31/", "/api/lists/1;x=1/", "/api/lists/1%00/"):
        st, buf = http_req("GET", path, token=TOK)
        clean("path %r" % path[:40], st)
    st, buf = http_req("GET", "/api/" + "a" * 70000 + "/", token=TOK)
    clean("70 KB path", st)
    st, buf = raw(b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    clean("dot segments above the root", st)
    st, buf = raw(b"GET api/health/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    clean("relative request target", st)
    st, buf = raw(b"GET http://evil.example/api/health/ HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
    clean("absolute-form target", st, allowed=(200,))   # nginx maps it to its own server
    check_alive()


def test_ids_hostile():
    for lid in ("1e3", "0x10", "-1", "+1", "9999999999999999999", "99999999999999999999999",
                "9223372036854775807", "9223372036854775808", "0", "1.0", " 1",
                "%201", "1%20", "%31", "１", "NaN", "null", "'1'", "1--", "1%27%20OR%201=1"):
        for method in ("GET", "PATCH", "DELETE"):
            body = json.dumps({"name": "x", "updated_at": LIST["updated_at"]}).encode() \
                if method == "PATCH" else b""
            st, buf = http_req(method, "/api/lists/%s/" % lid.encode().decode("latin-1"),
                               body, token=TOK)
            clean("%s list id %r" % (method, lid), st, allowed=(400, 404))
            st, buf = http_req(method, "/api/tasks/%s/" % lid.encode().decode("latin-1"),
                               body, token=TOK)
            clean("%s task id %r" % (method, lid), st, allowed=(400, 404))
        st, buf = http_req("GET", "/api/lists/%s/tasks/" % lid.encode().decode("latin-1"),
                           token=TOK)
        clean("list tasks id %r" % lid, st, allowed=(400, 404))
    # leading zeros are still ASCII digits: the same list
    st, buf = http_req("GET", "/api/lists/%05d/" % LIST["id"], token=TOK)
    eq(st, 200, "leading zeros")
    check_alive()


def test_query_hostile():
    for q in ("limit=1&limit=1000&limit=-1", "offset=99999999999999999999",
              "limit=9223372036854775807", "limit=-1", "limit=1e3", "limit=0x10",
              "offset=-1", "limit=%00", "search=%00", "search=%ff%fe", "search=%",
              "search=%zz", "search=" + "%25" * 3000, "&&&&=&=&", "a" * 5000 + "=1",
              "&".join("k%d=%d" % (i, i) for i in range(200)),
              "search=%27%3B%20DROP%20TABLE%20lists%3B--", "search=%25%5F%5C",
              "ordering=name;DROP", "ordering=" + "-" * 1000):
        st, buf = http_req("GET", "/api/lists/?" + q, token=TOK)
        clean("query %r" % q[:40], st, allowed=(200, 400))
        if st == 200:
            json.loads(buf.partition(b"\r\n\r\n")[2])
    for q in ("status=Nope", "status=%00", "assigned_to=-1", "assigned_to=1e3",
              "assigned_to=99999999999999999999", "due_before=yesterday",
              "due_before=2026-13-01T00:00:00Z", "due_after=%ff", "list=0x10",
              "ordering=name", "ordering=-created_at&ordering=x", "search=%27--",
              "due_before=0001-01-01T00:00:00%2B05:00"):
        st, buf = http_req("GET", "/api/lists/%d/tasks/?%s" % (LIST["id"], q), token=TOK)
        clean("task query %r" % q, st, allowed=(200, 400))
        st, buf = http_req("GET", "/api/tasks/?" + q, token=TOK)
        clean("assigned query %r" % q, st, allowed=(200, 400))
    st, buf = http_req("GET", "/api/lists/?limit=1&limit=1000", token=TOK)
    assert st in (200, 400), st
    check_alive()


# -- through nginx: field contents -------------------------------------------

BAD_STRINGS = [
    ("NUL escape", b'"a\\u0000b"'),
    ("raw NUL", b'"a\x00b"'),
    ("invalid UTF-8", b'"a\xff\xfeb"'),
    ("overlong UTF-8", b'"\xc0\xaf"'),
    ("UTF-16 surrogate", b'"\xed\xa0\x80"'),
    ("lone surrogate escape", b'"\\ud800"'),
    ("raw control char", b'"a\x01b"'),
    ("truncated UTF-8", b'"\xe2\x82"'),
]

NUMBERS = [b"9999999999999999999", b"-9223372036854775809", b"1e400", b"-1e400",
           b"1e3", b"0x10", b"1.5", b"-1", b"NaN", b"Infinity", b'"9999999999999999999"',
           b'"1e3"', b'"0x10"', b'" 1"', b"[]", b"{}", b"true", b"null"]


def test_bad_strings_in_every_field():
    fields = [
        ("POST", "/api/auth/token/", None, ("username", "password"),
         {"username": "alice", "password": "correct-horse-battery"}),
        ("POST", "/api/auth/register/", None, ("username", "email", "password", "confirm_password"),
         {"username": "newuser", "email": "n@example.org", "password": "Xy7#correct-horse",
          "confirm_password": "Xy7#correct-horse"}),
        ("POST", "/api/auth/token/refresh/", None, ("refresh",), {"refresh": "x"}),
        ("POST", "/api/auth/token/blacklist/", None, ("refresh",), {"refresh": "x"}),
        ("POST", "/api/lists/", TOK, ("name",), {"name": "n"}),
        ("PATCH", "/api/lists/%d/" % LIST["id"], TOK, ("name", "updated_at"),
         {"name": "n", "updated_at": LIST["updated_at"]}),
        ("POST", "/api/lists/%d/tasks/" % LIST["id"], TOK,
         ("name", "description", "assigned_to", "complete_before", "status"),
         {"name": "t", "description": "d", "assigned_to": None,
          "complete_before": "2030-01-01T00:00:00Z", "status": "Pending"}),
        ("PATCH", "/api/tasks/%d/" % TASK["id"], TOK,
         ("name", "description", "assigned_to", "complete_before", "status", "updated_at"),
         {"name": "t2", "description": "d", "assigned_to": None,
          "complete_before": "2030-01-01T00:00:00Z", "status": "Pending",
          "updated_at": TASK["updated_at"]}),
        ("POST", "/api/auth/telegram/confirm/", None, ("code", "telegram_id"),
         {"code": "0" * 32, "telegram_id": 42}),
    ]
    for method, path, tok, names, good in fields:
        for name in names:
            for what, val in BAD_STRINGS:
                body = {k: v for k, v in good.items()}
                enc = json.dumps(body).encode()
                key = json.dumps(name).encode() + b": " + json.dumps(good[name]).encode()
                assert key in enc, (key, enc)
                enc = enc.replace(key, json.dumps(name).encode() + b": " + val)
                st, buf = http_req(method, path, enc, token=tok)
                clean("%s %s %s=%s" % (method, path, name, what), st,
                      allowed=(400, 401, 409))
                json_detail_ok(buf)
            for num in NUMBERS:
                enc = json.dumps(good).encode().replace(
                    json.dumps(name).encode() + b": " + json.dumps(good[name]).encode(),
                    json.dumps(name).encode() + b": " + num)
                st, buf = http_req(method, path, enc, token=tok)
                # a quoted number is a fine string; what matters is no 5xx
                clean("%s %s %s=%s" % (method, path, name, num), st,
                      allowed=(200, 201, 400, 401, 409))
    check_alive()


SQL_META = ["'; DROP TABLE lists; --", '" OR 1=1 --', "%", "_", "\\", "'||(SELECT 1)||'",
            "Robert'); DELETE FROM users;--", "%' OR '1'='1", "1; PRAGMA writable_schema=1"]


def test_sql_meta_characters_stored_as_sent():
    for i, s in enumerate(SQL_META):
        name = "%s #%d" % (s, i)
        r = S.request("POST", "/api/lists/", {"name": name}, token=TOK)
        eq(r.status, 201, "create %r" % name)
        eq(r.json["name"], name, "stored as sent")
        r2 = S.request("GET", "/api/lists/%d/" % r.json["id"], token=TOK)
        eq(r2.json["name"], name, "read back")
        r3 = S.request("GET", "/api/lists/?search=" + urllib.parse.quote(s), token=TOK)
        eq(r3.status, 200, "search %r" % s)
        assert any(x["name"] == name for x in r3.json["results"]), (s, r3.json)
        r4 = S.post("/api/auth/token/", {"username": s, "password": s})
        eq(r4.status, 401, "login with %r" % s)
    r = S.request("GET", "/api/lists/?search=" + urllib.parse.quote("%"), token=TOK)
    for x in r.json["results"]:
        assert "%" in x["name"], "%% is literal in search: %r" % x["name"]
    check_alive()


def test_unsupported_methods_and_types():
    for m in ("TRACE", "CONNECT", "PROPFIND", "FOO", "get"):
        st, buf = http_req(m, "/api/lists/", token=TOK)
        clean("method %s" % m, st, allowed=(400, 405, 501))
    for ct in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
               "application/json; charset=latin-1\x01", ""):
        st, buf = http_req("POST", "/api/lists/", b'{"name": "ct"}', token=TOK,
                           headers=("Content-Type: " + ct,))
        clean("content type %r" % ct, st, allowed=(201, 400, 415))
    st, buf = http_req("POST", "/api/lists/", b'{"name": "ct2"}', token=TOK,
                       headers=("Content-Type: text/plain",))
    clean("text/plain body", st, allowed=(415,))
    check_alive()


# -- straight to the FastCGI socket ------------------------------------------

def test_fastcgi_hostile():
    body = json.dumps({"name": "fcgi"}).encode()
    cases = [
        ("short body", base_params(CONTENT_LENGTH="500"), body, (400,)),
        ("no body, length given", base_params(CONTENT_LENGTH="100"), b"", (400,)),
        ("negative length", base_params(CONTENT_LENGTH="-5"), body, (400,)),
        ("huge length", base_params(CONTENT_LENGTH="99999999999999999999"), body, (400, 413)),
        ("int64 max length", base_params(CONTENT_LENGTH="9223372036854775807"), body, (400, 413)),
        ("length over max_body", base_params(CONTENT_LENGTH=str(MAX_BODY + 1)), body, (413,)),
        ("non-numeric length", base_params(CONTENT_LENGTH="12abc"), body, (400,)),
        ("length with sign", base_params(CONTENT_LENGTH="+16"), body, (400,)),
        ("no REQUEST_URI", [p for p in base_params() if p[0] != "REQUEST_URI"], b"", (400,)),
        ("relative REQUEST_URI", base_params(uri="api/lists/"), b"", (400,)),
        ("empty method", base_params(method=""), b"", (400, 404, 405)),
        ("bad escape in query", base_params(method="GET", uri="/api/lists/?a=%G0"), b"", (400,)),
        ("NUL key in query", base_params(method="GET", uri="/api/lists/?%00=1"), b"", (400,)),
        ("300 query params", base_params(method="GET", uri="/api/lists/?" + "&".join(
            "p%d=1" % i for i in range(300))), b"", (400,)),
        ("100k nesting", base_params(CONTENT_LENGTH="200009"),
         b'{"name":' + b"[" * 100000 + b"]" * 100000 + b"}", (400,)),
        ("1 MB param", base_params(HTTP_X_JUNK="j" * 1000000, CONTENT_LENGTH=str(len(body))),
         body, (201, 400)),
        ("2000 params", base_params(CONTENT_LENGTH=str(len(body)), **{
            "HTTP_X_%d" % i: "v" for i in range(2000)}), body, (201, 400)),
        ("param without value", base_params(CONTENT_LENGTH=str(len(body))) + [("HTTP_X", "")],
         body, (201,)),
        ("binary param name", base_params(CONTENT_LENGTH=str(len(body))) + [
            (b"\x00\xff=", b"\x00\x01")], body, (201, 400)),
        ("more body than length", base_params(CONTENT_LENGTH="4"), body + b"x" * 100, (400,)),
    ]
    for i, (case, params, stdin, allowed) in enumerate(cases):
        stdin = stdin.replace(b"fcgi", b"fcgi%03d" % i)
        params = [(k, v.replace(str(len(body)), str(len(stdin))) if k == "CONTENT_LENGTH"
                   and v == str(len(body)) else v) for k, v in params]
        st, out = fcgi(params, stdin)
        clean("fastcgi " + case, st, allowed=allowed, body=out)
    # connections dropped in the middle of a request
    full = len(fcgi_record(1, struct.pack(">HB5x", 1, 0)))
    for cut in (3, full, full + 5, full + 40):
        fcgi(base_params(CONTENT_LENGTH=str(len(body))), body, abort_after=cut)
    st, out = fcgi(base_params(CONTENT_LENGTH=str(len(body))), body[:5], end_stdin=False,
                   abort_after=10 ** 6)
    check_alive()


def test_zz_database_sound_and_no_5xx():
    # (PostgreSQL checks its foreign keys at every write; integrity_check is SQLite's)
    c = S.connect() if PG else sqlite3.connect("file:%s?mode=ro" % S.db, uri=True)
    try:
        if not PG:
            eq(c.execute("PRAGMA integrity_check").fetchall(), [("ok",)], "integrity_check")
            eq(c.execute("PRAGMA foreign_key_check").fetchall(), [], "foreign_key_check")
        eq(c.execute("SELECT count(*) FROM users WHERE username = 'alice'").fetchone()[0], 1,
           "users intact")
    finally:
        c.close()
    fivexx = [(c, s) for c, s in SEEN if s is not None and s >= 500]
    eq(fivexx, [], "no 5xx")
    check_alive()
    print("# %d hostile requests, statuses: %s" % (len(SEEN), sorted(
        {str(s) for _, s in SEEN})))


if __name__ == "__main__":
    run_tests(globals())
