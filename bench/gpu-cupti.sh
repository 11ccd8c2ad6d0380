#!/usr/bin/env bash
# gpu-cupti.sh: what libscorch-cupti.so costs a CUDA program per kernel launch, in the program's
# own CPU time (user + system, getrusage in the program), against the stand-in driver and CUPTI of
# the tests (tests/fake/cuda: no GPU here; a real driver's launch costs microseconds of its own on
# top, and real CUPTI its own callbacks' and buffers' work, neither measured here).
#
#   bench/gpu-cupti.sh [BUILD]      (ROUNDS=5 LAUNCHES=30000 by default: 3 x LAUNCHES launches)
#
# Each round runs tests/programs/gpu_app in its bench mode (step_a in a loop: three launches of a
# known stack, a synchronization every 1000 rounds) alone, then under `scorch gpu` (API callbacks
# timed, a stack walk per launch, the records into the shared file, the activity records converted
# at each synchronization); prints the median and range of the program's CPU time per launch of
# each, and their difference. No peer: Nsight Systems needs a GPU.
set -eu
BUILD=${1:-build}
ROUNDS=${ROUNDS:-5}
N=${LAUNCHES:-30000}
SCORCH=$BUILD/scorch
APP=$BUILD/tests/programs/gpu_app
FAKE=$BUILD/tests/fake/cuda/libcupti.so
[ -x "$SCORCH" ] && [ -x "$APP" ] && [ -f "$FAKE" ] || { echo "build scorch and the CUDA stand-ins first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SCORCH_FAKE_CUDA="$(dirname "$0")/../tests/cli/gpu_kernels.script"
export SCORCH_CUPTI_LIB=$FAKE SCORCH_NVML_LIB=$tmp/none.so
cpu_of() { sed -n 's/^gpu_app: [0-9]* launches, \([0-9]*\) us of CPU$/\1/p'; }
plain=() traced=()
for r in $(seq "$ROUNDS"); do
	plain+=("$("$APP" bench "$N" | cpu_of)")
	traced+=("$("$SCORCH" gpu -q -o "$tmp/out$r" -- "$APP" bench "$N" 2>/dev/null | cpu_of)")
done
python3 - "$N" "${plain[*]}" "${traced[*]}" <<'PY'
import statistics, sys
n = 3 * int(sys.argv[1])
p = [int(x) for x in sys.argv[2].split()]
t = [int(x) for x in sys.argv[3].split()]
per = lambda v: 1000.0 * v / n  # ns per launch
print(f"{n} launches a run, {len(p)} runs each (CPU time of the program, ns per launch)")
print(f"  alone (stand-in driver):   median {per(statistics.median(p)):8.1f}  range {per(min(p)):.1f}..{per(max(p)):.1f}")
print(f"  under scorch gpu:          median {per(statistics.median(t)):8.1f}  range {per(min(t)):.1f}..{per(max(t)):.1f}")
print(f"  libscorch-cupti.so's cost: {per(statistics.median(t)) - per(statistics.median(p)):8.1f} ns per launch")
PY
