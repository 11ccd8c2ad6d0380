#!/usr/bin/env bash
# bench/signal.sh: scorch record --backend signal against gperftools' CPU profiler, side by side in
# one run, both sampling with CPU-time timers and signals inside the profiled program.
#
# Two workloads: (a) tests/programs/threads (four threads, built with frame pointers) and (b)
# Debian's /usr/bin/python3 running a CPU loop (a distribution binary without frame pointers).
# Each runs, in interleaved rounds (so drift in machine speed hits every configuration alike):
#   bare        the program alone
#   gperftools  LD_PRELOAD=libprofiler.so CPUPROFILE=FILE CPUPROFILE_FREQUENCY=FREQ (gperftools
#               caps the rate at 4000 Hz; it unwinds with libunwind in its SIGPROF handler and
#               writes the profile when the program exits)
#   signal      scorch record --backend signal -F FREQ (the preloaded libscorch-cpu.so)
#   perf        scorch record -F FREQ, the default perf_event backend, for reference
# and the script reports, median of ROUNDS (range):
#   1. the program's wall-clock and CPU time (user + system of the program alone: the profiled
#      command is a small timer, compiled here, that runs the program and reports both), and the
#      change against bare: in-process profiling (both signal profilers' handlers, gperftools'
#      writing at exit) is in this time;
#   2. scorch's own CPU time (the whole record process, draining, symbolizing and writing, minus
#      the program's): gperftools has no such process;
#   3. samples taken, the rate they make per CPU second of the program (CPU-time timers fire on
#      the kernel's tick: at most CONFIG_HZ a second of CPU time, whatever FREQ asks), and the
#      program's extra CPU time per sample (its CPU time minus bare's, over the samples);
#   4. bytes stored (scorch's profile.pb.gz, symbolized; gperftools' profile, addresses and the
#      maps text) and bytes per sample;
#   5. whether the stacks are whole: for python3, the share of samples whose stack reaches
#      Py_RunMain, from scorch's stacks.folded and from scorch's report of gperftools' profile
#      (scorch reads that format, as go tool pprof does); for threads, the median frames per
#      stack (3: clone3, start_thread, thread_work_N), from stacks.folded and from gperftools'
#      records as they are. Not the share for threads: every one of its samples has the same
#      second frame (start_thread), which a reader of gperftools' profiles (pprof, and scorch
#      after it) takes for the signal handler's frame and drops.
#
# Usage: bench/signal.sh [BUILD_DIR]    environment: ROUNDS (default 5), FREQ (default 1000),
#   GPERFTOOLS_LIB (libprofiler.so; default: found with ldconfig, as Debian's
#   libgoogle-perftools4 installs it), THREADS_SCALE (default 3: about 3.6 s of CPU),
#   PY_LOOP (default 40000000: about 2 s), PYTHON (default /usr/bin/python3).
# Skips with a message (status 0) when gperftools is absent. The signal column needs a scorch
# with --backend signal, the perf column perf_event_open (root or perf_event_paranoid <= 2); each is
# left out with a message otherwise. Prints Markdown tables.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
scorch="$top/$build/scorch"
rounds=${ROUNDS:-5}
freq=${FREQ:-1000}
python=${PYTHON:-/usr/bin/python3}
[ -x "$scorch" ] || { echo "bench: build first ($scorch missing)" >&2; exit 1; }
threads="$top/$build/tests/programs/threads"
[ -x "$threads" ] || { echo "bench: build first ($threads missing)" >&2; exit 1; }
[ -x "$python" ] || { echo "bench: no $python; set PYTHON" >&2; exit 1; }
# (awk reads all of ldconfig's output: under pipefail, a reader that stops early fails the pipe)
gperf=${GPERFTOOLS_LIB:-$(ldconfig -p | awk '$1 ~ /^libprofiler\.so/ && !p {p = $NF} END {print p}')}
if [ -z "$gperf" ] || [ ! -r "$gperf" ]; then
	echo "bench: gperftools' libprofiler.so is not installed (apt-get install libgoogle-perftools4," \
		"or set GPERFTOOLS_LIB); skipping" >&2
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The timer put between the profiler and the program: "WALL CPU" seconds of the program (and
# whatever it waits for) into OUT; the program's exit status passed through.
cat >"$tmp/runtime.c" <<'EOF'
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runtime OUT CMD [ARGS...]\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "%.6f %.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
EOF
cc -O2 -o "$tmp/runtime" "$tmp/runtime.c"
run="$tmp/runtime"

# Which scorch columns this machine and this scorch allow.
configs=(bare gperftools)
if "$scorch" record -q --backend signal -o "$tmp/probe-signal" -- true >"$tmp/probe.log" 2>&1; then
	configs+=(signal)
else
	echo "bench: no signal column: $(head -1 "$tmp/probe.log")" >&2
fi
if "$scorch" record -q -o "$tmp/probe-perf" -- true >"$tmp/probe.log" 2>&1; then
	configs+=(perf)
else
	echo "bench: no perf column: $(head -1 "$tmp/probe.log")" >&2
fi

# gperf_stats PROF: "SAMPLES DEPTH" of a gperftools CPU profile: the samples, and the median
# frames per sample. The file: 64-bit words, a 5-word header, then records (count, depth, depth
# addresses) until the (0, 1, 0) trailer; the maps text follows.
gperf_stats()
{
	python3 - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
w = struct.unpack_from("<%dQ" % (len(data) // 8), data)
if len(w) < 5 or w[0] != 0 or w[1] != 3:
    sys.exit("not a gperftools CPU profile: " + sys.argv[1])
i, depths = 5, []
while i + 2 < len(w) and not (w[i] == 0 and w[i + 1] == 1 and w[i + 2] == 0):
    depths.append((w[i + 1], w[i]))
    i += 2 + w[i + 1]
n = sum(c for _, c in depths)
seen = d = 0
for d, c in sorted(depths):
    seen += c
    if 2 * seen >= n:
        break
print(n, d)
EOF
}

# quality FOLDED ENTRY: with ENTRY a function name, the % of the folded stacks' weight whose
# frames include it; with ENTRY "depth", the median frames per stack.
quality()
{
	python3 - "$1" "$2" <<'EOF'
import sys
total = hit = 0
depths = []
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip("\n").rpartition(" ")
    if not stack:
        continue
    frames = stack.split(";")
    total += int(n)
    hit += int(n) * (sys.argv[2] in frames)
    depths.append((len(frames), int(n)))
if sys.argv[2] != "depth":
    print("%.1f%%" % (100.0 * hit / total if total else 0))
    sys.exit(0)
seen = d = 0
for d, c in sorted(depths):
    seen += c
    if 2 * seen >= total:
        break
print(d)
EOF
}

# one WL CONFIG ROUND CMD...: runs CMD under CONFIG; leaves in $tmp/WL.CONFIG.ROUND.{time,own,
# samples,bytes,entry} the program's "wall cpu", scorch's own CPU, samples, bytes stored, entry %.
one()
{
	local wl=$1 c=$2 r=$3 entry=$4 base=$tmp/$1.$2.$3
	shift 4
	case $c in
	bare)
		"$run" "$base.time" "$@" >/dev/null
		;;
	gperftools)
		rm -f "$tmp/g.prof"
		"$run" "$base.time" env LD_PRELOAD="$gperf" CPUPROFILE="$tmp/g.prof" \
			CPUPROFILE_FREQUENCY="$freq" "$@" >/dev/null 2>"$tmp/g.log"
		[ -s "$tmp/g.prof" ] || { echo "bench: gperftools wrote no profile: $(cat "$tmp/g.log")" >&2; exit 1; }
		gperf_stats "$tmp/g.prof" >"$tmp/g.stats"
		awk '{print $1}' "$tmp/g.stats" >"$base.samples"
		stat -c %s "$tmp/g.prof" >"$base.bytes"
		if [ "$entry" = depth ]; then
			awk '{print $2}' "$tmp/g.stats" >"$base.entry"
		else
			"$scorch" report --format folded -o "$tmp/g.folded" "$tmp/g.prof"
			quality "$tmp/g.folded" "$entry" >"$base.entry"
		fi
		;;
	signal | perf)
		local backend=()
		[ "$c" = signal ] && backend=(--backend signal)
		"$run" "$base.all" "$scorch" record -q "${backend[@]}" -F "$freq" -o "$tmp/sc" -- \
			"$run" "$base.time" "$@" >/dev/null
		awk '{print $2}' "$base.all" | paste - <(awk '{print $2}' "$base.time") |
			awk '{print $1 - $2}' >"$base.own"
		"$scorch" report --format json --sample-type samples "$tmp/sc/profile.pb.gz" |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])' >"$base.samples"
		stat -c %s "$tmp/sc/profile.pb.gz" >"$base.bytes"
		quality "$tmp/sc/stacks.folded" "$entry" >"$base.entry"
		;;
	esac
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
range() { sort -g | awk -v f="$1" 'NR == 1 {lo = $1} {hi = $1} END {printf f "-" f, lo, hi}'; }
# col WL CONFIG EXT FIELD: the FIELD-th number of every round's WL.CONFIG.*.EXT, one a line.
col() { cat "$tmp/$1.$2".[0-9]*."$3" | awk -v f="$4" '{print $f}'; }

table()
{
	local wl=$1 entry=$2 c
	local bw bc
	bw=$(col "$wl" bare time 1 | median)
	bc=$(col "$wl" bare time 2 | median)
	printf '\n| %s, %s Hz, median of %s (range) |' "$wl" "$freq" "$rounds"
	for c in "${configs[@]}"; do
		case $c in
		bare) printf ' bare |' ;;
		gperftools) printf ' gperftools (libprofiler) |' ;;
		signal) printf ' scorch --backend signal |' ;;
		perf) printf ' scorch (perf backend, reference) |' ;;
		esac
	done
	printf '\n|---|'
	for c in "${configs[@]}"; do printf -- '---|'; done
	for row in wall cpu own samples rate persample bytes bps entry; do
		case $row in
		wall) printf '\n| program wall time |' ;;
		cpu) printf '\n| program CPU time |' ;;
		own) printf "\n| scorch's own CPU time |" ;;
		samples) printf '\n| samples |' ;;
		rate) printf '\n| samples per CPU second |' ;;
		persample) printf "\n| program's extra CPU per sample |" ;;
		bytes) printf '\n| bytes stored |' ;;
		bps) printf '\n| bytes per sample |' ;;
		entry)
			if [ "$entry" = depth ]; then
				printf '\n| frames per stack (median) |'
			else
				printf '\n| stacks reaching %s |' "$entry"
			fi
			;;
		esac
		for c in "${configs[@]}"; do
			local w cpu s
			w=$(col "$wl" "$c" time 1 | median)
			cpu=$(col "$wl" "$c" time 2 | median)
			if [ "$c" != bare ]; then
				s=$(col "$wl" "$c" samples 1 | median)
			fi
			case $row in
			wall)
				awk -v a="$w" -v b="$bw" -v r="$(col "$wl" "$c" time 1 | range %.2f)" \
					'BEGIN {printf " %.2f s (%+.1f%%; %s) |", a, (a / b - 1) * 100, r}'
				;;
			cpu)
				awk -v a="$cpu" -v b="$bc" -v r="$(col "$wl" "$c" time 2 | range %.2f)" \
					'BEGIN {printf " %.2f s (%+.1f%%; %s) |", a, (a / b - 1) * 100, r}'
				;;
			own)
				case $c in
				bare) printf ' - |' ;;
				gperftools) printf ' - (all in the program) |' ;;
				*) printf ' %.2f s (%s) |' "$(col "$wl" "$c" own 1 | median)" "$(col "$wl" "$c" own 1 | range %.2f)" ;;
				esac
				;;
			samples)
				[ "$c" = bare ] && { printf ' - |'; continue; }
				printf ' %s (%s) |' "$s" "$(col "$wl" "$c" samples 1 | range %d)"
				;;
			rate)
				[ "$c" = bare ] && { printf ' - |'; continue; }
				awk -v s="$s" -v c="$cpu" 'BEGIN {printf " %.0f |", s / c}'
				;;
			persample)
				[ "$c" = bare ] && { printf ' - |'; continue; }
				awk -v s="$s" -v c="$cpu" -v b="$bc" 'BEGIN {printf " %.0f µs |", (c - b) / s * 1e6}'
				;;
			bytes)
				[ "$c" = bare ] && { printf ' - |'; continue; }
				printf ' %s |' "$(col "$wl" "$c" bytes 1 | median)"
				;;
			bps)
				[ "$c" = bare ] && { printf ' - |'; continue; }
				paste <(col "$wl" "$c" bytes 1) <(col "$wl" "$c" samples 1) |
					awk '{print $1 / $2}' | median | awk '{printf " %.1f B |", $1}'
				;;
			entry)
				[ "$c" = bare ] && { printf ' - |'; continue; }
				printf ' %s |' "$(col "$wl" "$c" entry 1 | sed 's/%$//' | median)$([ "$entry" = depth ] || echo %)"
				;;
			esac
		done
	done
	printf '\n'
}

threads_scale=${THREADS_SCALE:-3}
py_loop=${PY_LOOP:-40000000}
pyprog="x = 0
for i in range($py_loop):
    x += i * i"
for r in $(seq "$rounds"); do
	for c in "${configs[@]}"; do
		one threads "$c" "$r" depth "$threads" "$threads_scale"
		one python3 "$c" "$r" Py_RunMain "$python" -c "$pyprog"
	done
done

echo "Workloads: (threads) $threads $threads_scale; (python3) $python -c 'x += i * i' $py_loop times."
hz=$({ cat "/boot/config-$(uname -r)" 2>/dev/null || zcat /proc/config.gz 2>/dev/null || true; } |
	sed -n 's/^CONFIG_HZ=//p')
echo "gperftools: $gperf; kernel tick (CONFIG_HZ): ${hz:-unknown}."
table threads depth
table python3 Py_RunMain
