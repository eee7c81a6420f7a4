#!/usr/bin/env python3
"""The PostgreSQL backend's first step (README "PostgreSQL and several
hosts"): database = postgresql://..., taskmgr migrate on a throwaway cluster
(its schema against a freshly migrated SQLite file's), backup's explanation,
and the programs that refuse a PostgreSQL database with status 2.

The cluster: initdb in a new folder under /tmp, run as nobody when the
tests run as root (initdb refuses root), listening only on a unix socket in
that folder (listen_addresses = ''), stopped by its PID at the end.  The
tests that need it report SKIP when the build lacks --with-postgresql or
PostgreSQL is not installed (Debian package postgresql-15).
"""
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgcluster  # noqa: E402
from pgcluster import pg_bindir  # noqa: E402,F401  (test_pgstmt.py imports it from here)
from harness import (RESPONDER, SANITIZER_MARKS, SCRATCH, TASKMGR, Server, Skip,  # noqa: E402
                     _terminate, eq, run_tests, scratch_dir)

WITH_POSTGRESQL = os.environ.get("WITH_POSTGRESQL") == "yes"
UNSUPPORTED = ("this build has no PostgreSQL support (configure --with-postgresql); "
               "see README 'PostgreSQL and several hosts'")
# the advisory lock 'taskmgr migrate' holds (fcgi/core/pgdb.c)
MIGRATE_LOCK = 0x7461736b6d6772
# SQLite's own tables and the FTS5 search index with its shadow tables,
# which PostgreSQL has as identity sequences and a pg_trgm GIN index
SQLITE_ONLY_TABLES = {"sqlite_sequence", "tasks_fts", "tasks_fts_data",
                      "tasks_fts_idx", "tasks_fts_config"}
SQLITE_ONLY_TRIGGERS = {"tasks_fts_insert", "tasks_fts_delete", "tasks_fts_rename",
                        # events' high-water mark (025): an identity sequence
                        # never hands an id out twice
                        "events_high_water"}
PG_ONLY_TABLES = {"schema_version"}
# the searches' pg_trgm GIN indexes (024: the tasks'; 029: the admin pages')
PG_ONLY_INDEXES = {"tasks_name_key_trgm", "users_username_key_trgm", "users_email_trgm",
                   "lists_name_key_trgm"}
# one-row tables whose id is not a generated id
NOT_IDENTITY = {"task_search", "webhook_gen"}

PG = None      # the Cluster, when there is one
WORK = None    # a scratch folder for configuration and SQLite files


class Cluster(pgcluster.Cluster):
    """pgcluster's, its folder removed when the file passes."""

    def __init__(self, bindir):
        super().__init__(bindir, SCRATCH)


def setup_module():
    global PG, WORK
    WORK = scratch_dir("pg-")
    if not WITH_POSTGRESQL:
        return
    bindir = pg_bindir()
    if bindir is None:
        return
    PG = Cluster(bindir).start()


def teardown_module():
    if PG is not None:
        PG.stop()


def need_cluster():
    if not WITH_POSTGRESQL:
        raise Skip("taskmgr was configured without --with-postgresql")
    if PG is None:
        raise Skip("PostgreSQL is not installed (Debian package postgresql-15)")


def conf(database, name="pg.conf"):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write("database = %s\n" % database)
    return path


def run(prog, *args, config=None, stdin=None, timeout=120):
    """A program with the configuration file config and no TASKMGR_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKMGR_")}
    cmd = [prog] + (["--config", config] if config else []) + list(args)
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                       input=stdin, cwd=WORK)
    for mark in SANITIZER_MARKS:
        assert mark not in p.stderr, p.stderr
    return p


def expected_version():
    p = run(TASKMGR, "--version")
    return int(p.stdout.split("schema version ")[1].rstrip(")\n"))


def sqlite_schema():
    """A new SQLite database migrated by taskmgr: its sqlite3 connection."""
    path = os.path.join(WORK, "ref-%d.db" % time.monotonic_ns())
    p = run(TASKMGR, "migrate", config=conf(path, "sqlite.conf"))
    eq(p.returncode, 0, "sqlite migrate: " + p.stdout + p.stderr)
    return sqlite3.connect(path)


MIGRATED = {}


def migrated(name):
    """The URI of a database that test_migrate_an_empty_database migrated."""
    need_cluster()
    if name not in MIGRATED:
        uri = PG.createdb(name)
        p = run(TASKMGR, "migrate", config=conf(uri))
        eq(p.returncode, 0, "migrate: " + p.stdout + p.stderr)
        MIGRATED[name] = uri
    return MIGRATED[name]


def idle(db):
    """True when no other session of db is inside a transaction or running a
    statement.  A responder sends a read's COMMIT without waiting for its
    answer: what the server does as the transaction ends (say auto_explain
    logging the last statement's plan) may follow the HTTP answer, but not
    this (wait_for(lambda: idle(db), ..., timeout=10))."""
    q = ("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'"
         " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
         " AND state <> 'idle'" % db)
    return PG.query(db, q) == [("0",)]


# ---- without a cluster --------------------------------------------------

def test_other_programs_exit_2_with_one_line():
    """A build without PostgreSQL: every program but migrate and backup
    stops with status 2 (a build with it runs them: test_pg_work.py)."""
    if WITH_POSTGRESQL:
        raise Skip("this build runs every program on PostgreSQL (test_pg_work.py)")
    c = conf("postgresql:///taskmgr?host=/nonexistent")
    for prog, args in ((RESPONDER, ()), (TASKMGR, ("worker", "--once")),
                       (TASKMGR, ("bot", "--once")),
                       (TASKMGR, ("users",)), (TASKMGR, ("sweep",)),
                       (TASKMGR, ("passwd", "alice", "--password-stdin")),
                       (TASKMGR, ("createsuperuser", "--username", "root", "--password-stdin"))):
        p = run(prog, *args, config=c, stdin="correct-horse-battery\n")
        name = os.path.basename(prog)
        eq((p.returncode, p.stderr), (2, "%s: %s\n" % (name, UNSUPPORTED)), "%s %s" % (name, args))
    # postgres:// is a libpq URI too; nothing was created at either name
    p = run(TASKMGR, "worker", "--once", config=conf("postgres://localhost/taskmgr"))
    eq((p.returncode, p.stderr), (2, "taskmgr: %s\n" % UNSUPPORTED), "postgres://")
    assert not os.path.exists(os.path.join(WORK, "postgresql:")), os.listdir(WORK)
    assert not os.path.exists(os.path.join(WORK, "postgres:")), os.listdir(WORK)


def test_check_config_takes_a_uri_and_masks_its_password():
    c = conf("postgresql://alice:pa55word@db.example:5432/taskmgr?sslmode=require&password=pa55word")
    p = run(TASKMGR, "check-config", config=c)
    eq(p.returncode, 0, p.stderr)
    assert ("database = postgresql://alice:********@db.example:5432/taskmgr"
            "?sslmode=require&password=********\n") in p.stdout, p.stdout
    assert "pa55word" not in p.stdout + p.stderr


def test_backup_explains_and_writes_nothing():
    c = conf("postgresql:///taskmgr?host=/nonexistent")
    out = os.path.join(WORK, "backup.db")
    p = run(TASKMGR, "backup", out, config=c)
    eq(p.returncode, 0, p.stderr)
    for word in ("PostgreSQL", "pg_dump", "pg_basebackup", "WAL archiving", "nothing was written"):
        assert word in p.stdout, p.stdout
    assert not os.path.exists(out) and not os.path.exists(out + ".tmp"), os.listdir(WORK)


def test_migrate_without_postgresql_support_says_so():
    if WITH_POSTGRESQL:
        raise Skip("this build has PostgreSQL support")
    p = run(TASKMGR, "migrate", config=conf("postgresql:///taskmgr?host=/nonexistent"))
    eq(p.returncode, 1, p.stdout)
    assert "configure --with-postgresql" in p.stderr, p.stderr


def test_every_sqlite_migration_has_its_postgresql_pair():
    # the build checks the other way (gen-migrations.sh: a sql/pg number
    # sql/ lacks); this one holds in builds without PostgreSQL too
    top = os.environ.get("TOP_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")

    def numbers(d):
        return sorted(int(f[:3]) for f in os.listdir(os.path.join(top, d))
                      if f.endswith(".sql") and f[:3].isdigit())
    lite, pg = numbers("sql"), numbers(os.path.join("sql", "pg"))
    assert pg, "no sql/pg migrations"
    eq(pg, lite[lite.index(pg[0]):], "sql/pg/ numbers: sql/ from the baseline %03d on, each "
       "with its PostgreSQL pair" % pg[0])


# ---- on a throwaway cluster ---------------------------------------------

def test_migrate_an_empty_database():
    need_cluster()
    uri = PG.createdb("first")
    p = run(TASKMGR, "migrate", config=conf(uri))
    n = expected_version()
    eq(p.returncode, 0, p.stdout + p.stderr)
    lines = p.stdout.splitlines()
    assert lines and all(l.startswith("applying pg/") and l.endswith(" ... ok")
                         for l in lines[:-1]), p.stdout
    eq(lines[-1], "schema now at version %d" % n)
    eq(PG.query("first", "SELECT one, version FROM schema_version"), [("t", str(n))])
    MIGRATED["first"] = uri


def test_second_migrate_does_nothing():
    uri = migrated("first")
    before = PG.query("first", "SELECT count(*) FROM pg_class")
    p = run(TASKMGR, "migrate", config=conf(uri))
    eq((p.returncode, p.stdout), (0, "schema is up to date (version %d)\n" % expected_version()),
       p.stderr)
    eq(PG.query("first", "SELECT count(*) FROM pg_class"), before, "objects")


def sqlite_columns(db, table):
    """(name, type family, not null) of each column, in order."""
    out = []
    for _, name, typ, notnull, _, pk in db.execute("PRAGMA table_info(%s)" % table):
        fam = {"INTEGER": "integer", "TEXT": "text", "BLOB": "bytea"}[typ.upper()]
        out.append((name, fam, bool(notnull or pk)))
    return out


def pg_columns(db, table):
    fams = {"bigint": "integer", "integer": "integer", "text": "text", "bytea": "bytea"}
    rows = PG.query(db, "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND table_name = '%s' "
                        "ORDER BY ordinal_position" % table)
    return [(name, fams.get(typ, typ), nullable == "NO") for name, typ, nullable in rows]


def test_tables_columns_indexes_and_triggers_match_sqlite():
    migrated("first")
    lite = sqlite_schema()
    lite_tables = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert SQLITE_ONLY_TABLES <= lite_tables, lite_tables
    pg_tables = {r[0] for r in PG.query("first", "SELECT table_name FROM information_schema.tables "
                                                 "WHERE table_schema = 'public' "
                                                 "AND table_type = 'BASE TABLE'")}
    eq(pg_tables - PG_ONLY_TABLES, lite_tables - SQLITE_ONLY_TABLES, "tables")
    for t in sorted(lite_tables - SQLITE_ONLY_TABLES):
        eq(pg_columns("first", t), sqlite_columns(lite, t), "columns of " + t)
    # views: the same names and columns
    lite_views = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    pg_views = {r[0] for r in PG.query("first", "SELECT table_name FROM information_schema.views "
                                                "WHERE table_schema = 'public'")}
    eq(pg_views, lite_views, "views")
    for v in sorted(lite_views):
        eq([c[0] for c in pg_columns("first", v)],
           [r[1] for r in lite.execute("PRAGMA table_info(%s)" % v)], "columns of view " + v)
    # indexes: the same names; a partial one stays partial
    lite_idx = {name: sql for name, sql in lite.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    # (not those behind PRIMARY KEY and UNIQUE constraints: compared below)
    pg_idx = {name: sql for name, sql in PG.query(
        "first", "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                 "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                 "WHERE t.relnamespace = 'public'::regnamespace AND NOT EXISTS "
                 "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)")}
    eq(set(pg_idx) - PG_ONLY_INDEXES, set(lite_idx), "indexes")
    for name, sql in lite_idx.items():
        eq(" WHERE " in pg_idx[name], " WHERE " in " ".join(sql.split()), "partial " + name)
        eq(" UNIQUE " in pg_idx[name], sql.startswith("CREATE UNIQUE"), "unique " + name)
    # the UNIQUE and PRIMARY KEY constraints' columns
    lite_uniq = set()
    for t in lite_tables - SQLITE_ONLY_TABLES:
        for _, iname, unique, origin, _ in lite.execute("PRAGMA index_list(%s)" % t):
            if unique and origin in ("u", "pk"):
                cols = tuple(r[2] for r in lite.execute("PRAGMA index_info(%s)" % iname))
                lite_uniq.add((t, cols))
        pk = tuple(r[1] for r in sorted((r for r in lite.execute("PRAGMA table_info(%s)" % t)
                                         if r[5]), key=lambda r: r[5]))
        if pk:
            lite_uniq.add((t, pk))
    pg_uniq = {(t, tuple(cols.split(","))) for t, cols in PG.query(
        "first", "SELECT cl.relname, string_agg(a.attname, ',' ORDER BY k.ord) "
                 "FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid "
                 "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) "
                 "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
                 "WHERE c.contype IN ('u', 'p') AND cl.relnamespace = 'public'::regnamespace "
                 "GROUP BY c.oid, cl.relname")}
    eq(pg_uniq - {("schema_version", ("one",))}, lite_uniq, "unique and primary keys")
    # foreign keys with their ON DELETE rules
    rules = {"c": "CASCADE", "n": "SET NULL", "a": "NO ACTION", "r": "RESTRICT", "d": "SET DEFAULT"}
    lite_fk = set()
    for t in lite_tables - SQLITE_ONLY_TABLES:
        for r in lite.execute("PRAGMA foreign_key_list(%s)" % t):
            lite_fk.add((t, r[3], r[2], r[4], r[6]))
    pg_fk = {(t, col, rt, rcol, rules[d]) for t, col, rt, rcol, d in PG.query(
        "first", "SELECT cl.relname, a.attname, rcl.relname, ra.attname, c.confdeltype "
                 "FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid "
                 "JOIN pg_class rcl ON rcl.oid = c.confrelid "
                 "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                 "JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1] "
                 "WHERE c.contype = 'f'")}
    assert lite_fk, "no foreign keys read from SQLite"
    eq(pg_fk, lite_fk, "foreign keys")
    # triggers: SQLite's, but for the search index's
    lite_trg = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert SQLITE_ONLY_TRIGGERS <= lite_trg, lite_trg
    pg_trg = {r[0] for r in PG.query("first", "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
    eq(pg_trg, lite_trg - SQLITE_ONLY_TRIGGERS, "triggers")
    lite.close()


def test_ids_are_identity_columns():
    migrated("first")
    lite = sqlite_schema()
    want = sorted(t for (t,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if t not in SQLITE_ONLY_TABLES | NOT_IDENTITY and
                  any(r[1] == "id" and r[5] == 1 for r in lite.execute("PRAGMA table_info(%s)" % t)))
    lite.close()
    assert "users" in want and "tasks" in want, want
    got = sorted(r[0] for r in PG.query(
        "first", "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
                 "AND column_name = 'id' AND is_identity = 'YES' AND data_type = 'bigint'"))
    eq(got, want, "tables whose id is a bigint identity column")


def sql1(db, sql):
    rows = PG.query(db, sql)
    return rows[0][0] if rows else None


USER = ("INSERT INTO users (username, username_key, password, date_joined) "
        "VALUES ('%s', '%s', '', 1) RETURNING id")


def test_cascades_counters_and_ids_never_reused():
    migrated("first")
    db = "first"
    alice = sql1(db, USER % ("alice", "alice"))
    bob = sql1(db, USER % ("bob", "bob"))
    lst = sql1(db, "INSERT INTO lists (owner_id, name, created_at, updated_at) "
                   "VALUES (%s, 'home', 1, 1) RETURNING id" % alice)
    t1 = sql1(db, "INSERT INTO tasks (list_id, name, created_at, updated_at) "
                  "VALUES (%s, 'one', 1, 1) RETURNING id" % lst)
    sql1(db, "INSERT INTO tasks (list_id, name, assigned_to, created_at, updated_at) "
             "VALUES (%s, 'two', %s, 1, 1) RETURNING id" % (lst, bob))
    sql1(db, "INSERT INTO list_members (list_id, user_id, role, added_at) "
             "VALUES (%s, %s, 'editor', 1) RETURNING list_id" % (lst, bob))
    # the counters the SQLite triggers keep
    eq(PG.query(db, "SELECT task_count, member_count FROM lists WHERE id = %s" % lst), [("2", "1")])
    eq(sql1(db, "SELECT assigned_count FROM users WHERE id = %s" % bob), "1")
    # 024's extras_count: tasks with a rule or reminders
    sql1(db, "UPDATE tasks SET reminders = '[60]' WHERE name = 'two' RETURNING id")
    eq(PG.query(db, "SELECT extras_count FROM lists WHERE id = %s" % lst), [("1",)], "extras")
    eq(sql1(db, "SELECT extras_count FROM users WHERE id = %s" % bob), "1", "assignee's extras")
    v0 = sql1(db, "SELECT version FROM lists WHERE id = %s" % lst)
    sql1(db, "UPDATE tasks SET assigned_to = NULL WHERE name = 'two' RETURNING id")
    eq(sql1(db, "SELECT assigned_count FROM users WHERE id = %s" % bob), "0", "unassigned")
    eq(sql1(db, "SELECT extras_count FROM users WHERE id = %s" % bob), "0", "extras unassigned")
    sql1(db, "DELETE FROM tasks WHERE id = %s RETURNING id" % t1)
    eq(sql1(db, "SELECT task_count FROM lists WHERE id = %s" % lst), "1", "after a delete")
    eq(int(sql1(db, "SELECT version FROM lists WHERE id = %s" % lst)), int(v0) + 1, "version")
    eq(PG.query(db, "SELECT kind, object_id, name, place FROM deletions"),
       [("task", t1, "one", "home")], "the task's deletion recorded")
    # deleting a user takes their lists and tasks (and memberships) with them
    sql1(db, "DELETE FROM users WHERE id = %s RETURNING id" % alice)
    eq(PG.query(db, "SELECT count(*) FROM lists"), [("0",)], "lists")
    eq(PG.query(db, "SELECT count(*) FROM tasks"), [("0",)], "tasks")
    eq(PG.query(db, "SELECT count(*) FROM list_members"), [("0",)], "members")
    eq(PG.query(db, "SELECT kind, name FROM deletions ORDER BY id"),
       [("task", "one"), ("user", "alice")], "a cascade records only its root")
    eq(PG.query(db, "SELECT username FROM users"), [("bob",)])
    # the newest user's id is not handed out again
    carol = sql1(db, USER % ("carol", "carol"))
    assert int(carol) > int(bob), (carol, bob)
    sql1(db, "DELETE FROM users WHERE id = %s RETURNING id" % carol)
    dave = sql1(db, USER % ("dave", "dave"))
    assert int(dave) > int(carol), (dave, carol)


def test_webhook_triggers_and_the_delivery_log():
    db = "first"
    migrated(db)
    eve = sql1(db, USER % ("eve", "eve"))
    eq(PG.query(db, "SELECT count(*) FROM webhook_gen"), [("0",)], "no webhook yet")
    hook = sql1(db, "INSERT INTO webhooks (owner_id, url, events, secret, created_at, updated_at) "
                    "VALUES (%s, 'https://h.example/', 1, 's', 1, 1) RETURNING id" % eve)
    n1 = sql1(db, "SELECT n FROM webhook_gen WHERE id = 1")
    assert n1 is not None, "webhook_gen_insert"
    # 027: a webhook of every list reaches every list; a later list starts there
    mine = sql1(db, "INSERT INTO lists (owner_id, name, created_at, updated_at) "
                    "VALUES (%s, 'hooked', 1, 1) RETURNING id" % eve)
    eq(PG.query(db, "SELECT l.hook_gen, g.seq FROM lists l, webhook_gen g WHERE l.id = %s"
                % mine), [("1", "1")], "lists_hook_gen_start")
    sql1(db, "INSERT INTO webhooks (owner_id, url, events, list_id, secret, created_at, "
             "updated_at) VALUES (%s, 'https://h.example/', 1, %s, 's', 1, 1) RETURNING id"
             % (eve, mine))
    eq(PG.query(db, "SELECT hook_gen FROM lists WHERE id = %s" % mine), [("2",)],
       "a webhook of the list: webhook_gen_lists")
    n1 = sql1(db, "SELECT n FROM webhook_gen WHERE id = 1")
    sql1(db, "INSERT INTO webhook_inbox (webhook_id, event, object_key, data, created_at) "
             "VALUES (%s, 'task.created', 'task:1', '{\"id\": 1}', 5) RETURNING id" % hook)
    sql1(db, "INSERT INTO webhook_deliveries (webhook_id, event, object_key, body, created_at, "
             "next_attempt_at) VALUES (%s, 'task.updated', 'task:1', "
             "'{\"event\":\"task.updated\",\"data\":{\"id\":1}}', 6, 6) RETURNING id" % hook)
    eq(sorted(PG.query(db, "SELECT event, status, data FROM webhook_delivery_log")),
       [("task.created", "pending", '{"id": 1}'), ("task.updated", "pending", '{"id":1}')],
       "the log: the inbox's row and the delivery's data")
    sql1(db, "UPDATE users SET is_active = 0 WHERE id = %s RETURNING id" % eve)
    n2 = sql1(db, "SELECT n FROM webhook_gen WHERE id = 1")
    assert n2 != n1, "webhook_gen_user"
    sql1(db, "DELETE FROM users WHERE id = %s RETURNING id" % eve)
    assert sql1(db, "SELECT n FROM webhook_gen WHERE id = 1") != n2, "webhook_gen_delete"
    eq(PG.query(db, "SELECT moved FROM webhook_inbox"), [("1",)], "the newest inbox row stays, moved")
    eq(PG.query(db, "SELECT count(*) FROM webhook_deliveries"), [("0",)], "deliveries cascade")


def test_two_migrates_at_once():
    need_cluster()
    uri = PG.createdb("racing")
    c = conf(uri, "racing.conf")
    # a session holds the migration lock: both migrates must wait on it
    holder = subprocess.Popen(
        [os.path.join(PG.bin, "psql"), "-X", "-q", "-h", PG.dir, "-U", "taskmgr", "-d", "racing"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    procs = []
    try:
        holder.stdin.write("SELECT pg_advisory_lock(%d);\n" % MIGRATE_LOCK)
        holder.stdin.flush()
        waiting = ("SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) "
                   "FROM pg_locks WHERE locktype = 'advisory' AND objid = %d"
                   % (MIGRATE_LOCK & 0xffffffff))
        deadline = time.time() + 30
        while PG.query("racing", waiting)[0][0] != "1":
            assert time.time() < deadline, "the holder did not get the lock"
            time.sleep(0.05)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKMGR_")}
        for _ in range(2):
            procs.append(subprocess.Popen([TASKMGR, "--config", c, "migrate"], env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
        while PG.query("racing", waiting)[0] != ("1", "2"):
            assert time.time() < deadline, "the migrates do not wait for the lock: %s" % [
                p.poll() for p in procs]
            time.sleep(0.05)
        holder.stdin.write("SELECT pg_advisory_unlock_all();\n\\q\n")
        holder.stdin.flush()
        outs = [p.communicate(timeout=60) for p in procs]
    finally:
        holder.stdin.close()
        _terminate(holder.pid, holder)
        for p in procs:
            if p.poll() is None:
                _terminate(p.pid, p)
    n = expected_version()
    for _, err in outs:
        for mark in SANITIZER_MARKS:
            assert mark not in err, err
    eq([p.returncode for p in procs], [0, 0], "exit statuses: %s" % outs)
    stdouts = sorted(o for o, _ in outs)
    eq(stdouts[1], "schema is up to date (version %d)\n" % n, "the second found nothing to do")
    assert stdouts[0].startswith("applying pg/"), stdouts
    eq(PG.query("racing", "SELECT version FROM schema_version"), [(str(n),)])


def test_the_responder_serves_health_registration_login_and_tasks():
    """taskmgr.fcgi on PostgreSQL through nginx: the statement layer end to
    end (writes with new ids and transactions: a registration, a login's
    tokens, a list, a task and its PATCH with optimistic locking; reads: the
    task list).  The rest of the API is not yet tested on PostgreSQL."""
    uri = migrated("served")
    # this host's rate limits and metrics: state_dir (test_pg_work.py)
    with Server(config={"database": uri, "state_dir": scratch_dir("pgstate-")},
                migrate=False) as s:
        r = s.get("/api/health/")
        eq((r.status, r.json), (200, {"status": "ok", "database": "ok",
                                      "schema_version": expected_version()}), r.body)
        s.create_user("pgalice", staff=False)
        eq(PG.query("served", "SELECT username, is_active FROM users"), [("pgalice", "1")],
           "the user is PostgreSQL's row")
        tok = s.login("pgalice")
        eq(PG.query("served", "SELECT count(*) FROM auth_tokens"), [("2",)],
           "the access and refresh tokens are stored")
        uid = PG.query("served", "SELECT id FROM users WHERE username = 'pgalice'")[0][0]
        PG.query("served", "INSERT INTO lists (owner_id, name, name_key, created_at, updated_at)"
                 " VALUES (%s, 'Inbox', 'inbox', 0, 0)" % uid)
        lid = PG.query("served", "SELECT id FROM lists WHERE owner_id = %s" % uid)[0][0]
        # GET /api/tasks/ is the tasks assigned to the caller
        tid = PG.query("served", "INSERT INTO tasks (list_id, name, name_key, status, assigned_to,"
                       " created_at, updated_at) VALUES (%s, 'Write the port', 'write the port',"
                       " 'In Progress', %s, 1, 1) RETURNING id" % (lid, uid))[0][0]
        r = s.get("/api/tasks/", token=tok)
        eq((r.status, r.json["count"], [(t["id"], t["name"]) for t in r.json["results"]]),
           (200, 1, [(int(tid), "Write the port")]), r.body)
        r = s.get("/api/tasks/", token="not-a-token")
        eq(r.status, 401, r.body)
        # through the API: a list, a task in it, a PATCH with optimistic locking
        r = s.post("/api/lists/", {"name": "Work"}, token=tok)
        eq(r.status, 201, r.body)
        wid = r.json["id"]
        r = s.post("/api/auth/register/", {"username": "PGalice", "password": "correct-horse-battery",
                                            "confirm_password": "correct-horse-battery"})
        eq(r.status, 400, "a username taken, whatever its case: %s" % r.body)
        r = s.post("/api/lists/%d/tasks/" % wid, {"name": "Port the layer",
                                                  "assigned_to": int(uid)}, token=tok)
        eq(r.status, 201, r.body)
        task = r.json
        eq(PG.query("served", "SELECT name FROM tasks WHERE id = %d" % task["id"]),
           [("Port the layer",)], "PostgreSQL's row")
        r = s.request("PATCH", "/api/tasks/%d/" % task["id"],
                      {"name": "Ported", "updated_at": task["updated_at"]}, token=tok)
        eq((r.status, r.json.get("name")), (200, "Ported"), r.body)
        r = s.request("PATCH", "/api/tasks/%d/" % task["id"],
                      {"name": "Stale", "updated_at": task["updated_at"]}, token=tok)
        eq(r.status, 409, r.body)
        r = s.get("/api/tasks/", token=tok)
        eq(sorted(t["name"] for t in r.json["results"]), ["Ported", "Write the port"], r.body)
        errors = [line for line in s.log_text().splitlines() if "Z error " in line]
        eq(errors, [], "no error logged (SQLite's own chores, the FTS5 catch-up, skipped)")
        assert s.sanitizer_report() is None, s.sanitizer_report()


def test_migrate_refuses_a_newer_database():
    uri = migrated("newer")
    PG.query("newer", "UPDATE schema_version SET version = version + 1")
    p = run(TASKMGR, "migrate", config=conf(uri))
    eq(p.returncode, 1, p.stdout)
    assert "newer than this program's %d" % expected_version() in p.stdout, p.stdout


def test_migrate_warns_of_a_database_that_sorts_by_a_locale():
    """Pages sorted by a name come in the database's collation on PostgreSQL,
    in code point order on SQLite: migrate says so for a database in an ICU
    locale (en-US sorts 'a' before 'B'), and nothing for the C ones above."""
    need_cluster()
    PG.query("postgres", "CREATE DATABASE by_locale TEMPLATE template0 "
             "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'")
    eq(PG.query("by_locale", "SELECT 'a' < 'B'"), [("t",)], "the database's own order")
    p = run(TASKMGR, "migrate", config=conf(PG.uri("by_locale")))
    eq(p.returncode, 0, p.stdout + p.stderr)
    lines = p.stdout.splitlines()
    eq(lines[-2], "schema now at version %d" % expected_version(), p.stdout)
    assert lines[-1].startswith("warning: this database sorts text by its locale"), p.stdout
    assert "LOCALE 'C'" in lines[-1], p.stdout
    p = run(TASKMGR, "migrate", config=conf(PG.uri("by_locale")))
    eq(p.stdout.splitlines()[-1][:8], "warning:", "again on every migrate")


if __name__ == "__main__":
    run_tests(globals(), time_limit=300)
