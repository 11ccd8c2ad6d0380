#!/usr/bin/env bash
# heap_gates.sh: scorch heap --fail-on on tests/programs/heap_basic.c, whose numbers are known:
# leaks 4192 B in 4 blocks, peak 106300 B, largest 10000 B, 22 allocations, 115448 B allocated.
# Gates are NAME>LIMIT or NAME>=LIMIT (src/heap/heap.h). A failed gate makes the status 3 and writes one line naming it on stderr; passing gates leave the
# program's own status; heap.json's "gates" records each gate, its value and limit. The limits are
# tried on both sides of each number (a gate fails when the value is above the limit, or reaches
# it with >=), with K, M and G meaning 1024, 1024^2 and 1024^3 (a trailing B or iB allowed). A bad expression is refused before the program runs, with
# an error naming the bad part.
. "$(dirname "$0")/heap_lib.sh"
make_tmp
basic=$(prog heap_basic)

# gates DIR RC EXPR PASSED FAILED: scorch heap --fail-on EXPR on heap_basic exits RC; the gates
# named in FAILED (space-separated) each have exactly one line on stderr; those in PASSED none
# saying they failed; heap.json's "gates" lists them all, in EXPR's order.
gates()
{
	local dir=$1 want=$2 expr=$3 passed=$4 failed=$5 g n json=""
	heap_run "$dir" --fail-on "$expr" -- "$basic"
	[ "$RC" -eq "$want" ] || fail "--fail-on '$expr': status $RC, expected $want: $(cat "$dir.log")"
	for g in $failed; do
		n=$(grep -cF -- "$g" "$dir.log")
		[ "$n" -eq 1 ] || fail "--fail-on '$expr': $n lines name the failed gate $g, expected 1: $(cat "$dir.log")"
	done
	for g in $passed; do
		if grep -F -- "$g" "$dir.log" | grep -qi 'fail\|exceed'; then
			fail "--fail-on '$expr': the passing gate $g is reported failed: $(cat "$dir.log")"
		fi
	done
	IFS=, read -ra all <<<"$expr"
	for g in "${all[@]}"; do
		[[ " $failed " == *" $g "* ]] && json+="\"$g\": true, " || json+="\"$g\": false, "
	done
	heap_need "$dir" heap.json
	heap_expect "$dir/heap.json" "{\"gates\": {${json%, }}, \"totals\": {\"leaked_bytes\": 4192}}"
	ok "--fail-on '$expr': status $RC"
}

gates "$TMP/issue" 3 'leaks>1K,peak>1G,largest>64M,count>1M' 'peak>1G largest>64M count>1M' 'leaks>1K'
gates "$TMP/at" 0 'leaks>4192,leaked_blocks>4,peak>106300,largest>10000,count>22,bytes>115448' \
	'leaks>4192 leaked_blocks>4 peak>106300 largest>10000 count>22 bytes>115448' ''
gates "$TMP/below" 3 'leaks>4191,leaked_blocks>3,peak>106299,largest>9999,count>21,bytes>115447' '' \
	'leaks>4191 leaked_blocks>3 peak>106299 largest>9999 count>21 bytes>115447'
gates "$TMP/units" 3 'leaks>4K,peak>104K,largest>9K,bytes>1M,count>1G' 'peak>104K bytes>1M count>1G' \
	'leaks>4K largest>9K'
gates "$TMP/units2" 3 'peak>103K,largest>10K' 'largest>10K' 'peak>103K'
gates "$TMP/ge" 3 'leaks>=4192,leaks>=4193,peak>=104KiB,largest>=10000B,count>=1M' \
	'leaks>=4193 peak>=104KiB count>=1M' 'leaks>=4192 largest>=10000B'

# The program's own status when every gate passes; 3 when one fails, whatever the program's.
heap_run "$TMP/own" --fail-on 'count>1M' -- "$(prog heap_dlopen)" /nonexistent/libheap_plugin.so
[ "$RC" -eq 1 ] || fail "gates passed, heap_dlopen exits 1, scorch heap exited $RC: $(cat "$TMP/own.log")"
ok "passing gates: the program's status (1)"
heap_run "$TMP/both" --fail-on 'count>0' -- "$(prog heap_dlopen)" /nonexistent/libheap_plugin.so
[ "$RC" -eq 3 ] || fail "a gate failed, heap_dlopen exits 1, scorch heap exited $RC: $(cat "$TMP/both.log")"
ok "a failed gate: 3 over the program's 1"

# Bad expressions: refused (status 1 or 2, not 3), naming the bad part, the program not run.
bad()
{
	local expr=$1 part=$2
	heap_run "$TMP/bad" --fail-on "$expr" -- "$basic"
	[ "$RC" -eq 1 ] || [ "$RC" -eq 2 ] || fail "--fail-on '$expr': status $RC, expected 1 or 2"
	grep -qF -- "$part" "$TMP/bad.log" || fail "--fail-on '$expr': the error does not name '$part': $(cat "$TMP/bad.log")"
	if grep -q "heap_basic: done" "$TMP/bad.out"; then
		fail "--fail-on '$expr': heap_basic ran"
	fi
	ok "--fail-on '$expr' refused: $(head -n1 "$TMP/bad.log")"
}
bad 'bogus>1K' bogus
bad 'leaks>1X' 1X
bad 'leaks>' 'leaks>'
bad 'leaks' leaks
bad 'leaks>1K,peak>>1G' 'peak>>1G'
bad 'leaks>-5' -5
