#!/usr/bin/env python3
"""Each task's history through real nginx + spawn-fcgi: GET
/api/tasks/{id}/activity/ (shape, newest first, pages, visibility) and the
exact entry every write path records -- API create, PUT, PATCH, complete,
comments; the admin pages' add, edit and bulk edit; the Telegram bot's done
button (fake Bot API); the overdue sweep (no actor) -- and that nothing is
recorded for a refused or empty change, and that the history goes with its
task."""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PG, eq, run_tests  # noqa: E402
from admin_client import Admin  # noqa: E402
import fixtures_notes as F  # noqa: E402
from fixtures_notes import UID, req, sql  # noqa: E402

S = None
TG = None
KEYS = ["id", "at", "actor_id", "actor_username", "action", "changes"]
SECRET = "test-bot-secret-0123456789abcdef0123456789"


def setup_module():
    global S, TG
    S, TG = F.start(staff=("root",))


def teardown_module():
    F.stop()


def mklist(user="alice"):
    return F.new_list("a", user)


def mktask(user="alice", **fields):
    fields.setdefault("name", "t")
    r = req("POST", "/api/lists/%d/tasks/" % mklist(user), fields, user)
    eq(r.status, 201, "task: %r" % r)
    return r.json


def history(tid, user="alice"):
    r = req("GET", "/api/tasks/%d/activity/?limit=100" % tid, user=user)
    eq(r.status, 200, "activity: %r" % r)
    return r.json["results"]


def brief(tid, user="alice"):
    """(action, actor_username, changes) of each entry, newest first."""
    return [(e["action"], e["actor_username"], e["changes"]) for e in history(tid, user)]


def patch(tid, user="alice", method="PATCH", **fields):
    cur = req("GET", "/api/tasks/%d/" % tid, user=user).json
    fields["updated_at"] = cur["updated_at"]
    r = req(method, "/api/tasks/%d/" % tid, fields, user)
    eq(r.status, 200, "%s: %r" % (method, r))
    return r.json


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- the endpoint -------------------------------------------------------------------

def test_shape_order_pages_and_visibility():
    t = mktask(assigned_to=UID["bob"])
    patch(t["id"], name="renamed")
    patch(t["id"], user="bob", description="notes")
    h = history(t["id"])
    eq(len(h), 3, "three entries")
    eq(sorted(h[0]), sorted(KEYS), "keys")
    eq([e["action"] for e in h], ["updated", "updated", "created"], "newest first")
    assert h[0]["id"] > h[1]["id"] > h[2]["id"], h
    eq((h[0]["actor_id"], h[0]["actor_username"]), (UID["bob"], "bob"), "actor")
    eq(h[2]["at"], t["created_at"], "the created entry is at the task's creation")
    assert h[0]["at"].endswith("Z") and len(h[0]["at"]) == 27, h[0]
    eq(history(t["id"], "bob"), h, "the assignee sees the same history")
    r = req("GET", "/api/tasks/%d/activity/?limit=1&offset=1" % t["id"])
    eq((r.json["count"], [e["id"] for e in r.json["results"]]), (3, [h[1]["id"]]), "page")
    assert "offset=2" in r.json["next"], r.json
    for user, path in (("carol", "/api/tasks/%d/activity/" % t["id"]),
                       ("alice", "/api/tasks/999999/activity/")):
        r = req("GET", path, user=user)
        eq((r.status, r.json), (404, {"detail": "Not found."}), "not visible: " + path)
    eq(req("GET", "/api/tasks/%d/activity/" % t["id"], user=None).status, 401, "anonymous")
    eq(req("POST", "/api/tasks/%d/activity/" % t["id"], {}).status, 405, "read only")


# -- the API's write paths -----------------------------------------------------------

def test_create_records_the_fields_that_are_set():
    t = mktask(name=" Plain ")
    eq(brief(t["id"]), [("created", "alice", {"name": [None, "Plain"],
                                               "status": [None, "Pending"]})],
       "defaults are not listed")
    due = iso(datetime.datetime(2031, 5, 6, 7, 8, 9, 123456))
    t = mktask(name="Full", description=" <b>&\"\n ", assigned_to=UID["bob"],
               complete_before=due)
    eq(brief(t["id"]), [("created", "alice", {
        "name": [None, "Full"], "description": [None, "<b>&\""],
        "assigned_to": [None, UID["bob"]], "complete_before": [None, due],
        "status": [None, "In Progress"]})], "every field set, the settled status")


def test_update_records_only_real_changes():
    due = iso(datetime.datetime(2032, 1, 2, 3, 4, 5))
    t = mktask(name="u", description="same")
    tid = t["id"]
    patch(tid, name="u", description=" same ")
    eq(len(history(tid)), 1, "a save that changes nothing records nothing")
    patch(tid, name="u2", description="same")
    eq(brief(tid)[0], ("updated", "alice", {"name": ["u", "u2"]}), "the name alone")
    patch(tid, assigned_to=UID["bob"], complete_before=due)
    eq(brief(tid)[0], ("updated", "alice", {
        "assigned_to": [None, UID["bob"]], "complete_before": [None, due],
        "status": ["Pending", "In Progress"]}), "assigning moves the status too")
    patch(tid, user="bob", description="new\ntext", complete_before=None)
    eq(brief(tid)[0], ("updated", "bob", {
        "description": ["same", "new\ntext"], "complete_before": [due, None]}),
       "by the assignee, a deadline removed")
    patch(tid, method="PUT", name="u3", assigned_to=UID["carol"])
    eq(brief(tid)[0], ("updated", "alice", {
        "name": ["u2", "u3"], "assigned_to": [UID["bob"], UID["carol"]]}), "PUT")
    patch(tid, status="Completed")
    eq(brief(tid)[0], ("completed", "alice", {"status": ["In Progress", "Completed"]}),
       "a save that completes")
    eq(len(history(tid)), 6, "one entry per change")


def test_refused_writes_record_nothing():
    t = mktask(name="r")
    other = req("POST", "/api/lists/%d/tasks/" % t["list_id"], {"name": "taken"})
    eq(other.status, 201, "second task")
    r = req("PATCH", "/api/tasks/%d/" % t["id"], {"name": "taken",
                                                   "updated_at": t["updated_at"]})
    eq(r.status, 400, "name taken")
    r = req("PATCH", "/api/tasks/%d/" % t["id"], {"name": "x",
                                                   "updated_at": "2020-01-01T00:00:00Z"})
    eq(r.status, 409, "stale")
    r = req("POST", "/api/tasks/%d/complete/" % t["id"])
    eq(r.status, 400, "not completable")
    eq(len(history(t["id"])), 1, "only the creation")


def test_complete_and_comment():
    t = mktask(assigned_to=UID["bob"])
    r = req("POST", "/api/tasks/%d/comments/" % t["id"], {"text": "on it"}, "bob")
    eq(r.status, 201, "comment")
    eq(req("POST", "/api/tasks/%d/complete/" % t["id"], user="bob").status, 200, "complete")
    eq(brief(t["id"])[:2], [
        ("completed", "bob", {"status": ["In Progress", "Completed"]}),
        ("commented", "bob", {})], "complete and comment")
    eq(req("GET", "/api/tasks/%d/" % t["id"]).json["status"], "Completed", "completed")


def test_history_goes_with_its_task():
    t = mktask()
    patch(t["id"], name="x")
    eq(sql("SELECT count(*) FROM task_activity WHERE task_id = ?", (t["id"],))[0][0], 2,
       "stored")
    eq(req("DELETE", "/api/tasks/%d/" % t["id"]).status, 204, "deleted")
    eq(sql("SELECT count(*) FROM task_activity WHERE task_id = ?", (t["id"],))[0][0], 0,
       "gone with it")
    eq(sql("SELECT name FROM deletions WHERE kind = 'task' AND object_id = ?",
           (t["id"],)), [("x",)], "the deletions log still records the task")


def test_the_history_is_written_in_the_change_s_transaction():
    t = mktask(name="atomic", assigned_to=UID["bob"])
    # the history row fails (how the API words that failure does not matter)
    if PG:
        sql("CREATE FUNCTION activity_refused() RETURNS trigger LANGUAGE plpgsql"
            " AS $$BEGIN RAISE EXCEPTION 'refused by the test'; END$$")
        sql("CREATE TRIGGER activity_refused BEFORE INSERT ON task_activity"
            " FOR EACH ROW EXECUTE FUNCTION activity_refused()")
    else:
        sql("CREATE TRIGGER activity_refused BEFORE INSERT ON task_activity"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    try:
        r = req("PATCH", "/api/tasks/%d/" % t["id"], {"name": "changed",
                                                       "updated_at": t["updated_at"]})
        assert r.status >= 400, "the history row cannot be written: %r" % r
        r = req("POST", "/api/tasks/%d/comments/" % t["id"], {"text": "lost"}, "bob")
        assert r.status >= 400, "nor the comment's: %r" % r
        r = req("POST", "/api/tasks/%d/complete/" % t["id"], user="bob")
        assert r.status >= 400, "nor the completion's: %r" % r
        outbox = sql("SELECT count(*) FROM outbox")[0][0]
        r = req("POST", "/api/lists/%d/tasks/" % t["list_id"], {"name": "new"})
        assert r.status >= 400, "nor the creation's: %r" % r
        eq(sql("SELECT count(*) FROM outbox")[0][0], outbox, "no notice either")
    finally:
        if PG:
            sql("DROP TRIGGER activity_refused ON task_activity")
            sql("DROP FUNCTION activity_refused()")
        else:
            sql("DROP TRIGGER activity_refused")
    eq(req("GET", "/api/tasks/%d/" % t["id"]).json, t, "the task as it was")
    eq(req("GET", "/api/tasks/%d/comments/" % t["id"]).json["count"], 0, "no comment")
    eq(sql("SELECT count(*) FROM tasks WHERE list_id = ?", (t["list_id"],))[0][0], 1,
       "no new task")
    eq(len(history(t["id"])), 1, "only the creation")


# -- the other writers ------------------------------------------------------------------

def test_admin_add_edit_and_bulk_edit():
    a = Admin(S)
    a.login("root")
    lid = mklist()
    a.get("/admin/tasks/add/")
    r = a.post("/admin/tasks/add/", {"list": str(lid), "name": "from admin",
                                      "description": "", "assigned_to": "",
                                      "complete_before": "", "status": "Pending"})
    eq(r.status, 302, "added: %s" % r.body[:300])
    tid = int(r.header("Location").split("/tasks/")[1].split("/")[0])
    eq(brief(tid), [("created", "root", {"name": [None, "from admin"],
                                          "status": [None, "Pending"]})], "admin add")
    page = a.get("/admin/tasks/%d/" % tid)
    stamp = page.body.decode().split('name="updated_at" value="')[1].split('"')[0]
    r = a.post("/admin/tasks/%d/" % tid, {"name": "from admin", "description": "typed",
                                          "assigned_to": str(UID["bob"]),
                                          "complete_before": "", "status": "Pending",
                                          "updated_at": stamp, "_save": ""})
    eq(r.status, 302, "edited: %s" % r.body[:300])
    eq(brief(tid)[0], ("updated", "root", {
        "description": ["", "typed"], "assigned_to": [None, UID["bob"]],
        "status": ["Pending", "In Progress"]}), "admin edit: the fields that changed")
    # the bulk edit of the task list page
    cur = req("GET", "/api/tasks/%d/" % tid).json
    a.get("/admin/tasks/")
    stamp = a.get("/admin/tasks/?q=from+admin").body.decode().split(
        'name="updated_at-%d" value="' % tid)[1].split('"')[0]
    r = a.post("/admin/tasks/?q=from+admin", [
        ("id", str(tid)), ("status-%d" % tid, "Completed"), ("orig_status-%d" % tid, cur["status"]),
        ("assigned_to-%d" % tid, str(UID["bob"])),
        ("orig_assigned_to-%d" % tid, str(UID["bob"])),
        ("updated_at-%d" % tid, stamp), ("_save", "Save")])
    assert r.status in (200, 302), r
    eq(brief(tid)[0], ("completed", "root", {"status": ["In Progress", "Completed"]}),
       "admin bulk edit")


def test_admin_task_page_shows_comments_and_history():
    a = Admin(S)
    a.login("root")
    t = mktask(name="paged <task>", assigned_to=UID["bob"])
    r = req("POST", "/api/tasks/%d/comments/" % t["id"], {"text": "<script>x</script>"},
            "bob")
    eq(r.status, 201, "comment")
    cid = r.json["id"]
    page = a.get("/admin/tasks/%d/" % t["id"]).body.decode()
    assert 'id="comments"' in page and 'id="history"' in page, page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page, \
        "comment text escaped"
    assert "commented" in page and "created" in page, "history actions"
    assert "paged &lt;task&gt;" in page, "change values escaped"
    assert '<span class="field">assigned_to</span>: <span class="from">(none)</span> &rarr; ' \
        '<span class="to">bob</span>' in page, "the assignee by name"
    # add, without and with the CSRF token
    r = a.post("/admin/tasks/%d/comments/" % t["id"], {"text": "by staff"}, csrf="bad")
    eq(r.status, 403, "a wrong CSRF token is refused")
    a.get("/admin/tasks/%d/" % t["id"])
    r = a.post("/admin/tasks/%d/comments/" % t["id"], {"text": "  by staff  "})
    eq(r.status, 302, "comment added")
    assert r.header("Location").endswith("/admin/tasks/%d/?commented=1#comments" % t["id"]), \
        r.header("Location")
    got = req("GET", "/api/tasks/%d/comments/" % t["id"]).json["results"]
    eq([(c["author_username"], c["text"]) for c in got],
       [("bob", "<script>x</script>"), ("root", "by staff")], "stored as root")
    r = a.post("/admin/tasks/%d/comments/" % t["id"], {"text": "   "})
    assert "comment_error=1" in r.header("Location"), r.header("Location")
    eq(req("GET", "/api/tasks/%d/comments/" % t["id"]).json["count"], 2, "blank refused")
    # delete any comment (staff)
    a.get("/admin/tasks/%d/" % t["id"])
    r = a.post("/admin/comments/%d/delete/" % cid, {}, csrf="bad")
    eq(r.status, 403, "delete without the token")
    a.get("/admin/tasks/%d/" % t["id"])
    r = a.post("/admin/comments/%d/delete/" % cid, {})
    eq(r.status, 302, "deleted")
    eq([c["text"] for c in req("GET", "/api/tasks/%d/comments/" % t["id"]).json["results"]],
       ["by staff"], "the other one is left")
    eq(a.post("/admin/comments/%d/delete/" % cid, {}).status, 404, "gone")
    eq(a.post("/admin/tasks/999999/comments/", {"text": "x"}).status, 404, "no task")


def test_bot_done_button():
    TG.reset()
    sql("UPDATE users SET telegram_id = NULL")
    sql("UPDATE users SET telegram_id = 6001 WHERE username = 'bob'")
    t = mktask(assigned_to=UID["bob"])
    TG.press(6001, "done:%d" % t["id"], message_id=5)
    p = S.cli("bot", "--once")
    eq(p.returncode, 0, "bot --once: %s" % p.stderr)
    eq(req("GET", "/api/tasks/%d/" % t["id"]).json["status"], "Completed", "done")
    eq(brief(t["id"])[0], ("completed", "bob", {"status": ["In Progress", "Completed"]}),
       "the bot's done button, as the linked user")


def test_overdue_sweep_has_no_actor():
    past = iso(datetime.datetime.utcnow() - datetime.timedelta(hours=1))
    t = mktask(assigned_to=UID["bob"], complete_before=past)
    u = mktask(complete_before=past)
    p = S.cli("sweep")
    eq(p.returncode, 0, "sweep: %s" % p.stderr)
    h = history(t["id"])[0]
    eq((h["action"], h["actor_id"], h["actor_username"], h["changes"]),
       ("overdue", None, None, {"status": ["In Progress", "Overdue"]}), "swept")
    eq(brief(u["id"])[0], ("overdue", None, {"status": ["Pending", "Overdue"]}),
       "a pending one")
    S.cli("sweep", check=True)
    eq(len(history(t["id"])), 2, "a second sweep records nothing")


if __name__ == "__main__":
    run_tests(globals())
