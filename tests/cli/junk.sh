#!/usr/bin/env bash
# junk.sh: junk hygiene of --call-graph fp on code without frame pointers (issue 9). In
# tests/programs/nofp.c, by_key keeps %rbp pointing at text on the stack, as code built without
# frame pointers keeps data there, so the kernel's frame-pointer walk reads "89:;<=>?"
# (0x3f3e3d3c3b3a3938) as a return address. The stack must end before it: no root (and no frame)
# that is [unknown] or a raw address, and the summary counts the cut stacks and names the module
# below which they were cut.
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
RC=0
"$SCORCH" record -F 1000 --call-graph fp -o "$TMP/fp" -- "$(prog nofp)" 2 >"$TMP/fp.log" 2>&1 || RC=$?
[ "$RC" -eq 0 ] || { sed 's/^/  | /' "$TMP/fp.log" >&2; fail "scorch record --call-graph fp exited $RC"; }
f="$TMP/fp/stacks.folded"
[ -s "$f" ] || fail "no stacks.folded"
junk=$(grep -E '(^|;)(\[unknown\]|0x[0-9a-f]+|\?)( |;)' "$f" | head -3)
[ -z "$junk" ] || fail "junk frames in the stacks: $junk"
ok "no [unknown] or raw-address frames"
roots=$(cut -d' ' -f1 "$f" | cut -d';' -f1 | sort -u | tr '\n' ' ')
grep -qE '3f3e3d3c3b3a393' "$f" && fail "the junk return address is in the stacks"
line=$(grep 'were cut at an address no mapping holds' "$TMP/fp.log") ||
	fail "no summary line about cut stacks: $(cat "$TMP/fp.log")"
grep -qE '^scorch record: [0-9]+ of [0-9]+ stacks \([0-9.]+%\) were cut at an address no mapping holds, below libc\.so\.6 \(frame pointers missing: try --call-graph dwarf\)$' <<<"$line" ||
	fail "unexpected summary line: $line"
cut_n=$(sed -E 's/^scorch record: ([0-9]+) of.*/\1/' <<<"$line")
by_key=$(folded_share "$f" by_key leaf)
[ "$cut_n" -gt 0 ] || fail "0 stacks cut"
ok "summary: $line (roots: $roots; by_key leaf on $by_key%)"
