#!/usr/bin/env bash
# run.sh: the browser suite. Writes scorch's pages from known profiles with the real scorch binary
# and checks them in headless Chromium (pages.test.js):
#
#   flamegraph.html  scorch report --format html profile.folded
#   diff.html        scorch diff --normalize -o diff.html tests/data/diff/{base,new}.folded
#   set/             scorch report --all -o set profile.folded (butterfly.html); while `report`
#                    lacks --all, the write_pages helper writes the same set
#   big.html         100,000 distinct stacks (generated here), to check the page stays usable
#   many/            scorch report --all (its default --top 10) of 30 functions, one with a
#                    300-character C++ name: the butterfly's side bar lists them all, wrapped
#
# Needs /usr/bin/chromium (apt-get install chromium; CHROMIUM=PATH overrides), node, and
# node_modules (npm ci in tests/browser); skips with exit 77 and the reason when one is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SCORCH:?SCORCH must name the scorch executable}"
: "${BUILD:?BUILD must name the build directory}"
: "${SRCDIR:=$(cd "$here/../.." && pwd)}"
. "$here/lib.sh"
browser_setup browser
set -e
"$SCORCH" report --format html -o "$tmp/flamegraph.html" "$here/profile.folded"
"$SCORCH" diff --normalize -o "$tmp/diff.html" "$SRCDIR/tests/data/diff/base.folded" \
	"$SRCDIR/tests/data/diff/new.folded"
if ! "$SCORCH" report --all -o "$tmp/set" "$here/profile.folded" >/dev/null 2>&1; then
	echo "note: scorch report --all is not available; the report set comes from write_pages"
	"$BUILD/tests/browser/write_pages" "$here/profile.folded" "$tmp/set"
fi
python3 - "$tmp/big.folded" "$tmp/big.expected" <<'PY'
import sys
# 100,000 distinct stacks: 100 x 100 x 10 paths under main, counts 1..7; big.expected holds the
# share of mod0_fn (what a search for it must report).
total = mod0 = 0
with open(sys.argv[1], "w") as f:
    for i in range(100):
        for j in range(100):
            for k in range(10):
                n = 1 + (i + j + k) % 7
                total += n
                mod0 += n if i == 0 else 0
                f.write("main;mod%d_fn;mid%d_%d;leaf%d_%d_%d %d\n" % (i, i, j, i, j, k, n))
with open(sys.argv[2], "w") as f:
    f.write("%.2f%%\n" % (100.0 * mod0 / total))
PY
"$SCORCH" report --format html -o "$tmp/big.html" "$tmp/big.folded"
# 30 functions under main, one a 300-character C++ name, for the butterfly's side bar.
{
	for i in $(seq 1 29); do echo "main;fn$i $i"; done
	printf 'main;ns::Matrix<std::vector<std::pair<int, double>>>::%s(int) 7\n' \
		"$(printf 'multiply_and_accumulate_%.0s' $(seq 1 11))"
} >"$tmp/many.folded"
"$SCORCH" report --all -o "$tmp/many" "$tmp/many.folded" >/dev/null
set +e
CHROMIUM="$CHROMIUM" node "$here/pages.test.js" "$tmp"
