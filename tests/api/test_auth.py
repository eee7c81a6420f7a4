#!/usr/bin/env python3
"""Accounts through real nginx + spawn-fcgi: register, login, refresh rotation and
reuse detection, blacklist, logout, me, user search, inactive users, the CLI."""
import os
import sys
import threading
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402

S = None
PW = "correct-horse-battery"
INVALID = {"detail": "Token is invalid or expired", "code": "token_not_valid"}
NO_ACCOUNT = {"detail": "No active account found with the given credentials"}
BAD_ACCESS = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}


def setup_module():
    global S
    S = Server(workers=2).start()
    S.create_user("admin", PW)


def teardown_module():
    S.stop()


def register(name, pw=PW, email=None, srv=None):
    body = {"username": name, "password": pw, "confirm_password": pw}
    if email is not None:
        body["email"] = email
    return (srv or S).post("/api/auth/register/", body)


def pair(name, pw=PW):
    r = S.post("/api/auth/token/", {"username": name, "password": pw})
    eq(r.status, 200, "login %s: %r" % (name, r))
    return r.json


def query(sql, *args):
    c = S.connect()
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


# -- register ----------------------------------------------------------------

def test_register_creates_a_plain_user_with_an_argon2id_hash():
    r = register("alice", email="alice@example.com")
    eq(r.status, 201, "status")
    eq(sorted(r.json), ["message", "user_id"], "keys")
    eq(r.json["message"], "User registered successfully", "message")
    row = query("SELECT id, is_staff, is_superuser, is_active, email, password"
                " FROM users WHERE username = 'alice'")[0]
    eq(row[0], r.json["user_id"], "id")
    eq(row[1:5], (0, 0, 1, "alice@example.com"), "flags")
    assert row[5].startswith("$argon2id$v=19$m=1024,t=1,p=1$"), row[5]
    pair("alice")


def test_register_email_is_optional():
    eq(register("noemail").status, 201, "absent")
    eq(register("blankemail", email="").status, 201, "blank")


def test_register_required_fields():
    r = S.post("/api/auth/register/", {})
    eq(r.status, 400, "status")
    req = ["This field is required."]
    eq(r.json, {"username": req, "password": req, "confirm_password": req}, "body")


def test_register_username_rules():
    bad = ["Enter a valid username. This value may contain only letters, numbers, "
           "and @/./+/-/_ characters."]
    for name in ("has space", "semi;colon", "slash/", "émoji😀"):
        r = register(name)
        eq(r.status, 400, name)
        eq(r.json, {"username": bad}, name)
    r = register("x" * 151)
    eq(r.json, {"username": ["Ensure this field has no more than 150 characters."]}, "long")
    r = register("")
    eq(r.json, {"username": ["This field may not be blank."]}, "blank")
    eq(register("ok.name+tag-1_@x").status, 201, "all allowed punctuation")
    eq(register("x" * 150).status, 201, "150 characters")
    eq(register("Ñandú").status, 201, "unicode letters")


def test_register_duplicate_username_in_another_case():
    eq(register("Bob").status, 201, "first")
    for name in ("bob", "BOB", "bOb"):
        r = register(name)
        eq(r.status, 400, name)
        eq(r.json, {"username": ["A user with that username already exists."]}, name)
    r = register("ñANDÚ")
    eq(r.json, {"username": ["A user with that username already exists."]}, "unicode case")


def test_register_concurrent_same_name_one_wins():
    results = []

    def go(name):
        results.append(register(name).status)

    ts = [threading.Thread(target=go, args=(n,)) for n in ("racer", "RACER", "Racer", "rAcer")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    eq(sorted(results), [201, 400, 400, 400], "one winner")
    eq(query("SELECT count(*) FROM users WHERE username_key = 'racer'")[0][0], 1, "one row")


def test_register_email_must_be_valid():
    for e in ("nope", "a@", "@b.com", "a@b", "a b@c.com", "a@-b.com", "a..b@c.com"):
        r = register("mail%d" % abs(hash(e)), email=e)
        eq(r.status, 400, e)
        eq(r.json, {"email": ["Enter a valid email address."]}, e)
    eq(register("mailok", email="first.last+tag@sub.example.org").status, 201, "good email")


def test_register_password_rules():
    def errs(name, pw, email=None):
        r = register(name, pw, email)
        eq(r.status, 400, "%s/%s" % (name, pw))
        return r.json["password"]

    eq(errs("pw1", "xK9#m2p"), ["This password is too short. It must contain at least 8 characters."],
       "short")
    got = errs("pw2", "8302749165")
    assert "This password is entirely numeric." in got, got
    eq(errs("pw3", "password123"), ["This password is too common."], "common")
    eq(errs("pw4", "qwerty123"), ["This password is too common."], "common 2")
    eq(errs("zanzibar", "zanzibar-77x"), ["The password is too similar to the username."],
       "similar to username")
    eq(errs("pw5", "Oswaldo-1988x", email="oswaldo@example.com"),
       ["The password is too similar to the email address."], "similar to email")
    got = errs("pw6", "12345678")
    eq(got, ["This password is too common.", "This password is entirely numeric."], "both")
    r = S.post("/api/auth/register/", {"username": "pw7", "password": PW,
                                       "confirm_password": PW + "x"})
    eq(r.status, 400, "mismatch")
    eq(r.json, {"password": ["Passwords do not match."]}, "mismatch body")
    eq(query("SELECT count(*) FROM users WHERE username LIKE 'pw%'")[0][0], 0, "none created")


# -- login ---------------------------------------------------------------------

def test_login_same_401_for_wrong_password_unknown_and_inactive_user():
    eq(register("ivan").status, 201, "ivan")
    a = S.post("/api/auth/token/", {"username": "ivan", "password": "wrong-pass-1"})
    b = S.post("/api/auth/token/", {"username": "nobody-here", "password": "wrong-pass-1"})
    eq(a.status, 401, "wrong password")
    eq(b.status, 401, "unknown user")
    eq(a.json, NO_ACCOUNT, "wrong password body")
    eq(b.body, a.body, "same body")
    eq(b.header("WWW-Authenticate"), a.header("WWW-Authenticate"), "same header")
    S.cli("users", "--deactivate", "ivan", check=True)
    c = S.post("/api/auth/token/", {"username": "ivan", "password": PW})
    eq(c.status, 401, "inactive")
    eq(c.body, a.body, "inactive body")


def test_login_rehashes_a_hash_of_older_cost():
    S.cli("createsuperuser", "--username", "oldcost", "--password-stdin", input=PW + "\n",
          env={"TASKMGR_ARGON2_T_COST": "2"}, check=True)
    before = query("SELECT password FROM users WHERE username = 'oldcost'")[0][0]
    assert "$m=1024,t=2,p=1$" in before, before
    pair("oldcost")
    after = query("SELECT password FROM users WHERE username = 'oldcost'")[0][0]
    assert "$m=1024,t=1,p=1$" in after, after
    pair("oldcost")


def test_tokens_are_random_opaque_and_stored_only_hashed():
    eq(register("tina").status, 201, "tina")
    p1, p2 = pair("tina"), pair("tina")
    toks = [p1["access"], p1["refresh"], p2["access"], p2["refresh"]]
    eq(len(set(toks)), 4, "all different")
    for t in toks:
        assert len(t) >= 43, t     # 256 bits in base64url
    r = S.post("/api/auth/token/refresh/", {"refresh": p1["refresh"]})
    toks += [r.json["access"], r.json["refresh"]]
    S.get("/api/auth/me/", token=r.json["access"])
    data = S.db_bytes()
    log = S.log_text()
    for t in toks:
        assert t.encode() not in data, "token in the database in clear"
        assert t not in log, "token in the log"
    assert PW.encode() not in data and PW not in log, "password in clear"
    eq(query("SELECT count(*) FROM auth_tokens WHERE length(digest) != 32")[0][0], 0,
       "digests are SHA-256")


# -- refresh -------------------------------------------------------------------

def test_refresh_rotates():
    eq(register("rita").status, 201, "rita")
    p = pair("rita")
    r = S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]})
    eq(r.status, 200, "refresh")
    eq(sorted(r.json), ["access", "access_expires_in", "refresh", "refresh_expires_at"], "keys")
    assert r.json["refresh"] != p["refresh"] and r.json["access"] != p["access"]
    eq(S.get("/api/auth/me/", token=r.json["access"]).json["username"], "rita", "new access")
    # the old refresh token stops working (and that reuse ends the login)
    r2 = S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]})
    eq(r2.status, 401, "old refresh")
    eq(r2.json, INVALID, "old refresh body")


def test_refresh_reuse_revokes_the_whole_login():
    eq(register("rudy").status, 201, "rudy")
    other = pair("rudy")               # another login of the same user
    p = pair("rudy")
    n1 = S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]}).json
    n2 = S.post("/api/auth/token/refresh/", {"refresh": n1["refresh"]}).json
    eq(S.get("/api/auth/me/", token=n2["access"]).status, 200, "live before reuse")
    # an attacker replays the first refresh token
    eq(S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]}).json, INVALID, "reuse")
    for t in (p["access"], n1["access"], n2["access"]):
        r = S.get("/api/auth/me/", token=t)
        eq(r.status, 401, "access of the revoked login")
        eq(r.json, BAD_ACCESS, "body")
    eq(S.post("/api/auth/token/refresh/", {"refresh": n2["refresh"]}).json, INVALID,
       "newest refresh of the revoked login")
    # the other login is untouched
    eq(S.get("/api/auth/me/", token=other["access"]).status, 200, "other login access")
    eq(S.post("/api/auth/token/refresh/", {"refresh": other["refresh"]}).status, 200,
       "other login refresh")


def test_refresh_errors():
    r = S.post("/api/auth/token/refresh/", {})
    eq(r.status, 400, "missing")
    eq(r.json, {"refresh": ["This field is required."]}, "missing body")
    for bad in ("junk", "A" * 43, pair("admin")["access"]):
        r = S.post("/api/auth/token/refresh/", {"refresh": bad})
        eq(r.status, 401, "bad refresh %r" % bad)
        eq(r.json, INVALID, "body")
        eq(r.header("WWW-Authenticate"), 'Bearer realm="api"', "header")


def test_concurrent_refresh_only_one_wins():
    eq(register("cora").status, 201, "cora")
    p = pair("cora")
    out = []

    def go():
        out.append(S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]}).status)

    ts = [threading.Thread(target=go) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    eq(sorted(out), [200, 401, 401, 401], "exactly one rotation")


# -- blacklist and logout ------------------------------------------------------

def test_blacklist():
    eq(register("bella").status, 201, "bella")
    p = pair("bella")
    r = S.post("/api/auth/token/blacklist/", {"refresh": p["refresh"]})
    eq(r.status, 200, "blacklist")
    eq(r.json, {}, "body")
    eq(S.get("/api/auth/me/", token=p["access"]).status, 401, "its access token")
    eq(S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]}).json, INVALID, "refresh")
    eq(S.post("/api/auth/token/blacklist/", {"refresh": p["refresh"]}).json, INVALID, "twice")
    eq(S.post("/api/auth/token/blacklist/", {}).json,
       {"refresh": ["This field is required."]}, "missing")


def test_logout():
    eq(register("leo").status, 201, "leo")
    p = pair("leo")
    r = S.post("/api/auth/logout/", {"refresh_token": p["refresh"]})
    eq(r.status, 401, "anonymous")
    r = S.post("/api/auth/logout/", {}, token=p["access"])
    eq(r.status, 400, "missing")
    eq(r.json, {"error": "Refresh token is required"}, "missing body")
    r = S.post("/api/auth/logout/", {"refresh_token": "nope"}, token=p["access"])
    eq(r.json, {"error": "Invalid token"}, "unknown")
    # someone else's refresh token is not one of the caller's
    q = pair("admin")
    r = S.post("/api/auth/logout/", {"refresh_token": q["refresh"]}, token=p["access"])
    eq(r.json, {"error": "Invalid token"}, "other user's token")
    eq(S.get("/api/auth/me/", token=q["access"]).status, 200, "other user's login intact")
    r = S.post("/api/auth/logout/", {"refresh_token": p["refresh"]}, token=p["access"])
    eq(r.status, 200, "logout")
    eq(r.json, {"message": "Successfully logged out"}, "body")
    r = S.get("/api/auth/me/", token=p["access"])
    eq(r.status, 401, "access token revoked")
    eq(r.json, BAD_ACCESS, "revoked body")
    eq(S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]}).json, INVALID, "refresh")


# -- me and users ------------------------------------------------------------

def test_me():
    r = S.get("/api/auth/me/")
    eq(r.status, 401, "anonymous")
    eq(r.json, {"detail": "Authentication credentials were not provided."}, "401 body")
    eq(register("mona", email="mona@example.com").status, 201, "mona")
    r = S.get("/api/auth/me/", token=pair("mona")["access"])
    eq(r.status, 200, "me")
    b = r.json
    eq(sorted(b), ["daily_digest_at", "date_joined", "email", "id", "is_staff",
                   "reminder_offsets", "telegram_linked", "time_zone", "username"], "keys")
    eq((b["username"], b["email"], b["is_staff"], b["telegram_linked"]),
       ("mona", "mona@example.com", False, False), "values")
    assert b["date_joined"].endswith("Z") and len(b["date_joined"]) == 27, b
    eq(S.get("/api/auth/me/", token=pair("admin")["access"]).json["is_staff"], True, "staff")


def test_users_search():
    for n in ("Sam_One", "samXone", "sam.two", "Samuel", "gone_sam"):
        eq(register(n).status, 201, n)
    S.cli("users", "--deactivate", "gone_sam", check=True)
    tok = pair("admin")["access"]
    eq(S.get("/api/users/").status, 401, "anonymous")

    def names(q):
        r = S.get("/api/users/?search=" + q, token=tok)
        eq(r.status, 200, q)
        return [x["username"] for x in r.json["results"]]

    eq(names("sam"), ["sam.two", "Sam_One", "Samuel", "samXone"], "substring, active only, by name")
    eq(names("SAM_"), ["Sam_One"], "underscore literal")
    eq(names("m%25t"), [], "percent literal")
    eq(names("%25"), [], "percent alone")
    eq(names("UEL"), ["Samuel"], "case-insensitive")
    eq(names(urllib.parse.quote("ñandú")), ["Ñandú"], "unicode case-insensitive")
    r = S.get("/api/users/?search=sam&limit=2", token=tok)
    eq(r.json["count"], 4, "count")
    eq([sorted(x) for x in r.json["results"]], [["id", "username"]] * 2, "fields")
    assert r.json["next"].endswith("offset=2") and "search=sam" in r.json["next"], r.json
    eq(S.get("/api/users/?limit=-1", token=tok).status, 400, "bad limit")
    r = S.get("/api/users/", token=tok)
    assert "gone_sam" not in [x["username"] for x in r.json["results"]], "inactive listed"


# -- inactive users ------------------------------------------------------------

def test_inactive_user_tokens_refused():
    eq(register("otto").status, 201, "otto")
    p = pair("otto")
    eq(S.get("/api/auth/me/", token=p["access"]).status, 200, "active")
    p2 = S.cli("users", "--deactivate", "OTTO")
    eq(p2.returncode, 0, p2.stderr)
    r = S.get("/api/auth/me/", token=p["access"])
    eq(r.status, 401, "access refused")
    eq(r.json, BAD_ACCESS, "body")
    eq(S.post("/api/auth/token/refresh/", {"refresh": p["refresh"]}).json, INVALID, "refresh")
    eq(S.post("/api/auth/token/", {"username": "otto", "password": PW}).json, NO_ACCOUNT,
       "login")
    # reactivated: the old tokens stay dead, a new login works
    S.cli("users", "--activate", "otto", check=True)
    eq(S.get("/api/auth/me/", token=p["access"]).status, 401, "old token still refused")
    pair("otto")


# -- CLI -----------------------------------------------------------------------

def test_cli_help_and_usage():
    p = S.cli("--help")
    for cmd in ("passwd", "users"):
        assert cmd in p.stdout, cmd
        q = S.cli(cmd, "--help")
        eq(q.returncode, 0, cmd + " --help")
        assert q.stdout.startswith("usage: taskmgr"), q.stdout
    eq(S.cli("passwd").returncode, 2, "passwd without a name")
    eq(S.cli("passwd", "a", "b").returncode, 2, "passwd with two names")
    eq(S.cli("passwd", "a", "--bogus").returncode, 2, "passwd unknown option")
    eq(S.cli("users", "--deactivate").returncode, 2, "deactivate without a name")
    eq(S.cli("users", "--bogus").returncode, 2, "users unknown option")


def test_cli_passwd():
    eq(register("pete").status, 201, "pete")
    p = pair("pete")
    q = S.cli("passwd", "nobody-at-all", "--password-stdin", input="a-new-password-9\n")
    eq(q.returncode, 1, "unknown user")
    assert "no user named" in q.stderr, q.stderr
    q = S.cli("passwd", "pete", "--password-stdin", input="password123\n")
    eq(q.returncode, 1, "weak password")
    assert "This password is too common." in q.stderr, q.stderr
    q = S.cli("passwd", "PETE", "--password-stdin", input="a-new-password-9\n")
    eq(q.returncode, 0, q.stderr)
    eq(S.post("/api/auth/token/", {"username": "pete", "password": PW}).status, 401, "old pw")
    pair("pete", "a-new-password-9")
    eq(S.get("/api/auth/me/", token=p["access"]).status, 401, "old login ended")


def test_cli_users_list_and_deactivate():
    q = S.cli("users")
    eq(q.returncode, 0, q.stderr)
    lines = q.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "USERNAME", "ACTIVE"], lines[0]
    rows = {ln.split()[1]: ln.split() for ln in lines[1:]}
    eq(rows["admin"][2:4], ["yes", "yes"], "admin active staff")
    eq(rows["gone_sam"][2], "no", "deactivated user listed as inactive")
    q = S.cli("users", "--deactivate", "no-such-user")
    eq(q.returncode, 1, "unknown user")


def test_cli_createsuperuser_applies_password_rules():
    q = S.cli("createsuperuser", "--username", "weakboss", "--password-stdin",
              input="12345678\n")
    eq(q.returncode, 1, "weak")
    assert "This password is too common." in q.stderr, q.stderr
    assert "This password is entirely numeric." in q.stderr, q.stderr
    q = S.cli("createsuperuser", "--username", "weakboss", "--password-stdin",
              input="weakboss2024\n")
    eq(q.returncode, 1, "similar")
    assert "too similar to the username" in q.stderr, q.stderr
    eq(query("SELECT count(*) FROM users WHERE username = 'weakboss'")[0][0], 0, "not created")


if __name__ == "__main__":
    run_tests(globals())
