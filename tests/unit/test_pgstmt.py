#!/usr/bin/env python3
"""Runs tests/unit/pgstmt_check (the C test of fcgi/core/pgstmt.c) against a
throwaway PostgreSQL cluster, the one tests/api/test_postgresql.py starts
(initdb in a folder under /tmp, a unix socket only, as nobody when run as
root), and passes its TAP through.  Reports SKIP when the build lacks
--with-postgresql or PostgreSQL is not installed (postgresql-15).  The
cluster is stopped by its PID and its folder removed, whatever happens.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
from test_postgresql import Cluster, pg_bindir  # noqa: E402


def main():
    if os.environ.get("WITH_POSTGRESQL") != "yes":
        print("1..0 # SKIP taskmgr was configured without --with-postgresql")
        return 0
    bindir = pg_bindir()
    if bindir is None:
        print("1..0 # SKIP PostgreSQL is not installed (Debian package postgresql-15)")
        return 0
    prog = os.path.join(os.environ["TOP_BUILDDIR"], "tests", "unit", "pgstmt_check")
    pg = Cluster(bindir)
    try:
        pg.start()
        env = dict(os.environ, TMTEST_PG_URI=pg.createdb("pgstmt"))
        sys.stdout.flush()
        return subprocess.run([prog], env=env, timeout=120).returncode
    finally:
        pg.stop()
        shutil.rmtree(pg.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
