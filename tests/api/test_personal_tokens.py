#!/usr/bin/env python3
"""Personal API tokens (/api/auth/tokens/): the token shown once and stored
only hashed; Authorization: Bearer tmpat_...; a read token cannot write;
no personal token on /api/auth/* or /api/webhooks/*; expired and revoked
tokens answer 401 like any bad token, and failures are throttled; at most
50 a user; last_used_at written at most once a minute; a password change or
a deactivation (API, admin, CLI) ends them all; the admin user page lists
and revokes them."""
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP_SRCDIR, Server, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, db, register, text  # noqa: E402

S = None
REFUSED = {"detail": "This token does not allow this action."}
BAD = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}


def setup_module():
    global S
    S = Server(fake_clock=True).start()
    S.create_user("root")


def teardown_module():
    S.stop()


def make(token, name="script", scopes=("read", "write"), **kw):
    body = dict(name=name, scopes=list(scopes), **kw)
    r = S.post("/api/auth/tokens/", body, token=token)
    eq(r.status, 201, "POST /api/auth/tokens/ %r: %r" % (body, r.body))
    return r.json


def user(name):
    register(S, name)
    return S.login(name, PW)


def test_create_answers_the_secret_once_and_stores_a_digest():
    t = user("ann")
    p = make(t, "deploy bot", ["read"], expires_at="2099-01-01T00:00:00Z")
    eq(sorted(p), ["created_at", "expires_at", "id", "last_used_at", "name", "prefix",
                   "scopes", "token"], "keys")
    assert re.fullmatch(r"tmpat_[A-Za-z0-9_-]{43}", p["token"]), p["token"]
    eq((p["name"], p["scopes"], p["expires_at"], p["last_used_at"], p["prefix"]),
       ("deploy bot", ["read"], "2099-01-01T00:00:00.000000Z", None, p["token"][:10]),
       "fields")
    listed = S.get("/api/auth/tokens/", token=t).json
    eq(listed["count"], 1, "count")
    item = listed["results"][0]
    eq("token" in item, False, "the secret is never listed")
    eq({k: item[k] for k in ("id", "name", "prefix")},
       {k: p[k] for k in ("id", "name", "prefix")}, "listed")
    c = db(S)
    digest = c.execute("SELECT digest FROM personal_tokens WHERE id = ?", (p["id"],)).fetchone()[0]
    c.close()
    eq(bytes(digest), hashlib.sha256(p["token"].encode()).digest(), "SHA-256 of the token")
    assert p["token"].encode() not in S.db_bytes(), "the secret is not in the database"


def test_read_token_reads_but_cannot_write():
    t = user("bea")
    lid = S.post("/api/lists/", {"name": "L"}, token=t).json["id"]
    task = S.post("/api/lists/%d/tasks/" % lid, {"name": "T"}, token=t).json
    ro = make(t, "ro", ["read"])["token"]
    eq(S.get("/api/lists/%d/" % lid, token=ro).status, 200, "GET with a read token")
    eq(S.get("/api/tasks/%d/" % task["id"], token=ro).json["name"], "T", "reads the task")
    for method, path, body in (
            ("POST", "/api/lists/", {"name": "M"}),
            ("PUT", "/api/lists/%d/" % lid, {"name": "N", "updated_at": "x"}),
            ("PATCH", "/api/tasks/%d/" % task["id"], {"name": "U"}),
            ("DELETE", "/api/tasks/%d/" % task["id"], None),
            ("POST", "/api/tasks/%d/complete/" % task["id"], None)):
        r = S.request(method, path, body, token=ro)
        eq((r.status, r.json), (403, REFUSED), "%s %s with a read token" % (method, path))
    eq(S.get("/api/tasks/%d/" % task["id"], token=t).json["name"], "T", "nothing changed")
    rw = make(t, "rw")["token"]
    eq(S.post("/api/lists/", {"name": "M"}, token=rw).status, 201, "a write token writes")


def auth_routes():
    """(method, path) of every route under /api/auth/ or /api/webhooks/ that
    looks at credentials (fcgi/api/routes.c), with {id} as 1."""
    with open(os.path.join(TOP_SRCDIR, "fcgi", "api", "routes.c")) as f:
        src = f.read()
    out = []
    for methods, path, flags in re.findall(
            r'\{\s*(M_[A-Z_ |]+?),\s*"([^"]*)",\s*\w+,\s*([^}]*?)\s*\}', src):
        if not re.match(r"/api/(auth|webhooks)/", path) or "R_NO_AUTH" in flags:
            continue
        for m in methods.split("|"):
            out.append((m.strip()[2:], path.replace("{id}", "1")))
    assert len(out) >= 10, out
    return out


def test_no_personal_token_on_accounts_tokens_or_webhooks():
    t = user("cid")
    rw = make(t, "all", ["read", "write"])["token"]
    for method, path in auth_routes():
        body = {} if method in ("POST", "PUT", "PATCH") else None
        r = S.request(method, path, body, token=rw)
        eq((r.status, r.json), (403, REFUSED), "%s %s with a personal token" % (method, path))
    eq(S.get("/api/auth/tokens/", token=t).json["count"], 1, "no token was made")
    eq(S.get("/api/auth/me/", token=t).status, 200, "the login token still works")


def test_validation():
    t = user("dan")
    for body, field in (({"scopes": ["read"]}, "name"),
                        ({"name": "  ", "scopes": ["read"]}, "name"),
                        ({"name": "x"}, "scopes"),
                        ({"name": "x", "scopes": []}, "scopes"),
                        ({"name": "x", "scopes": ["write"]}, "scopes"),
                        ({"name": "x", "scopes": ["read", "admin"]}, "scopes"),
                        ({"name": "x", "scopes": ["read", "read"]}, "scopes"),
                        ({"name": "x", "scopes": "read"}, "scopes"),
                        ({"name": "x", "scopes": ["read"], "expires_at": "soon"}, "expires_at"),
                        ({"name": "x", "scopes": ["read"],
                          "expires_at": "2001-01-01T00:00:00Z"}, "expires_at")):
        r = S.post("/api/auth/tokens/", body, token=t)
        eq((r.status, list(r.json)), (400, [field]), "POST %r" % body)
    eq(S.get("/api/auth/tokens/", token=t).json["count"], 0, "none made")


def test_at_most_50_tokens():
    t = user("eve")
    for i in range(50):
        make(t, "t%d" % i, ["read"])
    r = S.post("/api/auth/tokens/", {"name": "one more", "scopes": ["read"]}, token=t)
    eq((r.status, r.json), (400, {"non_field_errors": ["A user can have at most 50 tokens."]}),
       "the 51st")
    page = S.get("/api/auth/tokens/?limit=100", token=t).json
    eq((page["count"], len(page["results"])), (50, 50), "50 listed")
    eq(page["results"][0]["name"], "t49", "newest first")
    S.request("DELETE", "/api/auth/tokens/%d/" % page["results"][0]["id"], token=t)
    make(t, "after a revoke", ["read"])


def test_expired_token_answers_401():
    t = user("fay")
    p = make(t, "short", ["read"], expires_at="2099-01-01T00:00:00Z")
    soon = S.post("/api/auth/tokens/", {"name": "soon", "scopes": ["read"],
                                        "expires_at": iso_in(3600)}, token=t).json
    eq(S.get("/api/lists/", token=soon["token"]).status, 200, "before its expiry")
    S.set_clock(3601)
    try:
        r = S.get("/api/lists/", token=soon["token"])
        eq((r.status, r.json), (401, BAD), "after its expiry")
        eq(r.header("WWW-Authenticate"), 'Bearer realm="api"', "WWW-Authenticate")
        eq(S.get("/api/lists/", token=p["token"]).status, 200, "another token still works")
    finally:
        S.set_clock(0)


def iso_in(seconds):
    import datetime
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_revoked_token_answers_401():
    t = user("gil")
    other = user("hal")
    p = make(t, "gone", ["read"])
    r = S.request("DELETE", "/api/auth/tokens/%d/" % p["id"], token=other)
    eq(r.status, 404, "another user's token is not found")
    eq(S.get("/api/lists/", token=p["token"]).status, 200, "still works")
    eq(S.request("DELETE", "/api/auth/tokens/%d/" % p["id"], token=t).status, 204, "revoked")
    r = S.get("/api/lists/", token=p["token"])
    eq((r.status, r.json), (401, BAD), "after the revoke")
    eq(S.request("DELETE", "/api/auth/tokens/%d/" % p["id"], token=t).status, 404, "twice")
    for bad in ("tmpat_", "tmpat_" + "A" * 43, p["token"] + "x", p["token"][:-1]):
        eq(S.get("/api/lists/", token=bad).json, BAD, "unknown %r" % bad)


def used_at(token_id):
    c = db(S)
    v = c.execute("SELECT last_used_at FROM personal_tokens WHERE id = ?",
                  (token_id,)).fetchone()[0]
    c.close()
    return v


def test_last_used_at_is_written_at_most_once_a_minute():
    t = user("ida")
    p = make(t, "used", ["read"])
    eq(used_at(p["id"]), None, "never used")
    S.get("/api/lists/", token=p["token"])
    first = used_at(p["id"])
    assert first is not None, "set at the first use"
    try:
        S.set_clock(30)
        S.get("/api/lists/", token=p["token"])
        eq(used_at(p["id"]), first, "not written again within a minute")
        S.set_clock(61)
        S.get("/api/lists/", token=p["token"])
        later = used_at(p["id"])
        assert later > first + 60e6, (first, later)
    finally:
        S.set_clock(0)
    listed = S.get("/api/auth/tokens/", token=t).json["results"][0]
    assert listed["last_used_at"] is not None, listed


def works(tok):
    return S.get("/api/lists/", token=tok).status == 200


def test_password_change_and_deactivation_end_them_all():
    a = Admin(S)
    a.login("root")
    # the admin's password form
    t = user("jon")
    toks = [make(t, "a", ["read"])["token"], make(t, "b")["token"]]
    uid = S.get("/api/auth/me/", token=t).json["id"]
    a.get("/admin/users/%d/password/" % uid)
    r = a.post("/admin/users/%d/password/" % uid, {"password1": "another-horse-staple",
                                                   "password2": "another-horse-staple"})
    eq(r.status, 302, "password set: %s" % text(r)[:300])
    eq([works(x) for x in toks], [False, False], "after the admin's password change")
    eq(S.get("/api/auth/tokens/", token=S.login("jon", "another-horse-staple")).json["count"],
       0, "none left")
    # the CLI's passwd
    t = user("kim")
    tok = make(t, "c")["token"]
    S.cli("passwd", "kim", "--password-stdin", input="yet-another-horse\n", check=True)
    eq(works(tok), False, "after taskmgr passwd")
    # deactivation: the CLI, then the admin's edit form
    t = user("lea")
    tok = make(t, "d")["token"]
    S.cli("users", "--deactivate", "lea", check=True)
    eq(works(tok), False, "after taskmgr users --deactivate")
    S.cli("users", "--activate", "lea", check=True)
    eq(works(tok), False, "not back after reactivation")
    t = user("max")
    tok = make(t, "e")["token"]
    uid = S.get("/api/auth/me/", token=t).json["id"]
    a.get("/admin/users/%d/" % uid)
    r = a.post("/admin/users/%d/" % uid, {"email": ""})
    eq(r.status, 302, "deactivated: %s" % text(r)[:300])
    eq(works(tok), False, "after the admin's deactivation")
    c = db(S)
    n = c.execute("SELECT count(*) FROM personal_tokens t JOIN users u ON u.id = t.user_id"
                  " WHERE u.username IN ('jon', 'kim', 'lea', 'max')").fetchone()[0]
    c.close()
    eq(n, 0, "their rows are gone")


def test_admin_user_page_lists_and_revokes():
    t = user("ned")
    keep = make(t, "keep <me>", ["read"])
    drop = make(t, "drop me")
    uid = S.get("/api/auth/me/", token=t).json["id"]
    a = Admin(S)
    a.login("root")
    page = text(a.get("/admin/users/%d/" % uid))
    assert "keep &lt;me&gt;" in page and "drop me" in page, page
    assert keep["prefix"] in page and drop["prefix"] in page, "prefixes shown"
    assert keep["token"] not in page and drop["token"] not in page, "never the secret"
    path = "/admin/users/%d/tokens/%d/revoke/" % (uid, drop["id"])
    assert 'action="%s"' % path in page, page
    eq(a.post(path, {}, csrf=False).status, 403, "a revoke without the CSRF token")
    eq(works(drop["token"]), True, "not revoked then")
    a.get("/admin/users/%d/" % uid)
    r = a.post(path, {})
    eq((r.status, r.header("Location")), (302, "/admin/users/%d/?saved=1" % uid), "revoked")
    eq((works(drop["token"]), works(keep["token"])), (False, True), "only that one")
    a.get("/admin/users/%d/" % uid)
    eq(a.post("/admin/users/%d/tokens/%d/revoke/" % (uid + 1000, keep["id"]), {}).status, 404,
       "the token of another user id")
    eq(works(keep["token"]), True, "still works")


def test_failed_personal_tokens_are_throttled():
    with Server(config={"throttle_anon": "3/minute"}) as srv:
        codes = [srv.get("/api/lists/", token="tmpat_" + "B" * 43).status for _ in range(5)]
        eq(codes, [401, 401, 401, 429, 429], "bad personal tokens cost anonymous requests")


if __name__ == "__main__":
    run_tests(globals())
