#!/usr/bin/env bash
# callgraph.sh: --call-graph dwarf and auto on code without frame pointers (issue 9).
# tests/programs/nofp.c (-O2 -fomit-frame-pointer) spends nearly all its time in by_key, a qsort
# callback called from libc's sort, called from sort_alpha (2/3 of the work) and sort_beta (1/3).
# Both modes must find those callers under main: main;sort_alpha 66.7% and main;sort_beta 33.3%
# (within 10 points), by_key on ~100% of the stacks, and no stack cut at junk. Also: the option's
# errors, and that the recorded profile holds no stack copies (it stays small).
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
nofp=$(prog nofp)

# rec DIR ARGS...: scorch record -F 1000 ARGS -o DIR -- nofp 2; sets RC, logs to DIR.log.
rec()
{
	local dir=$1
	shift
	RC=0
	"$SCORCH" record -F 1000 "$@" -o "$dir" -- "$nofp" 2 >"$dir.log" 2>&1 || RC=$?
	[ "$RC" -eq 0 ] || { sed 's/^/  | /' "$dir.log" >&2; fail "scorch record $* exited $RC"; }
	[ -s "$dir/stacks.folded" ] || fail "scorch record $* wrote no stacks.folded"
}

for mode in auto dwarf; do
	rec "$TMP/$mode" --call-graph "$mode"
	f="$TMP/$mode/stacks.folded"
	near "$(folded_share "$f" 'main;sort_alpha')" 66.7 10 "$mode: main;sort_alpha"
	near "$(folded_share "$f" 'main;sort_beta')" 33.3 10 "$mode: main;sort_beta"
	near "$(folded_share "$f" 'by_key')" 100 5 "$mode: by_key on the stacks"
	near "$(folded_share "$f" 'main')" 100 5 "$mode: main on the stacks"
	grep -q 'were cut at an address no mapping holds' "$TMP/$mode.log" &&
		fail "$mode: stacks were cut: $(grep 'were cut' "$TMP/$mode.log")"
	ok "$mode: no stack cut"
done

# -g is perf's spelling of the default; dwarf,SIZE and --stack-size set the copy's size.
rec "$TMP/g" -g
near "$(folded_share "$TMP/g/stacks.folded" 'main;sort_alpha')" 66.7 10 "-g: main;sort_alpha"
rec "$TMP/small" --call-graph dwarf,64
grep -q 'were truncated at the end of the 64-byte stack copy: raise --stack-size' "$TMP/small.log" ||
	fail "a 64-byte copy truncates stacks and says so: $(cat "$TMP/small.log")"
ok "dwarf,64: truncated stacks counted"
# No stack copies in the profile: far below 16 KiB a sample.
size=$(stat -c %s "$TMP/dwarf/profile.pb.gz")
[ "$size" -lt 200000 ] || fail "profile.pb.gz of the dwarf recording is $size bytes"
ok "dwarf profile: $size bytes"

# Errors: named, exit status 2, nothing run.
refused()
{
	local want=$1
	shift
	local out rc=0
	out=$("$SCORCH" record -o "$TMP/never" "$@" -- true 2>&1) || rc=$?
	[ "$rc" -eq 2 ] || fail "scorch record $* exited $rc, not 2"
	grep -qF -- "$want" <<<"$out" || fail "scorch record $*: expected '$want', got: $out"
	[ -e "$TMP/never" ] && fail "scorch record $* created its output folder"
	ok "refused: $*"
}
refused "--call-graph must be fp, dwarf or auto" --call-graph lbr
refused "the stack size after the comma must be a whole number of bytes between 8 and 65528" \
	--call-graph dwarf,70000
refused "only dwarf and auto take one" --call-graph fp,4096
refused "--stack-size is for --call-graph dwarf and auto" --call-graph fp --stack-size 4096
refused "--leaf-stack is for --call-graph fp" --leaf-stack 256
refused "disagree: give the size once" --call-graph dwarf,4096 --stack-size 8192
refused "--stack-size must be" --stack-size 65536
