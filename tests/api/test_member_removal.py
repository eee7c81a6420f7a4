#!/usr/bin/env python3
"""Removing a member of a shared list takes effect on their next request:
their events feed no longer shows the list's tasks (but those assigned to
them), and their notices about those tasks not sent yet are not sent."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402

S = None
TG = None
TOK = {}
UID = {}
USERS = ("olga", "mia", "ray", "pat")
CHAT = 9101     # mia's Telegram chat


def setup_module():
    global S, TG
    TG = FakeTelegram().start()
    S = Server(workers=1, config={
        "telegram_bot_token": TOKEN,
        "telegram_api_base": TG.base,
        "telegram_timeout": "2",
        "telegram_retry_base_ms": "100",
        "telegram_retry_max": "1",
        "telegram_chat_interval_ms": "20",
    }).start()
    for u in USERS:
        S.create_user(u, staff=False)
        TOK[u] = S.login(u)
    with S.connect() as db:
        for u in USERS:
            UID[u] = db.execute("SELECT id FROM users WHERE username = ?", (u,)).fetchone()[0]
        db.execute("UPDATE users SET telegram_id = ? WHERE username = 'mia'", (CHAT,))
    db.close()


def teardown_module():
    if S is not None:
        S.stop()
    if TG is not None:
        TG.stop()


def req(method, path, body=None, user="olga"):
    return S.request(method, path, body=body, token=TOK[user])


N = [0]


def uniq(prefix):
    N[0] += 1
    return "%s %03d" % (prefix, N[0])


def make_list(owner, members):
    r = req("POST", "/api/lists/", {"name": uniq("List")}, user=owner)
    eq(r.status, 201, "list: %r" % r)
    lid = r.json["id"]
    for u, role in members:
        r = req("POST", "/api/lists/%d/members/" % lid, {"username": u, "role": role},
                user=owner)
        eq(r.status, 201, "add %s: %r" % (u, r))
    return lid


def make_task(lid, assignee=None, owner="olga"):
    body = {"name": uniq("Task")}
    if assignee:
        body["assigned_to"] = UID[assignee]
    r = req("POST", "/api/lists/%d/tasks/" % lid, body, user=owner)
    eq(r.status, 201, "task: %r" % r)
    return r.json["id"]


def touch(tid, user="olga", **fields):
    cur = req("GET", "/api/tasks/%d/" % tid, user=user).json
    body = {"updated_at": cur["updated_at"]}
    body.update(fields or {"description": uniq("edit")})
    r = req("PATCH", "/api/tasks/%d/" % tid, body, user=user)
    eq(r.status, 200, "patch: %r" % r)


def feed_tasks(user):
    """The task ids of user's whole events feed."""
    seen, after = [], 0
    while True:
        r = req("GET", "/api/events/?after=%d" % after, user=user)
        eq(r.status, 200, "events: %r" % r)
        if not r.json["results"]:
            return seen
        seen += [e.get("task") for e in r.json["results"]]
        after = r.json["next_after"]


def remove(lid, who, by="olga"):
    r = req("DELETE", "/api/lists/%d/members/%d/" % (lid, UID[who]), user=by)
    eq(r.status, 204, "remove %s: %r" % (who, r))


def test_a_removed_members_feed_keeps_only_their_own_tasks():
    lid = make_list("olga", [("mia", "viewer"), ("ray", "editor")])
    free, mine, rays = make_task(lid), make_task(lid, "mia"), make_task(lid, "ray")
    other = make_list("pat", [("mia", "viewer")])
    kept = make_task(other, owner="pat")
    for t in (free, mine, rays):
        touch(t)
    touch(kept, user="pat")
    before = set(feed_tasks("mia"))
    assert {free, mine, rays, kept} <= before, "a member is told of every change: %r" % before
    remove(lid, "mia")
    after = feed_tasks("mia")
    assert free not in after and rays not in after, \
        "the removed list's tasks are gone from the feed: %r" % after
    assert mine in after, "the task assigned to them stays: %r" % after
    assert kept in after, "another shared list's tasks stay: %r" % after
    # later changes do not reach them either, but those of their own task do
    touch(free)
    touch(mine)
    after2 = feed_tasks("mia")
    eq(after2.count(free), 0, "no new event of the list's other tasks")
    assert after2.count(mine) > after.count(mine), "their own task still tells them"
    # the others' feeds are untouched
    assert free in feed_tasks("ray") and free in feed_tasks("olga"), "others keep theirs"


def test_a_member_who_leaves_loses_the_feed_too():
    lid = make_list("olga", [("mia", "editor")])
    t = make_task(lid)
    touch(t)
    assert t in feed_tasks("mia"), "told while a member"
    remove(lid, "mia", by="mia")
    assert t not in feed_tasks("mia"), "gone after leaving"


def sent_to_mia():
    return "\n".join(TG.texts(CHAT))


def test_a_removed_members_pending_notices_are_not_sent():
    TG.reset()
    r = S.cli("worker", "--once")      # whatever earlier tests queued goes out first
    TG.reset()
    lid = make_list("olga", [("mia", "editor")])
    theirs = make_task(lid, "mia")                  # "assigned" to mia
    passed = make_task(lid, "mia")                  # assigned, then given to ray
    touch(passed, assigned_to=UID["ray"])           # "unassigned" to mia
    r = req("POST", "/api/tasks/%d/comments/" % theirs, {"text": "about yours"})
    eq(r.status, 201, "comment: %r" % r)
    names = {}
    for t in (theirs, passed):
        names[t] = req("GET", "/api/tasks/%d/" % t).json["name"]
    with S.connect() as db:
        pending = db.execute("SELECT count(*) FROM outbox WHERE user_id = ? AND status = 0",
                             (UID["mia"],)).fetchone()[0]
    db.close()
    eq(pending, 4, "four notices wait for mia (2 assigned, unassigned, comment)")
    remove(lid, "mia")
    r = S.cli("worker", "--once")
    eq(r.returncode, 0, "worker: %s" % r.stderr)
    sent = sent_to_mia()
    assert names[theirs] in sent and "about yours" in sent, \
        "the notices of the task assigned to mia go out: %r" % sent
    assert names[passed] not in sent, "not those of the list's other tasks: %r" % sent
    with S.connect() as db:
        rows = db.execute("SELECT status, last_error FROM outbox WHERE user_id = ?"
                          " AND status = 3 AND last_error LIKE '%member%'",
                          (UID["mia"],)).fetchall()
    db.close()
    eq(len(rows), 2, "two notices skipped: %r" % rows)


if __name__ == "__main__":
    run_tests(globals())
