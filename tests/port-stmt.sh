#!/bin/sh
# port-stmt.sh: storage code (fcgi/domain, api, admin, telegram, bin) calls
# the statement layer of core/dbstmt.h, never sqlite3_* beyond SQLite's own
# code that tools/port-stmt.py knows (TAP).  A failure lists the calls left:
# run tools/port-stmt.py to port them.
# usage: port-stmt.sh [SRCDIR]   (default: $TOP_SRCDIR, else .)
set -u
top=${1:-${TOP_SRCDIR:-.}}
echo "1..1"
if out=$(python3 "$top/tools/port-stmt.py" --check "$top" 2>&1); then
	echo "ok 1 - no sqlite3_ call outside SQLite's own code; the port changes nothing"
else
	echo "not ok 1 - tools/port-stmt.py --check: run tools/port-stmt.py"
	echo "$out" | sed 's/^/# /'
fi
