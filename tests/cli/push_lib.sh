# push_lib.sh: helpers of the push*.sh tests, sourced after lib.sh.
#   start_server DIR [--tls CERT KEY] [ANSWER...]
#                                 runs push_server.py (the loopback stand-in for Pyroscope and
#                                 Parca) writing into DIR; sets PORT and SRV_PID; stopped on exit
#   stop_server                   stops it (by its pid)
#   requests DIR                  prints how many requests arrived
#   make_profiles DIR             DIR/profile.pb.gz (a CPU profile from tests/data/views) and
#                                 DIR/heap.pb.gz (scorch heap on heap_basic): a recording folder
SRV_PID=

stop_server()
{
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	fi
	SRV_PID=
}

start_server()
{
	local dir=$1 i tls=()
	shift
	if [ "${1:-}" = --tls ]; then
		tls=(--tls "$2" "$3")
		shift 3
	fi
	stop_server
	mkdir -p "$dir"
	python3 "$SRCDIR/tests/cli/push_server.py" "${tls[@]}" "$dir" "$@" &
	SRV_PID=$!
	trap 'stop_server; rm -rf "$TMP"' EXIT
	for i in $(seq 100); do
		[ -s "$dir/port" ] && break
		sleep 0.1
	done
	[ -s "$dir/port" ] || fail "push_server.py did not start"
	PORT=$(cat "$dir/port")
}

requests()
{
	ls "$1" | grep -c '^req-.*\.json$'
}

make_profiles()
{
	mkdir -p "$1"
	"$SCORCH" report --format pprof -o "$1/profile.pb.gz" "$SRCDIR/tests/data/views/app.folded" ||
		fail "cannot write a CPU profile"
	"$SCORCH" heap -q -o "$TMP/heap-out" -- "$(prog heap_basic)" >"$TMP/heap.log" 2>&1 ||
		fail "scorch heap failed: $(cat "$TMP/heap.log")"
	cp "$TMP/heap-out/heap.pb.gz" "$1/heap.pb.gz"
}

# pprof_total FILE: the "of N total" of go tool pprof -top (default sample type).
pprof_total()
{
	HOME="$TMP" PPROF_TMPDIR="$TMP" go tool pprof -top -symbolize=none "$1" 2>"$TMP/pprof.err" |
		sed -n 's/.* of \(.*\) total.*/\1/p' | head -1
}
