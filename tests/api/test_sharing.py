#!/usr/bin/env python3
"""Shared lists through real nginx + spawn-fcgi: members, roles, the
permission matrix of each role, the ?role= filter, and a user without
shared lists seeing what they saw before."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import Admin, check_security_headers, text  # noqa: E402

S = None
TOK = {}
UID = {}
USERS = ("alice", "ed", "vic", "asa", "sam", "nora")
# the roles of the matrix, as the users that hold them on alice's lists
ROLES = (("owner", "alice"), ("editor", "ed"), ("viewer", "vic"),
         ("assignee", "asa"), ("stranger", "sam"))


def setup_module():
    global S
    S = Server(workers=2).start()
    for u in USERS:
        S.create_user(u, staff=False)
        TOK[u] = S.login(u)
    S.create_user("boss")
    db = S.connect()
    try:
        for u in USERS:
            UID[u] = db.execute("SELECT id FROM users WHERE username = ?", (u,)).fetchone()[0]
    finally:
        db.close()


def teardown_module():
    S.stop()


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user] if user else None)


N = [0]


def uniq(prefix):
    N[0] += 1
    return "%s %d" % (prefix, N[0])


def shared_list():
    """A list of alice's with ed as editor, vic as viewer, and a task In
    Progress assigned to asa (who is no member).  (list, task)."""
    r = req("POST", "/api/lists/", {"name": uniq("Team")})
    eq(r.status, 201, "list")
    lid = r.json["id"]
    for u, role in (("ed", "editor"), ("vic", "viewer")):
        r = req("POST", "/api/lists/%d/members/" % lid, {"username": u, "role": role})
        eq(r.status, 201, "add %s: %r" % (u, r))
    return lid, new_task(lid)


def new_task(lid):
    r = req("POST", "/api/lists/%d/tasks/" % lid,
            {"name": uniq("Task"), "assigned_to": UID["asa"]})
    eq(r.status, 201, "task: %r" % r)
    eq(r.json["status"], "In Progress", "assigned task in progress")
    return r.json["id"]


def matrix(what, want, act):
    """Runs act(user) for each role; want maps role -> status."""
    for role, user in ROLES:
        r = act(user)
        eq(r.status, want[role], "%s as %s: %r" % (what, role, r))
        if r.status == 404:
            eq(r.json, {"detail": "Not found."}, "%s as %s: 404 body" % (what, role))
        if r.status == 403:
            eq(r.json, {"detail": "You do not have permission to perform this action."},
               "%s as %s: 403 body" % (what, role))


def test_member_shape_and_list_keys():
    lid, _ = shared_list()
    r = req("GET", "/api/lists/%d/members/" % lid)
    eq(r.status, 200, "members")
    eq(r.json["count"], 2, "count")
    m = r.json["results"]
    eq([x["username"] for x in m], ["ed", "vic"], "oldest first")
    eq(sorted(m[0]), ["added_at", "role", "user_id", "username"], "member keys")
    eq((m[0]["user_id"], m[0]["role"]), (UID["ed"], "editor"), "ed")
    eq((m[1]["user_id"], m[1]["role"]), (UID["vic"], "viewer"), "vic")
    assert m[0]["added_at"].endswith("Z"), m[0]
    for user, role in (("alice", "owner"), ("ed", "editor"), ("vic", "viewer")):
        r = req("GET", "/api/lists/%d/" % lid, user=user)
        eq(r.status, 200, "read as %s" % user)
        eq((r.json["role"], r.json["member_count"]), (role, 2), "keys as %s" % user)
        eq(r.json["owner_username"], "alice", "owner as %s" % user)


def test_matrix_read():
    lid, tid = shared_list()
    ok_members = {"owner": 200, "editor": 200, "viewer": 200, "assignee": 404,
                  "stranger": 404}
    matrix("read list", ok_members, lambda u: req("GET", "/api/lists/%d/" % lid, user=u))
    matrix("list tasks", ok_members,
           lambda u: req("GET", "/api/lists/%d/tasks/" % lid, user=u))
    matrix("read members", ok_members,
           lambda u: req("GET", "/api/lists/%d/members/" % lid, user=u))
    matrix("read task", dict(ok_members, assignee=200),
           lambda u: req("GET", "/api/tasks/%d/" % tid, user=u))
    r = req("GET", "/api/lists/%d/tasks/" % lid, user="vic")
    eq([t["id"] for t in r.json["results"]], [tid], "the viewer's page")


def test_matrix_task_writes():
    lid, tid = shared_list()
    matrix("create task", {"owner": 201, "editor": 201, "viewer": 403, "assignee": 404,
                           "stranger": 404},
           lambda u: req("POST", "/api/lists/%d/tasks/" % lid, {"name": uniq("by " + u)},
                         user=u))

    def update(u):
        cur = req("GET", "/api/tasks/%d/" % tid).json
        return req("PATCH", "/api/tasks/%d/" % tid,
                   {"description": "by " + u, "updated_at": cur["updated_at"]}, user=u)
    matrix("update task", {"owner": 200, "editor": 200, "viewer": 403, "assignee": 200,
                           "stranger": 404}, update)
    tasks = {}

    def complete(u):
        tasks[u] = new_task(lid)
        return req("POST", "/api/tasks/%d/complete/" % tasks[u], user=u)
    matrix("complete task", {"owner": 200, "editor": 200, "viewer": 403, "assignee": 200,
                             "stranger": 404}, complete)
    eq(req("GET", "/api/tasks/%d/" % tasks["vic"]).json["status"], "In Progress",
       "a viewer's complete changed nothing")
    matrix("delete task", {"owner": 204, "editor": 204, "viewer": 403, "assignee": 403,
                           "stranger": 404},
           lambda u: req("DELETE", "/api/tasks/%d/" % new_task(lid), user=u))


def test_editor_assigns_and_viewer_refused_before_body():
    lid, tid = shared_list()
    cur = req("GET", "/api/tasks/%d/" % tid).json
    r = req("PATCH", "/api/tasks/%d/" % tid,
            {"assigned_to": UID["nora"], "updated_at": cur["updated_at"]}, user="ed")
    eq(r.status, 200, "an editor assigns")
    eq(r.json["assignee_name"], "nora", "assigned to a non-member")
    eq(req("GET", "/api/tasks/%d/" % tid, user="nora").status, 200,
       "the assignee sees that task")
    eq(req("GET", "/api/lists/%d/" % lid, user="nora").status, 404, "but not the list")
    # a viewer sees the task but may not change it: 403 before a bad body
    r = req("PATCH", "/api/tasks/%d/" % tid, {"name": ""}, user="vic")
    eq(r.status, 403, "viewer, no updated_at: %r" % r)
    r = req("PATCH", "/api/lists/%d/" % lid, {"name": ""}, user="ed")
    eq(r.status, 403, "editor renames without updated_at: %r" % r)


def test_matrix_comments_and_history_follow_the_roles():
    """Comments and a task's history are seen by whoever sees the task
    (domain/comments.c asks members.h): members comment, strangers get 404."""
    lid, tid = shared_list()
    seen = {"owner": 200, "editor": 200, "viewer": 200, "assignee": 200, "stranger": 404}
    matrix("comment", dict(seen, owner=201, editor=201, viewer=201, assignee=201),
           lambda u: req("POST", "/api/tasks/%d/comments/" % tid, {"text": "from " + u},
                         user=u))
    matrix("read comments", seen, lambda u: req("GET", "/api/tasks/%d/comments/" % tid, user=u))
    matrix("read history", seen, lambda u: req("GET", "/api/tasks/%d/activity/" % tid, user=u))
    eq(req("DELETE", "/api/lists/%d/members/%d/" % (lid, UID["vic"])).status, 204, "removed")
    eq(req("GET", "/api/tasks/%d/comments/" % tid, user="vic").status, 404, "refused next")


def test_matrix_list_writes():
    lid, _ = shared_list()

    def rename(u):
        cur = req("GET", "/api/lists/%d/" % lid).json
        return req("PATCH", "/api/lists/%d/" % lid,
                   {"name": uniq("renamed by " + u), "updated_at": cur["updated_at"]}, user=u)
    matrix("rename list", {"owner": 200, "editor": 403, "viewer": 403, "assignee": 404,
                           "stranger": 404}, rename)
    matrix("delete list", {"owner": 204, "editor": 403, "viewer": 403, "assignee": 404,
                           "stranger": 404},
           lambda u: req("DELETE", "/api/lists/%d/" % shared_list()[0], user=u))


def test_matrix_members():
    lid, _ = shared_list()
    matrix("add member", {"owner": 201, "editor": 403, "viewer": 403, "assignee": 404,
                          "stranger": 404},
           lambda u: req("POST", "/api/lists/%d/members/" % lid,
                         {"user_id": UID["nora"], "role": "viewer"}, user=u))
    matrix("change role", {"owner": 200, "editor": 403, "viewer": 403, "assignee": 404,
                           "stranger": 404},
           lambda u: req("PATCH", "/api/lists/%d/members/%d/" % (lid, UID["nora"]),
                         {"role": "editor"}, user=u))
    eq(req("GET", "/api/lists/%d/" % lid, user="nora").json["role"], "editor", "changed")

    def remove(u):
        lid2, _ = shared_list()
        eq(req("POST", "/api/lists/%d/members/" % lid2,
               {"username": "nora", "role": "viewer"}).status, 201, "nora added")
        return req("DELETE", "/api/lists/%d/members/%d/" % (lid2, UID["nora"]), user=u)
    matrix("remove member", {"owner": 204, "editor": 403, "viewer": 403, "assignee": 404,
                             "stranger": 404}, remove)


def test_member_leaves_and_is_refused_next():
    lid, tid = shared_list()
    eq(req("GET", "/api/lists/%d/tasks/" % lid, user="vic").status, 200, "vic reads")
    eq(req("DELETE", "/api/lists/%d/members/%d/" % (lid, UID["vic"]), user="vic").status,
       204, "vic leaves")
    eq(req("GET", "/api/lists/%d/tasks/" % lid, user="vic").status, 404, "gone at once")
    eq(req("DELETE", "/api/lists/%d/members/%d/" % (lid, UID["vic"]), user="vic").status,
       404, "not a member any more")
    # removed by the owner: the next request of the removed editor is refused
    eq(req("GET", "/api/tasks/%d/" % tid, user="ed").status, 200, "ed reads the task")
    eq(req("DELETE", "/api/lists/%d/members/%d/" % (lid, UID["ed"])).status, 204, "removed")
    eq(req("GET", "/api/tasks/%d/" % tid, user="ed").status, 404, "ed: task gone")
    eq(req("POST", "/api/lists/%d/tasks/" % lid, {"name": uniq("late")}, user="ed").status,
       404, "ed: no create")
    r = req("GET", "/api/lists/", user="ed")
    assert lid not in [x["id"] for x in r.json["results"]], r.json
    eq(req("GET", "/api/lists/%d/" % lid).json["member_count"], 0, "count follows")


def test_add_errors():
    lid, _ = shared_list()
    path = "/api/lists/%d/members/" % lid
    r = req("POST", path, {"username": "ed", "role": "viewer"})
    eq((r.status, r.json), (400, {"non_field_errors": [
        "This user is already a member of this list."]}), "twice")
    r = req("POST", path, {"user_id": UID["ed"], "role": "editor"})
    eq(r.status, 400, "twice by id")
    r = req("POST", path, {"username": "alice", "role": "viewer"})
    eq((r.status, r.json), (400, {"username": ["The owner of the list cannot be a member."]}),
       "the owner")
    r = req("POST", path, {"username": "nobody", "role": "viewer"})
    eq((r.status, r.json), (400, {"username": ["Object with username=nobody does not exist."]}),
       "unknown username")
    r = req("POST", path, {"user_id": 999999, "role": "viewer"})
    eq((r.status, r.json), (400, {"user_id": ['Invalid pk "999999" - object does not exist.']}),
       "unknown id")
    r = req("POST", path, {"username": "nora", "role": "admin"})
    eq((r.status, list(r.json)), (400, ["role"]), "bad role: %r" % r)
    r = req("POST", path, {"username": "nora"})
    eq((r.status, r.json), (400, {"role": ["This field is required."]}), "no role")
    r = req("POST", path, {"role": "viewer"})
    eq((r.status, r.json), (400, {"username": ["This field is required."]}), "nobody named")
    r = req("PATCH", "/api/lists/%d/members/%d/" % (lid, UID["nora"]), {"role": "viewer"})
    eq(r.status, 404, "not a member: %r" % r)
    r = req("PATCH", "/api/lists/%d/members/%d/" % (lid, UID["ed"]), {"role": "owner"})
    eq((r.status, list(r.json)), (400, ["role"]), "bad role on PATCH")
    eq(req("GET", path).json["count"], 2, "nothing added")


def test_role_filter_and_index():
    lid_e, _ = shared_list()
    lid_v, _ = shared_list()
    eq(req("PATCH", "/api/lists/%d/members/%d/" % (lid_v, UID["ed"]),
           {"role": "viewer"}).status, 200, "ed views the second")
    r = req("POST", "/api/lists/", {"name": uniq("ed's own")}, user="ed")
    own = r.json["id"]

    def ids(q):
        r = req("GET", "/api/lists/" + q, user="ed")
        eq(r.status, 200, q)
        eq(r.json["count"], len(r.json["results"]), "count " + q)
        return [(x["id"], x["role"]) for x in r.json["results"]]
    every = ids("?limit=100")
    assert (own, "owner") in every and (lid_e, "editor") in every and \
        (lid_v, "viewer") in every, every
    eq([x for x in every if x[0] in (own, lid_e, lid_v)],
       [(own, "owner"), (lid_v, "viewer"), (lid_e, "editor")], "newest first")
    eq(ids("?role=owner&limit=100"), [(own, "owner")], "owner")
    assert all(r == "viewer" for _, r in ids("?role=viewer&limit=100"))
    assert (lid_v, "viewer") in ids("?role=viewer&limit=100")
    assert (lid_e, "editor") in ids("?role=editor&limit=100")
    assert all(r == "editor" for _, r in ids("?role=editor&limit=100"))
    r = req("GET", "/api/lists/?role=stranger", user="ed")
    eq(r.status, 400, "bad role")
    eq(list(r.json), ["role"], "its error")
    # search applies to shared lists too
    name = req("GET", "/api/lists/%d/" % lid_v).json["name"]
    eq(ids("?search=" + name.replace(" ", "%20")), [(lid_v, "viewer")], "search")
    # paging through the union
    total = req("GET", "/api/lists/?limit=100", user="ed").json["count"]
    seen = []
    for off in range(0, total, 2):
        seen += [x["id"] for x in req("GET", "/api/lists/?limit=2&offset=%d" % off,
                                   user="ed").json["results"]]
    eq(seen, [x[0] for x in every], "pages")


def test_member_deep_pages_match_owner():
    """The page marks of a list serve its members too: deep pages read as a
    member equal the owner's, before and after a change of the list."""
    lid, _ = shared_list()
    db = S.connect()
    try:
        with db:
            t0 = 1700000000000000
            db.executemany(
                "INSERT INTO tasks (list_id, name, name_key, description, status,"
                " created_at, updated_at) VALUES (?, ?, ?, '', 'Pending', ?, ?)",
                [(lid, "bulk %d" % i, "bulk %d" % i, t0 + i, t0 + i) for i in range(700)])
    finally:
        db.close()

    def page(user, off):
        r = req("GET", "/api/lists/%d/tasks/?limit=20&offset=%d" % (lid, off), user=user)
        eq(r.status, 200, "page as %s" % user)
        return r.json
    for off in (0, 300, 640, 690):
        eq(page("vic", off), page("alice", off), "offset %d" % off)
    gone = page("alice", 400)["results"][0]["id"]
    eq(req("DELETE", "/api/tasks/%d/" % gone, user="ed").status, 204, "editor deletes")
    for off in (390, 400, 650):
        a = page("alice", off)
        eq(page("vic", off), a, "after a delete, offset %d" % off)
        assert gone not in [t["id"] for t in a["results"]]


def test_events_reach_members():
    lid, tid = shared_list()
    def last(u):
        n = 0
        while True:
            r = req("GET", "/api/events/?after=%d" % n, user=u).json
            if not r["results"]:
                return n
            n = r["next_after"]
    after = {u: last(u) for u in USERS}
    cur = req("GET", "/api/tasks/%d/" % tid).json
    eq(req("PATCH", "/api/tasks/%d/" % tid, {"description": "x",
                                              "updated_at": cur["updated_at"]},
           user="ed").status, 200, "ed updates")

    def got(u):
        r = req("GET", "/api/events/?after=%d" % after[u], user=u)
        return [(e["type"], e["action"], e.get("task")) for e in r.json["results"]
                if e["type"] == "task_updated"]
    for u in ("alice", "ed", "vic", "asa"):
        eq(len(got(u)), 1, "one event for %s: %r" % (u, got(u)))
    for u in ("sam", "nora"):
        eq(got(u), [], "none for " + u)
    # the list goes with its tasks: its members hear of each task
    after = {u: last(u) for u in USERS}
    eq(req("DELETE", "/api/lists/%d/" % lid).status, 204, "list deleted")
    for u in ("alice", "ed", "vic", "asa"):
        eq(got(u), [("task_updated", "deleted", got(u)[0][2])], "deleted, for " + u)
    eq(got("sam"), [], "none for sam")


def test_user_without_shared_lists_sees_the_same():
    """nora owns lists and tasks and shares nothing: her answers are the
    same before and after everyone else shares, with role owner and
    member_count 0 as the only new keys."""
    r = req("POST", "/api/lists/", {"name": uniq("nora's")}, user="nora")
    lid = r.json["id"]
    r = req("POST", "/api/lists/%d/tasks/" % lid, {"name": "hers", "assigned_to": UID["nora"]},
            user="nora")
    tid = r.json["id"]
    # leave any list nora was added to above
    for x in req("GET", "/api/lists/?limit=100", user="nora").json["results"]:
        if x["role"] != "owner":
            eq(req("DELETE", "/api/lists/%d/members/%d/" % (x["id"], UID["nora"]),
                   user="nora").status, 204, "nora leaves")
    paths = ("/api/lists/", "/api/lists/?search=nora", "/api/lists/%d/" % lid,
             "/api/lists/%d/tasks/" % lid, "/api/tasks/", "/api/tasks/%d/" % tid)
    before = {p: req("GET", p, user="nora") for p in paths}
    for p, r in before.items():
        eq(r.status, 200, p)
    for x in before["/api/lists/"].json["results"]:
        eq((x["role"], x["member_count"]), ("owner", 0), "the new keys")
        eq(sorted(x), sorted(["id", "name", "owner_username", "updated_at", "created_at",
                              "task_count", "role", "member_count"]), "keys")
    shared_list()
    shared_list()
    for p in paths:
        eq(req("GET", p, user="nora").body, before[p].body, "same answer: " + p)


def test_admin_members():
    """Staff manage a list's members on its admin page (CSRF like every
    form); the API obeys each change at the next request."""
    lid, tid = shared_list()
    a = Admin(S)
    eq(a.login("boss").status, 302, "login")
    page = "/admin/lists/%d/" % lid
    r = a.get(page)
    eq(r.status, 200, "list page")
    check_security_headers(r)
    body = text(r)
    assert 'action="/admin/lists/%d/members/"' % lid in body, body
    assert ">ed</a>" in body and ">vic</a>" in body, body
    # without the CSRF token: refused, nothing added
    r = a.post(page + "members/", {"username": "nora", "role": "editor"}, csrf=False)
    eq(r.status, 403, "no csrf")
    eq(req("GET", "/api/lists/%d/" % lid, user="nora").status, 404, "not added")
    a.get(page)
    r = a.post(page + "members/", {"username": "nora", "role": "editor"})
    eq((r.status, r.header("Location")), (302, page + "?members=added#members"), "added")
    r = req("GET", "/api/lists/%d/" % lid, user="nora")
    eq((r.status, r.json["role"]), (200, "editor"), "nora edits")
    body = text(a.get(page + "?members=added"))
    assert "The member was added." in body and ">nora</a>" in body, body
    # the refusals come back as fixed messages
    for f, code, msg in (({"username": "nora", "role": "viewer"}, "already",
                          "already a member"),
                         ({"username": "alice", "role": "viewer"}, "owner", "owner of the list"),
                         ({"username": "nobody", "role": "viewer"}, "nouser", "no active user"),
                         ({"username": "sam", "role": "boss"}, "role", "Choose a role")):
        a.get(page)
        r = a.post(page + "members/", f)
        eq(r.header("Location"), page + "?members=%s#members" % code, "refused: %r" % f)
        assert msg in text(a.get(r.header("Location").split("#")[0])), code
    # change a role, then remove
    a.get(page)
    r = a.post(page + "members/%d/" % UID["nora"], {"role": "viewer", "action": "role"})
    eq(r.header("Location"), page + "?members=changed#members", "changed")
    eq(req("GET", "/api/lists/%d/" % lid, user="nora").json["role"], "viewer", "now a viewer")
    r = req("POST", "/api/lists/%d/tasks/" % lid, {"name": uniq("by nora")}, user="nora")
    eq(r.status, 403, "a viewer may not create")
    a.get(page)
    r = a.post(page + "members/%d/" % UID["nora"], {"role": "viewer", "action": "remove"})
    eq(r.header("Location"), page + "?members=removed#members", "removed")
    eq(req("GET", "/api/tasks/%d/" % tid, user="nora").status, 404, "refused at once")
    body = text(a.get(page))
    assert ">nora</a>" not in body, body
    a.get(page)
    r = a.post(page + "members/%d/" % UID["nora"], {"role": "viewer", "action": "remove"})
    eq(r.header("Location"), page + "?members=gone#members", "removed twice")
    a.get(page)
    eq(a.post("/admin/lists/999999/members/", {"username": "nora", "role": "viewer"}).status,
       404, "no such list")


run_tests(globals())
