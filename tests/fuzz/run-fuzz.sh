#!/bin/sh
# run-fuzz.sh BINDIR FUZZDIR SECONDS TARGET...
# Runs each libFuzzer target BINDIR/fuzz_TARGET for SECONDS seconds, seeded
# from FUZZDIR/corpus/TARGET with FUZZDIR/TARGET.dict.  New inputs go to
# tests/fuzz/work/TARGET (the source corpus is never written); a crash,
# leak or sanitizer report leaves its input in tests/fuzz/artifacts/ and
# makes the run fail.  Prints one summary line per target.
set -u
bindir=$1 fuzzdir=$2 secs=$3
shift 3
mkdir -p tests/fuzz/work tests/fuzz/artifacts
failed=""
summary=""
for t in "$@"; do
	work=tests/fuzz/work/$t
	log=tests/fuzz/work/$t.log
	mkdir -p "$work"
	dict=""
	test -f "$fuzzdir/$t.dict" && dict="-dict=$fuzzdir/$t.dict"
	echo "== fuzz_$t for ${secs}s (log: $log)"
	# shellcheck disable=SC2086
	"$bindir/fuzz_$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 \
	    -print_final_stats=1 $dict -artifact_prefix="tests/fuzz/artifacts/$t-" \
	    "$work" "$fuzzdir/corpus/$t" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	line="$t: ${execs:-?} executions in ${secs}s, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) new + $(ls "$fuzzdir/corpus/$t" | wc -l) seeds"
	if test $rc -ne 0; then
		line="$line -- FAILED (exit $rc)"
		failed="$failed $t"
		grep -E 'ERROR|SUMMARY|runtime error|property failed|Test unit written' "$log" | head -n 20
	fi
	echo "$line"
	summary="$summary$line
"
done
echo "== fuzz summary"
printf '%s' "$summary"
if test -n "$failed"; then
	echo "findings in:$failed -- inputs are in tests/fuzz/artifacts/; add each one to"
	echo "tests/fuzz/corpus/TARGET/ as a regression input once fixed"
	exit 1
fi
exit 0
