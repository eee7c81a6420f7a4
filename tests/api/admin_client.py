"""A tiny form-posting browser for the admin pages: keeps cookies, reads the
CSRF token out of the page, posts urlencoded forms.  Standard library only."""
import html
import re
import urllib.parse

PW = "correct-horse-battery"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Admin:
    def __init__(self, srv):
        self.srv = srv
        self.cookies = {}
        self.last = None
        self.token = None

    def _absorb(self, r):
        for v in r.header_all("Set-Cookie"):
            nv = v.split(";", 1)[0]
            k, _, val = nv.partition("=")
            if "Max-Age=0" in v or "expires=Thu, 01 Jan 1970" in v.lower() or val == "":
                self.cookies.pop(k.strip(), None)
            else:
                self.cookies[k.strip()] = val
        self.last = r
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]*)"', r.body)
        if m:
            self.token = html.unescape(m.group(1).decode())
        return r

    def cookie_header(self):
        return "; ".join("%s=%s" % kv for kv in self.cookies.items())

    def get(self, path):
        h = {"Cookie": self.cookie_header()} if self.cookies else {}
        return self._absorb(self.srv.request("GET", path, headers=h))

    def post(self, path, fields, csrf=True):
        """Posts fields (a dict or a list of pairs); csrf=True adds the token
        of the last page seen, a string adds that token."""
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf is True:
            pairs.append(("csrfmiddlewaretoken", self.csrf()))
        elif csrf:
            pairs.append(("csrfmiddlewaretoken", csrf))
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.cookies:
            h["Cookie"] = self.cookie_header()
        body = urllib.parse.urlencode(pairs).encode()
        return self._absorb(self.srv.request("POST", path, raw=body, headers=h))

    def csrf(self, r=None):
        """The token of page r, else the last one seen."""
        if r is None:
            assert self.token, "no csrf token seen yet"
            return self.token
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]*)"', r.body.decode())
        assert m, "no csrf token in %r" % r
        return html.unescape(m.group(1))

    def login(self, username, password=PW, next=None):
        self.get("/admin/login/")
        f = {"username": username, "password": password}
        if next is not None:
            f["next"] = next
        return self.post("/admin/login/", f)


def text(r):
    return r.body.decode("utf-8")


def check_security_headers(r):
    for k, v in SECURITY_HEADERS.items():
        if r.header(k) != v:
            raise AssertionError("%s: got %r, want %r" % (k, r.header(k), v))
    if r.status != 302:
        ct = r.header("Content-Type")
        if ct != "text/html; charset=utf-8":
            raise AssertionError("content type %r" % ct)


def db(srv):
    return srv.connect()


def register(srv, name, password=PW):
    r = srv.post("/api/auth/register/", {"username": name, "password": password,
                                         "confirm_password": password})
    assert r.status == 201, r
    return r.json["user_id"]
