#!/usr/bin/env bash
# heap_churn.sh: scorch heap on tests/programs/heap_churn.c, hundreds of thousands of mixed
# malloc/calloc/realloc/free from call paths 2 to 20 deep, which writes its own count of what it
# asked for. scorch heap's totals must be exactly those: in one thread allocs, bytes, reallocs,
# frees and the peak; in two threads (the peak then depends on the interleaving) allocs, bytes,
# reallocs and frees of the program's blocks (every one is freed: libc's thread vectors, never
# freed, are the only other blocks). Stacks are cut at --depth frames (16 by default): the deepest
# paths must have exactly 16; with --depth 32 every stack reaches main.
. "$(dirname "$0")/heap_lib.sh"
make_tmp
churn=$(prog heap_churn)

# known LINE: the program's line as heap_check.py totals (no peak with several threads).
known()
{
	local threads allocs bytes reallocs frees temporary peak
	read -r _ _ threads _ allocs _ bytes _ reallocs _ frees _ temporary _ peak <<<"$1"
	[ -n "$peak" ] || fail "heap_churn wrote no known answer: '$1'"
	if [ "$threads" -eq 1 ]; then
		echo "\"allocs\": $allocs, \"bytes_allocated\": $bytes, \"reallocs\": $reallocs," \
			"\"frees\": $frees, \"bytes_freed\": $bytes, \"peak_bytes\": $peak," \
			"\"leaked_blocks\": 0, \"leaked_bytes\": 0, \"frees_unknown\": 0," \
			"\"temporary\": $temporary"
	else
		echo "\"frees\": $frees, \"bytes_freed\": $bytes, \"reallocs\": $reallocs," \
			"\"frees_unknown\": 0, \"replaced_blocks\": 0, \"temporary\": $temporary"
	fi
}

heap_run "$TMP/one" -- "$churn" 0.3
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_churn 0.3 exited $RC: $(cat "$TMP/one.log")"
line=$(grep '^heap_churn:' "$TMP/one.out")
heap_need "$TMP/one" heap.json
heap_expect "$TMP/one/heap.json" "{\"totals\": {$(known "$line")},
	\"min_depth\": {\"descend_a\": 16}, \"max_frames\": 16}"
ok "one thread: $line"

heap_run "$TMP/deep" --depth 32 -- "$churn" 0.05
[ "$RC" -eq 0 ] || fail "scorch heap --depth 32 -- heap_churn exited $RC: $(cat "$TMP/deep.log")"
line=$(grep '^heap_churn:' "$TMP/deep.out")
heap_need "$TMP/deep" heap.json
python3 - "$TMP/deep/heap.json" <<'PY' || fail "with --depth 32, stacks are cut short"
import json, sys
doc = json.load(open(sys.argv[1]))
short = [s["stack"] for s in doc["sites"] if "main" not in s["stack"]]
if short:
    sys.exit("sites not reaching main: %s" % ";".join(reversed(short[0])))
deepest = max(len(s["stack"]) for s in doc["sites"])
if deepest < 22:
    sys.exit("the deepest stack has %d frames, the 20-deep path needs 22 or more" % deepest)
print("ok: --depth 32: every site reaches main, the deepest has %d frames" % deepest)
PY
heap_expect "$TMP/deep/heap.json" "{\"totals\": {$(known "$line")}}"

heap_run "$TMP/two" -- "$churn" 0.3 2
[ "$RC" -eq 0 ] || fail "scorch heap -- heap_churn 0.3 2 exited $RC: $(cat "$TMP/two.log")"
line=$(grep '^heap_churn:' "$TMP/two.out")
heap_need "$TMP/two" heap.json
heap_expect "$TMP/two/heap.json" "{\"totals\": {$(known "$line")}}"
ok "two threads: $line"
