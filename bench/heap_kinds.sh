#!/usr/bin/env bash
# bench/heap_kinds.sh: what scorch heap's leak kinds cost at exit, against valgrind's memcheck
# (--leak-check=full) on the same program, side by side.
#
# Workload: tests/programs/heap_live N: N blocks of 64 B left at exit in four lists, one of each
# leak kind (its comment gives the numbers; both tools must agree on them).
# Configurations, interleaved rounds:
#   bare      the program alone
#   scorch    scorch heap -q -o DIR -- heap_live N (every allocation tracked, the exit scan)
#   memcheck  valgrind --leak-check=full heap_live N
# Reports, median of ROUNDS (range): CPU time (user + system of the whole run, scorch's own process
# included) and wall time, and the leak kinds each found.
#
# Usage: bench/heap_kinds.sh [BUILD_DIR]     environment: ROUNDS (default 3), N (default 1000000).
# Prints a Markdown table. valgrind missing: the memcheck column is left out, saying so.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init heap_kinds "${1:-build}"
live="$top/$build/tests/programs/heap_live"
bench_need "$scorch" "build first ($scorch missing)"
bench_need "$live" "build first ($live missing)"
rounds=${ROUNDS:-3}
n=${N:-1000000}
valgrind=${VALGRIND:-$(command -v valgrind || true)}
configs="bare scorch"
if [ -n "$valgrind" ]; then
	configs="$configs memcheck"
else
	echo "heap_kinds: valgrind is not installed: leaving memcheck out" >&2
fi
bench_tmpdir

# GNU time counts the command and the children it waited for: scorch and the program.
command -v /usr/bin/time >/dev/null || bench_die "GNU time (/usr/bin/time) is needed: apt-get install time"
for r in $(seq "$rounds"); do
	for c in $configs; do
		t=(/usr/bin/time -f "%U %S %e" -o "$tmp/time")
		case $c in
		bare) "${t[@]}" "$live" "$n" >/dev/null ;;
		scorch) "${t[@]}" "$scorch" heap -q -o "$tmp/scorch-$r" -- "$live" "$n" >/dev/null ;;
		memcheck)
			"${t[@]}" "$valgrind" --leak-check=full "$live" "$n" >/dev/null 2>"$tmp/memcheck-$r.log"
			;;
		esac
		awk '{print $1 + $2, $3}' "$tmp/time" >>"$tmp/$c.times"
	done
done

kinds_scorch=$(python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["totals"]["leak_kinds"]; print(" / ".join("%d" % k[x]["blocks"] for x in ("definite","indirect","possible","reachable")))' "$tmp/scorch-1/heap.json")
echo "heap_live $n: leak kinds in blocks, definite / indirect / possible / reachable; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| configuration | CPU s (median, range) | wall s (median, range) | kinds found |"
echo "|---|---|---|---|"
for c in $configs; do
	cpu=$(cut -d' ' -f1 "$tmp/$c.times")
	wall=$(cut -d' ' -f2 "$tmp/$c.times")
	case $c in
	bare) k="-" ;;
	scorch) k=$kinds_scorch ;;
	memcheck) k=$(python3 -c '
import re, sys
t = open(sys.argv[1]).read()
out = []
for name in ("definitely lost", "indirectly lost", "possibly lost", "still reachable"):
    m = re.search(name + r": [\d,]+ bytes in ([\d,]+) blocks", t)
    out.append(m.group(1).replace(",", "") if m else "0")
print(" / ".join(out))' "$tmp/memcheck-1.log") ;;
	esac
	echo "| $c | $(echo "$cpu" | bench_median) ($(echo "$cpu" | bench_range)) | $(echo "$wall" | bench_median) ($(echo "$wall" | bench_range)) | $k |"
done
