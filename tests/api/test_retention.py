#!/usr/bin/env python3
"""Retention: `taskmgr worker --once` purges old events and old finished
notices (never pending ones), the events feed's cursor stays right when old
rows are gone, 0 keeps everything, and the keys are validated."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests, sqlite_only  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402

S = None
TG = None
TOK = {}
DAY = 86400 * 1000000
BOB_CHAT = 9101


def setup_module():
    global S, TG
    TG = FakeTelegram().start()
    S = Server(workers=1, config={
        "telegram_bot_token": TOKEN,
        "telegram_api_base": TG.base,
        "telegram_timeout": "2",
        "telegram_chat_interval_ms": "20",
        "events_retention_days": "30",
        "outbox_retention_days": "30",
    }).start()
    for u in ("alice", "bob"):
        S.create_user(u)
        TOK[u] = S.login(u)
    with db() as c:
        c.execute("UPDATE users SET telegram_id = ? WHERE username = 'bob'", (BOB_CHAT,))


def teardown_module():
    S.stop()
    TG.stop()


def req(method, path, body=None, user="alice"):
    return S.request(method, path, body=body, token=TOK[user])


def db():
    return S.connect()


def q(sql, *args):
    return S.sql(sql, *args)


def uid(name):
    return q("SELECT id FROM users WHERE username = ?", name)[0][0]


def now_us():
    return int(time.time() * 1e6)


def worker_once(env=None):
    p = S.cli("worker", "--once", env=env)
    eq(p.returncode, 0, "worker --once (%s)" % p.stderr)


def feed(after=None, user="alice"):
    r = req("GET", "/api/events/" + ("" if after is None else "?after=%d" % after), user=user)
    eq(r.status, 200, "events: %r" % r)
    return [e["id"] for e in r.json["results"]], r.json["next_after"]


def new_task(name, assignee=None):
    r = req("POST", "/api/lists/", {"name": "list " + name})
    eq(r.status, 201, "list: %r" % r)
    body = {"name": name}
    if assignee:
        body["assigned_to"] = uid(assignee)
    r = req("POST", "/api/lists/%d/tasks/" % r.json["id"], body)
    eq(r.status, 201, "task: %r" % r)
    return r.json["id"]


def notice(status, created, finished=None, next_at=None):
    """An outbox row of bob's; finished_at (and sent_at when sent) = finished."""
    with db() as c:
        cur = c.execute(
            "INSERT INTO outbox (user_id, text, status, next_attempt_at, created_at,"
            " sent_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (uid("bob"), "notice %d" % status, status,
             created if next_at is None else next_at, created,
             finished if status == 1 else None, finished))
        return cur.lastrowid


def exists(oid):
    return q("SELECT count(*) FROM outbox WHERE id = ?", oid)[0][0] == 1


def log_tail(since):
    with open(S.log, encoding="utf-8", errors="replace") as f:
        f.seek(since)
        return f.read()


def log_size():
    return os.path.getsize(S.log) if os.path.exists(S.log) else 0


def test_worker_purges_old_events_and_finished_notices():
    TG.reset()
    now = now_us()
    old, recent = now - 40 * DAY, now - 3 * DAY
    new_task("old one", "bob")
    old_ids, _ = feed()
    assert old_ids, "the task made events"
    with db() as c:   # those events and notices are 40 days old now
        c.execute("UPDATE events SET created_at = ?", (old,))
        c.execute("UPDATE outbox SET status = 1, sent_at = ?, finished_at = ?,"
                  " created_at = ?", (old, old, old))
    new_task("new one", "bob")      # recent events, one pending notice for bob
    new_ids, _ = feed()
    new_ids = [i for i in new_ids if i not in old_ids]
    assert new_ids, "the second task made events"
    gone = [notice(1, old, old), notice(2, old, old), notice(3, old, old)]
    kept = [notice(1, old, recent),                     # created long ago, sent lately
            notice(3, recent, recent),
            notice(0, old, next_at=now + 3600 * 1000000),   # pending, waiting for a retry
            notice(0, old, next_at=now + 7200 * 1000000)]
    n_old_events = q("SELECT count(*) FROM events WHERE created_at < ?", now - 30 * DAY)[0][0]
    n_old_notices = q("SELECT count(*) FROM outbox WHERE status <> 0 AND finished_at < ?",
                      now - 30 * DAY)[0][0]
    since = log_size()

    worker_once()

    eq(q("SELECT count(*) FROM events WHERE created_at < ?", now - 30 * DAY)[0][0], 0,
       "no old event left")
    ids, nxt = feed()
    eq(ids, new_ids, "the feed keeps the recent events only")
    eq(nxt, new_ids[-1], "next_after")
    ids, nxt = feed(after=old_ids[0])
    eq(ids, new_ids, "a cursor on a purged event still works")
    for oid in gone:
        assert not exists(oid), "finished notice %d purged" % oid
    for oid in kept:
        assert exists(oid), "notice %d kept" % oid
    eq(q("SELECT count(*) FROM outbox WHERE status = 0")[0][0], 2, "both pending kept")
    eq(TG.texts(BOB_CHAT), ["Вам назначена задача: new one"], "the new notice delivered")
    eq(q("SELECT count(*) FROM outbox WHERE status = 1 AND finished_at >= ?", now)[0][0], 1,
       "... and kept as sent")
    text = log_tail(since)
    assert "purged %d event(s) older than 30 day(s)" % n_old_events in text, text
    assert "purged %d finished notice(s) older than 30 day(s)" % n_old_notices in text, text


def test_cursor_survives_purging_the_newest_events():
    sqlite_only("events' high-water mark (025); PostgreSQL has identity ids")
    worker_once()
    ids, last = feed()
    assert ids, "there are events"
    top = q("SELECT max(id) FROM events")[0][0]
    with db() as c:
        c.execute("UPDATE events SET created_at = ?", (now_us() - 31 * DAY,))
    worker_once()
    eq(q("SELECT count(*) FROM events WHERE user_id IS NOT NULL")[0][0], 0,
       "every event purged")
    eq(q("SELECT id FROM events"), [(top,)],
       "but the newest id, as the high-water mark (sql/025)")
    eq(feed(after=last), ([], last), "nothing new keeps the cursor")
    eq(feed(), ([], 0), "an empty feed")
    new_task("after the purge")
    ids, nxt = feed(after=last)
    assert len(ids) == 1 and ids[0] > last, "the new event is after the cursor: %r" % ids
    eq(nxt, ids[0], "next_after")


def test_many_rows_go_in_batches():
    old = now_us() - 60 * DAY
    a = uid("alice")
    with db() as c:
        # as events are written: the old ones have the lower ids (the purge
        # walks ids, oldest first, and stops at the first young row)
        c.execute("DELETE FROM events")
        c.executemany("INSERT INTO events (user_id, type, action, created_at)"
                      " VALUES (?, 'task_updated', 'updated', ?)", [(a, old)] * 1234)
        c.executemany("INSERT INTO events (user_id, type, action, created_at)"
                      " VALUES (?, 'task_updated', 'updated', ?)", [(a, now_us())] * 7)
        c.executemany("INSERT INTO outbox (user_id, text, status, next_attempt_at,"
                      " created_at, finished_at) VALUES (?, 'x', 3, ?, ?, ?)",
                      [(a, old, old, old)] * 1100)
    since = log_size()
    worker_once()
    eq(q("SELECT count(*) FROM events WHERE created_at = ?", old)[0][0], 0, "1234 events gone")
    eq(q("SELECT count(*) FROM events WHERE user_id IS NOT NULL")[0][0], 7,
       "the 7 young ones kept")
    eq(q("SELECT count(*) FROM outbox WHERE finished_at = ?", old)[0][0], 0,
       "1100 notices gone")
    eq(q("SELECT count(*) FROM outbox WHERE status = 0")[0][0], 2, "pending still kept")
    text = log_tail(since)
    assert "purged 1234 event(s)" in text, text
    assert "purged 1100 finished notice(s)" in text, text


def test_zero_keeps_everything():
    old = now_us() - 400 * DAY
    new_task("kept forever", "bob")
    with db() as c:
        c.execute("UPDATE events SET created_at = ?", (old,))
    oid = notice(2, old, old)
    n = q("SELECT count(*) FROM events")[0][0]
    assert n > 0
    worker_once(env={"TASKMGR_EVENTS_RETENTION_DAYS": "0",
                     "TASKMGR_OUTBOX_RETENTION_DAYS": "0"})
    eq(q("SELECT count(*) FROM events")[0][0], n, "events kept")
    assert exists(oid), "finished notice kept"
    worker_once(env={"TASKMGR_EVENTS_RETENTION_DAYS": "0"})
    eq(q("SELECT count(*) FROM events")[0][0], n, "events still kept")
    assert not exists(oid), "the outbox has its own setting"


def test_keys_are_validated():
    p = S.cli("check-config", env={"TASKMGR_OUTBOX_RETENTION_DAYS": "-1"})
    assert p.returncode != 0, "negative refused"
    assert "outbox_retention_days" in p.stderr, p.stderr
    p = S.cli("check-config", env={"TASKMGR_EVENTS_RETENTION_DAYS": "thirty"})
    assert p.returncode != 0 and "events_retention_days" in p.stderr, p.stderr
    p = S.cli("check-config")
    eq(p.returncode, 0, "check-config (%s)" % p.stderr)
    assert "events_retention_days = 30\n" in p.stdout, p.stdout
    assert "outbox_retention_days = 30\n" in p.stdout, p.stdout


if __name__ == "__main__":
    run_tests(globals(), time_limit=120)
