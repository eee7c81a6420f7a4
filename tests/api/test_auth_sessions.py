#!/usr/bin/env python3
"""Admin session cookies (with CSRF), rate limits and the purge of expired rows,
through real nginx + spawn-fcgi."""
import hashlib
import os
import secrets
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402

S = None
PW = "correct-horse-battery"


def setup_module():
    global S
    S = Server(workers=2).start()
    S.create_user("admin", PW)
    register("carol")
    register("dave")


def teardown_module():
    S.stop()


def register(name, srv=None):
    srv = srv or S
    r = srv.post("/api/auth/register/", {"username": name, "password": PW,
                                         "confirm_password": PW})
    eq(r.status, 201, "register %s: %r" % (name, r))
    return r.json["user_id"]


def db(srv=None):
    c = (srv or S).connect()
    return c


def uid(name):
    with db() as c:
        return c.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()[0]


def make_session(name, ttl=3600, srv=None):
    """A session row as the admin login makes it: the id only as SHA-256."""
    sid = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = int(time.time() * 1e6)
    with db(srv) as c:
        u = c.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()[0]
        c.execute("INSERT INTO sessions (digest, user_id, csrf, expires_at, created_at)"
                  " VALUES (?, ?, ?, ?, ?)",
                  (hashlib.sha256(sid.encode()).digest(), u, csrf, now + ttl * 1000000, now))
    return sid, csrf


def cookie(sid):
    return {"Cookie": "other=1; sessionid=%s" % sid}


def test_cookie_authenticates():
    sid, _ = make_session("carol")
    r = S.get("/api/auth/me/", headers=cookie(sid))
    eq(r.status, 200, "me by cookie")
    eq(r.json["username"], "carol", "user")


def test_bad_or_expired_cookie_is_anonymous():
    r = S.get("/api/auth/me/", headers=cookie("x" * 43))
    eq(r.status, 401, "unknown cookie on a protected route")
    eq(r.json, {"detail": "Authentication credentials were not provided."}, "body")
    r = S.get("/api/auth/me/", headers=cookie("garbage"))
    eq(r.status, 401, "malformed cookie")
    sid, _ = make_session("carol", ttl=-10)
    eq(S.get("/api/auth/me/", headers=cookie(sid)).status, 401, "expired session")
    # an open endpoint still works with a bad cookie
    r = S.post("/api/auth/token/", {"username": "carol", "password": PW},
               headers=cookie("x" * 43))
    eq(r.status, 200, "login with a stale cookie")


def test_bearer_wins_over_cookie():
    sid, _ = make_session("carol")
    tok = S.login("dave", PW)
    r = S.get("/api/auth/me/", token=tok, headers=cookie(sid))
    eq(r.json["username"], "dave", "bearer user")
    r = S.get("/api/auth/me/", token="y" * 43, headers=cookie(sid))
    eq(r.status, 401, "bad bearer with a good cookie")
    eq(r.json["code"], "token_not_valid", "code")


def test_csrf_required_for_unsafe_methods_by_cookie():
    sid, csrf = make_session("carol")
    r = S.post("/api/auth/token/", {"username": "carol", "password": PW})
    refresh = r.json["refresh"]
    r = S.post("/api/auth/logout/", {"refresh_token": refresh}, headers=cookie(sid))
    eq(r.status, 403, "no CSRF header")
    assert r.json["detail"].startswith("CSRF Failed: "), r.json
    h = cookie(sid)
    h["X-CSRFToken"] = "z" * 43
    eq(S.post("/api/auth/logout/", {"refresh_token": refresh}, headers=h).status, 403,
       "wrong CSRF token")
    # GET needs no CSRF token
    eq(S.get("/api/auth/me/", headers=cookie(sid)).status, 200, "GET by cookie")
    h["X-CSRFToken"] = csrf
    r = S.post("/api/auth/logout/", {"refresh_token": refresh}, headers=h)
    eq(r.status, 200, "logout with CSRF")
    # logout by cookie ends the session and clears the cookie
    sc = r.header("Set-Cookie")
    assert sc and sc.startswith("sessionid=;") and "Max-Age=0" in sc, sc
    assert "HttpOnly" in sc and "SameSite=Lax" in sc and "Path=/" in sc, sc
    eq(S.get("/api/auth/me/", headers=cookie(sid)).status, 401, "session ended")


def test_logout_by_bearer_ends_the_session_sent_along():
    sid, _ = make_session("dave")
    r = S.post("/api/auth/token/", {"username": "dave", "password": PW})
    pair = r.json
    r = S.post("/api/auth/logout/", {"refresh_token": pair["refresh"]},
               token=pair["access"], headers=cookie(sid))
    eq(r.status, 200, "logout")
    eq(S.get("/api/auth/me/", headers=cookie(sid)).status, 401, "session ended")


def test_inactive_users_session_refused():
    register("erin")
    sid, _ = make_session("erin")
    eq(S.get("/api/auth/me/", headers=cookie(sid)).status, 200, "active")
    with db() as c:
        c.execute("UPDATE users SET is_active = 0 WHERE username = 'erin'")
    eq(S.get("/api/auth/me/", headers=cookie(sid)).status, 401, "inactive")


def insert_expired_rows(srv):
    """Five expired tokens and sessions; returns the time used."""
    now = int(time.time() * 1e6)
    with db(srv) as c:
        u = c.execute("SELECT id FROM users").fetchone()[0]
        for i in range(5):
            c.execute("INSERT INTO auth_tokens (digest, kind, user_id, family,"
                      " expires_at, created_at) VALUES (?, 2, ?, 1, ?, ?)",
                      (os.urandom(32), u, now - 1000, now - 5000))
            c.execute("INSERT INTO sessions (digest, user_id, csrf, expires_at,"
                      " created_at) VALUES (?, ?, 'c', ?, ?)",
                      (os.urandom(32), u, now - 1000, now - 5000))
    return now


def test_expired_rows_are_purged():
    srv = Server(workers=1).start()
    try:
        srv.create_user("root", PW)
        now = insert_expired_rows(srv)
        tok = srv.login("root", PW)   # a throttled route runs the purge
        eq(srv.get("/api/auth/me/", token=tok).status, 200, "me")
        with db(srv) as c:
            eq(c.execute("SELECT count(*) FROM auth_tokens WHERE expires_at < ?",
                         (now,)).fetchone()[0], 0, "expired tokens left")
            eq(c.execute("SELECT count(*) FROM sessions").fetchone()[0], 0, "sessions left")
            eq(c.execute("SELECT count(*) FROM auth_tokens").fetchone()[0], 2, "live pair kept")
    finally:
        srv.stop()


def test_admin_pages_alone_purge_expired_rows():
    srv = Server(workers=1).start()
    try:
        srv.create_user("root", PW)
        now = insert_expired_rows(srv)
        eq(srv.get("/admin/login/").status, 200, "admin login page")
        with db(srv) as c:
            eq(c.execute("SELECT count(*) FROM auth_tokens WHERE expires_at < ?",
                         (now,)).fetchone()[0], 0, "expired tokens left")
            eq(c.execute("SELECT count(*) FROM sessions").fetchone()[0], 0, "sessions left")
    finally:
        srv.stop()


def check_429(r, limit_seconds):
    eq(r.status, 429, "throttled: %r" % r)
    n = int(r.header("Retry-After"))
    assert 1 <= n <= limit_seconds, n
    unit = "second" if n == 1 else "seconds"
    eq(r.json, {"detail": "Request was throttled. Expected available in %d %s." % (n, unit)},
       "429 body")


def test_throttle_anon_per_address_shared_by_processes():
    srv = Server(workers=2, config={"throttle_anon": "3/minute",
                                    "throttle_user": "5/minute"}).start()
    try:
        srv.create_user("root", PW)
        tok = srv.login("root", PW)                           # anonymous request 1
        for i in range(2):                                    # 2 and 3
            eq(srv.post("/api/auth/token/refresh/", {}).status, 400, "anon %d" % i)
        check_429(srv.post("/api/auth/token/refresh/", {}), 60)
        # a header a client can forge does not make a new client
        check_429(srv.post("/api/auth/token/refresh/", {},
                           headers={"X-Forwarded-For": "10.1.2.3",
                                    "X-Real-IP": "10.1.2.3"}), 60)
        eq(srv.get("/api/health/").status, 200, "health is not throttled")
        # an authenticated user has an own budget
        for i in range(5):
            eq(srv.get("/api/auth/me/", token=tok).status, 200, "user %d" % i)
        check_429(srv.get("/api/auth/me/", token=tok), 60)
    finally:
        srv.stop()


def test_throttle_login_per_username_from_any_address():
    srv = Server(workers=2, config={"throttle_login": "2/hour"}).start()
    try:
        srv.create_user("victim", PW)
        srv.create_user("other", PW)
        for i in range(2):
            r = srv.post("/api/auth/token/", {"username": "victim", "password": "guess%d" % i})
            eq(r.status, 401, "guess %d" % i)
        # the right password, another spelling of the name: still throttled
        check_429(srv.post("/api/auth/token/", {"username": "VICTIM", "password": PW}), 3600)
        eq(srv.post("/api/auth/token/", {"username": "other", "password": PW}).status, 200,
           "another user is not affected")
    finally:
        srv.stop()


if __name__ == "__main__":
    run_tests(globals())
