#!/usr/bin/env bash
# bench/trace.sh: what scorch trace costs to collect: its own CPU time per event drained (the
# decoder, the statistics, the stored spans) and per event written out, on a program that ends
# N empty spans as fast as it can (tests/programs/trace_known many N: 2N events, one thread).
#
# The program runs under bench/cputime.c (its own CPU time: libscorch's recording work inside
# it), inside scorch trace; `time` gives the CPU time of the whole run (scorch and the program),
# so scorch's share is the difference. The rings are sized so that nothing is lost (--buffer,
# default 64M); the script fails if anything was. No peer: Tracy's capture tool needs its C++
# client and a display, and measures a different split.
#
# Usage: bench/trace.sh [BUILD_DIR]   environment: ROUNDS (default 5), N (default 1000000),
#   BUFFER (default 64M). Prints a Markdown table: medians of ROUNDS (range).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init trace "${1:-build}"
prog="$top/$build/tests/programs/trace_known"
bench_need "$scorch" "build first ($scorch missing)"
bench_need "$prog" "build first ($prog missing)"
rounds=${ROUNDS:-5}
n=${N:-1000000}
buffer=${BUFFER:-64M}
bench_tmpdir
bench_cputime

load0=$(bench_loadavg)
TIMEFORMAT='%U %S %R'
for i in $(seq "$rounds"); do
	rm -rf "$tmp/out"
	t=$({ time "$scorch" trace -q --buffer "$buffer" -o "$tmp/out" -- \
		"$tmp/cputime" "$tmp/prog.cpu" "$prog" many "$n" 2>"$tmp/err" >/dev/null; } 2>&1)
	if grep -q lost "$tmp/err"; then
		bench_die "events were lost: $(cat "$tmp/err"); raise BUFFER"
	fi
	grep -q "\"count\":$n," "$tmp/out/spans.json" || bench_die "not $n spans in spans.json"
	read -r u s w <<<"$t"
	prog_cpu=$(cat "$tmp/prog.cpu")
	echo "$u $s $w $prog_cpu $(du -sk "$tmp/out" | cut -f1)" >>"$tmp/runs"
done
load1=$(bench_loadavg)
events=$((2 * n))
col() { awk -v c="$1" -v e="$events" "{ $2 }" "$tmp/runs"; }
per_event=$(col 0 'print ($1 + $2 - $4) * 1e9 / e' | bench_median)
per_event_r=$(col 0 'print ($1 + $2 - $4) * 1e9 / e' | bench_range 1)
prog_ev=$(col 0 'print $4 * 1e9 / e' | bench_median)
prog_ev_r=$(col 0 'print $4 * 1e9 / e' | bench_range 1)
wall=$(col 0 'print $3' | bench_median)
kb=$(col 0 'print $5' | bench_median)
echo "| workload | events | scorch CPU per event (ns) | program CPU per event (ns) | wall (s) | outputs (KiB) |"
echo "|---|---|---|---|---|---|"
echo "| trace_known many $n | $events | $per_event ($per_event_r) | $prog_ev ($prog_ev_r) | $wall | $kb |"
echo
echo "$rounds rounds, --buffer $buffer; load average $load0 before, $load1 after; $(nproc) CPUs;" \
	"$(uname -r); $(date -u +%Y-%m-%d)"
