#!/usr/bin/env python3
"""Credentials under attack: failed Bearer tokens and bot secrets are counted
against the anonymous per-address limit (throttle_anon) until they get 429;
the admin pages take the session cookie alone, never an Authorization header;
from login on the csrftoken cookie is the session's CSRF token, which a
cookie client sends back as X-CSRFToken on the API, new at every login."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BASE_CONFIG, Server, eq, run_tests  # noqa: E402
from fcgi_client import fcgi_request, header  # noqa: E402
from admin_client import Admin, PW  # noqa: E402

SECRET = BASE_CONFIG["telegram_bot_secret"]
LIMIT = 3           # throttle_anon of the server T
S = None            # throttle_anon off: the admin pages and the CSRF cookie
T = None            # throttle_anon 3/minute, driven over FastCGI with own addresses
TOK = {}


def setup_module():
    global S, T
    S = Server(workers=2).start()
    T = Server(workers=2, config={"throttle_anon": "%d/minute" % LIMIT}).start()
    for srv in (S, T):
        srv.create_user("boss", PW)
        srv.create_user("plain", PW, staff=False)
        with srv.connect() as c:
            c.execute("UPDATE users SET telegram_id = 4242 WHERE username = 'boss'")
            c.execute("UPDATE users SET telegram_id = 4343 WHERE username = 'plain'")
    TOK["boss"] = S.login("boss", PW)


def teardown_module():
    S.stop()
    T.stop()


def call(addr, path="/api/auth/me/", authorization=None, tgid=None):
    """GET path on T's responders as a client at addr; (status, body, out)."""
    p = [("REQUEST_METHOD", "GET"), ("REQUEST_URI", path), ("SCRIPT_NAME", path),
         ("SERVER_PORT", "80"), ("HTTP_HOST", "127.0.0.1"), ("REMOTE_ADDR", addr)]
    if authorization is not None:
        p.append(("HTTP_AUTHORIZATION", authorization))
    if tgid is not None:
        p.append(("HTTP_X_TELEGRAM_ID", str(tgid)))
    st, out = fcgi_request(T.sock, p)
    body = out.partition(b"\r\n\r\n")[2]
    return st, (json.loads(body) if body.startswith(b"{") else None), out


def anon_post(addr):
    """An anonymous POST /api/auth/token/refresh/ {} at addr (400 when allowed)."""
    path = "/api/auth/token/refresh/"
    p = [("REQUEST_METHOD", "POST"), ("REQUEST_URI", path), ("SCRIPT_NAME", path),
         ("SERVER_PORT", "80"), ("HTTP_HOST", "127.0.0.1"), ("REMOTE_ADDR", addr),
         ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", "2")]
    st, out = fcgi_request(T.sock, p, b"{}")
    body = out.partition(b"\r\n\r\n")[2]
    return st, (json.loads(body) if body.startswith(b"{") else None), out


def check_429(st, body, out):
    eq(st, 429, "throttled: %r" % out[:300])
    wait = int(header(out, "Retry-After")[0])
    assert 1 <= wait <= 60, wait
    assert body["detail"].startswith("Request was throttled. Expected available in "), body


# -- item: failed credentials count against throttle_anon ------------------

def test_failed_bearer_tokens_are_throttled_per_address():
    for i in range(LIMIT):
        st, body, _ = call("10.0.1.1", authorization="Bearer guess-%d" % i)
        eq(st, 401, "guess %d" % i)
        eq(body["code"], "token_not_valid", "the DRF answer")
    check_429(*call("10.0.1.1", authorization="Bearer guess-x"))
    # the address's anonymous budget is what the guesses used up
    check_429(*anon_post("10.0.1.1"))
    st, _, _ = call("10.0.1.2", authorization="Bearer guess-y")
    eq(st, 401, "another address has its own budget")


def test_a_valid_bearer_token_costs_no_anonymous_budget():
    tok = T.login("plain", PW)      # over nginx: 127.0.0.1's budget, not 10.0.2.1's
    for i in range(LIMIT + 2):
        st, body, _ = call("10.0.2.1", authorization="Bearer " + tok)
        eq(st, 200, "valid token %d" % i)
        eq(body["username"], "plain", "acts as plain")
    for i in range(LIMIT):
        eq(call("10.0.2.1", authorization="Bearer bad")[0], 401, "still %d to fail" % i)
    check_429(*call("10.0.2.1", authorization="Bearer bad"))
    st, _, _ = call("10.0.2.1", authorization="Bearer " + tok)
    eq(st, 200, "a valid token is served from a throttled address (not counted)")


def test_wrong_bot_secrets_are_throttled_and_then_not_even_compared():
    for i in range(LIMIT):
        st, body, _ = call("10.0.3.1", authorization="Bot wrong-%d" % i, tgid=4242)
        eq(st, 401, "wrong secret %d" % i)
    check_429(*call("10.0.3.1", authorization="Bot wrong-x", tgid=4242))
    # over the limit, the right secret learns nothing either: no oracle for a guess
    check_429(*call("10.0.3.1", authorization="Bot " + SECRET, tgid=4242))
    check_429(*anon_post("10.0.3.1"))
    st, body, _ = call("10.0.3.2", authorization="Bot " + SECRET, tgid=4242)
    eq(st, 200, "the bot at another address")
    eq(body["username"], "boss", "acts as the linked user")


def test_the_right_bot_secret_costs_no_anonymous_budget():
    for i in range(LIMIT + 2):
        st, _, _ = call("10.0.4.1", authorization="Bot " + SECRET, tgid=4242)
        eq(st, 200, "bot request %d" % i)
    # an unlinked Telegram id with the right secret is the bot's own business
    for i in range(LIMIT + 1):
        st, body, _ = call("10.0.4.1", authorization="Bot " + SECRET, tgid=999000 + i)
        eq(st, 401, "not linked %d" % i)
    for i in range(LIMIT):
        eq(anon_post("10.0.4.1")[0], 400, "the address's anonymous budget is whole (%d)" % i)
    check_429(*anon_post("10.0.4.1"))


# -- item: admin pages take the session cookie alone ------------------------

def test_admin_pages_refuse_a_bearer_token():
    eq(S.get("/api/auth/me/", token=TOK["boss"]).status, 200, "the token works on the API")
    for path in ("/admin/users/", "/admin/", "/admin/tasks/"):
        r = S.get(path, token=TOK["boss"])
        eq(r.status, 302, "a staff token on %s is anonymous" % path)
        eq(r.header("Location"), "/admin/login/?next=" + path.replace("/", "%2F"),
           "to login")
    r = S.request("POST", "/admin/users/add/", token=TOK["boss"],
                  raw=b"username=viatoken&password1=x&password2=x",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    eq(r.status, 302, "a form post with a token is anonymous too")
    with S.connect() as c:
        eq(c.execute("SELECT count(*) FROM users WHERE username = 'viatoken'").fetchone()[0],
           0, "no user made")


def test_admin_pages_refuse_the_bot_scheme():
    bot = {"Authorization": "Bot " + SECRET, "X-Telegram-Id": "4242"}
    eq(S.get("/api/auth/me/", headers=bot).json["username"], "boss", "the bot scheme works")
    for path in ("/admin/users/", "/admin/lists/"):
        r = S.get(path, headers=bot)
        eq(r.status, 302, "the bot scheme as a staff member on %s is anonymous" % path)
        assert r.header("Location").startswith("/admin/login/?next="), r.header("Location")


def test_admin_page_with_cookie_and_a_header_acts_as_the_cookie():
    a = Admin(S)
    eq(a.login("boss").status, 302, "login")
    plain = S.login("plain", PW)
    r = S.get("/admin/users/", headers={"Cookie": a.cookie_header(),
                                         "Authorization": "Bearer " + plain})
    eq(r.status, 200, "the session cookie decides, not the (non-staff) token")
    r = S.get("/admin/users/", headers={"Cookie": a.cookie_header(),
                                         "Authorization": "Bearer not-a-token"})
    eq(r.status, 200, "a bad token on an admin page is not a 401 either")


# -- item: the csrftoken cookie is the session's CSRF token ------------------

def set_cookie(r, name):
    for v in r.header_all("Set-Cookie"):
        if v.startswith(name + "="):
            return v
    return None


def api_post(a, csrf):
    h = {"Cookie": a.cookie_header()}
    if csrf is not None:
        h["X-CSRFToken"] = csrf
    return S.post("/api/lists/", {"name": "via cookie %s" % (csrf or "")[:6]}, headers=h)


def test_csrftoken_cookie_after_login_works_as_x_csrftoken():
    a = Admin(S)
    pre = a.get("/admin/login/")
    pre_token = a.cookies["csrftoken"]
    c = set_cookie(pre, "csrftoken")
    assert "HttpOnly" not in c, "scripts may read it: %r" % c
    r = a.login("boss")
    eq(r.status, 302, "login")
    c = set_cookie(r, "csrftoken")
    assert c is not None, "login sets the csrftoken cookie: %r" % r.headers
    attrs = [x.strip() for x in c.split(";")[1:]]
    assert "HttpOnly" not in attrs, c
    for attr in ("SameSite=Lax", "Path=/"):
        assert attr in attrs, c
    assert "Secure" not in attrs, "plain HTTP: %r" % c
    token = a.cookies["csrftoken"]
    assert token != pre_token, "a new token at login"
    # the admin pages' own forms carry the same token
    page = a.get("/admin/lists/add/")
    eq(a.csrf(page), token, "csrfmiddlewaretoken is the cookie's token")
    r = api_post(a, token)
    eq(r.status, 201, "POST with the session cookie and X-CSRFToken from the cookie: %r" % r)
    r = api_post(a, token[:-1] + ("A" if token[-1] != "A" else "B"))
    eq(r.status, 403, "a wrong token")
    eq(r.json["detail"], "CSRF Failed: CSRF token missing or incorrect.", "CSRF body")
    eq(api_post(a, None).status, 403, "no token")
    eq(api_post(a, pre_token).status, 403, "the pre-session token is not the session's")
    # an admin form still posts with it
    with S.connect() as db:
        boss = db.execute("SELECT id FROM users WHERE username = 'boss'").fetchone()[0]
    r = a.post("/admin/lists/add/", {"name": "form list", "owner": str(boss)})
    eq(r.status, 302, "saved: %r" % r)
    with S.connect() as db:
        n = db.execute("SELECT count(*) FROM lists WHERE name = 'form list'").fetchone()[0]
    eq(n, 1, "the admin form's post went through with the token")


def test_csrftoken_cookie_rotates_at_every_login():
    a = Admin(S)
    eq(a.login("boss").status, 302, "first login")
    first = a.cookies["csrftoken"]
    eq(api_post(a, first).status, 201, "first token works")
    r = a.post("/admin/login/", {"username": "boss", "password": PW}, csrf=first)
    eq(r.status, 302, "second login")
    second = a.cookies["csrftoken"]
    assert second != first, "rotated"
    eq(api_post(a, first).status, 403, "the old token no longer works")
    eq(api_post(a, second).status, 201, "the new one does")


if __name__ == "__main__":
    run_tests(globals())
