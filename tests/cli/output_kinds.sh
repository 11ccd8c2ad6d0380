#!/usr/bin/env bash
# output_kinds.sh: what -o names (issue 11, item 5): one file for `report` and `diff` (and diff's
# --html), a folder for `report --all` (and `record`). Each --help says which; a path that exists
# as the other kind is refused before the input is read, with exit status 2 and a message that
# names the flag and the path, and nothing is written or removed.
. "$(dirname "$0")/lib.sh"
make_tmp
printf 'main;work 30\nmain;idle 10\n' >"$TMP/in.folded"
mkdir "$TMP/dir"
echo keep >"$TMP/dir/mine.txt"
echo keep >"$TMP/file"

# expect_refused STATUS_FILE PATTERN CMD...: exit 2, PATTERN in stderr, stdout empty.
expect_refused()
{
	local pattern=$1 rc=0
	shift
	"$SCORCH" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "scorch $* exited $rc, expected 2 ($(cat "$TMP/err"))"
	grep -qE -- "$pattern" "$TMP/err" || fail "scorch $*: no '$pattern' in: $(cat "$TMP/err")"
	[ ! -s "$TMP/out" ] || fail "scorch $* wrote to standard output"
	ok "scorch $*: $(head -1 "$TMP/err")"
}

# report -o: a file. An existing folder is refused (the input is not even read: a missing input
# would otherwise be the error).
expect_refused "-o '$TMP/dir' is a folder.*--all" report -o "$TMP/dir" "$TMP/in.folded"
expect_refused "-o '$TMP/dir' is a folder" report -o "$TMP/dir" "$TMP/missing.folded"
# report --all -o: a folder. An existing regular file is refused and kept.
expect_refused "--all -o '$TMP/file' is a file" report --all -o "$TMP/file" "$TMP/in.folded"
[ "$(cat "$TMP/file")" = keep ] || fail "report --all -o FILE changed FILE"
# diff -o and --html: files.
expect_refused "-o '$TMP/dir' is a folder" diff -o "$TMP/dir" "$TMP/in.folded" "$TMP/in.folded"
expect_refused "--html '$TMP/dir' is a folder" diff --html "$TMP/dir" "$TMP/in.folded" \
	"$TMP/in.folded"
[ "$(ls "$TMP/dir")" = mine.txt ] || fail "a refused run wrote into $TMP/dir: $(ls "$TMP/dir")"

# The right kinds work: a new or existing file for report and diff, a new or existing folder
# for --all.
"$SCORCH" report -o "$TMP/file" "$TMP/in.folded" || fail "report -o FILE failed"
grep -q work "$TMP/file" || fail "report -o FILE did not write the table"
"$SCORCH" diff -o "$TMP/d.txt" --html "$TMP/d.html" "$TMP/in.folded" "$TMP/in.folded" ||
	fail "diff -o FILE --html FILE failed"
[ -s "$TMP/d.txt" ] && [ -s "$TMP/d.html" ] || fail "diff -o / --html wrote nothing"
"$SCORCH" report --all -o "$TMP/dir" "$TMP/in.folded" || fail "report --all -o DIR failed"
[ -s "$TMP/dir/summary.txt" ] && [ -s "$TMP/dir/mine.txt" ] ||
	fail "report --all -o DIR (existing) did not write its set beside the user's file"
"$SCORCH" report --all -o "$TMP/new" "$TMP/in.folded" || fail "report --all -o NEWDIR failed"
[ -s "$TMP/new/flamegraph.html" ] || fail "report --all -o NEWDIR wrote no flamegraph"
ok "files for report and diff, folders for --all"

# Each --help says what -o is.
"$SCORCH" report --help | grep -E -- '-o, --output' | grep -q 'file FILE.*--all: the folder' ||
	fail "report --help does not say -o is a file, a folder with --all"
"$SCORCH" diff --help | grep -E -- '-o, --output' | grep -q 'the file FILE' ||
	fail "diff --help does not say -o is a file"
"$SCORCH" record --help | grep -E -- '-o, --output' | grep -q 'folder' ||
	fail "record --help does not say -o is a folder"
ok "--help of report, diff and record say what -o names"
