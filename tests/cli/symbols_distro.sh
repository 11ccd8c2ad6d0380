#!/usr/bin/env bash
# symbols_distro.sh: a distribution's stripped library, as users meet it. xz -9 spends nearly all
# its time in liblzma, which Debian ships stripped (names only for its exported functions; the
# internals are in liblzma5-dbgsym). Expected: the summary says that most of liblzma's samples
# have no symbol because it is stripped, and liblzma shows as a few dozen rows at most (one per
# function its .eh_frame bounds), not hundreds of one-address rows.
# Skips without xz, when liblzma is not stripped here, or when its debug file is installed.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
command -v xz >/dev/null || skip "xz is not installed"
command -v readelf >/dev/null || skip "needs binutils' readelf to look at liblzma"
lib=$(ldd "$(command -v xz)" 2>/dev/null | grep -o '/[^ ]*liblzma[^ ]*' | head -1)
[ -n "$lib" ] || skip "xz is not linked with a shared liblzma"
readelf -S "$lib" | grep -q '\.symtab' && skip "$lib has a symbol table here"
id=$(readelf -n "$lib" | sed -n 's/.*Build ID: *//p')
[ -n "$id" ] && [ -e "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" ] &&
	skip "the debug file of $lib is installed"

# 2.5 MB of text that compresses neither too well nor too badly, the same on every run
python3 -c '
import random, sys
r = random.Random(9)
words = ["".join(r.choice("abcdefghijklmnop") for _ in range(r.randint(2, 9))) for _ in range(5000)]
sys.stdout.write(" ".join(r.choice(words) for _ in range(450000)))' >"$TMP/in.txt"
record "$TMP/out" xz -9 -k -f "$TMP/in.txt"
[ "$RC" -eq 0 ] || fail "scorch record exited $RC"
base=$(basename "$(readlink -f "$lib")")
grep -q "^scorch record:   [0-9]*% of samples in $base have no symbol (stripped: " "$TMP/out.log" ||
	fail "the summary does not say that $base is stripped: $(head -4 "$TMP/out.log")"
ok "summary: $(grep -m1 "samples in $base" "$TMP/out.log" | cut -c1-80)..."
report_json "$TMP/out/profile.pb.gz" >"$TMP/top.json"
rows=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for r in d["by_total"] if r.get("module") == sys.argv[2]))' "$TMP/top.json" "$base") ||
	fail "cannot read $TMP/top.json"
[ "$rows" -le 40 ] || fail "$rows rows for $base, expected one per hot function (at most 40)"
ok "$base shows as $rows rows"
