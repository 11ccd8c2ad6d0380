#!/usr/bin/env bash
# run.sh: scorch run's modes on the known-answer programs. The session folder's layout
# (DIR/NAME-YYYYmmdd-HHMMSS/ with a folder per mode, index.html whose every link exists,
# report.md, session.json, DIR/latest), and report.md's numbers: hot.c's hot_a at 50% of the CPU,
# heap_basic.c's peak, leaks and largest block, trace_known.c's spans. `all` on trace_known (which
# links libscorch): cpu, memory and trace ok, gpu skipped with its reason; trace on hot (which
# does not link it): skipped. A command that fails: each mode reported failed, all of them run.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v python3 >/dev/null || skip "python3 is needed to read session.json"
HOT=$(prog hot)
HB=$(prog heap_basic)
TK=$(prog trace_known)
P="$TMP/profiles"

# check_session DIR MODE=STATUS...: the layout, session.json's modes and index.html's links.
check_session()
{
	local dir=$1
	shift
	for f in index.html report.md session.json; do
		[ -s "$dir/$f" ] || fail "$dir/$f was not written"
	done
	python3 - "$dir" "$@" <<'PY' || fail "session $dir disagrees (above)"
import json, os, re, sys
d, want = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
s = json.load(open(os.path.join(d, "session.json")))
ok = True
def check(c, msg):
    global ok
    if not c:
        print("  " + msg, file=sys.stderr); ok = False
check(s["schema"] == "scorch.session" and s["version"] == 1, "schema")
got = {m["mode"]: m["status"] for m in s["modes"]}
check(got == want, "modes %s, expected %s" % (got, want))
check(re.fullmatch(r".*/[^/]+-\d{8}-\d{6}", d) is not None, "folder name " + d)
for m, st in want.items():
    check(os.path.isfile(os.path.join(d, m + ".log")) == (st != "skipped"), m + ".log")
html = open(os.path.join(d, "index.html")).read()
links = re.findall(r'href="([^"]+)"', html)
for l in links:
    check(os.path.isfile(os.path.join(d, l)), "index.html links %s, which does not exist" % l)
for m, st in want.items():
    if st == "ok":
        check(any(l.startswith(m + "/") for l in links), "index.html links nothing in " + m + "/")
check("report.md" in links and "session.json" in links, "index.html lacks report.md or session.json")
check(not re.search(r'(src|href)="(https?:)?//', html), "index.html loads something from the network")
sys.exit(0 if ok else 1)
PY
}

# cpu on hot: hot_a's row in report.md at 50% self (hot.c's known answer, within 8 points).
"$SCORCH" run --mode cpu -o "$P" -- "$HOT" 0.5 >"$TMP/o1" 2>"$TMP/e1" ||
	fail "scorch run --mode cpu exited $? ($(cat "$TMP/e1"))"
S=$(readlink -f "$P/latest")
case "$(basename "$S")" in hot-*) ;; *) fail "latest points at $S, not a hot-* session" ;; esac
[ -s "$S/cpu/profile.pb.gz" ] && [ -s "$S/cpu/flamegraph.html" ] || fail "cpu/ lacks the profile"
check_session "$S" cpu=ok
a=$(sed -n 's/^| hot_a | [^|]* | \([0-9.]*\)% |.*/\1/p' "$S/report.md")
[ -n "$a" ] || fail "report.md has no hot_a row: $(cat "$S/report.md")"
near "$a" 50 8 "report.md: hot_a self %"
ok "cpu: layout, index.html, hot_a at $a%"

# memory on heap_basic: its stated totals in report.md.
"$SCORCH" run --mode memory -o "$P" --name hb -- "$HB" >"$TMP/o2" 2>"$TMP/e2" ||
	fail "scorch run --mode memory exited $? ($(cat "$TMP/e2"))"
S=$(readlink -f "$P/latest")
case "$(basename "$S")" in hb-*) ;; *) fail "latest points at $S, not the hb-* session" ;; esac
check_session "$S" memory=ok
for l in '- allocations: 22 (113 KiB)' '- peak: 104 KiB' '- leaked: 4.09 KiB in 4 blocks' \
	'- largest allocation: 9.77 KiB'; do
	grep -qxF -- "$l" "$S/report.md" || fail "report.md lacks '$l': $(cat "$S/report.md")"
done
grep -q '^| leak_big | 3.91 KiB |' "$S/report.md" || fail "report.md's leaks lack leak_big 3.91 KiB"
ok "memory: heap_basic's totals and leak_big in report.md"

# all on trace_known: every mode, gpu skipped (no gpu command in this build) with the reason.
"$SCORCH" run --mode all -o "$P" -- "$TK" >"$TMP/o3" 2>"$TMP/e3" ||
	fail "scorch run --mode all exited $? ($(cat "$TMP/e3"))"
S=$(readlink -f "$P/latest")
if "$SCORCH" gpu --help >/dev/null 2>&1; then gpu=ok; else gpu=skipped; fi
if [ "$gpu" = skipped ]; then
	check_session "$S" cpu=ok memory=ok trace=ok gpu=skipped
	grep -q '^scorch run: gpu: skipped (this scorch has no gpu command)$' "$TMP/e3" ||
		fail "no gpu skipped line: $(cat "$TMP/e3")"
fi
[ -s "$S/trace/spans.pb.gz" ] && [ -s "$S/memory/heap.json" ] || fail "trace/ or memory/ is empty"
grep -q '^| outer | ' "$S/report.md" && grep -q '^| inner | ' "$S/report.md" ||
	fail "report.md lacks the spans outer and inner: $(cat "$S/report.md")"
[ -z "$(ls -A "$P" | grep '^\.latest')" ] || fail "a temporary latest link was left in $P"
[ "$(ls -d "$P"/trace_known-* | wc -l)" -eq 1 ] || fail "expected one trace_known session"
ok "all: cpu, memory, trace ok; gpu $gpu; spans in report.md"

# trace on a program without libscorch: skipped, not failed; exit 0.
"$SCORCH" run --mode trace -o "$P" -- "$HOT" 0.01 >"$TMP/o4" 2>"$TMP/e4" ||
	fail "scorch run --mode trace on hot exited $? ($(cat "$TMP/e4"))"
grep -q "^scorch run: trace: skipped (.*hot does not link libscorch: no spans to collect)$" \
	"$TMP/e4" || fail "no trace skipped line: $(cat "$TMP/e4")"
check_session "$(readlink -f "$P/latest")" trace=skipped
ok "trace on hot: skipped with the reason"

# A command that fails: both modes run, both reported, exit 1.
rc=0
"$SCORCH" run --mode cpu,memory -o "$P" --name bad -- sh -c 'exit 5' >"$TMP/o5" 2>"$TMP/e5" || rc=$?
[ "$rc" -eq 1 ] || fail "scorch run on a failing command exited $rc, not 1"
check_session "$(readlink -f "$P/latest")" cpu=failed memory=failed
grep -q '^scorch run: cpu: failed (exit status 5' "$TMP/e5" &&
	grep -q '^scorch run: memory: failed (exit status 5' "$TMP/e5" ||
	fail "the failures are not reported: $(cat "$TMP/e5")"
ok "a failing command: each mode failed, exit 1"

# SIGINT to scorch run while a mode runs (the command sends it to its recorder's parent): the
# mode ends as it would alone, the next is skipped as interrupted, the files are written, 130.
rc=0
"$SCORCH" run --mode cpu,memory -o "$P" --name int -- \
	sh -c 'kill -INT $(cut -d" " -f4 /proc/$PPID/stat); sleep 0.3' >"$TMP/o6" 2>"$TMP/e6" || rc=$?
[ "$rc" -eq 130 ] || fail "an interrupted session exited $rc, not 130 ($(cat "$TMP/e6"))"
check_session "$(readlink -f "$P/latest")" cpu=ok memory=skipped
grep -q '^scorch run: memory: skipped (interrupted before it started)$' "$TMP/e6" ||
	fail "the skipped mode is not reported: $(cat "$TMP/e6")"
ok "SIGINT: the running mode finishes, the next is skipped, exit 130"
# Ctrl-C at a terminal reaches the command's group, not scorch run: a command ended by SIGINT
# stops the session the same way.
rc=0
"$SCORCH" run --mode cpu,memory -o "$P" --name int2 -- sh -c 'kill -INT $$' >"$TMP/o7" 2>"$TMP/e7" || rc=$?
[ "$rc" -eq 130 ] || fail "a command ended by SIGINT: run exited $rc, not 130 ($(cat "$TMP/e7"))"
check_session "$(readlink -f "$P/latest")" cpu=failed memory=skipped
grep -q '^scorch run: cpu: failed (interrupted (exit status 130))$' "$TMP/e7" || fail "$(cat "$TMP/e7")"
ok "a command ended by SIGINT: the next mode skipped, exit 130"

# The folder: [output] directory, whose default is profiles; the file's value taken as it is,
# "scorch-out" included (record's folder name, once treated as unset).
mkdir "$TMP/cwd" && cd "$TMP/cwd" || fail "cannot enter $TMP/cwd"
"$SCORCH" run --mode memory -- "$HB" >/dev/null 2>"$TMP/e8" || fail "run without -o: $(cat "$TMP/e8")"
[ -s profiles/latest/session.json ] || fail "without -o the session is not in ./profiles: $(ls -R)"
"$SCORCH" run --mode memory --set output.directory=scorch-out -- "$HB" >/dev/null 2>"$TMP/e9" ||
	fail "run with output.directory=scorch-out: $(cat "$TMP/e9")"
[ -s scorch-out/latest/session.json ] || fail "output.directory=scorch-out was not taken: $(ls)"
cd - >/dev/null || fail "cd -"
ok "the folder: profiles by default, [output] directory as the file says"
