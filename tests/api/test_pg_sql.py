#!/usr/bin/env python3
"""Every SQL text the programs prepare, checked against PostgreSQL (README
"PostgreSQL and several hosts"; the texts: tests/api/sql_corpus.py).

The texts: the whole statements among fcgi/'s string literals, those the
programs prepared while this file drove a server through the pages, filters
and changes that build texts at run time (recorded by
tests/support/sql_record.so, with the type of every value the C code bound),
and, when TMTEST_SQL_CORPUS names one, a corpus `sql_corpus.py record` wrote
from a whole `make check`.

Each text is translated as the PostgreSQL statement layer will (?N and ? to
$N) and PREPAREd on a throwaway cluster migrated by `taskmgr migrate`, with
the recorded types of its parameters (else PostgreSQL infers them).  A text
that does not prepare fails the test unless it is in SQLITE_ONLY below, each
entry with its reason (and the PostgreSQL text, where there is one).  An
entry that no longer matches any text fails too, so the list stays short.
"""
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP_BUILDDIR, Server, Skip, eq, run_tests, scratch_dir  # noqa: E402
import sql_corpus  # noqa: E402
import test_postgresql as pgt  # noqa: E402

RECORDER = os.path.join(TOP_BUILDDIR, "tests", "support", "sql_record.so")

# Texts that are SQLite's alone, by design or still to port: a regular
# expression a text must match (re.search), and the reason.  Keep it short.
SQLITE_ONLY = [
    # by design
    (r"^\s*;?\s*PRAGMA ", "SQLite's settings, checks and user_version; PostgreSQL has "
     "server settings and the table schema_version (core/pgdb.c)"),
    (r"^BEGIN IMMEDIATE$", "SQLite's write lock at BEGIN; PostgreSQL: BEGIN (row locks)"),
    (r"sqlite_master", "the backup's read of SQLite's catalogue (cmd_backup.c); PostgreSQL "
     "is backed up with pg_dump or base backups"),
    (r"\btasks_fts\b", "the FTS5 trigram index (MATCH, its catch-up into tasks_fts); "
     "PostgreSQL's text of a search (DB_SQL in task_pages.c) is SEARCH_PG_LIKE "
     "(task_search.h), served by tasks.name_key's pg_trgm GIN index: test_pg_search.py"),
]


def pg_text(sql):
    """sql with SQLite's ?N and ? as PostgreSQL's $N (outside quotes and comments)."""
    out, i, n, last = [], 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif c == "?":
            m = re.match(r"\?(\d*)", sql[i:])
            k = int(m.group(1)) if m.group(1) else last + 1
            last = max(last, k)
            out.append("$%d" % k)
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def param_types(sql, binds):
    """PREPARE's type list: each parameter's recorded type, else unknown."""
    idx = [int(x) for x in re.findall(r"\$(\d+)", pg_text(sql))]
    types = []
    for k in range(1, max(idx, default=0) + 1):
        known = sorted(t for t in binds.get(k, ()) if t != "null")
        types.append(known[0] if len(known) == 1 else "unknown")
    return types


def exempt(sql):
    for pattern, _ in SQLITE_ONLY:
        if re.search(pattern, sql):
            return pattern
    return None


PG = None
URI = None
RECORDED = {}


def setup_module():
    global PG, URI
    pgt.setup_module()
    PG = pgt.PG
    if PG is not None:
        URI = PG.createdb("sqltexts")
        p = pgt.run(pgt.TASKMGR, "migrate", config=pgt.conf(URI))
        eq(p.returncode, 0, "migrate: " + p.stdout + p.stderr)


def teardown_module():
    pgt.teardown_module()


def record_workload():
    """Drives a SQLite server through what builds texts at run time, with
    the recorder preloaded; the texts with their bound types."""
    folder = pgt.WORK
    saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", "TMTEST_SQL_RECORD", "ASAN_OPTIONS")}
    os.environ.update(LD_PRELOAD=RECORDER, TMTEST_SQL_RECORD=folder,
                      ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") +
                                    ":verify_asan_link_order=0").lstrip(":"))
    try:
        # a SQLite file whatever TMTEST_BACKEND says: the recorder hooks
        # SQLite's prepare, and PostgreSQL's own texts are checked here
        db = os.path.join(scratch_dir("sqlwork-"), "taskmgr.db")
        srv = Server(workers=1, config={"database": db}).start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        workload(srv)
    finally:
        srv.stop()
    return sql_corpus.recorded_texts(folder)


def workload(srv):
    """Pages with every filter and order, searches, partial updates."""
    pw = "plum-kettle-orbit-42"
    srv.cli("createsuperuser", "--username", "root", "--password-stdin", input=pw + "\n",
            check=True)
    tok = srv.request("POST", "/api/auth/token/", {"username": "root", "password": pw})
    eq(tok.status, 200, tok.body)
    h = {"Authorization": "Bearer " + tok.json["access"]}
    me = srv.request("GET", "/api/auth/me/", headers=h).json["id"]
    lst = srv.request("POST", "/api/lists/", {"name": "Home"}, headers=h).json["id"]
    ids = []
    for i in range(25):
        r = srv.request("POST", "/api/lists/%d/tasks/" % lst,
                        {"name": "Chore %d" % i, "assigned_to": me if i % 2 else None,
                         "complete_before": "2030-01-%02dT10:00:00Z" % (i + 1)}, headers=h)
        eq(r.status, 201, r.body)
        ids.append(r.json)
    filters = ["status=Pending", "assigned_to=%d" % me, "list=%d" % lst,
               "due_before=2030-01-10T00:00:00Z", "due_after=2030-01-05T00:00:00Z",
               "search=chore", "search=ch"]
    orders = ["", "ordering=created_at", "ordering=-created_at", "ordering=complete_before",
              "ordering=-complete_before", "ordering=updated_at", "ordering=-updated_at"]
    bases = ["/api/tasks/", "/api/lists/%d/tasks/" % lst]
    for base in bases:
        for mask in range(1 << 4):
            qs = [f for b, f in enumerate(filters[:4]) if mask >> b & 1]
            for order in orders:
                for extra in ([], ["limit=3", "offset=21"]):
                    q = "&".join(qs + ([order] if order else []) + extra)
                    r = srv.request("GET", base + ("?" + q if q else ""), headers=h)
                    eq(r.status, 200, (base, q, r.body))
        for f in filters[4:]:
            r = srv.request("GET", base + "?" + f, headers=h)
            eq(r.status, 200, (base, f, r.body))
    fields = [("name", None), ("description", "d"), ("status", "Completed"),
              ("assigned_to", None), ("complete_before", "2031-01-01T00:00:00Z")]
    for i, t in enumerate(ids[:1 << len(fields)]):
        body = {k: v for b, (k, v) in enumerate(fields) if (i + 1) >> b & 1}
        if "name" in body:
            body["name"] = "Renamed %d" % i
        body["updated_at"] = t["updated_at"]
        r = srv.request("PATCH", "/api/tasks/%d/" % t["id"], body, headers=h)
        eq(r.status, 200, r.body)


def corpus():
    """{text: {index: types}}: static, recorded here, and TMTEST_SQL_CORPUS's."""
    texts = {t: {k: set(v) for k, v in b.items()} for t, b in RECORDED.items()}
    extra = os.environ.get("TMTEST_SQL_CORPUS")
    if extra:
        for t, b in sql_corpus.load_corpus(extra).items():
            for k, v in b.items():
                texts.setdefault(t, {}).setdefault(k, set()).update(v)
    for t in sql_corpus.whole(sql_corpus.static_texts(), texts):
        texts.setdefault(t, {})
    return texts


def prepare_round(texts):
    """{text: error} for each of texts ({text: [types]}) that PostgreSQL
    refuses to PREPARE: one psql session, one PREPARE each."""
    script, order = [], []
    for n, (sql, types) in enumerate(sorted(texts.items())):
        order.append(sql)
        script.append("\\warn ###%d" % n)
        if TX_CONTROL.match(sql):
            # not preparable: the layer sends these as they are
            script.append(sql + ";")
            continue
        script.append("PREPARE s%d%s AS %s;" % (
            n, "(%s)" % ", ".join(types) if types else "", pg_text(sql).rstrip().rstrip(";")))
        script.append("DEALLOCATE s%d;" % n)
    p = subprocess.run([os.path.join(PG.bin, "psql"), "-X", "-q", "-h", PG.dir, "-U", "taskmgr",
                        "-d", "sqltexts", "-v", "VERBOSITY=terse"],
                       input="\n".join(script) + "\n", capture_output=True, text=True,
                       timeout=300)
    errors, cur = {}, None
    for line in p.stderr.splitlines():
        m = re.match(r"###(\d+)$", line)
        if m:
            cur = order[int(m.group(1))]
        elif cur is not None and "ERROR:" in line:
            errors.setdefault(cur, line.split("ERROR:", 1)[1].strip())
    return errors


# BEGIN, COMMIT and ROLLBACK are run (PostgreSQL prepares no transaction control)
TX_CONTROL = re.compile(r"(BEGIN|COMMIT|ROLLBACK)$")

# A parameter no run bound and PostgreSQL cannot type (`?1 IS NULL`) gets
# the types the C code binds, most common first.
GUESSES = ("int8", "text")


def prepare_all(texts):
    """{text: error} for each text ({text: {index: types}}) that does not
    PREPARE with its parameters' recorded types, nor with a guess for each
    parameter no run recorded a type for."""
    todo = {t: param_types(t, b) for t, b in texts.items()}
    guessed = {t: {} for t in texts}   # parameter index: its guess in GUESSES
    last = {}                          # the parameter guessed last
    errors = {}
    for _ in range(12):
        if not todo:
            break
        errors.update(prepare_round(todo))
        again = {}
        for t in todo:
            e = errors.get(t)
            if e is None:
                continue
            m = re.match(r"could not determine data type of parameter \$(\d+)", e)
            if m and todo[t][int(m.group(1)) - 1] == "unknown":
                k = last[t] = int(m.group(1)) - 1
                guessed[t][k] = 0
            elif t in last and not m:
                # the last guess did not fit: the next type for it
                k = last[t]
                guessed[t][k] += 1
                if guessed[t][k] >= len(GUESSES):
                    continue
            else:
                continue
            types = list(todo[t])
            types[k] = GUESSES[guessed[t][k]]
            again[t] = types
            del errors[t]
        todo = again
    return errors


def test_pg_text_numbers_parameters():
    eq(pg_text("SELECT ?1, '?', ?2 -- ?\n, ?"), "SELECT $1, '?', $2 -- ?\n, $3")
    eq(pg_text("SELECT \"a?\" FROM t WHERE x = ? AND y = ?"),
       "SELECT \"a?\" FROM t WHERE x = $1 AND y = $2")


def test_static_texts_are_found():
    texts = sql_corpus.static_texts()
    assert len(texts) > 100, len(texts)
    assert any(t.startswith("SELECT") and "FROM auth_tokens t JOIN users u" in t and "u.username" in t
               for t in texts), "the token lookup, its macro expanded"
    for t in texts:
        assert sql_corpus.is_statement(t), t


def test_every_text_prepares_on_postgresql():
    pgt.need_cluster()
    if not os.path.exists(RECORDER):
        raise Skip("no %s (make check builds it)" % RECORDER)
    RECORDED.update(record_workload())
    dynamic = [t for t in RECORDED if "t.complete_before" in t and "count(*)" in t]
    assert dynamic, "the workload's page counts were not recorded"
    texts = corpus()
    errors = prepare_all(texts)
    bad = {t: e for t, e in errors.items() if exempt(t) is None}
    used = {exempt(t) for t in texts}
    stale = [p for p, _ in SQLITE_ONLY if p not in used]
    print("# %d texts: %d prepare on PostgreSQL, %d SQLite-only (listed), %d fail"
          % (len(texts), len(texts) - len(errors), len(errors) - len(bad), len(bad)))
    msg = "\n\n".join("%s\n  -> %s" % (pg_text(t), e) for t, e in sorted(bad.items()))
    assert not bad, "%d texts do not prepare on PostgreSQL:\n%s" % (len(bad), msg)
    eq(stale, [], "SQLITE_ONLY entries that match no text (remove them)")
    # an entry whose texts all prepare now should leave the list
    failing = {exempt(t) for t in errors}
    ported = sorted(p for p in used if p is not None and p not in failing)
    eq(ported, [], "SQLITE_ONLY entries whose texts all prepare now (remove them)")


def test_sqlite_functions_given_to_postgresql():
    """pg/026's instr() and group_concat() answer as SQLite's do."""
    pgt.need_cluster()
    lite = sqlite3.connect(":memory:")
    for sql in ("SELECT instr('kettle', 'tt'), instr('kettle', 'x'), instr('k', '')",
                "SELECT coalesce(group_concat(x, ', '), '-') FROM (SELECT 'a' AS x UNION ALL "
                "SELECT NULL UNION ALL SELECT 'b' UNION ALL SELECT 'c') AS v",
                "SELECT coalesce(group_concat(x, ', '), '-') FROM (SELECT 'a' AS x) AS v "
                "WHERE x = 'z'"):
        want = [tuple(str(c) for c in r) for r in lite.execute(sql)]
        eq(PG.query("sqltexts", sql), want, sql)
    lite.close()


def nullable_columns():
    """The column names that may be NULL in every table of the PostgreSQL
    schema that has one (a name NOT NULL somewhere is not judged)."""
    rows = PG.query("sqltexts", "SELECT column_name, bool_and(is_nullable = 'YES') "
                                "FROM information_schema.columns c JOIN information_schema.tables t "
                                "USING (table_schema, table_name) WHERE table_schema = 'public' "
                                "AND table_type = 'BASE TABLE' GROUP BY column_name")
    return {name for name, always in rows if always == "t"}


def unordered_nulls(sql, nullable):
    """The ORDER BY terms of sql on a column that may be NULL with neither
    NULLS FIRST/LAST nor an earlier "column IS NULL" term, in a text that
    does not say "column IS NOT NULL": SQLite puts NULLs first ascending,
    PostgreSQL last."""
    bad = []
    for m in re.finditer(r"ORDER BY (.*?)(?=\)| LIMIT| OFFSET| UNION|$)", sql):
        seen = []
        for term in m.group(1).split(","):
            words = term.split()
            col = words[0].split(".")[-1]
            if "IS" in words and "NULL" in words:
                seen.append(col)
            elif (col in nullable and "NULLS" not in words and col not in seen and
                  not re.search(r"\b%s IS NOT NULL" % col, sql)):
                bad.append(term.strip())
    return bad


def test_nulls_sort_as_on_sqlite():
    pgt.need_cluster()
    nullable = nullable_columns()
    assert {"complete_before", "last_login"} <= nullable, nullable
    eq(unordered_nulls("SELECT 1 ORDER BY t.complete_before, t.id LIMIT 1", nullable),
       ["t.complete_before"])
    eq(unordered_nulls("SELECT 1 ORDER BY t.complete_before IS NULL, t.complete_before DESC",
                       nullable), [])
    texts = set(RECORDED) | set(sql_corpus.static_texts())
    extra = os.environ.get("TMTEST_SQL_CORPUS")
    if extra:
        texts |= set(sql_corpus.load_corpus(extra))
    assert any("ORDER BY t.complete_before" in t for t in texts), "no page by deadline"
    bad = {t: unordered_nulls(t, nullable) for t in texts if not exempt(t)}
    bad = {t: b for t, b in bad.items() if b}
    eq(bad, {}, "texts that order by a column that may be NULL without saying where NULLs go")


if __name__ == "__main__":
    run_tests(globals(), time_limit=600)
