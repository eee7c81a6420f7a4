#!/usr/bin/env python3
"""Usernames and the limiter keys that depend on them: a name is trimmed
(DRF's CharField), stored in NFKC form, refused when it mixes scripts, and
looked up by its NFKC case fold (dotless i as i), so look-alikes of an
existing name are refused and every spelling that finds a user counts against
one login budget; the anonymous limit keys IPv6 clients by their /64."""
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests, schema_before, sqlite_only  # noqa: E402
from fcgi_client import fcgi_request  # noqa: E402
from admin_client import Admin, PW, text  # noqa: E402

S = None
EXISTS = {"username": ["A user with that username already exists."]}
MIXED = {"username": ["Enter a username in one script: letters from different "
                      "alphabets (such as Latin and Cyrillic) cannot be mixed."]}
BLANK = {"username": ["This field may not be blank."]}
FULLWIDTH_ADMIN = "\uff41\uff44\uff4d\uff49\uff4e"      # ａｄｍｉｎ
CYRILLIC_A_ADMIN = "\u0430dmin"                         # аdmin
DOTLESS_ADMIN = "adm\u0131n"                            # admın


def setup_module():
    global S
    S = Server(workers=2).start()
    S.create_user("admin", PW)


def teardown_module():
    S.stop()


def register(name, srv=None):
    return (srv or S).post("/api/auth/register/", {"username": name, "password": PW,
                                                   "confirm_password": PW})


def token(name, srv=None):
    return (srv or S).post("/api/auth/token/", {"username": name, "password": PW})


def me(r, srv=None):
    eq(r.status, 200, "login: %r" % r)
    return (srv or S).get("/api/auth/me/", token=r.json["access"]).json["username"]


def query(srv, sql, *args):
    c = srv.connect()
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def test_look_alikes_of_an_existing_name_are_refused():
    for name, want in ((FULLWIDTH_ADMIN, EXISTS), (CYRILLIC_A_ADMIN, MIXED),
                       (DOTLESS_ADMIN, EXISTS), ("ADM\u0130N", EXISTS)):
        r = register(name)
        eq(r.status, 400, ascii(name))
        eq(r.json, want, ascii(name))
    eq(query(S, "SELECT count(*) FROM users")[0][0], 1, "no look-alike was stored")


def test_mixed_scripts_are_refused_single_scripts_allowed():
    for name in ("\u0441\u0430\u0448\u0430x", "p\u03b1ul", "bob\u0661"):   # Cyrl+x, Greek alpha, Arabic digit
        r = register(name)
        eq(r.status, 400, ascii(name))
        eq(r.json, MIXED, ascii(name))
    for name in ("\u0441\u0430\u0448\u0430_42", "\u5c71\u7530\u305f\u308d\u3046",
                 "\u03c0\u03b1\u03cd\u03bb\u03bf\u03c2.7"):
        eq(register(name).status, 201, ascii(name))


def test_stored_name_is_nfkc_and_every_spelling_logs_in():
    eq(register("\uff42\uff45\uff54\uff54\uff59").status, 201, "full-width betty")
    eq(query(S, "SELECT username FROM users WHERE username_key = 'betty'"), [("betty",)],
       "stored in NFKC form")
    eq(register("Cafe\u0301").status, 201, "decomposed accent")
    eq(query(S, "SELECT username FROM users WHERE username_key = 'caf\u00e9'"),
       [("Caf\u00e9",)], "composed when stored")
    eq(me(token("BETTY")), "betty", "by another case")
    eq(me(token("\uff42\uff45\uff54\uff54\uff59")), "betty", "by the full-width spelling")
    eq(me(token(FULLWIDTH_ADMIN)), "admin", "full-width admin is admin")
    eq(me(token(DOTLESS_ADMIN)), "admin", "dotless-i admin is admin")
    eq(token(CYRILLIC_A_ADMIN).status, 401, "a Cyrillic letter is another name")


def test_username_is_trimmed_like_drf():
    r = register("  carol\t ")
    eq(r.status, 201, "padded name")
    eq(query(S, "SELECT username FROM users WHERE id = ?", r.json["user_id"]), [("carol",)],
       "stored trimmed")
    eq(register(" carol").json, EXISTS, "the trimmed name exists")
    eq(me(token("\u00a0carol\n")), "carol", "login trims too")
    for blank in ("   ", "\t\n", "\u3000"):
        r = register(blank)
        eq(r.status, 400, "register %r" % blank)
        eq(r.json, BLANK, "register %r" % blank)
        r = token(blank)
        eq(r.status, 400, "login %r" % blank)
        eq(r.json, BLANK, "login %r" % blank)


def test_users_search_uses_the_fold():
    tok = token("admin").json["access"]
    r = S.get("/api/users/?search=%EF%BC%A1%EF%BC%A4%EF%BC%AD", token=tok)   # ＡＤＭ
    eq(r.status, 200, "search")
    eq([u["username"] for u in r.json["results"]], ["admin"], "full-width search")


def test_admin_add_user_form_applies_the_rules():
    a = Admin(S)
    eq(a.login("admin").status, 302, "admin login")
    a.get("/admin/users/add/")
    for name, want in ((FULLWIDTH_ADMIN, "already exists"), (DOTLESS_ADMIN, "already exists"),
                       (CYRILLIC_A_ADMIN, "in one script")):
        r = a.post("/admin/users/add/", {"username": name, "password1": PW, "password2": PW,
                                         "is_active": "on"})
        eq(r.status, 200, ascii(name))
        assert want in text(r), (ascii(name), text(r)[:2000])
    r = a.post("/admin/users/add/", {"username": " \uff44\uff41\uff56\uff45 ",
                                     "password1": PW, "password2": PW, "is_active": "on"})
    eq(r.status, 302, "full-width dave added")
    eq(query(S, "SELECT username FROM users WHERE username_key = 'dave'"), [("dave",)],
       "stored trimmed, in NFKC form")


def test_cli_applies_the_rules():
    p = S.cli("createsuperuser", "--username", CYRILLIC_A_ADMIN, "--password-stdin",
              input=PW + "\n")
    eq(p.returncode, 1, "mixed scripts refused")
    assert "one script" in p.stderr, p.stderr
    p = S.cli("createsuperuser", "--username", DOTLESS_ADMIN, "--password-stdin",
              input=PW + "\n")
    eq(p.returncode, 1, "look-alike refused: %r" % p.stderr)
    assert "already exists" in p.stderr, p.stderr
    p = S.cli("createsuperuser", "--username", "\uff52\uff4f\uff4f\uff54\uff12",
              "--password-stdin", input=PW + "\n")
    eq(p.returncode, 0, p.stderr)
    assert "'root2'" in p.stdout, p.stdout
    p = S.cli("passwd", "ＲＯＯＴ２", "--password-stdin", input="another-horse-battery\n")
    eq(p.returncode, 0, "passwd finds root2 by a full-width spelling: %r" % p.stderr)


def test_login_limit_counts_case_variants_of_a_long_cyrillic_name():
    srv = Server(workers=2, config={"throttle_login": "3/hour"}).start()
    try:
        name = "\u0436" * 150                                   # 300 bytes of UTF-8
        eq(register(name, srv).status, 201, "a 150-letter Cyrillic name")
        variants = [name.upper(), "\u0416" + name[1:], name[:-1] + "\u0416",
                    "\u0416\u0436" * 75, name]
        for i, v in enumerate(variants[:3]):
            r = srv.post("/api/auth/token/", {"username": v, "password": "guess-%d" % i})
            eq(r.status, 401, "wrong password %d" % i)
        for v in variants[3:]:
            r = srv.post("/api/auth/token/", {"username": v, "password": PW})
            eq(r.status, 429, "the limit holds for every case variant")
        eq(token("\u0437" * 150, srv).status, 401, "another long name has its own budget")
    finally:
        srv.stop()


def anon(srv, addr):
    """An anonymous request from addr, straight to the responders' socket."""
    body = b"{}"
    st, _ = fcgi_request(srv.sock, [
        ("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/api/auth/token/refresh/"),
        ("SCRIPT_NAME", "/api/auth/token/refresh/"), ("SERVER_PORT", "80"),
        ("HTTP_HOST", "127.0.0.1"), ("REMOTE_ADDR", addr),
        ("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", str(len(body)))], body)
    return st


def test_anonymous_limit_keys_ipv6_by_64():
    srv = Server(workers=2, config={"throttle_anon": "2/minute"}).start()
    try:
        eq([anon(srv, "2001:db8:1:2::1"), anon(srv, "2001:db8:1:2::2")], [400, 400],
           "two addresses of one /64 within the limit")
        eq(anon(srv, "2001:db8:1:2:ffff:ffff:ffff:fffe"), 429, "a third address of that /64")
        eq(anon(srv, "2001:db8:1:3::1"), 400, "another /64 has its own budget")
        eq([anon(srv, "::ffff:192.0.2.9"), anon(srv, "::ffff:192.0.2.9")], [400, 400],
           "IPv4-mapped")
        eq(anon(srv, "192.0.2.9"), 429, "an IPv4-mapped address is its IPv4 address")
    finally:
        srv.stop()


def admin_login_from(srv, addr, csrf, form_tok):
    """A failed admin login posted from addr, straight to the responders' socket."""
    body = urllib.parse.urlencode({"username": "nobody", "password": "wrong-password",
                                   "csrfmiddlewaretoken": form_tok}).encode()
    st, _ = fcgi_request(srv.sock, [
        ("REQUEST_METHOD", "POST"), ("REQUEST_URI", "/admin/login/"),
        ("SCRIPT_NAME", "/admin/login/"), ("SERVER_PORT", "80"),
        ("HTTP_HOST", "127.0.0.1"), ("REMOTE_ADDR", addr),
        ("HTTP_REFERER", "http://127.0.0.1/admin/login/"), ("HTTP_ORIGIN", "http://127.0.0.1"),
        ("HTTP_COOKIE", "csrftoken=" + csrf),
        ("CONTENT_TYPE", "application/x-www-form-urlencoded"),
        ("CONTENT_LENGTH", str(len(body)))], body)
    return st


def test_admin_login_address_limit_keys_ipv6_by_64():
    srv = Server(workers=1, config={"throttle_anon": "2/minute"}).start()
    try:
        a = Admin(srv)
        a.get("/admin/login/")
        csrf, form_tok = a.cookies["csrftoken"], a.csrf()
        eq([admin_login_from(srv, "2001:db8:5:6::1", csrf, form_tok),
            admin_login_from(srv, "2001:db8:5:6::2", csrf, form_tok)], [200, 200],
           "two failed logins from one /64")
        eq(admin_login_from(srv, "2001:db8:5:6:1:2:3:4", csrf, form_tok), 429,
           "a third address of that /64")
        eq(admin_login_from(srv, "2001:db8:5:7::1", csrf, form_tok), 200,
           "another /64 has its own budget")
    finally:
        srv.stop()


def test_anonymous_limit_through_nginx_on_ipv6():
    srv = Server(workers=1, ipv6=True, config={"throttle_anon": "2/minute"}).start()
    try:
        for i in range(2):
            eq(srv.post("/api/auth/token/refresh/", {}).status, 400, "request %d" % i)
        r = srv.post("/api/auth/token/refresh/", {})
        eq(r.status, 429, "::1's /64 is throttled")
        eq(anon(srv, "::2"), 429, "another address of ::/64 shares its budget")
    finally:
        srv.stop()


def test_migration_recomputes_keys_and_keeps_the_oldest_of_a_collision():
    sqlite_only("SQLite's migration of an older SQLite file")
    # a database at schema 11, as the migrations up to 011 made it (later
    # migrations are not undone by hand: rewinding user_version would
    # re-apply them over what they made)
    srv = Server(workers=1, migrate=False).start()
    try:
        c = schema_before(srv.db, 12)
        # keys as the old fold (towlower) made them
        rows = [("Admin", "admin"), (FULLWIDTH_ADMIN, FULLWIDTH_ADMIN),
                (DOTLESS_ADMIN, DOTLESS_ADMIN), ("\u0416\u0423\u041a", "\u0436\u0443\u043a"),
                ("Stra\u00dfe", "stra\u00dfe")]
        for name, key in rows:
            c.execute("INSERT INTO users (username, username_key, password, date_joined)"
                      " VALUES (?, ?, '', 0)", (name, key))
        c.execute("PRAGMA user_version = 11")
        c.commit()
        c.close()
        p = srv.cli("migrate")
        eq(p.returncode, 0, "migrate: %r" % p.stdout)
        assert "applying 012_username_nfkc_keys ... ok" in p.stdout, p.stdout
        got = query(srv, "SELECT id, username, username_key FROM users ORDER BY id")
        eq([k for _, _, k in got],
           ["admin", "admin#2", "admin#3", "\u0436\u0443\u043a", "strasse"], "keys")
        eq(query(srv, "PRAGMA user_version")[0][0] >= 12, True, "version")
        deadline = time.time() + 10     # the responder notices the new schema
        while time.time() < deadline and srv.get("/api/health/").status != 200:
            time.sleep(0.1)
        srv.cli("passwd", "ADMIN", "--password-stdin", input=PW + "\n", check=True)
        eq(me(token("admin", srv), srv), "Admin", "the oldest keeps the name")
        srv.create_user("boss", PW)
        a = Admin(srv)
        eq(a.login("boss").status, 302, "admin login")
        page = text(a.get("/admin/users/?q=%23"))
        for name in (FULLWIDTH_ADMIN, DOTLESS_ADMIN):
            assert name in page, "the admin's search for # lists %s" % ascii(name)
        assert "Stra\u00dfe" not in page and "\u0416\u0423\u041a" not in page, page
    finally:
        srv.stop()


if __name__ == "__main__":
    run_tests(globals())
