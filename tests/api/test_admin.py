#!/usr/bin/env python3
"""Admin pages: login and logout, CSRF, staff only, open redirects, security
headers, the index and the user pages, through real nginx + spawn-fcgi."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, check_security_headers, db, register, text  # noqa: E402

S = None
EVIL = "<script>alert(1)</script>"
QUOTES = "\"'&<>"


def setup_module():
    global S
    S = Server(workers=2).start()
    S.create_user("boss", PW)
    S.create_user("retired", PW)
    register(S, "plain")
    with db(S) as c:
        c.execute("UPDATE users SET is_active = 0 WHERE username = 'retired'")


def teardown_module():
    S.stop()


def uid(name):
    with db(S) as c:
        return c.execute("SELECT id FROM users WHERE username = ?", (name,)).fetchone()[0]


def logged_in():
    a = Admin(S)
    r = a.login("boss")
    eq(r.status, 302, "login: %r" % r)
    return a


def test_anonymous_is_sent_to_login_with_next():
    for path, nxt in (("/admin/", "/admin/"), ("/admin/users/", "/admin/users/"),
                      ("/admin/users/1/?x=1&y=%3C", "/admin/users/1/?x=1&y=%3C")):
        r = S.get(path)
        eq(r.status, 302, path)
        loc = r.header("Location")
        assert loc.startswith("/admin/login/?next="), loc
        from urllib.parse import unquote
        eq(unquote(loc.split("next=", 1)[1]), nxt, "next of " + path)
        check_security_headers(r)
    r = S.get("/admin")
    eq(r.status, 302, "the prefix without its slash")


def test_login_page_headers_and_csrf_cookie():
    a = Admin(S)
    r = a.get("/admin/login/?next=/admin/users/")
    eq(r.status, 200, "status")
    check_security_headers(r)
    assert "csrftoken" in a.cookies, r.headers
    eq(a.csrf(), a.cookies["csrftoken"], "double-submit token in the form")
    assert 'name="next" value="/admin/users/"' in text(r), text(r)
    for v in r.header_all("Set-Cookie"):
        # not HttpOnly, as Django's: a script sends it back as X-CSRFToken
        assert "HttpOnly" not in v and "SameSite=Lax" in v, v
    assert "<style" not in text(r) and "<script" not in text(r) and "style=" not in text(r)


def test_login_refused_without_matching_csrf():
    a = Admin(S)
    r = a.post("/admin/login/", {"username": "boss", "password": PW}, csrf=False)
    eq(r.status, 403, "no cookie, no field")
    assert "CSRF verification failed" in text(r)
    check_security_headers(r)
    a.get("/admin/login/")
    r = a.post("/admin/login/", {"username": "boss", "password": PW}, csrf="x" * 43)
    eq(r.status, 403, "field differs from the cookie")
    r = a.post("/admin/login/", {"username": "boss", "password": PW}, csrf=False)
    eq(r.status, 403, "cookie without field")
    assert "sessionid" not in a.cookies


def test_wrong_password_non_staff_and_inactive_same_message():
    msgs = []
    for user, pw in (("boss", "wrong-password-1"), ("nobody", PW), ("plain", PW),
                     ("retired", PW)):
        a = Admin(S)
        r = a.login(user, pw)
        eq(r.status, 200, user)
        check_security_headers(r)
        assert "sessionid" not in a.cookies, user
        m = re.search(r'role="alert">([^<]*)<', text(r))
        assert m, text(r)
        msgs.append(m.group(1))
        assert 'value="%s"' % user in text(r), "typed username kept"
    eq(len(set(msgs)), 1, "one message for every refusal: %r" % msgs)
    assert "staff account" in msgs[0], msgs[0]


def test_login_sets_session_and_rotates_it():
    a = Admin(S)
    r = a.login("boss")
    eq(r.status, 302, "status")
    eq(r.header("Location"), "/admin/", "to the index")
    first = a.cookies["sessionid"]
    cookie = [v for v in r.header_all("Set-Cookie") if v.startswith("sessionid=")][0]
    for attr in ("HttpOnly", "SameSite=Lax", "Path=/"):
        assert attr in cookie, cookie
    eq(a.get("/admin/").status, 200, "index with the session")
    eq(a.get("/admin/login/").header("Location"), "/admin/", "logged in: no login form")
    r = a.post("/admin/login/", {"username": "boss", "password": PW},
               csrf=a.cookies["csrftoken"])
    eq(r.status, 302, "second login")
    assert a.cookies["sessionid"] != first, "rotated"
    b = Admin(S)
    b.cookies["sessionid"] = first
    eq(b.get("/admin/").status, 302, "the old session id no longer works")
    eq(a.get("/admin/").status, 200, "the new one does")


def test_next_honoured_only_for_local_paths():
    a = Admin(S)
    eq(a.login("boss", next="/admin/users/?q=b").header("Location"), "/admin/users/?q=b",
       "local next")
    for bad in ("//evil.example/", "/\\evil.example/", "http://evil.example/",
                "https://evil.example/admin/", "evil.example", "/\t/evil.example",
                "javascript:alert(1)", "/admin/\r\nX-Evil: 1"):
        a = Admin(S)
        r = a.login("boss", next=bad)
        eq(r.status, 302, repr(bad))
        eq(r.header("Location"), "/admin/", "refused next %r" % bad)
    a = Admin(S)
    r = a.get("/admin/login/?next=//evil.example/")
    assert "evil" not in text(r), "a foreign next is not even put in the form"


def test_logout_needs_post_and_csrf():
    a = logged_in()
    eq(a.get("/admin/logout/").status, 405, "GET logout")
    a.get("/admin/")
    r = a.post("/admin/logout/", {}, csrf=False)
    eq(r.status, 403, "no token")
    r = a.post("/admin/logout/", {}, csrf="x" * 43)
    eq(r.status, 403, "wrong token")
    eq(a.get("/admin/").status, 200, "still logged in")
    sid = a.cookies["sessionid"]
    r = a.post("/admin/logout/", {})
    eq(r.status, 200, "logout")
    check_security_headers(r)
    assert "Logged out" in text(r)
    assert "sessionid" not in a.cookies, a.cookies
    b = Admin(S)
    b.cookies["sessionid"] = sid
    eq(b.get("/admin/").status, 302, "the session is gone")


def test_session_csrf_token_is_not_the_login_token():
    a = Admin(S)
    a.get("/admin/login/")
    pre = a.cookies["csrftoken"]
    eq(a.login("boss").status, 302, "login")
    r = a.get("/admin/users/")
    tok = a.csrf(r)
    assert tok != pre, "forms carry the session's token"
    eq(tok, a.cookies.get("csrftoken"), "which the csrftoken cookie holds from login on")
    r = a.post("/admin/users/add/", {"username": "x1", "password1": PW, "password2": PW},
               csrf=pre)
    eq(r.status, 403, "the pre-session cookie token does not authorise a change")


def test_every_page_answers_with_headers():
    a = logged_in()
    me = uid("boss")
    for path in ("/admin/", "/admin/users/", "/admin/users/?q=bo&o=-email&p=1",
                 "/admin/users/add/", "/admin/users/%d/" % me,
                 "/admin/users/%d/password/" % me):
        r = a.get(path)
        eq(r.status, 200, path)
        check_security_headers(r)
        assert "<script" not in text(r) and "style=" not in text(r), path
    for path in ("/admin/users/999999/", "/admin/users/999999/password/"):
        r = a.get(path)
        eq(r.status, 404, path)
        check_security_headers(r)
    eq(a.get("/admin/users/abc/").status, 404, "not an id")


def test_unknown_pages_and_methods_are_html_errors():
    a = logged_in()
    for path in ("/admin/nothing/", "/admin/users", "/admin/users/1/x/"):
        r = a.get(path)
        eq(r.status, 404, path)
        check_security_headers(r)
        assert "Not found" in text(r)
    r = S.get("/admin/nothing/")
    eq(r.status, 404, "anonymous too")
    check_security_headers(r)
    r = S.request("DELETE", "/admin/users/")
    eq(r.status, 405, "DELETE")
    check_security_headers(r)
    assert "GET" in r.header("Allow"), r.header("Allow")
    eq(S.get("/api/nothing/").header("Content-Type"), "application/json; charset=utf-8",
       "the API's 404 stays JSON")
    a.get("/admin/users/")
    eq(a.post("/admin/users/999999/unlink-telegram/", {}).status, 404, "no such user")


def test_non_staff_session_is_sent_to_login():
    a = logged_in()
    with db(S) as c:
        c.execute("UPDATE users SET is_staff = 0 WHERE username = 'plain'")
    # a staff member demoted while logged in
    b = Admin(S)
    S.create_user("demoted", PW)
    eq(b.login("demoted").status, 302, "login while staff")
    with db(S) as c:
        c.execute("UPDATE users SET is_staff = 0 WHERE username = 'demoted'")
    r = b.get("/admin/users/")
    eq(r.status, 302, "no longer staff")
    r = b.get(r.header("Location"))
    assert "not authorized" in text(r), text(r)
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]*)"', text(r))
    eq(len(tokens), 2, "the header's logout form and the login form")
    eq(tokens[1], b.cookies["csrftoken"], "the login form carries the cookie's token")
    eq(tokens[0], tokens[1], "which is the session's from login on (the logout form's)")
    eq(b.post("/admin/logout/", {}, csrf=tokens[0]).status, 200, "logout from there works")
    eq(a.get("/admin/users/").status, 200, "others unaffected")


def test_user_add_errors_keep_values():
    a = logged_in()
    a.get("/admin/users/add/")
    r = a.post("/admin/users/add/", {"username": "bad name!", "email": "not-an-email",
                                     "password1": PW, "password2": "other", "is_staff": "on"})
    eq(r.status, 200, "form again")
    t = text(r)
    assert "Enter a valid username" in t, t
    assert "Enter a valid email address." in t
    assert 'value="bad name!"' in t and 'value="not-an-email"' in t, "typed values kept"
    assert re.search(r'name="is_staff" value="on" checked', t), "checkbox kept"
    assert PW not in t, "passwords are never echoed"
    r = a.post("/admin/users/add/", {"username": "boss", "password1": PW, "password2": PW})
    assert "A user with that username already exists." in text(r)
    r = a.post("/admin/users/add/", {"username": "newbie", "password1": "12345678",
                                     "password2": "12345678"})
    eq(r.status, 200, "weak password refused")
    assert 'class="error"' in text(r)
    r = a.post("/admin/users/add/", {"username": "newbie", "email": "n@example.org",
                                     "password1": PW, "password2": PW,
                                     "is_active": "on"})
    eq(r.status, 302, "created: %r" % r)
    with db(S) as c:
        row = c.execute("SELECT email, is_staff, is_active FROM users WHERE username = 'newbie'"
                        ).fetchone()
    eq(row, ("n@example.org", 0, 1), "row")
    r = a.get(r.header("Location"))
    eq(r.status, 200, "edit page")
    assert "The change was saved." in text(r)


def test_user_edit_and_own_lockout_refused():
    a = logged_in()
    nid = uid("newbie")
    a.get("/admin/users/%d/" % nid)
    r = a.post("/admin/users/%d/" % nid, {"email": "bad@", "is_active": "on"})
    eq(r.status, 200, "error")
    assert "Enter a valid email address." in text(r) and 'value="bad@"' in text(r)
    r = a.post("/admin/users/%d/" % nid, {"email": "new@example.org", "is_staff": "on"})
    eq(r.status, 302, "saved")
    with db(S) as c:
        eq(c.execute("SELECT email, is_staff, is_active FROM users WHERE id = ?", (nid,)
                     ).fetchone(), ("new@example.org", 1, 0), "row")
    me = uid("boss")
    a.get("/admin/users/%d/" % me)
    r = a.post("/admin/users/%d/" % me, {"email": ""})
    eq(r.status, 200, "own staff and active refused")
    assert "You cannot remove your own staff status." in text(r)
    with db(S) as c:
        eq(c.execute("SELECT is_staff, is_active FROM users WHERE id = ?", (me,)).fetchone(),
           (1, 1), "unchanged")


def test_deactivating_ends_sessions_and_password_reset():
    S.create_user("victim", PW)
    v = Admin(S)
    eq(v.login("victim").status, 302, "victim logs in")
    token = S.login("victim")
    a = logged_in()
    vid = uid("victim")
    a.get("/admin/users/%d/password/" % vid)
    r = a.post("/admin/users/%d/password/" % vid, {"password1": "x", "password2": "y"})
    assert "didn" in text(r), text(r)
    r = a.post("/admin/users/%d/password/" % vid,
               {"password1": "another-good-passphrase", "password2": "another-good-passphrase"})
    eq(r.status, 302, "password set")
    eq(v.get("/admin/").status, 302, "victim's session ended")
    eq(S.get("/api/auth/me/", token=token).status, 401, "victim's token revoked")
    eq(Admin(S).login("victim", "another-good-passphrase").status, 302, "new password works")


def test_unlink_telegram():
    a = logged_in()
    pid = uid("plain")
    with db(S) as c:
        c.execute("UPDATE users SET telegram_id = 424242 WHERE id = ?", (pid,))
    r = a.get("/admin/users/%d/" % pid)
    assert "424242" in text(r) and "Unlink Telegram" in text(r)
    r = a.post("/admin/users/%d/unlink-telegram/" % pid, {}, csrf=False)
    eq(r.status, 403, "without CSRF")
    r = a.post("/admin/users/%d/unlink-telegram/" % pid, {})
    eq(r.status, 302, "unlinked")
    with db(S) as c:
        eq(c.execute("SELECT telegram_id FROM users WHERE id = ?", (pid,)).fetchone(),
           (None,), "NULL")


def test_search_and_ordering_and_escaping():
    a = logged_in()
    r = a.get("/admin/users/?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    eq(r.status, 200, "search")
    t = text(r)
    assert EVIL not in t, "reflected unescaped"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in t
    r = a.get("/admin/users/?q=%22%27%26%3C%3E")
    assert QUOTES not in text(r) and "&quot;&#39;&amp;&lt;&gt;" in text(r)
    r = a.get("/admin/users/?q=BOS")
    assert ">boss</a>" in text(r) and ">plain</a>" not in text(r), "case-insensitive search"
    r = a.get("/admin/users/?o=-username")
    names = re.findall(r'<th scope="row"[^>]*><a [^>]*>([^<]*)</a>', text(r))
    assert len(names) > 2, names
    eq(names, sorted(names, key=str.lower, reverse=True), "descending by username")
    assert 'href="?o=username"' in text(r), "a click reverses the ordering"


def test_pagination():
    for i in range(25):
        register(S, "pageuser%02d" % i)
    a = logged_in()
    r = a.get("/admin/users/?q=pageuser")
    t = text(r)
    eq(len(re.findall(r'<th scope="row"[^>]*>', t)), 20, "first page")
    assert ">25 users</span>" in t and 'href="?q=pageuser&amp;p=2"' in t, t
    r = a.get("/admin/users/?q=pageuser&p=2")
    eq(len(re.findall(r'<th scope="row"[^>]*>', text(r))), 5, "second page")
    eq(a.get("/admin/users/?p=abc").status, 200, "a bad page number is page 1")


def test_login_throttled():
    T = Server(workers=1, config={"throttle_login": "3/minute",
                                  "throttle_anon": "6/minute"}).start()
    try:
        T.create_user("boss", PW)
        a = Admin(T)
        for i in range(3):
            eq(a.login("boss", "wrong-%d" % i).status, 200, "attempt %d" % i)
        r = a.login("boss")
        eq(r.status, 429, "throttled even with the right password")
        assert "Too many login attempts" in text(r)
        assert int(r.header("Retry-After")) >= 1
        assert "sessionid" not in a.cookies
        eq(Admin(T).login("BOSS").status, 429, "per folded username")
        eq(Admin(T).login("someone").status, 200, "another name: refused, not throttled")
        r = Admin(T).login("someone-else")
        eq(r.status, 429, "the address's attempts are limited too (throttle_anon)")
        check_security_headers(r)
    finally:
        T.stop()


def test_other_admin_prefix():
    T = Server(workers=1, config={"admin_prefix": "/staff/"}).start()
    try:
        T.create_user("boss", PW)
        r = T.get("/staff/users/")
        eq(r.status, 302, "anonymous")
        eq(r.header("Location"), "/staff/login/?next=%2Fstaff%2Fusers%2F", "login under the prefix")
        eq(T.get("/admin/").header("Content-Type"), "application/json; charset=utf-8",
           "/admin/ is nothing special now")
        a = Admin(T)
        r = a.get("/staff/login/")
        assert 'action="/staff/login/"' in text(r), text(r)
        r = a.post("/staff/login/", {"username": "boss", "password": PW})
        eq(r.header("Location"), "/staff/", "to the index")
        r = a.get("/staff/")
        eq(r.status, 200, "index")
        assert 'href="/staff/tasks/"' in text(r) and "/admin/" not in text(r)
    finally:
        T.stop()


def test_index_counts():
    a = logged_in()
    r = a.get("/admin/")
    t = text(r)
    assert "Site administration" in t and "Recent changes" in t
    with db(S) as c:
        n = c.execute("SELECT count(*) FROM users").fetchone()[0]
    assert "<dt>All</dt><dd>%d</dd>" % n in t, t


def test_server_error_is_an_html_page_without_its_cause():
    srv = Server(workers=1).start()
    try:
        srv.create_user("boss", PW)
        a = Admin(srv)
        eq(a.login("boss").status, 302, "login")
        with db(srv) as c:
            c.execute("ALTER TABLE lists RENAME TO lists_gone")
        r = a.get("/admin/lists/")
        eq(r.status, 500, "broken table")
        eq(r.header("Content-Type"), "text/html; charset=utf-8", "an HTML page")
        check_security_headers(r)
        assert "Server error" in text(r), text(r)
        assert "lists_gone" not in text(r), text(r)
        assert "no such table" not in text(r), text(r)
        r = srv.get("/api/lists/", token=srv.login("boss", PW))
        eq(r.status, 500, "API too")
        eq(r.json, {"detail": "A server error occurred."}, "the API's 500 stays JSON")
    finally:
        srv.stop()


if __name__ == "__main__":
    run_tests(globals())
