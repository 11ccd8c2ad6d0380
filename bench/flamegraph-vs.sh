#!/bin/bash
# flamegraph-vs.sh: `perf script` text -> folded stacks -> flamegraph, scorch against FlameGraph's
# scripts (stackcollapse-perf.pl | flamegraph.pl) and `perf report`, side by side.
#
#   bash bench/flamegraph-vs.sh [BUILD]        BUILD: the meson build dir (default build)
#
# Environment:
#   FLAMEGRAPH_DIR  a checkout of https://github.com/brendangregg/FlameGraph (not shipped with
#                   scorch); without it the FlameGraph rows are skipped with a message
#   SCORCH          the scorch binary (default BUILD/scorch); it must read perf script text
#   WORK            scratch directory (default /tmp/scorch-flamegraph-vs), inputs kept between runs
#   SAMPLES         samples in the big input (default 1000000; a second input has twice as many)
#   ROUNDS          timing rounds, the median is kept (default 3)
#
# Input: `perf record -F 20000 -g` of examples/memgraph gives about 40k real samples; its
# `perf script` text is repeated until SAMPLES, so the 1M and 2M inputs have exactly the same
# distinct stacks (what the memory row checks: peak RSS must not grow with samples). perf.data
# for `perf report` is recorded separately, at the same rate, for the same number of samples as
# the text it is compared with cannot be had without a very long run: its row is per sample.
#
# Measured: user+system CPU seconds and peak RSS of each pipeline stage (GNU time), throughput of
# collapsing (MiB of perf script text per CPU second), and whether scorch and stackcollapse-perf
# produce the same folded totals per function.
set -u
. "$(dirname "$0")/lib.sh"
bench_init flamegraph-vs "${1:-build}"
BUILD=${1:-build}
SCORCH=${SCORCH:-$BUILD/scorch}
WORK=${WORK:-/tmp/scorch-flamegraph-vs}
SAMPLES=${SAMPLES:-1000000}
ROUNDS=${ROUNDS:-3}
MEMGRAPH=$BUILD/examples/memgraph/memgraph
mkdir -p "$WORK"


[ -x "$SCORCH" ] || bench_die "no scorch binary at $SCORCH (build first)"
[ -x /usr/bin/time ] || bench_die "needs GNU time (/usr/bin/time; apt-get install time)"
command -v perf >/dev/null || bench_die "needs perf"

# Does this scorch read perf script text? (report sniffs it since issue #4)
printf 'x 1 1.0: 10 cpu-clock:\n\t1 main (/x)\n' > "$WORK/probe.txt"
"$SCORCH" report --format folded "$WORK/probe.txt" 2>/dev/null | grep -q -e '^main 10$' -e ';main 10$' ||
	bench_die "$SCORCH does not read perf script text yet"

# --- inputs ------------------------------------------------------------------------------------
base=$WORK/base.txt
if [ ! -s "$base" ]; then
	[ -x "$MEMGRAPH" ] || bench_die "no $MEMGRAPH"
	perf record -q -F 20000 -g -o "$WORK/base.data" -- "$MEMGRAPH" >/dev/null 2>&1 ||
		bench_die "perf record failed"
	perf script -i "$WORK/base.data" > "$base" 2>/dev/null || bench_die "perf script failed"
fi
count() { grep -c -v -e '^[[:space:]]' -e '^$' "$1"; }
nbase=$(count "$base")
make_input() { # make_input FILE NSAMPLES: repeat base until NSAMPLES samples (whole copies)
	local f=$1 want=$2
	[ -s "$f" ] && [ "$(count "$f")" -ge "$want" ] && return
	: > "$f"
	local have=0
	while [ $have -lt "$want" ]; do cat "$base" >> "$f"; have=$((have + nbase)); done
}
in1=$WORK/in-1x.txt
in2=$WORK/in-2x.txt
make_input "$in1" "$SAMPLES"
n1=$(count "$in1")
make_input "$in2" $((n1 * 2))
n2=$(count "$in2")
mib1=$(awk -v b="$(stat -c %s "$in1")" 'BEGIN { printf "%.1f", b / 1048576 }')
mib2=$(awk -v b="$(stat -c %s "$in2")" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "inputs: $n1 samples ($mib1 MiB) and $n2 samples ($mib2 MiB) of perf script text;"
echo "        one copy = $nbase samples; $(wc -l < "$base") lines"

# --- measuring ---------------------------------------------------------------------------------
# run NAME CMD...: ROUNDS runs of a shell pipeline; prints "NAME cpu_s rss_kib" (medians), where
# cpu is user+sys of the whole pipeline (children included) and rss the largest process's peak.
run() {
	local name=$1; shift
	local cpus=() rss=()
	for ((r = 0; r < ROUNDS; r++)); do
		/usr/bin/time -f '%U %S %M' -o "$WORK/time.out" bash -c "$*" || bench_die "$name failed"
		read -r u s m < "$WORK/time.out"
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')")
		rss+=("$m")
	done
	local c m
	c=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((ROUNDS + 1) / 2))p")
	m=$(printf '%s\n' "${rss[@]}" | sort -g | sed -n "$(((ROUNDS + 1) / 2))p")
	echo "$name $c $m"
}

results=$WORK/results.txt
: > "$results"
S="$SCORCH"
run scorch_folded_1x "$S report --format folded $in1 > $WORK/s1.folded" | tee -a "$results"
run scorch_folded_2x "$S report --format folded $in2 > $WORK/s2.folded" | tee -a "$results"
run scorch_html_1x "$S report --format html -o $WORK/s1.html $in1" | tee -a "$results"
run scorch_parse_only_1x "$S report -n 1 $in1 > /dev/null" | tee -a "$results"

if [ -n "${FLAMEGRAPH_DIR:-}" ] && [ -x "$FLAMEGRAPH_DIR/stackcollapse-perf.pl" ]; then
	FG=$FLAMEGRAPH_DIR
	run fg_collapse_1x "$FG/stackcollapse-perf.pl $in1 > $WORK/f1.folded" | tee -a "$results"
	run fg_flamegraph_1x "$FG/flamegraph.pl $WORK/f1.folded > $WORK/f1.svg" | tee -a "$results"
	run fg_collapse_2x "$FG/stackcollapse-perf.pl $in2 > $WORK/f2.folded" | tee -a "$results"
	# Same answer? Compare the total per leaf function (both strip offsets; FlameGraph keeps
	# [unknown] frames and appends nothing by default, as scorch does).
	leafsum() { awk '{ n = $NF; $NF = ""; sub(/ $/, ""); k = split($0, f, ";"); s[f[k]] += n }
		END { for (x in s) print x, s[x] }' "$1" | sort; }
	if diff <(leafsum "$WORK/s1.folded") <(leafsum "$WORK/f1.folded") > "$WORK/leaf.diff"; then
		echo "same leaf totals: yes"
	else
		echo "same leaf totals: NO ($(wc -l < "$WORK/leaf.diff") lines differ, see $WORK/leaf.diff)"
	fi
else
	echo "FlameGraph rows skipped: set FLAMEGRAPH_DIR to a checkout of" \
		"https://github.com/brendangregg/FlameGraph"
fi

# perf report on the perf.data behind one copy of the text (nbase samples), per sample.
run perf_report_base "perf report -i $WORK/base.data --stdio --no-children > /dev/null 2>&1" |
	tee -a "$results"
run perf_script_base "perf script -i $WORK/base.data > /dev/null 2>&1" | tee -a "$results"
run scorch_folded_base "$S report --format folded $base > /dev/null" | tee -a "$results"

# --- summary -----------------------------------------------------------------------------------
awk -v n1="$n1" -v n2="$n2" -v nb="$nbase" -v mib1="$mib1" '
	{ cpu[$1] = $2; rss[$1] = $3 }
	END {
		printf "\n%-34s %10s %10s\n", "stage", "cpu s", "peak MiB"
		for (k in cpu) printf "%-34s %10.3f %10.1f\n", k, cpu[k], rss[k] / 1024
		printf "\nscorch collapse throughput: %.0f MiB/s of perf script text (1x, one core)\n",
			mib1 / cpu["scorch_folded_1x"]
		if ("fg_collapse_1x" in cpu) {
			fg = cpu["fg_collapse_1x"] + cpu["fg_flamegraph_1x"]
			printf "end to end (text -> flamegraph): FlameGraph %.2f s, scorch %.2f s: %.0fx\n",
				fg, cpu["scorch_html_1x"], fg / cpu["scorch_html_1x"]
			printf "collapse only: stackcollapse-perf.pl %.2f s, scorch %.2f s: %.0fx\n",
				cpu["fg_collapse_1x"], cpu["scorch_folded_1x"],
				cpu["fg_collapse_1x"] / cpu["scorch_folded_1x"]
		}
		printf "peak RSS scorch: %.1f MiB (%d samples), %.1f MiB (%d samples)\n",
			rss["scorch_folded_1x"] / 1024, n1, rss["scorch_folded_2x"] / 1024, n2
		printf "per sample (%d samples): perf report %.2f us, perf script %.2f us, scorch %.2f us\n",
			nb, cpu["perf_report_base"] * 1e6 / nb, cpu["perf_script_base"] * 1e6 / nb,
			cpu["scorch_folded_base"] * 1e6 / nb
	}' "$results"
