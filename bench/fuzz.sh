#!/usr/bin/env bash
# fuzz.sh: the long fuzzing campaign of every file reader (issue 8: "run in make check for a short
# time and for 10 minutes in a benchmark script").
#
#   bash bench/fuzz.sh [BUILD] [SECONDS]      default: build, 600 seconds per target
#   TARGETS="pprof folded" bash bench/fuzz.sh build 60
#
# Runs tests/fuzz/run.sh once per target, one after another (each is one process on one core),
# and prints a table: target, executions, corpus units, peak RSS, verdict. The corpus a campaign
# grows stays in BUILD/tests/fuzz/corpus-TARGET, so the next campaign starts from it. Exit 1 when
# any target found a crash, leak, hang or a bad diagnostic (its reproducer's path is printed).
set -u
. "$(dirname "$0")/lib.sh"
bench_init fuzz.sh "${1:-build}" # sets top
BUILD=${1:-build}
secs=${2:-600}
[ -d "$BUILD" ] || { echo "fuzz.sh: no build directory '$BUILD' (run make first)" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd)
# The targets run.sh accepts, from its own case line, unless TARGETS names some.
targets=${TARGETS:-$(sed -n 's/^\([a-z_ |]*\)) ;;$/\1/p' "$top/tests/fuzz/run.sh" | tr -d '|' | tr '\n' ' ')}
[ -n "$targets" ] || { echo "fuzz.sh: cannot find the targets in tests/fuzz/run.sh" >&2; exit 2; }
printf '%-12s %14s %8s %8s  %s\n' target executions units rss_mb verdict
bad=0
for t in $targets; do
	out=$(SRCDIR=$top BUILD=$BUILD bash "$top/tests/fuzz/run.sh" "$t" "$secs" 2>&1)
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' <<<"$out" | tail -1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' <<<"$out" | tail -1)
	units=$(find "$BUILD/tests/fuzz/corpus-$t" -type f 2>/dev/null | wc -l)
	case $rc in
	0) verdict=clean ;;
	77) verdict="skipped: $(head -1 <<<"$out")" ;;
	*) verdict="FINDING: $(grep -m1 -E 'SUMMARY|FAIL|Test unit written' <<<"$out")"; bad=1 ;;
	esac
	printf '%-12s %14s %8s %8s  %s\n' "$t" "${execs:--}" "$units" "${rss:--}" "$verdict"
done
exit $bad
