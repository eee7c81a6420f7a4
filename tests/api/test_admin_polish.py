#!/usr/bin/env python3
"""The admin pages' rough edges and the site's root: deletions in the index's
recent changes, plural forms of counts, the favicon, times with their zone,
long names cut in tables with the whole name in a title, the page at `/`, and
the README's endpoint table against the router's, through real nginx +
spawn-fcgi."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP_SRCDIR, Server, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, check_security_headers, db, register, text  # noqa: E402

S = None
A = None
IDS = {}
TIME = re.compile(r"<time>([^<]*)</time>")


def setup_module():
    global S, A
    S = Server(workers=2).start()
    S.create_user("boss", PW)
    IDS["alice"] = register(S, "alice")
    A = Admin(S)
    eq(A.login("boss").status, 302, "login")


def teardown_module():
    S.stop()


def one(sql, *args):
    with db(S) as c:
        return c.execute(sql, args).fetchone()


def add_list(name, owner="alice", a=None):
    a = a or A
    a.get("/admin/lists/add/")
    r = a.post("/admin/lists/add/", {"name": name, "owner": str(IDS[owner])})
    eq(r.status, 302, "list %r: %r" % (name, r))
    return int(re.search(r"/lists/(\d+)/", r.header("Location")).group(1))


def add_task(list_id, name, a=None, **kw):
    a = a or A
    a.get("/admin/tasks/add/")
    f = {"list": str(list_id), "name": name, "description": "", "assigned_to": "",
         "complete_before": "", "status": "Pending"}
    f.update(kw)
    r = a.post("/admin/tasks/add/", f)
    eq(r.status, 302, "task %r: %r" % (name, text(r)[:2000]))
    return int(re.search(r"/tasks/(\d+)/", r.header("Location")).group(1))


def recent(a=None):
    """The index's recent changes, as the text of each item, newest first."""
    r = (a or A).get("/admin/")
    eq(r.status, 200, "index")
    items = re.findall(r"<li><span class=\"kind\">(.*?)</li>", text(r), re.S)
    return [re.sub(r"<[^>]*>", "", i) for i in items]


def test_index_shows_deleted_task_list_and_user_with_their_names():
    lid = add_list("Chores <&> \"q\"")
    tid = add_task(lid, "Sweep 'the' <floor>")
    add_task(lid, "Dust")
    A.get("/admin/tasks/%d/delete/" % tid)
    eq(A.post("/admin/tasks/%d/delete/" % tid, {}).status, 302, "task deleted")
    r = A.get("/admin/")
    assert "Deleted task 'Sweep &#39;the&#39; &lt;floor&gt;'" in text(r), text(r)
    items = recent()
    assert items[0].startswith("Task Deleted task"), items
    assert "Chores &lt;&amp;&gt; &quot;q&quot;" in items[0], "the list it was in: %r" % items
    assert "<floor>" not in text(r), "escaped"
    # a list deleted through the API: one line for the list, none for its tasks
    tok = S.login("boss")
    other = S.post("/api/lists/", {"name": "Old list"}, token=tok).json["id"]
    S.post("/api/lists/%d/tasks/" % other, {"name": "gone with it"}, token=tok)
    eq(S.request("DELETE", "/api/lists/%d/" % other, token=tok).status, 204, "API delete")
    items = recent()
    eq(items[0], "List Deleted list 'Old list' boss %s" % TIME.search(
        A.get("/admin/").body.decode()).group(1), "newest first, with its owner")
    assert not any("gone with it" in i for i in items), items
    # users have no delete page yet; whatever deletes one is recorded too
    uid = register(S, "leaver")
    S.post("/api/lists/", {"name": "Leaver's list"}, token=S.login("leaver", PW))
    with db(S) as c:
        c.execute("PRAGMA foreign_keys = ON")
        c.execute("DELETE FROM users WHERE id = ?", (uid,))
    items = recent()
    assert items[0].startswith("User Deleted user 'leaver'"), items
    assert not any("Leaver" in i for i in items), "its lists went with it: %r" % items
    eq(one("SELECT kind, name FROM deletions ORDER BY id DESC LIMIT 1"), ("user", "leaver"),
       "stored")


def test_deletions_keep_only_the_newest():
    lid = add_list("Many")
    with db(S) as c:
        c.executemany("INSERT INTO tasks (list_id, name, name_key, created_at, updated_at)"
                      " VALUES (?, ?, ?, 1, 1)", [(lid, "m%d" % i, "m%d" % i) for i in range(230)])
        # one statement deletes its rows in an order of the database's own:
        # the newest is the one deleted after them
        c.execute("DELETE FROM tasks WHERE list_id = ? AND name <> 'm229'", (lid,))
        c.execute("DELETE FROM tasks WHERE list_id = ?", (lid,))
    eq(one("SELECT count(*), max(id) - min(id) FROM deletions"), (200, 199),
       "the 200 newest rows")
    eq(one("SELECT name FROM deletions ORDER BY id DESC LIMIT 1"), ("m229",), "the newest kept")


def counts_in(t):
    return re.findall(r"\b(\d+) (tasks?|lists?|users?|rows?|more tasks?)\b", t)


def test_plural_forms_of_counts():
    lid = add_list("Plural")
    pages = []
    r = A.get("/admin/lists/%d/" % lid)
    assert ">0 tasks</a>" in text(r), text(r)
    add_task(lid, "p0")
    r = A.get("/admin/lists/%d/" % lid)
    assert ">1 task</a>" in text(r), text(r)
    pages.append(r)
    r = A.get("/admin/lists/%d/delete/" % lid)
    assert "<p>1 task in all.</p>" in text(r), text(r)
    pages.append(r)
    add_task(lid, "p1")
    r = A.get("/admin/lists/%d/" % lid)
    assert ">2 tasks</a>" in text(r), text(r)
    r = A.get("/admin/lists/?q=plural")
    assert '<span class="count">1 list</span>' in text(r), text(r)
    pages.append(r)
    r = A.get("/admin/users/?q=alice")
    assert '<span class="count">1 user</span>' in text(r), text(r)
    r = A.get("/admin/users/")
    assert re.search(r'<span class="count">[02-9]\d* users</span>', text(r)), text(r)
    r = A.get("/admin/tasks/?q=nothing-like-this")
    assert '<span class="count">0 tasks</span>' in text(r), text(r)
    r = A.get("/admin/tasks/?list=%d" % lid)
    assert '<span class="count">2 tasks</span>' in text(r), text(r)
    # one refused row of an inline edit
    tid = int(re.search(r'name="id" value="(\d+)"', text(r)).group(1))
    st = one("SELECT updated_at FROM tasks WHERE id = ?", tid)[0]
    r = A.post("/admin/tasks/?list=%d" % lid, [
        ("id", str(tid)), ("updated_at-%d" % tid, str(st)), ("orig_status-%d" % tid, "Pending"),
        ("orig_assigned_to-%d" % tid, ""), ("status-%d" % tid, "Bogus"),
        ("assigned_to-%d" % tid, "")])
    eq(r.status, 200, "refused")
    assert "please correct the 1 row marked below." in text(r), text(r)
    pages.append(r)
    # the delete page of a big list: "and N more tasks"
    big = add_list("Big plural")
    with db(S) as c:
        c.executemany("INSERT INTO tasks (list_id, name, name_key, created_at, updated_at)"
                      " VALUES (?, ?, ?, 1, 1)", [(big, "b%d" % i, "b%d" % i) for i in range(201)])
    r = A.get("/admin/lists/%d/delete/" % big)
    assert "and 1 more task</li>" in text(r) and "<p>201 tasks in all.</p>" in text(r), text(r)
    pages.append(r)
    for p in pages:
        for n, noun in counts_in(text(p)):
            eq(noun.endswith("s"), n != "1", "%s %s" % (n, noun))


def test_favicon_is_served_and_linked():
    for path in ("/favicon.ico", "/static/favicon.svg"):
        r = S.get(path)
        eq(r.status, 200, path)
        eq(r.header("Content-Type"), "image/svg+xml", path)
        eq(r.header("X-Content-Type-Options"), "nosniff", path)
        assert r.body.startswith(b"<svg ") and b"<script" not in r.body, r.body[:100]
    r = S.get("/favicon.ico")
    eq(r.header("Content-Security-Policy"), "default-src 'none'", "the icon runs nothing")
    link = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
    for path in ("/admin/", "/admin/tasks/"):
        assert link in text(A.get(path)), path
    assert link in text(Admin(S).get("/admin/login/")), "the login page"
    assert link in text(S.get("/")), "the root page"


def test_every_time_carries_its_zone():
    lid = add_list("Timed")
    tid = add_task(lid, "deadline", complete_before="2031-03-01T12:00")
    seen = 0
    for path in ("/admin/", "/admin/tasks/", "/admin/tasks/%d/" % tid, "/admin/lists/",
                 "/admin/lists/%d/" % lid, "/admin/users/", "/admin/users/%d/" % IDS["alice"]):
        for t in TIME.findall(text(A.get(path))):
            if t == "":
                continue    # no deadline
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", t), "%s: %r" % (path, t)
            seen += 1
    assert seen > 10, seen
    assert "<time>2031-03-01 12:00 UTC</time>" in text(A.get("/admin/tasks/?list=%d" % lid))
    assert "In the time zone UTC." in text(A.get("/admin/tasks/%d/" % tid))


def test_times_in_the_configured_zone_with_its_abbreviation():
    for zone, shown, iso in (("Europe/Moscow", "2031-03-01 15:00 MSK", "2031-03-01T12:00:00Z"),
                             ("America/New_York", "2031-07-01 08:00 EDT", "2031-07-01T12:00:00Z"),
                             ("Asia/Kathmandu", "2031-03-01 17:45 +0545", "2031-03-01T12:00:00Z")):
        with Server(workers=1, config={"time_zone": zone}) as s:
            s.create_user("boss", PW)
            tok = s.login("boss")
            lid = s.post("/api/lists/", {"name": "L"}, token=tok).json["id"]
            r = s.post("/api/lists/%d/tasks/" % lid, {"name": "t", "complete_before": iso},
                       token=tok)
            eq(r.status, 201, zone)
            a = Admin(s)
            a.login("boss")
            t = text(a.get("/admin/tasks/"))
            assert "<time>%s</time>" % shown in t, "%s: %r" % (zone, TIME.findall(t))
            assert "In the time zone %s." % zone in text(a.get("/admin/tasks/%d/" % r.json["id"]))


def test_long_names_cut_in_tables_whole_on_their_page():
    # 200 characters, two-byte ones and markup among them: never cut by the server
    name = ("Ünïcødé <b>&'\"" * 20)[:200]
    esc = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;").replace("'", "&#39;")
    lid = add_list(name)
    tid = add_task(lid, name)
    cut = '<a class="cut" href="/admin/tasks/%d/" title="%s">%s</a>' % (tid, esc, esc)
    assert cut in text(A.get("/admin/tasks/")), "task name with its title"
    assert '<a class="cut" href="/admin/lists/%d/" title="%s">%s</a>' % (lid, esc, esc) in \
        text(A.get("/admin/tasks/")), "list name with its title"
    assert '<a class="cut" href="/admin/lists/%d/" title="%s">%s</a>' % (lid, esc, esc) in \
        text(A.get("/admin/lists/")), "in the list of lists"
    assert 'class="cut" href="/admin/tasks/%d/" title="%s"' % (tid, esc) in \
        text(A.get("/admin/")), "in the recent changes"
    r = A.get("/admin/tasks/%d/" % tid)
    assert "<h1>Change task %s</h1>" % esc in text(r), "whole on the edit page"
    assert 'name="name" value="%s"' % esc in text(r)
    with open(os.path.join(TOP_SRCDIR, "static", "admin.css")) as f:
        css = f.read()
    rule = re.search(r"\.cut \{([^}]*)\}", css).group(1)
    for decl in ("text-overflow: ellipsis", "overflow: hidden", "white-space: nowrap",
                 "max-width"):
        assert decl in rule, decl


def test_root_page_links_admin_and_lists_every_api_route():
    r = S.get("/")
    eq(r.status, 200, "root")
    check_security_headers(r)
    t = text(r)
    assert "<title>Taskmgr</title>" in t
    assert '<a href="/admin/">' in t and '<a href="#api">API reference</a>' in t, t
    assert 'id="api"' in t
    shown = set(re.findall(r'<tr><td data-label="Method">([A-Z]+)</td>'
                           r'<td data-label="Path"><code>([^<]*)</code></td>', t))
    # the page lists the API (not "/" itself, nor /metrics for Prometheus)
    eq(shown, set(p for p in router_pairs() if p[1].startswith("/api/")),
       "the router's API routes")
    eq(S.request("HEAD", "/").status, 200, "HEAD")
    eq(S.post("/", {}).status, 405, "POST")
    r = S.get("/nothing/")
    eq((r.status, r.header("Content-Type")), (404, "application/json; charset=utf-8"),
       "other paths: JSON 404")


def router_pairs(auth=False):
    """(method, path) of every route of fcgi/api/routes.c; with auth, the
    pair maps to whether the route needs a login (R_AUTH)."""
    with open(os.path.join(TOP_SRCDIR, "fcgi", "api", "routes.c")) as f:
        src = f.read()
    body = src[src.index("api_routes[] = {"):]
    body = body[:body.index("};")]
    out = {}
    for methods, path, flags in re.findall(
            r'\{\s*(M_[A-Z_ |]+?),\s*"([^"]*)",\s*\w+,\s*([^}]*?)\s*\}', body):
        for m in methods.split("|"):
            out[(m.strip()[2:], path)] = "R_AUTH" in flags
    assert len(out) > 20, out
    return out if auth else set(out)


def readme_pairs():
    """(method, path) -> who, from the table of README.md's "API reference"."""
    with open(os.path.join(TOP_SRCDIR, "README.md")) as f:
        readme = f.read()
    sec = readme[readme.index("\n## API reference\n"):]
    sec = sec[:sec.index("\n## ", 5)]
    out = {}
    for m, path, who in re.findall(r"^\| ([A-Z]+) \| `([^`]+)` \| ([^|]+) \|", sec, re.M):
        assert (m, path) not in out, "twice: %s %s" % (m, path)
        out[(m, path)] = who.strip()
    return out


def test_readme_endpoint_table_matches_the_router():
    readme = readme_pairs()
    router = router_pairs(auth=True)
    missing = sorted(set(router) - set(readme))
    extra = sorted(set(readme) - set(router))
    eq((missing, extra), ([], []), "README table vs fcgi/api/routes.c (missing, extra)")
    for pair, who in readme.items():
        login = re.match(r"(user|owner)\b", who) is not None
        eq(login, router[pair], "%s %s: README says %r" % (pair + (who,)))


if __name__ == "__main__":
    run_tests(globals())
