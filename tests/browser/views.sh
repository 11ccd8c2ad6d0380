#!/usr/bin/env bash
# views.sh: the flamegraph page's timeline, sandwich, source panel and the note of a page too big
# to draw every frame, in headless Chromium (views.test.js). Writes:
#
#   views.html  from views.txt (a crafted pprof profile with times, thread names and lines; its
#               comment gives the known answers), with app.c generated so its source is readable
#   phases/     scorch record of tests/programs/phases (when perf sampling is allowed)
#   huge.html   from 250,000 distinct stacks (more than the 200,000 frames above which the page
#               drops frames narrower than a pixel); huge.expected holds mod0_fn's share
#
# and checks that the folded output of the huge profile keeps every stack.
# Needs what run.sh needs (chromium, node, node_modules); skips with exit 77 and the reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SCORCH:?SCORCH must name the scorch executable}"
: "${SRCDIR:=$(cd "$here/../.." && pwd)}"
. "$here/lib.sh"
browser_setup views
set -e
for i in $(seq 1 70); do echo "/* app.c line $i */"; done >"$tmp/app.c"
sed "s#SRC#$tmp/app.c#" "$here/views.txt" >"$tmp/views.txt"
python3 "$SRCDIR/tests/data/views/mkpprof.py" "$tmp/views.txt" "$tmp/views.pb"
"$SCORCH" report --format html -o "$tmp/views.html" "$tmp/views.pb"
python3 - "$tmp/huge.folded" "$tmp/huge.expected" <<'PY'
import sys
# 250,000 distinct stacks: 100 x 100 x 25 paths under main, counts 1..7.
total = mod0 = 0
with open(sys.argv[1], "w") as f:
    for i in range(100):
        for j in range(100):
            for k in range(25):
                n = 1 + (i + j + k) % 7
                total += n
                mod0 += n if i == 0 else 0
                f.write("main;mod%d_fn;mid%d_%d;leaf%d_%d_%d %d\n" % (i, i, j, i, j, k, n))
with open(sys.argv[2], "w") as f:
    f.write("%.2f%%\n" % (100.0 * mod0 / total))
PY
"$SCORCH" report --format html -o "$tmp/huge.html" "$tmp/huge.folded"
"$SCORCH" report --format folded -o "$tmp/huge.out.folded" "$tmp/huge.folded"
set +e
# A real recording when perf sampling is allowed here: the page scorch record writes for
# tests/programs/phases (phase_one, then phase_two, on a thread named worker).
if [ -x "${PHASES:-}" ] &&
	"$SCORCH" record -F 1000 -o "$tmp/phases" -- "$PHASES" 0.4 >"$tmp/phases.log" 2>&1; then
	:
else
	echo "note: no recording of phases (scorch record failed or PHASES unset); skipping its checks"
	sed 's/^/  | /' "$tmp/phases.log" 2>/dev/null | tail -3
fi
stacks=$(wc -l <"$tmp/huge.out.folded")
if [ "$stacks" -ne 250000 ]; then
	echo "FAIL: the folded output of the huge profile has $stacks stacks, not 250000"
	exit 1
fi
echo "ok: the folded output of the huge profile keeps its 250000 stacks"
CHROMIUM="$CHROMIUM" node "$here/views.test.js" "$tmp"
