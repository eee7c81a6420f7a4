#!/usr/bin/env python3
"""Telegram: linking endpoints, the Bot scheme, the events feed, the webhook,
and the bot and worker programs against a fake Bot API server."""
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq, run_tests, TASKMGR, _terminate  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402

S = None
TG = None
TOK = {}
SECRET = "test-bot-secret-0123456789abcdef0123456789"
HOOK_SECRET = "hook-secret-ABCdef-0123456789-abcdef"
BOT = {"Authorization": "Bot " + SECRET}


def setup_module():
    global S, TG
    TG = FakeTelegram().start()
    S = Server(workers=2, config={
        "telegram_bot_token": TOKEN,
        "telegram_api_base": TG.base,
        "telegram_webhook_secret": HOOK_SECRET,
        "telegram_timeout": "2",
        "telegram_poll_timeout": "1",
        "telegram_retry_base_ms": "100",
        "telegram_retry_max": "1",
        "telegram_chat_interval_ms": "20",
        "worker_poll_ms": "50",
        "overdue_sweep_interval": "1",
    }).start()
    for u in ("alice", "bob", "carol", "dave"):
        S.create_user(u)
        TOK[u] = S.login(u)


def teardown_module():
    S.stop()
    TG.stop()


def req(method, path, body=None, user="alice", headers=None):
    return S.request(method, path, body=body, token=TOK[user] if user else None,
                     headers=headers)


def db():
    return S.connect()


def uid(name):
    return S.sql("SELECT id FROM users WHERE username = ?", name)[0][0]


def telegram_id(name):
    with db() as c:
        return c.execute("SELECT telegram_id FROM users WHERE username = ?",
                         (name,)).fetchone()[0]


def unlink_all():
    with db() as c:
        c.execute("UPDATE users SET telegram_id = NULL")


def new_code(user="alice"):
    r = req("POST", "/api/auth/telegram/link/", user=user)
    eq(r.status, 200, "link: %r" % r)
    return r.json["link_token"]


def confirm(code, tgid, headers=BOT):
    return S.request("POST", "/api/auth/telegram/confirm/",
                     body={"code": code, "telegram_id": tgid}, headers=headers)


def bot_once(timeout=30):
    p = S.cli("bot", "--once")
    eq(p.returncode, 0, "bot --once exit status (%s)" % p.stderr)


# -- linking endpoints ------------------------------------------------------

def test_link_creates_a_one_time_code():
    r = req("POST", "/api/auth/telegram/link/")
    eq(r.status, 200, "status")
    eq(sorted(r.json), ["expires_in", "link_token", "telegram_link"], "keys")
    code = r.json["link_token"]
    assert re.fullmatch(r"[0-9a-f]{32}", code), code
    eq(r.json["telegram_link"], "https://t.me/taskmgr_test_bot?start=" + code, "link")
    eq(r.json["expires_in"], 600, "expires_in")
    # stored hashed only
    assert code.encode() not in S.db_bytes(), "code stored in clear"
    eq(req("POST", "/api/auth/telegram/link/", user=None).status, 401, "anonymous")


def test_link_without_a_bot_name_is_503_and_makes_no_code():
    srv = Server(workers=1, config={"telegram_bot_name": ""}).start()
    try:
        srv.create_user("erin")
        r = srv.request("POST", "/api/auth/telegram/link/", token=srv.login("erin"))
        eq((r.status, r.json), (503, {"detail": "Telegram linking is not configured."}),
           "no telegram_bot_name: %r" % r)
        c = srv.connect()
        try:
            eq(c.execute("SELECT count(*) FROM telegram_links").fetchone()[0], 0, "no code")
        finally:
            c.close()
    finally:
        srv.stop()


def test_confirm_links_and_returns_tokens():
    unlink_all()
    code = new_code("alice")
    r = confirm(code, 5001)
    eq(r.status, 200, "status %r" % r)
    eq(r.json["message"], "Telegram account successfully linked", "message")
    eq(telegram_id("alice"), 5001, "linked")
    # the tokens work
    eq(S.request("POST", "/api/auth/telegram/link/", token=r.json["access"]).status, 200,
       "access token works")
    assert r.json["refresh"], r.json
    # single use
    r = confirm(code, 5001)
    eq((r.status, r.json), (400, {"error": "Invalid or expired code"}), "used code")


def test_confirm_telegram_id_as_string():
    unlink_all()
    r = confirm(new_code("bob"), "5002")
    eq(r.status, 200, "string id: %r" % r)
    eq(telegram_id("bob"), 5002, "linked")


def test_confirm_requires_the_bot_secret_and_refusal_keeps_the_code():
    unlink_all()
    code = new_code("alice")
    r = confirm(code, 5003, headers={})
    eq(r.status, 401, "no secret: %r" % r)
    r = confirm(code, 5003, headers={"Authorization": "Bot wrong-secret"})
    eq(r.status, 401, "wrong secret: %r" % r)
    r = confirm(code, 5003, headers={"Authorization": "Bearer " + TOK["alice"]})
    eq(r.status, 401, "a user token is not the secret: %r" % r)
    r = confirm(code, 5003, headers={"Authorization": "Bot " + SECRET[:-1]})
    eq(r.status, 401, "prefix of the secret")
    eq(telegram_id("alice"), None, "not linked")
    eq(confirm(code, 5003).status, 200, "code still usable after refusals")


def test_confirm_missing_fields_and_bad_codes():
    both = {"error": "Both 'code' and 'telegram_id' are required."}
    for body in ({}, {"code": "a" * 32}, {"telegram_id": 1}, {"code": "", "telegram_id": 1},
                 {"code": "a" * 32, "telegram_id": None}):
        r = S.request("POST", "/api/auth/telegram/confirm/", body=body, headers=BOT)
        eq((r.status, r.json), (400, both), "body %r" % body)
    bad = {"error": "Invalid or expired code"}
    for code in ("0" * 32, "XYZ", "A" * 32, new_code("carol").upper(), "g" * 32):
        r = confirm(code, 5004)
        eq((r.status, r.json), (400, bad), "code %r" % code)
    r = confirm(new_code("carol"), "abc")
    eq(r.status, 400, "non-numeric telegram id")


def test_new_code_voids_the_previous_one():
    unlink_all()
    old = new_code("carol")
    new = new_code("carol")
    assert old != new
    eq(confirm(old, 5005).status, 400, "old code void")
    eq(confirm(new, 5005).status, 200, "new code works")


def test_expired_code():
    unlink_all()
    code = new_code("dave")
    with db() as c:
        c.execute("UPDATE telegram_links SET expires_at = ? WHERE user_id = ?",
                  (int(time.time() * 1e6) - 1, uid("dave")))
    eq(confirm(code, 5006).json, {"error": "Invalid or expired code"}, "expired")


def test_telegram_id_linked_elsewhere_is_409_and_keeps_the_code():
    unlink_all()
    eq(confirm(new_code("alice"), 5007).status, 200, "alice linked")
    code = new_code("bob")
    r = confirm(code, 5007)
    eq((r.status, r.json), (409, {"error": "This Telegram account is already linked to another user"}),
       "conflict")
    eq(telegram_id("bob"), None, "bob not linked")
    eq(confirm(code, 5008).status, 200, "bob's code still usable")
    # relinking the same account to the same id is fine
    eq(confirm(new_code("alice"), 5007).status, 200, "same user, same id")


def test_concurrent_confirms_with_one_code():
    for round_ in range(3):
        unlink_all()
        code = new_code("carol")
        results = []
        lock = threading.Lock()

        def go(i):
            r = confirm(code, 6000 + i)
            with lock:
                results.append(r.status)
        ts = [threading.Thread(target=go, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        eq(sorted(results), [200] + [400] * 7, "round %d" % round_)
        assert 6000 <= telegram_id("carol") < 6008


def test_unlink():
    unlink_all()
    confirm(new_code("dave"), 5010)
    eq(req("DELETE", "/api/auth/telegram/", user=None).status, 401, "anonymous")
    r = req("DELETE", "/api/auth/telegram/", user="dave")
    eq((r.status, r.body), (204, b""), "unlinked")
    eq(telegram_id("dave"), None, "no telegram id")
    eq(req("DELETE", "/api/auth/telegram/", user="dave").status, 204, "again: still 204")


# -- the Bot scheme ------------------------------------------------------------

def test_bot_scheme_acts_as_the_linked_user():
    unlink_all()
    confirm(new_code("bob"), 5020)
    h = dict(BOT, **{"X-Telegram-Id": "5020"})
    r = S.request("GET", "/api/events/", headers=h)
    eq(r.status, 200, "bot request: %r" % r)
    r = S.request("POST", "/api/auth/telegram/link/", headers=h)
    eq(r.status, 200, "acts as bob")
    eq(S.request("GET", "/api/auth/me/", headers=h).json["username"], "bob", "me")
    for hh, what in (({"X-Telegram-Id": "5020"}, "no secret"),
                     ({"Authorization": "Bot nope", "X-Telegram-Id": "5020"}, "wrong secret"),
                     (BOT, "no telegram id"),
                     (dict(BOT, **{"X-Telegram-Id": "5021"}), "unlinked id"),
                     (dict(BOT, **{"X-Telegram-Id": "x"}), "bad id")):
        r = S.request("GET", "/api/events/", headers=hh)
        eq(r.status, 401, what)
    # unlinking ends it
    eq(S.request("DELETE", "/api/auth/telegram/", headers=h).status, 204, "unlink by bot")
    eq(S.request("GET", "/api/events/", headers=h).status, 401, "after unlink")


# -- events feed ---------------------------------------------------------------

def test_events_feed():
    a, b = uid("alice"), uid("bob")
    with db() as c:
        c.execute("DELETE FROM events")
        now = int(time.time() * 1e6)
        c.execute("INSERT INTO events (user_id, type, action, task_id, message, created_at)"
                  " VALUES (?, 'task_notify', 'assigned', 7, 'Вам назначена задача: X', ?)", (a, now))
        c.execute("INSERT INTO events (user_id, type, action, task_id, created_at)"
                  " VALUES (?, 'task_updated', 'updated', 7, ?)", (b, now))
        c.execute("INSERT INTO events (user_id, type, action, task_id, created_at)"
                  " VALUES (?, 'task_updated', 'deleted', NULL, ?)", (a, now))
    r = req("GET", "/api/events/")
    eq(r.status, 200, "status")
    res = r.json["results"]
    eq([e["action"] for e in res], ["assigned", "deleted"], "alice's only, oldest first")
    e = res[0]
    eq(sorted(e), ["action", "created_at", "id", "message", "task", "type"], "keys")
    eq((e["type"], e["task"], e["message"]), ("task_notify", 7, "Вам назначена задача: X"), "values")
    assert "task" not in res[1] and "message" not in res[1], res[1]
    assert e["created_at"].endswith("Z"), e
    eq(r.json["next_after"], res[1]["id"], "next_after")
    r = req("GET", "/api/events/?after=%d" % res[0]["id"])
    eq([x["id"] for x in r.json["results"]], [res[1]["id"]], "after the first")
    r = req("GET", "/api/events/?after=%d" % res[1]["id"])
    eq(r.json, {"results": [], "next_after": res[1]["id"]}, "nothing new keeps the cursor")
    eq(req("GET", "/api/events/?after=abc").status, 400, "bad cursor")
    eq(req("GET", "/api/events/?after=-1").status, 400, "negative cursor")
    eq(req("GET", "/api/events/", user=None).status, 401, "anonymous")


# -- webhook --------------------------------------------------------------------

def webhook(update, secret=HOOK_SECRET):
    h = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return S.request("POST", "/api/telegram/webhook/", body=update, headers=h)


def test_webhook_checks_the_secret_and_handles_updates():
    TG.reset()
    upd = {"update_id": 10_000_000, "message": {
        "message_id": 1, "from": {"id": 5030}, "chat": {"id": 5030, "type": "private"},
        "text": "/help"}}
    eq(webhook(upd, secret=None).status, 403, "no secret")
    eq(webhook(upd, secret="wrong").status, 403, "wrong secret")
    eq(TG.sent(), [], "nothing sent for refused calls")
    eq(webhook(upd).status, 200, "right secret")
    TG.wait_for(lambda: len(TG.sent(5030)) == 1, what="help reply")
    assert "/tasks" in TG.texts(5030)[0], TG.texts(5030)
    # a redelivered update is not handled twice
    eq(webhook(upd).status, 200, "again")
    time.sleep(0.3)
    eq(len(TG.sent(5030)), 1, "handled once")
    with db() as c:
        c.execute("DELETE FROM telegram_state")


def test_webhook_is_off_without_a_secret():
    srv = Server(workers=1, config={"telegram_bot_token": TOKEN,
                                    "telegram_api_base": TG.base}).start()
    try:
        r = srv.request("POST", "/api/telegram/webhook/", body={"update_id": 1},
                        headers={"X-Telegram-Bot-Api-Secret-Token": ""})
        eq(r.status, 404, "no webhook secret configured: %r" % r)
    finally:
        srv.stop()


# -- the bot ---------------------------------------------------------------------

def test_bot_start_with_a_code_links():
    unlink_all()
    TG.reset()
    code = new_code("alice")
    TG.message(7001, "/start " + code)
    bot_once()
    eq(telegram_id("alice"), 7001, "linked through /start")
    texts = TG.texts(7001)
    eq(len(texts), 1, "one answer")
    assert "Готово" in texts[0] and "<b>alice</b>" in texts[0], texts
    eq(TG.sent(7001)[0]["parse_mode"], "HTML", "HTML parse mode")
    # the same code again: friendly refusal
    TG.message(7002, "/start " + code)
    TG.message(7003, "/start nonsense")
    TG.message(7004, "/start")
    TG.message(7001, "/start")
    bot_once()
    assert "недействителен" in TG.texts(7002)[0], TG.texts(7002)
    assert "недействителен" in TG.texts(7003)[0], TG.texts(7003)
    assert "привяжите аккаунт" in TG.texts(7004)[0], TG.texts(7004)
    assert "alice" in TG.texts(7001)[1], TG.texts(7001)


def test_bot_start_conflict_and_unlink():
    unlink_all()
    TG.reset()
    eq(confirm(new_code("alice"), 7101).status, 200, "alice has 7101")
    TG.message(7101, "/start " + new_code("bob"))
    bot_once()
    assert "другому пользователю" in TG.texts(7101)[0], TG.texts(7101)
    eq(telegram_id("bob"), None, "bob not linked")
    TG.message(7101, "/unlink")
    TG.message(7102, "/unlink")
    TG.message(7102, "/help")
    TG.message(7102, "/nonsense")
    bot_once()
    eq(telegram_id("alice"), None, "unlinked by /unlink")
    assert "отвязан" in TG.texts(7101)[1], TG.texts(7101)
    t = TG.texts(7102)
    eq(len(t), 3, "three answers")
    assert "не привязан" in t[0] and "/tasks" in t[1] and "/tasks" in t[2], t


def test_bot_offset_survives_restarts():
    TG.reset()
    with db() as c:
        before = c.execute("SELECT value FROM telegram_state WHERE name='offset'").fetchone()[0]
    ids = [TG.message(7201, "/help") for _ in range(3)]
    bot_once()
    eq(len(TG.texts(7201)), 3, "three answers")
    with db() as c:
        after = c.execute("SELECT value FROM telegram_state WHERE name='offset'").fetchone()[0]
    assert after == ids[-1] + 1 and after > before, (before, after, ids)
    # restarted: asks from the stored offset, handles nothing again
    bot_once()
    eq(len(TG.texts(7201)), 3, "nothing repeated")
    eq(TG.calls_of("getUpdates")[-1]["offset"], after, "asks from the stored offset")


def test_bot_runs_and_stops_on_sigterm_during_a_long_poll():
    TG.reset()
    env = dict(S.env, TASKMGR_TELEGRAM_POLL_TIMEOUT="40")
    p = subprocess.Popen([TASKMGR, "bot"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        TG.message(7301, "/help")
        TG.wait_for(lambda: len(TG.sent(7301)) == 1, what="answer from the running bot")
        # now in a 40 s long poll: SIGTERM ends it without waiting it out
        TG.wait_for(lambda: len(TG.calls_of("getUpdates")) >= 2, what="the next long poll")
        p.send_signal(signal.SIGTERM)
        eq(p.wait(15), 0, "clean exit")
    finally:
        _terminate(p.pid, p)


def test_bot_answers_only_in_private_chats():
    TG.reset()
    unlink_all()
    code = new_code("alice")
    TG.add_update({"message": {"message_id": 1, "from": {"id": 7401},
                               "chat": {"id": -100123, "type": "group"},
                               "text": "/start " + code}})
    TG.add_update({"message": {"message_id": 2, "from": {"id": 7401},
                               "chat": {"id": -100123, "type": "group"},
                               "text": "/tasks"}})
    bot_once()
    eq(telegram_id("alice"), None, "no linking from a group")
    t = TG.texts(-100123)
    eq(len(t), 2, "two pointers to the private chat")
    assert all("личном чате" in x for x in t), t
    eq(confirm(code, 7401).status, 200, "the code was not used up")


# -- the worker -------------------------------------------------------------------

def queue(user, text):
    with db() as c:
        now = int(time.time() * 1e6)
        cur = c.execute("INSERT INTO outbox (user_id, text, next_attempt_at, created_at)"
                        " VALUES (?, ?, ?, ?)", (uid(user), text, now, now))
        return cur.lastrowid


def outbox(oid):
    with db() as c:
        return c.execute("SELECT status, attempts, last_error FROM outbox WHERE id = ?",
                         (oid,)).fetchone()


def link(user, tgid):
    with db() as c:
        c.execute("UPDATE users SET telegram_id = NULL WHERE telegram_id = ?", (tgid,))
        c.execute("UPDATE users SET telegram_id = ? WHERE username = ?", (tgid, user))


def worker_once(status=0, env=None):
    p = S.cli("worker", "--once", env=env)
    eq(p.returncode, status, "worker --once (%s)" % p.stderr)
    return p


def worker_once_bounded(limit=20):
    """worker --once that must end within limit seconds (a hang fails the test)."""
    try:
        return subprocess.run([TASKMGR, "worker", "--once"], env=S.env, capture_output=True,
                              text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        raise AssertionError("worker --once still running after %d s" % limit)


def next_attempt(oid):
    with db() as c:
        return c.execute("SELECT next_attempt_at FROM outbox WHERE id = ?", (oid,)).fetchone()[0]


def drop_pending():
    """Ends every pending notice (as skipped), so the next test starts clean."""
    with db() as c:
        c.execute("UPDATE outbox SET status = 3 WHERE status = 0")


def start_worker():
    return subprocess.Popen([TASKMGR, "worker"], env=S.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_worker_delivers_escaped_html_once():
    TG.reset()
    unlink_all()
    link("alice", 8001)
    oid = queue("alice", "Вам назначена задача: <b>&")
    worker_once()
    eq(TG.texts(8001), ["Вам назначена задача: &lt;b&gt;&amp;"], "escaped text")
    eq(TG.sent(8001)[0]["parse_mode"], "HTML", "parse mode")
    eq(outbox(oid)[0], 1, "sent")
    worker_once()
    eq(len(TG.texts(8001)), 1, "not sent twice")


def test_worker_skips_unlinked_and_gives_up_on_permanent_errors():
    TG.reset()
    unlink_all()
    skip = queue("bob", "for nobody")
    link("alice", 8002)
    TG.fail("chat_not_found")
    nf = queue("alice", "chat gone")
    worker_once(3)      # given up: not delivered
    eq(outbox(skip)[0], 3, "not linked: skipped")
    st = outbox(nf)
    eq(st[0], 2, "chat not found: failed for good")
    assert "chat not found" in st[2], st
    TG.fail("blocked")
    bl = queue("alice", "blocked")
    worker_once(3)
    st = outbox(bl)
    eq(st[0], 2, "blocked: failed for good")
    assert "blocked" in st[2] and st[2].startswith("403"), st
    worker_once()
    eq(TG.sent(), [], "nothing delivered")


def test_worker_skips_inactive_users():
    TG.reset()
    unlink_all()
    link("dave", 8010)
    S.cli("users", "--deactivate", "dave", check=True)
    try:
        oid = queue("dave", "to an inactive user")
        worker_once()
        eq(outbox(oid)[0], 3, "skipped")
        eq(TG.sent(), [], "nothing sent")
    finally:
        S.cli("users", "--activate", "dave", check=True)
        TOK["dave"] = S.login("dave")


def test_worker_retries_500_timeout_and_429():
    TG.reset()
    unlink_all()
    link("alice", 8003)
    TG.fail("500")
    TG.fail("timeout")
    TG.fail("429")
    oid = queue("alice", "retried")
    w = start_worker()
    try:
        TG.wait_for(lambda: outbox(oid)[0] == 1, timeout=40, what="delivery after failures")
    finally:
        _terminate(w.pid, w)
    eq(TG.texts(8003), ["retried"], "delivered once")
    eq(outbox(oid)[1], 4, "four attempts")
    eq(len(TG.calls_of("sendMessage")), 4, "four calls")


def test_worker_once_ends_its_round_on_429():
    TG.reset()
    unlink_all()
    drop_pending()
    link("alice", 8040)
    TG.retry_after = 30
    TG.fail("429", 50)      # Telegram answers 429 to every try
    try:
        oid = queue("alice", "limited")
        before = int(time.time() * 1e6)
        p = worker_once_bounded()
        eq(p.returncode, 3, "not delivered (%s)" % p.stderr)
        assert re.fullmatch(r"worker: swept \d+ overdue, sent 0, retried 1, given up 0\n",
                            p.stdout), p.stdout
        eq(len(TG.calls_of("sendMessage")), 1, "one try, then the round ended")
        eq(outbox(oid)[:2], (0, 1), "still pending, one attempt")
        assert next_attempt(oid) >= before + 30 * 1000000, "next try after retry_after"
    finally:
        TG.retry_after = 1
        TG.reset()
        drop_pending()


def test_worker_once_ends_its_round_on_5xx():
    TG.reset()
    unlink_all()
    drop_pending()
    link("alice", 8041)
    link("bob", 8042)
    TG.down = True
    try:
        first = queue("alice", "down 1")
        second = queue("bob", "down 2")
        before = int(time.time() * 1e6)
        p = worker_once_bounded()
        eq(p.returncode, 3, "not delivered (%s)" % p.stderr)
        assert re.fullmatch(r"worker: swept \d+ overdue, sent 0, retried 1, given up 0\n",
                            p.stdout), p.stdout
        eq(len(TG.calls_of("sendMessage")), 1, "one try, then the round ended")
        eq(outbox(first)[:2], (0, 1), "pending, one attempt")
        assert next_attempt(first) >= before + 100 * 1000, "next try after the backoff"
        eq(outbox(second)[:2], (0, 0), "the next one waits for the next round")
        TG.down = False
        p = worker_once_bounded()
        eq(p.returncode, 0, "the next round delivers the rest (%s)" % p.stderr)
        eq(TG.texts(8042), ["down 2"], "delivered")
    finally:
        TG.reset()
        drop_pending()


def test_worker_once_prints_a_summary_and_its_exit_status_says_all_delivered():
    TG.reset()
    unlink_all()
    drop_pending()
    worker_once()       # nothing left to sweep from earlier tests
    lst = api("POST", "/api/lists/", {"name": "summary"})
    api("POST", "/api/lists/%d/tasks/" % lst["id"],
        {"name": "late", "complete_before": "2020-01-01T00:00:00Z"})
    link("alice", 8050)
    link("carol", 8051)
    TG.fail("chat_not_found")
    gone = queue("carol", "gone")
    queue("alice", "a1")
    queue("alice", "a2")
    queue("bob", "nobody")  # not linked: skipped, not an undelivered notice
    p = worker_once(3)
    eq(p.stdout, "worker: swept 1 overdue, sent 2, retried 0, given up 1\n", "summary")
    eq(outbox(gone)[0], 2, "given up")
    eq(TG.texts(8050), ["a1", "a2"], "sent")
    queue("alice", "a3")
    p = worker_once(0)
    eq(p.stdout, "worker: swept 0 overdue, sent 1, retried 0, given up 0\n", "all delivered")
    # without a bot token nothing is delivered: a due notice makes the exit status 3
    no_token = {"TASKMGR_TELEGRAM_BOT_TOKEN": ""}
    p = worker_once(0, env=no_token)
    eq(p.stdout, "worker: swept 0 overdue, sent 0, retried 0, given up 0\n", "nothing due")
    waiting = queue("alice", "a4")
    worker_once(3, env=no_token)
    eq(outbox(waiting)[0], 0, "still pending")
    worker_once(0)
    eq(TG.texts(8050)[-1], "a4", "sent once a token is there")


def test_telegram_down_for_a_while_loses_nothing():
    TG.reset()
    unlink_all()
    link("alice", 8004)
    link("bob", 8005)
    TG.down = True
    ids = [queue("alice" if i % 2 else "bob", "notice %d" % i) for i in range(10)]
    w = start_worker()
    try:
        TG.wait_for(lambda: len(TG.calls_of("sendMessage")) >= 6, what="attempts while down")
        eq(TG.sent(), [], "nothing accepted while down")
        TG.down = False
        TG.wait_for(lambda: all(outbox(i)[0] == 1 for i in ids), timeout=40,
                    what="delivery after recovery")
    finally:
        _terminate(w.pid, w)
    got = TG.texts()
    eq(sorted(got), sorted("notice %d" % i for i in range(10)), "each delivered once")
    # order per chat is kept
    eq(TG.texts(8004), ["notice %d" % i for i in range(10) if i % 2], "alice's in order")


def test_worker_killed_mid_run_loses_nothing():
    TG.reset()
    unlink_all()
    link("carol", 8006)
    link("dave", 8007)
    TG.delay = 0.1     # 30 notices take 3 s or more: time to kill the worker midway
    texts = ["k%d" % i for i in range(30)]
    ids = [queue("carol" if i % 2 else "dave", t) for i, t in enumerate(texts)]
    w = start_worker()
    try:
        TG.wait_for(lambda: len(TG.sent()) >= 5, what="some deliveries")
        os.kill(w.pid, signal.SIGKILL)
        w.wait(10)
    finally:
        _terminate(w.pid, w)
    assert len(TG.sent()) < 30, "killed too late to test anything"
    w = start_worker()
    try:
        TG.wait_for(lambda: all(outbox(i)[0] == 1 for i in ids), timeout=60,
                    what="delivery after restart")
    finally:
        _terminate(w.pid, w)
    got = TG.texts()
    eq(sorted(set(got)), sorted(texts), "every notice delivered")
    # the only window for a repeat is a kill between Telegram's answer and the mark
    assert len(got) - len(set(got)) <= 1, "duplicates: %d" % (len(got) - len(set(got)))


def test_worker_paces_messages_to_one_chat():
    TG.reset()
    unlink_all()
    link("alice", 8020)
    link("bob", 8021)
    ids = [queue("alice", "paced %d" % i) for i in range(4)] + [queue("bob", "other")]
    p = S.cli("worker", "--once", env={"TASKMGR_TELEGRAM_CHAT_INTERVAL_MS": "300"})
    eq(p.returncode, 0, "worker --once")
    eq(TG.texts(8020), ["paced %d" % i for i in range(4)], "all, in order")
    eq(TG.texts(8021), ["other"], "the other chat too")
    with TG.lock:
        times = [t for m, t in zip(TG.accepted, TG.accepted_at) if m["chat_id"] == 8020]
    gaps = [b - a for a, b in zip(times, times[1:])]
    # lower bounds only: a slow machine makes the gaps longer, never shorter.  The
    # worker counts a chat's pace from the end of each call, which the fake server
    # records before it answers, so every gap it sees is at least the interval.
    assert all(g >= 0.29 for g in gaps), gaps
    assert all(outbox(i)[0] == 1 for i in ids)


def test_worker_splits_long_texts():
    TG.reset()
    unlink_all()
    link("alice", 8008)
    text = "я" * 5000 + "<&>"
    oid = queue("alice", text)
    worker_once()
    got = TG.texts(8008)
    eq(len(got), 2, "two messages")
    eq(len(got[0]), 4096, "first is 4096 characters")
    eq(got[0] + got[1], "я" * 5000 + "&lt;&amp;&gt;", "all of it, escaped")
    eq(outbox(oid)[0], 1, "sent")


def test_worker_stops_cleanly_on_sigterm():
    w = start_worker()
    time.sleep(0.5)
    w.send_signal(signal.SIGTERM)
    eq(w.wait(15), 0, "clean exit")


# -- end to end: tasks, notices, the bot's buttons ------------------------------

def api(method, path, body=None, user="alice"):
    r = req(method, path, body, user)
    assert r.status in (200, 201, 204), "%s %s: %r" % (method, path, r)
    return r.json if r.body else None


def link_via_bot(user, tgid):
    """Links user to tgid the way a person does: a code, then /start <code> to the bot."""
    code = new_code(user)
    TG.message(tgid, "/start " + code)
    bot_once()
    eq(telegram_id(user), tgid, "%s linked through the bot" % user)


def test_e2e_assignment_notice_tasks_buttons_and_done():
    TG.reset()
    unlink_all()
    with db() as c:
        c.execute("UPDATE outbox SET status = 3 WHERE status = 0")
    link_via_bot("bob", 9001)
    link_via_bot("carol", 9002)
    lst = api("POST", "/api/lists/", {"name": "e2e"})
    t = api("POST", "/api/lists/%d/tasks/" % lst["id"],
            {"name": "Отчёт <b>&", "assigned_to": uid("bob")})
    eq(t["status"], "In Progress", "assigned task is in progress")
    worker_once()
    eq(TG.texts(9001)[-1], "Вам назначена задача: Отчёт &lt;b&gt;&amp;", "assignment notice, escaped")
    eq([x for x in TG.texts() if "Отчёт" in x and x != TG.texts(9001)[-1]], [],
       "the owner got nothing")
    # /tasks shows the task with a "done" button
    TG.message(9001, "/tasks")
    bot_once()
    m = TG.sent(9001)[-1]
    assert "Отчёт &lt;b&gt;&amp;" in m["text"] and "в работе" in m["text"], m["text"]
    buttons = [b for row in m["reply_markup"]["inline_keyboard"] for b in row]
    eq([b["callback_data"] for b in buttons], ["done:%d" % t["id"]], "one done button")
    assert "Отчёт <b>&" in buttons[0]["text"], buttons
    # pressing it completes the task through the domain rules
    TG.press(9001, "done:%d" % t["id"], message_id=777)
    bot_once()
    eq(api("GET", "/api/tasks/%d/" % t["id"], user="bob")["status"], "Completed", "completed")
    ans = TG.calls_of("answerCallbackQuery")[-1]
    assert "выполнена" in ans["text"], ans
    ed = TG.calls_of("editMessageText")[-1]
    eq((ed["chat_id"], ed["message_id"]), (9001, 777), "edits the pressed message")
    assert "<s>Отчёт &lt;b&gt;&amp;</s>" in ed["text"], ed["text"]
    eq(ed["reply_markup"], {"inline_keyboard": []}, "no button left")
    # pressing again: refused kindly, nothing changes
    TG.press(9001, "done:%d" % t["id"], message_id=777)
    TG.press(9002, "done:%d" % t["id"], message_id=778)
    TG.press(9099, "done:%d" % t["id"], message_id=779)
    TG.press(9001, "done:abc", message_id=777)
    bot_once()
    answers = [a["text"] for a in TG.calls_of("answerCallbackQuery")[-4:]]
    assert "нельзя" in answers[0], answers
    assert "не найдена" in answers[1], answers
    assert "привяжите" in answers[2], answers
    assert "Неизвестная" in answers[3], answers
    # /tasks for an unknown user and for one without tasks
    TG.message(9099, "/tasks")
    bot_once()
    assert "привяжите аккаунт" in TG.texts(9099)[-1], TG.texts(9099)


def test_e2e_tasks_of_shared_lists_and_their_buttons():
    """/tasks lists the tasks of shared lists after the user's own; the done
    button is offered to an editor, never to a viewer, and a viewer's press
    is refused by the domain rules."""
    TG.reset()
    unlink_all()
    link_via_bot("bob", 9021)
    link_via_bot("carol", 9022)
    lst = api("POST", "/api/lists/", {"name": "shared e2e"})
    for u, role in (("bob", "editor"), ("carol", "viewer")):
        api("POST", "/api/lists/%d/members/" % lst["id"], {"username": u, "role": role})
    t1 = api("POST", "/api/lists/%d/tasks/" % lst["id"],
             {"name": "Общая <i>", "assigned_to": uid("dave")})
    t2 = api("POST", "/api/lists/%d/tasks/" % lst["id"], {"name": "Ждёт"})
    TG.message(9021, "/tasks")
    TG.message(9022, "/tasks")
    bot_once()
    for tgid in (9021, 9022):
        m = TG.sent(tgid)[-1]
        assert "<b>Задачи общих списков</b> (2):" in m["text"], m["text"]
        assert "Общая &lt;i&gt;" in m["text"] and "Ждёт" in m["text"], m["text"]
    buttons = [b["callback_data"] for row in TG.sent(9021)[-1]["reply_markup"]
               ["inline_keyboard"] for b in row]
    eq(buttons, ["done:%d" % t1["id"]], "the editor's button: the task in progress")
    assert not TG.sent(9022)[-1].get("reply_markup"), TG.sent(9022)[-1]
    TG.press(9022, "done:%d" % t1["id"], message_id=801)
    bot_once()
    assert "только читать" in TG.calls_of("answerCallbackQuery")[-1]["text"], \
        TG.calls_of("answerCallbackQuery")[-1]
    eq(api("GET", "/api/tasks/%d/" % t1["id"])["status"], "In Progress", "the viewer's press")
    TG.press(9021, "done:%d" % t1["id"], message_id=802)
    bot_once()
    eq(api("GET", "/api/tasks/%d/" % t1["id"])["status"], "Completed", "the editor's press")
    # removed from the list: the next /tasks no longer shows it
    api("DELETE", "/api/lists/%d/members/%d/" % (lst["id"], uid("carol")))
    TG.message(9022, "/tasks")
    bot_once()
    assert "общих" not in TG.texts(9022)[-1] and "Ждёт" not in TG.texts(9022)[-1], \
        TG.texts(9022)[-1]
    eq(t2["status"], "Pending", "t2")


def test_e2e_reassignment_and_overdue_notices():
    TG.reset()
    unlink_all()
    link_via_bot("bob", 9011)
    link_via_bot("carol", 9012)
    lst = api("POST", "/api/lists/", {"name": "e2e-2"})
    t = api("POST", "/api/lists/%d/tasks/" % lst["id"], {"name": "Ремонт", "assigned_to": uid("bob")})
    t = api("PATCH", "/api/tasks/%d/" % t["id"],
            {"assigned_to": uid("carol"), "updated_at": t["updated_at"]})
    past = api("POST", "/api/lists/%d/tasks/" % lst["id"],
               {"name": "Срок <вчера>", "assigned_to": uid("bob"),
                "complete_before": "2020-01-01T00:00:00Z"})
    worker_once()   # sweeps first, then delivers
    eq(api("GET", "/api/tasks/%d/" % past["id"], user="bob")["status"], "Overdue", "swept")
    eq(TG.texts(9011)[1:], ["Вам назначена задача: Ремонт",
                        "Задача 'Ремонт' больше не назначена вам",
                        "Вам назначена задача: Срок &lt;вчера&gt;",
                        "Задача 'Срок &lt;вчера&gt;' просрочена!"], "bob's notices in order")
    eq(TG.texts(9012)[1:], ["Вам назначена задача: Ремонт"], "carol's notice")
    # the events feed holds the same notices
    ev = api("GET", "/api/events/", user="bob")["results"]
    msgs = [e["message"] for e in ev if e["type"] == "task_notify"]
    assert "Задача 'Срок <вчера>' просрочена!" in msgs, msgs


def test_e2e_running_worker_sweeps_on_its_interval():
    TG.reset()
    unlink_all()
    link("bob", 9021)
    lst = api("POST", "/api/lists/", {"name": "e2e-3"})
    soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))
    t = api("POST", "/api/lists/%d/tasks/" % lst["id"],
            {"name": "Скоро", "assigned_to": uid("bob"), "complete_before": soon,
             # no reminder: its default hour before the deadline has already come
             "reminders": []})
    w = start_worker()
    try:
        TG.wait_for(lambda: "Задача 'Скоро' просрочена!" in TG.texts(9021), timeout=30,
                    what="overdue notice from the running worker")
    finally:
        _terminate(w.pid, w)
    eq(TG.texts(9021), ["Вам назначена задача: Скоро", "Задача 'Скоро' просрочена!"], "texts")
    eq(api("GET", "/api/tasks/%d/" % t["id"], user="bob")["status"], "Overdue", "status")


def test_cli_help():
    for cmd in ("worker", "bot"):
        p = S.cli(cmd, "--help")
        eq(p.returncode, 0, cmd)
        assert "--once" in p.stdout, p.stdout
        eq(S.cli(cmd, "--bogus").returncode, 2, "bad usage")



def test_bot_token_and_secrets_never_logged_or_stored():
    text = S.log_text()
    assert "worker: started" in text and "bot: polling" in text, "worker and bot log to log_file"
    for secret in (TOKEN, SECRET, HOOK_SECRET):
        assert secret not in text, "a secret in the log"
        assert secret.encode() not in S.db_bytes(), "a secret in the database"
    p = S.cli("check-config")
    assert TOKEN not in p.stdout and HOOK_SECRET not in p.stdout, p.stdout


if __name__ == "__main__":
    run_tests(globals())
