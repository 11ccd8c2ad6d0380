#!/usr/bin/env bash
# trace_errors.sh: scorch trace's refusals and warnings.
#   - a command that does not link libscorch: "no trace events: does CMD link libscorch", exit 1,
#     and no output folder left behind;
#   - a command that cannot be found: exit 127; bad --buffer: exit 2, the flag named;
#   - more threads at once than --rings: the events lost counted apart, --rings named;
#   - events lost: trace_known many (2000 spans in a burst) with --buffer 4K says how many and
#     to raise --buffer, and spans.json counts them; with the default buffer none is lost and the
#     count is exact.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
P=$(prog trace_known)

"$SCORCH" trace -o "$TMP/none" -- /bin/true >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 1 ] || fail "a command without libscorch: exit $rc, want 1"
grep -q 'no trace events: does /bin/true link libscorch' "$TMP/err" || fail "message: $(cat "$TMP/err")"
[ ! -e "$TMP/none" ] || fail "an empty output folder was left behind"
ok "a command without libscorch is named"

"$SCORCH" trace -o "$TMP/nf" -- "$TMP/no-such-program" 2>"$TMP/err"
rc=$?
[ "$rc" = 127 ] || fail "a missing command: exit $rc, want 127"
grep -q "cannot run" "$TMP/err" || fail "message: $(cat "$TMP/err")"

for b in 0 1K 2G x 4Q; do
	"$SCORCH" trace --buffer "$b" -- "$P" 2>"$TMP/err"
	rc=$?
	[ "$rc" = 2 ] || fail "--buffer $b: exit $rc, want 2"
	grep -q -- "--buffer" "$TMP/err" || fail "--buffer $b: $(cat "$TMP/err")"
done
"$SCORCH" trace 2>"$TMP/err"
[ $? = 2 ] || fail "no command: want exit 2"
ok "bad options are refused"

"$SCORCH" trace -q --buffer 4K -o "$TMP/lost" -- "$P" many 2>"$TMP/err" || fail "scorch trace failed: $(cat "$TMP/err")"
grep -qE '^scorch trace: [0-9]+ events lost .*bigger --buffer \(now 4K per thread\)' "$TMP/err" ||
	fail "no word of lost events: $(cat "$TMP/err")"
lost=$(grep -o '"lost_events":[0-9]*' "$TMP/lost/spans.json" | cut -d: -f2)
[ "${lost:-0}" -gt 0 ] || fail "spans.json counts no lost event"
n=$(grep -oE '"name":"tiny","async":false[^}]*"count":[0-9]+' "$TMP/lost/spans.json" | grep -oE '[0-9]+$')
[ "${n:-0}" -lt 2000 ] || fail "2000 spans kept in a 4K ring?"
"$SCORCH" trace -q -o "$TMP/all" -- "$P" many 2>"$TMP/err" || fail "scorch trace failed"
grep -q 'lost' "$TMP/err" && fail "events lost with the default buffer: $(cat "$TMP/err")"
grep -q '"name":"tiny","async":false[^}]*"count":2000,' "$TMP/all/spans.json" || fail "not 2000 tiny spans"
grep -q '"lost_events":0,' "$TMP/all/spans.json" || fail "lost_events is not 0"
ok "lost events are counted and explained"

# More threads at once than rings: their events are lost, counted apart, and --rings named.
"$SCORCH" trace -q --rings 4 -o "$TMP/rings" -- "$P" threads 8 2>"$TMP/err" || fail "scorch trace failed"
grep -q 'events lost by threads that found no free ring (more than 4 threads at once): rerun with more --rings' "$TMP/err" ||
	fail "no word of threads without a ring: $(cat "$TMP/err")"
grep -q 'bigger --buffer' "$TMP/err" && fail "--buffer advised for threads without a ring"
grep -q '"name":"t","async":false[^}]*"count":[1-4],' "$TMP/rings/spans.json" || fail "more spans than rings?"
"$SCORCH" trace -q --rings 16 -o "$TMP/rings16" -- "$P" threads 8 2>"$TMP/err" || fail "scorch trace failed"
grep -q 'lost' "$TMP/err" && fail "events lost with 16 rings for 8 threads: $(cat "$TMP/err")"
grep -q '"name":"t","async":false[^}]*"count":8,' "$TMP/rings16/spans.json" || fail "not 8 spans with 16 rings"
"$SCORCH" trace --rings 0 -- "$P" 2>/dev/null
[ $? = 2 ] || fail "--rings 0 accepted"
ok "threads without a ring are counted and --rings named"
