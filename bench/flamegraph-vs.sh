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
#   SPREAD_ROUNDS   calls of f0 in the spread program's run (default 6000000, about 8 s of CPU)
#
# Input: `perf record -F 20000 -g` of examples/memgraph gives about 40k real samples; its
# `perf script` text is repeated until SAMPLES, so the 1M and 2M inputs have exactly the same
# distinct stacks (what the memory row checks: peak RSS must not grow with samples). perf.data
# for `perf report` is recorded separately, at the same rate, for the same number of samples as
# the text it is compared with cannot be had without a very long run: its row is per sample.
#
# A second input is spread: `bench/gen-manyfuncs.py 2000` (2000 functions in a binary call tree,
# every stack distinct), built at -O0 so that each function's loop spans many instructions, recorded
# the same way: about 18k distinct callchains (by address) in about 100 MiB of text, where the
# memgraph text repeats a few hundred. Its rows run scorch on one thread (SCORCH_THREADS=1) and
# on every CPU (SCORCH_THREADS=$(nproc); the default takes the idle CPUs only), with wall-clock
# time beside the CPU time: a second thread pays off in wall time on idle cores only.
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

spread=$WORK/spread.txt
if [ ! -s "$spread" ]; then
	command -v cc >/dev/null || bench_die "needs a C compiler (cc) for the spread input"
	python3 "$(dirname "$0")/gen-manyfuncs.py" 2000 "$WORK/manyfuncs.c" || bench_die "gen-manyfuncs.py failed"
	cc -O0 -g -fno-omit-frame-pointer -o "$WORK/manyfuncs" "$WORK/manyfuncs.c" || bench_die "cc failed"
	perf record -q -F 20000 -g -o "$WORK/spread.data" -- "$WORK/manyfuncs" "${SPREAD_ROUNDS:-6000000}" \
		>/dev/null 2>&1 || bench_die "perf record of manyfuncs failed"
	perf script -i "$WORK/spread.data" > "$spread" 2>/dev/null || bench_die "perf script failed"
fi
nspread=$(count "$spread")
mibs=$(awk -v b="$(stat -c %s "$spread")" 'BEGIN { printf "%.1f", b / 1048576 }')
blocks=$(awk 'BEGIN { RS = "" } { sub(/^[^\n]*\n/, ""); print }' "$spread" | sort -u | wc -l)
echo "spread input: $nspread samples ($mibs MiB), $blocks distinct callchains"

# --- measuring ---------------------------------------------------------------------------------
# run NAME CMD...: ROUNDS runs of a shell pipeline; prints "NAME cpu_s rss_kib wall_s" (medians),
# where cpu is user+sys of the whole pipeline (children included), rss the largest process's
# peak and wall the elapsed time.
run() {
	local name=$1; shift
	local cpus=() rss=() walls=()
	for ((r = 0; r < ROUNDS; r++)); do
		/usr/bin/time -f '%U %S %M %e' -o "$WORK/time.out" bash -c "$*" || bench_die "$name failed"
		read -r u s m e < "$WORK/time.out"
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')")
		rss+=("$m")
		walls+=("$e")
	done
	local c m w
	c=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((ROUNDS + 1) / 2))p")
	m=$(printf '%s\n' "${rss[@]}" | sort -g | sed -n "$(((ROUNDS + 1) / 2))p")
	w=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((ROUNDS + 1) / 2))p")
	echo "$name $c $m $w"
}

results=$WORK/results.txt
: > "$results"
S="$SCORCH"
run scorch_folded_1x "$S report --format folded $in1 > $WORK/s1.folded" | tee -a "$results"
run scorch_folded_2x "$S report --format folded $in2 > $WORK/s2.folded" | tee -a "$results"
run scorch_html_1x "$S report --format html -o $WORK/s1.html $in1" | tee -a "$results"
run scorch_parse_only_1x "$S report -n 1 $in1 > /dev/null" | tee -a "$results"
run scorch1_html_1x "SCORCH_THREADS=1 $S report --format html -o $WORK/s1t.html $in1" | tee -a "$results"
NCPU=$(nproc)
run scorch_html_spread "SCORCH_THREADS=$NCPU $S report --format html -o $WORK/sp.html $spread" |
	tee -a "$results"
run scorch1_html_spread "SCORCH_THREADS=1 $S report --format html -o $WORK/sp1.html $spread" |
	tee -a "$results"
run scorch_folded_spread "SCORCH_THREADS=$NCPU $S report --format folded $spread > $WORK/sp.folded" |
	tee -a "$results"
run scorch1_folded_spread "SCORCH_THREADS=1 $S report --format folded $spread > $WORK/sp1.folded" |
	tee -a "$results"
cmp -s "$WORK/sp.folded" "$WORK/sp1.folded" && cmp -s "$WORK/sp.html" "$WORK/sp1.html" ||
	bench_die "the spread input gives other outputs on one thread and on several"

if [ -n "${FLAMEGRAPH_DIR:-}" ] && [ -x "$FLAMEGRAPH_DIR/stackcollapse-perf.pl" ]; then
	FG=$FLAMEGRAPH_DIR
	run fg_collapse_1x "$FG/stackcollapse-perf.pl $in1 > $WORK/f1.folded" | tee -a "$results"
	run fg_flamegraph_1x "$FG/flamegraph.pl $WORK/f1.folded > $WORK/f1.svg" | tee -a "$results"
	run fg_collapse_2x "$FG/stackcollapse-perf.pl $in2 > $WORK/f2.folded" | tee -a "$results"
	run fg_collapse_spread "$FG/stackcollapse-perf.pl $spread > $WORK/fsp.folded" | tee -a "$results"
	run fg_flamegraph_spread "$FG/flamegraph.pl $WORK/fsp.folded > $WORK/fsp.svg" | tee -a "$results"
	# Same answer? Compare the total per leaf function (both strip offsets; FlameGraph keeps
	# [unknown] frames and appends nothing by default, as scorch does).
	leafsum() { awk '{ n = $NF; $NF = ""; sub(/ $/, ""); k = split($0, f, ";"); s[f[k]] += n }
		END { for (x in s) print x, s[x] }' "$1" | sort; }
	if diff <(leafsum "$WORK/s1.folded") <(leafsum "$WORK/f1.folded") > "$WORK/leaf.diff"; then
		echo "same leaf totals: yes"
	else
		echo "same leaf totals: NO ($(wc -l < "$WORK/leaf.diff") lines differ, see $WORK/leaf.diff)"
	fi
	if diff <(leafsum "$WORK/sp.folded") <(leafsum "$WORK/fsp.folded") > "$WORK/leaf-spread.diff"; then
		echo "same leaf totals (spread): yes"
	else
		echo "same leaf totals (spread): NO ($(wc -l < "$WORK/leaf-spread.diff") lines differ)"
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
awk -v n1="$n1" -v n2="$n2" -v nb="$nbase" -v mib1="$mib1" -v mibs="$mibs" -v ncpu="$(nproc)" '
	{ cpu[$1] = $2; rss[$1] = $3; wall[$1] = $4 }
	END {
		printf "\n%-34s %10s %10s %10s\n", "stage", "cpu s", "wall s", "peak MiB"
		for (k in cpu) printf "%-34s %10.3f %10.2f %10.1f\n", k, cpu[k], wall[k], rss[k] / 1024
		printf "\nscorch collapse throughput: %.0f MiB/s of perf script text per CPU second (1x)\n",
			mib1 / cpu["scorch_folded_1x"]
		if ("fg_collapse_1x" in cpu) {
			fg = cpu["fg_collapse_1x"] + cpu["fg_flamegraph_1x"]
			printf "end to end (text -> flamegraph): FlameGraph %.2f s, scorch %.2f s: %.0fx\n",
				fg, cpu["scorch_html_1x"], fg / cpu["scorch_html_1x"]
			printf "collapse only: stackcollapse-perf.pl %.2f s, scorch %.2f s: %.0fx\n",
				cpu["fg_collapse_1x"], cpu["scorch_folded_1x"],
				cpu["fg_collapse_1x"] / cpu["scorch_folded_1x"]
			printf "  (one thread: scorch %.3f s cpu: %.0fx)\n", cpu["scorch1_html_1x"],
				fg / cpu["scorch1_html_1x"]
		}
		if ("fg_collapse_spread" in cpu) {
			fs = cpu["fg_collapse_spread"] + cpu["fg_flamegraph_spread"]
			fw = wall["fg_collapse_spread"] + wall["fg_flamegraph_spread"]
			printf "spread, text -> flamegraph: FlameGraph %.2f s cpu (%.2f s wall);\n", fs, fw
			printf "  scorch, one thread: %.3f s cpu (%.0fx, %.0f MiB/s), %.2f s wall (%.0fx)\n",
				cpu["scorch1_html_spread"], fs / cpu["scorch1_html_spread"],
				mibs / cpu["scorch1_html_spread"], wall["scorch1_html_spread"],
				fw / wall["scorch1_html_spread"]
			printf "  scorch, %d CPUs: %.3f s cpu (%.0fx), %.2f s wall (%.0fx)\n", ncpu,
				cpu["scorch_html_spread"], fs / cpu["scorch_html_spread"],
				wall["scorch_html_spread"], fw / wall["scorch_html_spread"]
		}
		printf "peak RSS scorch: %.1f MiB (%d samples), %.1f MiB (%d samples)\n",
			rss["scorch_folded_1x"] / 1024, n1, rss["scorch_folded_2x"] / 1024, n2
		printf "per sample (%d samples): perf report %.2f us, perf script %.2f us, scorch %.2f us\n",
			nb, cpu["perf_report_base"] * 1e6 / nb, cpu["perf_script_base"] * 1e6 / nb,
			cpu["scorch_folded_base"] * 1e6 / nb
	}' "$results"
