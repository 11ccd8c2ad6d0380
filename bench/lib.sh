# bench/lib.sh: what the benchmark scripts share; sourced, never run. After `set -euo pipefail`:
#
#     . "$(dirname "$0")/lib.sh"
#     bench_init record "${1:-build}"    # NAME for messages, the build directory
#     bench_need "$scorch" "build first ($scorch missing)"
#     bench_skip_without perf "perf is not installed"
#     bench_tmpdir                         # $tmp, removed at exit (bench_tmpdir DIR: kept)
#     bench_cputime                        # $tmp/cputime, the target's CPU time (bench/cputime.c)
#     ... | bench_median                   # one number a line in, the median out
#
# Sets: here (bench/), top (the source tree), build (as given), scorch ($top/$build/scorch),
# bench_name. Messages go to stderr as "NAME: ..."; a missing prerequisite exits 1, a missing
# optional tool (a peer to compare with) exits 0 after saying that the script skips.
# Not here: what a script measures and prints (each script's own), bench/signal.sh (not yet).

# bench_init NAME [BUILD_DIR]
bench_init()
{
	bench_name=$1
	build=${2:-build}
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	top=$(cd "$here/.." && pwd)
	scorch="$top/$build/scorch"
	bench_spinner=
	bench_keep=
	tmp=
}

# bench_die MESSAGE: says NAME: MESSAGE and exits 1.
bench_die()
{
	echo "$bench_name: $*" >&2
	exit 1
}

# bench_need PATH MESSAGE: exits 1 with MESSAGE unless PATH is an executable (or a file).
bench_need()
{
	[ -x "$1" ] || [ -f "$1" ] || bench_die "$2"
}

# bench_skip_without COMMAND [MESSAGE]: exits 0, saying "NAME: MESSAGE; skipping" (MESSAGE
# defaults to "COMMAND is missing"), unless COMMAND is on the PATH.
bench_skip_without()
{
	command -v "$1" >/dev/null && return 0
	echo "$bench_name: ${2:-$1 is missing}; skipping" >&2
	exit 0
}

# bench_tmpdir [DIR]: sets tmp to a new scratch directory, removed at exit; or to DIR (created),
# kept. The exit trap also stops the busy loop of bench_load_start.
bench_tmpdir()
{
	if [ -n "${1:-}" ]; then
		tmp=$1
		bench_keep=1
		mkdir -p "$tmp"
	else
		tmp=$(mktemp -d)
	fi
	trap bench_cleanup EXIT
}

bench_cleanup()
{
	if [ -n "$bench_spinner" ]; then
		kill "$bench_spinner" 2>/dev/null || true
	fi
	if [ -z "$bench_keep" ] && [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
}

# bench_load_start / bench_load_stop: a busy loop competing for one CPU, the "loaded" condition.
bench_load_start()
{
	sh -c 'while :; do :; done' &
	bench_spinner=$!
}

bench_load_stop()
{
	if [ -n "$bench_spinner" ]; then
		kill "$bench_spinner"
		wait "$bench_spinner" 2>/dev/null || true
		bench_spinner=
	fi
}

# bench_loadavg: the 1-minute load average.
bench_loadavg()
{
	cut -d' ' -f1 /proc/loadavg
}

# bench_cputime: compiles bench/cputime.c into $tmp/cputime (`cputime FILE CMD...` runs CMD and
# writes its user + system seconds to FILE).
bench_cputime()
{
	cc -O2 -o "$tmp/cputime" "$here/cputime.c"
}

# ... | bench_median: the median of the numbers read, one a line.
bench_median()
{
	sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# ... | bench_range [DECIMALS]: "lo-hi" of the numbers read, with DECIMALS (default 2) places.
bench_range()
{
	sort -g | awk -v d="${1:-2}" 'NR == 1 {lo = $1} {hi = $1}
		END {printf "%." d "f-%." d "f", lo, hi}'
}

# bench_now: the wall clock in seconds, with nanoseconds.
bench_now()
{
	date +%s.%N
}
