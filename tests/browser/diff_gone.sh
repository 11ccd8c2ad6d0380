#!/usr/bin/env bash
# diff_gone.sh: the differential flamegraph's missing code, in headless Chromium (diff_gone.test.js).
# Writes two folded profiles with known values (as tests/cli/diff_time.sh):
#
#   base (110): main;f 50  main;g 30  main;h 20  main;old 10
#   new   (65): main;f 10  main;g 30  main;h 20  main;fresh 5
#
# and the pages `scorch diff -o values.html` (values compared) and `--normalize -o shares.html`.
# Needs what run.sh needs (chromium, node, node_modules); skips with exit 77 and the reason.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SCORCH:?SCORCH must name the scorch executable}"
. "$here/lib.sh"
browser_setup diff_gone
set -e
printf 'main;f 50\nmain;g 30\nmain;h 20\nmain;old 10\n' >"$tmp/base.folded"
printf 'main;f 10\nmain;g 30\nmain;h 20\nmain;fresh 5\n' >"$tmp/new.folded"
"$SCORCH" diff -o "$tmp/values.html" "$tmp/base.folded" "$tmp/new.folded"
"$SCORCH" diff --normalize -o "$tmp/shares.html" "$tmp/base.folded" "$tmp/new.folded"
set +e
CHROMIUM="$CHROMIUM" node "$here/diff_gone.test.js" "$tmp"
