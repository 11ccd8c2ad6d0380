#!/usr/bin/env bash
# bench/push.sh: what uploading costs, side by side in one run.
#
#   1. one upload of a CPU profile (scorch record of tests/programs/hot) to the loopback stand-in
#      of the tests (tests/cli/push_server.py): `scorch push --pyroscope` (which first reads and
#      checks the file) against curl's command line posting the same multipart form
#      (`curl -F profile=@FILE URL/ingest?...`); CPU time (user + system) and wall time, medians
#      of ROUNDS;
#   2. `scorch record --continuous -p PID --interval I` on a running hot (SCALE) against one
#      `scorch record -p PID` over a run of the same program: scorch's CPU time (its recorders
#      included), and that of continuous per interval.
#
# Usage: bench/push.sh [BUILD_DIR]    environment: ROUNDS (default 5), SCALE (default 2),
#   INTERVAL (default 1). Needs perf events (root or perf_event_paranoid <= 1) for part 2 and
#   curl for the peer of part 1. Prints Markdown tables.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init push "${1:-build}"
rounds=${ROUNDS:-5}
scale=${SCALE:-2}
interval=${INTERVAL:-1}
bench_need "$scorch" "build first ($scorch missing)"
bench_skip_without curl "curl is not installed"
bench_tmpdir
bench_cputime
hot="$top/$build/tests/programs/hot"
mkdir -p "$tmp/srv"
python3 "$top/tests/cli/push_server.py" "$tmp/srv" &
srv=$!
trap 'kill $srv 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 100); do
	[ -s "$tmp/srv/port" ] && break
	sleep 0.1
done
url="http://127.0.0.1:$(cat "$tmp/srv/port")"
"$scorch" record -q -o "$tmp/rec" -- "$hot" 0.5 >/dev/null 2>&1
prof="$tmp/rec/profile.pb.gz"
size=$(stat -c %s "$prof")
query="name=hot%7Bservice%3Dhot%7D&from=1700000000&until=1700000010&format=pprof&spyName=scorch"

for _ in $(seq "$rounds"); do
	t0=$(bench_now)
	"$tmp/cputime" "$tmp/cpu" "$scorch" push --pyroscope "$url" --app hot --from 1700000000 \
		--until 1700000010 "$prof" 2>/dev/null
	t1=$(bench_now)
	cat "$tmp/cpu" >>"$tmp/scorch.cpu"
	echo "$t1 - $t0" | bc -l >>"$tmp/scorch.wall"
	t0=$(bench_now)
	"$tmp/cputime" "$tmp/cpu" curl -sf -o /dev/null -F "profile=@$prof" "$url/ingest?$query"
	t1=$(bench_now)
	cat "$tmp/cpu" >>"$tmp/curl.cpu"
	echo "$t1 - $t0" | bc -l >>"$tmp/curl.wall"
done
[ "$(ls "$tmp/srv" | grep -c '^req-.*json$')" -eq $((2 * rounds)) ] ||
	bench_die "not every upload arrived"
echo "One upload of a ${size}-byte CPU profile to the loopback stand-in, median of $rounds" \
	"(load average $(bench_loadavg)):"
echo
echo "| uploader | CPU time (user + sys) | wall |"
echo "|---|---|---|"
for u in scorch curl; do
	printf '| %s | %.3f s | %.3f s |\n' "$( [ $u = scorch ] && echo 'scorch push --pyroscope' ||
		echo 'curl -F profile=@FILE')" "$(bench_median <"$tmp/$u.cpu")" \
		"$(bench_median <"$tmp/$u.wall")"
done
echo

if ! "$scorch" record -q -o "$tmp/probe" -- true >/dev/null 2>&1; then
	echo "push: part 2 skipped: scorch record cannot open perf events here" >&2
	exit 0
fi
"$hot" "$scale" >/dev/null &
pid=$!
"$tmp/cputime" "$tmp/cont.cpu" "$scorch" record --continuous --push "$url" -p "$pid" \
	--interval "$interval" 2>"$tmp/cont.log"
wait "$pid" || true
n=$(grep -c 'HTTP 200' "$tmp/cont.log")
"$hot" "$scale" >/dev/null &
pid=$!
"$tmp/cputime" "$tmp/one.cpu" "$scorch" record -q -o "$tmp/one" -p "$pid" 2>/dev/null
wait "$pid" || true
cont=$(cat "$tmp/cont.cpu")
one=$(cat "$tmp/one.cpu")
echo "scorch's CPU time over a run of hot $scale (load average $(bench_loadavg)):"
echo
echo "| scorch | intervals | CPU time (user + sys) | per interval |"
echo "|---|---|---|---|"
printf '| record --continuous --interval %s | %d | %.2f s | %.3f s |\n' "$interval" "$n" "$cont" \
	"$(echo "$cont / $n" | bc -l)"
printf '| record -p (one profile) | 1 | %.2f s | |\n' "$one"
