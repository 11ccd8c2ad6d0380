#!/usr/bin/env bash
# bench_errors.sh: what libscorch-bench programs and `scorch bench compare` do when things go wrong
# (issue 8, items 3, 6 and 10): full disks under --json/--csv/--html/--save-baseline, failing,
# crashing, slow and empty benchmarks, bad option values, malformed baselines, endless inputs.
#
# The program is tests/programs/bench_cases.c (its comment lists the benchmarks). Nothing here
# depends on timing: the slow benchmark sleeps, so it is at least as slow as it says on any machine,
# and only counts of samples and exit statuses are checked.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp

BC=$(prog bench_cases)
fw=$BUILD/tests/programs/libfailwrite.so
[ -f "$fw" ] || fail "libfailwrite.so is not built ($fw)"
DATA="$SRCDIR/tests/data"
short=(-q --aslr -w 0.01 -t 0.05 -n 5 --resamples 100)

# 1. Item 3: a full disk while writing --json/--csv/--html/--save-baseline keeps the previous file,
#    says "No space left on device" naming the file, and exits non-zero.
"$BC" "${short[@]}" --format none --json "$TMP/out.json" --csv "$TMP/out.csv" \
	--html "$TMP/out.html" --save-baseline base --baseline-dir "$TMP/bl" 'ok/add' ||
	fail "the first run exited $?"
for f in out.json out.csv out.html bl/base.json; do
	[ -s "$TMP/$f" ] || fail "the first run wrote no $f"
	cp "$TMP/$f" "$TMP/$f.prev"
done
for f in out.json out.csv out.html bl/base.json; do
	rc=0
	LD_PRELOAD=$fw SC_FAIL_WRITE_MATCH=$(basename "$f") "$BC" "${short[@]}" --format none \
		--json "$TMP/out.json" --csv "$TMP/out.csv" --html "$TMP/out.html" \
		--save-baseline base --baseline-dir "$TMP/bl" 'ok/add' 2>"$TMP/err" || rc=$?
	[ $rc = 1 ] || fail "a full disk writing $f exited $rc, expected 1: $(cat "$TMP/err")"
	grep -q "$f.*No space left on device" "$TMP/err" ||
		fail "the message does not name $f and ENOSPC: $(cat "$TMP/err")"
	cmp -s "$TMP/$f" "$TMP/$f.prev" || fail "a failed write changed the previous $f"
	left=$(find "$TMP" -name ".$(basename "$f").*")
	[ -z "$left" ] || fail "temporaries left behind: $left"
done
ok "a full disk keeps the previous --json/--csv/--html/baseline file and says ENOSPC (exit 1)"

# 2. Item 10 (and 4): bench compare refuses non-finite and out-of-range percentages naming the
#    option and its range (exit 2), and endless input with the file and the cap (exit 1).
for opt in noise fail-on-regression; do
	for bad in nan NaN inf -inf -1 1001 1e308 x ''; do
		rc=0
		"$SCORCH" bench compare --$opt "$bad" "$DATA/bench-base.json" \
			"$DATA/bench-slower.json" >/dev/null 2>"$TMP/err" || rc=$?
		[ $rc = 2 ] || fail "bench compare --$opt '$bad' exited $rc, expected 2"
		grep -q -- "--$opt must be a number between 0 and 1000, not '$bad'" "$TMP/err" ||
			fail "bench compare --$opt '$bad': the message names no option or range: $(cat "$TMP/err")"
	done
done
"$SCORCH" bench compare --noise 0 --fail-on-regression 1000 "$DATA/bench-base.json" \
	"$DATA/bench-slower.json" >/dev/null || fail "the bounds 0 and 1000 were refused"
rc=0
timeout 60 "$SCORCH" bench compare /dev/zero "$DATA/bench-base.json" >/dev/null 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "bench compare /dev/zero exited $rc, expected 1"
grep -qF "/dev/zero: larger than 64M, the cap on a scorch.bench report (raise it with --max-input SIZE)" \
	"$TMP/err" || fail "bench compare /dev/zero: the message names no file or cap: $(cat "$TMP/err")"
rc=0
"$SCORCH" bench compare --max-input 1K "$DATA/bench-base.json" "$DATA/bench-slower.json" \
	>/dev/null 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "--max-input 1K on a 2 KiB report exited $rc, expected 1"
grep -q "bench-base.json: larger than 1K, the cap" "$TMP/err" || fail "--max-input 1K: $(cat "$TMP/err")"
"$SCORCH" bench compare --max-input 64k "$DATA/bench-base.json" "$DATA/bench-slower.json" \
	>/dev/null || fail "--max-input 64k refused a 2 KiB report"
for bad in 0 -1 1T x ''; do
	rc=0
	"$SCORCH" bench compare --max-input "$bad" "$DATA/bench-base.json" "$DATA/bench-slower.json" \
		>/dev/null 2>"$TMP/err" || rc=$?
	[ $rc = 2 ] && grep -q "bad value '$bad' for --max-input" "$TMP/err" ||
		fail "--max-input '$bad': exit $rc: $(cat "$TMP/err")"
done
ok "bench compare: NaN, inf and out-of-range percentages exit 2; /dev/zero is capped (exit 1, --max-input)"

# 3. Item 6: a bad option value names the option and its range (exit 2).
check_opt()
{
	local want=$1
	shift
	rc=0
	"$BC" "$@" --list >/dev/null 2>"$TMP/err" || rc=$?
	[ $rc = 2 ] || fail "$* exited $rc, expected 2"
	grep -qF -- "$want" "$TMP/err" || fail "$*: expected '$want', got: $(cat "$TMP/err")"
}
check_opt "-n/--samples must be an integer between 5 and 100000, not '3'" -n 3
check_opt "-n/--samples must be an integer between 5 and 100000, not '1e9'" --samples 1e9
check_opt "-t/--measurement-time must be a number between 0 and 3600, not 'nan'" -t nan
check_opt "-w/--warm-up-time must be a number between 0 and 3600, not 'inf'" -w inf
check_opt "--noise must be a number between 0 and 1000, not 'nan'" --noise nan
check_opt "--fail-on-regression must be a number between 0 and 1000, not 'inf'" \
	--fail-on-regression inf
check_opt "--confidence must be a number between 0.5 and 0.9999, not '1'" --confidence 1
check_opt "--seed must be an integer between 0 and 2^64-1, not 'x'" --seed x
check_opt "--repeat must be an integer between 1 and 1000, not '0'" --repeat 0
check_opt "-f/--format must be table, json, csv or none, not 'xml'" -f xml
check_opt "--save-baseline must be a name that is not empty, has no '/'" --save-baseline a/b
ok "bad option values name the option and its range (exit 2)"

# 4. Item 6: a baseline entry with "samples": null (or other malformed samples) is an error naming
#    the file and the entry, not a benchmark quietly left without comparison (exit 1).
for mangle in 'b["samples"] = None' 'del b["samples"]' 'b["samples"]["iters"] = []' \
	'b["samples"]["wall"][0] = None' 'b["samples"]["cpu"] = "x"'; do
	mkdir -p "$TMP/bad"
	python3 - "$TMP/bl/base.json" "$TMP/bad/base.json" "$mangle" <<'PY' || fail "python: $mangle"
import json, sys
r = json.load(open(sys.argv[1]))
b = r["benchmarks"][0]
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PY
	rc=0
	"$BC" "${short[@]}" --format none --baseline base --baseline-dir "$TMP/bad" 'ok/add' \
		2>"$TMP/err" || rc=$?
	[ $rc = 1 ] || fail "a baseline with $mangle: the program exited $rc, expected 1"
	grep -q "bad/base.json: benchmark 'ok/add' (entry 0): .*sample" "$TMP/err" ||
		fail "a baseline with $mangle: the message names no file and entry: $(cat "$TMP/err")"
	rc=0
	"$SCORCH" bench compare "$TMP/bad/base.json" "$TMP/out.json" >/dev/null 2>"$TMP/err" || rc=$?
	[ $rc = 1 ] || fail "bench compare of a baseline with $mangle exited $rc, expected 1"
	grep -q "bad/base.json: benchmark 'ok/add' (entry 0)" "$TMP/err" ||
		fail "bench compare, $mangle: the message names no file and entry: $(cat "$TMP/err")"
done
ok "malformed samples in a baseline: an error naming the file and the entry (exit 1)"

# 5. Item 6: a benchmark failing through scorch_bench_fail makes the program exit 1 (as documented),
#    naming it, after writing the results of all.
rc=0
"$BC" "${short[@]}" --format none --json "$TMP/f.json" 'ok/add|fail/setup' 2>"$TMP/err" || rc=$?
[ $rc = 1 ] || fail "a benchmark calling scorch_bench_fail: exit $rc, expected 1"
grep -q "benchmark 'fail/setup' failed: Cannot allocate memory" "$TMP/err" ||
	fail "the failed benchmark is not named: $(cat "$TMP/err")"
python3 - "$TMP/f.json" <<'PY' || fail "the JSON of a run with a failed benchmark is wrong"
import json, sys
a, f = json.load(open(sys.argv[1]))["benchmarks"]
assert a["id"] == "ok/add" and a["error"] is None and len(a["samples"]["iters"]) == 5, a
assert f["id"] == "fail/setup" and f["error"] == "Cannot allocate memory", f
PY
ok "scorch_bench_fail: the run goes on, the program names the benchmark and exits 1"

# 6. Item 6: a crashing benchmark (SIGSEGV, SIGABRT, SIGFPE, stack overflow) is named, the
#    benchmarks that finished are written, and the program exits 128 + the signal.
for c in segv:11 abort:6 fpe:8 stack:11; do
	name=${c%:*} sig=${c#*:}
	rm -f "$TMP/c.json" "$TMP/c.csv"
	rc=0
	timeout 120 "$BC" "${short[@]}" --format table --json "$TMP/c.json" --csv "$TMP/c.csv" \
		--save-baseline crash --baseline-dir "$TMP/bl" "ok/add|crash/$name" \
		>"$TMP/c.txt" 2>"$TMP/err" || rc=$?
	[ $rc = $((128 + sig)) ] || fail "crash/$name: exit $rc, expected $((128 + sig)): $(cat "$TMP/err")"
	grep -q "benchmark 'crash/$name' crashed: signal $sig (.*); the run stops there, writing the results of the 1 benchmark that finished" \
		"$TMP/err" || fail "crash/$name: the message does not name the benchmark: $(cat "$TMP/err")"
	grep -q "not saving baseline '$TMP/bl/crash.json': the run did not finish" "$TMP/err" ||
		fail "crash/$name: no word about the baseline: $(cat "$TMP/err")"
	[ ! -e "$TMP/bl/crash.json" ] || fail "crash/$name: a partial run was saved as a baseline"
	grep -q "^ok/add" "$TMP/c.txt" || fail "crash/$name: the table lacks the finished benchmark"
	grep -q "^  failed: crashed: signal $sig" "$TMP/c.txt" ||
		fail "crash/$name: the table does not show the crash: $(cat "$TMP/c.txt")"
	[ "$(grep -c '^"' "$TMP/c.csv")" = 2 ] || fail "crash/$name: the CSV lacks rows"
	python3 - "$TMP/c.json" "$name" "$sig" <<'PY' || fail "crash/$name: wrong JSON"
import json, sys
a, c = json.load(open(sys.argv[1]))["benchmarks"]
assert a["id"] == "ok/add" and a["error"] is None and len(a["samples"]["iters"]) == 5, a
assert c["id"] == "crash/" + sys.argv[2], c
assert c["error"].startswith("crashed: signal %s " % sys.argv[3]), c["error"]
PY
done
[ -z "$(find "$TMP" -name '.c.*')" ] || fail "temporaries left after a crash"
ok "crashing benchmarks: named, finished results written, exit 128 + signal"

# 7. Item 6: a slow benchmark (0.2 s per iteration, a sleep) ends with fewer samples and a warning
#    instead of running 1275 iterations (over 4 minutes); an empty one gets a warning.
rc=0
timeout 120 "$BC" --aslr -w 0 -t 0.1 --resamples 100 --format none --json "$TMP/s.json" \
	'slow/sleep|empty/nothing' 2>"$TMP/err" || rc=$?
[ $rc = 0 ] || fail "the slow and empty benchmarks exited $rc: $(cat "$TMP/err")"
grep -q "warning: slow, only 3 samples fit in the measurement time" "$TMP/err" ||
	fail "no warning about the slow benchmark on stderr: $(cat "$TMP/err")"
grep -q "warning: the batches take about as long as reading the clock" "$TMP/err" ||
	fail "no warning about the empty benchmark on stderr: $(cat "$TMP/err")"
python3 - "$TMP/s.json" <<'PY' || fail "the JSON of the slow and empty benchmarks is wrong"
import json, sys
r = json.load(open(sys.argv[1]))
slow, empty = r["benchmarks"]
# 3 batches of 1, 2, 3 iterations: 0.2 s * 6 > 5 * 0.1 s already at 2 batches
assert slow["samples"]["iters"] == [1, 2, 3], slow["samples"]["iters"]
w = r["environment"]["warnings"]
assert any(x.startswith("slow/sleep: ") and "only 3 of 50 samples" in x for x in w), w
assert any(x.startswith("empty/nothing: ") and "nothing measurable" in x for x in w), w
assert len(empty["samples"]["iters"]) == 50
PY
ok "slow benchmark: 3 samples and a warning; empty benchmark: a warning"

# A hand-edited report whose samples and resamples (each within its range) would ask for hours of
# bootstrap: the comparison lowers the resamples and says how many it used.
python3 - "$SRCDIR/tests/data/bench-base.json" "$TMP/huge.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["config"]["resamples"] = 10000000
n = 100000
b = doc["benchmarks"][0]
b["samples"] = {"iters": [1000 * (1 + i % 50) for i in range(n)],
                "wall": [100.0 * 1000 * (1 + i % 50) for i in range(n)],
                "cpu": [98.0 * 1000 * (1 + i % 50) for i in range(n)]}
doc["benchmarks"] = [b]
json.dump(doc, open(sys.argv[2], "w"))
PY
rc=0
timeout 300 "$SCORCH" bench compare "$TMP/huge.json" "$TMP/huge.json" >"$TMP/huge.out" 2>&1 || rc=$?
[ "$rc" -ne 124 ] || fail "bench compare of a 10M-resample, 100k-sample report did not finish"
[ "$rc" -eq 0 ] || fail "bench compare of the huge report exited $rc: $(cat "$TMP/huge.out")"
grep -q "p from 2500 bootstrap resamples" "$TMP/huge.out" ||
	fail "the comparison does not say it lowered the resamples: $(head -3 "$TMP/huge.out")"
ok "bench compare bounds the bootstrap of a hand-edited report: $(sed -n 2p "$TMP/huge.out")"
