#!/usr/bin/env bash
# heap_leakkinds.sh: scorch heap's leak kinds (definitely / indirectly / possibly lost, still
# reachable: src/agent/heap_scan.c) on tests/programs/heap_leakkinds.c, whose comments give them
# by function, built with and without frame pointers:
#   keep_global 64 B reachable, lose_pointer 128 B definite, lose_list 32 B definite + 96 B in 3
#   blocks indirect, keep_interior 100 B possible, worker_hold 256 B reachable (a thread still running
#   at exit, the pointer on its stack), worker_drop_deep 48 B definite (copies of its address in the
#   dead part of that thread's stack do not count), and libc's thread vector: possible.
# The same kinds as valgrind's memcheck on the same program when valgrind is there. Also: the
# summary line, heap_basic's leaks (all definitely lost), --fail-on definite, no classification
# after _exit (and then the definite gate counts every leaked byte), and a program whose scorch
# was killed exits at once, unharmed.
. "$(dirname "$0")/heap_lib.sh"
make_tmp
KINDS_PY="$(cd "$(dirname "$0")" && pwd)/heap_kinds.py"
FUNCS=(keep_global lose_pointer lose_list keep_interior worker_hold worker_drop_deep)
WANT='keep_global reachable 64 1
keep_interior possible 100 1
lose_list definite 32 1
lose_list indirect 96 3
lose_pointer definite 128 1
other possible - 1
worker_drop_deep definite 48 1
worker_hold reachable 256 1'

kinds_of() # heapjson|memcheck FILE
{
	python3 "$KINDS_PY" "$1" "$2" "${FUNCS[@]}" || fail "cannot read the kinds of $2"
}

for name in heap_leakkinds heap_leakkinds_nofp; do
	prog_path=$(prog "$name")
	heap_run "$TMP/$name" -- "$prog_path"
	[ "$RC" -eq 0 ] || fail "$name: status $RC: $(cat "$TMP/$name.log")"
	heap_need "$TMP/$name" heap.json
	got=$(kinds_of heapjson "$TMP/$name/heap.json")
	[ "$got" = "$WANT" ] || fail "$name: the kinds by function are
$got
the program's are
$WANT"
	grep -q '^scorch heap: leaked: definitely lost 208B in 3 blocks, indirectly lost 96B in 3 blocks, possibly lost [0-9]*B in 2 blocks, still reachable 320B in 2 blocks$' "$TMP/$name.log" ||
		fail "$name: the summary does not give the kinds: $(cat "$TMP/$name.log")"
	heap_expect "$TMP/$name/heap.json" '{"totals": {"leaked_blocks": 10, "live_blocks": 10}}'
	ok "$name: every block's kind is the program's, the summary says them"
	for kv in definite:208 indirect:96 reachable:320; do
		"$SCORCH" report --format json --sample-type "${kv%%:*}_space" "$TMP/$name/heap.pb.gz" \
			>"$TMP/$name.${kv%%:*}.json" || fail "$name: heap.pb.gz has no ${kv%%:*}_space"
		python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["total"]; sys.exit(t != int(sys.argv[2]))' \
			"$TMP/$name.${kv%%:*}.json" "${kv#*:}" || fail "$name: heap.pb.gz's ${kv%%:*}_space total is not ${kv#*:}"
	done
	for root in '[definitely lost]' '[indirectly lost]' '[possibly lost]' '[still reachable]'; do
		grep -qF "$root" "$TMP/$name/leaks.html" || fail "$name: leaks.html has no $root frame"
	done
	ok "$name: heap.pb.gz's definite/indirect/reachable_space totals, leaks.html's kind frames"
done

# heap_basic (its comment: valgrind --leak-check=full says "definitely lost: 4,192 bytes in 4
# blocks", leak_big's and leak_small's): the copies of their addresses that the tracker, running on
# the program's stack, left below main's frame must not make them reachable.
heap_run "$TMP/basic" -- "$(prog heap_basic)"
grep -q '^scorch heap: leaked: definitely lost 4.09KiB in 4 blocks, indirectly lost 0 in 0 blocks, possibly lost 0 in 0 blocks, still reachable 0 in 0 blocks$' "$TMP/basic.log" ||
	fail "heap_basic: not 4192 B definitely lost in 4 blocks: $(grep leaked: "$TMP/basic.log")"
ok "heap_basic: 4192 B in 4 blocks definitely lost, as memcheck says"

if command -v valgrind >/dev/null; then
	valgrind --leak-check=full --show-leak-kinds=all "$(prog heap_leakkinds)" \
		>/dev/null 2>"$TMP/memcheck.log" || fail "valgrind failed: $(tail -5 "$TMP/memcheck.log")"
	vg=$(kinds_of memcheck "$TMP/memcheck.log")
	[ "$vg" = "$WANT" ] || fail "valgrind's memcheck says
$vg
scorch heap and the program say
$WANT"
	ok "valgrind's memcheck gives the same kinds by function"
else
	echo "note: valgrind is not installed: the comparison with memcheck is skipped"
fi

# --fail-on definite: the bytes definitely lost (208).
heap_run "$TMP/gate_at" --fail-on 'definite>208' -- "$(prog heap_leakkinds)"
[ "$RC" -eq 0 ] || fail "--fail-on definite>208: status $RC: $(cat "$TMP/gate_at.log")"
heap_run "$TMP/gate_over" --fail-on 'definite>207' -- "$(prog heap_leakkinds)"
[ "$RC" -eq 3 ] || fail "--fail-on definite>207: status $RC, expected 3"
grep -q 'gate failed: definite>207 (pid [0-9]*: definite is 208)' "$TMP/gate_over.log" ||
	fail "--fail-on definite>207: no line saying why: $(cat "$TMP/gate_over.log")"
ok "--fail-on definite>N compares the bytes definitely lost"

# _exit: no destructor runs, no scan: not classified, and the gate counts every leaked byte.
heap_run "$TMP/exit" --fail-on 'definite>1011' -- "$(prog heap_leakkinds)" _exit
[ "$RC" -eq 3 ] || fail "_exit with definite>1011: status $RC, expected 3: $(cat "$TMP/exit.log")"
grep -q 'leaks not classified' "$TMP/exit.log" || fail "_exit: the summary does not say the leaks are not classified"
python3 - "$TMP/exit/heap.json" <<'EOF' || fail "_exit: heap.json's kinds are wrong"
import json, sys
t = json.load(open(sys.argv[1]))["totals"]
assert t["classified"] is False, t
assert t["leak_kinds"]["unclassified"] == {"bytes": t["leaked_bytes"], "blocks": t["leaked_blocks"]}, t
assert t["leaked_blocks"] == 10, t
EOF
ok "_exit: leaks reported, not classified; the definite gate counts them all"

# scorch killed while the program runs: its exit must neither wait for the answer nor crash.
"$SCORCH" heap -q -o "$TMP/gone" -- sh -c '"$0" wait "$1"; echo $? >"$2"' "$(prog heap_leakkinds)" \
	"$TMP/go" "$TMP/gone.status" >"$TMP/gone.out" 2>"$TMP/gone.log" &
scorch_pid=$!
for _ in $(seq 600); do
	grep -q waiting "$TMP/gone.out" 2>/dev/null && break
	sleep 0.1
done
grep -q waiting "$TMP/gone.out" || fail "the program never started under scorch heap: $(cat "$TMP/gone.log")"
kill -KILL "$scorch_pid"
wait "$scorch_pid" 2>/dev/null
rm -f /dev/shm/scorch-agent-"$scorch_pid"-* "${TMPDIR:-/tmp}"/scorch-agent-"$scorch_pid"-*
touch "$TMP/go"
for _ in $(seq 600); do # a guard against a hang (60 s), not a timing check
	[ -s "$TMP/gone.status" ] && break
	sleep 0.1
done
[ -s "$TMP/gone.status" ] || fail "the program did not exit within 60 s of scorch's death"
[ "$(cat "$TMP/gone.status")" = 0 ] || fail "the program exited with $(cat "$TMP/gone.status") after scorch's death"
ok "scorch killed: the program still exits, with status 0"
