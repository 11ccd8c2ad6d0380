#!/usr/bin/env bash
# peer_corpora.sh: the peers' own test corpora read by scorch and by the peers' own tools, compared
# (issue 8, "Against the peers' own test files"). The corpora are not in this repository (nothing
# fetched is copied in): point FLAMEGRAPH_DIR and/or PPROF_DIR at clones of brendangregg/FlameGraph
# and google/pprof; without them the test skips (77). tests/data/peers/ holds our own small
# inputs of the same shapes, which perf_shapes.sh and gperftools.sh test in every `make check`.
#
#   FLAMEGRAPH_DIR=~/src/FlameGraph PPROF_DIR=~/src/pprof \
#     SCORCH=build/scorch BUILD=build tests/cli/peer_corpora.sh
#
# FlameGraph: every test/perf-*.txt through `scorch report --format folded` (sorted), compared with
#   - stackcollapse-perf.pl run on the same file (needs perl), with and without --pid/--tid
#     (our --root pid/tid), fed the file plus one blank line: the script only counts a sample when
#     a blank line follows it, so it drops the last one of a file that ends without one;
#   - the expected outputs FlameGraph ships (test/results/*-collapsed-{pid,tid}.txt), for
#     information: they predate the script's Java name tidying, so the script itself no longer
#     gives them for the Java files.
# pprof: every file of profile/testdata, fuzz/corpus and internal/proftest/testdata through
#   `scorch report --format json` and `go tool pprof -top` (needs go): the total of the sample type
#   shown must be equal, and for symbolized profiles the hottest function too. Files that only
#   one of the two reads are listed with scorch's message.
#
# Known differences, not failures (each is listed when met):
#   - FlameGraph reads a frame line without a symbol ("7f1e2215d058  (/lib/libc-2.15.so)") as the
#     symbol " " (one blank); scorch names it after its module, "[libc-2.15.so]", as FlameGraph
#     itself does for "[unknown]" symbols.
#   - scorch does not read pprof's legacy text formats (heap, growth, contention, threads) nor
#     pprof's `.string` debug dumps: it says so.
# Exit: 0 when every difference is a known one, 1 otherwise, 77 without corpora.
. "$(dirname "$0")/lib.sh"
[ -n "${FLAMEGRAPH_DIR:-}${PPROF_DIR:-}" ] ||
	skip "set FLAMEGRAPH_DIR and/or PPROF_DIR to clones of brendangregg/FlameGraph and google/pprof"
make_tmp
bad=0

# Lines of file $1 not in $2 (both sorted), as a count.
only_in() { comm -23 "$1" "$2" | wc -l; }

if [ -n "${FLAMEGRAPH_DIR:-}" ]; then
	fg=$FLAMEGRAPH_DIR
	[ -d "$fg/test" ] || fail "FLAMEGRAPH_DIR=$fg has no test/ folder"
	perl=0
	command -v perl >/dev/null && [ -f "$fg/stackcollapse-perf.pl" ] && perl=1
	[ $perl = 1 ] || echo "note: perl or stackcollapse-perf.pl missing: comparing with test/results/ only"
	files=0 agree=0 known=0 stored_agree=0 stored_total=0 refused=0
	for f in "$fg"/test/perf-*.txt; do
		b=$(basename "$f" .txt)
		files=$((files + 1))
		for mode in comm pid tid; do
			if ! "$SCORCH" report --format folded --root $mode "$f" 2>"$TMP/err" | LC_ALL=C sort >"$TMP/ours"; then
				echo "REFUSED $b (--root $mode): $(cat "$TMP/err")"
				refused=$((refused + 1))
				bad=1
				continue
			fi
			if [ $perl = 1 ]; then
				opt=
				[ $mode = comm ] || opt=--$mode
				{ cat "$f"; echo; } | perl "$fg/stackcollapse-perf.pl" $opt 2>/dev/null |
					LC_ALL=C sort >"$TMP/theirs"
				if cmp -s "$TMP/ours" "$TMP/theirs"; then
					agree=$((agree + 1))
				elif grep -q ';  *;\|;  *[0-9]*$' "$TMP/theirs" &&
					[ "$(grep -v ';  *;\|;  *[0-9]*$' "$TMP/theirs" | LC_ALL=C sort | comm -23 - "$TMP/ours" | wc -l)" = 0 ]; then
					known=$((known + 1))
					echo "known: $b (--root $mode): $(grep -c ';  *;\|;  *[0-9]*$' "$TMP/theirs") lines with a frame without symbol (FlameGraph: ' ', scorch: [module]); every other line agrees"
				else
					echo "DIFFERS $b (--root $mode): $(only_in "$TMP/theirs" "$TMP/ours") lines only in stackcollapse-perf.pl's output, $(only_in "$TMP/ours" "$TMP/theirs") only in scorch's"
					diff "$TMP/theirs" "$TMP/ours" | head -6 | cut -c1-200
					bad=1
				fi
			fi
			stored=$fg/test/results/$b-collapsed-$mode.txt
			if [ -f "$stored" ]; then
				stored_total=$((stored_total + 1))
				if LC_ALL=C sort "$stored" | cmp -s - "$TMP/ours"; then
					stored_agree=$((stored_agree + 1))
				else
					echo "info: $b --root $mode differs from test/results/$(basename "$stored") ($(LC_ALL=C sort "$stored" | only_in - "$TMP/ours") of its $(wc -l <"$stored") lines not in scorch's)"
				fi
			fi
		done
	done
	[ $perl = 1 ] &&
		echo "FlameGraph: $files files x 3 root modes: $agree agree with stackcollapse-perf.pl exactly, $known agree but for the known difference, $refused refused"
	echo "FlameGraph: $stored_agree of $stored_total outputs agree with the shipped test/results/"
fi

if [ -n "${PPROF_DIR:-}" ]; then
	pp=$PPROF_DIR
	[ -d "$pp/profile/testdata" ] || fail "PPROF_DIR=$pp has no profile/testdata folder"
	go=0
	command -v go >/dev/null && go=1
	[ $go = 1 ] || echo "note: go is missing: reading the files without comparing"
	export HOME=${HOME:-$TMP} GOCACHE=${GOCACHE:-$TMP/gocache} GOPATH=${GOPATH:-$TMP/go}
	files=0 both=0 same=0 neither=0 not_ours=0
	for f in "$pp"/profile/testdata/* "$pp"/fuzz/corpus/* "$pp"/internal/proftest/testdata/*; do
		[ -f "$f" ] || continue
		files=$((files + 1))
		name=${f#"$pp"/}
		ours_ok=1
		"$SCORCH" report --format json -n 1 "$f" >"$TMP/ours.json" 2>"$TMP/err" || ours_ok=0
		theirs_ok=0
		if [ $go = 1 ] && go tool pprof -top -nodecount=1 "$f" >"$TMP/top0" 2>/dev/null &&
			grep -q ' total' "$TMP/top0"; then
			theirs_ok=1
		fi
		if [ $ours_ok = 0 ]; then
			if [ $theirs_ok = 1 ]; then
				not_ours=$((not_ours + 1))
				echo "not read by scorch (go tool pprof reads it): $name: $(cat "$TMP/err")"
				grep -q -e 'legacy pprof text profile' "$TMP/err" || bad=1
			else
				neither=$((neither + 1))
			fi
			continue
		fi
		if [ $theirs_ok = 0 ]; then
			[ $go = 1 ] && echo "read by scorch, not by go tool pprof: $name: $(head -c 120 "$TMP/ours.json")"
			continue
		fi
		both=$((both + 1))
		total=$(sed -n 's/.*"total":\([0-9-]*\),"functions".*/\1/p' "$TMP/ours.json" | head -1)
		unit=$(sed -n 's/.*"unit":"\([a-z]*\)".*/\1/p' "$TMP/ours.json" | head -1)
		case $unit in
		nanoseconds) u=ns ;;
		bytes) u=B ;;
		*) u= ;;
		esac
		go tool pprof -top -nodecount=1 ${u:+-unit=$u} "$f" >"$TMP/top" 2>/dev/null
		theirs=$(sed -n 's/.* of \([0-9.]*\)[a-zA-Z]* total.*/\1/p' "$TMP/top" | head -1)
		hot_ours=$(sed -n 's/.*"by_self":\[ *{"name":"\([^"]*\)".*/\1/p' "$TMP/ours.json" | head -1)
		[ -n "$hot_ours" ] || hot_ours=$(tr -d '\n' <"$TMP/ours.json" | sed -n 's/.*"by_self":\[{"name":"\([^"]*\)".*/\1/p')
		hot_theirs=$(awk 'f && NF >= 6 {for (i = 6; i <= NF; i++) printf "%s%s", $i, (i < NF ? " " : ""); exit} /flat%/ {f = 1}' "$TMP/top")
		if [ "$total" != "$theirs" ]; then
			echo "DIFFERS $name: total $total $unit (scorch) vs $theirs (go tool pprof)"
			bad=1
		elif [ "${hot_theirs:0:1}" = "[" ] || [ "$hot_theirs" = "<unknown>" ] ||
			[ "$hot_ours" = "$hot_theirs" ]; then
			# "[module]", "<unknown>": pprof groups unsymbolized addresses by module (or
			# calls them unknown without one), scorch names each: only totals compare.
			same=$((same + 1))
			echo "agree: $name: total $total $unit, hottest ${hot_ours:-?}"
		else
			echo "DIFFERS $name: hottest function '$hot_ours' (scorch) vs '$hot_theirs' (go tool pprof)"
			bad=1
		fi
	done
	echo "pprof: $files files; both read $both ($same agree on the total and the hottest function); $not_ours read by go tool pprof only; $neither by neither"
fi
[ $bad = 0 ] || fail "differences beyond the known ones (above)"
ok "peers' corpora"
