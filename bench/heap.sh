#!/usr/bin/env bash
# bench/heap.sh: scorch heap against the heap profilers people use, side by side in one run.
#
# Workloads:
#   churn-1   tests/programs/heap_churn MOPS 1   millions of mixed-size malloc/calloc/realloc/free
#             from call paths 2 to 20 deep (3 M operations by default), one thread
#   churn-2   the same with two threads (each doing MOPS million operations)
#   memgraph  examples/memgraph MEMGRAPH_ARGS: a CPU-bound program that allocates little (77
#             blocks, 25 MB), so what is measured there is the cost of being loaded, not of
#             tracking
# Configurations, run in interleaved rounds (so drift in machine speed hits every one alike):
#   bare        the program alone
#   scorch      scorch heap -q -o DIR -- PROG (every allocation, stacks to depth 16)
#   sampled     scorch heap -q --sample 512K -o DIR -- PROG
#   heaptrack   heaptrack -o FILE PROG (Debian's heaptrack: records with libunwind, its
#               interpreter compresses the trace while the program runs, all of it counted)
#   dhat        valgrind --tool=dhat --dhat-out-file=FILE PROG
#   massif      valgrind --tool=massif --massif-out-file=FILE PROG
# and the script reports, median of ROUNDS (range), for each:
#   wall-clock time and CPU time (user + system of every process of the run: the profiler's own
#   processes, scorch or heaptrack's interpreter, included), each also as a ratio to bare;
#   for scorch, also the program's own CPU time (the tracker's work inside the program: the
#   program runs under a second timer, which scorch heap follows as the forked child it is, so
#   scorch's own share is the difference);
#   max RSS (of the largest process of the run) and its ratio to bare; bytes written (the output
#   folder or files); for scorch, the allocations heap.json counts against what heap_churn says
#   it made (every allocation must be seen).
#
# Usage: bench/heap.sh [BUILD_DIR]     environment: ROUNDS (default 3), MOPS (default 3),
#   MEMGRAPH_ARGS (default "-n 2000 -e 10000 -a 200 -q 200 -D 400": about 1 s bare),
#   WORKLOADS (default "churn-1 churn-2 memgraph"), CONFIGS (default "bare scorch sampled
#   heaptrack dhat massif"), HEAPTRACK (default: heaptrack from PATH), VALGRIND (default:
#   valgrind from PATH).
# A peer that is not installed is left out with a message; the scorch columns are left out when
# this scorch has no heap command. Prints Markdown tables.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
scorch="$top/$build/scorch"
churn="$top/$build/tests/programs/heap_churn"
memgraph="$top/$build/examples/memgraph/memgraph"
rounds=${ROUNDS:-3}
mops=${MOPS:-3}
memgraph_args=${MEMGRAPH_ARGS:-"-n 2000 -e 10000 -a 200 -q 200 -D 400"}
workloads=${WORKLOADS:-"churn-1 churn-2 memgraph"}
configs=${CONFIGS:-"bare scorch sampled heaptrack dhat massif"}
heaptrack=${HEAPTRACK:-$(command -v heaptrack || true)}
valgrind=${VALGRIND:-$(command -v valgrind || true)}
for f in "$churn" "$memgraph"; do
	[ -x "$f" ] || { echo "bench: build first ($f missing)" >&2; exit 1; }
done

# Leave out what cannot run here, saying why.
keep=""
for c in $configs; do
	case $c in
	scorch | sampled)
		if [ ! -x "$scorch" ] || ! "$scorch" heap --help >/dev/null 2>&1; then
			echo "bench: $scorch has no heap command; leaving out '$c'" >&2
			continue
		fi
		;;
	heaptrack)
		if [ -z "$heaptrack" ] || [ ! -x "$heaptrack" ]; then
			echo "bench: heaptrack is not installed (apt-get install heaptrack, or set HEAPTRACK);" \
				"leaving it out" >&2
			continue
		fi
		;;
	dhat | massif)
		if [ -z "$valgrind" ] || [ ! -x "$valgrind" ]; then
			echo "bench: valgrind is not installed (or set VALGRIND); leaving out '$c'" >&2
			continue
		fi
		;;
	bare) ;;
	*)
		echo "bench: unknown configuration '$c'" >&2
		exit 1
		;;
	esac
	keep+="$c "
done
configs=$keep

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The timer: runs CMD, writes "WALL CPU MAXRSS_KB" of it and every process it waited for to OUT
# (getrusage of the children: the profiler's processes and the program's); passes the status on.
cat >"$tmp/runtime.c" <<'EOF'
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	FILE *f;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: runtime OUT CMD [ARGS...]\n");
		return 2;
	}
	/* Opened first: under scorch heap, this process then allocates before its child does. */
	f = fopen(argv[1], "w");
	if (!f)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_CHILDREN, &ru);
	fprintf(f, "%.4f %.4f %ld\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
			ru.ru_stime.tv_usec / 1e6,
		ru.ru_maxrss);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
EOF
cc -O2 -o "$tmp/runtime" "$tmp/runtime.c"

workload_cmd()
{
	case $1 in
	churn-1) echo "$churn $mops 1" ;;
	churn-2) echo "$churn $mops 2" ;;
	memgraph) echo "$memgraph $memgraph_args" ;;
	*)
		echo "bench: unknown workload '$1'" >&2
		exit 1
		;;
	esac
}

# run WORKLOAD CONFIG ROUND: one measured run; appends "WALL CPU RSS BYTES SEEN PROGCPU" to
# $tmp/WORKLOAD.CONFIG (SEEN: allocations in scorch's heap.json, PROGCPU: the program's own CPU
# time under scorch; else -).
run()
{
	local w=$1 c=$2 r=$3 out="$tmp/out.$1.$2.$3" seen=- bytes
	local -a cmd
	read -ra cmd <<<"$(workload_cmd "$w")"
	mkdir -p "$out"
	case $c in
	bare) ;;
	scorch) cmd=("$scorch" heap -q -o "$out/dir" -- "$tmp/runtime" "$tmp/inner" "${cmd[@]}") ;;
	sampled)
		cmd=("$scorch" heap -q --sample 512K -o "$out/dir" -- "$tmp/runtime" "$tmp/inner" "${cmd[@]}")
		;;
	heaptrack) cmd=("$heaptrack" -o "$out/ht" "${cmd[@]}") ;;
	dhat) cmd=("$valgrind" -q --tool=dhat --dhat-out-file="$out/dhat.out" "${cmd[@]}") ;;
	massif) cmd=("$valgrind" -q --tool=massif --massif-out-file="$out/massif.out" "${cmd[@]}") ;;
	esac
	rm -f "$tmp/inner"
	if ! "$tmp/runtime" "$tmp/time" "${cmd[@]}" >"$out.stdout" 2>"$out.stderr"; then
		echo "bench: $w under $c failed: ${cmd[*]}" >&2
		tail -n 5 "$out.stderr" >&2
		exit 1
	fi
	# scorch: the program is the timer's child, its files in DIR/pid-N (the timer's own, a few
	# allocations, in DIR are left out of the size). When none of the timer's allocations is
	# sampled (--sample), scorch heap writes the program's files in DIR itself.
	local files=$out prog_cpu=-
	if [ -d "$out/dir" ]; then
		files=$(find "$out/dir" -mindepth 1 -maxdepth 1 -type d -name 'pid-*' | head -n1)
		[ -n "$files" ] || files=$out/dir
		read -r _ prog_cpu _ <"$tmp/inner"
	fi
	bytes=$(find "$files" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }')
	[ "$files" != "$out/dir" ] || bytes=$(find "$files" -maxdepth 1 -type f -printf '%s\n' |
		awk '{ n += $1 } END { print n + 0 }')
	if [ "$c" = scorch ] && [ -f "$files/heap.json" ]; then
		seen=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["allocs"])' \
			"$files/heap.json")
	fi
	grep -h '^heap_churn:' "$out.stdout" >"$tmp/$w.known" 2>/dev/null || true
	echo "$(cat "$tmp/time") $bytes $seen $prog_cpu" >>"$tmp/$w.$c"
	rm -rf "$out"
}

for w in $workloads; do
	workload_cmd "$w" >/dev/null
	for ((r = 1; r <= rounds; r++)); do
		for c in $configs; do
			run "$w" "$c" "$r"
		done
	done
done

# The tables.
python3 - "$tmp" "$rounds" "$workloads" "$configs" <<'PY'
import os, statistics, sys

tmp, rounds, workloads, configs = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4].split()


def rows(w, c):
    with open(os.path.join(tmp, "%s.%s" % (w, c))) as f:
        return [line.split() for line in f if line.strip()]


def med(vals):
    return statistics.median(vals)


def human(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


for w in workloads:
    known = ""
    kp = os.path.join(tmp, w + ".known")
    if os.path.exists(kp):
        with open(kp) as f:
            known = f.readline().strip()
    print("\n### %s (median of %s rounds)\n" % (w, rounds))
    if known:
        print("The program's own count: `%s`\n" % known)
    print("| configuration | wall s | x bare | CPU s | x bare | the program's CPU s | x bare "
          "| max RSS MB | x bare | output | allocations seen |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    base = None
    for c in configs:
        r = rows(w, c)
        wall = [float(x[0]) for x in r]
        cpu = [float(x[1]) for x in r]
        rss = [int(x[2]) / 1024.0 for x in r]
        out = [int(x[3]) for x in r]
        seen = r[-1][4]
        pcpu = [float(x[5]) for x in r if x[5] != "-"]
        m = (med(wall), med(cpu), med(rss))
        if c == "bare":
            base = m
        ratio = (lambda i: "%.2f" % (m[i] / base[i])) if base else (lambda i: "-")
        rng = lambda v: "%.3f (%.3f-%.3f)" % (med(v), min(v), max(v))
        prog = (rng(pcpu), "%.2f" % (med(pcpu) / base[1])) if pcpu and base else ("-", "-")
        print("| %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %s | %s |" % (
            c, rng(wall), ratio(0), rng(cpu), ratio(1), prog[0], prog[1], m[2], ratio(2),
            "-" if c == "bare" else human(med(out)), seen))
PY
