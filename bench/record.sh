#!/usr/bin/env bash
# bench/record.sh: scorch record against perf record, side by side in one run.
#
# Measures, on the same machine in interleaved rounds:
#   1. the target's CPU-time overhead at 1 kHz: the workload (examples/memgraph by default) run
#      bare, under `scorch record`, under `perf record -F 1000 -g` and under
#      `perf record -F 1000 --call-graph dwarf`; the target's own CPU time (user + system, which
#      includes the kernel's sampling work done on its behalf) is read by bench/cputime;
#   2. start-up + shut-down cost on `true` (wall clock, median of ROUNDS);
#   3. bytes stored per sample: profile.pb.gz vs perf.data, divided by the samples taken;
#      (and, as the floor, under `perf record -F 1000` with no call chains at all);
#   4. the time from the end of a run to a written profile, flamegraph and summary, for about 100k
#      samples over a few thousand functions (scorch's own report of it), beside `perf report`'s
#      time on the same workload.
#
# Usage: bench/record.sh [BUILD_DIR]      environment: ROUNDS (default 5), WORKLOAD (a command),
#   FREQ (sampling rate of part 1, default 1000: a higher rate magnifies per-sample costs above the
#   machine's noise), OVERHEAD_ONLY=1 (part 1 only)
# Needs root (or perf_event_paranoid <= 1) and perf. Prints a Markdown table.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init bench "${1:-build}"
rounds=${ROUNDS:-5}
freq=${FREQ:-1000}
bench_need "$scorch" "build first ($scorch missing)"
bench_skip_without perf "perf is not installed"
bench_tmpdir
bench_cputime
workload=${WORKLOAD:-"$top/$build/examples/memgraph/memgraph"}
read -r -a wl <<<"$workload"


# 1. overhead, interleaved so that drift in machine speed hits every configuration alike.
for r in $(seq "$rounds"); do
	"$tmp/cputime" "$tmp/bare.$r" "${wl[@]}" >/dev/null
	"$scorch" record -q -F "$freq" -o "$tmp/sc" -- "$tmp/cputime" "$tmp/scorch.$r" "${wl[@]}" >/dev/null
	perf record -q -F "$freq" -g -o "$tmp/fp.data" -- "$tmp/cputime" "$tmp/perffp.$r" "${wl[@]}" >/dev/null 2>&1
	perf record -q -F "$freq" --call-graph dwarf -o "$tmp/dw.data" -- "$tmp/cputime" "$tmp/perfdw.$r" "${wl[@]}" >/dev/null 2>&1
	# The floor: the same sampling with no call chain at all, i.e. the timer interrupt's own cost.
	perf record -q -F "$freq" -o "$tmp/nocg.data" -- "$tmp/cputime" "$tmp/perfnocg.$r" "${wl[@]}" >/dev/null 2>&1
done
for c in bare scorch perffp perfdw perfnocg; do
	cat "$tmp/$c".[0-9]* | bench_median >"$tmp/$c.med"
	cat "$tmp/$c".[0-9]* | bench_range 3 >"$tmp/$c.range"
done
bare=$(cat "$tmp/bare.med")
pct() { awk -v a="$1" -v b="$bare" 'BEGIN {printf "%+.2f%%", (a / b - 1) * 100}'; }
cell() { echo "$(cat "$tmp/$1.med") s ($(pct "$(cat "$tmp/$1.med")"); range $(cat "$tmp/$1.range") s)"; }

if [ "${OVERHEAD_ONLY:-0}" = 1 ]; then
	cat <<EOF
| target CPU time at $freq Hz, median of $rounds | bare | scorch | perf -g (fp) | perf --call-graph dwarf | perf, no call chains |
|---|---|---|---|---|---|
| | $(cell bare) | $(cell scorch) | $(cell perffp) | $(cell perfdw) | $(cell perfnocg) |
EOF
	exit 0
fi

# 3. bytes per sample, from the last round's files.
sc_samples=$("$scorch" report "$tmp/sc/profile.pb.gz" --sample-type samples --format json --top 1 |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
sc_bytes=$(stat -c %s "$tmp/sc/profile.pb.gz")
fp_samples=$(perf script -i "$tmp/fp.data" -F period 2>/dev/null | grep -c . || true)
dw_samples=$(perf script -i "$tmp/dw.data" -F period 2>/dev/null | grep -c . || true)
fp_bytes=$(stat -c %s "$tmp/fp.data")
dw_bytes=$(stat -c %s "$tmp/dw.data")
per() { awk -v b="$1" -v s="$2" 'BEGIN {if (s > 0) printf "%.0f", b / s; else print "n/a"}'; }

# 2. start-up and shut-down on `true`.
for r in $(seq $((rounds * 2))); do
	t0=$(bench_now); "$scorch" record -q -o "$tmp/t" -- true; t1=$(bench_now)
	perf record -q -o "$tmp/t.data" -- true 2>/dev/null; t2=$(bench_now)
	awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) * 1000}' >>"$tmp/true.scorch"
	awk -v a="$t1" -v b="$t2" 'BEGIN {print (b - a) * 1000}' >>"$tmp/true.perf"
done
true_sc=$(bench_median <"$tmp/true.scorch")
true_perf=$(bench_median <"$tmp/true.perf")

# 4. post-processing of ~100k samples over a few thousand functions.
python3 "$here/gen-manyfuncs.py" 3000 "$tmp/many.c"
cc -O1 -g -fno-omit-frame-pointer -o "$tmp/many" "$tmp/many.c"
"$scorch" record -F 10000 -o "$tmp/many-sc" -- "$tmp/many" "${MANY_ROUNDS:-17000000}" >/dev/null 2>"$tmp/many.err"
post=$(sed -n 's/.* wrote the profile in \([0-9.]*\) s.*/\1/p' "$tmp/many.err")
many_samples=$(sed -n 's/^scorch record: \([0-9]*\) samples.*/\1/p' "$tmp/many.err")
many_funcs=$("$scorch" report "$tmp/many-sc/profile.pb.gz" --format json --top 0 |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["by_self"]))')
perf record -q -F 10000 -g -o "$tmp/many.data" -- "$tmp/many" "${MANY_ROUNDS:-17000000}" >/dev/null 2>&1
t0=$(bench_now); perf report -i "$tmp/many.data" --stdio >/dev/null 2>&1; t1=$(bench_now)
perf_post=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')

cat <<EOF
| measure | scorch | perf -g (fp) | perf --call-graph dwarf | goal |
|---|---|---|---|---|
| target CPU time, median of $rounds (bare: $(cell bare)) | $(cell scorch) | $(cell perffp) | $(cell perfdw) | <= 2%, <= perf |
| floor: target CPU time under \`perf record -F $freq\` without call chains | - | $(cell perfnocg) (no call chains) | | |
| start + stop on \`true\`, median of $((rounds * 2)) | ${true_sc} ms | ${true_perf} ms | | < 50 ms |
| bytes stored per sample | $(per "$sc_bytes" "$sc_samples") ($sc_bytes B / $sc_samples) | $(per "$fp_bytes" "$fp_samples") ($fp_bytes B / $fp_samples) | $(per "$dw_bytes" "$dw_samples") ($dw_bytes B / $dw_samples) | < 300 |
| end of run to profile + flamegraph + summary ($many_samples samples, $many_funcs functions) | ${post} s | ${perf_post} s (perf report --stdio) | | < 0.5 s |
EOF
