#!/usr/bin/env python3
"""Comments on tasks through real nginx + spawn-fcgi: the shape and pages,
the text rules, who may read, write, edit and delete (today's visibility:
the list's owner and the task's assignee), optimistic locking of an edit,
the notices (outbox rows, delivered through the fake Telegram by the
worker: the assignee and the list's owner, never the author, the text cut
at 500 characters), the events feed, and what goes with a deleted task."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import eq, run_tests  # noqa: E402
import fixtures_notes as F  # noqa: E402
from fixtures_notes import UID, req, sql  # noqa: E402

S = None
TG = None
KEYS = ["id", "task_id", "author_id", "author_username", "text", "created_at",
        "updated_at"]
NOT_FOUND = {"detail": "Not found."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


def setup_module():
    global S, TG
    S, TG = F.start()


def teardown_module():
    F.stop()


def task(assignee="bob", owner="alice"):
    """A new task in a new list of owner, assigned to assignee (None: nobody)."""
    lid = F.new_list("c", owner)
    body = {"name": "Отчёт <b>"}
    if assignee:
        body["assigned_to"] = UID[assignee]
    r = req("POST", "/api/lists/%d/tasks/" % lid, body, owner)
    eq(r.status, 201, "task")
    return r.json["id"]


def comment(tid, text, user):
    r = req("POST", "/api/tasks/%d/comments/" % tid, {"text": text}, user)
    eq(r.status, 201, "comment by %s: %r" % (user, r))
    return r.json


def outbox_since(oid):
    return sql("SELECT user_id, text FROM outbox WHERE id > ? ORDER BY id", (oid,))


def last_outbox():
    return sql("SELECT coalesce(max(id), 0) FROM outbox")[0][0]


# -- shape, pages, text ---------------------------------------------------------

def test_shape_and_oldest_first_pages():
    tid = task()
    a = comment(tid, "first", "bob")
    eq(sorted(a), sorted(KEYS), "keys")
    eq((a["task_id"], a["author_id"], a["author_username"], a["text"]),
       (tid, UID["bob"], "bob", "first"), "values")
    eq(a["created_at"], a["updated_at"], "a new comment was not edited")
    assert a["created_at"].endswith("Z") and len(a["created_at"]) == 27, a
    b = comment(tid, "second", "alice")
    c = comment(tid, "third", "bob")
    r = req("GET", "/api/tasks/%d/comments/" % tid)
    eq(r.status, 200, "list")
    eq(r.json["count"], 3, "count")
    eq([x["id"] for x in r.json["results"]], [a["id"], b["id"], c["id"]], "oldest first")
    eq(r.json["results"][0], a, "the same object as the create answered")
    r = req("GET", "/api/tasks/%d/comments/?limit=2" % tid, user="bob")
    eq([x["text"] for x in r.json["results"]], ["first", "second"], "first page")
    assert r.json["next"].endswith("/api/tasks/%d/comments/?limit=2&offset=2" % tid), r.json
    r = req("GET", "/api/tasks/%d/comments/?limit=2&offset=2" % tid, user="bob")
    eq([x["text"] for x in r.json["results"]], ["third"], "second page")
    eq(req("GET", "/api/tasks/%d/comments/?limit=-1" % tid).status, 400, "bad limit")


def test_text_is_trimmed_and_bounded():
    tid = task()
    eq(comment(tid, "  \u00a0hello there \n", "alice")["text"], "hello there", "trimmed")
    long_ok = "ж" * 10000
    eq(comment(tid, "  " + long_ok + " ", "alice")["text"], long_ok,
       "10000 characters (not bytes) after trimming")
    cases = [
        ({"text": "ж" * 10001}, {"text": ["Ensure this field has no more than 10000 characters."]}),
        ({"text": "   "}, {"text": ["This field may not be blank."]}),
        ({}, {"text": ["This field is required."]}),
        ({"text": None}, {"text": ["This field may not be null."]}),
    ]
    for body, want in cases:
        r = req("POST", "/api/tasks/%d/comments/" % tid, body)
        eq((r.status, r.json), (400, want), "refused %r" % (body,)[:40])
    eq(req("GET", "/api/tasks/%d/comments/" % tid).json["count"], 2, "nothing stored")


# -- who may do what --------------------------------------------------------------

def test_who_may_read_and_comment():
    tid = task()
    for user in ("alice", "bob"):
        eq(req("GET", "/api/tasks/%d/comments/" % tid, user=user).status, 200, user)
        comment(tid, "by " + user, user)
    for path in ("/api/tasks/%d/comments/" % tid, "/api/tasks/999999/comments/"):
        r = req("GET", path, user="carol")
        eq((r.status, r.json), (404, NOT_FOUND), "stranger reads " + path)
        r = req("POST", path, {"text": "x"}, user="carol")
        eq((r.status, r.json), (404, NOT_FOUND), "stranger writes " + path)
    # not visible beats a bad body
    r = req("POST", "/api/tasks/%d/comments/" % tid, {"text": ""}, user="carol")
    eq(r.status, 404, "not found before the body is checked")
    eq(req("GET", "/api/tasks/%d/comments/" % tid, user=None).status, 401, "anonymous")
    eq(req("PUT", "/api/tasks/%d/comments/" % tid, {"text": "x"}).status, 405, "PUT")
    eq(req("GET", "/api/tasks/%d/comments" % tid).status, 404, "no trailing slash")
    # the assignee who is no longer assigned no longer sees it
    r = req("GET", "/api/tasks/%d/" % tid)
    eq(req("PATCH", "/api/tasks/%d/" % tid, {"assigned_to": None,
                                              "updated_at": r.json["updated_at"]}).status,
       200, "unassigned")
    eq(req("GET", "/api/tasks/%d/comments/" % tid, user="bob").status, 404,
       "former assignee")


def test_edit_only_by_the_author_with_locking():
    tid = task()
    mine = comment(tid, "bob's", "bob")
    path = "/api/comments/%d/" % mine["id"]
    # the owner sees it but may not edit it; a stranger does not see it
    r = req("PATCH", path, {"text": "x", "updated_at": mine["updated_at"]}, "alice")
    eq((r.status, r.json), (403, FORBIDDEN), "owner edits another's comment")
    r = req("PATCH", path, {"text": "x", "updated_at": mine["updated_at"]}, "carol")
    eq((r.status, r.json), (404, NOT_FOUND), "stranger")
    r = req("PATCH", "/api/comments/999999/", {"text": "x"}, "bob")
    eq(r.status, 404, "no such comment")
    # locking as for tasks
    r = req("PATCH", path, {"text": "x"}, "bob")
    eq((r.status, r.json), (409, {"detail": "Field 'updated_at' is required for updates."}),
       "no updated_at")
    r = req("PATCH", path, {"text": "x", "updated_at": "2020-01-01T00:00:00Z"}, "bob")
    eq((r.status, r.json), (409, {"detail": "The object was modified by another user."}),
       "stale updated_at")
    r = req("PATCH", path, {"text": " ", "updated_at": mine["updated_at"]}, "bob")
    eq((r.status, r.json), (400, {"text": ["This field may not be blank."]}), "blank")
    r = req("PATCH", path, {"text": " edited ", "updated_at": mine["updated_at"]}, "bob")
    eq(r.status, 200, "author edits: %r" % r)
    eq(r.json["text"], "edited", "trimmed and stored")
    eq((r.json["id"], r.json["created_at"]), (mine["id"], mine["created_at"]), "same comment")
    assert r.json["updated_at"] > mine["updated_at"], r.json
    # the old updated_at no longer works
    r2 = req("PATCH", path, {"text": "again", "updated_at": mine["updated_at"]}, "bob")
    eq(r2.status, 409, "second write with the old updated_at")
    eq(req("GET", "/api/tasks/%d/comments/" % tid).json["results"][0]["text"], "edited",
       "stored")
    eq(req("DELETE", path, user="alice").status, 204, "cleanup")


def test_delete_by_author_or_owner():
    tid = task()
    owner_c = comment(tid, "owner's", "alice")
    bob_c = comment(tid, "bob's", "bob")
    bob_c2 = comment(tid, "bob's again", "bob")
    r = req("DELETE", "/api/comments/%d/" % owner_c["id"], user="bob")
    eq((r.status, r.json), (403, FORBIDDEN), "the assignee deletes the owner's comment")
    r = req("DELETE", "/api/comments/%d/" % bob_c["id"], user="carol")
    eq((r.status, r.json), (404, NOT_FOUND), "stranger")
    eq(req("DELETE", "/api/comments/%d/" % bob_c["id"], user="alice").status, 204,
       "the list's owner deletes another's comment")
    eq(req("DELETE", "/api/comments/%d/" % bob_c2["id"], user="bob").status, 204,
       "the author deletes theirs")
    eq(req("DELETE", "/api/comments/%d/" % bob_c2["id"], user="bob").status, 404, "gone")
    eq(req("DELETE", "/api/comments/%d/" % owner_c["id"], user="alice").status, 204,
       "the owner deletes theirs")
    eq(req("GET", "/api/tasks/%d/comments/" % tid).json["count"], 0, "none left")
    # ids are not reused
    new = comment(tid, "new", "alice")
    assert new["id"] > bob_c2["id"], (new, bob_c2)


# -- notices and events ------------------------------------------------------------

def notices(tid, text, author):
    before = last_outbox()
    comment(tid, text, author)
    return [(u, t) for u, t in outbox_since(before)]


def test_notices_go_to_assignee_and_owner_never_the_author():
    tid = task()
    msg = "Новый комментарий к задаче 'Отчёт <b>' от %s: %s"
    eq(notices(tid, "hi", "bob"), [(UID["alice"], msg % ("bob", "hi"))],
       "the assignee comments: the owner hears")
    eq(notices(tid, "ok", "alice"), [(UID["bob"], msg % ("alice", "ok"))],
       "the owner comments: the assignee hears")
    own = task(assignee="alice")
    eq(notices(own, "note to self", "alice"), [], "owner and assignee are the author")
    nobody = task(assignee=None)
    eq(notices(nobody, "alone", "alice"), [], "no assignee, the author owns it")
    third = task(assignee="carol")
    eq(sorted(notices(third, "both", "carol")), [(UID["alice"], msg % ("carol", "both"))],
       "carol comments on her task")


def test_notice_text_is_cut_at_500_characters():
    tid = task()
    text = "ё" * 499 + "🙂" + "x" * 100     # 600 characters, mostly two bytes or more
    got = notices(tid, text, "bob")
    eq(len(got), 1, "one notice")
    want = "Новый комментарий к задаче 'Отчёт <b>' от bob: " + "ё" * 499 + "🙂"
    eq(got[0][1], want, "cut after the 500th character")
    eq(notices(tid, "y" * 500, "bob")[0][1][-502:], ": " + "y" * 500,
       "500 characters are kept whole")


def test_notice_delivered_through_telegram():
    TG.reset()
    sql("UPDATE outbox SET status = 3 WHERE status = 0")
    sql("UPDATE users SET telegram_id = NULL")
    sql("UPDATE users SET telegram_id = 7001 WHERE username = 'alice'")
    sql("UPDATE users SET telegram_id = 7002 WHERE username = 'bob'")
    tid = task()
    sql("UPDATE outbox SET status = 3 WHERE status = 0")     # the assignment notice
    comment(tid, "see <this> & that", "bob")
    p = S.cli("worker", "--once")
    eq(p.returncode, 0, "worker --once: %s" % p.stderr)
    eq(TG.texts(7001), ["Новый комментарий к задаче 'Отчёт &lt;b&gt;' от bob: "
                        "see &lt;this&gt; &amp; that"], "the owner's chat, escaped")
    eq(TG.texts(7002), [], "the author's chat: nothing")
    sql("UPDATE users SET telegram_id = NULL")


def test_events_feed():
    tid = task()
    after = {u: req("GET", "/api/events/?after=0&limit=100", user=u).json["next_after"]
             for u in ("alice", "bob")}

    def feed(u):
        r = req("GET", "/api/events/?after=%d" % after[u], user=u)
        eq(r.status, 200, "events")
        return [(e["type"], e["action"], e.get("message"), e.get("task"))
                for e in r.json["results"]]

    comment(tid, "hello", "bob")
    a = feed("alice")
    eq([x[:2] for x in a], [("task_updated", "commented"), ("task_notify", "commented")],
       "the owner: change and notice")
    eq(a[1][2], "Новый комментарий к задаче 'Отчёт <b>' от bob: hello", "message")
    eq([x[:2] for x in feed("bob")], [("task_updated", "commented")],
       "the author: the change, no notice")
    eq([e for e in req("GET", "/api/events/?after=0&limit=100", user="carol").json["results"]
        if e.get("task") == tid], [], "a stranger hears nothing")


def test_comments_go_with_their_task_and_the_deletions_log_still_works():
    tid = task()
    c = comment(tid, "soon gone", "bob")
    eq(sql("SELECT count(*) FROM comments WHERE task_id = ?", (tid,))[0][0], 1, "stored")
    eq(req("DELETE", "/api/tasks/%d/" % tid).status, 204, "task deleted")
    eq(sql("SELECT count(*) FROM comments WHERE task_id = ?", (tid,))[0][0], 0,
       "comments cascade")
    eq(sql("SELECT count(*) FROM task_activity WHERE task_id = ?", (tid,))[0][0], 0,
       "history cascades")
    eq(sql("SELECT kind, name FROM deletions WHERE object_id = ? AND kind = 'task'",
           (tid,)), [("task", "Отчёт <b>")], "the deletions log has the task")
    eq(req("DELETE", "/api/comments/%d/" % c["id"], user="bob").status, 404, "comment gone")
    # a list's delete takes its tasks' comments too
    tid = task()
    comment(tid, "x", "alice")
    lid = req("GET", "/api/tasks/%d/" % tid).json["list_id"]
    eq(req("DELETE", "/api/lists/%d/" % lid).status, 204, "list deleted")
    eq(sql("SELECT count(*) FROM comments WHERE task_id = ?", (tid,))[0][0], 0,
       "comments of the list's tasks")


if __name__ == "__main__":
    run_tests(globals())
