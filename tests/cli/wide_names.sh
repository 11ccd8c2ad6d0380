#!/usr/bin/env bash
# wide_names.sh: names in `scorch report`'s text tables are not cut (issue 11, item 5). Into a
# file or a pipe nothing is cut, as perf report --stdio and pprof -text print; on a terminal the
# table fits its width (COLUMNS, else the terminal's own), long names ending in "…"; --wide
# prints every name whole on a terminal too. The terminal is a pty from script(1).
. "$(dirname "$0")/lib.sh"
make_tmp
LONG='geo::detail::Matrix<std::vector<double, std::allocator<double> >, geo::RowMajorLayout<4ul> >::multiply_accumulate_blocked(geo::Matrix<double> const&)'
printf 'main;%s 30\nmain;short_one 10\n' "$LONG" >"$TMP/in.folded"

# width FILE: the longest line, in characters (UTF-8), without the pty's carriage returns.
width() { python3 -c 'import sys; print(max(len(l.rstrip("\r\n")) for l in open(sys.argv[1], encoding="utf-8")))' "$1"; }

# Piped and to a file: whole.
"$SCORCH" report -n 5 "$TMP/in.folded" | tee "$TMP/pipe.txt" | grep -qF -- "$LONG" ||
	fail "piped, the long name is cut: $(cat "$TMP/pipe.txt")"
COLUMNS=40 "$SCORCH" report -n 5 "$TMP/in.folded" | grep -qF -- "$LONG" ||
	fail "piped with COLUMNS=40, the long name is cut (COLUMNS is for terminals)"
"$SCORCH" report -n 5 -o "$TMP/file.txt" "$TMP/in.folded" || fail "report -o failed"
grep -qF -- "$LONG" "$TMP/file.txt" || fail "in -o FILE, the long name is cut"
ok "pipe and file: names whole ($(width "$TMP/pipe.txt") columns)"

command -v script >/dev/null || skip "script(1) (util-linux) is not installed: no pty to test with"
# tty CMD...: runs scorch on a pty, its output to $TMP/tty.txt.
tty()
{
	script -qec "$*" /dev/null >"$TMP/tty.txt" 2>&1 || fail "on a pty: $* failed: $(cat "$TMP/tty.txt")"
	tr -d '\r' <"$TMP/tty.txt" >"$TMP/tty.clean"
}

for cols in 80 100; do
	tty "COLUMNS=$cols '$SCORCH' report -n 5 '$TMP/in.folded'"
	w=$(width "$TMP/tty.clean")
	[ "$w" -eq "$cols" ] || fail "COLUMNS=$cols on a terminal: lines of $w columns, expected $cols"
	grep -qF -- "$LONG" "$TMP/tty.clean" && fail "COLUMNS=$cols: the long name is whole"
	grep -q 'geo::detail::Matrix<std::vector.*…$' "$TMP/tty.clean" ||
		fail "COLUMNS=$cols: the cut name does not end in …: $(cat "$TMP/tty.clean")"
	grep -q '  short_one$' "$TMP/tty.clean" || fail "COLUMNS=$cols: short_one is not whole"
	ok "terminal, COLUMNS=$cols: lines fit $w columns, the long name cut with …"
done
# Without COLUMNS: the terminal's own width.
tty "stty cols 72; unset COLUMNS; '$SCORCH' report -n 5 '$TMP/in.folded'"
w=$(width "$TMP/tty.clean")
[ "$w" -eq 72 ] || fail "a 72-column terminal without COLUMNS: lines of $w columns"
ok "terminal of 72 columns (TIOCGWINSZ): lines fit $w"
# --wide: whole on a terminal too.
tty "COLUMNS=80 '$SCORCH' report --wide -n 5 '$TMP/in.folded'"
grep -qF -- "$LONG" "$TMP/tty.clean" || fail "--wide on an 80-column terminal cut the long name"
ok "--wide: whole on a terminal"
