#!/usr/bin/env bash
# python_stacks.sh: a distribution binary without frame pointers (issue 9). Debian's python3
# (built -O2 without frame pointers, stripped, its libpython's exported names only) runs a short
# loop; in the default mode (--call-graph auto) its entry Py_RunMain (exported; or main, when
# debug symbols are installed) must be on at least 90% of the stacks. In fp mode it was on none.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
py=
for c in /usr/bin/python3 /bin/python3; do
	[ -x "$c" ] && { py=$c; break; }
done
[ -n "$py" ] || skip "no /usr/bin/python3 (Debian's python3 package)"
RC=0
"$SCORCH" record -F 1000 -o "$TMP/py" -- "$py" -c '
import json
for i in range(80000):
    json.dumps({"a": [1, 2, 3] * 10, "b": str(i)})
' >"$TMP/py.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || { sed 's/^/  | /' "$TMP/py.log" >&2; fail "scorch record python3 exited $RC"; }
f="$TMP/py/stacks.folded"
[ -s "$f" ] || fail "no stacks.folded"
share=$(python3 - "$f" <<'PY'
import sys
hit = total = 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip("\n").rpartition(" ")
    total += int(n)
    frames = stack.split(";")
    if "Py_RunMain" in frames or "main" in frames:
        hit += int(n)
print("%.2f" % (100.0 * hit / total if total else 0))
PY
)
python3 -c "import sys; sys.exit(0 if $share >= 90 else 1)" ||
	fail "Py_RunMain or main on $share% of the stacks, expected >= 90% ($(head -3 "$TMP/py.log"))"
ok "Py_RunMain or main on $share% of python3's stacks"
