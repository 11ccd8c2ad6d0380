#!/usr/bin/env bash
# run_report_all.sh: scorch report --all -o OUT FOLDER over a folder of recordings: a scorch run
# session (heap_basic.c's heap.pb.gz and peak.pb.gz), a record folder of hot.c (profile.pb.gz and
# stacks.folded: one recording, not two), a loose folded file; the session's `latest` link is not
# followed, an unreadable file is reported (exit 1) while the others are written, and an OUT
# inside FOLDER is not read back as recordings.
set -u
. "$(dirname "$0")/lib.sh"
make_tmp
require_perf
HOT=$(prog hot)
HB=$(prog heap_basic)
P="$TMP/profiles"

"$SCORCH" run --mode memory -o "$P" -- "$HB" >/dev/null 2>&1 || fail "the memory session failed"
"$SCORCH" record -o "$P/single" -- "$HOT" 0.3 >/dev/null 2>&1 || fail "scorch record failed"
printf 'main;leafy 30\nmain;other 10\n' >"$P/loose.folded"

"$SCORCH" report --all -o "$TMP/analysis" "$P" >"$TMP/o1" 2>"$TMP/e1" ||
	fail "report --all over a folder exited $? ($(cat "$TMP/e1"))"
grep -q 'wrote 4 report sets of 4 recordings into' "$TMP/e1" || fail "not 4 sets: $(cat "$TMP/e1")"
S=$(basename "$(readlink -f "$P/latest")")
for d in "$S/memory/heap" "$S/memory/peak" single/profile loose; do
	for f in report.md flamegraph.html butterfly.html summary.txt hotspots.json; do
		[ -s "$TMP/analysis/$d/$f" ] || fail "analysis/$d/$f was not written"
	done
done
[ ! -e "$TMP/analysis/latest" ] && [ ! -e "$TMP/analysis/single/stacks" ] ||
	fail "the latest link or record's stacks.folded was taken for a recording"
grep -q 'hot_a' "$TMP/analysis/single/profile/summary.txt" || fail "hot's set does not name hot_a"
grep -q 'leafy' "$TMP/analysis/loose/summary.txt" || fail "the folded file's set does not name leafy"
grep -q 'leak_big' "$TMP/analysis/$S/memory/heap/summary.txt" &&
	grep -q 'hold_peak' "$TMP/analysis/$S/memory/peak/summary.txt" || fail "the heap sets lack leak_big or hold_peak"
links=$(grep -o 'href="[^"]*"' "$TMP/analysis/index.html" | sed 's/href="//; s/"$//')
[ "$(wc -l <<<"$links")" -eq 20 ] || fail "index.html has $(wc -l <<<"$links") links, not 4 x 5"
while IFS= read -r l; do
	[ -s "$TMP/analysis/$l" ] || fail "index.html links $l, which does not exist"
done <<<"$links"
grep -q '<td>inuse_space</td><td>4192 bytes</td>' "$TMP/analysis/index.html" ||
	fail "index.html lacks heap_basic's 4192 leaked bytes"
ok "a session, a recording and a folded file: 4 sets and their index"

printf 'not a profile' >"$P/junk.pb.gz"
rc=0
"$SCORCH" report --all -o "$P/analysis" "$P" >/dev/null 2>"$TMP/e2" || rc=$?
[ "$rc" -eq 1 ] || fail "an unreadable recording exited $rc, not 1"
grep -q 'junk.pb.gz' "$TMP/e2" || fail "the unreadable file is not named: $(cat "$TMP/e2")"
grep -q 'wrote 4 report sets of 5 recordings' "$TMP/e2" || fail "the others were not written"
"$SCORCH" report --all -o "$P/analysis" "$P" >/dev/null 2>"$TMP/e3"
grep -q 'of 5 recordings' "$TMP/e3" || fail "the output folder inside the input was read back: $(cat "$TMP/e3")"
rc=0
"$SCORCH" report --all -o "$TMP/none" "$TMP/analysis/loose" >/dev/null 2>"$TMP/e4" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'no recordings' "$TMP/e4" || fail "a folder without recordings: exit $rc"
ok "an unreadable file named (exit 1), the rest written; OUT inside FOLDER skipped"
