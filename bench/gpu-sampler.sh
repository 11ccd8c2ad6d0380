#!/usr/bin/env bash
# gpu-sampler.sh: what scorch gpu's NVML sampler costs scorch, in CPU time (user + system) per
# sample, against the fake libnvidia-ml.so.1 of the tests (no GPU here: a real driver's calls cost
# what they cost on top; nvidia-smi, the peer, needs one too, so nothing runs beside it).
#
#   bench/gpu-sampler.sh [BUILD]      (ROUNDS=3 SECONDS_=5 by default)
#
# For each script (the device metrics alone; with the per-process metrics, where the fake scans
# /proc for scorch's children on each call, as NVML does not) and interval (100ms, 10ms),
# runs `scorch gpu --metrics-only -i INTERVAL -- sleep SECONDS_` ROUNDS times (its CPU time read
# with getrusage(RUSAGE_CHILDREN) by python3, to the microsecond: GNU time rounds to 10 ms) and
# prints the median CPU time of the runs, and what a sample costs: the CPU time of the 10ms run
# minus the 100ms run's, over the samples the first took more (the same command, start and
# outputs on both sides, so only the samples differ; `sleep` uses next to no CPU), median and
# range over the rounds (each round runs both, one after the other, under the same load).
set -eu
BUILD=${1:-build}
ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_:-5}
SCORCH=$BUILD/scorch
FAKE=$BUILD/tests/fake/nvml/libnvidia-ml.so.1
[ -x "$SCORCH" ] && [ -f "$FAKE" ] || { echo "build scorch and the fake NVML first" >&2; exit 1; }
command -v python3 >/dev/null || { echo "needs python3 (to read the CPU time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/device" <<'S'
name 0 Fake GPU
util 0 50
memutil 0 20
mem 0 1073741824
memtotal 0 8589934592
power 0 150000
energy 0 1000 2500
clock_sm 0 1500
clock_mem 0 5000
temp 0 60
pcie_tx 0 100
pcie_rx 0 200
gpm 0 75
S
{ cat "$tmp/device"; printf 'procmem 0 104857600\nprocutil 0 30\n'; } >"$tmp/process"
# cpu LIB SCRIPT INTERVAL OUT: one run's CPU time in microseconds, its samples in $tmp/n.
cpu() {
	SCORCH_NVML_LIB=$1 SCORCH_FAKE_NVML="$2" python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[2:], stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%d\n" % ((u.ru_utime + u.ru_stime) * 1e6))
' "$tmp/t" "$SCORCH" gpu -q --metrics-only -i "$3" -o "$tmp/o" -- sleep "$SECS"
	if [ -f "$tmp/o/metrics.csv" ]; then echo $(($(wc -l <"$tmp/o/metrics.csv") - 1)); else echo 0; fi >"$tmp/n"
	rm -rf "$tmp/o"
	cat "$tmp/t"
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $SECS s runs, $ROUNDS rounds"
printf '%-8s %12s %12s %26s\n' script "CPU ms 100ms" "CPU ms 10ms" "per sample us (range)"
for s in device process; do
	a=() b=() per=()
	for r in $(seq "$ROUNDS"); do
		c1=$(cpu "$FAKE" "$tmp/$s" 100ms)
		n1=$(cat "$tmp/n")
		c2=$(cpu "$FAKE" "$tmp/$s" 10ms)
		n2=$(cat "$tmp/n")
		a+=("$c1") b+=("$c2")
		per+=("$(((c2 - c1) / (n2 - n1)))")
	done
	sp=($(printf '%s\n' "${per[@]}" | sort -n))
	printf '%-8s %12s %12s %12s (%s-%s)   samples %s and %s\n' "$s" \
		"$(($(median "${a[@]}") / 1000))" "$(($(median "${b[@]}") / 1000))" \
		"$(median "${per[@]}")" "${sp[0]}" "${sp[$((ROUNDS - 1))]}" "$n1" "$n2"
done
