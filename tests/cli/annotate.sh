#!/usr/bin/env bash
# annotate.sh: `scorch report --annotate` and `--disasm` on a recording of tests/programs/loops.c
# put loops_a's samples on the source lines of its loop ("expect: loop a") and on the
# instructions those lines compile to (judged through the binary's line table, addr2line, not by
# exact instruction); loops_b's on the lines of the inlined loops_mix, under loops_mix.h. Then
# the errors: no match, bad regex, a format the views lack, the binary gone or replaced.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v addr2line >/dev/null || skip "addr2line (binutils) is not installed"
command -v objdump >/dev/null || skip "objdump (binutils) is not installed"
LOOPS=$(prog loops)
SRC="$SRCDIR/tests/programs"
record "$TMP/out" "$LOOPS" 0.6
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, loops exits 0"
P="$TMP/out/profile.pb.gz"
report_json "$P" >"$TMP/top.json"
at_least_samples "$TMP/top.json" 300

# The lines of FILE whose comment says "expect: WHAT", comma-separated.
marked() { grep -n "/\* expect: $2 \*/" "$1" | cut -d: -f1 | paste -sd, -; }
LOOP_A=$(marked "$SRC/loops.c" "loop a")
MIX=$(marked "$SRC/loops_mix.h" "mix")
[ -n "$LOOP_A" ] && [ -n "$MIX" ] || fail "no 'expect:' lines in loops.c / loops_mix.h"

# Sums the self% of the rows of an --annotate text for lines LINES of the block of FILE.
annotated()
{
	python3 - "$@" <<'PY'
import re, sys
path, fname, lines = sys.argv[1], sys.argv[2], {int(x) for x in sys.argv[3].split(",")}
block, total = None, 0.0
for row in open(path):
    m = re.match(r"^\S", row)
    if m:  # a function header: its own file is named there
        block = row
        continue
    if row.startswith("  inlined from "):
        block = row
        continue
    m = re.match(r"^ *([0-9.]+)% +[0-9.]+% +([0-9]+) ", row)
    if m and block and fname in block and int(m.group(2)) in lines:
        total += float(m.group(1))
print("%.1f" % total)
PY
}

"$SCORCH" report --annotate '^loops_a$' --sample-type samples "$P" >"$TMP/a.txt" ||
	fail "report --annotate loops_a failed"
head -1 "$TMP/a.txt" | grep -q "^loops_a  (.*tests/programs/loops.c:" ||
	fail "--annotate: the header does not name loops_a in loops.c: $(head -1 "$TMP/a.txt")"
grep -q "expect: loop a" "$TMP/a.txt" || fail "--annotate: loops.c's source text is not shown"
near "$(annotated "$TMP/a.txt" loops.c "$LOOP_A")" 100 5 "loops_a self on its loop's lines ($LOOP_A)"

"$SCORCH" report --annotate '^loops_b$' --sample-type samples "$P" >"$TMP/b.txt" ||
	fail "report --annotate loops_b failed"
grep -q "^  inlined from .*tests/programs/loops_mix.h:" "$TMP/b.txt" ||
	fail "--annotate loops_b: no block for the inlined loops_mix.h"
share=$(annotated "$TMP/b.txt" loops_mix.h "$MIX")
python3 -c "import sys; sys.exit(0 if $share >= 50 else 1)" ||
	fail "--annotate loops_b: only $share% on loops_mix.h's lines ($MIX)"
ok "loops_b: $share% of its samples on the inlined loops_mix.h lines"

# --disasm: the instructions with samples, through the line table, are the loop's.
"$SCORCH" report --disasm '^loops_a$' --sample-type samples "$P" >"$TMP/d.txt" ||
	fail "report --disasm loops_a failed"
grep -q "^loops_a  (.*loops, build-id [0-9a-f]*)" "$TMP/d.txt" ||
	fail "--disasm: the header does not name the binary and its build-id: $(head -1 "$TMP/d.txt")"
grep -q "^  loops_a \[0x" "$TMP/d.txt" || fail "--disasm: no code of the symbol loops_a"
disasm_on()
{
	python3 - "$@" <<'PY'
import re, subprocess, sys
path, binary, lines = sys.argv[1], sys.argv[2], {int(x) for x in sys.argv[3].split(",")}
rows = []
for row in open(path):
    m = re.match(r"^ +([0-9.]+)% +([0-9a-f]+):  ", row)
    if m:
        rows.append((float(m.group(1)), m.group(2)))
if not rows:
    sys.exit("no instruction has a share")
out = subprocess.run(["addr2line", "-e", binary] + ["0x" + a for _, a in rows],
                     capture_output=True, text=True, check=True).stdout.split("\n")
total = 0.0
for (pct, _), where in zip(rows, out):
    m = re.search(r"loops\.c:([0-9]+)", where)
    if m and int(m.group(1)) in lines:
        total += pct
print("%.1f" % total)
PY
}
near "$(disasm_on "$TMP/d.txt" "$LOOPS" "$LOOP_A")" 100 5 "loops_a self on instructions of lines $LOOP_A"

# Errors.
"$SCORCH" report --annotate '^nosuch$' "$P" >/dev/null 2>"$TMP/err" && fail "--annotate nosuch: exit 0"
grep -q "^scorch report: --annotate '^nosuch\$': no function with samples matches$" "$TMP/err" ||
	fail "--annotate nosuch: $(cat "$TMP/err")"
"$SCORCH" report --disasm 'a(' "$P" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] || fail "--disasm with a bad regex: not exit 2"
"$SCORCH" report --annotate loops_a --format json "$P" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "annotate has no json form" "$TMP/err" || fail "--annotate --format json: $(cat "$TMP/err")"
"$SCORCH" report --annotate loops_a --butterfly loops_a "$P" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] || fail "--annotate with --butterfly: not exit 2"
grep -q "^scorch report: --annotate is a view of its own" "$TMP/err" ||
	fail "--annotate with --butterfly: $(cat "$TMP/err")"
"$SCORCH" report --all -o "$TMP/set" --disasm loops_a "$P" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] || fail "--disasm with --all: not exit 2"
[ ! -e "$TMP/set" ] || fail "--disasm with --all created the folder"

# The binary gone, then replaced by another: --disasm says so (exit 1), --annotate still works.
cp "$LOOPS" "$TMP/loops-copy"
record "$TMP/out2" "$TMP/loops-copy" 0.2
rm "$TMP/loops-copy"
"$SCORCH" report --disasm '^loops_a$' "$TMP/out2/profile.pb.gz" >/dev/null 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && grep -q "cannot open the binary '.*loops-copy': No such file or directory" "$TMP/err" ||
	fail "--disasm with the binary gone: exit $rc, $(cat "$TMP/err")"
"$SCORCH" report --annotate '^loops_a$' "$TMP/out2/profile.pb.gz" >/dev/null ||
	fail "--annotate with the binary gone failed"
cp "$(prog hot)" "$TMP/loops-copy"
"$SCORCH" report --disasm '^loops_a$' "$TMP/out2/profile.pb.gz" >/dev/null 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && grep -q "loops-copy' is not the binary that ran: its build-id is" "$TMP/err" ||
	fail "--disasm with another binary in its place: exit $rc, $(cat "$TMP/err")"
ok "annotate: loops_a on its loop lines and instructions; errors for a gone or replaced binary"
