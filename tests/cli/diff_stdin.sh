#!/usr/bin/env bash
# diff_stdin.sh: `scorch diff - -` would read standard input twice, see an empty second profile
# and call every function faster: it is refused as bad usage (issue 8, item 9). One '-' is fine.
. "$(dirname "$0")/lib.sh"
make_tmp
base="$SRCDIR/tests/data/diff/base.folded"
new="$SRCDIR/tests/data/diff/new.folded"

rc=0
"$SCORCH" diff - - <"$base" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] || fail "diff - - exited $rc, expected 2 (stdout: $(head -3 "$TMP/out"))"
grep -qF "scorch diff: BASE and NEW are both '-': standard input can be read only once" "$TMP/err" ||
	fail "diff - - does not say why: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "diff - - wrote a comparison"
ok "diff - -: exit 2, $(cat "$TMP/err")"

"$SCORCH" diff - "$new" <"$base" >"$TMP/a.txt" || fail "diff - NEW failed"
"$SCORCH" diff "$base" "$new" >"$TMP/b.txt" || fail "diff BASE NEW failed"
sed "s|stdin|$base|g" "$TMP/a.txt" | diff - "$TMP/b.txt" >/dev/null ||
	fail "diff - NEW differs from diff BASE NEW"
"$SCORCH" diff "$base" - <"$new" >/dev/null || fail "diff BASE - failed"
ok "one '-' reads standard input once"

# The same stream under other names: /dev/stdin and '-', twice /dev/stdin, a FIFO twice.
for pair in "/dev/stdin -" "/dev/stdin /dev/stdin"; do
	rc=0
	# shellcheck disable=SC2086
	cat "$base" | "$SCORCH" diff $pair >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "diff $pair exited $rc, expected 2 (stdout: $(head -3 "$TMP/out"))"
	grep -qF "are the same pipe or stream, which can be read only once" "$TMP/err" ||
		fail "diff $pair does not say why: $(cat "$TMP/err")"
done
ok "diff /dev/stdin - and /dev/stdin /dev/stdin: exit 2, $(cat "$TMP/err")"
