#!/usr/bin/env python3
"""The taskmgr command line: option order, help, usage errors, TASKMGR_*
environment variables, the users table with non-ASCII names and with control
characters (escaped), backup into a missing folder."""
import os
import re
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PG, Server, eq, run_tests, RESPONDER, TASKMGR  # noqa: E402

S = None
COMMANDS = ("migrate", "createsuperuser", "passwd", "users", "worker", "bot",
            "check-config", "backup", "sweep", "version")


def setup_module():
    global S
    S = Server(workers=1).start()


def teardown_module():
    S.stop()


def run(*args, env=None):
    """taskmgr with S's environment minus TASKMGR_CONFIG, plus env."""
    e = {k: v for k, v in S.env.items() if k != "TASKMGR_CONFIG"}
    e.update(env or {})
    return subprocess.run([TASKMGR] + list(args), env=e, capture_output=True, text=True,
                          timeout=60)


def other_conf(**keys):
    """A copy of S's configuration file with keys changed."""
    path = os.path.join(S.dir, "other.conf")
    with open(S.conf) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text + "".join("%s = %s\n" % kv for kv in keys.items()))
    return path


def test_config_before_or_after_the_command():
    conf = other_conf(page_size=7)
    for args in (("--config", conf, "check-config"), ("check-config", "--config", conf)):
        p = run(*args)
        eq(p.returncode, 0, "%s: %s" % (args, p.stderr))
        assert "page_size = 7\n" in p.stdout, p.stdout
    p = run("sweep", "--config", S.conf)
    eq((p.returncode, p.stdout), (0, "marked 0 tasks overdue\n"), "sweep --config: %s" % p.stderr)
    p = run("backup", os.path.join(S.dir, "after.db"), "--quiet", "--config", S.conf)
    eq(p.returncode, 0, "backup FILE --quiet --config: %s" % p.stderr)
    # PostgreSQL is backed up with its own tools: backup only says so
    assert os.path.exists(os.path.join(S.dir, "after.db")) != PG, p.stdout
    assert ("nothing was written" in p.stdout) == PG, p.stdout
    # --config after the command wins over $TASKMGR_CONFIG, like before it
    p = S.cli("check-config", "--config", conf)
    assert "page_size = 7\n" in p.stdout, p.stdout
    p = run("sweep", "--config")
    eq(p.returncode, 2, "--config without a value")
    assert "taskmgr: sweep: option '--config' needs a value" in p.stderr, p.stderr
    p = run("--config", conf, "sweep", "--config", conf)
    eq(p.returncode, 2, "--config twice")
    assert "--config is given twice" in p.stderr, p.stderr


def test_help_and_help_command():
    for args in (("help",), ("--help",), ("-h",)):
        p = run(*args)
        eq(p.returncode, 0, args)
        assert p.stdout.startswith("usage: taskmgr [--config FILE] COMMAND"), p.stdout
        for cmd in COMMANDS + ("help [COMMAND]",):
            assert "\n  " + cmd in p.stdout, (cmd, p.stdout)
    for cmd in COMMANDS:
        p = run("help", cmd)
        eq(p.returncode, 0, "help " + cmd)
        assert p.stdout.startswith("usage: taskmgr"), p.stdout
        eq(run(cmd, "--help").stdout, p.stdout, cmd + " --help is the same text")
    p = run("help", "frobnicate")
    eq(p.returncode, 2, "help of an unknown command")
    eq(p.stderr.splitlines()[0], "taskmgr: help: unknown command 'frobnicate'", "message")
    eq(run("help", "sweep", "extra").returncode, 2, "help takes one command")
    # help needs no configuration, not even a readable one
    eq(run("help", "worker", env={"TASKMGR_CONFIG": "/nonexistent.conf"}).returncode, 0,
       "help without a configuration")


def test_worker_help_documents_the_once_summary_and_exit_status():
    p = run("help", "worker")
    text = " ".join(p.stdout.split())
    assert "worker: swept N overdue, sent N, retried N, given up N" in p.stdout, p.stdout
    assert "Exit status with --once: 0 everything due was delivered" in text, text
    assert "3 a notice that was due is not delivered" in text, text
    assert "worker --once: 3" in " ".join(run("help").stdout.split()), "in the usage too"


def test_a_bad_option_is_named_with_a_usage_hint():
    cases = [
        (("sweep", "--frobnicate"), "taskmgr: sweep: unknown option '--frobnicate'",
         "usage: taskmgr [--config FILE] sweep"),
        (("worker", "--twice"), "taskmgr: worker: unknown option '--twice'",
         "usage: taskmgr [--config FILE] worker [--once]"),
        (("users", "--deactivate"), "taskmgr: users: option '--deactivate' needs a value",
         "usage: taskmgr [--config FILE] users"),
        (("migrate", "now"), "taskmgr: migrate: unexpected argument 'now'",
         "usage: taskmgr [--config FILE] migrate"),
        (("backup", "a.db", "b.db"), "taskmgr: backup: unexpected argument 'b.db'",
         "usage: taskmgr [--config FILE] backup"),
        (("backup",), "taskmgr: backup: FILE is required",
         "usage: taskmgr [--config FILE] backup"),
        (("passwd", "--force", "x"), "taskmgr: passwd: unknown option '--force'",
         "usage: taskmgr [--config FILE] passwd"),
        (("createsuperuser",), "taskmgr: createsuperuser: --username is required",
         "usage: taskmgr [--config FILE] createsuperuser"),
    ]
    for args, first, usage in cases:
        p = S.cli(*args)
        eq(p.returncode, 2, args)
        lines = p.stderr.splitlines()
        eq(lines[0], first, "%s: message" % (args,))
        assert lines[1].startswith(usage), (args, lines)
        eq(lines[2], "Run 'taskmgr help %s' for more." % args[0], "%s: hint" % (args,))
    # checked before the configuration or the database is opened
    p = run("sweep", "--frobnicate", env={"TASKMGR_CONFIG": "/nonexistent.conf"})
    eq(p.returncode, 2, "bad option without a configuration")
    assert "unknown option '--frobnicate'" in p.stderr, p.stderr
    p = run("--frobnicate", "sweep")
    eq((p.returncode, p.stderr.splitlines()[0]), (2, "taskmgr: unknown option '--frobnicate'"),
       "before the command")


def test_an_unknown_taskmgr_variable_stops_every_program():
    p = S.cli("check-config", env={"TASKMGR_PAGE_SIZ": "7"})
    eq(p.returncode, 1, "misspelt key")
    eq(p.stderr, "taskmgr: TASKMGR_PAGE_SIZ: unknown setting\n", "message")
    eq(S.cli("sweep", env={"TASKMGR_FOO": ""}).returncode, 1, "any command")
    p = S.cli("check-config", env={"TASKMGR_PAGE_SIZE": "7"})
    eq(p.returncode, 0, "a key's variable is fine: %s" % p.stderr)
    # TASKMGR_CONFIG is the configuration's path, not a setting
    p = S.cli("check-config", env={"TASKMGR_CONFIG": other_conf(page_size=8)})
    eq(p.returncode, 0, "TASKMGR_CONFIG: %s" % p.stderr)
    assert "page_size = 8\n" in p.stdout, p.stdout
    # the responder refuses to start as well
    p = subprocess.run([RESPONDER], env=dict(S.env, TASKMGR_FOO="1"), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=30)
    eq((p.returncode, p.stderr), (1, "taskmgr.fcgi: TASKMGR_FOO: unknown setting\n"),
       "taskmgr.fcgi")


def display_width(s):
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def test_users_table_aligns_non_ascii_names():
    names = ("Иван", "王小明", "ok")
    for n in names:
        S.create_user(n)
    p = S.cli("users")
    eq(p.returncode, 0, p.stderr)
    lines = p.stdout.splitlines()
    cols = set()
    for ln in lines:
        m = re.match(r"(\S+ +\S+ +)(?:yes|no|ACTIVE) ", ln)
        assert m, ln
        cols.add(display_width(m.group(1)))
    eq(len(cols), 1, "the ACTIVE column starts at one display column:\n" + p.stdout)
    got = {ln.split()[1] for ln in lines[1:]}
    assert set(names) <= got, got


def test_users_prints_control_characters_escaped():
    # a name stored before the username rules (or written by hand): escape
    # sequences in it must not reach the terminal
    S.create_user("legacyname")
    raw = "old\x1b[2J\x1b]0;title\x07name\x9b1m\\"
    with S.connect() as db:
        db.execute("UPDATE users SET username = ?, email = ? WHERE username = 'legacyname'",
                   (raw, "mail\x1b[5m@example.org"))
    db.close()
    shown = "old\\x1b[2J\\x1b]0;title\\x07name\\u009b1m\\\\"
    p = S.cli("users")
    eq(p.returncode, 0, p.stderr)
    for c in ("\x1b", "\x07", "\x9b"):
        assert c not in p.stdout, "%r reached the terminal:\n%r" % (c, p.stdout)
    line = [ln for ln in p.stdout.splitlines() if shown in ln]
    eq(len(line), 1, "the name escaped:\n" + p.stdout)
    assert line[0].endswith(" mail\\x1b[5m@example.org"), line[0]
    # the columns still line up: the escaped name is what is measured
    cols = {display_width(re.match(r"(\S+ +\S+ +)(?:yes|no|ACTIVE) ", ln).group(1))
            for ln in p.stdout.splitlines()}
    eq(len(cols), 1, "one ACTIVE column:\n" + p.stdout)
    # the messages naming the user escape it too (found by its key, unchanged)
    for args, want in ((("--deactivate", "legacyname"), "deactivated '%s';" % shown),
                       (("--activate", "legacyname"), "activated '%s'\n" % shown)):
        p = S.cli("users", *args)
        eq(p.returncode, 0, p.stderr)
        assert "\x1b" not in p.stdout and p.stdout.startswith(want), p.stdout


def test_backup_into_a_missing_folder():
    missing = os.path.join(S.dir, "no", "such")
    if PG:
        # no file to copy (README "PostgreSQL and several hosts"): the
        # explanation, exit 0, the folder never looked at, nothing made
        p = S.cli("backup", os.path.join(missing, "x.db"))
        eq((p.returncode, p.stderr), (0, ""), "exit status")
        assert p.stdout.startswith("taskmgr backup: the database is PostgreSQL"), p.stdout
        assert not os.path.exists(os.path.join(S.dir, "no")), "nothing created"
        return
    p = S.cli("backup", os.path.join(missing, "x.db"))
    eq(p.returncode, 1, "exit status")
    eq(p.stderr, "taskmgr: backup: folder '%s' does not exist\n" % missing, "message")
    afile = os.path.join(S.dir, "plain")
    with open(afile, "w") as f:
        f.write("x")
    p = S.cli("backup", os.path.join(afile, "x.db"))
    eq(p.returncode, 1, "a file for a folder")
    eq(p.stderr, "taskmgr: backup: '%s' is not a folder\n" % afile, "message")
    assert not os.path.exists(os.path.join(S.dir, "no")), "nothing created"


if __name__ == "__main__":
    run_tests(globals())
