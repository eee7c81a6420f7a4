#!/usr/bin/env python3
"""make bench's report (tests/bench/bench.py): the tables it prints from a
recorded bench-results.json (tests/bench/bench-results-sample.json, a run's
with one case failed on each backend) are the text the printer wrote when
it was recorded (bench-report-sample.txt), byte for byte.  Nothing is
measured: no server, no wrk."""
import contextlib
import io
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TOP_SRCDIR, eq, run_tests  # noqa: E402

BENCH = os.path.join(TOP_SRCDIR, "tests", "bench")
sys.path.insert(0, BENCH)
import bench  # noqa: E402


def sample(name):
    with open(os.path.join(BENCH, name)) as f:
        return f.read()


def test_the_report_of_a_recorded_run_is_the_recorded_text():
    results = json.loads(sample("bench-results-sample.json"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bench.report(results)
        bench.report_pg(results)
    got, want = out.getvalue().splitlines(), sample("bench-report-sample.txt").splitlines()
    eq([(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w], [], "lines that differ")
    eq(out.getvalue(), sample("bench-report-sample.txt"), "the whole text")
    # the failed cases: n/a in a row as wide as its table
    assert "| (d) PATCH /api/tasks/{id}/, synchronous=normal | n/a | | | | | |" in got
    assert "| (d) PATCH /api/tasks/{id}/ | n/a | | | | | | |" in got


def test_help_runs():
    p = subprocess.run([sys.executable, os.path.join(BENCH, "bench.py"), "--help"],
                       capture_output=True, text=True, timeout=60)
    eq((p.returncode, p.stderr), (0, ""), "bench.py --help")
    assert p.stdout.startswith("usage: bench.py"), p.stdout


if __name__ == "__main__":
    run_tests(globals(), time_limit=120)
