#!/usr/bin/env bash
# memgraph.sh: the demo workload (examples/memgraph) is reproducible, and scorch finds its hot
# paths. Two runs with the same seed print the same checksum, another seed a different one; a
# small profiled run shows cosine_similarity, spread_activation and apply_decay.
. "$(dirname "$0")/lib.sh"
make_tmp
mg="$BUILD/examples/memgraph/memgraph"
[ -x "$mg" ] || fail "memgraph is not built ($mg)"
small=(-n 2000 -e 10000 -w 48 -a 100 -q 100 -D 50)
a=$("$mg" -Q "${small[@]}") || fail "memgraph failed"
b=$("$mg" -Q "${small[@]}") || fail "memgraph failed"
c=$("$mg" -Q "${small[@]}" -s 7) || fail "memgraph failed"
[[ "$a" == "checksum: 0x"* ]] || fail "unexpected output: $a"
[ "$a" = "$b" ] || fail "two runs with seed 42 differ: $a / $b"
[ "$a" != "$c" ] || fail "seeds 42 and 7 give the same $a"
ok "memgraph is deterministic: $a"

require_perf
record "$TMP/out" "$mg" -Q -n 4000 -e 20000 -w 96 -a 300 -q 150 -D 300
[ "$RC" -eq 0 ] || fail "scorch record exited $RC, memgraph exits 0"
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
# Each of these has a few percent of the time (apply_decay the least, about 2-3%, memory-bound:
# its share moves with the cache pressure other programs put on the machine); at least 1% each.
for f in cosine_similarity spread_activation apply_decay embed_text; do
	s=$(pct "$TMP/top.json" "$f" self)
	python3 -c "import sys; sys.exit(0 if $s >= 1 else 1)" || fail "$f self is $s%, expected at least 1%"
	ok "$f self $s%"
done
