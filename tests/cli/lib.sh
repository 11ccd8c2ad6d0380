# lib.sh: helpers sourced by every tests/cli/*.sh script.
#
# The scripts run the real scorch on the known-answer programs of tests/programs/ and compare what
# it reports with the numbers those programs state in their comments. meson passes
#   SCORCH  the scorch executable        BUILD   the build directory (programs are in
#   SRCDIR  the source tree                       $BUILD/tests/programs/NAME)
# Exit status: 0 pass, 1 fail (fail prints why), 77 skip (skip prints why).
#
# Helpers:
#   fail MSG / skip MSG / ok MSG    report and (for fail and skip) exit
#   make_tmp                         sets TMP to a fresh directory removed on exit
#   require_perf                     skips unless scorch can open perf events here
#   prog NAME                        prints the path of test program NAME (fails if not built)
#   record DIR CMD...                scorch record -F 1000 -o DIR -- CMD...; sets RC, logs to DIR.log
#   report_json PROFILE              prints scorch report's JSON (sample type samples, top 500)
#   pct JSON NAME self|total [MOD]   a function's self_pct/total_pct summed over its rows (0 if
#                                    absent). NAME matches a row named NAME or NAME(...), so
#                                    "geo::Matrix<float>::mul" matches the demangled signature.
#                                    MOD, if given, must be a substring of the row's module.
#   field JSON NAME KEY              a field (e.g. module) of the first by_self row matching NAME
#   folded_share FILE 'a;b' [leaf]   % of samples whose stack has frames a;b in a row (with
#                                    `leaf`: as its last frames); same name matching as pct
#   near ACTUAL EXPECTED TOL WHAT    fails unless |ACTUAL - EXPECTED| <= TOL, else prints ok

set -u

: "${SCORCH:?SCORCH must name the scorch executable}"
: "${BUILD:?BUILD must name the build directory}"
: "${SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

TEST_NAME=$(basename "$0" .sh)
TMP=

fail()
{
	echo "FAIL $TEST_NAME: $*" >&2
	exit 1
}

skip()
{
	echo "SKIP $TEST_NAME: $*"
	exit 77
}

ok()
{
	echo "ok: $*"
}

make_tmp()
{
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/scorch-cli-$TEST_NAME.XXXXXX") || fail "mktemp failed"
	trap 'rm -rf "$TMP"' EXIT
}

require_perf()
{
	local err
	[ -n "$TMP" ] || make_tmp
	[ -x "$SCORCH" ] || fail "scorch is not built: $SCORCH"
	err=$("$SCORCH" record -o "$TMP/perf-probe" -- true 2>&1 >/dev/null)
	if grep -q 'perf_event_paranoid' <<<"$err"; then
		skip "perf_event_open is not permitted here: $(grep -m1 'perf_event_paranoid' <<<"$err")"
	fi
	rm -rf "$TMP/perf-probe"
}

prog()
{
	local p="$BUILD/tests/programs/$1"
	[ -x "$p" ] || fail "test program $1 is not built ($p); run ninja -C $BUILD"
	echo "$p"
}

# wait_console_socket RUNDIR PID: polls (20 s at most) for the console socket of PID, a program
# started with SCORCH_CONSOLE=1 and XDG_RUNTIME_DIR=RUNDIR; sets sock to its path, fails without.
wait_console_socket()
{
	sock="$1/scorch/console-$2.sock"
	for _ in $(seq 200); do
		[ -S "$sock" ] && return 0
		sleep 0.1
	done
	fail "trace_loop (SCORCH_CONSOLE=1) made no console socket at $sock"
}

# record DIR CMD...: the profile goes to DIR, scorch's own output to DIR.log, the status to RC.
record()
{
	local dir=$1
	shift
	RC=0
	"$SCORCH" record -F 1000 -o "$dir" -- "$@" >"$dir.log" 2>&1 || RC=$?
	for f in profile.pb.gz stacks.folded flamegraph.html; do
		if [ ! -s "$dir/$f" ]; then
			sed 's/^/  | /' "$dir.log" >&2
			fail "scorch record -- $* (status $RC) did not write $dir/$f"
		fi
	done
}

report_json()
{
	"$SCORCH" report --format json --top 500 --sample-type samples "$1" ||
		fail "scorch report --format json $1 failed"
}

# The shared matcher and readers, in Python because the JSON and the folded stacks need parsing.
py()
{
	python3 - "$@" <<'EOF'
import json, sys

def matches(frame, name):
    return frame == name or (frame.startswith(name + "(") )

def rows(doc, key):
    return doc.get(key) or []

cmd = sys.argv[1]
if cmd == "pct":
    path, name, which = sys.argv[2:5]
    mod = sys.argv[5] if len(sys.argv) > 5 else ""
    with open(path) as f:
        doc = json.load(f)
    key = "by_self" if which == "self" else "by_total"
    total = sum(r[which + "_pct"] for r in rows(doc, key)
                if matches(r["name"], name) and mod in r.get("module", ""))
    print("%.2f" % total)
elif cmd == "field":
    path, name, field = sys.argv[2:5]
    with open(path) as f:
        doc = json.load(f)
    for r in rows(doc, "by_self") + rows(doc, "by_total"):
        if matches(r["name"], name):
            print(r.get(field, ""))
            break
elif cmd == "folded_share":
    path, pattern = sys.argv[2:4]
    leaf = len(sys.argv) > 4 and sys.argv[4] == "leaf"
    want = pattern.split(";")
    hit = total = 0
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            stack, _, count = line.rpartition(" ")
            n = int(count)
            total += n
            frames = stack.split(";")
            starts = [len(frames) - len(want)] if leaf else range(len(frames) - len(want) + 1)
            for s in starts:
                if s >= 0 and all(matches(frames[s + i], w) for i, w in enumerate(want)):
                    hit += n
                    break
    print("%.2f" % (100.0 * hit / total if total else 0.0))
else:
    sys.exit("lib.sh: unknown helper " + cmd)
EOF
}

pct()
{
	py pct "$@" || fail "cannot read $1"
}

field()
{
	py field "$@" || fail "cannot read $1"
}

folded_share()
{
	py folded_share "$@" || fail "cannot read $1"
}

near()
{
	local actual=$1 expected=$2 tol=$3 what=$4
	if python3 -c "import sys; sys.exit(0 if abs($actual - $expected) <= $tol else 1)"; then
		ok "$what: $actual% (expected $expected ± $tol)"
	else
		fail "$what: $actual%, expected $expected ± $tol"
	fi
}

# total SAMPLES in a scorch.top JSON document, to refuse judging shares on too few samples.
json_total()
{
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['total'])" "$1" ||
		fail "cannot read $1"
}

at_least_samples()
{
	local n
	n=$(json_total "$1")
	[ "$n" -ge "$2" ] || fail "only $n samples in $1 (need at least $2 to judge shares)"
}
