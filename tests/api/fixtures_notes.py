"""Fixtures shared by the tests of a task's notes, its comments
(test_comments.py) and its history (test_activity.py): one server with the
fake Telegram Bot API, the normal users alice, bob and carol (and staff
users on request) with their tokens (TOK) and ids (UID), requests as one of
them, SQL on the server's database, and new lists.

One server per test process: start() in setup_module, stop() in
teardown_module."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, eq  # noqa: E402
from fake_telegram import FakeTelegram, TOKEN  # noqa: E402

USERS = ("alice", "bob", "carol")
S = None
TG = None
TOK = {}
UID = {}
_LISTS = [0]


def start(staff=()):
    """Starts the fake Bot API and the server, creates the users; (S, TG)."""
    global S, TG
    TG = FakeTelegram().start()
    try:
        S = Server(workers=2, config={
            "telegram_bot_token": TOKEN,
            "telegram_api_base": TG.base,
            "telegram_timeout": "2",
            "telegram_poll_timeout": "1",
            "telegram_retry_base_ms": "100",
            "telegram_retry_max": "1",
            "telegram_chat_interval_ms": "1",
        }).start()
    except BaseException:
        TG.stop()
        raise
    for u in staff:
        S.create_user(u)
        TOK[u] = S.login(u)
        UID[u] = S.get("/api/auth/me/", token=TOK[u]).json["id"]
    for u in USERS:
        S.create_user(u, staff=False)
        TOK[u] = S.login(u)
        UID[u] = S.get("/api/auth/me/", token=TOK[u]).json["id"]
    return S, TG


def stop():
    if S is not None:
        S.stop()
    if TG is not None:
        TG.stop()


def req(method, path, body=None, user="alice"):
    """A request as user (None: anonymous)."""
    return S.request(method, path, body=body, token=TOK[user] if user else None)


def sql(q, args=()):
    """The rows of q on the server's database, committed."""
    return S.sql(q, *args)


def new_list(prefix, user="alice"):
    """The id of a new list of user named prefix and a number."""
    _LISTS[0] += 1
    r = req("POST", "/api/lists/", {"name": "%s%d" % (prefix, _LISTS[0])}, user)
    eq(r.status, 201, "list")
    return r.json["id"]
