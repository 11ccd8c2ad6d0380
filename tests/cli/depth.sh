#!/usr/bin/env bash
# depth.sh: --depth and kernel.perf_event_max_stack (issue 8, item 15). tests/programs/deep.c
# samples under more than 300 frames. --depth 50 keeps exactly 50 frames per stack, silently;
# --depth 200 above the kernel's limit (127 by default) warns, naming the sysctl and how to raise
# it, and the stacks keep the limit's number of frames, which the warning states; that limit is
# the kernel's frame-pointer walk's (--call-graph fp): the default mode unwinds user stacks itself
# and keeps all 200.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf

limit=$(cat /proc/sys/kernel/perf_event_max_stack 2>/dev/null) || skip "no kernel.perf_event_max_stack"

# The most frames of any stack in a folded file.
max_frames()
{
	awk '{ n = split($1, f, ";"); if (n > m) m = n } END { print m + 0 }' "$1"
}

record "$TMP/d50" "$(prog deep)" 0.3
[ "$RC" -eq 0 ] || fail "scorch record exited $RC"
grep -q 'perf_event_max_stack' "$TMP/d50.log" && fail "a warning at the default depth: $(cat "$TMP/d50.log")"
RC=0
"$SCORCH" record -F 1000 --depth 50 -o "$TMP/d50" -- "$(prog deep)" 0.3 >"$TMP/d50.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || fail "scorch record --depth 50 exited $RC"
grep -q 'perf_event_max_stack' "$TMP/d50.log" && fail "a warning at --depth 50: $(cat "$TMP/d50.log")"
n=$(max_frames "$TMP/d50/stacks.folded")
[ "$n" -eq 50 ] || fail "--depth 50 kept $n frames"
ok "--depth 50: 50 frames, no warning"

RC=0
"$SCORCH" record -F 1000 --call-graph fp --depth 200 -o "$TMP/d200" -- "$(prog deep)" 0.3 >"$TMP/d200.log" 2>&1 ||
	RC=$?
[ "$RC" -eq 0 ] || fail "scorch record --depth 200 exited $RC"
n=$(max_frames "$TMP/d200/stacks.folded")
if [ "$limit" -lt 200 ]; then
	grep -q "stacks were cut at $limit frames, not --depth 200: kernel.perf_event_max_stack is $limit" \
		"$TMP/d200.log" || fail "no warning about the cut: $(cat "$TMP/d200.log")"
	grep -q "sysctl kernel.perf_event_max_stack=200" "$TMP/d200.log" ||
		fail "the warning does not say how to raise the limit"
	[ "$n" -le "$limit" ] && [ "$n" -ge $((limit - 2)) ] ||
		fail "--depth 200 under a limit of $limit kept $n frames"
	ok "--depth 200 over the limit $limit: warned, $n frames"
else
	grep -q 'perf_event_max_stack' "$TMP/d200.log" && fail "a warning under a limit of $limit"
	[ "$n" -eq 200 ] || fail "--depth 200 under a limit of $limit kept $n frames"
	ok "--depth 200 under the limit $limit: 200 frames, no warning"
fi

RC=0
"$SCORCH" record -F 1000 --depth 200 -o "$TMP/a200" -- "$(prog deep)" 0.3 >"$TMP/a200.log" 2>&1 ||
	RC=$?
[ "$RC" -eq 0 ] || fail "scorch record --depth 200 (auto) exited $RC"
grep -q 'perf_event_max_stack' "$TMP/a200.log" && fail "a warning in auto mode: $(cat "$TMP/a200.log")"
n=$(max_frames "$TMP/a200/stacks.folded")
[ "$n" -eq 200 ] || fail "--depth 200 in auto mode kept $n frames"
ok "--depth 200, --call-graph auto: 200 frames, no warning"

# A shallow program recorded with a --depth above the limit loses nothing: no warning.
"$SCORCH" record -q --call-graph fp --depth 1000 -o "$TMP/shallow" -- "$(prog hot)" >/dev/null 2>"$TMP/shallow.log" ||
	fail "record --depth 1000 of hot failed: $(cat "$TMP/shallow.log")"
if grep -q 'perf_event_max_stack' "$TMP/shallow.log"; then
	fail "a warning about cut stacks though no stack was deep: $(cat "$TMP/shallow.log")"
fi
ok "--call-graph fp --depth 1000 on a shallow program: no warning"
