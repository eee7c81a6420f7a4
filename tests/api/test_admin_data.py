#!/usr/bin/env python3
"""Admin pages for lists and tasks: search, filters, ordering, inline edits in
one post, optimistic-lock conflicts, save as new, delete confirmations, and
escaping, through real nginx + spawn-fcgi."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from admin_client import Admin, PW, check_security_headers, db, register, text  # noqa: E402

S = None
A = None
EVIL = "<script>alert(1)</script>"
QUOTES = "\"'&<>"
EVIL_ESC = "&lt;script&gt;alert(1)&lt;/script&gt;"
QUOTES_ESC = "&quot;&#39;&amp;&lt;&gt;"
IDS = {}


def setup_module():
    global S, A
    S = Server(workers=2).start()
    S.create_user("boss", PW)
    IDS["alice"] = register(S, "alice")
    IDS["bob"] = register(S, "bob")
    A = Admin(S)
    eq(A.login("boss").status, 302, "login")


def teardown_module():
    S.stop()


def one(sql, *args):
    with db(S) as c:
        return c.execute(sql, args).fetchone()


def add_list(name, owner="alice"):
    A.get("/admin/lists/add/")
    r = A.post("/admin/lists/add/", {"name": name, "owner": str(IDS[owner])})
    eq(r.status, 302, "list %r: %r" % (name, r))
    return int(re.search(r"/lists/(\d+)/", r.header("Location")).group(1))


def add_task(list_id, name, **kw):
    A.get("/admin/tasks/add/")
    f = {"list": str(list_id), "name": name, "description": "", "assigned_to": "",
         "complete_before": "", "status": "Pending"}
    f.update(kw)
    r = A.post("/admin/tasks/add/", f)
    eq(r.status, 302, "task %r: %r" % (name, text(r)[:2000]))
    return int(re.search(r"/tasks/(\d+)/", r.header("Location")).group(1))


def stamp(kind, oid):
    return one("SELECT updated_at FROM %s WHERE id = ?" % kind, oid)[0]


def test_list_add_errors_and_create():
    A.get("/admin/lists/add/")
    r = A.post("/admin/lists/add/", {"name": "", "owner": str(IDS["alice"])})
    eq(r.status, 200, "empty name")
    assert "This field is required." in text(r)
    r = A.post("/admin/lists/add/", {"name": "x" * 201, "owner": str(IDS["alice"])})
    assert "1 to 200 characters" in text(r) and 'value="%s"' % ("x" * 201) in text(r)
    IDS["home"] = add_list("Home")
    r = A.post("/admin/lists/add/", {"name": "Home", "owner": str(IDS["alice"])})
    eq(r.status, 200, "duplicate")
    assert "already exists" in text(r), text(r)
    add_list("Home", owner="bob")  # another owner may use the name
    r = A.get("/admin/lists/%d/?saved=1" % IDS["home"])
    eq(r.status, 200, "edit page")
    assert "The change was saved." in text(r)


def test_task_add_errors_keep_values():
    A.get("/admin/tasks/add/?list=%d" % IDS["home"])
    assert re.search(r'<option value="%d" selected>Home \(alice\)' % IDS["home"], text(A.last)), \
        "list preselected"
    r = A.post("/admin/tasks/add/", {"list": str(IDS["home"]), "name": "",
                                     "description": "typed text", "assigned_to": "",
                                     "complete_before": "tomorrow", "status": "Bogus"})
    eq(r.status, 200, "errors")
    t = text(r)
    for msg in ("This field is required.", "Enter a valid date and time.",
                "Select a valid choice."):
        assert msg in t, msg
    assert ">typed text</textarea>" in t and 'value="tomorrow"' in t, "typed values kept"
    IDS["t1"] = add_task(IDS["home"], "Buy milk", description="2 litres",
                         complete_before="2030-01-02T03:04")
    row = one("SELECT name, description, status, complete_before FROM tasks WHERE id = ?",
              IDS["t1"])
    eq(row[:3], ("Buy milk", "2 litres", "Pending"), "stored")
    assert row[3] is not None
    r = A.post("/admin/tasks/add/", {"list": str(IDS["home"]), "name": "Buy milk",
                                     "status": "Pending"})
    assert "already exists in this list" in text(r), "unique within the list"


def test_task_assign_through_form_moves_to_in_progress_and_notifies():
    tid = add_task(IDS["home"], "Walk dog", assigned_to=str(IDS["bob"]))
    eq(one("SELECT status, assigned_to FROM tasks WHERE id = ?", tid),
       ("In Progress", IDS["bob"]), "status machine ran")
    n = one("SELECT count(*) FROM outbox WHERE user_id = ? AND text LIKE '%Walk dog%'",
            IDS["bob"])[0]
    eq(n, 1, "notice to the new assignee")
    IDS["t2"] = tid


def test_task_reminders_through_the_form():
    tid = add_task(IDS["home"], "Remind me", complete_before="2030-01-02T03:04",
                   reminders="1440, 60")
    eq(one("SELECT reminders FROM tasks WHERE id = ?", tid), ("[1440,60]",), "stored")
    eq(one("SELECT group_concat(CAST(offset_min AS TEXT), ',') FROM (SELECT offset_min"
           " FROM reminders WHERE task_id = ? AND state = 0 ORDER BY offset_min) AS r", tid),
       ("60,1440",),
       "scheduled in the same write")
    r = A.get("/admin/tasks/%d/" % tid)
    assert 'name="reminders" value="1440, 60"' in text(r), "shown as typed"
    old = re.search(r'name="updated_at" value="(\d+)"', text(r)).group(1)
    f = {"name": "Remind me", "description": "", "assigned_to": "",
         "complete_before": "2030-01-02T03:04", "status": "Pending", "updated_at": old,
         "reminders": "60, 60"}
    r = A.post("/admin/tasks/%d/" % tid, f)
    eq(r.status, 200, "refused")
    assert "Enter up to 5 different numbers" in text(r), text(r)
    assert 'value="60, 60"' in text(r), "typed value kept"
    f["reminders"] = "none"
    eq(A.post("/admin/tasks/%d/" % tid, f).status, 302, "none saved")
    eq(one("SELECT reminders FROM tasks WHERE id = ?", tid), ("[]",), "[] stored")
    eq(one("SELECT count(*) FROM reminders WHERE task_id = ? AND state = 0", tid), (0,),
       "nothing scheduled")
    assert 'name="reminders" value="none"' in text(A.get("/admin/tasks/%d/" % tid))
    f["updated_at"] = str(stamp("tasks", tid))
    f["reminders"] = ""
    eq(A.post("/admin/tasks/%d/" % tid, f).status, 302, "blank saved")
    eq(one("SELECT reminders FROM tasks WHERE id = ?", tid), (None,), "the default again")
    eq(one("SELECT offset_min FROM reminders WHERE task_id = ? AND state = 0", tid), (60,),
       "the recipient's default scheduled")


def reminders_cell(page, tid):
    m = re.search(r'<tr id="task-%d".*?<td data-label="Deadline">.*?'
                  r'<small class="reminders" title="Reminders">&#x1F514; ([^<]*)</small></td>'
                  % tid, page, re.S)
    assert m, "task %d shows its reminders under the deadline" % tid
    return m.group(1)


def test_task_list_shows_each_tasks_reminders():
    lid = add_list("Reminder column")
    own = add_task(lid, "Own offsets", complete_before="2030-01-02T03:04",
                   reminders="1440, 60")
    none = add_task(lid, "No reminders", complete_before="2030-01-02T03:04",
                    reminders="none")
    dflt = add_task(lid, "Default reminders", complete_before="2030-01-02T03:04")
    r = A.get("/admin/tasks/?list=%d" % lid)
    eq(r.status, 200, "task list")
    t = text(r)
    eq([reminders_cell(t, i) for i in (own, none, dflt)], ["1440, 60", "none", "default"],
       "the task's own offsets as the form shows them, none, or its recipient's default")


def test_task_edit_conflict_and_save_as_new():
    tid = IDS["t1"]
    r = A.get("/admin/tasks/%d/" % tid)
    eq(r.status, 200, "edit page")
    old = re.search(r'name="updated_at" value="(\d+)"', text(r)).group(1)
    f = {"name": "Buy oat milk", "description": "2 litres", "assigned_to": "",
         "complete_before": "", "status": "Pending", "updated_at": old}
    r = A.post("/admin/tasks/%d/" % tid, f)
    eq(r.status, 302, "saved")
    eq(one("SELECT name, complete_before FROM tasks WHERE id = ?", tid),
       ("Buy oat milk", None), "stored, deadline cleared")
    f["name"] = "Stale write"
    r = A.post("/admin/tasks/%d/" % tid, f)
    eq(r.status, 200, "conflict shown")
    assert "Someone else changed this task" in text(r), text(r)
    assert 'value="Stale write"' in text(r), "typed value kept"
    eq(one("SELECT name FROM tasks WHERE id = ?", tid), ("Buy oat milk",), "not overwritten")
    new = re.search(r'name="updated_at" value="(\d+)"', text(r)).group(1)
    eq(int(new), stamp("tasks", tid), "the form now carries the stored version")
    f2 = dict(f, updated_at=new)
    eq(A.post("/admin/tasks/%d/" % tid, f2).status, 302, "a knowing second save")
    # save as new: same list, the typed values, the original untouched
    f3 = dict(f2, name="Stale write", _saveasnew="1", updated_at=str(stamp("tasks", tid)))
    r = A.post("/admin/tasks/%d/" % tid, f3)
    eq(r.status, 200, "same name refused")
    assert "already exists in this list" in text(r)
    f3["name"] = "Copy of milk"
    r = A.post("/admin/tasks/%d/" % tid, f3)
    eq(r.status, 302, "copy created")
    cid = int(re.search(r"/tasks/(\d+)/", r.header("Location")).group(1))
    assert cid != tid
    eq(one("SELECT name, list_id FROM tasks WHERE id = ?", cid), ("Copy of milk", IDS["home"]),
       "copy")
    eq(one("SELECT name FROM tasks WHERE id = ?", tid), ("Stale write",), "original kept")


def test_list_edit_conflict():
    lid = IDS["home"]
    r = A.get("/admin/lists/%d/" % lid)
    old = re.search(r'name="updated_at" value="(\d+)"', text(r)).group(1)
    eq(A.post("/admin/lists/%d/" % lid, {"name": "Home stuff", "updated_at": old}).status,
       302, "renamed")
    r = A.post("/admin/lists/%d/" % lid, {"name": "Other", "updated_at": old})
    eq(r.status, 200, "conflict")
    assert "Someone else changed this list" in text(r) and 'value="Other"' in text(r)
    eq(one("SELECT name FROM lists WHERE id = ?", lid), ("Home stuff",), "kept")
    r = A.post("/admin/lists/%d/" % lid, {"name": "Home"})
    eq(r.status, 200, "no version: refused")
    eq(one("SELECT name FROM lists WHERE id = ?", lid), ("Home stuff",), "kept")


def test_inline_edit_many_rows_in_one_post():
    lid = add_list("Work", owner="bob")
    ids = [add_task(lid, "w%d" % i) for i in range(3)]
    r = A.get("/admin/tasks/?list=%d&o=name" % lid)
    eq(r.status, 200, "page")
    names = re.findall(r'<th scope="row"[^>]*><a [^>]*>([^<]*)</a>', text(r))
    eq(names, ["w0", "w1", "w2"], "filtered by list, ordered by name")
    form = form_fields(r, ids)
    form["status-%d" % ids[0]] = "Completed"
    form["assigned_to-%d" % ids[1]] = str(IDS["alice"])
    action = re.search(r'<form method="post" action="([^"]*)" class="bulk">', text(r)).group(1)
    r = A.post(action.replace("&amp;", "&"), list(flat(form)))
    eq(r.status, 302, "saved: %r" % text(r)[:500] if r.status != 302 else "")
    assert r.header("Location").startswith("/admin/tasks/?list=%d&o=name&p=1&saved=" % lid), \
        r.header("Location")
    eq(one("SELECT status FROM tasks WHERE id = ?", ids[0]), ("Completed",), "row 1")
    eq(one("SELECT status, assigned_to FROM tasks WHERE id = ?", ids[1]),
       ("In Progress", IDS["alice"]), "row 2 through the status machine")
    eq(one("SELECT status, assigned_to FROM tasks WHERE id = ?", ids[2]),
       ("Pending", None), "row 3 untouched")
    before = stamp("tasks", ids[2])
    # a row changed meanwhile: nothing of the post is saved, the conflict is shown
    r = A.get("/admin/tasks/?list=%d&o=name" % lid)
    form = form_fields(r, ids)
    A2 = Admin(S)
    A2.login("boss")
    r2 = A2.get("/admin/tasks/%d/" % ids[2])
    f = {"name": "w2", "description": "", "assigned_to": "", "complete_before": "",
         "status": "Overdue",
         "updated_at": re.search(r'name="updated_at" value="(\d+)"', text(r2)).group(1)}
    eq(A2.post("/admin/tasks/%d/" % ids[2], f).status, 302, "someone else's change")
    assert stamp("tasks", ids[2]) > before
    form["status-%d" % ids[0]] = "Pending"
    form["status-%d" % ids[2]] = "Completed"
    r = A.post(action.replace("&amp;", "&"), list(flat(form)))
    eq(r.status, 200, "refused")
    t = text(r)
    assert "Nothing was saved" in t and "Someone else changed this task" in t, t
    eq(one("SELECT status FROM tasks WHERE id = ?", ids[0]), ("Completed",), "all or nothing")
    eq(one("SELECT status FROM tasks WHERE id = ?", ids[2]), ("Overdue",), "theirs kept")
    # the refused page keeps what was typed for the other rows
    assert re.search(r'name="status-%d"[^>]*>\s*(<option[^>]*>[^<]*</option>)*?'
                     r'<option value="Pending" selected>' % ids[0], t), "typed value kept"
    IDS["work"] = lid
    IDS["work_tasks"] = ids


def form_fields(r, ids):
    t = text(r)
    f = {}
    for i in ids:
        f["id-%d" % i] = str(i)
        for name in ("updated_at", "orig_status", "orig_assigned_to"):
            m = re.search(r'name="%s-%d" value="([^"]*)"' % (name, i), t)
            f["%s-%d" % (name, i)] = m.group(1)
        f["status-%d" % i] = f["orig_status-%d" % i]
        f["assigned_to-%d" % i] = f["orig_assigned_to-%d" % i]
    return f


def flat(form):
    for k, v in form.items():
        if k.startswith("id-"):
            yield ("id", v)
        else:
            yield (k, v)


def test_filters_and_search():
    r = A.get("/admin/tasks/?status=Completed")
    names = re.findall(r'<th scope="row"[^>]*><a [^>]*>([^<]*)</a>', text(r))
    eq(names, ["w0"], "status filter")
    r = A.get("/admin/tasks/?assigned_to=%d" % IDS["alice"])
    names = re.findall(r'<th scope="row"[^>]*><a [^>]*>([^<]*)</a>', text(r))
    eq(names, ["w1"], "assignee filter")
    r = A.get("/admin/tasks/?assigned_to=none&list=%d" % IDS["work"])
    names = re.findall(r'<th scope="row"[^>]*><a [^>]*>([^<]*)</a>', text(r))
    eq(sorted(names), ["w0", "w2"], "unassigned in the list")
    r = A.get("/admin/tasks/?q=W1")
    names = re.findall(r'<th scope="row"[^>]*><a [^>]*>([^<]*)</a>', text(r))
    eq(names, ["w1"], "case-insensitive search")
    r = A.get("/admin/tasks/?q=%25")
    eq(re.findall(r'<th scope="row"[^>]*>', text(r)), [], "% is literal")
    for o in ("id", "-id", "name", "-name", "list", "-list", "assignee", "-assignee",
              "deadline", "-deadline", "status", "-status", "updated", "-updated", "bogus"):
        eq(A.get("/admin/tasks/?o=" + o).status, 200, "ordering " + o)
    r = A.get("/admin/tasks/?o=-id")
    got = [int(x) for x in re.findall(r'<input type="hidden" name="id" value="(\d+)">', text(r))]
    eq(got, sorted(got, reverse=True), "by id descending")
    r = A.get("/admin/lists/?q=WOR")
    assert ">Work</a>" in text(r) and ">Home stuff</a>" not in text(r), "list search"
    assert "w0, w1, w2 (3)" in text(r), "task summary: %s" % text(r)


def test_list_summary_with_more_than_three():
    lid = add_list("Big", owner="bob")
    for i in range(5):
        add_task(lid, "b%d" % i)
    r = A.get("/admin/lists/?q=Big")
    assert "b0, b1, b2... (5)" in text(r), text(r)
    IDS["big"] = lid


def test_delete_confirmation_lists_what_goes():
    lid = IDS["big"]
    r = A.get("/admin/lists/%d/delete/" % lid)
    eq(r.status, 200, "confirm page")
    check_security_headers(r)
    for i in range(5):
        assert "Task: b%d" % i in text(r)
    eq(one("SELECT count(*) FROM lists WHERE id = ?", lid), (1,), "GET deletes nothing")
    r = A.post("/admin/lists/%d/delete/" % lid, {}, csrf=False)
    eq(r.status, 403, "CSRF")
    r = A.post("/admin/lists/%d/delete/" % lid, {})
    eq(r.status, 302, "deleted")
    eq(one("SELECT count(*) FROM lists WHERE id = ?", lid), (0,), "list gone")
    eq(one("SELECT count(*) FROM tasks WHERE list_id = ?", lid), (0,), "its tasks gone")
    eq(A.get("/admin/lists/%d/" % lid).status, 404, "edit page gone")
    tid = IDS["work_tasks"][0]
    r = A.get("/admin/tasks/%d/delete/" % tid)
    eq(r.status, 200, "task confirm")
    assert "w0" in text(r)
    eq(A.post("/admin/tasks/%d/delete/" % tid, {}).status, 302, "task deleted")
    eq(one("SELECT count(*) FROM tasks WHERE id = ?", tid), (0,), "gone")
    eq(A.get("/admin/tasks/%d/" % tid).status, 404, "404 after")


def test_escaping_everywhere():
    lid = add_list(EVIL, owner="alice")
    tid = add_task(lid, QUOTES, description=EVIL, assigned_to=str(IDS["alice"]))
    pages = ["/admin/", "/admin/lists/", "/admin/lists/%d/" % lid,
             "/admin/lists/%d/delete/" % lid, "/admin/tasks/", "/admin/tasks/?list=%d" % lid,
             "/admin/tasks/%d/" % tid, "/admin/tasks/%d/delete/" % tid,
             "/admin/tasks/add/", "/admin/lists/?q=" + "%3Cscript%3E"]
    for p in pages:
        r = A.get(p)
        eq(r.status, 200, p)
        check_security_headers(r)
        t = text(r)
        assert EVIL not in t, "raw script in " + p
        assert QUOTES not in t, "raw quotes in " + p
        assert "<script" not in t, p
    assert EVIL_ESC in text(A.get("/admin/lists/"))
    assert QUOTES_ESC in text(A.get("/admin/tasks/"))
    assert EVIL_ESC in text(A.get("/admin/tasks/%d/" % tid)), "description escaped"


def test_every_page_status():
    lid = IDS["work"]
    tid = IDS["work_tasks"][1]
    for p in ("/admin/lists/", "/admin/lists/add/", "/admin/lists/%d/" % lid,
              "/admin/lists/%d/delete/" % lid, "/admin/tasks/", "/admin/tasks/add/",
              "/admin/tasks/%d/" % tid, "/admin/tasks/%d/delete/" % tid,
              "/admin/tasks/?status=Bogus&list=x&assigned_to=y&p=-1&q=",
              "/admin/lists/?p=99"):
        r = A.get(p)
        eq(r.status, 200, p)
        check_security_headers(r)
    for p in ("/admin/lists/999999/", "/admin/tasks/999999/", "/admin/tasks/999999/delete/",
              "/admin/lists/999999/delete/"):
        eq(A.get(p).status, 404, p)
    anon = Admin(S)
    for p in ("/admin/lists/", "/admin/tasks/%d/" % tid):
        r = anon.get(p)
        eq(r.status, 302, "anonymous " + p)
    r = anon.post("/admin/tasks/", {}, csrf=False)
    eq(r.status, 302, "anonymous post goes to login")


def test_bulk_post_needs_csrf_and_well_formed_rows():
    r = A.post("/admin/tasks/", [("id", "1")], csrf=False)
    eq(r.status, 403, "no token")
    A.get("/admin/tasks/")
    r = A.post("/admin/tasks/", [("id", "abc")])
    eq(r.status, 400, "bad id")


if __name__ == "__main__":
    run_tests(globals())
