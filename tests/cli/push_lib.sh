# push_lib.sh: helpers of the push*.sh tests, sourced after lib.sh.
#   start_h2_server DIR [ANSWER...]  the same with push_h2server.go (gRPC over HTTP/2 and TLS),
#                                 after build_h2_server
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

# launch DIR CMD...: runs CMD in the background until DIR/port appears; sets PORT and SRV_PID.
launch()
{
	local dir=$1 i
	shift
	stop_server
	mkdir -p "$dir"
	"$@" &
	SRV_PID=$!
	trap 'stop_server; rm -rf "$TMP"' EXIT
	for i in $(seq 300); do
		[ -s "$dir/port" ] && break
		sleep 0.1
	done
	[ -s "$dir/port" ] || fail "$1 did not start"
	PORT=$(cat "$dir/port")
}

start_server()
{
	local dir=$1 tls=()
	shift
	if [ "${1:-}" = --tls ]; then
		tls=(--tls "$2" "$3")
		shift 3
	fi
	launch "$dir" python3 "$SRCDIR/tests/cli/push_server.py" "${tls[@]}" "$dir" "$@"
}

# build_h2_server: compiles push_h2server.go (Go's standard library only, no network) into
# $TMP/h2server; returns 1 when go is missing or the build fails.
build_h2_server()
{
	command -v go >/dev/null || return 1
	HOME="$TMP" GOCACHE="$TMP/gocache" GO111MODULE=off GOFLAGS= \
		go build -o "$TMP/h2server" "$SRCDIR/tests/cli/push_h2server.go" >"$TMP/gobuild.log" 2>&1
}

# start_h2_server DIR [ANSWER...]: the HTTP/2 (TLS) gRPC stand-in; see push_h2server.go.
start_h2_server()
{
	local dir=$1
	shift
	launch "$dir" "$TMP/h2server" "$dir" "$@"
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
