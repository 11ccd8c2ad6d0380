#!/usr/bin/env bash
# bench/trace-span.sh: what a span costs in a program linked with libscorch (include/scorch/trace.h),
# per SCORCH_SPAN begin+end pair, against an empty loop: not recording (no collector: the load
# and branch of scorch_trace_on_) and recording (the runtime on, a consumer draining the rings
# in another process, as scorch trace does). See bench/trace/trace-cost.c for what each loop
# does; it runs built against build/libscorch.so (a call through the PLT per event, as programs
# linked with -lscorch make) and against build/libscorch.a.
#
# Usage: bench/trace-span.sh [BUILD_DIR]    environment: PAIRS (default 2000000 per run), RUNS
#   (default 7). Figures are ns of the thread's CPU time per loop iteration: the minimum over
#   the runs, and the median; "span" is a line's minimum less the empty loop's. Prints Markdown.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init trace "${1:-build}"
pairs=${PAIRS:-2000000}
runs=${RUNS:-7}
for v in trace-cost trace-cost-static; do
	bench_need "$top/$build/bench/trace/$v" "build first ($build/bench/trace/$v missing)"
done
unset SCORCH_AGENT_FILE SCORCH_CONSOLE

echo "| linked with | loop | ns per iteration (min) | median | span: min less the empty loop |"
echo "|---|---|---|---|---|"
for v in trace-cost trace-cost-static; do
	lib=libscorch.so
	[ "$v" = trace-cost-static ] && lib=libscorch.a
	out=$("$top/$build/bench/trace/$v" "$pairs" "$runs")
	empty=$(awk '$1 == "empty" { print $2 }' <<<"$out")
	while read -r name min med; do
		case $name in
		empty) what="empty loop body" ;;
		off) what="SCORCH_SPAN, not recording" ;;
		tsc2) what="two rdtsc (the time of a begin and an end)" ;;
		recording) what="SCORCH_SPAN, recording" ;;
		*) continue ;;
		esac
		span=$(awk -v a="$min" -v b="$empty" 'BEGIN { printf "%.2f", a - b }')
		[ "$name" = empty ] && span=""
		echo "| $lib | $what | $min | $med | $span |"
	done <<<"$out"
	lost=$(awk '$1 == "lost" { print $2 }' <<<"$out")
	events=$(awk '$1 == "events" { print $2 }' <<<"$out")
	echo "| $lib | (recording: events drained $events, dropped $lost) | | | |"
done
