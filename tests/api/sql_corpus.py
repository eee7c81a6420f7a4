#!/usr/bin/env python3
"""The SQL texts the programs prepare, for the check against PostgreSQL
(test_pg_sql.py, README "PostgreSQL and several hosts").

Two sources, both read fresh each time (nothing is kept that goes stale):
- static: the string literals of fcgi/ (adjacent literals joined) that are
  whole statements: what db_prep() and its callers are given as they are;
- recorded: what the programs really prepared while tests ran, with the type
  of each value the C code bound (tests/support/sql_record.c, an LD_PRELOAD
  library).  That adds the texts built at run time (task pages and counts,
  page marks, partial updates) and gives each parameter its type.

    python3 tests/api/sql_corpus.py record [--build DIR] [--out FILE] [TESTS...]
        runs `make check` (or the TESTS given) in the build folder with the
        recorder and writes the union as JSON: {text: {index: [types]}};
        TMTEST_SQL_CORPUS=FILE then makes test_pg_sql.py check it too
    python3 tests/api/sql_corpus.py static
        prints the static texts, one per paragraph
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP_SRCDIR") or os.path.abspath(os.path.join(HERE, "..", ".."))

# the first word of a whole statement
VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE", "PRAGMA", "BEGIN",
         "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "CREATE", "DROP", "ALTER",
         "ANALYZE", "VACUUM", "EXPLAIN")
# fcgi/ files whose literals are not SQLite statements of the domain:
# PostgreSQL's own (the migration runner, the statement layer's savepoint)
# and the generated migrations
# what SQLite's FTS5 prepares for itself on its shadow tables ('main'.'tasks_fts_data')
FTS5_OWN = re.compile(r"'main'\.'")
# the version bump db_migrate() runs after each migration
MIGRATION_BUMP = re.compile(r"^;?PRAGMA user_version=\d+;?$")
NOT_SCANNED = ("core/pgdb.c", "core/pgstmt.c", "core/migrations.c", "core/pg_migrations.c")

_C_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|'
                      r'^[ \t]*#[^\n]*(?:\\\n[^\n]*)*|\s+|[A-Za-z_]\w*|.', re.S | re.M)
_ESC = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "0": "\0", "r": "\r"}


def _unescape(lit):
    out, i = [], 1
    while i < len(lit) - 1:
        c = lit[i]
        if c == "\\":
            out.append(_ESC.get(lit[i + 1], lit[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def c_strings(src):
    """Each run of adjacent string literals of preprocessed C, joined."""
    runs, cur = [], None
    for m in _C_TOKEN.finditer(src):
        t = m.group(0)
        if t.startswith("//") or t.startswith("/*") or t.isspace():
            continue
        if t.startswith('"'):
            if cur is None:
                cur = []
            cur.append(_unescape(t))
            continue
        if cur is not None:
            runs.append("".join(cur))
            cur = None
    if cur is not None:
        runs.append("".join(cur))
    return runs


def is_statement(s):
    """A whole statement: an SQL verb first, no printf conversion (a format
    the text is built from at run time)."""
    w = s.lstrip().split(None, 1)
    return (bool(w) and w[0].rstrip(";(") in VERBS and w[0].isupper() and
            re.search(r"%(?:l*[sdu]|zu|\.\*s)", s) is None)


def preprocessed(path, top, stubs):
    """path through the C preprocessor, its macros expanded (the SQL of
    AUTH_USER_COLUMNS and the like), with the system headers empty; only
    the lines of fcgi/'s own files are kept."""
    dirs = sorted({os.path.dirname(p) for p in glob.glob(os.path.join(top, "fcgi", "*", "*.h"))})
    cc = os.environ.get("CPP_FOR_SQL") or "cpp"
    p = subprocess.run([cc, "-nostdinc", "-D_GNU_SOURCE", "-I", stubs] +
                       [a for d in dirs for a in ("-I", d)] + [path],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (path, p.stderr[-2000:]))
    keep, out = True, []
    fcgi = os.path.join(os.path.abspath(top), "fcgi") + os.sep
    for line in p.stdout.splitlines():
        m = re.match(r'# \d+ "([^"]*)"', line)
        if m:
            keep = os.path.abspath(m.group(1)).startswith(fcgi)
        elif keep:
            out.append(line)
    return "\n".join(out)


def static_texts(top=TOP):
    """{text: "file"} for each whole statement among fcgi/'s literals."""
    out = {}
    files = sorted(glob.glob(os.path.join(top, "fcgi", "**", "*.c"), recursive=True))
    with tempfile.TemporaryDirectory(prefix="sql-stubs-") as stubs:
        # every <header> the sources name, empty: only fcgi/'s macros matter
        for path in files + glob.glob(os.path.join(top, "fcgi", "**", "*.h"), recursive=True):
            with open(path, encoding="utf-8") as f:
                for h in re.findall(r"^\s*#\s*include\s*<([^>]+)>", f.read(), re.M):
                    stub = os.path.join(stubs, h)
                    os.makedirs(os.path.dirname(stub), exist_ok=True)
                    open(stub, "a").close()
        for path in files:
            rel = os.path.relpath(path, os.path.join(top, "fcgi"))
            if rel in NOT_SCANNED:
                continue
            for s in c_strings(preprocessed(path, top, stubs)):
                if is_statement(s):
                    out.setdefault(s, rel)
    return out


def whole(static, others):
    """static less the heads of texts built at run time ("SELECT t.id"
    followed by the columns and clauses of a page): a static text that
    begins a longer text of static or others."""
    every = sorted(set(static) | set(others))
    heads = set()
    for i, t in enumerate(every):
        if i + 1 < len(every) and every[i + 1].startswith(t):
            heads.add(t)
    return {t: w for t, w in static.items() if t not in heads}


def migration_texts(top=TOP):
    """The migrations' text, to leave out the statements they run."""
    return "\n".join(open(p, encoding="utf-8").read()
                     for p in sorted(glob.glob(os.path.join(top, "sql", "*.sql"))))


def read_records(folder):
    """{text: {index: set(types)}} from the recorder's files in folder."""
    out = {}
    for path in glob.glob(os.path.join(folder, "sql.*")):
        with open(path, "rb") as f:
            data = f.read().decode("utf-8", "replace")
        i = 0
        while i < len(data):
            nl = data.index("\n", i)
            head = data[i:nl].split()
            n = int(head[-1])
            # lengths count bytes; the text is UTF-8 (names are ASCII here)
            text = data[nl + 1:nl + 1 + n]
            i = nl + 1 + n + 1
            binds = out.setdefault(text, {})
            if head[0] == "B":
                binds.setdefault(int(head[1]), set()).add(head[2])
    return out


def recorded_texts(folder, top=TOP):
    """The recorded texts less the migrations' statements."""
    mig = migration_texts(top)
    return {t: b for t, b in read_records(folder).items()
            if t.strip() and t.strip() not in mig and not FTS5_OWN.search(t)
            and not MIGRATION_BUMP.match(t.strip())}


def load_corpus(path):
    with open(path) as f:
        return {t: {int(k): set(v) for k, v in b.items()} for t, b in json.load(f).items()
                if not FTS5_OWN.search(t) and not MIGRATION_BUMP.match(t.strip())}


def save_corpus(path, corpus):
    with open(path + ".tmp", "w") as f:
        json.dump({t: {str(k): sorted(v) for k, v in sorted(b.items())}
                   for t, b in sorted(corpus.items())}, f, indent=1)
    os.replace(path + ".tmp", path)


def record(build, tests, out):
    """Runs make check in build with the recorder; writes the union to out."""
    lib = os.path.join(build, "tests", "support", "sql_record.so")
    subprocess.run(["make", "-s", "tests/support/sql_record.so"], cwd=build, check=True)
    folder = tempfile.mkdtemp(prefix="sql-record-")
    os.chmod(folder, 0o1777)     # responders a test runs as another user write too
    env = dict(os.environ, TMTEST_SQL_RECORD=folder, LD_PRELOAD=lib,
               ASAN_OPTIONS="verify_asan_link_order=0")
    args = ["make", "-s", "-j2", "check"] + (["TESTS=" + " ".join(tests)] if tests else [])
    rc = subprocess.run(args, cwd=build, env=env).returncode
    corpus = recorded_texts(folder)
    save_corpus(out, corpus)
    for p in glob.glob(os.path.join(folder, "sql.*")):
        os.unlink(p)
    os.rmdir(folder)
    print("%d texts recorded in %s (make check exited %d)" % (len(corpus), out, rc))
    return rc


def main(argv):
    if len(argv) >= 2 and argv[1] == "static":
        for t, where in static_texts().items():
            print("-- %s\n%s\n" % (where, t))
        return 0
    if len(argv) >= 2 and argv[1] == "record":
        build, out, tests, i = os.path.join(TOP, "build"), "sql-corpus.json", [], 2
        while i < len(argv):
            if argv[i] in ("--build", "--out"):
                if argv[i] == "--build":
                    build = argv[i + 1]
                else:
                    out = argv[i + 1]
                i += 2
            else:
                tests.append(argv[i])
                i += 1
        return record(os.path.abspath(build), tests, os.path.abspath(out))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
