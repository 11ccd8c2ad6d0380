#!/usr/bin/env bash
# hostile_names.sh: frame, module and file names are bytes from a file or the profiled program
# (issue 8, item 7). Every JSON output (views, speedscope, chrome, hotspots.json, diff, the JSON
# inside the html pages) must be valid UTF-8 whatever the names hold; every text output (the
# terminal tables, summary.txt, report.md, diff text and its --fail-above message) must carry no
# control character (ESC sequences, other C0 and C1 controls, DEL, CR, newlines inside a name)
# and no ill-formed UTF-8; report.md's tables must keep their columns.
. "$(dirname "$0")/lib.sh"
make_tmp

# Names with ill-formed UTF-8 (a stray 0xff 0xfe, a surrogate), ESC[31m, a raw C1 CSI byte and an
# encoded one (U+009B), DEL and CR, and Markdown's | and backtick; folded, and perf script text
# with times (for chrome) whose module and command names are as bad.
python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
names = [b"bad\xff\xfe", b"esc\x1b[31mred\x1b[0m", b"c1\x9b2J\xc2\x9bx", b"del\x7f\rcr",
         b"pipe|tick`<b>x</b>", b"sur\xed\xa0\x80"]
folded = b"".join(b"main;" + n + b";leaf\x1b]0;t\x07 %d\n" % (i + 1) for i, n in enumerate(names))
open(d + "/evil.folded", "wb").write(folded)
open(d + "/base.folded", "wb").write(b"main;leaf\x1b]0;t\x07 1\nmain;other 50\n")
ps = b""
for i, n in enumerate(names * 3):
    ps += b"pr\x1bog 100/101 [000]  %.9f:    1000000 cpu-clock: \n" % (2139.6 + i * 0.001)
    ps += b"\t            1314 " + n + b"+0x24 (/usr/lib/li\x1b[2Jb\xff|`.so)\n"
    ps += b"\t            1000 main+0x10 (/usr/bin/app)\n\n"
open(d + "/evil.txt", "wb").write(ps)
PY

run()
{
	local out=$1
	shift
	"$SCORCH" "$@" >"$out" 2>"$out.err" || fail "scorch $* failed: $(cat -v "$out.err")"
}

for in in evil.folded evil.txt; do
	s="$TMP/$in"
	o="$TMP/out-$in"
	run "$o.top.txt" report "$s"
	run "$o.top.json" report --format json "$s"
	run "$o.line.txt" report --by line "$s"
	run "$o.line.json" report --by line --format json "$s"
	run "$o.mod.txt" report --modules "$s"
	run "$o.mod.json" report --modules --format json "$s"
	run "$o.grp.txt" report --group 'e=esc|del' "$s"
	run "$o.grp.json" report --group 'e=esc|del' --format json "$s"
	run "$o.bf.txt" report --butterfly main "$s"
	run "$o.bf.json" report --butterfly main --format json "$s"
	run "$o.bf.html" report --butterfly main --format html "$s"
	run "$o.fg.html" report --format html "$s"
	run "$o.speedscope.json" report --format speedscope "$s"
	run "$o.diff.txt" diff "$TMP/base.folded" "$s"
	run "$o.diff.json" diff --format json "$TMP/base.folded" "$s"
	run "$o.diff.html" diff --format html "$TMP/base.folded" "$s"
	"$SCORCH" report --all --group 'p|q`r=esc' -o "$o.set" "$s" >/dev/null 2>&1 ||
		fail "report --all $in failed"
done
run "$TMP/out-evil.txt.chrome.json" report --format chrome "$TMP/evil.txt"
# The --fail-above message names the function that grew: a text output too.
rc=0
"$SCORCH" diff --fail-above 1 "$TMP/base.folded" "$TMP/evil.folded" >/dev/null \
	2>"$TMP/out-failabove.txt" || rc=$?
[ "$rc" -eq 3 ] || fail "diff --fail-above 1 exited $rc, expected 3"

python3 - "$TMP" <<'PY' || fail "a hostile name reached an output raw (see above)"
import glob, json, os, re, sys
d = sys.argv[1]
bad = []
files = sorted(glob.glob(d + "/out-*"))
files += sorted(glob.glob(d + "/out-*.set/*"))
for path in files:
    if os.path.isdir(path):
        continue
    name = os.path.relpath(path, d)
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")  # strict: ill-formed UTF-8 raises
    except UnicodeDecodeError as e:
        bad.append("%s: not valid UTF-8: %s" % (name, e))
        continue
    if path.endswith(".json"):
        try:
            json.loads(text)
        except ValueError as e:
            bad.append("%s: not JSON: %s" % (name, e))
    if path.endswith(".html"):
        continue  # html: names are JSON inside <script> or escaped text; UTF-8 checked above
    ctl = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
    if ctl:
        bad.append("%s: control characters %r" % (name, sorted(set(ctl))))
    if path.endswith("report.md"):
        for line in text.splitlines():
            if line.startswith("|"):
                cells = len(re.findall(r"(?<!\\)\|", line))
                if cells != 3 and cells != 5:
                    bad.append("%s: table row broken: %r" % (name, line))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
grep -qF 'esc\x1b[31mred\x1b[0m' "$TMP/out-evil.folded.top.txt" || fail "the text table does not show ESC as \\x1b"
ok "every output of report and diff is valid UTF-8 and carries no control character"

# bench compare: benchmark ids from a report file are shown escaped too.
python3 - "$SRCDIR/tests/data/bench-base.json" "$TMP/hostile-bench.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["benchmarks"][0]["id"] = "ok/\x1b[31mRED\x1b]0;T\x07\nsplit"
json.dump(doc, open(sys.argv[2], "w"))
PY
"$SCORCH" bench compare "$TMP/hostile-bench.json" "$TMP/hostile-bench.json" >"$TMP/out-bench.txt" ||
	fail "bench compare of a report with a hostile id failed"
if LC_ALL=C grep -q "$(printf '\033')" "$TMP/out-bench.txt"; then
	fail "bench compare printed an ESC from a benchmark id"
fi
grep -qF 'ok/\x1b[31mRED\x1b]0;T\x07\x0asplit' "$TMP/out-bench.txt" ||
	fail "bench compare does not show the id escaped: $(cat "$TMP/out-bench.txt")"
ok "bench compare shows benchmark ids escaped"

# Error messages quote what they were given (a file name here) escaped as well.
"$SCORCH" report "$TMP/evil$(printf '\033')]0;PWN$(printf '\007')name" >/dev/null 2>"$TMP/out-err.txt" &&
	fail "report of a missing file succeeded"
if LC_ALL=C grep -q "$(printf '\033')" "$TMP/out-err.txt"; then
	fail "an error message printed an ESC from a file name"
fi
grep -qF 'evil\x1b]0;PWN\x07name' "$TMP/out-err.txt" || fail "the file name is not shown escaped: $(cat -v "$TMP/out-err.txt")"
ok "error messages show file names escaped"
