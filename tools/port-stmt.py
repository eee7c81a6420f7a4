#!/usr/bin/env python3
"""Ports storage code from sqlite3_* calls to the statement layer of
fcgi/core/dbstmt.h (issue #20 step 2), in place.

    tools/port-stmt.py [--check] [TREE]

Rewrites every fcgi/*/*.[ch] of TREE (default: the tree this script is in)
but the files that are SQLite's own (EXCLUDED).
Idempotent: a second run changes nothing, and it can be run again on a tree
where others edited the same files.  What it cannot port (SQLite's own API:
SQL functions written in C, sqlite3_db_filename, sqlite3_last_insert_rowid)
it leaves as it is and lists at the end; --check exits 1 when a call outside
KNOWN_LEFT is left or when a file would change.
"""
import argparse
import os
import re
import sys

DIRS = ["fcgi/domain", "fcgi/api", "fcgi/admin", "fcgi/telegram", "fcgi/bin",
        "fcgi/http", "fcgi/core"]
# SQLite's own files: the backup API, the layer itself and what lies under it
# (the connection, its VFS and allocator, run-time SQL texts), PostgreSQL's side
EXCLUDED = {"fcgi/bin/cmd_backup.c"} | {"fcgi/core/" + f for f in (
    "db.c", "db.h", "dbstmt.h", "walvfs.c", "walvfs.h", "sqlmem.c", "sqlmem.h",
    "sqltext.c", "sqltext.h", "pgstmt.c", "pgstmt_bind.c", "pgstmt.h", "pgdb.c",
    "pgdb.h")}
# SQLite's own calls that stay, fenced by hand (db_is_sqlite())
KNOWN_LEFT = {
    "sqlite3_create_function", "sqlite3_context", "sqlite3_value",
    "sqlite3_value_text", "sqlite3_result_text", "sqlite3_result_null",
    "sqlite3_db_filename", "SQLITE_UTF8", "SQLITE_DETERMINISTIC",
    "SQLITE_TRANSIENT", "SQLITE_OK",
}

SIMPLE = [
    (r"\bsqlite3_stmt\b", "struct dbstmt"),
    (r"\bsqlite3_bind_int64\(", "db_bind_i64("),
    (r"\bsqlite3_bind_int\(", "db_bind_int("),
    (r"\bsqlite3_bind_double\(", "db_bind_double("),
    (r"\bsqlite3_bind_null\(", "db_bind_null("),
    (r"\bsqlite3_bind_parameter_count\(", "db_bind_count("),
    (r"\bsqlite3_step\(", "db_step("),
    (r"\bsqlite3_reset\(", "db_reset("),
    (r"\bsqlite3_column_int64\(", "db_col_i64("),
    (r"\bsqlite3_column_int\(", "db_col_int("),
    (r"\bsqlite3_column_double\(", "db_col_double("),
    (r"\(const char \*\)\s*sqlite3_column_text\(", "db_col_str("),
    (r"const unsigned char \*(\w+) = sqlite3_column_text\(", r"const char *\1 = db_col_str("),
    (r"\bsqlite3_column_text\(", "(const unsigned char *)db_col_str("),
    (r"\bsqlite3_column_blob\(", "db_col_blob("),
    (r"\bsqlite3_column_bytes\(", "db_col_bytes("),
    (r"\bsqlite3_changes\((\w+)->h\)", r"db_changes(\1)"),
    (r"\bsqlite3_errmsg\((\w+)->h\)", r"db_errmsg(\1)"),
    (r"\bsqlite3_rollback_hook\((\w+)->h,", r"db_rollback_hook(\1,"),
    (r"\(sqlite3_int64\)", "(int64_t)"),
    (r"\bSQLITE_ROW\b", "DB_ROW"),
    (r"\bSQLITE_DONE\b", "DB_DONE"),
    (r"\bSQLITE_ERROR\b", "DB_RC_ERROR"),
    (r"\bSQLITE_NOMEM\b", "DB_RC_NOMEM"),
    (r"\bSQLITE_CORRUPT\b", "DB_RC_CORRUPT"),
    (r"\bSQLITE_BUSY\b", "DB_RC_BUSY"),
    (r"\bSQLITE_CONSTRAINT\b", "DB_RC_CONSTRAINT"),
    (r"\bSQLITE_CONSTRAINT_UNIQUE\b", "DB_RC_UNIQUE"),
    (r"\bdb_done\(([^(),]+), SQLITE_OK\)", r"db_done(\1, DB_RC_OK)"),
]


def call_end(s, i):
    """The index just past the ')' closing the '(' at s[i]."""
    depth = 0
    while i < len(s):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced call")


def split_args(inner):
    """The top-level comma-separated arguments of a call's inside."""
    args, depth, cur = [], 0, ""
    for c in inner:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c == "," and depth == 0:
            args.append(cur)
            cur = ""
        else:
            cur += c
    args.append(cur)
    return args


def port_bind_bytes(s):
    """sqlite3_bind_text/blob(st, i, p, n, SQLITE_STATIC|TRANSIENT) ->
    db_bind_textn/blob(st, i, p, n, DB_STATIC|DB_TRANSIENT)."""
    for old, new in (("sqlite3_bind_text(", "db_bind_textn("),
                     ("sqlite3_bind_blob(", "db_bind_blob(")):
        while True:
            m = re.search(r"\b" + re.escape(old), s)
            if not m:
                break
            open_ = m.end() - 1
            end = call_end(s, open_)
            args = split_args(s[open_ + 1:end - 1])
            if len(args) != 5:
                raise ValueError("%s with %d arguments" % (old, len(args)))
            last = args[4].strip()
            dtor = {"SQLITE_STATIC": "DB_STATIC",
                    "SQLITE_TRANSIENT": "DB_TRANSIENT"}.get(last)
            if dtor is None:
                raise ValueError("%s with destructor %s" % (old, last))
            args[4] = args[4].replace(last, dtor)
            s = s[:m.start()] + new + ",".join(args) + ")" + s[end:]
    return s


def port_column_type(s):
    """sqlite3_column_type(st, c) == SQLITE_NULL -> db_col_isnull(st, c);
    != SQLITE_NULL -> !db_col_isnull(st, c)."""
    while True:
        m = re.search(r"\bsqlite3_column_type\(", s)
        if not m:
            return s
        open_ = m.end() - 1
        end = call_end(s, open_)
        t = re.match(r"\s*([=!]=)\s*SQLITE_NULL\b", s[end:])
        if not t:
            raise ValueError("sqlite3_column_type not compared with SQLITE_NULL")
        neg = "!" if t.group(1) == "!=" else ""
        s = (s[:m.start()] + neg + "db_col_isnull" + s[open_:end] +
             s[end + t.end():])


def port(text):
    s = port_bind_bytes(text)
    s = port_column_type(s)
    for pat, rep in SIMPLE:
        s = re.sub(pat, rep, s)
    if not re.search(r"\bsqlite3_|\bSQLITE_", s.replace("#include <sqlite3.h>", "")):
        s = re.sub(r"#include <sqlite3\.h>\n\n?", "", s)
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("tree", nargs="?",
                    default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    a = ap.parse_args()
    changed, left, bad = [], [], False
    for d in DIRS:
        full = os.path.join(a.tree, d)
        for name in sorted(os.listdir(full)):
            rel = d + "/" + name
            if not re.search(r"\.[ch]$", name) or rel in EXCLUDED:
                continue
            path = os.path.join(full, name)
            with open(path) as f:
                old = f.read()
            try:
                new = port(old)
            except ValueError as e:
                sys.exit("%s: %s" % (rel, e))
            if new != old:
                changed.append(rel)
                if not a.check:
                    with open(path, "w") as f:
                        f.write(new)
            for no, line in enumerate(new.split("\n"), 1):
                for w in re.findall(r"\b(?:sqlite3_\w+|SQLITE_\w+)", line):
                    left.append("%s:%d: %s" % (rel, no, w))
                    bad |= w not in KNOWN_LEFT
    for c in changed:
        print(("would change " if a.check else "ported ") + c)
    for x in left:
        print("left: " + x)
    if a.check and (changed or bad):
        sys.exit(1)


if __name__ == "__main__":
    main()
